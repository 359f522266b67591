#include "tunnel.h"
#include "gatewaylimits.h"
#include "portpolicy.h"
#include "tunnelstream.h"

namespace SeaCat {

Tunnel::Tunnel(const TunnelRequest &request, quint64 sessionId, const QString &clientTag, TunnelLink *link,
               QObject *parent)
    : QObject(parent), m_link(link), m_idleTimeoutMs(request.idleTimeoutMs)
{
    m_info.id = request.tunnelId;
    m_info.sessionId = sessionId;
    m_info.clientTag = clientTag;
    m_info.devicePort = request.devicePort;
    m_info.listenAddress = request.listenAddress.toString();
    m_info.listenPort = request.listenPort;
    m_info.owner = request.owner;
    m_info.created = m_info.lastActivity = QDateTime::currentDateTimeUtc();
    m_sinceActivity.start();
    m_server.setMaxPendingConnections(Limits::MaxTunnelConnections);
    connect(&m_server, &QTcpServer::newConnection, this, &Tunnel::accept);
    // Idle means no byte either way; checked a few times per timeout, not per byte.
    if (m_idleTimeoutMs > 0) {
        m_idleCheck.setInterval(qBound(100, m_idleTimeoutMs / 4, 30'000));
        connect(&m_idleCheck, &QTimer::timeout, this, [this] {
            if (m_sinceActivity.elapsed() >= m_idleTimeoutMs)
                emit idleTimedOut(m_info.id);
        });
        m_idleCheck.start();
    }
}

Tunnel::~Tunnel()
{
    abandon();
}

QString Tunnel::listen()
{
    if (!m_server.listen(QHostAddress(m_info.listenAddress), m_info.listenPort))
        return QStringLiteral("cannot listen on %1: %2")
            .arg(formatEndpoint(m_info.listenAddress, m_info.listenPort), m_server.errorString());
    m_info.listenPort = m_server.serverPort();
    return {};
}

TunnelInfo Tunnel::info() const
{
    TunnelInfo info = m_info;
    info.connections = int(m_streams.size());
    info.lastActivity = QDateTime::currentDateTimeUtc().addMSecs(-m_sinceActivity.elapsed());
    return info;
}

void Tunnel::setPaused(bool paused)
{
    m_paused = paused;
    for (TunnelStream *stream : std::as_const(m_streams))
        stream->setPaused(paused);
}

void Tunnel::abandon()
{
    m_server.close(); // the port is free at once
    for (TunnelStream *stream : std::exchange(m_streams, {})) {
        stream->abandon();
        stream->deleteLater();
    }
}

void Tunnel::accept()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        const QString peer = formatEndpoint(socket->peerAddress(), socket->peerPort());
        m_sinceActivity.start();
        if (m_streams.size() >= Limits::MaxTunnelConnections) {
            emit log(LogLevel::Warning, QStringLiteral("tunnel %1: refused %2: %3 connections already")
                                            .arg(m_info.id)
                                            .arg(peer)
                                            .arg(Limits::MaxTunnelConnections));
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *stream = new TunnelStream(socket, m_link, this);
        connect(stream, &TunnelStream::bytesMoved, this, [this](qint64 toDevice, qint64 fromDevice) {
            m_info.bytesToDevice += quint64(toDevice);
            m_info.bytesFromDevice += quint64(fromDevice);
            m_sinceActivity.start();
        });
        connect(stream, &TunnelStream::failed, this, [this, peer](const QString &reason) {
            emit log(LogLevel::Warning,
                     QStringLiteral("tunnel %1: connection from %2: %3").arg(m_info.id).arg(peer, reason));
        });
        connect(stream, &TunnelStream::finished, this, [this, stream] {
            m_streams.remove(stream);
            stream->deleteLater();
            m_sinceActivity.start();
        });
        if (!stream->start(m_info.devicePort)) {
            emit log(
                LogLevel::Warning,
                QStringLiteral("tunnel %1: refused %2: the session takes no more streams").arg(m_info.id).arg(peer));
            stream->deleteLater();
            continue;
        }
        ++m_info.connectionsTotal;
        m_streams.insert(stream);
        stream->setPaused(m_paused);
    }
}

} // namespace SeaCat
