#include "backendpool.h"

#include <QTimerEvent>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace SeaCat {

namespace {
// An idle connection is closed IdleTimeoutMs to IdleTimeoutMs + this after it was given back.
constexpr int SweepIntervalMs = 5'000;

enum class Cleanliness { Clean, Closed, StrayBytes };

// A connection between two requests: still connected, and not one byte waiting, neither in
// Qt's buffer nor in the kernel (where Qt has not looked yet, as when a backend answered
// twice in one event-loop turn). A TLS backend's raw bytes count too: a record arriving
// between requests is not worth the doubt, a new connection costs a handshake only.
// Without `askKernel` only Qt's side is looked at: when a connection is given back, whatever
// the kernel holds is found by the watch (readyRead, disconnected) or by the full check when
// the connection is taken, so one recv() per request is enough.
enum class AskKernel { No, Yes };
Cleanliness cleanliness(QTcpSocket *socket, AskKernel askKernel)
{
    if (socket->state() != QAbstractSocket::ConnectedState)
        return Cleanliness::Closed;
    if (socket->bytesAvailable() > 0)
        return Cleanliness::StrayBytes;
    if (askKernel == AskKernel::No)
        return Cleanliness::Clean;
    char byte = 0;
    const ssize_t n = ::recv(int(socket->socketDescriptor()), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return Cleanliness::StrayBytes;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Cleanliness::Clean : Cleanliness::Closed;
}
} // namespace

BackendPool::~BackendPool()
{
    for (Origin &origin : m_origins)
        for (const IdleConnection &idle : std::as_const(origin.idle))
            idle.unwatch();
}

QString BackendPool::originKey(const QUrl &base) const
{
    if (base != m_lastBase || m_lastKey.isEmpty()) {
        m_lastKey = QStringLiteral("%1://%2:%3")
                        .arg(base.scheme(), base.host())
                        .arg(base.port(base.scheme() == u"https" ? 443 : 80));
        m_lastBase = base;
    }
    return m_lastKey;
}

bool BackendPool::hasLiveWaiter(const Origin &origin)
{
    return std::any_of(origin.waiting.cbegin(), origin.waiting.cend(), [](const Waiter &w) { return bool(w.owner); });
}

void BackendPool::acquire(const QUrl &base, QObject *owner, Grant grant)
{
    const QString key = originKey(base);
    Origin &origin = m_origins[key];
    // FIFO: nobody overtakes a waiter (serveWaiters() is on its way for them).
    if (!hasLiveWaiter(origin)) {
        if (QTcpSocket *socket = takeIdle(key, origin)) {
            ++m_counters.reused;
            grant(socket);
            return;
        }
        if (origin.connections < m_maxPerOrigin) {
            ++origin.connections;
            ++m_counters.opened;
            grant(nullptr);
            return;
        }
    }
    ++m_counters.queued;
    origin.waiting.push_back({owner, std::move(grant)});
}

void BackendPool::cancel(const QUrl &base, QObject *owner)
{
    const auto it = m_origins.find(originKey(base));
    if (it == m_origins.end())
        return;
    std::deque<Waiter> &waiting = it->waiting;
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(),
                                 [owner](const Waiter &w) { return !w.owner || w.owner == owner; }),
                  waiting.end());
}

QTcpSocket *BackendPool::takeIdle(const QString &key, Origin &origin)
{
    while (!origin.idle.isEmpty()) {
        const IdleConnection idle = origin.idle.takeLast(); // the most recently used: warm, least likely timed out
        idle.unwatch();
        QTcpSocket *socket = idle.socket;
        const Cleanliness state = cleanliness(socket, AskKernel::Yes);
        if (state == Cleanliness::Clean)
            return socket;
        discard(key, socket, state == Cleanliness::StrayBytes ? CloseCause::StrayBytes : CloseCause::Ended);
        origin.connections = qMax(0, origin.connections - 1);
    }
    return nullptr;
}

void BackendPool::serveWaiters(const QString &key)
{
    for (;;) {
        Origin &origin = m_origins[key]; // looked up again: a grant may add origins
        if (origin.waiting.empty())
            return;
        if (!origin.waiting.front().owner) {
            origin.waiting.pop_front();
            continue;
        }
        QTcpSocket *socket = takeIdle(key, origin);
        if (!socket) {
            if (origin.connections >= m_maxPerOrigin)
                return;
            ++origin.connections; // the slot passes to the waiter, which opens a connection itself
        }
        Waiter waiter = std::move(origin.waiting.front());
        origin.waiting.pop_front();
        ++(socket ? m_counters.reused : m_counters.opened);
        waiter.grant(socket);
    }
}

