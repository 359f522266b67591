// One proxied stream: owns its backend exchange and turns what the backend sends into frames
// for the client through a StreamSink: SYN_REPLY, DATA of at most 16 KiB, RST_STREAM, and the
// gateway's own answers when the backend fails (502, 504).
#pragma once

#include "backendexchange.h"

#include <QBasicTimer>
#include <QObject>
#include <QPointer>

namespace SeaCat {

class BackendPool;

// Where a stream's frames go (the session). Each call is one frame.
class StreamSink
{
public:
    // A SYN_REPLY (never FIN, README "Requests"). `backendLatencyMs` is -1 for the gateway's own
    // answers. False when the head does not fit a frame (§2.2): nothing was sent.
    virtual bool sendReply(quint32 streamId, quint16 status, const HeaderList &headers, qint64 backendLatencyMs) = 0;
    // A DATA frame; with `fin` the gateway's side of the stream is done.
    virtual void sendData(quint32 streamId, const QByteArray &payload, bool fin) = 0;
    // RST_STREAM: the stream ends here, both ways.
    virtual void sendReset(quint32 streamId, RstStatus status) = 0;
    // For the logs: what went wrong with `backend`, as a token for the access log
    // ("backend-unreachable", "backend-timeout", "backend-protocol", "body-idle") and in words.
    virtual void backendFailed(quint32 streamId, const QUrl &backend, const QByteArray &kind,
                               const QString &detail) = 0;
    // The backend took request body bytes: an upload that filled its queue may move on.
    virtual void uploadProgressed() = 0;

protected:
    ~StreamSink() = default;
};

// The gateway's own answer to a stream: a text/plain SYN_REPLY and one DATA frame with FIN.
void answerStream(StreamSink &sink, quint32 streamId, quint16 status, const QByteArray &text);

// Calls its sink directly, and its exchange calls it directly (no signal connections per
// request).
class StreamProxy final : public QObject, private BackendExchange::Listener
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamProxy)

public:
    struct Timeouts {
        int connectMs;
        int responseMs;
        int bodyIdleMs; // between request DATA frames, until the body's FIN
    };
    StreamProxy(quint32 streamId, BackendPool *pool, BackendRequest request, Timeouts timeouts, StreamSink *sink,
                QObject *parent = nullptr);

    // `requestFin`: the SYN_STREAM had FIN, there is no body.
    void start(bool requestFin);
    // False when the body breaks its Content-Length (BackendExchange::writeBody).
    [[nodiscard]] bool writeBody(const QByteArray &bytes);
    [[nodiscard]] bool finishBody();
    qint64 pendingUpload() const;
    void setPaused(bool paused);
    // The backend's response head already reached the client.
    bool responseStarted() const;
    // The sink is done with this stream: nothing more reaches it (the backend request ends
    // when the proxy is deleted).
    void detach();

private:
    // BackendExchange::Listener
    void responseHead(int status, const HeaderList &headers) override;
    void responseBody(const char *data, qsizetype size) override;
    void finished() override;
    void failed(BackendExchange::Failure failure, const QString &detail, bool headSent) override;
    void uploadProgressed() override;
    // The gateway answers instead of the backend: the exchange is dropped (its connection aborted).
    void answerInstead(quint16 status, const QByteArray &text);
    void timerEvent(QTimerEvent *event) override;

    quint32 m_streamId;
    StreamSink *m_sink;
    QBasicTimer m_bodyIdle; // no QObject per stream; runs only while a body is expected
    int m_bodyIdleMs;
    QUrl m_backend; // for the logs
    QPointer<BackendExchange> m_exchange;
};

} // namespace SeaCat
