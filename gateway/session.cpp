#include "session.h"
#include "codec/framewriter.h"
#include "pki/clientidentity.h"
#include "metrics.h"
#include "pkifacade.h"
#include "sessionenrolment.h"
#include "tls/socketbuffers.h"
#include "tunnel/tunnel.h"

#include <QSslCipher>
#include <QTimer>
#include <QTimerEvent>

#include <algorithm>

namespace SeaCat {

namespace {
constexpr int CloseGraceMs = 2'000;              // a peer that will not take close_notify is aborted
constexpr qsizetype SocketReadChunk = 16 * 1024; // one stack buffer per read call

// README "Access log": the error field of a stream the gateway reset.
QByteArray errorToken(StreamError error)
{
    switch (error) {
    case StreamError::EvenStreamId:
        return QByteArrayLiteral("even-stream-id");
    case StreamError::StreamIdInUse:
        return QByteArrayLiteral("stream-id-in-use");
    case StreamError::StreamIdNotIncreasing:
        return QByteArrayLiteral("stream-id-not-increasing");
    case StreamError::UnknownStream:
        return QByteArrayLiteral("unknown-stream");
    case StreamError::DataAfterFin:
        return QByteArrayLiteral("data-after-fin");
    case StreamError::TooManyStreams:
        return QByteArrayLiteral("too-many-streams");
    case StreamError::BodyLengthMismatch:
        return QByteArrayLiteral("body-length");
    }
    return {};
}
// Output is handed to TLS at least this often: one full TLS record (RFC 5246 §6.2.1), so a
// long response streams instead of gathering, and m_output stays bounded.
constexpr qsizetype OutputFlushBytes = 16 * 1024;
} // namespace

Session::Session(quint64 id, QSslSocket *socket, const GatewayConfig &config, BackendPool *pool, PkiFacade *pki,
                 QObject *parent)
    : QObject(parent), m_socket(socket), m_config(config), m_reader(this, config.maxInboundPayload), m_pool(pool),
      m_pki(pki), m_resetBudget(TokenBucket::perSecond(config.resetBurst, config.resetsPerSecond)),
      m_glitchBudget(TokenBucket::perSecond(config.glitchBurst, config.glitchesPerSecond))
{
    m_socket->setParent(this);
    // Qt stops reading from the kernel when this fills: a flood waits in TCP, not in us.
    m_socket->setReadBufferSize(Limits::SocketReadBufferBytes);
    trimSocketBuffers(m_socket); // ~20 KiB less per session, idle ones included

    m_info.id = id;
    Metrics::add(Counter::SessionsOpened);
    m_info.peerAddress = socket->peerAddress().toString();
    m_info.peerPort = socket->peerPort();
    const QSslCipher cipher = socket->sessionCipher();
    m_info.cipher = cipher.name();
    m_info.tlsProtocol = cipher.protocolString();
    m_info.since = m_info.lastActivity = QDateTime::currentDateTimeUtc();
    m_clock.start();
    const QString enrollingClientId = authenticate();
    m_enrolment = new SessionEnrolment(
        pki, config, m_info.clientId, m_info.certificateSerial, [this](const QByteArray &frame) { writeFrame(frame); },
        this);
    m_enrolment->setEnrollingClientId(enrollingClientId);
    connect(m_enrolment, &SessionEnrolment::log, this, &Session::log);
    connect(m_enrolment, &SessionEnrolment::graceExpired, this, [this] {
        close(QStringLiteral("no enrolment traffic on an unauthenticated connection (authorized mode)"));
    });

    connect(m_socket, &QSslSocket::readyRead, this, &Session::readFromSocket);
    connect(m_socket, &QSslSocket::encryptedBytesWritten, this, &Session::onBytesWritten);
    connect(m_socket, &QSslSocket::disconnected, this, [this] {
        close(QStringLiteral("peer closed the connection")); // no-op when we were closing already
        announceClosed();
    });

    m_idleTimer.start(m_config.idleTimeoutMs, this);
    if (m_config.pingIntervalMs > 0)
        m_pingTimer.start(m_config.pingIntervalMs, this);

    if (!m_logLater.isEmpty())
        QMetaObject::invokeMethod(
            this, [this] { emit log(LogLevel::Info, m_logLater); }, Qt::QueuedConnection);
    // Bytes that arrived with the handshake (and were peeked at by the sniffer) are waiting.
    QMetaObject::invokeMethod(this, &Session::readFromSocket, Qt::QueuedConnection);
}

Session::~Session()
{
    Metrics::add(Counter::SessionsClosed);
}

QString Session::authenticate()
{
    // README "Client certificates": the TLS layer only asked; the store decides.
    const QSslCertificate peerCert = m_socket->peerCertificate();
    if (peerCert.isNull())
        return {};
    const QByteArray der = peerCert.toDer();
    QString why;
    if (const auto cert = m_pki->authenticate(der, &why)) {
        m_info.clientId = cert->clientId;
        m_info.clientTag = cert->clientTag;
        m_info.certificateSerial = cert->serial;
        m_info.certificateSubject = cert->subject;
        return {};
    }
    // Treated as anonymous: it may still enrol or renew (docs/protocol-decisions.md). Logged
    // once the engine has connected to our log signal, i.e. after this constructor.
    m_logLater = QStringLiteral("client certificate of %1 not accepted (%2): anonymous").arg(peer(), why);
    return CertificateAuthority::clientOfCertificate(der).id;
}

SessionMode Session::mode() const
{
    if (!m_info.clientId.isEmpty())
        return SessionMode::Authenticated;
    return m_enrolment->enrollingClientId().isEmpty() ? SessionMode::Anonymous : SessionMode::Enrolling;
}

SessionInfo Session::info() const
{
    SessionInfo info = m_info;
    info.lastActivity = m_info.since.addMSecs(m_lastActivityMs);
    info.openStreams = int(m_streams.size());
    for (const StreamNote &note : m_recentStreams) {
        if (!note.request.isEmpty())
            info.recentStreams.append(QStringLiteral("%1 %2").arg(note.streamId).arg(QString::fromUtf8(note.request)));
        else if (note.latencyMs >= 0)
            info.recentStreams.append(
                QStringLiteral("%1 → %2 (%3 ms)").arg(note.streamId).arg(note.status).arg(note.latencyMs));
        else
            info.recentStreams.append(QStringLiteral("%1 → %2").arg(note.streamId).arg(note.status));
    }
    info.telemetry = m_enrolment->telemetry();
    info.refusedCsrs = m_enrolment->refusedCsrs();
    if (info.clientId.isEmpty()) {
        info.enrollingClientId = m_enrolment->enrollingClientId();
        info.enrollingClientTag = clientTagOfId(info.enrollingClientId);
    }
    return info;
}

QString Session::peer() const
{
    return formatEndpoint(m_info.peerAddress, m_info.peerPort);
}

void Session::noteClientTraffic()
{
    m_lastClientMs = m_lastActivityMs = m_clock.elapsed();
}

void Session::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_idleTimer.timerId())
        onIdleTimer();
    else if (event->timerId() == m_pingTimer.timerId())
        sendPing();
    else
        QObject::timerEvent(event);
}

