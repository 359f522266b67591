#include "gatewaymirror.h"

namespace SeaCat {

GatewayMirror::GatewayMirror(GatewayController *controller, QObject *parent) : QObject(parent), m_controller(controller)
{
    connect(controller, &GatewayEvents::sessionOpened, this,
            [this](const SessionInfo &info) { m_sessions.insert_or_assign(info.id, info); });
    connect(controller, &GatewayEvents::sessionClosed, this, [this](quint64 id) { m_sessions.erase(id); });
    connect(controller, &GatewayEvents::sessionsUpdated, this, [this](const QList<SessionInfo> &sessions) {
        for (const SessionInfo &info : sessions)
            if (auto it = m_sessions.find(info.id); it != m_sessions.end())
                it->second = info;
    });
    connect(controller, &GatewayEvents::statsUpdated, this, [this](const GatewayStats &stats) { m_stats = stats; });
    connect(controller, &GatewayEvents::pkiStateChanged, this, [this](const PkiState &state) { m_pki = state; });
    connect(controller, &GatewayEvents::tunnelOpened, this,
            [this](const TunnelInfo &info) { m_tunnels.insert_or_assign(info.id, info); });
    connect(controller, &GatewayEvents::tunnelClosed, this, [this](quint64 id) { m_tunnels.erase(id); });
    connect(controller, &GatewayEvents::tunnelsUpdated, this, [this](const QList<TunnelInfo> &tunnels) {
        for (const TunnelInfo &info : tunnels)
            if (auto it = m_tunnels.find(info.id); it != m_tunnels.end())
                it->second = info;
    });
    connect(controller, &GatewayController::stopped, this, [this] {
        m_sessions.clear();
        m_tunnels.clear();
    });
}

GatewayMirror::~GatewayMirror() = default;

const SessionInfo *GatewayMirror::session(quint64 id) const
{
    const auto it = m_sessions.find(id);
    return it == m_sessions.end() ? nullptr : &it->second;
}

const CsrInfo *GatewayMirror::pendingCsr(qint64 id) const
{
    for (const CsrInfo &csr : pki().pendingCsrs)
        if (csr.id == id)
            return &csr;
    return nullptr;
}

const CertificateInfo *GatewayMirror::certificate(quint64 serial) const
{
    for (const CertificateInfo &certificate : pki().certificates)
        if (certificate.serial == serial)
            return &certificate;
    return nullptr;
}

} // namespace SeaCat
