// Idle keep-alive connections to backends, per origin. Lives in the engine thread.
#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>

namespace SeaCat {

class BackendPool final : public QObject
{
    Q_OBJECT

public:
    static constexpr int MaxIdlePerOrigin = 32;
    static constexpr int IdleTimeoutMs = 30'000;

    explicit BackendPool(QObject *parent = nullptr) : QObject(parent) {}

    // An idle connected socket for `base`'s origin, now owned by the caller, or nullptr.
    QTcpSocket *acquire(const QUrl &base);
    // Takes back a socket whose last exchange completed cleanly.
    void release(const QUrl &base, QTcpSocket *socket);
    int idleCount() const;

private:
    static QString origin(const QUrl &base);
    QHash<QString, QList<QPointer<QTcpSocket>>> m_idle;
};

} // namespace SeaCat
