#include "portpolicy.h"

#include <QAbstractSocket>

namespace SeaCat {

QString formatEndpoint(const QString &address, quint16 port)
{
    return address.contains(u':') ? QStringLiteral("[%1]:%2").arg(address).arg(port)
                                  : QStringLiteral("%1:%2").arg(address).arg(port);
}

QString formatEndpoint(const QHostAddress &address, quint16 port)
{
    return formatEndpoint(address.toString(), port);
}

PortAdvice portAdvice(quint16 port)
{
    if (port == 0 || port == DefaultPort)
        return PortAdvice::Recommended;
    if (port == 80)
        return PortAdvice::ReservedPort80;
    return port <= 1024 ? PortAdvice::Reserved : PortAdvice::Custom;
}

bool isReserved(PortAdvice advice)
{
    return advice == PortAdvice::ReservedPort80 || advice == PortAdvice::Reserved;
}

PortVerdict checkPort(quint16 port, bool allowReserved)
{
    const PortAdvice advice = portAdvice(port);
    if (advice == PortAdvice::Recommended)
        return {};
    if (isReserved(advice)) {
        const QString why = advice == PortAdvice::ReservedPort80
                                ? QStringLiteral("port 80 reaches only about 67 % of networks (443: about 95 %)")
                                : QStringLiteral("ports up to 1024 are reserved for other services");
        if (!allowReserved)
            return {false, QStringLiteral("port %1 refused: %2; use 443 (recommended) or a port above 1024, "
                                          "or confirm with --allow-reserved-port")
                               .arg(port)
                               .arg(why)};
        return {true, QStringLiteral("port %1 allowed by --allow-reserved-port: %2").arg(port).arg(why)};
    }
    return {true, QStringLiteral("custom port %1 reaches about 86 % of networks; 443 reaches about 95 %").arg(port)};
}

bool bindFailedForPrivilege(int socketError)
{
    return socketError == QAbstractSocket::SocketAccessError;
}

QString explainBindFailure(const QHostAddress &address, quint16 port, int socketError, const QString &detail)
{
    const QString where = formatEndpoint(address, port);
    switch (socketError) {
    case QAbstractSocket::SocketAccessError:
        return QStringLiteral("cannot listen on %1: binding a port up to 1024 needs privilege. Fixes: "
                              "`sudo setcap cap_net_bind_service=+ep <path to seacat-gateway>`, or in a systemd unit "
                              "AmbientCapabilities=CAP_NET_BIND_SERVICE, or choose a port above 1024 (--port 8443)")
            .arg(where);
    case QAbstractSocket::AddressInUseError:
        return QStringLiteral("cannot listen on %1: the port is in use by another program. Fixes: stop it "
                              "(`ss -ltnp 'sport = :%2'` shows which) or choose another port")
            .arg(where)
            .arg(port);
    case QAbstractSocket::SocketAddressNotAvailableError:
        return QStringLiteral("cannot listen on %1: this machine has no such address. Fix: --listen 0.0.0.0 "
                              "or one of this machine's addresses")
            .arg(where);
    default:
        return QStringLiteral("cannot listen on %1: %2").arg(where, detail);
    }
}

} // namespace SeaCat
