// "Politely rejected, no harm on both sides" (README "HTTPS clients"): a TLS client that is not
// SeaCat gets a real HTTP answer and a clean close_notify. Never touches any SeaCat session.
#pragma once

#include "../accesslog/accessrecord.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

class QSslSocket;
struct nghttp2_session;

namespace SeaCat {

class Rejector : public QObject
{
    Q_OBJECT

public:
    ~Rejector() override;
    QSslSocket *socket() const { return m_socket; }
    // Its access-log line (README "Access log"), complete once finished() was emitted.
    const AccessRecord &accessRecord() const { return m_record; }

signals:
    // One line for the log: who, what they asked, what they got. Emitted once.
    void finished(const QString &summary);

protected:
    // Takes ownership of `socket`. The client has `headTimeoutMs` to send its request (then
    // onHeadTimeout()), the whole exchange is bounded by `timeoutMs` (then abort); both count
    // from now (gatewaylimits.h HttpRequestHeadTimeoutMs, RejectionTimeoutMs).
    Rejector(AccessRecord::Kind kind, QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent);
    QString peer() const;
    // What was asked and answered: method, path and status go into the access record.
    AccessRecord &record() { return m_record; }
    // Sends close_notify once written bytes are flushed, then drains until the peer is gone.
    void closeGracefully();
    void setSummary(const QString &summary) { m_summary = summary; }
    virtual void onReadable() = 0;
    // No complete request within the head timeout: answer it (408, GOAWAY) and close.
    virtual void onHeadTimeout() = 0;
    void stopHeadTimer() { m_headDeadline.stop(); }

private:
    void finish();

    QSslSocket *m_socket;
    QTimer m_headDeadline;
    QTimer m_deadline;
    QString m_summary;
    AccessRecord m_record;
    QElapsedTimer m_age;
    bool m_closing = false;
    bool m_finished = false;
};

// HTTP/1.x request → a short 403 page with Connection: close (400 if the request is unreadable,
// 431 if its head exceeds MaxHttpRequestHeadBytes, 408 if it is not complete in time).
class Http1Rejector final : public Rejector
{
    Q_OBJECT

public:
    Http1Rejector(QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent = nullptr);

private:
    void onReadable() override;
    void onHeadTimeout() override;
    void answer(int status, const QByteArray &body, const QString &what);
    QByteArray m_request;
    bool m_answered = false;
};

// ALPN h2 or the HTTP/2 preface → an nghttp2 server session: SETTINGS, 403 on each request, GOAWAY.
class Http2Rejector final : public Rejector
{
    Q_OBJECT

public:
    Http2Rejector(QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent = nullptr);
    ~Http2Rejector() override;

private:
    struct Callbacks;
    void onReadable() override;
    void onHeadTimeout() override;
    void flush();
    // More than Limits::MaxRejectionOutputBytes wait to be sent to the client.
    bool outputBacklogged() const;

    nghttp2_session *m_session = nullptr;
    int m_requests = 0;
    int m_openResponses = 0;
    bool m_goawaySent = false;
    QByteArray m_lastRequest;
};

// The page both rejectors send.
QByteArray rejectionPage();

} // namespace SeaCat
