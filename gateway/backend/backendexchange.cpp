#include "backendexchange.h"
#include "../gatewaylimits.h"
#include "backendpool.h"
#include "tls/socketbuffers.h"

#include <QSslSocket>
#include <QTimerEvent>

namespace SeaCat {

namespace {
// One DATA frame's payload: what a session's output may overshoot its budget by, since the
// session pauses every backend of its own the moment the budget is crossed (Session::
// updateFlowControl). Also the most Qt reads ahead from a backend.
constexpr qint64 ReadChunk = Limits::MaxOutboundPayload;
// While paused, Qt may read no more from the backend than this: the rest waits in the kernel,
// so a session's non-reading client costs its own output budget, not a buffer per stream.
constexpr qint64 PausedReadBuffer = 1;
} // namespace

BackendExchange::BackendExchange(BackendPool *pool, BackendRequest request, int connectTimeoutMs, int responseTimeoutMs,
                                 Listener *listener, QObject *parent)
    : QObject(parent), m_pool(pool), m_request(std::move(request)), m_listener(listener),
      m_connectTimeoutMs(connectTimeoutMs), m_responseTimeoutMs(responseTimeoutMs)
{ }

void BackendExchange::armTimeout(int ms)
{
    const qint64 now = m_clock.elapsed();
    m_deadlineMs = now + ms;
    m_timeoutMs = ms;
    if (!m_timer.isActive() || m_timerDueMs > m_deadlineMs) {
        m_timer.start(ms, this);
        m_timerDueMs = m_deadlineMs;
    }
}

void BackendExchange::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_timer.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    const qint64 now = m_clock.elapsed();
    if (now < m_deadlineMs) {
        m_timer.start(int(m_deadlineMs - now), this);
        m_timerDueMs = m_deadlineMs;
        return;
    }
    m_timer.stop();
    onTimeout();
}

void BackendExchange::onTimeout()
{
    if (m_waitingForPool)
        return fail(Failure::Timeout,
                    QStringLiteral("no free backend connection within %1 ms (backend-connections=%2 in use)")
                        .arg(m_connectTimeoutMs)
                        .arg(m_pool ? m_pool->maxConnectionsPerOrigin() : 0));
    if (!m_connected && m_pool)
        m_pool->noteConnectFailure(m_request.base);
    fail(Failure::Timeout, m_connected ? QStringLiteral("no response within %1 ms").arg(m_timeoutMs)
                                       : QStringLiteral("no connection within %1 ms").arg(m_timeoutMs));
}

BackendExchange::~BackendExchange()
{
    if (m_socket) {
        m_socket->abort();
        delete m_socket; // the pool's child (connectSocket()), but this exchange's to close
    }
    giveUpSlot();
}

void BackendExchange::giveUpSlot()
{
    if (m_pool && m_waitingForPool)
        m_pool->cancel(m_request.base, this);
    m_waitingForPool = false;
    if (m_pool && m_holdsSlot)
        m_pool->drop(m_request.base);
    m_holdsSlot = false;
}

void BackendExchange::start()
{
    m_clock.start();
    const bool head = m_request.method == "HEAD";
    m_parser = std::make_unique<HttpResponseParser>(
        HttpResponseParser::Callbacks{[this](int status, const HeaderList &headers) {
                                          m_latencyMs = m_clock.elapsed();
                                          if (m_listener)
                                              m_listener->responseHead(status, headers);
                                      },
                                      [this](const char *data, qsizetype size) {
                                          if (m_listener)
                                              m_listener->responseBody(data, size);
                                      },
                                      [this] { m_responseComplete = true; }},
        head);

    // The wait for a free connection has the connect deadline (README "Backend client").
    armTimeout(m_connectTimeoutMs);
    m_waitingForPool = true;
    m_pool->acquire(m_request.base, this, [this](QTcpSocket *pooled) { onGranted(pooled); });
}

void BackendExchange::onGranted(QTcpSocket *pooled)
{
    m_waitingForPool = false;
    m_holdsSlot = true;
    if (m_done) { // failed while the pool's answer was on its way: give it straight back
        if (pooled)
            m_pool->release(m_request.base, pooled);
        else
            m_pool->drop(m_request.base);
        m_holdsSlot = false;
        return;
    }
    if (pooled) {
        m_reused = true;
        attachSocket(pooled);
        onConnected();
        return;
    }
    connectSocket();
}

