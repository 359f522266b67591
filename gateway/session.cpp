#include "session.h"
#include "codec/framewriter.h"

#include <QSslCipher>

namespace SeaCat {

namespace {
constexpr int CloseGraceMs = 2'000;       // a peer that will not take close_notify is aborted
constexpr qsizetype ReadChunk = 16 * 1024;
} // namespace

Session::Session(quint64 id, QSslSocket *socket, const GatewayConfig &config, QObject *parent)
    : QObject(parent), m_socket(socket), m_config(config), m_reader(this, config.maxInboundPayload)
{
    m_socket->setParent(this);
    // Qt stops reading from the kernel when this fills: a flood waits in TCP, not in us.
    m_socket->setReadBufferSize(Limits::SocketReadBufferBytes);

    m_info.id = id;
    m_info.peerAddress = socket->peerAddress().toString();
    m_info.peerPort = socket->peerPort();
    const QSslCipher cipher = socket->sessionCipher();
    m_info.cipher = cipher.name();
    m_info.tlsProtocol = cipher.protocolString();
    m_info.since = m_info.lastActivity = QDateTime::currentDateTimeUtc();

    connect(m_socket, &QSslSocket::readyRead, this, &Session::readFromSocket);
    connect(m_socket, &QSslSocket::encryptedBytesWritten, this, &Session::onBytesWritten);
    connect(m_socket, &QSslSocket::disconnected, this, [this] {
        close(m_closeReason.isEmpty() ? QStringLiteral("peer closed the connection") : m_closeReason);
        if (!m_closedEmitted) {
            m_closedEmitted = true;
            emit closed(m_info.id, m_closeReason);
        }
    });

    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(m_config.idleTimeoutMs);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] { close(QStringLiteral("idle timeout")); });
    m_idleTimer.start();

    // README "Gateway modes": `authorized` drops connections that neither enrol nor authenticate.
    if (m_config.mode == GatewayMode::Authorized && m_info.clientId.isEmpty()) {
        m_enrolmentTimer.setSingleShot(true);
        m_enrolmentTimer.setInterval(m_config.authorizedGraceMs);
        connect(&m_enrolmentTimer, &QTimer::timeout, this,
                [this] { close(QStringLiteral("no enrolment traffic on an unauthenticated connection (authorized mode)")); });
        m_enrolmentTimer.start();
    }
    if (m_config.pingIntervalMs > 0) {
        m_pingTimer.setInterval(m_config.pingIntervalMs);
        connect(&m_pingTimer, &QTimer::timeout, this, &Session::sendPing);
        m_pingTimer.start();
    }
    m_closeTimer.setSingleShot(true);
    m_closeTimer.setInterval(CloseGraceMs);
    connect(&m_closeTimer, &QTimer::timeout, m_socket, &QSslSocket::abort);

    // Bytes that arrived with the handshake (and were peeked at by the sniffer) are waiting.
    QMetaObject::invokeMethod(this, &Session::readFromSocket, Qt::QueuedConnection);
}

Session::~Session() = default;

SessionInfo Session::info() const
{
    SessionInfo info = m_info;
    info.openStreams = int(m_streams.size());
    return info;
}

QString Session::peer() const
{
    return QStringLiteral("%1:%2").arg(m_info.peerAddress).arg(m_info.peerPort);
}

void Session::touch()
{
    m_info.lastActivity = QDateTime::currentDateTimeUtc();
    if (!m_closing)
        m_idleTimer.start();
}

void Session::readFromSocket()
{
    if (m_closing) {
        m_socket->skip(m_socket->bytesAvailable()); // nothing more is processed
        return;
    }
    char buffer[ReadChunk];
    bool any = false;
    while (!m_readPaused && !m_closing && m_socket->bytesAvailable() > 0) {
        const qint64 n = m_socket->read(buffer, sizeof buffer);
        if (n <= 0)
            break;
        any = true;
        m_info.bytesIn += quint64(n);
        if (m_reader.feed(buffer, n) != n)
            break; // the reader failed: onError closed the session
    }
    if (any) {
        touch();
        emit changed(m_info.id);
    }
}

void Session::onBytesWritten()
{
    if (m_readPaused && m_socket->encryptedBytesToWrite() + m_socket->bytesToWrite() <= Limits::MaxQueuedOutboundBytes / 2) {
        m_readPaused = false;
        readFromSocket();
    }
}

