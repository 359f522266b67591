#include "tlslistener.h"
#include "../metrics.h"

#include <QSslSocket>
#include <QtNetwork/private/qsslsocket_p.h>

#include <sys/resource.h>
#include <unistd.h>

namespace SeaCat {

namespace {
constexpr char TlsHandshakeRecord = 0x16;
constexpr int DescriptorRetryMs = 500; // accepting resumes this soon after the descriptor ceiling // RFC 8446 §5.1: ContentType handshake
// A plain-HTTP client on the TLS port learns why, as nginx tells it, instead of a bare close.
const QByteArray PlainHttpAnswer = QByteArrayLiteral(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
    "400 Bad Request: this port speaks TLS.\r\n");
} // namespace

TlsListener::TlsListener(const QSslConfiguration &tls, Budget budget, QObject *parent)
    : QTcpServer(parent), m_tls(tls), m_budget(budget)
{
    m_clock.start();
    // Sockets wait here only until the engine takes them, which it does at once.
    setMaxPendingConnections(qMax(budget.maxHandshakes, 1));
    // A burst of connects waits in the kernel instead of being refused (nginx: 511).
    setListenBacklogSize(1024);
    m_sweepTimer.setInterval(qBound(50, qMin(budget.firstByteTimeoutMs, budget.handshakeTimeoutMs) / 4, 1'000));
    connect(&m_sweepTimer, &QTimer::timeout, this, &TlsListener::sweep);
}

TlsListener::~TlsListener() = default;

void TlsListener::incomingConnection(qintptr descriptor)
{
    // Linux hands out the lowest free descriptor, so its number tells how many are open. At the
    // ceiling the listener pauses instead of accepting into exhaustion (where accept() fails at
    // once and the loop spins), and tries again a little later.
    if (m_budget.descriptorCeiling > 0 && descriptor >= m_budget.descriptorCeiling) {
        ::close(int(descriptor));
        pauseAccepting();
        QTimer::singleShot(DescriptorRetryMs, this, &QTcpServer::resumeAccepting);
        emit acceptingPaused(int(descriptor));
        return;
    }
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
        drop(key, error == QAbstractSocket::RemoteHostClosedError ? Counter::HandshakeFailedPeerClosed : Counter::HandshakeFailedTls,
             socket->errorString());
    });
    connect(socket, &QSslSocket::disconnected, this,
            [this, key] { drop(key, Counter::HandshakeFailedPeerClosed, QStringLiteral("closed by the peer")); });
    if (m_handshakes.size() > m_budget.maxHandshakes) {
        ++m_shed;
        drop(m_handshakes.firstKey(), Counter::HandshakeFailedShed, QStringLiteral("shed: %1 handshakes at once (max-handshakes)").arg(m_budget.maxHandshakes));
    }
    if (!m_sweepTimer.isActive())
        m_sweepTimer.start();
}

void TlsListener::startHandshake(quint64 key)
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

void TlsListener::finish(quint64 key)
{
    const Handshake handshake = m_handshakes.take(key);
    if (!handshake.socket)
        return;
    handshake.socket->disconnect(this);
    if (!m_context)
        m_context = QSslSocketPrivate::sslContext(handshake.socket);
    Metrics::add(Counter::HandshakesCompleted);
    addPendingConnection(handshake.socket); // emits pendingConnectionAvailable
}

void TlsListener::drop(quint64 key, Counter failure, const QString &reason)
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

void TlsListener::sweep()
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

int raiseDescriptorLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1'024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return int(qMin<rlim_t>(limit.rlim_cur, 1 << 30));
}

} // namespace SeaCat