void Session::onIdleTimer()
{
    const qint64 quietMs = m_clock.elapsed() - m_lastClientMs;
    if (quietMs < m_config.idleTimeoutMs) {
        m_idleTimer.start(int(m_config.idleTimeoutMs - quietMs), this);
        return;
    }
    // docs/protocol-decisions.md: idle means no frame from the client and no stream in flight,
    // i.e. none still waiting for its answer (a stream we answered and the client never ended
    // keeps nothing alive).
    const bool inFlight =
        std::any_of(m_streams.cbegin(), m_streams.cend(), [](const Stream &s) { return !s.localClosed; });
    if (inFlight)
        m_idleTimer.start(m_config.idleTimeoutMs, this);
    else
        close(QStringLiteral("idle timeout"));
}

void Session::readFromSocket()
{
    if (m_closing) {
        m_socket->skip(m_socket->bytesAvailable()); // nothing more is processed
        return;
    }
    char buffer[SocketReadChunk];
    bool any = false;
    // What the frames of this read produce leaves in one write, below.
    m_reading = true;
    while (!m_readPaused && !m_closing && m_socket->bytesAvailable() > 0) {
        const qint64 n = m_socket->read(buffer, sizeof buffer);
        if (n <= 0)
            break;
        any = true;
        m_info.bytesIn += quint64(n);
        Metrics::add(Counter::BytesIn, quint64(n));
        if (m_reader.feed(buffer, n) != n)
            break; // the reader failed: onError closed the session
    }
    m_reading = false;
    if (any) {
        noteClientTraffic();
        emit changed(m_info.id);
    }
    flushOutput();
}

