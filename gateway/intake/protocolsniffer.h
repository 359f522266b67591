// After the TLS handshake, the first bytes decide who is on the line (README "HTTPS clients",
// spec §9): a SeaCat client, an HTTP/1.x client, an HTTP/2 client, or something else.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QTimer>

class QSslSocket;

namespace SeaCat {

enum class PeerProtocol { NeedMoreBytes, SeaCat, Http1, Http2, Unknown };

// Pure classification of the bytes seen so far.
PeerProtocol classifyPeerBytes(const QByteArray &firstBytes);

// Waits (bounded in bytes and time) until classifyPeerBytes() decides. Only peeks: the bytes
// stay in the socket for whoever handles the connection next.
class ProtocolSniffer final : public QObject
{
    Q_OBJECT

public:
    ProtocolSniffer(QSslSocket *socket, int timeoutMs, QObject *parent = nullptr);
    QSslSocket *socket() const { return m_socket; }

signals:
    void identified(SeaCat::PeerProtocol protocol);

private:
    void check();
    void decide(PeerProtocol protocol);

    QSslSocket *m_socket;
    QTimer m_timeout;
    bool m_decided = false;
};

} // namespace SeaCat
