// One SeaCat client connection: reads frames from its TLS socket, answers them, keeps the
// streams and counters of the connection. Lives in the engine thread.
#pragma once

#include "backend/requestmapping.h"
#include "codec/framereader.h"
#include "gatewayconfig.h"
#include "sessioninfo.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslSocket>
#include <QTimer>

namespace SeaCat {

class BackendExchange;
class BackendPool;
class PkiService;

class Session final : public QObject, private FrameVisitor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)

public:
    // Takes ownership of `socket`, whose TLS handshake is complete.
    Session(quint64 id, QSslSocket *socket, const GatewayConfig &config, BackendPool *pool, PkiService *pki,
            QObject *parent = nullptr);
    ~Session() override;

    quint64 id() const { return m_info.id; }
    SessionInfo info() const;
    bool isClosing() const { return m_closing; }

    // Ends the session with TLS close_notify; `closed` follows once the peer is gone.
    void close(const QString &reason);
    // Sends a gateway PING (even id, §3.5).
    void sendPing();

signals:
    void closed(quint64 id, const QString &reason);
    void changed(quint64 id);
    void log(SeaCat::LogLevel level, const QString &message);

private:
    struct Stream {
        bool remoteClosed = false; // the client sent FIN
        bool localClosed = false;  // we sent FIN
        QPointer<BackendExchange> exchange;
    };

    void readFromSocket();
    void onBytesWritten();
    void writeFrame(const QByteArray &frame);
    void respond(quint32 streamId, quint16 status, const QByteArray &body);
    void resetStream(quint32 streamId, RstStatus status);
    void finishStreamSide(quint32 streamId, bool remote);
    void dropStream(quint32 streamId);
    // Ends the backend side of a stream whose answer the gateway gives itself (502, 504).
    void detachExchange(quint32 streamId);
    void proxy(const SynStream &frame, const RequestRoute &route, const QUrl &base);
    // Answers a request the gateway will not forward (400, 431).
    void refuse(quint32 streamId, const MappingError &error);
    void countResponse(int status);
    void noteStream(quint32 streamId, const QString &what);
    // One place decides who waits: backends pause while the client's queue is full; the
    // client is not read while its queue or an upload to a backend is full.
    void updateFlowControl();
    void noteEnrolmentTraffic();
    void touch();
    QString peer() const;
    void authenticate();
    // Emits closed() once, queued.
    void announceClosed();

    // FrameVisitor
    void onSynStream(const SynStream &frame) override;
    void onSynReply(const SynReply &frame) override;
    void onData(const DataFrame &frame) override;
    void onRstStream(const RstStream &frame) override;
    void onPing(const Ping &frame) override;
    void onCsr(const Csr &frame) override;
    void onCertQuery(const CertQuery &frame) override;
    void onCert(const Cert &frame) override;
    void onCsrReply(const CsrReply &frame) override;
    void onSocketsRequest(const SocketsRequest &frame) override;
    void onSocketsReply(const SocketsReply &frame) override;
    void onTelemetryCapabilities(const TelemetryCapabilities &frame) override;
    void onTelemetryAck(const TelemetryAck &frame) override;
    void onUnknownFrame(quint16 version, quint16 type, quint8 flags, quint32 length) override;
    void onError(FrameError error, quint32 streamId, const QString &detail) override;
    void ignoreGatewayFrame(const char *name);

    QSslSocket *m_socket;
    const GatewayConfig m_config;
    FrameReader m_reader;
    BackendPool *m_pool;
    PkiService *m_pki;
    QString m_enrollingClientId;   // learnt from a CSR or CERT_QUERY on an anonymous connection
    SessionInfo m_info;
    QHash<quint32, Stream> m_streams;
    QTimer m_idleTimer;
    QTimer m_enrolmentTimer;
    QTimer m_pingTimer;
    QTimer m_closeTimer;
    quint32 m_nextPingId = 2;
    bool m_readPaused = false;
    bool m_backendsPaused = false;
    bool m_closing = false;
    bool m_closedEmitted = false;
    QString m_closeReason;
    QString m_logLater;
};

} // namespace SeaCat
