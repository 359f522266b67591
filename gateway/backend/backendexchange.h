// One request to a backend and its response, streamed both ways with backpressure:
// the request body is written as the client sends it, the response body is handed out as it
// arrives, and while paused nothing is read from the backend (TCP holds the rest).
#pragma once

#include "httpresponseparser.h"
#include "requestmapping.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <array>
#include <memory>

namespace SeaCat {

class BackendPool;

class BackendExchange final : public QObject
{
    Q_OBJECT

public:
    enum class Failure { Unreachable, Timeout, Protocol };
    Q_ENUM(Failure)

    // Where the exchange reports (its StreamProxy): direct calls, not signals, which cost five
    // connections made and torn down per request.
    class Listener
    {
    public:
        // The names and values are views into the bytes read: valid during the call only.
        virtual void responseHead(int status, const HeaderList &headers) = 0;
        // Valid during the call only.
        virtual void responseBody(const char *data, qsizetype size) = 0;
        virtual void finished() = 0;
        virtual void failed(Failure failure, const QString &detail, bool headSent) = 0;
        // The backend's socket took request bytes.
        virtual void uploadProgressed() = 0;

    protected:
        ~Listener() = default;
    };

    BackendExchange(BackendPool *pool, BackendRequest request, int connectTimeoutMs, int responseTimeoutMs,
                    Listener *listener, QObject *parent = nullptr);
    ~BackendExchange() override;

    void start();
    // Both false when the body breaks its declared Content-Length (more bytes, or fewer at the
    // end): the backend would read the difference as the next request, so the exchange must
    // be dropped, never completed.
    [[nodiscard]] bool writeBody(const QByteArray &bytes);
    [[nodiscard]] bool finishBody();
    // The backend's response head has arrived (and was passed on).
    bool responseStarted() const { return m_parser && m_parser->headReceived(); }
    // Bytes of request body not yet taken by the backend's socket.
    qint64 pendingUpload() const;
    void setPaused(bool paused);
    bool isDone() const { return m_done; }
    qint64 latencyMs() const { return m_latencyMs; }
    // Nothing more is reported to the listener (nullptr), e.g. once it answered instead.
    void setListener(Listener *listener) { m_listener = listener; }

private:
    // The pool's answer: a pooled connected socket, or nullptr to open one.
    void onGranted(QTcpSocket *pooled);
    void connectSocket();
    // Wires a fresh or pooled backend socket to this exchange.
    void attachSocket(QTcpSocket *socket);
    void onConnected();
    void sendHead();
    void onReadable();
    void onDisconnected();
    void onPeerClosedAndDrained();
    void fail(Failure failure, const QString &detail);
    // Leaves the pool's queue, or frees the connection slot this exchange holds.
    void giveUpSlot();
    // The response ended; `StrayBytes`: more bytes followed it in the same read.
    enum class Ending { Clean, StrayBytes };
    void complete(Ending ending);
    void writeRaw(const QByteArray &bytes);
    // Every connection from the socket to this exchange goes through here, so that complete()
    // can undo them one by one: QObject::disconnect(receiver) walks all of a socket's signals.
    template<typename Signal, typename Slot> void connectSocketTo(Signal signal, Slot &&slot);
    // The exchange fails unless it makes progress within `ms` from now. Progress on a busy
    // exchange only moves the deadline: the timer is touched when it fires or must fire sooner.
    void armTimeout(int ms);
    void timerEvent(QTimerEvent *event) override;
    void onTimeout();

    QPointer<BackendPool> m_pool;
    BackendRequest m_request;
    Listener *m_listener;
    int m_connectTimeoutMs;
    int m_responseTimeoutMs;
    QPointer<QTcpSocket> m_socket;
    std::array<QMetaObject::Connection, 6> m_socketConnections; // attachSocket() 4, connectSocket() 2
    size_t m_socketConnectionCount = 0;
    std::unique_ptr<HttpResponseParser> m_parser;
    qint64 m_bodyBytes = 0;         // request body bytes the client sent
    QByteArray m_bodyBeforeConnect; // bounded: the session pauses the client past the upload limit
    QBasicTimer m_timer;
    qint64 m_deadlineMs = 0; // m_clock time the exchange must progress by
    qint64 m_timerDueMs = 0; // when m_timer fires
    int m_timeoutMs = 0;
    QElapsedTimer m_clock; // since start()
    qint64 m_latencyMs = -1;
    bool m_waitingForPool = false; // queued behind the origin's connection cap
    bool m_holdsSlot = false;      // counted against the cap until released or dropped
    bool m_connected = false;
    bool m_reused = false;
    bool m_bodyFinished = false;
    bool m_paused = false;
    bool m_done = false;
    bool m_bytesReceived = false;
    bool m_peerClosed = false;
    bool m_responseComplete = false; // the parser saw the end of the response
};

} // namespace SeaCat