void Session::onBytesWritten()
{
    m_outputMovedMs = m_clock.elapsed();
    updateFlowControl();
}

void Session::updateFlowControl()
{
    if (m_closing)
        return;
    // Hysteresis: pause above the limit, resume below half of it.
    const qint64 queued = pendingOutputBytes();
    const bool clientBehind =
        m_backendsPaused ? queued > Limits::MaxQueuedOutboundBytes / 2 : queued > Limits::MaxQueuedOutboundBytes;
    if (clientBehind != m_backendsPaused) {
        m_backendsPaused = clientBehind;
        for (const Stream &stream : std::as_const(m_streams))
            if (stream.proxy)
                stream.proxy->setPaused(clientBehind);
        for (Tunnel *tunnel : std::as_const(m_tunnels))
            tunnel->setPaused(clientBehind);
    }
    bool uploadBehind = false;
    for (const Stream &stream : std::as_const(m_streams))
        uploadBehind = uploadBehind ||
                       (stream.proxy && stream.proxy->pendingUpload() > (m_readPaused ? Limits::MaxQueuedUploadBytes / 2
                                                                                      : Limits::MaxQueuedUploadBytes));
    // A slow operator: the device is not read (Limits::MaxQueuedTunnelBytes says why all of it).
    const qint64 tunnelLimit = m_readPaused ? Limits::MaxQueuedTunnelBytes / 2 : Limits::MaxQueuedTunnelBytes;
    for (const QPointer<TunnelStream> &stream : std::as_const(m_tunnelStreams))
        uploadBehind = uploadBehind || (stream && stream->pendingToOperator() > tunnelLimit);
    // A client that does not read is not read either (a PING flood waits in TCP), except while
    // tunnels are open: their two directions are independent, and a device whose service
    // echoes would otherwise wait for us while we wait for it. What it sends meanwhile goes to
    // operators and backends, each bounded above; PINGs from a client that does not read spend
    // the glitch budget.
    const bool pause = (clientBehind && m_tunnelStreams.isEmpty()) || uploadBehind;
    if (pause == m_readPaused)
        return;
    m_readPaused = pause;
    if (!pause)
        QMetaObject::invokeMethod(this, &Session::readFromSocket, Qt::QueuedConnection);
}

qint64 Session::pendingOutputBytes() const
{
    return m_output.size() + m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite();
}

bool Session::clientDoesNotRead() const
{
    return pendingOutputBytes() > Limits::MaxQueuedOutboundBytes / 4 &&
           m_clock.elapsed() - m_outputMovedMs > Limits::UnreadOutputGraceMs;
}

template<typename Frame> bool Session::send(const Frame &frame)
{
    if (m_closing)
        return true; // nothing more goes out
    const qsizetype start = m_output.size();
    if (!appendFrame(m_output, frame) || m_output.size() - start > Limits::MaxOutboundFrame) {
        m_output.truncate(start);
        return false;
    }
    frameQueued(m_output.size() - start);
    return true;
}

void Session::writeFrame(const QByteArray &frame)
{
    if (m_closing)
        return;
    Q_ASSERT(fitsOutbound(frame));
    m_output.append(frame);
    frameQueued(frame.size());
}

void Session::frameQueued(qsizetype bytes)
{
    ++m_info.framesOut;
    m_info.bytesOut += quint64(bytes);
    Metrics::add(Counter::BytesOut, quint64(bytes));
    if (m_output.size() >= OutputFlushBytes) {
        flushOutput();
    } else if (!m_reading && !m_flushQueued) {
        // Frames from backends and timers: whatever else this turn of the event loop produces
        // for this client goes along (posted events run after all ready sockets were served).
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &Session::flushOutput, Qt::QueuedConnection);
    }
}

void Session::flushOutput()
{
    m_flushQueued = false;
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        m_output.clear(); // the peer is gone: nothing can be sent any more
    if (m_output.isEmpty())
        return;
    // Qt keeps a buffer of 256 bytes and more as it is (no copy); the next frame starts a new
    // one. Not flush(): QSslSocket may emit readyRead from inside it, and this is called from
    // frame handlers that must not be re-entered.
    if (m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite() == 0)
        m_outputMovedMs = m_clock.elapsed(); // nothing was waiting: the client is not behind yet
    m_socket->write(std::exchange(m_output, QByteArray()));
    // Our own frames (gateway PINGs, responses) are activity, but they keep no session alive.
    m_lastActivityMs = m_clock.elapsed();
    emit changed(m_info.id); // a download-only session must publish its bytes out too
    // A peer that sends but does not read: stop reading from it until it catches up.
    updateFlowControl();
}