void BackendPool::serveWaitersLater(const QString &key)
{
    if (hasLiveWaiter(m_origins[key]))
        QMetaObject::invokeMethod(
            this, [this, key] { serveWaiters(key); }, Qt::QueuedConnection);
}

void BackendPool::release(const QUrl &base, QTcpSocket *socket)
{
    const QString key = originKey(base);
    const Cleanliness state = cleanliness(socket, AskKernel::No);
    if (state != Cleanliness::Clean) {
        discard(key, socket, state == Cleanliness::StrayBytes ? CloseCause::StrayBytes : CloseCause::Ended);
        freeSlot(key);
        return;
    }
    // Idle (and watched) until a waiter takes it on the next turn of the event loop.
    keepIdle(key, m_origins[key], socket);
    serveWaitersLater(key);
}

void BackendPool::closeStray(const QUrl &base, QTcpSocket *socket)
{
    const QString key = originKey(base);
    discard(key, socket, CloseCause::StrayBytes);
    freeSlot(key);
}

void BackendPool::keepIdle(const QString &key, Origin &origin, QTcpSocket *socket)
{
    Q_ASSERT(socket->parent() == this); // BackendExchange::connectSocket()
    // Closed by the backend, bytes it should not send, or idle too long: the connection goes
    // and its slot is free. takeIdle() and retireIdle() undo these (unwatch()).
    origin.idle.append({socket, m_clock.elapsed(),
                        connect(socket, &QTcpSocket::disconnected, this,
                                [this, key, socket] { retireIdle(key, socket, CloseCause::Ended); }),
                        connect(socket, &QTcpSocket::readyRead, this,
                                [this, key, socket] { retireIdle(key, socket, CloseCause::StrayBytes); })});
    if (!m_sweep.isActive())
        m_sweep.start(SweepIntervalMs, this);
}

void BackendPool::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_sweep.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    const qint64 now = m_clock.elapsed();
    QList<QPair<QString, QTcpSocket *>> expired;
    bool anyIdle = false;
    for (auto it = m_origins.cbegin(); it != m_origins.cend(); ++it) {
        qsizetype old = 0;
        for (const IdleConnection &idle : it->idle) { // oldest first
            if (now - idle.sinceMs < IdleTimeoutMs)
                break;
            expired.append({it.key(), idle.socket});
            ++old;
        }
        anyIdle = anyIdle || it->idle.size() > old;
    }
    for (const auto &[key, socket] : std::as_const(expired))
        retireIdle(key, socket, CloseCause::Ended);
    if (!anyIdle)
        m_sweep.stop();
}

void BackendPool::retireIdle(const QString &key, QTcpSocket *socket, CloseCause cause)
{
    Origin &origin = m_origins[key];
    const auto it = std::find_if(origin.idle.begin(), origin.idle.end(),
                                 [socket](const IdleConnection &idle) { return idle.socket == socket; });
    if (it == origin.idle.end())
        return;
    it->unwatch();
    origin.idle.erase(it);
    discard(key, socket, cause);
    freeSlot(key);
}

void BackendPool::discard(const QString &key, QTcpSocket *socket, CloseCause cause)
{
    socket->abort();
    socket->deleteLater();
    if (cause == CloseCause::StrayBytes) {
        ++m_counters.strayBytesClosed;
        emit strayBytesClosed(key);
    }
}

void BackendPool::drop(const QUrl &base)
{
    freeSlot(originKey(base));
}

void BackendPool::freeSlot(const QString &key)
{
    Origin &origin = m_origins[key];
    origin.connections = qMax(0, origin.connections - 1);
    serveWaitersLater(key); // the slot goes to the oldest waiter, which opens a connection itself
}

int BackendPool::idleCount() const
{
    int n = 0;
    for (const Origin &origin : m_origins)
        n += int(origin.idle.size());
    return n;
}

int BackendPool::idleCount(const QUrl &base) const
{
    const auto it = m_origins.constFind(originKey(base));
    return it == m_origins.cend() ? 0 : int(it->idle.size());
}

int BackendPool::connectionCount(const QUrl &base) const
{
    return m_origins.value(originKey(base)).connections;
}

int BackendPool::waitingCount(const QUrl &base) const
{
    const auto it = m_origins.constFind(originKey(base));
    return it == m_origins.cend() ? 0
                                  : int(std::count_if(it->waiting.cbegin(), it->waiting.cend(),
                                                      [](const Waiter &w) { return bool(w.owner); }));
}

} // namespace SeaCat
