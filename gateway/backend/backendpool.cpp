#include "backendpool.h"

#include <QTimer>

#include <algorithm>

namespace SeaCat {

BackendPool::~BackendPool()
{
    for (Origin &origin : m_origins)
        for (QTcpSocket *socket : std::as_const(origin.idle))
            socket->disconnect(this);
}

QString BackendPool::originKey(const QUrl &base)
{
    return QStringLiteral("%1://%2:%3").arg(base.scheme(), base.host()).arg(base.port(base.scheme() == u"https" ? 443 : 80));
}

void BackendPool::acquire(const QUrl &base, QObject *owner, Grant grant)
{
    const QString key = originKey(base);
    Origin &origin = m_origins[key];
    while (!origin.idle.isEmpty()) {
        QTcpSocket *socket = origin.idle.takeLast(); // the most recently used: warm, least likely timed out
        socket->disconnect(this);
        if (QTimer *timer = socket->findChild<QTimer *>(QStringLiteral("idle"), Qt::FindDirectChildrenOnly))
            delete timer;
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
    auto *timer = new QTimer(socket);
    timer->setObjectName(QStringLiteral("idle"));
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, key, socket] { retireIdle(key, socket); });
    timer->start(IdleTimeoutMs);
    origin.idle.append(socket);
}

void BackendPool::retireIdle(const QString &key, QTcpSocket *socket)
{
    Origin &origin = m_origins[key];
    if (!origin.idle.removeOne(socket))
        return;
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
    return it == m_origins.cend() ? 0 : int(std::count_if(it->waiting.cbegin(), it->waiting.cend(), [](const Waiter &w) { return bool(w.owner); }));
}

} // namespace SeaCat
