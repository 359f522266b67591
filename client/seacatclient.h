// A SeaCat client over one TLS connection: the stock client TLS profile (§6.1: TLS 1.2,
// 0xC028 only, no SNI, no ALPN, the gateway's CA as the only trust anchor, CN = gateway name),
// PING, and HTTP requests multiplexed as streams with odd ids (§4.1).
#pragma once

#include "codec/framereader.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslSocket>
#include <QUrl>

namespace SeaCat {

class ClientStream;

class SeaCatClient final : public QObject, private FrameVisitor
{
    Q_OBJECT

public:
    struct Options {
        QString host;
        quint16 port = 443;
        QString caFile;      // the gateway's ca.pem
        QString gatewayName; // expected certificate CN; default: host
        QString certFile;    // optional client certificate and key (PEM)
        QString keyFile;
    };

    explicit SeaCatClient(QObject *parent = nullptr);
    ~SeaCatClient() override;

    // Returns an error message when the options cannot be used (unreadable files, ...).
    QString connectToGateway(const Options &options);
    bool isConnected() const { return m_socket.isEncrypted(); }
    void disconnectFromGateway() { m_socket.disconnectFromHost(); }
    // Drops the connection at once, also one still connecting or in its handshake.
    void abort() { m_socket.abort(); }

    quint32 ping();
    // Enrolment (§3.6–§3.9): submit a DER CSR; ask for the certificate. `publicKeyBits` is sent
    // on anonymous connections (i2d_PublicKey form), empty on authenticated ones.
    void sendCsr(const QByteArray &der);
    quint16 queryCertificate(const QByteArray &publicKeyBits);
    // Opens a stream. `url` is like http://app.seacat/path?q. Without `hasBody` the SYN_STREAM
    // carries FIN; otherwise write the body to the stream and finish() it.
    ClientStream *request(const QByteArray &method, const QUrl &url, const HeaderList &headers, bool hasBody);
    // Encrypted + plain bytes not yet taken by the network: writers wait while this is large.
    qint64 bytesQueued() const { return m_socket.bytesToWrite() + m_socket.encryptedBytesToWrite(); }
    // Streams the gateway opens (§3.11, even ids): DeviceTunnels answers them.
    void sendSocketsReply(quint32 streamId, quint8 code);
    void sendTunnelData(quint32 streamId, const QByteArray &bytes, bool fin);
    void resetTunnel(quint32 streamId, RstStatus status);
    // Stops reading from the gateway (a local service that does not keep up): what the gateway
    // sends meanwhile waits in TCP, and the gateway's own flow control pauses its sender.
    void setReadPaused(bool paused);

signals:
    void connected();
    void disconnected();
    void errorOccurred(const QString &message);
    void pong(quint32 id, qint64 microseconds);
    void bytesWritten();
    void csrReply(quint8 flags);
    void certificateAnswer(quint16 queryId, bool notFound, const QByteArray &der);
    void socketsRequested(const SeaCat::SocketsRequest &request);
    void tunnelData(quint32 streamId, const QByteArray &bytes, bool fin);
    void tunnelReset(quint32 streamId, quint32 status);

private:
    friend class ClientStream;
    void send(const QByteArray &frame);

    void onSynStream(const SynStream &) override;
    void onSynReply(const SynReply &frame) override;
    void onData(const DataFrame &frame) override;
    void onRstStream(const RstStream &frame) override;
    void onPing(const Ping &frame) override;
    void onCsr(const Csr &) override { }
    void onCertQuery(const CertQuery &) override { }
    void onCert(const Cert &frame) override;
    void onCsrReply(const CsrReply &frame) override { emit csrReply(frame.flags); }
    void onSocketsRequest(const SocketsRequest &frame) override { emit socketsRequested(frame); }
    void readFromGateway();
    void onSocketsReply(const SocketsReply &) override { }
    void onTelemetryCapabilities(const TelemetryCapabilities &) override { }
    void onTelemetryAck(const TelemetryAck &) override { }
    void onUnknownFrame(quint16, quint16, quint8, quint32) override { }
    void onError(FrameError error, quint32 streamId, const QString &detail) override;

    QSslSocket m_socket;
    FrameReader m_reader;
    QHash<quint32, QPointer<ClientStream>> m_streams;
    QHash<quint32, qint64> m_pingsSent; // id → nanoseconds on m_clock
    QElapsedTimer m_clock;
    quint32 m_nextStreamId = 1;
    quint32 m_nextPingId = 1;
    quint16 m_nextQueryId = 1;
    bool m_readPaused = false;
};

class ClientStream final : public QObject
{
    Q_OBJECT

public:
    quint32 id() const { return m_id; }
    // Sends body bytes as DATA frames of at most 16 376 payload bytes (§2.2).
    void write(const QByteArray &bytes);
    void finish();
    // Abandons the response: RST_STREAM 9, as the SDKs send when the app closed the stream (§3.3).
    void cancel();

signals:
    void responseHead(int status, const SeaCat::HeaderList &headers);
    void data(const QByteArray &bytes);
    void finished();
    void reset(quint32 status);

private:
    friend class SeaCatClient;
    ClientStream(SeaCatClient *client, quint32 id) : QObject(client), m_client(client), m_id(id) { }
    SeaCatClient *m_client;
    quint32 m_id;
    bool m_finished = false;
};

QString rstStatusName(quint32 status);

} // namespace SeaCat