void Session::writeFrame(const QByteArray &frame)
{
    if (m_closing)
        return;
    Q_ASSERT(fitsOutbound(frame));
    m_socket->write(frame);
    ++m_info.framesOut;
    m_info.bytesOut += quint64(frame.size());
    touch();
    // A peer that sends but does not read: stop reading from it until it catches up.
    if (m_socket->encryptedBytesToWrite() + m_socket->bytesToWrite() > Limits::MaxQueuedOutboundBytes)
        m_readPaused = true;
}

void Session::respond(quint32 streamId, quint16 status, const QByteArray &body)
{
    // README "Requests": SYN_REPLY never carries FIN; a DATA frame with FIN ends the response.
    writeFrame(serialize(SynReply{streamId, false, status,
                                  {{"Content-Type", "text/plain; charset=utf-8"},
                                   {"Content-Length", QByteArray::number(body.size())}}}));
    writeFrame(serialize(DataFrame{streamId, true, body}));
    finishStreamSide(streamId, false);
}

void Session::resetStream(quint32 streamId, RstStatus status)
{
    writeFrame(serialize(RstStream{streamId, quint32(status)}));
    m_streams.remove(streamId);
}

void Session::finishStreamSide(quint32 streamId, bool remote)
{
    auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return;
    (remote ? it->remoteClosed : it->localClosed) = true;
    if (it->remoteClosed && it->localClosed)
        m_streams.erase(it);
}

void Session::noteEnrolmentTraffic()
{
    if (m_enrolmentTimer.isActive())
        m_enrolmentTimer.start();
}

void Session::onSynStream(const SynStream &frame)
{
    ++m_info.framesIn;
    // §4.1: client streams are odd; an id still open must not be reused.
    if (frame.streamId % 2 == 0 || m_streams.contains(frame.streamId)) {
        ++m_info.malformedFrames;
        emit log(LogLevel::Debug, QStringLiteral("%1: SYN_STREAM %2 %3, RST_STREAM 1")
                                      .arg(peer()).arg(frame.streamId)
                                      .arg(frame.streamId % 2 ? QStringLiteral("reuses an open id") : QStringLiteral("has an even id")));
        writeFrame(serialize(RstStream{frame.streamId, quint32(RstStatus::ProtocolError)}));
        return;
    }
    // README "Limits": excess streams are refused.
    if (m_streams.size() >= m_config.maxConcurrentStreams) {
        ++m_info.refusedStreams;
        writeFrame(serialize(RstStream{frame.streamId, quint32(RstStatus::RefusedStream)}));
        return;
    }
    ++m_info.streamsTotal;
    m_streams.insert(frame.streamId, Stream{frame.fin, false});

    // README "Gateway modes": without a valid client certificate only `anonymous` serves requests.
    if (m_info.clientId.isEmpty() && m_config.mode != GatewayMode::Anonymous) {
        respond(frame.streamId, 403, "403 Forbidden: this connection has no valid client certificate; enrol first.\n");
        return;
    }
    const QString host = normalizeRequestHost(frame.host);
    if (!m_config.hosts.contains(host)) {
        respond(frame.streamId, 404, QStringLiteral("404 Not Found: no backend is configured for host '%1'.\n").arg(host).toUtf8());
        return;
    }
    respond(frame.streamId, 501, "501 Not Implemented: backend proxying is not available in this build.\n");
}

void Session::onData(const DataFrame &frame)
{
    ++m_info.framesIn;
    auto it = m_streams.find(frame.streamId);
    if (it == m_streams.end()) {
        // §3.3: like the SDKs, answer DATA on an unknown stream with INVALID_STREAM.
        writeFrame(serialize(RstStream{frame.streamId, quint32(RstStatus::InvalidStream)}));
        return;
    }
    if (it->remoteClosed) {
        resetStream(frame.streamId, RstStatus::StreamAlreadyClosed);
        return;
    }
    // The response was already sent (no backend yet), so the body is consumed and dropped.
    if (frame.fin)
        finishStreamSide(frame.streamId, true);
}

void Session::onRstStream(const RstStream &frame)
{
    ++m_info.framesIn;
    m_streams.remove(frame.streamId);
}

void Session::onPing(const Ping &frame)
{
    ++m_info.framesIn;
    ++m_info.pingsReceived;
    // §3.5: echo odd (client) ids at once; even ids answer our own pings and need nothing.
    if (frame.id % 2 == 1)
        writeFrame(serialize(frame));
}

