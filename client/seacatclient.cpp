#include "seacatclient.h"
#include "gatewaylimits.h"
#include "tls/tlsprofile.h"
#include "codec/framewriter.h"

#include <QFile>
#include <QSslConfiguration>
#include <QSslKey>

namespace SeaCat {

QString rstStatusName(quint32 status)
{
    switch (RstStatus(status)) {
    case RstStatus::ProtocolError:
        return QStringLiteral("PROTOCOL_ERROR (1)");
    case RstStatus::InvalidStream:
        return QStringLiteral("INVALID_STREAM (2)");
    case RstStatus::RefusedStream:
        return QStringLiteral("REFUSED_STREAM (3)");
    case RstStatus::Cancel:
        return QStringLiteral("CANCEL (5)");
    case RstStatus::InternalError:
        return QStringLiteral("INTERNAL_ERROR (6)");
    case RstStatus::StreamAlreadyClosed:
        return QStringLiteral("STREAM_ALREADY_CLOSED (9)");
    case RstStatus::ConnectionTimeout:
        return QStringLiteral("CONNECTION_TIMEOUT (71)");
    case RstStatus::ResponseTimeout:
        return QStringLiteral("RESPONSE_TIMEOUT (72)");
    }
    return QStringLiteral("status %1").arg(status);
}

SeaCatClient::SeaCatClient(QObject *parent) : QObject(parent), m_reader(this)
{
    m_clock.start();
    connect(&m_socket, &QSslSocket::encrypted, this, &SeaCatClient::connected);
    connect(&m_socket, &QSslSocket::disconnected, this, &SeaCatClient::disconnected);
    connect(&m_socket, &QSslSocket::encryptedBytesWritten, this, &SeaCatClient::bytesWritten);
    // Bounded, so that a paused reader leaves the gateway's bytes in TCP.
    m_socket.setReadBufferSize(Limits::SocketReadBufferBytes);
    connect(&m_socket, &QSslSocket::readyRead, this, &SeaCatClient::readFromGateway);
    connect(&m_socket, &QSslSocket::errorOccurred, this,
            [this](QAbstractSocket::SocketError) { emit errorOccurred(m_socket.errorString()); });
    connect(&m_socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        QStringList text;
        for (const QSslError &e : errors)
            text << e.errorString();
        emit errorOccurred(QStringLiteral("TLS verification failed: %1").arg(text.join(QStringLiteral("; "))));
    });
}

SeaCatClient::~SeaCatClient() = default;