void Session::noteStream(quint32 streamId, QByteArray request, int status, qint64 latencyMs)
{
    m_recentStreams.append({streamId, std::move(request), status, latencyMs});
    if (m_recentStreams.size() > SessionInfo::MaxRecentStreams)
        m_recentStreams.removeFirst();
}

bool Session::sendReply(quint32 streamId, quint16 status, const HeaderList &headers, qint64 backendLatencyMs)
{
    if (!send(SynReply{streamId, false, status, headers}))
        return false;
    if (const auto it = m_streams.find(streamId); it != m_streams.end()) {
        it->record.status = status;
        it->record.backendMs = backendLatencyMs;
    }
    ++m_info.responsesByClass[qBound(1, status / 100, 5)];
    Metrics::add(responseCounter(status));
    if (backendLatencyMs >= 0) {
        ++m_info.backendResponses;
        m_info.backendLatencyMsTotal += quint64(backendLatencyMs);
    }
    noteStream(streamId, {}, status, backendLatencyMs);
    return true;
}

void Session::sendData(quint32 streamId, const QByteArray &payload, bool fin)
{
    send(DataFrame{streamId, fin, payload});
    if (const auto it = m_streams.find(streamId); it != m_streams.end())
        it->record.bytesOut += payload.size();
    if (fin)
        finishStreamSide(streamId, false);
}

void Session::sendReset(quint32 streamId, RstStatus status)
{
    resetStream(streamId, status);
}

void Session::backendFailed(quint32 streamId, const QUrl &backend, const QByteArray &kind, const QString &detail)
{
    if (const auto it = m_streams.find(streamId); it != m_streams.end())
        it->record.error = kind;
    emit log(LogLevel::Warning,
             QStringLiteral("%1: stream %2: backend %3: %4").arg(peer()).arg(streamId).arg(backend.host(), detail));
}

void Session::uploadProgressed()
{
    updateFlowControl();
}

void Session::refuseStream(quint32 streamId, StreamError error)
{
    logDebug([&] {
        return QStringLiteral("%1: stream %2: %3, RST_STREAM %4")
            .arg(peer())
            .arg(streamId)
            .arg(toString(error))
            .arg(int(rstStatus(error)));
    });
    resetStream(streamId, rstStatus(error), errorToken(error));
}

void Session::resetStream(quint32 streamId, RstStatus status, const QByteArray &error)
{
    dropStream(streamId, AccessRecord::End::Reset, quint32(status), error);
    sendRst(streamId, status);
}

void Session::sendRst(quint32 streamId, RstStatus status)
{
    send(RstStream{streamId, quint32(status)});
    Metrics::add(resetCounter(quint32(status), true));
    spendReset();
}

bool Session::spendReset()
{
    ++m_info.resets;
    if (m_closing || m_resetBudget.take())
        return !m_closing;
    m_info.resetFloodCloses = 1;
    close(QStringLiteral("too many stream resets (over %1 at once, then %2/s): rapid reset")
              .arg(m_config.resetBurst)
              .arg(m_config.resetsPerSecond));
    return false;
}

bool Session::spendGlitch(const char *what)
{
    ++m_info.glitches;
    if (m_closing || m_glitchBudget.take())
        return !m_closing;
    m_info.glitchFloodCloses = 1;
    close(QStringLiteral("too many frames that do nothing (over %1 at once, then %2/s; last: %3)")
              .arg(m_config.glitchBurst)
              .arg(m_config.glitchesPerSecond)
              .arg(QLatin1String(what)));
    return false;
}

void Session::dropStream(quint32 streamId, AccessRecord::End end, quint32 rstCode, const QByteArray &error)
{
    const auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return;
    releaseProxy(*it);
    it->record.end = end;
    it->record.rstCode = rstCode;
    if (!error.isEmpty())
        it->record.error = error;
    it->record.timeMs = QDateTime::currentMSecsSinceEpoch();
    it->record.durationUs = it->age.nsecsElapsed() / 1000;
    emit streamFinished(it->record);
    m_streams.erase(it);
}

