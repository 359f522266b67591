#include "devicetunnels.h"
#include "gatewaylimits.h"

#include <QTimer>

#include <sys/socket.h>

namespace SeaCat {

namespace {
// The gateway connection's queue above which local services are not read (one TLS record
// ahead is what keeps the kernel busy).
constexpr qint64 MaxQueuedToGatewayBytes = 64 * 1024;
// Bytes the gateway sent that one local service has not taken yet, before the gateway
// connection is not read (resumes below half).
constexpr qint64 MaxQueuedLocalBytes = 256 * 1024;
constexpr int MaxLinks = 64;
constexpr int LocalConnectTimeoutMs = 10'000;
// SOCKS5 reply codes (RFC 1928 §6), which §3.11 uses.
constexpr quint8 GeneralFailure = 1, NotAllowed = 2, HostUnreachable = 4, ConnectionRefused = 5, TimedOut = 6,
                 CommandNotSupported = 7, AddressTypeNotSupported = 8;
} // namespace

DeviceTunnels::DeviceTunnels(SeaCatClient *client, const QSet<quint16> &allowedPorts, QObject *parent)
    : QObject(parent), m_client(client), m_allowed(allowedPorts)
{
    connect(client, &SeaCatClient::socketsRequested, this, &DeviceTunnels::onRequest);
    connect(client, &SeaCatClient::tunnelData, this, &DeviceTunnels::onData);
    connect(client, &SeaCatClient::tunnelReset, this, &DeviceTunnels::onReset);
    connect(client, &SeaCatClient::bytesWritten, this, &DeviceTunnels::pumpAll);
}

DeviceTunnels::~DeviceTunnels()
{
    for (const Link &link : std::as_const(m_links))
        link.socket->abort();
}

void DeviceTunnels::onRequest(const SocketsRequest &request)
{
    const quint32 id = request.streamId;
    const auto refuse = [&](quint8 code, const QString &why) {
        emit log(QStringLiteral("stream %1: refused port %2: %3").arg(id).arg(request.port).arg(why));
        m_client->sendSocketsReply(id, code);
    };
    if (id % 2 != 0 || m_links.contains(id)) {
        m_client->resetTunnel(id, RstStatus::ProtocolError);
        return;
    }
    if (request.command != 1)
        return refuse(CommandNotSupported, QStringLiteral("command %1 is not connect").arg(request.command));
    if (request.addressType != 0xFE)
        return refuse(AddressTypeNotSupported, QStringLiteral("address type %1").arg(request.addressType));
    if (!m_allowed.contains(request.port))
        return refuse(NotAllowed, QStringLiteral("not an --allow-port"));
    if (m_links.size() >= MaxLinks)
        return refuse(GeneralFailure, QStringLiteral("%1 tunnel connections already").arg(MaxLinks));
    auto *socket = new QTcpSocket(this);
    socket->setReadBufferSize(Limits::TunnelReadBufferBytes);
    m_links.insert(id, {socket, request.port});
    connect(socket, &QTcpSocket::connected, this, [this, id] { onConnected(id); });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, id](QAbstractSocket::SocketError error) {
        if (const auto it = m_links.constFind(id); it != m_links.cend() && !it->open)
            onConnectFailed(id, error);
    });
    connect(socket, &QTcpSocket::readyRead, this, [this, id] { pump(id); });
    connect(socket, &QTcpSocket::bytesWritten, this, [this, id] {
        updateReadPause();
        finishIfDone(id);
    });
    connect(socket, &QTcpSocket::disconnected, this, [this, id] { onLocalGone(id); });
    QTimer::singleShot(LocalConnectTimeoutMs, socket, [this, id] {
        if (const auto it = m_links.constFind(id); it != m_links.cend() && !it->open)
            onConnectFailed(id, QAbstractSocket::SocketTimeoutError);
    });
    socket->connectToHost(QHostAddress(QHostAddress::LocalHost), request.port);
}

void DeviceTunnels::onConnected(quint32 streamId)
{
    const auto it = m_links.find(streamId);
    if (it == m_links.end())
        return;
    it->open = true;
    m_client->sendSocketsReply(streamId, 0);
    pump(streamId);
}