template<typename Signal, typename Slot> void BackendExchange::connectSocketTo(Signal signal, Slot &&slot)
{
    Q_ASSERT(m_socketConnectionCount < m_socketConnections.size());
    m_socketConnections[m_socketConnectionCount++] =
        connect(static_cast<typename QtPrivate::FunctionPointer<Signal>::Object *>(m_socket.data()), signal, this,
                std::forward<Slot>(slot));
}

void BackendExchange::attachSocket(QTcpSocket *socket)
{
    m_socket = socket;
    // Qt stops reading from the backend when this is full (fresh and pooled sockets alike).
    socket->setReadBufferSize(m_paused ? PausedReadBuffer : ReadChunk);
    connectSocketTo(&QTcpSocket::readyRead, [this] { onReadable(); });
    connectSocketTo(&QTcpSocket::disconnected, [this] { onDisconnected(); });
    connectSocketTo(&QTcpSocket::errorOccurred, [this](QAbstractSocket::SocketError error) {
        if (!m_connected && m_pool)
            m_pool->noteConnectFailure(m_request.base);
        if (!m_connected)
            fail(Failure::Unreachable, m_socket ? m_socket->errorString() : QString());
        else if (error != QAbstractSocket::RemoteHostClosedError)
            onDisconnected();
    });
    connectSocketTo(&QTcpSocket::bytesWritten, [this] {
        if (!m_paused && !m_done)
            armTimeout(m_responseTimeoutMs);
        // Only a body can fill the upload queue the session watches (a head never does).
        if (m_request.hasBody && m_listener)
            m_listener->uploadProgressed();
    });
}

void BackendExchange::onConnected()
{
    m_connected = true;
    // Otherwise a request head leaves a 32 KiB write chunk behind, per backend connection.
    trimSocketBuffers(m_socket);
    sendHead();
    if (!m_bodyBeforeConnect.isEmpty())
        writeRaw(std::exchange(m_bodyBeforeConnect, QByteArray()));
    armTimeout(m_responseTimeoutMs);
}

void BackendExchange::connectSocket()
{
    const bool tls = m_request.base.scheme() == u"https";
    // A child of the pool from the start, in use or idle: moving it between exchange and pool
    // cost two setParent() calls (and their child events) per request. The exchange deletes
    // the socket it holds when it goes.
    QObject *owner = m_pool.data();
    QTcpSocket *socket = tls ? new QSslSocket(owner) : new QTcpSocket(owner);
    attachSocket(socket);
    // A request head and its body go out in separate writes; Nagle would hold the second until
    // the backend's delayed ACK . Qt applies the option only to a socket that
    // has a descriptor, hence at TCP connect; pooled sockets keep it.
    connectSocketTo(&QTcpSocket::connected, [socket] { socket->setSocketOption(QAbstractSocket::LowDelayOption, 1); });
    if (tls)
        connectSocketTo(&QSslSocket::encrypted, [this] { onConnected(); });
    else
        connectSocketTo(&QTcpSocket::connected, [this] { onConnected(); });
    armTimeout(m_connectTimeoutMs);
    const quint16 port = quint16(m_request.base.port(tls ? 443 : 80));
    if (tls)
        static_cast<QSslSocket *>(socket)->connectToHostEncrypted(m_request.base.host(), port);
    else
        socket->connectToHost(m_request.base.host(), port);
}

void BackendExchange::sendHead()
{
    writeRaw(m_request.head);
}

void BackendExchange::writeRaw(const QByteArray &bytes)
{
    if (m_connected && m_socket)
        m_socket->write(bytes);
    else
        m_bodyBeforeConnect += bytes;
}

