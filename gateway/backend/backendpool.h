// Connections to backends, per origin (scheme://host:port), with a cap. Lives in the engine
// thread; exchanges ask it for a connection and give it back.
//
// At most maxConnectionsPerOrigin() connections are open to one origin at once (in use,
// being opened, or idle); idle keep-alive connections are kept up to that cap (30–35 s each), so
// a steady load reuses them and opens none. When every connection is in use, requests wait
// in a FIFO queue: the next connection given back, or the next slot freed by a closed one,
// goes to the oldest waiter. How long a waiter may wait is its own deadline (BackendExchange:
// backend-connect-timeout, then 504), so the queue holds no timers.
//
// Contract for a caller of acquire(): its grant callback runs exactly once unless it cancels
// first, at once or later from the event loop, with an idle connected socket (now the
// caller's to use and delete, though it stays the pool's child; counted as reused) or nullptr (the caller opens a
// connection itself, counted as opened). From then on the caller holds one slot until it calls release() (the
// connection may be reused), closeStray() or drop() (it is closed or failed). A caller that goes away while waiting
// must call cancel().
//
// A backend speaks only when asked (HTTP/1.1 has no unsolicited responses), so any byte that
// arrives between a response's end and the next request's head belongs to no request: a
// stale or smuggled answer that would reach the next client on that connection. Such a
// connection is closed, never reused, and counted (strayBytesClosed). Connections are
// watched from release() until an exchange takes them, and checked (Qt's buffer and the
// kernel's) at that moment.
#pragma once

#include "../gatewaylimits.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>
#include <deque>
#include <functional>

namespace SeaCat {

class BackendPool final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BackendPool)

public:
    static constexpr int IdleTimeoutMs = 30'000;

    struct Counters {
        quint64 opened = 0;           // new connections granted
        quint64 reused = 0;           // idle or released connections handed to the next exchange
        quint64 queued = 0;           // requests that had to wait for a connection
        quint64 strayBytesClosed = 0; // closed because the backend sent bytes no request asked for
    };
    using Grant = std::function<void(QTcpSocket *pooled)>;

    explicit BackendPool(QObject *parent = nullptr) : QObject(parent) { m_clock.start(); }
    ~BackendPool() override;

    void setMaxConnectionsPerOrigin(int max) { m_maxPerOrigin = qMax(1, max); }
    int maxConnectionsPerOrigin() const { return m_maxPerOrigin; }

    void acquire(const QUrl &base, QObject *owner, Grant grant);
    void cancel(const QUrl &base, QObject *owner);
    // Takes back a connected socket whose last exchange completed cleanly and disconnected
    // itself from it. One that has bytes waiting in Qt is closed as closeStray() does; bytes
    // in the kernel are found by the idle watch or when the connection is taken.
    void release(const QUrl &base, QTcpSocket *socket);
    // The caller's connection carried bytes after its response: closed and counted. The caller
    // disconnected itself from it, as for release().
    void closeStray(const QUrl &base, QTcpSocket *socket);
    // The caller's connection is gone (or was never opened): its slot is free.
    void drop(const QUrl &base);

    Counters counters() const { return m_counters; }
    int idleCount() const;
    // Connections counted against the cap for `base`'s origin: in use, opening or idle.
    int connectionCount(const QUrl &base) const;
    int waitingCount(const QUrl &base) const;
    int idleCount(const QUrl &base) const;
    // A connection to `base`'s origin could not be opened (refused, unreachable, timed out).
    void noteConnectFailure(const QUrl &base) { ++m_origins[originKey(base)].connectFailures; }
    quint64 connectFailures(const QUrl &base) const { return m_origins.value(originKey(base)).connectFailures; }

signals:
    // A backend of `origin` sent bytes no request asked for; that connection was closed.
    void strayBytesClosed(const QString &origin);

private:
    struct Waiter {
        QPointer<QObject> owner;
        Grant grant;
    };
    struct IdleConnection {
        QTcpSocket *socket;
        qint64 sinceMs; // m_clock time it was given back
        // The pool's watch on it, undone one by one when it leaves (unwatch()): cheaper than
        // QObject::disconnect(receiver), which walks all of a socket's signals.
        QMetaObject::Connection closed;
        QMetaObject::Connection readable;
        void unwatch() const
        {
            QObject::disconnect(closed);
            QObject::disconnect(readable);
        }
    };
    struct Origin {
        QList<IdleConnection> idle; // oldest first
        int connections = 0;
        std::deque<Waiter> waiting;
        quint64 connectFailures = 0;
    };
    // Formatted once per backend, not per request: the last one asked for is kept.
    QString originKey(const QUrl &base) const;
    static bool hasLiveWaiter(const Origin &origin);
    // The most recently used idle connection that is still clean, or nullptr; the others are
    // closed (their slots are freed for the caller).
    QTcpSocket *takeIdle(const QString &key, Origin &origin);
    // Hands idle connections, then free slots, to waiters in FIFO order.
    void serveWaiters(const QString &key);
    // From the event loop, not from inside the exchange that gave a connection back.
    void serveWaitersLater(const QString &key);
    void keepIdle(const QString &key, Origin &origin, QTcpSocket *socket);
    // Why a connection is closed: it ended (closed by the backend, idle too long) or it
    // carried bytes no request asked for (counted).
    enum class CloseCause { Ended, StrayBytes };
    void retireIdle(const QString &key, QTcpSocket *socket, CloseCause cause);
    // Closes a connection nobody uses any more; its slot is not freed here.
    void discard(const QString &key, QTcpSocket *socket, CloseCause cause);
    void freeSlot(const QString &key);
    // Closes connections idle for IdleTimeoutMs: one pool-wide sweep instead of a timer per
    // connection (which cost a QObject and two timer operations per request).
    void timerEvent(QTimerEvent *event) override;

    QHash<QString, Origin> m_origins;
    mutable QUrl m_lastBase;
    mutable QString m_lastKey;
    QElapsedTimer m_clock;
    QBasicTimer m_sweep;
    int m_maxPerOrigin = Limits::MaxBackendConnectionsPerOrigin;
    Counters m_counters;
};

} // namespace SeaCat
