#include "backendpool.h"

#include <QTimer>

namespace SeaCat {

QString BackendPool::origin(const QUrl &base)
{
    return QStringLiteral("%1://%2:%3").arg(base.scheme(), base.host()).arg(base.port(base.scheme() == u"https" ? 443 : 80));
}

QTcpSocket *BackendPool::acquire(const QUrl &base)
{
    QList<QPointer<QTcpSocket>> &idle = m_idle[origin(base)];
    while (!idle.isEmpty()) {
        QTcpSocket *socket = idle.takeLast();
        // A backend may have closed (or sent junk on) an idle connection: never reuse those.
        if (socket && socket->state() == QAbstractSocket::ConnectedState && socket->bytesAvailable() == 0) {
            socket->disconnect(this);
            if (QTimer *timer = socket->findChild<QTimer *>(QStringLiteral("idle")))
                delete timer;
            return socket;
        }
        if (socket)
            socket->deleteLater();
    }
    return nullptr;
}

void BackendPool::release(const QUrl &base, QTcpSocket *socket)
{
    QList<QPointer<QTcpSocket>> &idle = m_idle[origin(base)];
    idle.removeAll(nullptr);
    if (idle.size() >= MaxIdlePerOrigin || socket->state() != QAbstractSocket::ConnectedState) {
        socket->deleteLater();
        return;
    }
    socket->disconnect();
    socket->setParent(this);
    // Closed by the backend, or idle too long: dropped from the pool. The pool is the context
    // of these connections, so acquire() removes them with disconnect(this).
    connect(socket, &QTcpSocket::disconnected, this, [socket] { socket->deleteLater(); });
    connect(socket, &QTcpSocket::readyRead, this, [socket] { socket->abort(); });
    auto *timer = new QTimer(socket);
    timer->setObjectName(QStringLiteral("idle"));
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, socket, [socket] { socket->disconnectFromHost(); });
    timer->start(IdleTimeoutMs);
    idle.append(socket);
}

int BackendPool::idleCount() const
{
    int n = 0;
    for (const auto &list : m_idle)
        for (const auto &socket : list)
            n += socket ? 1 : 0;
    return n;
}

} // namespace SeaCat