bool BackendExchange::writeBody(const QByteArray &bytes)
{
    m_bodyBytes += bytes.size();
    if (m_request.contentLength >= 0 && m_bodyBytes > m_request.contentLength)
        return false;
    if (m_done || bytes.isEmpty() || m_bodyFinished)
        return true;
    if (m_request.contentLength >= 0)
        writeRaw(bytes);
    else
        writeRaw(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
    return true;
}

bool BackendExchange::finishBody()
{
    if (m_bodyFinished)
        return true;
    m_bodyFinished = true;
    if (m_request.contentLength >= 0 && m_bodyBytes != m_request.contentLength)
        return false;
    if (!m_done && m_request.hasBody && m_request.contentLength < 0)
        writeRaw(QByteArrayLiteral("0\r\n\r\n"));
    return true;
}

qint64 BackendExchange::pendingUpload() const
{
    return m_socket && m_connected ? m_socket->bytesToWrite() : m_bodyBeforeConnect.size();
}

void BackendExchange::setPaused(bool paused)
{
    if (m_paused == paused || m_done)
        return;
    m_paused = paused;
    if (m_socket)
        m_socket->setReadBufferSize(paused ? PausedReadBuffer : ReadChunk);
    if (paused) {
        m_timer.stop(); // a slow client is not a slow backend
    } else if (m_connected) {
        armTimeout(m_responseTimeoutMs);
        QMetaObject::invokeMethod(this, &BackendExchange::onReadable, Qt::QueuedConnection);
    }
}

void BackendExchange::onReadable()
{
    if (m_paused || m_done || !m_socket)
        return;
    QPointer<BackendExchange> self(this);
    char buffer[ReadChunk];
    while (self && !m_paused && !m_done && m_socket && m_socket->bytesAvailable() > 0) {
        const qint64 n = m_socket->read(buffer, sizeof buffer);
        if (n <= 0)
            break;
        m_bytesReceived = true;
        armTimeout(m_responseTimeoutMs);
        const bool parsed = m_parser->feed(buffer, n);
        if (!self || m_done)
            return;
        if (m_responseComplete) {
            // The parser refuses bytes after the end of the response: they answer no request.
            complete(parsed ? Ending::Clean : Ending::StrayBytes);
            return;
        }
        if (!parsed) {
            fail(Failure::Protocol, QStringLiteral("invalid response: %1").arg(m_parser->error()));
            return;
        }
    }
    // A paused exchange finishes draining on resume, then sees the close.
    if (self && m_peerClosed && !m_done && !m_paused && m_socket && m_socket->bytesAvailable() == 0)
        onPeerClosedAndDrained();
}

void BackendExchange::onDisconnected()
{
    if (m_done)
        return;
    m_peerClosed = true;
    onReadable();
}

void BackendExchange::onPeerClosedAndDrained()
{ // A pooled connection the backend had closed: retry once on a fresh one if nothing was lost.
    if (m_reused && !m_bytesReceived && !m_request.hasBody) {
        m_reused = false;
        m_connected = false;
        m_peerClosed = false;
        m_socket->deleteLater(); // and its connections to this exchange with it
        m_socket = nullptr;
        m_socketConnectionCount = 0;
        connectSocket();
        return;
    }
    if (m_parser->finishOnClose())
        complete(Ending::Clean); // a close-delimited body: the connection is not reused anyway
    else
        fail(m_parser->headReceived() ? Failure::Protocol : Failure::Unreachable, m_parser->error());
}

void BackendExchange::complete(Ending ending)
{
    m_done = true;
    m_timer.stop();
    // Back to the pool only when both directions ended cleanly on a keep-alive connection:
    // a request cut short would make the backend read the next one as its body, and bytes
    // after the response would reach the next request as its answer (the pool checks for
    // more of them when it takes the connection back).
    const bool requestWhole = m_bodyFinished && (m_request.contentLength < 0 || m_bodyBytes == m_request.contentLength);
    if (m_socket && m_pool && (ending == Ending::StrayBytes || (m_parser->keepAlive() && requestWhole))) {
        QTcpSocket *socket = m_socket;
        for (size_t i = 0; i < m_socketConnectionCount; ++i)
            disconnect(m_socketConnections[i]);
        m_socketConnectionCount = 0;
        m_socket = nullptr;
        m_holdsSlot = false;
        if (ending == Ending::StrayBytes)
            m_pool->closeStray(m_request.base, socket);
        else
            m_pool->release(m_request.base, socket);
    } else {
        if (m_socket)
            m_socket->abort();
        giveUpSlot();
    }
    if (m_listener)
        m_listener->finished();
}

void BackendExchange::fail(Failure failure, const QString &detail)
{
    if (m_done)
        return;
    m_done = true;
    m_timer.stop();
    if (m_socket)
        m_socket->abort();
    giveUpSlot();
    if (m_listener)
        m_listener->failed(failure, detail, m_parser && m_parser->headReceived());
}

} // namespace SeaCat
