// The caller-thread face of the engine: owns the worker thread, forwards
// commands with queued calls and re-emits the engine's events (GatewayEvents, declared once)
// in the caller's thread. No state is shared with the engine; only value snapshots cross.
#pragma once

#include "gatewayconfig.h"
#include "gatewayevents.h"

#include <QHostAddress>
#include <QObject>
#include <QThread>

namespace SeaCat {

class AccessLog;
class GatewayEngine;

class GatewayController final : public GatewayEvents
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
    // The latest pkiStateChanged(), for a view opened while the gateway runs.
    PkiState pkiState() const { return m_pkiState; }

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
    // `actor` goes into the store's audit log with the decision ("gui", "admin-api 10.0.0.5").
    void approveCsr(qint64 id, const QString &actor = QStringLiteral("gui"));
    void rejectCsr(qint64 id, const QString &actor = QStringLiteral("gui"));
    void revokeCertificate(quint64 serial, const QString &actor = QStringLiteral("gui"));
    // README "Reaching a device through its session": returns the new tunnel's id, which
    // tunnelOpened() or tunnelFailed() carries.
    quint64 openTunnel(SeaCat::TunnelRequest request);
    void closeTunnel(quint64 tunnelId, const QString &actor = QStringLiteral("gui"));

signals:
    void stateChanged(SeaCat::GatewayController::State state);
    void listening(const QHostAddress &address, quint16 port);
    void portChanged(quint16 port);
    void failed(const QString &reason);
    void stopped();
    // Every other event is inherited from GatewayEvents.

private:
    void setState(State state);
    template<typename Slot> void invoke(Slot slot);

    QThread m_thread;
    GatewayEngine *m_engine;
    State m_state = State::Stopped;
    QHostAddress m_address;
    quint16 m_port = 0;
    PkiState m_pkiState;
    quint64 m_nextTunnelId = 1;
};

} // namespace SeaCat
