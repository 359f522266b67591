// The engine: owns the TLS listener and every connection. Lives in the worker thread
// (GatewayController moves it there); its slots are invoked through queued calls only.
#pragma once

#include "gatewayconfig.h"
#include "metrics.h"
#include "intake/protocolsniffer.h"
#include "pki/pkitypes.h"
#include "sessioninfo.h"
#include "pki/gatewayidentity.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>
#include <functional>
#include <memory>

class QSslSocket;

namespace SeaCat {

class Session;
class TlsListener;
class BackendPool;
class PkiService;

class GatewayEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayEngine)

public:
    explicit GatewayEngine(QObject *parent = nullptr);
    ~GatewayEngine() override;

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
    // Closes every session with close_notify, then emits stopped().
    void stop();
    void disconnectSession(quint64 id);
    void approveCsr(qint64 id);
    void rejectCsr(qint64 id);
    void revokeCertificate(quint64 serial);
    // Answers with pkiSnapshot(): every CSR and certificate, for views that list them.
    void requestPkiSnapshot();

signals:
    void listening(const QHostAddress &address, quint16 port);
    void portChangeFailed(const QString &reason);
    void failed(const QString &reason);
    void stopped();
    void sessionOpened(const SeaCat::SessionInfo &info);
    void sessionClosed(quint64 id, const QString &reason);
    void sessionsUpdated(const QList<SeaCat::SessionInfo> &sessions);
    void statsUpdated(const SeaCat::GatewayStats &stats);
    void connectionRejected(const QString &summary);
    void logMessage(SeaCat::LogLevel level, const QString &message);
    void csrReceived(const SeaCat::CsrInfo &csr);
    void certificateIssued(const SeaCat::CertificateInfo &certificate);
    void certificateRevoked(quint64 serial);
    void certificateExpiringSoon(const SeaCat::CertificateInfo &certificate);
    void pkiChanged();
    void pkiSnapshot(const QList<SeaCat::CsrInfo> &csrs, const QList<SeaCat::CertificateInfo> &certificates);
    void pkiActionFailed(const QString &reason);

private:
    TlsListener *listen(const QHostAddress &address, quint16 port, QString *error, int *socketError);
    void acceptPending();
    void dispatch(QSslSocket *socket, PeerProtocol protocol, qint64 sinceHandshakeMs);
    void onSessionClosed(quint64 id, const QString &reason);
    void publishUpdates();
    // README "Metrics": this engine's gauges, read by the admin listener's thread.
    void publishMetrics();
    void finishStopIfIdle();
    // Closes the sessions whose client certificate is no longer valid (revoked, expired).
    void closeInvalidatedSessions();
    // An admin action from the GUI: logged and announced when it works, reported when not.
    void runPkiAction(const std::function<QString(PkiService &)> &action, const std::function<QString()> &done);
    void pollPkiStore();
    void warnAboutExpiringCertificates();

    GatewayConfig m_config;
    QSslConfiguration m_tls;
    QPointer<TlsListener> m_server;
    QHash<quint64, Session *> m_sessions;
    QSet<quint64> m_dirty;
    QSet<QObject *> m_pending;      // sniffers and rejectors still at work
    quint64 m_nextSessionId = 1;
    BackendPool *m_pool;
    GatewayStats m_closedTotals;    // what closed sessions contributed
    std::unique_ptr<PkiService> m_pki;
    qint64 m_pkiChangeCounter = -1;
    QSet<quint64> m_expiryWarned;
    PkiGauges m_pkiGauges;
    bool m_pkiGaugesStale = true;
    // Parented so that moveToThread() takes them along.
    QTimer m_publishTimer{this};
    QTimer m_stopDeadline{this};
    QTimer m_pkiPollTimer{this};    // notices admin CLI changes within a second
    QTimer m_expiryTimer{this};
    bool m_stopping = false;
    int m_descriptorCeiling = 0;    // the listener stops accepting here (README "Limits")
};

} // namespace SeaCat
