// One SeaCat client connection: reads frames from its TLS socket, answers them, keeps the
// streams and counters of the connection. Lives in the engine thread.
#pragma once

#include "accesslog/accessrecord.h"
#include "backend/requestmapping.h"
#include "backend/streamproxy.h"
#include "codec/frameerror.h"
#include "codec/framereader.h"
#include "gatewayconfig.h"
#include "metrics.h"
#include "sessioninfo.h"
#include "tokenbucket.h"
#include "tunnel/tunnelinfo.h"
#include "tunnel/tunnelstream.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslSocket>

namespace SeaCat {

class BackendPool;
class PkiFacade;
class SessionEnrolment;
class Tunnel;

// Socket I/O, flow control and the stream table; requests go to a StreamProxy each, enrolment
// frames to SessionEnrolment, the streams of reverse tunnels (even ids) to their TunnelStream.
class Session final : public QObject, private FrameVisitor, private StreamSink, private TunnelLink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)

public:
    // Takes ownership of `socket`, whose TLS handshake is complete.
    Session(quint64 id, QSslSocket *socket, const GatewayConfig &config, BackendPool *pool, PkiFacade *pki,
            QObject *parent = nullptr);
    ~Session() override;

    quint64 id() const { return m_info.id; }
    SessionInfo info() const;
    // For the sessions-by-mode gauge: a valid client certificate, else enrolment traffic seen.
    SessionMode mode() const;
    bool isClosing() const { return m_closing; }

    // Ends the session with TLS close_notify; `closed` follows once the peer is gone.
    void close(const QString &reason);
    // Sends a gateway PING (even id, §3.5).
    void sendPing();
    // Bytes on their way to the client: frames not yet handed to TLS, plaintext and encrypted
    // bytes Qt still holds. What back-pressure and the PING budget look at.
    qint64 pendingOutputBytes() const;
    // The client has left our output waiting for UnreadOutputGraceMs. What the PING budget
    // looks at.
    bool clientDoesNotRead() const;

    // README "Reaching a device through its session": a listener whose connections become
    // streams towards this client. Returns the error (anonymous, too many, cannot bind), or "".
    QString openTunnel(const TunnelRequest &request, TunnelInfo *opened);
    bool closeTunnel(quint64 tunnelId, const QString &reason);
    QList<TunnelInfo> tunnels() const;

signals:
    void closed(quint64 id, const QString &reason);
    void changed(quint64 id);
    void log(SeaCat::LogLevel level, const QString &message);
    // Once per stream, when it ends however it ends (README "Access log"). Direct connections only.
    void streamFinished(const SeaCat::AccessRecord &record);
    // A tunnel of this session closed (by an operator, its idle timeout or the session's end).
    void tunnelClosed(quint64 tunnelId, const QString &reason);

