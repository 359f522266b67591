// The caller-thread face of the engine, the in-process GatewayLink: owns the worker thread,
// forwards commands with queued calls and re-emits the engine's events (GatewayEvents, declared
// once) in the caller's thread. No state is shared with the engine; only value snapshots cross.
#pragma once

#include "gatewaylink.h"

#include <QThread>

namespace SeaCat {

class AccessLog;
class GatewayEngine;

class GatewayController final : public GatewayLink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayController)

public:
    explicit GatewayController(QObject *parent = nullptr);
    // Closes every session (close_notify) and joins the worker thread.
    ~GatewayController() override;

    bool runsEngine() const override { return true; }

    // README "Access log": where finished streams and rejected clients go. Call before start();
    // `log` must outlive this controller.
    void setAccessLog(AccessLog *log);

public slots:
    void start(const SeaCat::GatewayConfig &config) override;
    void stop() override;
    void setPort(quint16 port) { changePort(address(), port, false); }
    void changePort(const QHostAddress &address, quint16 port, bool allowReserved) override;
    void reload(const SeaCat::GatewayConfig &config);
    void disconnectSession(quint64 id) override;
    void approveCsr(qint64 id, const QString &actor = QStringLiteral("gui")) override;
    void rejectCsr(qint64 id, const QString &actor = QStringLiteral("gui")) override;
    void revokeCertificate(quint64 serial, const QString &actor = QStringLiteral("gui")) override;
    // README "Reaching a device through its session": returns the new tunnel's id, which
    // tunnelOpened() or tunnelFailed() carries.
    quint64 openTunnel(SeaCat::TunnelRequest request) override;
    void closeTunnel(quint64 tunnelId, const QString &actor = QStringLiteral("gui"));
    // Every event is inherited from GatewayLink and GatewayEvents.

private:
    template<typename Slot> void invoke(Slot slot);

    QThread m_thread;
    GatewayEngine *m_engine;
    quint64 m_nextTunnelId = 1;
};

} // namespace SeaCat