Session::Stream Session::openStream(const SynStream &frame) const
{
    Stream stream;
    stream.remoteClosed = frame.fin;
    stream.age.start();
    AccessRecord &record = stream.record;
    record.sessionId = m_info.id;
    record.streamId = frame.streamId;
    record.peerAddress = m_info.peerAddress;
    record.peerPort = m_info.peerPort;
    record.clientTag = m_info.clientTag;
    record.method = frame.method.left(Limits::MaxAccessLogFieldBytes);
    record.host = frame.host.left(Limits::MaxAccessLogFieldBytes);
    record.path = frame.path.left(Limits::MaxAccessLogFieldBytes);
    record.bytesIn = record.bytesOut = 0;
    return stream;
}

void Session::releaseProxy(Stream &stream)
{
    if (StreamProxy *proxy = stream.proxy) {
        proxy->detach();
        proxy->deleteLater(); // aborts the backend request if it still runs
        stream.proxy = nullptr;
    }
}

void Session::finishStreamSide(quint32 streamId, bool remote)
{
    auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return;
    (remote ? it->remoteClosed : it->localClosed) = true;
    if (it->remoteClosed && it->localClosed)
        dropStream(streamId, AccessRecord::End::Complete);
}

void Session::onSynStream(const SynStream &frame)
{
    ++m_info.framesIn;
    // §4.1: client streams are odd; an id still open must not be reused.
    // An id still open is reset, and in SPDY that RST ends the original stream too (its backend
    // request is cancelled), so nothing more is sent on it.
    if (frame.streamId % 2 == 0 || m_streams.contains(frame.streamId)) {
        ++m_info.malformedFrames;
        refuseStream(frame.streamId, frame.streamId % 2 ? StreamError::StreamIdInUse : StreamError::EvenStreamId);
        return;
    }
    // docs/protocol-decisions.md "Stream ids": ids only grow (SPDY/3 §2.3.2), so an id at or below
    // the last one opened, now closed, is refused alone; the streams still open are untouched.
    if (frame.streamId <= m_lastStreamId) {
        ++m_info.malformedFrames;
        refuseStream(frame.streamId, StreamError::StreamIdNotIncreasing);
        return;
    }
    m_lastStreamId = frame.streamId;
    // README "Limits": excess streams are refused.
    if (m_streams.size() >= m_config.maxConcurrentStreams) {
        ++m_info.refusedStreams;
        m_streams.insert(frame.streamId, openStream(frame)); // so that its access record goes out
        refuseStream(frame.streamId, StreamError::TooManyStreams);
        return;
    }
    ++m_info.streamsTotal;
    ++m_info.requests;
    m_streams.insert(frame.streamId, openStream(frame));
    QByteArray request;
    request.reserve(16 + 1 + 64 + 80);
    request.append(frame.method.constData(), qMin<qsizetype>(frame.method.size(), 16))
        .append(' ')
        .append(frame.host.constData(), qMin<qsizetype>(frame.host.size(), 64))
        .append(frame.path.constData(), qMin<qsizetype>(frame.path.size(), 80));
    noteStream(frame.streamId, std::move(request));

    // README "Limits": a head that breaks HTTP/1.1's grammar or the limits goes no further.
    const auto route = routeRequest(frame);
    if (const auto *error = std::get_if<MappingError>(&route)) {
        refuse(frame.streamId, *error);
        return;
    }
    // README "Gateway modes": without a valid client certificate only `anonymous` serves requests.
    if (m_info.clientId.isEmpty() && m_config.mode != GatewayMode::Anonymous) {
        answerStream(*this, frame.streamId, 403,
                     "403 Forbidden: this connection has no valid client certificate; enrol first.\n");
        return;
    }
    const QString host = std::get<RequestRoute>(route).hostKey;
    const auto backend = m_config.hosts.constFind(host);
    if (backend == m_config.hosts.cend()) {
        answerStream(*this, frame.streamId, 404,
                     QStringLiteral("404 Not Found: no backend is configured for host '%1'.\n").arg(host).toUtf8());
        return;
    }
    proxy(frame, std::get<RequestRoute>(route), *backend);
}

void Session::refuse(quint32 streamId, const MappingError &error)
{
    const QByteArray text = error.status == 431 ? " Request Header Fields Too Large: " : " Bad Request: ";
    answerStream(*this, streamId, error.status, QByteArray::number(error.status) + text + error.reason + ".\n");
}

