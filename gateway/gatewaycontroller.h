// The caller-thread face of the engine: owns the worker thread, forwards
// commands with queued calls and re-emits the engine's events in the caller's thread.
// No state is shared with the engine; only value snapshots cross.
#pragma once

#include "gatewayconfig.h"
#include "pki/pkitypes.h"
#include "sessioninfo.h"

#include <QHostAddress>
#include <QObject>
#include <QThread>

namespace SeaCat {

class AccessLog;
class GatewayEngine;

class GatewayController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayController)

public:
    enum class State { Stopped, Starting, Listening, Stopping, Failed };
    Q_ENUM(State)

    explicit GatewayController(QObject *parent = nullptr);
    // Closes every session (close_notify) and joins the worker thread.
    ~GatewayController() override;

    State state() const { return m_state; }
    QHostAddress address() const { return m_address; }
    quint16 port() const { return m_port; }

    // README "Access log": where finished streams and rejected clients go. Call before start();
    // `log` must outlive this controller.
    void setAccessLog(AccessLog *log);

public slots:
    void start(const SeaCat::GatewayConfig &config);
    void stop();
    void setPort(quint16 port) { changePort(m_address, port, false); }
    void changePort(const QHostAddress &address, quint16 port, bool allowReserved);
    void reload(const SeaCat::GatewayConfig &config);
    void disconnectSession(quint64 id);
    void approveCsr(qint64 id);
    void rejectCsr(qint64 id);
    void revokeCertificate(quint64 serial);
    void requestPkiSnapshot();

signals:
    void stateChanged(SeaCat::GatewayController::State state);
    void listening(const QHostAddress &address, quint16 port);
    void portChanged(quint16 port);
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
    void setState(State state);
    template<typename Slot> void invoke(Slot slot);

    QThread m_thread;
    GatewayEngine *m_engine;
    State m_state = State::Stopped;
    QHostAddress m_address;
    quint16 m_port = 0;
};

} // namespace SeaCat
