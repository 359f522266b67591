// What the admin window talks to, whichever gateway it administers: the engine in this process
// (GatewayController) or one on a server reached over its admin API (RemoteGateway, gui/).
// Commands are slots, events are GatewayEvents' signals plus the listener's state here; the
// views never learn which one they have.
#pragma once

#include "gatewayconfig.h"
#include "gatewayevents.h"

#include <QHostAddress>

namespace SeaCat {

class GatewayLink : public GatewayEvents
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayLink)

public:
    enum class State { Stopped, Starting, Listening, Stopping, Failed };
    Q_ENUM(State)

    State state() const { return m_state; }
    QHostAddress address() const { return m_address; }
    quint16 port() const { return m_port; }
    // The latest pkiStateChanged(), for a view opened while the gateway runs.
    PkiState pkiState() const { return m_pkiState; }
    // Whether start() and stop() run the engine, so that quitting the window stops it. A remote
    // gateway serves on when its window closes.
    virtual bool runsEngine() const = 0;

public slots:
    virtual void start(const SeaCat::GatewayConfig &config) = 0;
    virtual void stop() = 0;
    virtual void changePort(const QHostAddress &address, quint16 port, bool allowReserved) = 0;
    virtual void disconnectSession(quint64 id) = 0;
    // `actor` goes into the store's audit log with the decision ("gui", "admin-api 10.0.0.5").
    virtual void approveCsr(qint64 id, const QString &actor = QStringLiteral("gui")) = 0;
    virtual void rejectCsr(qint64 id, const QString &actor = QStringLiteral("gui")) = 0;
    virtual void revokeCertificate(quint64 serial, const QString &actor = QStringLiteral("gui")) = 0;
    // README "Reaching a device through its session": the new tunnel's id, which tunnelOpened()
    // or tunnelFailed() carries.
    virtual quint64 openTunnel(SeaCat::TunnelRequest request) = 0;

signals:
    void stateChanged(SeaCat::GatewayLink::State state);
    void listening(const QHostAddress &address, quint16 port);
    void portChanged(quint16 port);
    void failed(const QString &reason);
    void stopped();
    // A remote gateway out of reach: the link tries again in `retryInMs`; listening() follows
    // once it is back, after the sessions it serves are opened again.
    void linkLost(const QString &reason, int retryInMs);
    // A remote gateway's name and mode (toString(Mode)), as it reports them once reached; the
    // in-process window has them from its configuration.
    void described(const QString &name, const QString &mode);

protected:
    explicit GatewayLink(QObject *parent = nullptr);

    void setState(State state);
    // Listening there: listening() and, when the port moved, portChanged().
    void setListening(const QHostAddress &address, quint16 port);

private:
    State m_state = State::Stopped;
    QHostAddress m_address;
    quint16 m_port = 0;
    PkiState m_pkiState;
};

} // namespace SeaCat
