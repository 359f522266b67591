#include "backendpool.h"

#include <QTimerEvent>

#include <algorithm>

namespace SeaCat {

namespace {
// An idle connection is closed IdleTimeoutMs to IdleTimeoutMs + this after it was given back.
constexpr int SweepIntervalMs = 5'000;
} // namespace

BackendPool::~BackendPool()
{
    for (Origin &origin : m_origins)
        for (const IdleConnection &idle : std::as_const(origin.idle))
            idle.socket->disconnect(this);
}

QString BackendPool::originKey(const QUrl &base) const
{
    if (base != m_lastBase || m_lastKey.isEmpty()) {
        m_lastKey = QStringLiteral("%1://%2:%3").arg(base.scheme(), base.host()).arg(base.port(base.scheme() == u"https" ? 443 : 80));
        m_lastBase = base;
    }
    return m_lastKey;
}

void BackendPool::acquire(const QUrl &base, QObject *owner, Grant grant)
{
    const QString key = originKey(base);
    Origin &origin = m_origins[key];
    while (!origin.idle.isEmpty()) {
        QTcpSocket *socket = origin.idle.takeLast().socket; // the most recently used: warm, least likely timed out
        socket->disconnect(this);
        // A backend may have closed (or sent junk on) an idle connection: never reuse those.
        if (socket->state() == QAbstractSocket::ConnectedState && socket->bytesAvailable() == 0) {
            ++m_counters.reused;
            grant(socket);
            return;
        }
        --origin.connections;
        socket->deleteLater();
    }
    if (origin.connections < m_maxPerOrigin) {
        ++origin.connections;
        ++m_counters.opened;
        grant(nullptr);
        return;
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
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(), [owner](const Waiter &w) { return !w.owner || w.owner == owner; }),
                  waiting.end());
}

bool BackendPool::handToWaiter(const QString &key, Origin &origin, QTcpSocket *socket)
{
    while (!origin.waiting.empty()) {
        Waiter waiter = std::move(origin.waiting.front());
        origin.waiting.pop_front();
        if (!waiter.owner)
            continue;
        if (socket)
            ++m_counters.reused;
        else
            ++m_counters.opened;
        // From the event loop, not from inside the exchange that gave the connection back.
        if (socket)
            socket->setParent(this);
        QMetaObject::invokeMethod(this, [this, key, waiter = std::move(waiter), socket = QPointer<QTcpSocket>(socket),
                                         isSocket = socket != nullptr] {
            if (waiter.owner) {
                waiter.grant(socket); // a socket closed meanwhile: the exchange retries on a fresh one
            } else if (isSocket && socket) {
                release(QUrl(key), socket);
            } else {
                freeSlot(key);
            }
        }, Qt::QueuedConnection);
        return true;
    }
    return false;
}

void BackendPool::release(const QUrl &base, QTcpSocket *socket)
{
    const QString key = originKey(base);
    Origin &origin = m_origins[key];
    socket->disconnect();
    if (socket->state() != QAbstractSocket::ConnectedState) {
        socket->deleteLater();
        freeSlot(key);
        return;
    }
    if (!handToWaiter(key, origin, socket))
        keepIdle(key, origin, socket);
}

void BackendPool::keepIdle(const QString &key, Origin &origin, QTcpSocket *socket)
{
    socket->setParent(this);
    // Closed by the backend, bytes it should not send, or idle too long: the connection goes
    // and its slot is free. acquire() removes these with disconnect(this).
    connect(socket, &QTcpSocket::disconnected, this, [this, key, socket] { retireIdle(key, socket); });
    connect(socket, &QTcpSocket::readyRead, this, [this, key, socket] { retireIdle(key, socket); });
    origin.idle.append({socket, m_clock.elapsed()});
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
        retireIdle(key, socket);
    if (!anyIdle)
        m_sweep.stop();
}

void BackendPool::retireIdle(const QString &key, QTcpSocket *socket)
{
    Origin &origin = m_origins[key];
    const auto it = std::find_if(origin.idle.begin(), origin.idle.end(), [socket](const IdleConnection &idle) { return idle.socket == socket; });
    if (it == origin.idle.end())
        return;
    origin.idle.erase(it);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    freeSlot(key);
}

void BackendPool::drop(const QUrl &base)
{
    freeSlot(originKey(base));
}

void BackendPool::freeSlot(const QString &key)
{
    Origin &origin = m_origins[key];
    // The slot passes to the oldest waiter, which opens a connection itself.
    if (handToWaiter(key, origin, nullptr))
        return;
    origin.connections = qMax(0, origin.connections - 1);
}

int BackendPool::idleCount() const
{
    int n = 0;
    for (const Origin &origin : m_origins)
        n += int(origin.idle.size());
    return n;
}

int BackendPool::connectionCount(const QUrl &base) const
{
    return m_origins.value(originKey(base)).connections;
}

int BackendPool::waitingCount(const QUrl &base) const
{
    const auto it = m_origins.constFind(originKey(base));
    return it == m_origins.cend() ? 0 : int(std::count_if(it->waiting.cbegin(), it->waiting.cend(), [](const Waiter &w) { return bool(w.owner); }));
}

} // namespace SeaCat
