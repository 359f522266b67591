// Connections to backends, per origin (scheme://host:port), with a cap. Lives in the engine
// thread; exchanges ask it for a connection and give it back.
//
// At most maxConnectionsPerOrigin() connections are open to one origin at once (in use,
// being opened, or idle); idle keep-alive connections are kept up to that cap (30 s each), so
// a steady load reuses them and opens none. When every connection is in use, requests wait
// in a FIFO queue: the next connection given back, or the next slot freed by a closed one,
// goes to the oldest waiter. How long a waiter may wait is its own deadline (BackendExchange:
// backend-connect-timeout, then 504), so the queue holds no timers.
//
// Contract for a caller of acquire(): its grant callback runs exactly once unless it cancels
// first, at once or later from the event loop, with an idle connected socket (now the
// caller's, counted as reused) or nullptr (the caller opens a connection itself, counted as
// opened). From then on the caller holds one slot until it calls release() (the connection
// may be reused) or drop() (it is closed or failed). A caller that goes away while waiting
// must call cancel().
#pragma once

#include "../gatewaylimits.h"

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
        quint64 opened = 0;   // new connections granted
        quint64 reused = 0;   // idle or released connections handed to the next exchange
        quint64 queued = 0;   // requests that had to wait for a connection
    };
    using Grant = std::function<void(QTcpSocket *pooled)>;

    explicit BackendPool(QObject *parent = nullptr) : QObject(parent) {}
    ~BackendPool() override;

    void setMaxConnectionsPerOrigin(int max) { m_maxPerOrigin = qMax(1, max); }
    int maxConnectionsPerOrigin() const { return m_maxPerOrigin; }

    void acquire(const QUrl &base, QObject *owner, Grant grant);
    void cancel(const QUrl &base, QObject *owner);
    // Takes back a connected socket whose last exchange completed cleanly.
    void release(const QUrl &base, QTcpSocket *socket);
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

private:
    struct Waiter {
        QPointer<QObject> owner;
        Grant grant;
    };
    struct Origin {
        QList<QTcpSocket *> idle;
        int connections = 0;
        std::deque<Waiter> waiting;
        quint64 connectFailures = 0;
    };
    static QString originKey(const QUrl &base);
    // Gives a socket (or nullptr: a slot) to the oldest live waiter; false when none waits.
    bool handToWaiter(const QString &key, Origin &origin, QTcpSocket *socket);
    void keepIdle(const QString &key, Origin &origin, QTcpSocket *socket);
    void retireIdle(const QString &key, QTcpSocket *socket);
    void freeSlot(const QString &key);

    QHash<QString, Origin> m_origins;
    int m_maxPerOrigin = Limits::MaxBackendConnectionsPerOrigin;
    Counters m_counters;
};

} // namespace SeaCat
