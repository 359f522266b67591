#include "gatewaylink.h"

namespace SeaCat {

GatewayLink::GatewayLink(QObject *parent) : GatewayEvents(parent)
{
    qRegisterMetaType<SeaCat::SessionInfo>();
    qRegisterMetaType<QList<SeaCat::SessionInfo>>();
    qRegisterMetaType<SeaCat::LogLevel>();
    qRegisterMetaType<SeaCat::GatewayStats>();
    qRegisterMetaType<SeaCat::CsrInfo>();
    qRegisterMetaType<SeaCat::CertificateInfo>();
    qRegisterMetaType<QList<SeaCat::CsrInfo>>();
    qRegisterMetaType<QList<SeaCat::CertificateInfo>>();
    qRegisterMetaType<SeaCat::PkiState>();
    qRegisterMetaType<SeaCat::TunnelRequest>();
    qRegisterMetaType<SeaCat::TunnelInfo>();
    qRegisterMetaType<QList<SeaCat::TunnelInfo>>();
    connect(this, &GatewayEvents::pkiStateChanged, this, [this](const PkiState &state) { m_pkiState = state; });
}

void GatewayLink::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void GatewayLink::setListening(const QHostAddress &address, quint16 port)
{
    const bool portChange = m_port != port;
    m_address = address;
    m_port = port;
    setState(State::Listening);
    emit listening(address, port);
    if (portChange)
        emit portChanged(port);
}

} // namespace SeaCat
