#include "protocolsniffer.h"
#include "../gatewaylimits.h"

#include <QSslConfiguration>
#include <QSslSocket>

#include <algorithm>

namespace SeaCat {

namespace {
constexpr char Http2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr qsizetype MaxMethodLength = 20;
} // namespace

bool isHttp1RequestLinePrefix(const QByteArray &bytes)
{
    // The start of a method token (upper-case letters), as classifyPeerBytes() waits on.
    if (bytes.isEmpty() || bytes.size() > MaxMethodLength)
        return false;
    return std::all_of(bytes.cbegin(), bytes.cend(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

PeerProtocol classifyPeerBytes(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return PeerProtocol::NeedMoreBytes;
    // §2.1: SeaCat control frames start with 0x80 (the gateway rule; clients send nothing else).
    if (quint8(bytes[0]) == 0x80)
        return PeerProtocol::SeaCat;

    const QByteArray preface = QByteArray::fromRawData(Http2Preface, sizeof Http2Preface - 1);
    if (bytes.startsWith(preface))
        return PeerProtocol::Http2;
    if (preface.startsWith(bytes))
        return PeerProtocol::NeedMoreBytes;

    // HTTP/1.x: a request line starts with an upper-case method token and a space.
    qsizetype i = 0;
    while (i < bytes.size() && i <= MaxMethodLength && bytes[i] >= 'A' && bytes[i] <= 'Z')
        ++i;
    if (i > 0 && i < bytes.size() && bytes[i] == ' ')
        return PeerProtocol::Http1;
    if (i == bytes.size() && i <= MaxMethodLength)
        return PeerProtocol::NeedMoreBytes;

    // §9: a SeaCat DATA frame has an odd stream id and a length a client can send.
    if (bytes.size() < 8)
        return PeerProtocol::NeedMoreBytes;
    const quint32 streamId = (quint32(quint8(bytes[0])) << 24) | (quint32(quint8(bytes[1])) << 16) |
                             (quint32(quint8(bytes[2])) << 8) | quint8(bytes[3]);
    const quint32 length = (quint32(quint8(bytes[5])) << 16) | (quint32(quint8(bytes[6])) << 8) | quint8(bytes[7]);
    if (streamId % 2 == 1 && length <= quint32(Limits::MaxOutboundPayload))
        return PeerProtocol::SeaCat;
    return PeerProtocol::Unknown;
}

ProtocolSniffer::ProtocolSniffer(QSslSocket *socket, int timeoutMs, QObject *parent) : QObject(parent), m_socket(socket)
{
    m_clock.start();
    // ALPN settles it before any byte (README "HTTPS clients"): SeaCat clients send none, and
    // the server offers only h2 and http/1.1 (no overlap fails the handshake, QT64-NOTES).
    const QByteArray alpn = socket->sslConfiguration().nextNegotiatedProtocol();
    if (!alpn.isEmpty()) {
        const PeerProtocol protocol = alpn == "h2" ? PeerProtocol::Http2 : PeerProtocol::Http1;
        QMetaObject::invokeMethod(
            this, [this, protocol] { decide(protocol); }, Qt::QueuedConnection);
        return;
    }
    connect(socket, &QSslSocket::readyRead, this, &ProtocolSniffer::check);
    connect(socket, &QSslSocket::disconnected, this, [this] { decide(PeerProtocol::Unknown); });
    m_timeout.setSingleShot(true);
    // A silent peer is a SeaCat client with nothing to say yet (HTTP clients speak first); the
    // session's idle timeout takes over from here. One that trickles a request line slower than
    // this (a slowloris) is an HTTP client: its rejector answers 408 at the head deadline.
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        const QByteArray bytes = m_socket->peek(MaxMethodLength + 1);
        if (bytes.isEmpty())
            decide(PeerProtocol::SeaCat);
        else
            decide(isHttp1RequestLinePrefix(bytes) ? PeerProtocol::Http1 : PeerProtocol::Unknown);
    });
    m_timeout.start(qMin(timeoutMs, Limits::SilentPeerGraceMs));
    QMetaObject::invokeMethod(this, &ProtocolSniffer::check, Qt::QueuedConnection);
}

void ProtocolSniffer::check()
{
    const QByteArray bytes = m_socket->peek(Limits::MaxSniffBytes);
    const PeerProtocol protocol = classifyPeerBytes(bytes);
    if (protocol != PeerProtocol::NeedMoreBytes)
        decide(protocol);
    else if (bytes.size() >= Limits::MaxSniffBytes)
        decide(PeerProtocol::Unknown);
}

void ProtocolSniffer::decide(PeerProtocol protocol)
{
    if (m_decided)
        return;
    m_decided = true;
    m_timeout.stop();
    disconnect(m_socket, nullptr, this, nullptr);
    emit identified(protocol);
}

} // namespace SeaCat