void Session::proxy(const SynStream &frame, const RequestRoute &route, const QUrl &base)
{
    const quint32 id = frame.streamId;
    auto mapped = mapRequest(frame, route, base, {m_info.peerAddress, m_info.clientId, m_info.clientTag},
                             m_config.forwardHeaders);
    if (const auto *error = std::get_if<MappingError>(&mapped)) {
        refuse(id, *error);
        return;
    }
    auto *proxy = new StreamProxy(
        id, m_pool, std::get<BackendRequest>(std::move(mapped)),
        {m_config.backendConnectTimeoutMs, m_config.backendResponseTimeoutMs, m_config.bodyIdleTimeoutMs}, this, this);
    m_streams[id].proxy = proxy;
    if (m_backendsPaused)
        proxy->setPaused(true);
    // Started on the next turn of the event loop: a RST_STREAM read in the same batch cancels
    // the stream before any backend connection is opened for it (rapid reset). One posted call
    // starts every stream of the batch.
    if (m_toStart.isEmpty())
        QMetaObject::invokeMethod(this, &Session::startProxies, Qt::QueuedConnection);
    m_toStart.append({id, frame.fin, proxy});
}

void Session::startProxies()
{
    for (const PendingStart &pending : std::exchange(m_toStart, {})) {
        const auto it = m_streams.constFind(pending.streamId);
        if (pending.proxy && it != m_streams.cend() && it->proxy == pending.proxy)
            pending.proxy->start(pending.fin);
    }
}

