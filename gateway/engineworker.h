// One engine thread's share of the gateway (README "--workers"): the TLS handshakes of the
// connections the engine hands it, their classification, its sessions and rejected clients,
// its own backend pool. Created by GatewayEngine and moved into its own thread; its slots are
// invoked through queued calls only, and it reports to the engine with queued signals. The
// PKI is reached through the engine's PkiFacade; two counters are shared with the other
// workers (atomics, never a lock): the next session id and the connections open at once.
#pragma once

#include "engineevent.h"
#include "gatewayconfig.h"
#include "intake/protocolsniffer.h"
#include "intake/tlshandshaker.h"
#include "sessioninfo.h"
#include "tunnel/tunnelinfo.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>
#include <atomic>

QT_BEGIN_NAMESPACE
class QSslSocket;
QT_END_NAMESPACE

namespace SeaCat {

class AccessLog;
class BackendPool;
class PkiFacade;
class Session;

// Adds the counters a session (SessionInfo) and a worker (GatewayStats) have in common to
// `total`: a worker sums its sessions, the engine its workers.
template<typename Counters> void addCounters(GatewayStats &total, const Counters &part)
{
    total.requests += part.requests;
    for (int i = 0; i < 6; ++i)
        total.responsesByClass[i] += part.responsesByClass[i];
    total.bytesIn += part.bytesIn;
    total.bytesOut += part.bytesOut;
    total.backendResponses += part.backendResponses;
    total.backendLatencyMsTotal += part.backendLatencyMsTotal;
    total.resetFloodCloses += part.resetFloodCloses;
    total.glitchFloodCloses += part.glitchFloodCloses;
    total.refusedCsrs += part.refusedCsrs;
}

class EngineWorker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineWorker)

public:
    struct Shared {
        PkiFacade *pki;
        std::atomic<quint64> *nextSessionId;
        std::atomic<int> *connections; // sessions and connections being classified, all workers
        AccessLog *accessLog;          // thread-safe submit(); null: no access log
    };

    EngineWorker(int index, const GatewayConfig &config, const QSslConfiguration &tls, TlsHandshaker::Budget budget,
                 Shared shared);
    ~EngineWorker() override;

    int index() const { return m_index; }

    // Worker thread, each through a queued call.
    void start();
    // Takes a connection accepted by the engine's listener; owns the descriptor from now on.
    void adopt(qintptr descriptor);
    // The running configuration: sessions opened from now on get it (GatewayEngine::reload).
    void reload(const SeaCat::GatewayConfig &config);
    void closeSession(quint64 id, const QString &reason);
    // The tunnel's listener lives here, with the session it serves (GatewayEngine::openTunnel).
    void openTunnel(const SeaCat::TunnelRequest &request);
    void closeTunnel(quint64 tunnelId, quint64 sessionId, const QString &reason);
    // Closes every connection (close_notify to sessions), then emits stopped().
    void stop();

signals:
    // Sessions closed and log lines, gathered for up to EventBatchMs, sent with the next session
    // opened and before any other signal of this worker, so that the order holds (engineevent.h).
    void eventsBatched(const QList<SeaCat::EngineEvent> &events);
    void sessionsUpdated(const QList<SeaCat::SessionInfo> &sessions);
    // This worker's totals (its closed sessions included), every publish interval.
    void statsUpdated(int worker, const SeaCat::GatewayStats &stats);
    void connectionRejected(const QString &summary);
    void tunnelOpened(const SeaCat::TunnelInfo &info);
    void tunnelFailed(quint64 tunnelId, const QString &reason);
    void tunnelClosed(quint64 tunnelId, const QString &reason);
    void tunnelsUpdated(const QList<SeaCat::TunnelInfo> &tunnels);
    void stopped(int worker);

private:
    void report(EngineEvent event);
    void reportLog(SeaCat::LogLevel level, const QString &message);
    void flushEvents();
    void accept(QSslSocket *socket);
    void dispatch(QSslSocket *socket, PeerProtocol protocol, qint64 sinceHandshakeMs);
    void onSessionClosed(quint64 id, const QString &reason);
    SessionInfo infoOf(const Session *session) const;
    void publishUpdates();
    // README "Metrics": this worker's gauges (sessions by mode, its backend pool), read by the
    // admin listener's thread and summed over the workers.
    void publishMetrics();
    void finishStopIfIdle();
    // Brings the shared connection count up to date with this worker's sessions and pending.
    void countConnections();

    const int m_index;
    GatewayConfig m_config;
    const QSslConfiguration m_tls;
    const TlsHandshaker::Budget m_budget;
    const Shared m_shared;
    TlsHandshaker *m_handshaker = nullptr;
    BackendPool *m_pool;
    QHash<quint64, Session *> m_sessions;
    QSet<quint64> m_dirty;
    QSet<QObject *> m_pending;    // sniffers and rejectors still at work
    int m_countedConnections = 0; // this worker's part of *m_shared.connections
    GatewayStats m_closedTotals;  // what closed sessions contributed
    // Parented so that moveToThread() takes them along.
    QTimer m_publishTimer{this};
    QTimer m_stopDeadline{this};
    QTimer m_eventFlush{this};
    QList<EngineEvent> m_events; // not yet in a batch
    bool m_stopping = false;
};

} // namespace SeaCat