QString SeaCatClient::connectToGateway(const Options &options)
{
    const QList<QSslCertificate> ca = QSslCertificate::fromPath(options.caFile);
    if (ca.isEmpty())
        return QStringLiteral("cannot read a CA certificate from %1 (the gateway's ca.pem)").arg(options.caFile);
    QSslConfiguration tls = TlsProfile::stockClient(ca);
    if (!options.certFile.isEmpty()) {
        const QList<QSslCertificate> cert = QSslCertificate::fromPath(options.certFile);
        QFile keyFile(options.keyFile);
        if (cert.isEmpty() || !keyFile.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read the client certificate %1 or key %2")
                .arg(options.certFile, options.keyFile);
        const QByteArray pem = keyFile.readAll();
        QSslKey key(pem, QSsl::Rsa);
        if (key.isNull())
            key = QSslKey(pem, QSsl::Ec);
        if (key.isNull())
            return QStringLiteral("%1 holds no RSA or EC private key").arg(options.keyFile);
        tls.setLocalCertificate(cert.first());
        tls.setPrivateKey(key);
    }
    m_socket.setSslConfiguration(tls);
    m_socket.setPeerVerifyName(options.gatewayName.isEmpty() ? options.host : options.gatewayName);
    m_socket.connectToHostEncrypted(options.host, options.port);
    return {};
}

void SeaCatClient::readFromGateway()
{
    if (m_readPaused)
        return;
    const QByteArray bytes = m_socket.readAll();
    if (m_reader.feed(bytes) != bytes.size())
        m_socket.abort();
}

void SeaCatClient::setReadPaused(bool paused)
{
    if (paused == m_readPaused)
        return;
    m_readPaused = paused;
    if (!paused)
        QMetaObject::invokeMethod(this, &SeaCatClient::readFromGateway, Qt::QueuedConnection);
}

void SeaCatClient::sendSocketsReply(quint32 streamId, quint8 code)
{
    send(serialize(SocketsReply{streamId, code, 1, 0}));
}

void SeaCatClient::sendTunnelData(quint32 streamId, const QByteArray &bytes, bool fin)
{
    send(serialize(DataFrame{streamId, fin, bytes}));
}

void SeaCatClient::resetTunnel(quint32 streamId, RstStatus status)
{
    send(serialize(RstStream{streamId, quint32(status)}));
}

void SeaCatClient::send(const QByteArray &frame)
{
    m_socket.write(frame);
}

quint32 SeaCatClient::ping()
{
    const quint32 id = m_nextPingId;
    m_nextPingId += 2; // §3.5: client pings are odd
    m_pingsSent.insert(id, m_clock.nsecsElapsed());
    send(serialize(Ping{id}));
    return id;
}

void SeaCatClient::sendCsr(const QByteArray &der)
{
    send(serialize(Csr{0x01, der})); // §3.6: the C-Core sets flag 0x01
}

quint16 SeaCatClient::queryCertificate(const QByteArray &publicKeyBits)
{
    const quint16 id = m_nextQueryId;
    m_nextQueryId = m_nextQueryId == 0xFFFF ? 1 : m_nextQueryId + 1; // §3.7: 0 is skipped
    send(serialize(CertQuery{id, 1, publicKeyBits}));
    return id;
}

void SeaCatClient::onCert(const Cert &frame)
{
    emit certificateAnswer(frame.queryId, frame.notFound, frame.der);
}

ClientStream *SeaCatClient::request(const QByteArray &method, const QUrl &url, const HeaderList &headers, bool hasBody)
{
    // §5.1: the host goes without ".seacat"; the path keeps its query.
    QString host = url.host();
    if (host.endsWith(QLatin1String(".seacat")))
        host.chop(7);
    QByteArray path = url.path(QUrl::FullyEncoded).toLatin1();
    if (path.isEmpty())
        path = "/";
    if (url.hasQuery())
        path += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    auto *stream = new ClientStream(this, m_nextStreamId);
    m_nextStreamId += 2;
    m_streams.insert(stream->id(), stream);
    send(serialize(SynStream{stream->id(), !hasBody, 1, host.toUtf8(), method, path, headers}));
    stream->m_finished = !hasBody;
    return stream;
}

void ClientStream::write(const QByteArray &bytes)
{
    for (qsizetype pos = 0; pos < bytes.size(); pos += Limits::MaxOutboundPayload)
        m_client->send(serialize(DataFrame{m_id, false, bytes.mid(pos, Limits::MaxOutboundPayload)}));
}

void ClientStream::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_client->send(serialize(DataFrame{m_id, true, {}}));
}

void ClientStream::cancel()
{
    if (m_client->m_streams.remove(m_id))
        m_client->send(serialize(RstStream{m_id, quint32(RstStatus::StreamAlreadyClosed)}));
}

void SeaCatClient::onSynStream(const SynStream &frame)
{
    // Gateways do not push streams to these clients (§3.13).
    send(serialize(RstStream{frame.streamId, quint32(RstStatus::RefusedStream)}));
}

void SeaCatClient::onSynReply(const SynReply &frame)
{
    if (ClientStream *stream = m_streams.value(frame.streamId))
        emit stream->responseHead(frame.status, frame.headers);
    else
        send(serialize(RstStream{frame.streamId, quint32(RstStatus::InvalidStream)}));
}

void SeaCatClient::onData(const DataFrame &frame)
{
    if (frame.streamId % 2 == 0) // a stream the gateway opened (§3.11)
        return emit tunnelData(frame.streamId, frame.payload, frame.fin);
    ClientStream *stream = m_streams.value(frame.streamId);
    if (!stream) {
        send(serialize(RstStream{frame.streamId, quint32(RstStatus::InvalidStream)}));
        return;
    }
    if (!frame.payload.isEmpty())
        emit stream->data(frame.payload);
    if (frame.fin) {
        m_streams.remove(frame.streamId);
        emit stream->finished();
    }
}

void SeaCatClient::onRstStream(const RstStream &frame)
{
    if (frame.streamId % 2 == 0)
        return emit tunnelReset(frame.streamId, frame.status);
    if (ClientStream *stream = m_streams.take(frame.streamId))
        emit stream->reset(frame.status);
}

void SeaCatClient::onPing(const Ping &frame)
{
    if (frame.id % 2 == 0) {
        send(serialize(frame)); // a gateway ping: echo it (§3.5, as Android and C# do)
        return;
    }
    if (m_pingsSent.contains(frame.id))
        emit pong(frame.id, (m_clock.nsecsElapsed() - m_pingsSent.take(frame.id)) / 1000);
}

void SeaCatClient::onError(FrameError error, quint32, const QString &detail)
{
    emit errorOccurred(QStringLiteral("malformed frame from the gateway: %1 (%2)").arg(toString(error), detail));
    if (errorScope(error) == ErrorScope::Connection)
        m_socket.abort();
}

} // namespace SeaCat
