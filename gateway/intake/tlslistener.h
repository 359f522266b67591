// The TLS port: accepts TCP connections and takes each through its TLS handshake on a budget.
// QSslServer counts sockets still in their handshake against maxPendingConnections() (30) and
// stops accepting at that limit, so 30 silent sockets locked every client out for the whole
// handshake timeout. Here sockets before their handshake have their own cap, the oldest is
// shed when it is reached, and a silent socket goes at the first-byte deadline.
//
// Every socket gets TCP_NODELAY, and all of them share one OpenSSL context (certificate, key,
// cipher list, trust store, session cache): Qt 6.4 builds a new SSL_CTX for every QSslSocket,
// which cost about a third of a full handshake's CPU and ~30 KiB per connection. The context
// is taken from the first socket that finishes its handshake and handed to every later one
// through Qt's private QSslSocketPrivate API, as Qt's own HTTP client does (CMakeLists.txt
// pins the Qt minor version for it). A listener has one TLS configuration for its lifetime;
// a new identity means a new listener (GatewayEngine::start), hence a new context.
#pragma once

#include "../metrics.h"

#include <QElapsedTimer>
#include <QMap>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>
#include <memory>

QT_BEGIN_NAMESPACE
class QSslContext;
class QSslSocket;
QT_END_NAMESPACE

namespace SeaCat {

class TlsListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsListener)

public:
    struct Budget {
        int maxHandshakes;        // sockets before or in their handshake, at once
        int firstByteTimeoutMs;   // from accept to the first byte of a ClientHello
        int handshakeTimeoutMs;   // from accept to a finished handshake
        // Accepting stops while descriptors reach this number, so that live sessions keep
        // descriptors for their backends and the store (0: no ceiling).
        int descriptorCeiling = 0;
    };

    TlsListener(const QSslConfiguration &tls, Budget budget, QObject *parent = nullptr);
    ~TlsListener() override;

    int handshakesInProgress() const { return int(m_handshakes.size()); }
    // Sockets closed before their handshake ended, by cause, since start.
    quint64 shedCount() const { return m_shed; }
    quint64 timedOutCount() const { return m_timedOut; }
    // Whether later sockets get the shared TLS context (after the first finished handshake).
    bool sharesTlsContext() const { return bool(m_context); }

signals:
    // A handshake that failed (the peer's address and why); the socket is gone.
    void handshakeFailed(const QString &peer, const QString &reason);
    // The descriptor ceiling was reached: accepting pauses and resumes by itself.
    void acceptingPaused(int descriptor);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    struct Handshake {
        QSslSocket *socket;
        qint64 acceptedMs;
        bool started;             // the first byte came and the TLS handshake runs
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
    QTimer m_sweepTimer;
    QElapsedTimer m_clock;
};

// Raises this process's soft descriptor limit to its hard limit (as nginx's
// worker_rlimit_nofile does) and returns the limit now in force.
int raiseDescriptorLimit();

} // namespace SeaCat
