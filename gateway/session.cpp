#include "session.h"
#include "backend/backendexchange.h"
#include "codec/framewriter.h"
#include "pki/pkiservice.h"

#include <QSslCipher>

namespace SeaCat {

namespace {
constexpr int CloseGraceMs = 2'000;       // a peer that will not take close_notify is aborted
constexpr qsizetype ReadChunk = 16 * 1024;
} // namespace

Session::Session(quint64 id, QSslSocket *socket, const GatewayConfig &config, BackendPool *pool, PkiService *pki,
                 QObject *parent)
    : QObject(parent), m_socket(socket), m_config(config), m_reader(this, config.maxInboundPayload), m_pool(pool), m_pki(pki)
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
    authenticate();

    connect(m_socket, &QSslSocket::readyRead, this, &Session::readFromSocket);
    connect(m_socket, &QSslSocket::encryptedBytesWritten, this, &Session::onBytesWritten);
    connect(m_socket, &QSslSocket::disconnected, this, [this] {
        close(QStringLiteral("peer closed the connection")); // no-op when we were closing already
        announceClosed();
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

    if (!m_logLater.isEmpty())
        QMetaObject::invokeMethod(this, [this] { emit log(LogLevel::Info, m_logLater); }, Qt::QueuedConnection);
    // Bytes that arrived with the handshake (and were peeked at by the sniffer) are waiting.
    QMetaObject::invokeMethod(this, &Session::readFromSocket, Qt::QueuedConnection);
}

Session::~Session() = default;

void Session::authenticate()
{
    // README "Client certificates": the TLS layer only asked; the store decides.
    const QSslCertificate peerCert = m_socket->peerCertificate();
    if (peerCert.isNull())
        return;
    const QByteArray der = peerCert.toDer();
    QString why;
    if (const auto cert = m_pki->authenticate(der, &why)) {
        m_info.clientId = cert->clientId;
        m_info.clientTag = cert->clientTag;
        m_info.certificateSerial = cert->serial;
        m_info.certificateSubject = cert->subject;
    } else {
        // Treated as anonymous: it may still enrol or renew (§12 #6). Logged once the engine
        // has connected to our log signal, i.e. after this constructor.
        m_enrollingClientId = CertificateAuthority::clientOfCertificate(der).id;
        m_logLater = QStringLiteral("client certificate of %1 not accepted (%2): anonymous").arg(peer(), why);
    }
}

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
    updateFlowControl();
}

void Session::updateFlowControl()
{
    if (m_closing)
        return;
    // Hysteresis: pause above the limit, resume below half of it.
    const qint64 queued = m_socket->encryptedBytesToWrite() + m_socket->bytesToWrite();
    const bool clientBehind = m_backendsPaused ? queued > Limits::MaxQueuedOutboundBytes / 2
                                               : queued > Limits::MaxQueuedOutboundBytes;
    if (clientBehind != m_backendsPaused) {
        m_backendsPaused = clientBehind;
        for (const Stream &stream : std::as_const(m_streams))
            if (stream.exchange)
                stream.exchange->setPaused(clientBehind);
    }
    bool uploadBehind = false;
    for (const Stream &stream : std::as_const(m_streams))
        uploadBehind = uploadBehind
            || (stream.exchange && stream.exchange->pendingUpload() > (m_readPaused ? Limits::MaxQueuedUploadBytes / 2
                                                                                     : Limits::MaxQueuedUploadBytes));
    const bool pause = clientBehind || uploadBehind;
    if (pause == m_readPaused)
        return;
    m_readPaused = pause;
    if (!pause)
        QMetaObject::invokeMethod(this, &Session::readFromSocket, Qt::QueuedConnection);
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
    emit changed(m_info.id); // a download-only session must publish its bytes out too
    // A peer that sends but does not read: stop reading from it until it catches up.
    updateFlowControl();
}

void Session::noteStream(quint32 streamId, const QString &what)
{
    m_info.recentStreams.append(QStringLiteral("%1 %2").arg(streamId).arg(what));
    if (m_info.recentStreams.size() > SessionInfo::MaxRecentStreams)
        m_info.recentStreams.removeFirst();
}

void Session::countResponse(int status)
{
    ++m_info.responsesByClass[qBound(1, status / 100, 5)];
}

void Session::respond(quint32 streamId, quint16 status, const QByteArray &body)
{
    countResponse(status);
    noteStream(streamId, QStringLiteral("→ %1").arg(status));
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
    dropStream(streamId);
}

void Session::dropStream(quint32 streamId)
{
    detachExchange(streamId);
    m_streams.remove(streamId);
}

void Session::detachExchange(quint32 streamId)
{
    auto it = m_streams.find(streamId);
    if (it == m_streams.end() || !it->exchange)
        return;
    it->exchange->disconnect(this); // nothing it still emits concerns this stream any more
    it->exchange->deleteLater();    // aborts the backend request if it still runs
    it->exchange = nullptr;
}

void Session::finishStreamSide(quint32 streamId, bool remote)
{
    auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return;
    (remote ? it->remoteClosed : it->localClosed) = true;
    if (it->remoteClosed && it->localClosed)
        dropStream(streamId);
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
    ++m_info.requests;
    m_streams.insert(frame.streamId, Stream{frame.fin, false, nullptr});
    noteStream(frame.streamId, QStringLiteral("%1 %2%3").arg(QString::fromUtf8(frame.method.left(16)), QString::fromUtf8(frame.host.left(64)),
                                                             QString::fromUtf8(frame.path.left(80))));

    // README "Limits": a head that breaks HTTP/1.1's grammar or the limits goes no further.
    const auto route = routeRequest(frame);
    if (const auto *error = std::get_if<MappingError>(&route)) {
        refuse(frame.streamId, *error);
        return;
    }
    // README "Gateway modes": without a valid client certificate only `anonymous` serves requests.
    if (m_info.clientId.isEmpty() && m_config.mode != GatewayMode::Anonymous) {
        respond(frame.streamId, 403, "403 Forbidden: this connection has no valid client certificate; enrol first.\n");
        return;
    }
    const QString host = std::get<RequestRoute>(route).hostKey;
    const auto backend = m_config.hosts.constFind(host);
    if (backend == m_config.hosts.cend()) {
        respond(frame.streamId, 404, QStringLiteral("404 Not Found: no backend is configured for host '%1'.\n").arg(host).toUtf8());
        return;
    }
    proxy(frame, std::get<RequestRoute>(route), *backend);
}

void Session::refuse(quint32 streamId, const MappingError &error)
{
    const QByteArray text = error.status == 431 ? " Request Header Fields Too Large: " : " Bad Request: ";
    respond(streamId, error.status, QByteArray::number(error.status) + text + error.reason + ".\n");
}

void Session::proxy(const SynStream &frame, const RequestRoute &route, const QUrl &base)
{
    const quint32 id = frame.streamId;
    auto mapped = mapRequest(frame, route, base, {m_info.peerAddress, m_info.clientId, m_info.clientTag}, m_config.forwardHeaders);
    if (const auto *error = std::get_if<MappingError>(&mapped)) {
        refuse(id, *error);
        return;
    }
    auto *exchange = new BackendExchange(m_pool, std::get<BackendRequest>(std::move(mapped)), m_config.backendConnectTimeoutMs,
                                         m_config.backendResponseTimeoutMs, this);
    m_streams[id].exchange = exchange;

    connect(exchange, &BackendExchange::responseHead, this, [this, id, exchange](int status, const HeaderList &headers) {
        const QByteArray reply = serialize(SynReply{id, false, quint16(status), mapResponseHeaders(headers)});
        if (!fitsOutbound(reply)) {
            // §2.2: the client cannot take a head over 16 KiB.
            detachExchange(id);
            respond(id, 502, "502 Bad Gateway: the backend's response headers do not fit a SeaCat frame.\n");
            return;
        }
        ++m_info.backendResponses;
        m_info.backendLatencyMsTotal += quint64(qMax<qint64>(0, exchange->latencyMs()));
        countResponse(status);
        noteStream(id, QStringLiteral("→ %1 (%2 ms)").arg(status).arg(exchange->latencyMs()));
        writeFrame(reply);
    });
    connect(exchange, &BackendExchange::responseBody, this, [this, id](const QByteArray &bytes) {
        // README "Requests": DATA frames of at most 16 384 bytes in total.
        for (qsizetype pos = 0; pos < bytes.size(); pos += Limits::MaxOutboundPayload)
            writeFrame(serialize(DataFrame{id, false, bytes.mid(pos, Limits::MaxOutboundPayload)}));
    });
    connect(exchange, &BackendExchange::finished, this, [this, id] {
        writeFrame(serialize(DataFrame{id, true, {}}));
        finishStreamSide(id, false);
    });
    connect(exchange, &BackendExchange::failed, this,
            [this, id, host = base.host()](BackendExchange::Failure failure, const QString &detail, bool headSent) {
        emit log(LogLevel::Warning, QStringLiteral("%1: stream %2: backend %3: %4").arg(peer()).arg(id).arg(host, detail));
        const bool timeout = failure == BackendExchange::Failure::Timeout;
        if (headSent) {
            // §5.4: a response already under way can only be cut.
            resetStream(id, timeout ? RstStatus::ResponseTimeout : RstStatus::InternalError);
            return;
        }
        detachExchange(id);
        if (timeout)
            respond(id, 504, QStringLiteral("504 Gateway Timeout: the backend did not answer in time (%1).\n").arg(detail).toUtf8());
        else
            respond(id, 502, QStringLiteral("502 Bad Gateway: the backend is unreachable or broken (%1).\n").arg(detail).toUtf8());
    });
    connect(exchange, &BackendExchange::uploadProgressed, this, &Session::updateFlowControl);
    if (m_backendsPaused)
        exchange->setPaused(true);
    exchange->start();
    // Without a body the length is 0 or absent (mapRequest refuses the rest): nothing to break.
    if (frame.fin)
        (void)exchange->finishBody();
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
    // Streamed to the backend as it arrives; dropped when the answer was already given.
    if (BackendExchange *exchange = it->exchange) {
        if (!exchange->writeBody(frame.payload)) {
            // README "Requests": bytes past Content-Length would reach the backend as a request.
            emit log(LogLevel::Warning, QStringLiteral("%1: stream %2: body longer than its Content-Length, RST_STREAM 1").arg(peer()).arg(frame.streamId));
            resetStream(frame.streamId, RstStatus::ProtocolError);
            return;
        }
        if (frame.fin && !exchange->finishBody()) {
            emit log(LogLevel::Warning, QStringLiteral("%1: stream %2: body shorter than its Content-Length").arg(peer()).arg(frame.streamId));
            if (exchange->responseStarted()) {
                resetStream(frame.streamId, RstStatus::ProtocolError);
                return;
            }
            detachExchange(frame.streamId);
            refuse(frame.streamId, {400, "the body is shorter than its Content-Length"});
        }
        updateFlowControl();
    }
    if (frame.fin)
        finishStreamSide(frame.streamId, true);
}

void Session::onRstStream(const RstStream &frame)
{
    ++m_info.framesIn;
    dropStream(frame.streamId); // a client reset aborts the backend request
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

void Session::onCsr(const Csr &frame)
{
    ++m_info.framesIn;
    noteEnrolmentTraffic();
    const PkiService::CsrResult result = m_pki->submitCsr(frame.der, peer());
    if (!result.client.isNull())
        m_enrollingClientId = result.client.id;
    emit log(result.outcome == PkiService::CsrOutcome::Rejected ? LogLevel::Warning : LogLevel::Info,
             QStringLiteral("%1: %2").arg(peer(), result.message));
    // §3.9: 0x03 approved at once, 0x01 stored, 0x04 rejected. Answered at once, well inside 20 s.
    const quint8 flags = result.outcome == PkiService::CsrOutcome::Approved ? (FrameFlag::CsrStored | FrameFlag::CsrApproved)
        : result.outcome == PkiService::CsrOutcome::Stored                 ? FrameFlag::CsrStored
                                                                           : FrameFlag::CsrRejected;
    writeFrame(serialize(CsrReply{flags}));
}

void Session::onCertQuery(const CertQuery &frame)
{
    ++m_info.framesIn;
    noteEnrolmentTraffic();
    // §3.7: anonymous queries carry the key; authenticated ones are known by the TLS certificate.
    QString clientId = m_info.clientId;
    if (!frame.publicKey.isEmpty())
        clientId = clientKeyIdFromKeyBytes(frame.publicKey).id;
    else if (clientId.isEmpty())
        clientId = m_enrollingClientId;
    if (!clientId.isEmpty())
        m_enrollingClientId = clientId;
    QByteArray der;
    const PkiService::CertAnswer answer = m_pki->queryCertificate(clientId, &der);
    Cert reply{frame.queryId, frame.queryType, answer == PkiService::CertAnswer::NotFound, der};
    QByteArray bytes = serialize(reply);
    if (!fitsOutbound(bytes)) {
        emit log(LogLevel::Warning, QStringLiteral("%1: certificate of %2 bytes does not fit a frame").arg(peer()).arg(der.size()));
        bytes = serialize(Cert{frame.queryId, frame.queryType, false, {}});
    }
    writeFrame(bytes);
}

void Session::onTelemetryCapabilities(const TelemetryCapabilities &frame)
{
    ++m_info.framesIn;
    m_pki->storeTelemetry(m_info.clientId.isEmpty() ? m_enrollingClientId : m_info.clientId, frame.serial, frame.blob);
    // §3.12 / decision #17: NUL-separated "key 0x1F value" entries; tolerate anything.
    m_info.telemetry.clear();
    for (const QByteArray &entry : frame.blob.split('\0')) {
        if (entry.isEmpty() || m_info.telemetry.size() >= SessionInfo::MaxTelemetryEntries)
            continue;
        m_info.telemetry.append(QString::fromUtf8(entry.left(256)).replace(QChar(0x1F), u'='));
    }
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
    for (quint32 id : m_streams.keys())
        dropStream(id);
    emit log(LogLevel::Info, QStringLiteral("session %1 from %2 closing: %3").arg(m_info.id).arg(peer(), reason));
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        m_closeTimer.start();
        m_socket->disconnectFromHost(); // flushes, then sends close_notify
    }
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        announceClosed();
}

void Session::announceClosed()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    // Queued, so the caller may still use this object on the way out.
    QMetaObject::invokeMethod(this, [this] { emit closed(m_info.id, m_closeReason); }, Qt::QueuedConnection);
}

} // namespace SeaCat