void Session::sendPing()
{
    writeFrame(serialize(Ping{m_nextPingId}));
    m_nextPingId = m_nextPingId >= 0x7FFFFFFE ? 2 : m_nextPingId + 2;
}

void Session::onCsr(const Csr &)
{
    ++m_info.framesIn;
    noteEnrolmentTraffic();
    // The CA that stores CSRs is not in this build: §3.9 flags 0 means "not stored", after
    // which the client waits and queries, and nothing is lost on either side.
    writeFrame(serialize(CsrReply{0}));
}

void Session::onCertQuery(const CertQuery &frame)
{
    ++m_info.framesIn;
    noteEnrolmentTraffic();
    // README "CERT_QUERY": nothing on record → "pending" (4 bytes, no flag), never 0x80.
    writeFrame(serialize(Cert{frame.queryId, frame.queryType, false, {}}));
}

void Session::onTelemetryCapabilities(const TelemetryCapabilities &frame)
{
    ++m_info.framesIn;
    // §3.12: the client re-sends until acknowledged.
    writeFrame(serialize(TelemetryAck{frame.serial}));
}

void Session::ignoreGatewayFrame(const char *name)
{
    // Frames only a gateway sends: a client sending them is confused, not dangerous.
    ++m_info.framesIn;
    ++m_info.unknownFrames;
    emit log(LogLevel::Debug, QStringLiteral("%1: ignored %2 from a client").arg(peer(), QLatin1String(name)));
}

void Session::onSynReply(const SynReply &) { ignoreGatewayFrame("SYN_REPLY"); }
void Session::onCert(const Cert &) { ignoreGatewayFrame("CERT"); }
void Session::onCsrReply(const CsrReply &) { ignoreGatewayFrame("CSR_REPLY"); }
void Session::onSocketsRequest(const SocketsRequest &) { ignoreGatewayFrame("SOCKETS_REQUEST"); }
void Session::onTelemetryAck(const TelemetryAck &) { ignoreGatewayFrame("TELEMETRY_ACK"); }
// No tunnels are opened by this gateway yet, so every reply is for nothing we asked.
void Session::onSocketsReply(const SocketsReply &) { ignoreGatewayFrame("SOCKETS_REPLY"); }

void Session::onUnknownFrame(quint16 version, quint16 type, quint8, quint32 length)
{
    // README "Unknown frames": ignored and counted.
    ++m_info.framesIn;
    ++m_info.unknownFrames;
    emit log(LogLevel::Debug, QStringLiteral("%1: ignored unknown control frame %2/%3 (%4 bytes)")
                                  .arg(peer()).arg(version, 4, 16, QLatin1Char('0')).arg(type, 4, 16, QLatin1Char('0')).arg(length));
}

void Session::onError(FrameError error, quint32 streamId, const QString &detail)
{
    ++m_info.malformedFrames;
    switch (errorScope(error)) {
    case ErrorScope::Frame:
        emit log(LogLevel::Debug, QStringLiteral("%1: dropped a malformed frame: %2").arg(peer(), detail));
        return;
    case ErrorScope::Stream:
        // README "Unknown frames": malformed frames → RST_STREAM 1.
        emit log(LogLevel::Debug, QStringLiteral("%1: stream %2: %3, RST_STREAM 1").arg(peer()).arg(streamId).arg(detail));
        resetStream(streamId, RstStatus::ProtocolError);
        return;
    case ErrorScope::Connection:
        // The framing is lost: close with close_notify.
        close(QStringLiteral("protocol error: %1 (%2)").arg(toString(error), detail));
        return;
    }
}

void Session::close(const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_closeReason = reason;
    m_idleTimer.stop();
    m_enrolmentTimer.stop();
    m_pingTimer.stop();
    m_streams.clear();
    emit log(LogLevel::Info, QStringLiteral("session %1 from %2 closing: %3").arg(m_info.id).arg(peer(), reason));
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        m_closeTimer.start();
        m_socket->disconnectFromHost(); // flushes, then sends close_notify
    }
    if (m_socket->state() == QAbstractSocket::UnconnectedState && !m_closedEmitted) {
        m_closedEmitted = true;
        // Queued, so the caller may still use this object on the way out.
        QMetaObject::invokeMethod(this, [this] { emit closed(m_info.id, m_closeReason); }, Qt::QueuedConnection);
    }
}

} // namespace SeaCat
