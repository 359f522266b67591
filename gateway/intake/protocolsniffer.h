// After the TLS handshake, the first bytes decide who is on the line (README "HTTPS clients",
// spec §9): a SeaCat client, an HTTP/1.x client, an HTTP/2 client, or something else.
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

class QSslSocket;

namespace SeaCat {

enum class PeerProtocol { NeedMoreBytes, SeaCat, Http1, Http2, Unknown };

// Pure classification of the bytes seen so far.
PeerProtocol classifyPeerBytes(const QByteArray &firstBytes);
// Whether `bytes` could be the start of an HTTP/1.x method (classifyPeerBytes() says NeedMoreBytes).
bool isHttp1RequestLinePrefix(const QByteArray &bytes);

// Waits (bounded in bytes and time) until classifyPeerBytes() decides. Only peeks: the bytes
// stay in the socket for whoever handles the connection next.
class ProtocolSniffer final : public QObject
{
    Q_OBJECT

public:
    ProtocolSniffer(QSslSocket *socket, int timeoutMs, QObject *parent = nullptr);
    QSslSocket *socket() const { return m_socket; }
    // Milliseconds since the handshake ended (the sniffer starts right then): the rejectors'
    // deadlines count from there.
    qint64 elapsedMs() const { return m_clock.elapsed(); }

signals:
    void identified(SeaCat::PeerProtocol protocol);

private:
    void check();
    void decide(PeerProtocol protocol);

    QSslSocket *m_socket;
    QTimer m_timeout;
    QElapsedTimer m_clock;
    bool m_decided = false;
};

} // namespace SeaCat
