// The device half of reverse tunnels (README "Reaching a device through its session",
// §3.11): answers the gateway's SOCKETS_REQUESTs on one SeaCatClient by connecting to
// 127.0.0.1:PORT for the allowed ports only, then carries DATA both ways with back-pressure:
// a local service is read only while the gateway connection has room, and the gateway is not
// read while a local service leaves more than MaxQueuedLocalBytes unread.
#pragma once

#include "client/seacatclient.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTcpSocket>

namespace SeaCat {

class DeviceTunnels final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeviceTunnels)

public:
    DeviceTunnels(SeaCatClient *client, const QSet<quint16> &allowedPorts, QObject *parent = nullptr);
    ~DeviceTunnels() override;

    int openLinks() const { return int(m_links.size()); }

signals:
    void log(const QString &message);

private:
    struct Link {
        QTcpSocket *socket = nullptr;
        quint16 port = 0;
        bool open = false;          // SOCKETS_REPLY 0 sent
        bool toGatewayDone = false; // FIN sent
        bool fromGatewayDone = false;
        bool writeShut = false;
    };
    void onRequest(const SocketsRequest &request);
    void onConnected(quint32 streamId);
    void onConnectFailed(quint32 streamId, QAbstractSocket::SocketError error);
    void onData(quint32 streamId, const QByteArray &bytes, bool fin);
    void onReset(quint32 streamId);
    void onLocalGone(quint32 streamId);
    void pump(quint32 streamId);
    void pumpAll();
    void finishIfDone(quint32 streamId);
    void drop(quint32 streamId);
    void updateReadPause();

    SeaCatClient *m_client;
    const QSet<quint16> m_allowed;
    QHash<quint32, Link> m_links;
    bool m_gatewayPaused = false;
};

} // namespace SeaCat
