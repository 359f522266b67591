#include "tlshandshaker.h"
#include "../metrics.h"

#include <QSslSocket>
#include <QtNetwork/private/qsslsocket_p.h>

#include <unistd.h>

namespace SeaCat {

namespace {
constexpr char TlsHandshakeRecord = 0x16; // RFC 8446 §5.1: ContentType handshake
// A plain-HTTP client on the TLS port learns why, as nginx tells it, instead of a bare close.
const QByteArray PlainHttpAnswer = QByteArrayLiteral("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                                                     "charset=utf-8\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
                                                     "400 Bad Request: this port speaks TLS.\r\n");
} // namespace

TlsHandshaker::TlsHandshaker(const QSslConfiguration &tls, Budget budget, QObject *parent)
    : QObject(parent), m_tls(tls), m_budget(budget)
{
    m_clock.start();
    m_sweepTimer.setInterval(qBound(50, qMin(budget.firstByteTimeoutMs, budget.handshakeTimeoutMs) / 4, 1'000));
    connect(&m_sweepTimer, &QTimer::timeout, this, &TlsHandshaker::sweep);
}

TlsHandshaker::~TlsHandshaker() = default;

void TlsHandshaker::adopt(qintptr descriptor)
{
    auto *socket = new QSslSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        ::close(int(descriptor));
        return;
    }
    // Several streams answered in separate writes must not wait for the client's delayed ACK
    // (Nagle: ~40 ms per batch, QT64-NOTES §6); nginx and nghttpx set it on every socket.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    socket->setSslConfiguration(m_tls);
    const quint64 key = m_nextKey++;
    m_handshakes.insert(key, {socket, m_clock.elapsed(), false});
    connect(socket, &QSslSocket::readyRead, this, [this, key] { startHandshake(key); });
    connect(socket, &QSslSocket::encrypted, this, [this, key] { finish(key); });
    connect(socket, &QSslSocket::errorOccurred, this, [this, key, socket](QAbstractSocket::SocketError error) {
        drop(key,
             error == QAbstractSocket::RemoteHostClosedError ? Counter::HandshakeFailedPeerClosed
                                                             : Counter::HandshakeFailedTls,
             socket->errorString());
    });
    connect(socket, &QSslSocket::disconnected, this,
            [this, key] { drop(key, Counter::HandshakeFailedPeerClosed, QStringLiteral("closed by the peer")); });
    if (m_handshakes.size() > m_budget.maxHandshakes) {
        ++m_shed;
        drop(m_handshakes.firstKey(), Counter::HandshakeFailedShed,
             QStringLiteral("shed: %1 handshakes at once (max-handshakes)").arg(m_budget.maxHandshakes));
    }
    if (!m_sweepTimer.isActive())
        m_sweepTimer.start();
}

void TlsHandshaker::startHandshake(quint64 key)
{
    const auto it = m_handshakes.find(key);
    if (it == m_handshakes.end() || it->started)
        return;
    QSslSocket *socket = it->socket;
    char first = 0;
    if (socket->peek(&first, 1) != 1)
        return;
    if (first != TlsHandshakeRecord) {
        m_handshakes.erase(it);
        socket->disconnect(this);
        Metrics::add(Counter::HandshakeFailedPlaintext);
        emit handshakeFailed(socket->peerAddress().toString(), QStringLiteral("plaintext, not TLS"));
        connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(m_budget.firstByteTimeoutMs, socket, &QSslSocket::abort);
        if (first >= 'A' && first <= 'Z')
            socket->write(PlainHttpAnswer);
        socket->disconnectFromHost();
        return;
    }
    // The peeked ClientHello bytes stay buffered and feed the handshake.
    it->started = true;
    // Set as late as possible, so that sockets accepted before the first handshake ended
    // still get the shared context. Ignored by a socket that already has one.
    if (m_context)
        QSslSocketPrivate::checkSettingSslContext(socket, m_context);
    socket->startServerEncryption();
}

void TlsHandshaker::finish(quint64 key)
{
    const Handshake handshake = m_handshakes.take(key);
    if (!handshake.socket)
        return;
    handshake.socket->disconnect(this);
    if (!m_context)
        m_context = QSslSocketPrivate::sslContext(handshake.socket);
    Metrics::add(Counter::HandshakesCompleted);
    emit connectionReady(handshake.socket);
}

void TlsHandshaker::drop(quint64 key, Counter failure, const QString &reason)
{
    const Handshake handshake = m_handshakes.take(key);
    if (!handshake.socket)
        return;
    Metrics::add(failure);
    const QString peer = handshake.socket->peerAddress().toString();
    handshake.socket->disconnect(this);
    handshake.socket->abort();
    handshake.socket->deleteLater();
    emit handshakeFailed(peer, reason);
}

void TlsHandshaker::sweep()
{
    const qint64 now = m_clock.elapsed();
    QList<quint64> expired;
    // Accept order is age order: past the first socket young enough for both deadlines, all are.
    for (auto it = m_handshakes.cbegin(); it != m_handshakes.cend(); ++it) {
        const qint64 age = now - it->acceptedMs;
        if (age < qMin(m_budget.firstByteTimeoutMs, m_budget.handshakeTimeoutMs))
            break;
        if (age >= m_budget.handshakeTimeoutMs || (!it->started && age >= m_budget.firstByteTimeoutMs))
            expired.append(it.key());
    }
    for (quint64 key : std::as_const(expired)) {
        const bool started = m_handshakes.value(key).started;
        ++m_timedOut;
        drop(key, started ? Counter::HandshakeFailedTimeout : Counter::HandshakeFailedNoClientHello,
             started ? QStringLiteral("no finished handshake within %1 ms").arg(m_budget.handshakeTimeoutMs)
                     : QStringLiteral("no ClientHello within %1 ms").arg(m_budget.firstByteTimeoutMs));
    }
    if (m_handshakes.isEmpty())
        m_sweepTimer.stop();
}

} // namespace SeaCat
