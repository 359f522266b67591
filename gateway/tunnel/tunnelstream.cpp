#include "tunnelstream.h"
#include "gatewaylimits.h"
#include "tunnelinfo.h"

#include <QTimer>

#include <sys/socket.h>

namespace SeaCat {

QString socketsReplyText(quint8 code)
{
    switch (code) {
    case 0:
        return QStringLiteral("connected");
    case 1:
        return QStringLiteral("the device failed to connect (general failure)");
    case 2:
        return QStringLiteral("the device does not allow this port (not allowed)");
    case 3:
        return QStringLiteral("the device's network is unreachable");
    case 4:
        return QStringLiteral("the device could not reach the port (unreachable)");
    case 5:
        return QStringLiteral("nothing listens on that port of the device (connection refused)");
    case 6:
        return QStringLiteral("the device's connection timed out");
    case 7:
        return QStringLiteral("the device does not support the connect command");
    case 8:
        return QStringLiteral("the device does not support SeaCat port addresses");
    }
    return QStringLiteral("the device failed to connect (reply code %1)").arg(code);
}

TunnelStream::TunnelStream(QTcpSocket *socket, TunnelLink *link, QObject *parent)
    : QObject(parent), m_socket(socket), m_link(link)
{
    m_socket->setParent(this);
    // What the operator sends waits in TCP, not here, while the device's session is full.
    m_socket->setReadBufferSize(Limits::TunnelReadBufferBytes);
    connect(m_socket, &QTcpSocket::readyRead, this, &TunnelStream::pumpToDevice);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        m_link->tunnelBuffersChanged();
        finishIfDone();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &TunnelStream::onOperatorGone);
}

TunnelStream::~TunnelStream() = default;

bool TunnelStream::start(quint16 port)
{
    m_port = port;
    m_streamId = m_link->openTunnelStream(this, port);
    if (!m_streamId) {
        m_ended = true;
        m_socket->abort();
        return false;
    }
    QTimer::singleShot(Limits::TunnelReplyTimeoutMs, this, [this] {
        if (m_open || m_ended)
            return;
        emit failed(
            QStringLiteral("no SOCKETS_REPLY from the device within %1 s").arg(Limits::TunnelReplyTimeoutMs / 1000));
        m_link->resetTunnelStream(m_streamId, RstStatus::Cancel);
        end();
        m_socket->abort();
    });
    return true;
}

qint64 TunnelStream::pendingToOperator() const
{
    return m_socket->bytesToWrite();
}

void TunnelStream::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused && !m_pumpQueued) {
        m_pumpQueued = true;
        QMetaObject::invokeMethod(this, &TunnelStream::pumpToDevice, Qt::QueuedConnection);
    }
}

void TunnelStream::pumpToDevice()
{
    m_pumpQueued = false;
    if (!m_open || m_toDeviceClosed || m_ended)
        return;
    // One frame at a time, as long as the session's output has room (§2.2: 16 KiB frames).
    while (!m_paused && !m_ended && !m_link->tunnelOutputFull() && m_socket->bytesAvailable() > 0) {
        const QByteArray chunk = m_socket->read(Limits::MaxOutboundPayload);
        if (chunk.isEmpty())
            break;
        emit bytesMoved(chunk.size(), 0);
        m_link->sendTunnelData(m_streamId, chunk, false);
    }
    if (m_ended || m_socket->bytesAvailable() > 0 || m_socket->state() == QAbstractSocket::ConnectedState)
        return;
    // The operator finished sending: FIN half-closes towards the device (§3.11).
    m_toDeviceClosed = true;
    m_link->sendTunnelData(m_streamId, {}, true);
    finishIfDone();
    if (m_ended)
        return;
    // Qt closes a socket at its peer's FIN, so nothing the device still sends can reach the
    // operator: the device gets a while to end its side, then a reset.
    QTimer::singleShot(Limits::TunnelLingerMs, this, [this] {
        if (m_ended)
            return;
        m_link->resetTunnelStream(m_streamId, RstStatus::Cancel);
        end();
    });
}

void TunnelStream::onOperatorGone()
{
    if (m_ended)
        return;
    if (!m_open) {
        m_link->resetTunnelStream(m_streamId, RstStatus::Cancel);
        end();
        return;
    }
    if (m_socket->error() != QAbstractSocket::RemoteHostClosedError &&
        m_socket->error() != QAbstractSocket::UnknownSocketError) {
        // The operator's connection broke (reset, not a FIN): so does the stream.
        m_link->resetTunnelStream(m_streamId, RstStatus::Cancel);
        end();
        return;
    }
    pumpToDevice(); // what is left in our buffer, then FIN
}

void TunnelStream::onReply(quint8 code)
{
    if (m_open || m_ended)
        return;
    if (code != 0) {
        emit failed(
            QStringLiteral("device port %1: %2 (SOCKETS_REPLY %3)").arg(m_port).arg(socketsReplyText(code)).arg(code));
        m_link->tunnelStreamEnded(m_streamId);
        end();
        m_socket->close();
        return;
    }
    m_open = true;
    pumpToDevice();
}

void TunnelStream::onData(const QByteArray &payload, bool fin)
{
    if (m_ended)
        return;
    if (!payload.isEmpty() && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->write(payload);
        emit bytesMoved(0, payload.size());
        m_link->tunnelBuffersChanged();
    }
    if (fin) {
        m_fromDeviceClosed = true;
        finishIfDone();
    }
}

void TunnelStream::finishIfDone()
{
    if (m_ended || !m_fromDeviceClosed || m_socket->bytesToWrite() > 0)
        return;
    if (m_toDeviceClosed || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_link->tunnelStreamEnded(m_streamId);
        end();
        m_socket->close();
        return;
    }
    if (m_writeShut)
        return;
    // The device's side is done and delivered: the operator reads EOF and may still send.
    m_writeShut = true;
    ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
}

void TunnelStream::onReset(quint32 status)
{
    if (m_ended)
        return;
    emit failed(QStringLiteral("the device reset the stream (status %1)").arg(status));
    end();
    m_socket->abort();
}

void TunnelStream::abandon()
{
    m_ended = true;
    m_socket->abort();
}

void TunnelStream::end()
{
    // Before the socket is closed: closing emits disconnected(), which must find us done.
    if (std::exchange(m_ended, true))
        return;
    emit finished();
}

} // namespace SeaCat