void DeviceTunnels::onConnectFailed(quint32 streamId, QAbstractSocket::SocketError error)
{
    const Link link = m_links.take(streamId);
    if (!link.socket)
        return;
    quint8 code = GeneralFailure;
    if (error == QAbstractSocket::ConnectionRefusedError)
        code = ConnectionRefused;
    else if (error == QAbstractSocket::SocketTimeoutError)
        code = TimedOut;
    else if (error == QAbstractSocket::NetworkError || error == QAbstractSocket::HostNotFoundError)
        code = HostUnreachable;
    emit log(
        QStringLiteral("stream %1: 127.0.0.1:%2: %3").arg(streamId).arg(link.port).arg(link.socket->errorString()));
    m_client->sendSocketsReply(streamId, code);
    link.socket->abort();
    link.socket->deleteLater();
}

void DeviceTunnels::pump(quint32 streamId)
{
    const auto it = m_links.find(streamId);
    if (it == m_links.end() || !it->open || it->toGatewayDone)
        return;
    QTcpSocket *socket = it->socket;
    while (m_client->bytesQueued() < MaxQueuedToGatewayBytes && socket->bytesAvailable() > 0)
        m_client->sendTunnelData(streamId, socket->read(Limits::MaxOutboundPayload), false);
    if (socket->bytesAvailable() > 0 || socket->state() == QAbstractSocket::ConnectedState)
        return;
    // The local service closed its side: FIN half-closes towards the gateway.
    it->toGatewayDone = true;
    m_client->sendTunnelData(streamId, {}, true);
    finishIfDone(streamId);
}

void DeviceTunnels::pumpAll()
{
    for (auto it = m_links.cbegin(); it != m_links.cend() && m_client->bytesQueued() < MaxQueuedToGatewayBytes; ++it)
        if (it->socket->bytesAvailable() > 0 || it->socket->state() != QAbstractSocket::ConnectedState)
            QMetaObject::invokeMethod(
                this, [this, id = it.key()] { pump(id); }, Qt::QueuedConnection);
}

void DeviceTunnels::onLocalGone(quint32 streamId)
{
    const auto it = m_links.find(streamId);
    if (it == m_links.end() || !it->open)
        return;
    if (it->socket->error() != QAbstractSocket::RemoteHostClosedError &&
        it->socket->error() != QAbstractSocket::UnknownSocketError) {
        m_client->resetTunnel(streamId, RstStatus::Cancel); // the local connection broke
        drop(streamId);
        return;
    }
    pump(streamId);
}

void DeviceTunnels::onData(quint32 streamId, const QByteArray &bytes, bool fin)
{
    const auto it = m_links.find(streamId);
    if (it == m_links.end() || !it->open) {
        m_client->resetTunnel(streamId, RstStatus::InvalidStream);
        return;
    }
    if (!bytes.isEmpty() && it->socket->state() == QAbstractSocket::ConnectedState)
        it->socket->write(bytes);
    if (fin)
        it->fromGatewayDone = true;
    updateReadPause();
    finishIfDone(streamId);
}

void DeviceTunnels::finishIfDone(quint32 streamId)
{
    const auto it = m_links.find(streamId);
    if (it == m_links.end() || !it->fromGatewayDone || it->socket->bytesToWrite() > 0)
        return;
    if (it->toGatewayDone || it->socket->state() != QAbstractSocket::ConnectedState) {
        drop(streamId);
        return;
    }
    if (!it->writeShut) { // the operator is done sending: the local service reads EOF
        it->writeShut = true;
        ::shutdown(int(it->socket->socketDescriptor()), SHUT_WR);
    }
}

void DeviceTunnels::onReset(quint32 streamId)
{
    if (m_links.contains(streamId))
        drop(streamId);
}

void DeviceTunnels::drop(quint32 streamId)
{
    const Link link = m_links.take(streamId);
    if (!link.socket)
        return;
    link.socket->disconnect(this);
    link.socket->abort();
    link.socket->deleteLater();
    updateReadPause();
}

void DeviceTunnels::updateReadPause()
{
    qint64 most = 0;
    for (const Link &link : std::as_const(m_links))
        most = qMax(most, link.socket->bytesToWrite());
    m_gatewayPaused = m_gatewayPaused ? most > MaxQueuedLocalBytes / 2 : most > MaxQueuedLocalBytes;
    m_client->setReadPaused(m_gatewayPaused);
}

} // namespace SeaCat
