// The engine: one gateway over several worker threads (README "--workers"). It owns the TLS
// listener, the PKI and the workers, each an EngineWorker in its own thread with its own
// sessions and backend pool; it hands accepted connections round-robin to the workers, routes
// admin actions to the worker serving a session, and sums what the workers report, so its
// observers see one gateway. Lives in the engine thread (GatewayController moves it there);
// its slots are invoked through queued calls only.
#pragma once

#include "engineevent.h"
#include "gatewayconfig.h"
#include "gatewayevents.h"
#include "metrics.h"
#include "pki/pkitypes.h"
#include "sessioninfo.h"
#include "pki/gatewayidentity.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>
#include <atomic>
#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace SeaCat {

class AccessLog;
class EngineWorker;
class PkiFacade;
class PkiService;
class TlsListener;

class GatewayEngine final : public GatewayEvents
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayEngine)

public:
    explicit GatewayEngine(QObject *parent = nullptr);
    ~GatewayEngine() override;

    // Finished streams and rejected clients go there (README "Access log"); null: nowhere.
    // Set before start(); `log` outlives the engine. Workers submit to it from their threads.
    void setAccessLog(AccessLog *log) { m_accessLog = log; }

public slots:
    void start(const SeaCat::GatewayConfig &config);
    // Opens the new listener first and closes the old one only once the new one is bound:
    // connected sessions are never dropped, and a failed change leaves the old port serving.
    void changePort(const QHostAddress &address, quint16 port, bool allowReserved);
    // SIGHUP (README "Reloading the configuration"): takes a checked config while serving.
    // Listen address and port change through changePort(); mode, limits, backends and
    // forwarded headers apply to sessions opened from now on; sessions stay. Name, data
    // directory, server key and PKI policy need a restart and are logged as such.
    void reload(const SeaCat::GatewayConfig &config);
    // Closes every session with close_notify, ends the worker threads, then emits stopped().
    void stop();
    void disconnectSession(quint64 id);
    // `actor` is recorded with the decision in the store's audit log.
    void approveCsr(qint64 id, const QString &actor);
    void rejectCsr(qint64 id, const QString &actor);
    void revokeCertificate(quint64 serial, const QString &actor);
    // README "Reaching a device through its session": checked against [tunnels] here, then
    // opened by the worker serving the session; tunnelOpened() or tunnelFailed() answers.
    void openTunnel(const SeaCat::TunnelRequest &request);
    void closeTunnel(quint64 tunnelId, const QString &actor);

signals:
    // The engine's life cycle; GatewayController turns these into its state. Everything else
    // it reports is a GatewayEvents signal.
    void listening(const QHostAddress &address, quint16 port);
    void failed(const QString &reason);
    void stopped();
    // Workers' session events and log lines, batched (engineevent.h); GatewayController emits
    // them as its sessionOpened(), sessionClosed() and logMessage().
    void eventsBatched(const QList<SeaCat::EngineEvent> &events);

private:
    struct Worker {
        QThread *thread;
        EngineWorker *worker; // lives in `thread`; reached through queued calls only
        GatewayStats stats;   // its latest report
        bool stopped = false;
    };
    // What the engine knows of a session: where it runs, which certificate it presented.
    struct SessionRoute {
        int worker;
        quint64 certificateSerial;
        QString clientTag;
    };
    struct TunnelRoute {
        int worker;
        quint64 sessionId;
        quint16 devicePort;
    };

    TlsListener *listen(const QHostAddress &address, quint16 port, QString *error, int *socketError);
    void startWorkers();
    // Gives an accepted connection to the next worker, round-robin.
    void handOff(qintptr descriptor);
    // Runs `call(worker)` in that worker's thread.
    template<typename Call> void post(const Worker &worker, Call call);
    void onWorkerEvents(const QList<EngineEvent> &events);
    void onWorkerStopped(int index);
    void finishStop();
    // Ends the worker threads; the PKI calls they wait on are served meanwhile.
    void joinWorkers();
    void publishStats();
    // README "Metrics": the store's gauges, from the PKI state just read for a push.
    void publishPkiMetrics(const PkiState &state);
    // Closes the sessions whose client certificate is no longer valid (revoked, expired).
    void closeInvalidatedSessions();
    // An admin action from the GUI: logged and announced when it works, reported when not.
    void runPkiAction(const std::function<QString(PkiService &)> &action, const std::function<QString()> &done);
    void pollPkiStore();
    // Writes this gateway's SRV record (name, port, priority, weight) to the store; retried at
    // every poll until it works.
    void registerInArray();
    // The poll's verdict on the store (`error` empty: it answered): logged, published and
    // announced when it changes.
    void noteStoreAvailability(const QString &error);
    // Pushes pkiStateChanged() shortly, once for however many changes come meanwhile.
    void schedulePkiPush();
    void pushPkiState();
    void warnAboutExpiringCertificates();

    GatewayConfig m_config;
    QSslConfiguration m_tls;
    QPointer<TlsListener> m_server;
    QList<Worker> m_workers;
    int m_nextWorker = 0;
    AccessLog *m_accessLog = nullptr;
    int m_publishesSinceDropReport = 0;
    quint64 m_trafficAtLastPublish = 0; // connections and requests, for a trim after a quiet tick
    QHash<quint64, SessionRoute> m_sessions;
    QHash<quint64, TunnelRoute> m_tunnels;
    // Shared with the workers (EngineWorker::Shared); they outlive every worker.
    std::atomic<quint64> m_nextSessionId{1};
    std::atomic<int> m_connections{0};
    std::unique_ptr<PkiService> m_pki;
    PkiFacade *m_pkiFacade;
    qint64 m_pkiChangeCounter = -1;
    QSet<quint64> m_expiryWarned;
    PkiGauges m_pkiGauges;
    QElapsedTimer m_storeDownSince; // valid while the store does not answer
    bool m_registered = false;      // this gateway's record is in the store
    // Parented so that moveToThread() takes them along.
    QTimer m_publishTimer{this};
    QTimer m_pkiPollTimer{this}; // notices admin CLI changes within a second
    QTimer m_expiryTimer{this};
    QTimer m_pkiPushTimer{this}; // single shot: the throttle of pkiStateChanged()
    bool m_stopping = false;
    int m_descriptorCeiling = 0; // the listener stops accepting here (README "Limits")
};

} // namespace SeaCat