private:
    struct Stream {
        bool remoteClosed = false; // the client sent FIN
        bool localClosed = false;  // we sent FIN
        QPointer<StreamProxy> proxy;
        AccessRecord record; // filled as the stream goes, handed out by dropStream()
        QElapsedTimer age;
    };
    struct StreamNote {
        quint32 streamId;
        QByteArray request; // "GET app/x"; empty for an answer
        int status;
        qint64 latencyMs; // -1: the gateway's own answer
    };

    void readFromSocket();
    void onBytesWritten();
    void timerEvent(QTimerEvent *event) override;
    void onIdleTimer();
    // The one way out for frames: appended to m_output, false (nothing queued) when the frame
    // does not fit the client's 16 KiB frame buffer (§2.2).
    template<typename Frame> bool send(const Frame &frame);
    // A frame serialised elsewhere (enrolment).
    void writeFrame(const QByteArray &frame);
    void frameQueued(qsizetype bytes);
    // Hands m_output to TLS in one write (one record for up to 16 KiB) and to the kernel.
    void flushOutput();
    // Every RST_STREAM the gateway sends goes here: it spends the reset budget.
    void sendRst(quint32 streamId, RstStatus status);
    // README "Limits": a reset (sent or received) or a glitch spends a budget; a session that
    // spends it all is closed, with the reason counted. False when the session is closing.
    bool spendReset();
    bool spendGlitch(const char *what);
    // Debug lines are built only with --verbose: a flood of ignored frames must not cost a
    // formatted string each.
    template<typename Text> void logDebug(Text &&text)
    {
        if (m_config.debugLog)
            emit log(LogLevel::Debug, text());
    }
    // RST_STREAM for `error`, logged at debug level; the stream, if open, is gone.
    void refuseStream(quint32 streamId, StreamError error);
    void resetStream(quint32 streamId, RstStatus status, const QByteArray &error = {});
    void finishStreamSide(quint32 streamId, bool remote);
    // Every open stream ends here, once: its access record goes out with how it ended.
    void dropStream(quint32 streamId, AccessRecord::End end, quint32 rstCode = 0, const QByteArray &error = {});
    Stream openStream(const SynStream &frame) const;
    // The stream's backend request ends (its connection is aborted); the stream stays open.
    void releaseProxy(Stream &stream);
    void proxy(const SynStream &frame, const RequestRoute &route, const QUrl &base);
    void startProxies();
    // Answers a request the gateway will not forward (400, 431).
    void refuse(quint32 streamId, const MappingError &error);
    // The detail pane's stream history (SessionInfo::recentStreams), formatted only in info().
    void noteStream(quint32 streamId, QByteArray request, int status = 0, qint64 latencyMs = -1);
    // One place decides who waits: backends pause while the client's queue is full; the
    // client is not read while its queue or an upload to a backend is full.
    void updateFlowControl();
    // A frame from the client: the session is not idle.
    void noteClientTraffic();
    QString peer() const;
    // Checks the client certificate against the store. Returns the key's Client ID when the
    // certificate was not accepted (the client may still enrol with it).
    QString authenticate();
    // Emits closed() once, queued.
    void announceClosed();

    // StreamSink
    bool sendReply(quint32 streamId, quint16 status, const HeaderList &headers, qint64 backendLatencyMs) override;
    void sendData(quint32 streamId, const QByteArray &payload, bool fin) override;
    void sendReset(quint32 streamId, RstStatus status) override;
    void backendFailed(quint32 streamId, const QUrl &backend, const QByteArray &kind, const QString &detail) override;
    void uploadProgressed() override;

    // TunnelLink
    quint32 openTunnelStream(TunnelStream *stream, quint16 port) override;
    void sendTunnelData(quint32 streamId, const QByteArray &payload, bool fin) override;
    void resetTunnelStream(quint32 streamId, RstStatus status) override;
    void tunnelStreamEnded(quint32 streamId) override;
    bool tunnelOutputFull() const override { return m_backendsPaused; }
    void tunnelBuffersChanged() override { updateFlowControl(); }
    void onTunnelData(const DataFrame &frame, TunnelStream *stream);
    // A tunnel stream of ours that has ended: its late frames are dropped quietly.
    bool endedTunnelStream(quint32 streamId) const;

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
    PkiFacade *m_pki;
    SessionEnrolment *m_enrolment = nullptr;
    SessionInfo m_info;
    QHash<quint32, Stream> m_streams;
    QList<StreamNote> m_recentStreams;
    QHash<quint64, Tunnel *> m_tunnels;                     // children, by tunnel id
    QHash<quint32, QPointer<TunnelStream>> m_tunnelStreams; // gateway-initiated, even ids
    quint32 m_nextTunnelStreamId = 2;                       // §3.11: even, from 2
    struct PendingStart {
        quint32 streamId;
        bool fin;
        QPointer<StreamProxy> proxy;
    };
    QList<PendingStart> m_toStart; // proxies created in this read, started on the next turn
    TokenBucket m_resetBudget;
    TokenBucket m_glitchBudget;
    // Frames produced while handling one event, written together (flushOutput()).
    QByteArray m_output;
    // Timers without a QObject each, and no timer work per frame: the idle timer is re-armed
    // only when it fires, from the time of the last client frame.
    QBasicTimer m_idleTimer;
    QBasicTimer m_pingTimer;
    QElapsedTimer m_clock;       // since the session opened
    qint64 m_lastClientMs = 0;   // a frame from the client
    qint64 m_lastActivityMs = 0; // either direction
    qint64 m_outputMovedMs = 0;  // the kernel last took output, or output began to wait
    quint32 m_nextPingId = 2;
    bool m_reading = false; // in readFromSocket(): it flushes at its end
    bool m_flushQueued = false;
    quint32 m_lastStreamId = 0; // the highest id a SYN_STREAM opened (SPDY/3 §2.3.2)
    bool m_readPaused = false;
    bool m_backendsPaused = false;
    bool m_closing = false;
    bool m_closedEmitted = false;
    QString m_closeReason;
    QString m_logLater;
};

} // namespace SeaCat
