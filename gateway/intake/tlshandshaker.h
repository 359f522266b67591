// Takes accepted TCP connections through their TLS handshake on a budget. QSslServer counts
// sockets still in their handshake against maxPendingConnections() (30) and stops accepting at
// that limit, so 30 silent sockets locked every client out for the whole handshake timeout.
// Here sockets before their handshake have their own cap, the oldest is shed when it is
// reached, and a silent socket goes at the first-byte deadline.
//
// Every socket gets TCP_NODELAY, and all of them share one OpenSSL context (certificate, key,
// cipher list, trust store, session cache): Qt 6.4 builds a new SSL_CTX for every QSslSocket,
// which cost about a third of a full handshake's CPU and ~30 KiB per connection. The context
// is taken from the first socket that finishes its handshake and handed to every later one
// through Qt's private QSslSocketPrivate API, as Qt's own HTTP client does (CMakeLists.txt
// pins the Qt minor version for it). A handshaker has one TLS configuration for its lifetime;
// a new identity means a new handshaker (GatewayEngine::start), hence a new context.
//
// Lives in the thread of its owner (an EngineWorker) and is fed descriptors accepted by a
// TlsListener, possibly in another thread; everything else happens in its own thread.
#pragma once

#include "../metrics.h"

#include <QElapsedTimer>
#include <QMap>
#include <QObject>
#include <QSslConfiguration>
#include <QTimer>
#include <memory>

QT_BEGIN_NAMESPACE
class QSslContext;
class QSslSocket;
QT_END_NAMESPACE

namespace SeaCat {

class TlsHandshaker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsHandshaker)

public:
    struct Budget {
        int maxHandshakes;      // sockets before or in their handshake, at once
        int firstByteTimeoutMs; // from accept to the first byte of a ClientHello
        int handshakeTimeoutMs; // from accept to a finished handshake
    };

    TlsHandshaker(const QSslConfiguration &tls, Budget budget, QObject *parent = nullptr);
    ~TlsHandshaker() override;

    // Takes an accepted, connected descriptor; it is closed here whatever happens to it.
    void adopt(qintptr descriptor);

    int handshakesInProgress() const { return int(m_handshakes.size()); }
    // Sockets closed before their handshake ended, by cause, since start.
    quint64 shedCount() const { return m_shed; }
    quint64 timedOutCount() const { return m_timedOut; }
    // Whether later sockets get the shared TLS context (after the first finished handshake).
    bool sharesTlsContext() const { return bool(m_context); }

signals:
    // A socket whose handshake finished. It is still a child of the handshaker: the receiver
    // (connected directly) takes it over with setParent().
    void connectionReady(QSslSocket *socket);
    // A handshake that failed (the peer's address and why); the socket is gone.
    void handshakeFailed(const QString &peer, const QString &reason);

private:
    struct Handshake {
        QSslSocket *socket;
        qint64 acceptedMs;
        bool started; // the first byte came and the TLS handshake runs
    };
    void startHandshake(quint64 key);
    void finish(quint64 key);
    // `failure`: the counter of its cause (README "Metrics").
    void drop(quint64 key, Counter failure, const QString &reason);
    void sweep();

    QSslConfiguration m_tls;
    std::shared_ptr<QSslContext> m_context;
    Budget m_budget;
    // Accept order: the first entry is the oldest, shed first at the cap.
    QMap<quint64, Handshake> m_handshakes;
    quint64 m_nextKey = 0;
    quint64 m_shed = 0;
    quint64 m_timedOut = 0;
    QTimer m_sweepTimer{this}; // a child: follows the handshaker into its thread
    QElapsedTimer m_clock;
};

} // namespace SeaCat