void Session::onData(const DataFrame &frame)
{
    ++m_info.framesIn;
    if (TunnelStream *stream = m_tunnelStreams.value(frame.streamId)) {
        onTunnelData(frame, stream);
        return;
    }
    if (endedTunnelStream(frame.streamId))
        return;
    auto it = m_streams.find(frame.streamId);
    if (it == m_streams.end()) {
        if (spendGlitch("DATA for no open stream"))
            sendRst(frame.streamId, rstStatus(StreamError::UnknownStream));
        return;
    }
    if (frame.payload.isEmpty() && !frame.fin && !spendGlitch("empty DATA without FIN"))
        return;
    if (it->remoteClosed) {
        refuseStream(frame.streamId, StreamError::DataAfterFin);
        return;
    }
    it->record.bytesIn += frame.payload.size();
    // Streamed to the backend as it arrives; dropped when the answer was already given.
    if (StreamProxy *proxy = it->proxy) {
        // README "Requests": bytes past Content-Length would reach the backend as a request.
        if (!proxy->writeBody(frame.payload)) {
            refuseStream(frame.streamId, StreamError::BodyLengthMismatch);
            return;
        }
        // Fewer bytes at FIN: refused before the response starts, cut once it has.
        if (frame.fin && !proxy->finishBody()) {
            if (proxy->responseStarted()) {
                refuseStream(frame.streamId, StreamError::BodyLengthMismatch);
                return;
            }
            releaseProxy(*it);
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
    if (TunnelStream *stream = m_tunnelStreams.take(frame.streamId)) {
        stream->onReset(frame.status);
        Metrics::add(resetCounter(frame.status, false));
        spendReset();
        return;
    }
    if (endedTunnelStream(frame.streamId))
        return;
    if (!m_streams.contains(frame.streamId)) {
        spendGlitch("RST_STREAM for no open stream");
        return;
    }
    dropStream(frame.streamId, AccessRecord::End::ClientReset,
               frame.status); // a client reset aborts the backend request
    Metrics::add(resetCounter(frame.status, false));
    spendReset();
}

void Session::onPing(const Ping &frame)
{
    ++m_info.framesIn;
    ++m_info.pingsReceived;
    // A client that pings while it leaves our answers unread spends the glitch budget.
    if (clientDoesNotRead() && !spendGlitch("PING from a client that does not read"))
        return;
    // §3.5: echo odd (client) ids at once; even ids answer our own pings and need nothing.
    if (frame.id % 2 == 1)
        send(frame);
}

void Session::sendPing()
{
    send(Ping{m_nextPingId});
    m_nextPingId = m_nextPingId >= 0x7FFFFFFE ? 2 : m_nextPingId + 2;
}

void Session::onCsr(const Csr &frame)
{
    ++m_info.framesIn;
    const quint64 refusedBefore = m_enrolment->refusedCsrs();
    m_enrolment->onCsr(frame, peer());
    // Answered, counted, and a glitch too: a client that goes on after its CSR budget is spent
    // is flooding, and its session goes the way of every other flood.
    if (m_enrolment->refusedCsrs() != refusedBefore)
        spendGlitch("CSR refused by a budget");
}

void Session::onCertQuery(const CertQuery &frame)
{
    ++m_info.framesIn;
    m_enrolment->onCertQuery(frame, peer());
}

void Session::onTelemetryCapabilities(const TelemetryCapabilities &frame)
{
    ++m_info.framesIn;
    m_enrolment->onTelemetry(frame);
}

void Session::ignoreGatewayFrame(const char *name)
{
    // Frames only a gateway sends: a client sending them is confused, not dangerous.
    ++m_info.framesIn;
    ++m_info.unknownFrames;
    logDebug([&] { return QStringLiteral("%1: ignored %2 from a client").arg(peer(), QLatin1String(name)); });
    spendGlitch(name);
}

void Session::onSynReply(const SynReply &)
{
    ignoreGatewayFrame("SYN_REPLY");
}
void Session::onCert(const Cert &)
{
    ignoreGatewayFrame("CERT");
}
void Session::onCsrReply(const CsrReply &)
{
    ignoreGatewayFrame("CSR_REPLY");
}
void Session::onSocketsRequest(const SocketsRequest &)
{
    ignoreGatewayFrame("SOCKETS_REQUEST");
}
void Session::onTelemetryAck(const TelemetryAck &)
{
    ignoreGatewayFrame("TELEMETRY_ACK");
}
void Session::onSocketsReply(const SocketsReply &frame)
{
    TunnelStream *stream = m_tunnelStreams.value(frame.streamId);
    if (!stream || stream->isOpen()) {
        ignoreGatewayFrame("SOCKETS_REPLY for no tunnel stream waiting"); // nothing we asked
        return;
    }
    ++m_info.framesIn;
    stream->onReply(frame.replyCode);
}

void Session::onTunnelData(const DataFrame &frame, TunnelStream *stream)
{
    if (frame.payload.isEmpty() && !frame.fin && !spendGlitch("empty DATA without FIN"))
        return;
    if (!stream->isOpen()) { // §3.11: bytes flow only after a successful SOCKETS_REPLY
        resetTunnelStream(frame.streamId, RstStatus::ProtocolError);
        stream->onReset(quint32(RstStatus::ProtocolError));
        return;
    }
    stream->onData(frame.payload, frame.fin);
}

quint32 Session::openTunnelStream(TunnelStream *stream, quint16 port)
{
    if (m_closing)
        return 0;
    // Ids only grow (SPDY/3 §2.3.2); a session that spent the 31-bit range takes no more.
    if (m_nextTunnelStreamId > 0x7FFFFFFE)
        return 0;
    const quint32 id = m_nextTunnelStreamId;
    m_nextTunnelStreamId += 2;
    m_tunnelStreams.insert(id, stream);
    ++m_info.streamsTotal;
    send(SocketsRequest{id, 1, 0xFE, port});
    return id;
}

void Session::sendTunnelData(quint32 streamId, const QByteArray &payload, bool fin)
{
    send(DataFrame{streamId, fin, payload});
}

bool Session::endedTunnelStream(quint32 streamId) const
{
    // An even id below the next one is a tunnel stream we opened and have ended (RST_STREAM when
    // its operator left): what the device had sent before our RST reached it is still on its
    // way, megabytes of DATA from a fast service. Dropped, as SPDY/3 §2.4.2 has a stream's
    // frames after RST_STREAM ignored; not a glitch, or that alone closed busy devices.
    return streamId % 2 == 0 && streamId < m_nextTunnelStreamId && !m_tunnelStreams.contains(streamId);
}

void Session::resetTunnelStream(quint32 streamId, RstStatus status)
{
    // Not sendRst(): operators that drop their connections must not spend the device's budget.
    if (m_tunnelStreams.remove(streamId))
        send(RstStream{streamId, quint32(status)});
}

void Session::tunnelStreamEnded(quint32 streamId)
{
    m_tunnelStreams.remove(streamId);
    updateFlowControl(); // its buffer no longer counts
}

QString Session::openTunnel(const TunnelRequest &request, TunnelInfo *opened)
{
    if (m_closing)
        return QStringLiteral("session %1 is closing").arg(m_info.id);
    if (m_info.clientId.isEmpty())
        return QStringLiteral("session %1 is anonymous: tunnels go only to authenticated clients").arg(m_info.id);
    if (m_tunnels.size() >= Limits::MaxTunnelsPerSession)
        return QStringLiteral("session %1 has %2 tunnels already").arg(m_info.id).arg(Limits::MaxTunnelsPerSession);
    auto *tunnel = new Tunnel(request, m_info.id, m_info.clientTag, this, this);
    if (const QString error = tunnel->listen(); !error.isEmpty()) {
        delete tunnel;
        return error;
    }
    m_tunnels.insert(tunnel->id(), tunnel);
    connect(tunnel, &Tunnel::log, this, &Session::log);
    connect(tunnel, &Tunnel::idleTimedOut, this, [this, idleMs = request.idleTimeoutMs](quint64 id) {
        closeTunnel(id, QStringLiteral("idle for %1 s").arg(idleMs / 1000));
    });
    tunnel->setPaused(m_backendsPaused);
    *opened = tunnel->info();
    return {};
}

bool Session::closeTunnel(quint64 tunnelId, const QString &reason)
{
    Tunnel *tunnel = m_tunnels.take(tunnelId);
    if (!tunnel)
        return false;
    for (TunnelStream *stream : tunnel->streams())
        resetTunnelStream(stream->streamId(), RstStatus::Cancel);
    delete tunnel; // the listener's port is free now
    emit tunnelClosed(tunnelId, reason);
    updateFlowControl();
    return true;
}

QList<TunnelInfo> Session::tunnels() const
{
    QList<TunnelInfo> infos;
    for (const Tunnel *tunnel : std::as_const(m_tunnels))
        infos.append(tunnel->info());
    return infos;
}

void Session::onUnknownFrame(quint16 version, quint16 type, quint8, quint32 length)
{
    // README "Unknown frames": ignored and counted.
    ++m_info.framesIn;
    ++m_info.unknownFrames;
    logDebug([&] {
        return QStringLiteral("%1: ignored unknown control frame %2/%3 (%4 bytes)")
            .arg(peer())
            .arg(version, 4, 16, QLatin1Char('0'))
            .arg(type, 4, 16, QLatin1Char('0'))
            .arg(length);
    });
    spendGlitch("unknown control frame");
}

void Session::onError(FrameError error, quint32 streamId, const QString &detail)
{
    ++m_info.malformedFrames;
    switch (errorScope(error)) {
    case ErrorScope::Frame:
        logDebug([&] { return QStringLiteral("%1: dropped a malformed frame: %2").arg(peer(), detail); });
        spendGlitch("malformed frame");
        return;
    case ErrorScope::Stream:
        // README "Unknown frames": malformed frames → RST_STREAM 1.
        logDebug(
            [&] { return QStringLiteral("%1: stream %2: %3, RST_STREAM 1").arg(peer()).arg(streamId).arg(detail); });
        resetStream(streamId, RstStatus::ProtocolError, QByteArrayLiteral("malformed-frame"));
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
    // Frames queued before the close still go out, ahead of close_notify.
    flushOutput();
    m_closing = true;
    m_closeReason = reason;
    m_reader.stop(); // nothing more the client sent is acted on
    m_idleTimer.stop();
    m_enrolment->stop();
    m_pingTimer.stop();
    for (quint32 id : m_streams.keys())
        dropStream(id, AccessRecord::End::SessionClosed);
    m_tunnelStreams.clear();
    for (Tunnel *tunnel : std::exchange(m_tunnels, {})) {
        const quint64 tunnelId = tunnel->id();
        delete tunnel;
        emit tunnelClosed(tunnelId, QStringLiteral("its session closed: %1").arg(reason));
    }
    emit log(LogLevel::Info, QStringLiteral("session %1 from %2 closing: %3").arg(m_info.id).arg(peer(), reason));
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        // A peer that will not take close_notify is aborted (a timer only for closing sessions).
        QTimer::singleShot(CloseGraceMs, m_socket, &QSslSocket::abort);
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
    QMetaObject::invokeMethod(
        this, [this] { emit closed(m_info.id, m_closeReason); }, Qt::QueuedConnection);
}

} // namespace SeaCat
