// Value types of reverse tunnels (README "Reaching a device through its session", spec §3.11):
// what an operator asks for, and the snapshot of an open tunnel that crosses to observers.
#pragma once

#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QMetaType>
#include <QString>

namespace SeaCat {

struct TunnelRequest {
    quint64 tunnelId = 0;  // chosen by GatewayController::openTunnel()
    quint64 sessionId = 0; // 0: the newest authenticated session of `clientTag`
    QString clientTag;
    quint16 devicePort = 0; // the SeaCat port asked of the device
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 0; // 0: ephemeral
    QString owner;          // who asked ("gui", "admin-api 127.0.0.1")
    // Set by the engine from its configuration as the tunnel opens, so a reload applies to
    // the tunnels opened after it, whatever the age of the device's session. 0: none.
    int idleTimeoutMs = 0;
};

struct TunnelInfo {
    quint64 id = 0;
    quint64 sessionId = 0;
    QString clientTag;
    quint16 devicePort = 0;
    QString listenAddress;
    quint16 listenPort = 0;
    QString owner;
    QDateTime created;
    QDateTime lastActivity;
    int connections = 0; // operator connections open now
    quint64 connectionsTotal = 0;
    quint64 bytesToDevice = 0;
    quint64 bytesFromDevice = 0;
};

// §3.11: SOCKETS_REPLY codes are SOCKS5's (RFC 1928 §6); what an operator is told for each.
QString socketsReplyText(quint8 code);

} // namespace SeaCat

Q_DECLARE_METATYPE(SeaCat::TunnelRequest)
Q_DECLARE_METATYPE(SeaCat::TunnelInfo)
