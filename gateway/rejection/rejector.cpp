#include "rejector.h"
#include "portpolicy.h"
#include "../gatewaylimits.h"
#include "tls/socketbuffers.h"

#include <QDateTime>
#include <QSslSocket>

#include <nghttp2/nghttp2.h>

namespace SeaCat {

QByteArray rejectionPage()
{
    return QByteArrayLiteral("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>\n"
                             "<h1>403 Forbidden</h1>\n"
                             "<p>This port serves SeaCat mobile application clients only. Web browsers and other HTTPS "
                             "clients are not served here.</p>\n</body></html>\n");
}

Rejector::Rejector(AccessRecord::Kind kind, QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent)
    : QObject(parent), m_socket(socket)
{
    m_age.start();
    m_record.kind = kind;
    m_record.peerAddress = socket->peerAddress().toString();
    m_record.peerPort = socket->peerPort();
    socket->setParent(this);
    socket->setReadBufferSize(Limits::SocketReadBufferBytes);
    // Issue 8 item 10: a rejected client may cost 64 KiB at most; Qt's emptied buffers alone
    // kept ~20 KiB of that.
    trimSocketBuffers(socket);
    connect(socket, &QSslSocket::readyRead, this, [this] {
        if (m_closing)
            m_socket->skip(m_socket->bytesAvailable());
        else
            onReadable();
    });
    connect(socket, &QSslSocket::disconnected, this, &Rejector::finish);
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        if (m_summary.isEmpty())
            m_summary = QStringLiteral("%1: no complete request within the time limit").arg(peer());
        m_socket->abort();
        finish();
    });
    m_deadline.start(qMax(timeoutMs, 0));
    m_headDeadline.setSingleShot(true);
    connect(&m_headDeadline, &QTimer::timeout, this, [this] {
        if (!m_closing)
            onHeadTimeout();
    });
    m_headDeadline.start(qMax(headTimeoutMs, 0));
    // The sniffer only peeked: the request is already waiting in the socket.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_closing)
                onReadable();
        },
        Qt::QueuedConnection);
}

Rejector::~Rejector() = default;

QString Rejector::peer() const
{
    return formatEndpoint(m_socket->peerAddress(), m_socket->peerPort());
}

void Rejector::closeGracefully()
{
    if (m_closing)
        return;
    m_closing = true;
    m_headDeadline.stop();
    m_socket->disconnectFromHost();
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        QMetaObject::invokeMethod(this, &Rejector::finish, Qt::QueuedConnection);
}

void Rejector::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_record.timeMs = QDateTime::currentMSecsSinceEpoch();
    m_record.durationUs = m_age.nsecsElapsed() / 1000;
    m_deadline.stop();
    m_headDeadline.stop();
    emit finished(m_summary.isEmpty() ? QStringLiteral("%1: connection closed before a request").arg(peer())
                                      : m_summary);
}

// ---- HTTP/1.x

Http1Rejector::Http1Rejector(QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent)
    : Rejector(AccessRecord::Kind::RejectedHttp1, socket, headTimeoutMs, timeoutMs, parent)
{ }

void Http1Rejector::onReadable()
{
    if (m_answered)
        return;
    // One byte past the cap tells "exactly 8 KiB" from "more".
    // Appended by bytes, not assigned: read(n) allocates n and would keep that capacity.
    const QByteArray bytes = socket()->read(Limits::MaxHttpRequestHeadBytes + 1 - m_request.size());
    m_request.append(bytes.constData(), bytes.size());
    const qsizetype headerEnd = m_request.indexOf("\r\n\r\n");
    if (headerEnd < 0 || headerEnd + 4 > Limits::MaxHttpRequestHeadBytes) {
        if (m_request.size() > Limits::MaxHttpRequestHeadBytes)
            answer(431, QByteArrayLiteral("431 Request Header Fields Too Large\n"),
                   QStringLiteral("a request head over %1 bytes").arg(Limits::MaxHttpRequestHeadBytes));
        return;
    }
    const QByteArray requestLine = m_request.left(m_request.indexOf("\r\n"));
    const QList<QByteArray> parts = requestLine.split(' ');
    const bool wellFormed = parts.size() == 3 && parts[2].startsWith("HTTP/1.");
    record().method = parts.value(0).left(Limits::MaxAccessLogFieldBytes);
    record().path = parts.value(1).left(Limits::MaxAccessLogFieldBytes);
    const QString what = QString::fromLatin1(requestLine.left(200).toPercentEncoding(" /:?&=.-_"));
    if (wellFormed)
        answer(403, rejectionPage(), what);
    else
        answer(400, QByteArrayLiteral("400 Bad Request\n"), what);
}

void Http1Rejector::onHeadTimeout()
{
    if (m_answered)
        return;
    if (m_request.isEmpty() && socket()->bytesAvailable() == 0) {
        // Nothing asked (a browser's preconnect, say): nothing to answer, a quiet close_notify.
        m_answered = true;
        setSummary(QStringLiteral("HTTP/1.x client %1 sent no request in time: closed").arg(peer()));
        closeGracefully();
        return;
    }
    answer(408, QByteArrayLiteral("408 Request Timeout\n"),
           QStringLiteral("no complete request head within the time limit"));
}

void Http1Rejector::answer(int status, const QByteArray &body, const QString &what)
{
    m_answered = true;
    stopHeadTimer();
    record().status = status;
    const QByteArray reason = status == 403   ? "Forbidden"
                              : status == 408 ? "Request Timeout"
                              : status == 431 ? "Request Header Fields Too Large"
                                              : "Bad Request";
    const QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason +
                                "\r\nContent-Type: " + (status == 403 ? "text/html" : "text/plain") +
                                "; charset=utf-8" + "\r\nContent-Length: " + QByteArray::number(body.size()) +
                                "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + body;
    socket()->write(response);
    setSummary(QStringLiteral("rejected HTTP/1.x client %1 (%2): %3").arg(peer(), what).arg(status));
    m_request.clear();
    m_request.squeeze();
    closeGracefully();
}

// ---- HTTP/2 through nghttp2

struct Http2Rejector::Callbacks {
    static Http2Rejector *self(void *user) { return static_cast<Http2Rejector *>(user); }

    static ssize_t send(nghttp2_session *, const uint8_t *data, size_t length, int, void *user)
    {
        // Answers wait inside nghttp2, whose own cap on queued PING/SETTINGS ACKs then ends a flood.
        if (self(user)->outputBacklogged())
            return NGHTTP2_ERR_WOULDBLOCK;
        self(user)->socket()->write(reinterpret_cast<const char *>(data), qint64(length));
        return ssize_t(length);
    }

    static int onHeader(nghttp2_session *, const nghttp2_frame *, const uint8_t *name, size_t nameLength,
                        const uint8_t *value, size_t valueLength, uint8_t, void *user)
    {
        const QByteArray n(reinterpret_cast<const char *>(name), qsizetype(nameLength));
        if (n == ":method" || n == ":path") {
            QByteArray &line = self(user)->m_lastRequest;
            if (line.size() < 200)
                line += (line.isEmpty() ? "" : " ") +
                        QByteArray(reinterpret_cast<const char *>(value), qsizetype(qMin<size_t>(valueLength, 200)));
        }
        return 0;
    }

    static ssize_t readBody(nghttp2_session *, int32_t, uint8_t *buf, size_t length, uint32_t *flags,
                            nghttp2_data_source *source, void *)
    {
        // source->ptr is the offset already sent, kept in the pointer itself (no allocation).
        static const QByteArray page = rejectionPage();
        const size_t offset = reinterpret_cast<size_t>(source->ptr);
        const size_t n = qMin(length, size_t(page.size()) - offset);
        memcpy(buf, page.constData() + offset, n);
        source->ptr = reinterpret_cast<void *>(offset + n);
        if (offset + n == size_t(page.size()))
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }

    static int onFrameReceived(nghttp2_session *session, const nghttp2_frame *frame, void *user)
    {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
            return 0;
        Http2Rejector *r = self(user);
        ++r->m_requests;
        ++r->m_openResponses;
        const QByteArray length = QByteArray::number(rejectionPage().size());
        auto nv = [](const char *name, const char *value, size_t valueLength) {
            return nghttp2_nv{reinterpret_cast<uint8_t *>(const_cast<char *>(name)),
                              reinterpret_cast<uint8_t *>(const_cast<char *>(value)), strlen(name), valueLength,
                              NGHTTP2_NV_FLAG_NONE};
        };
        const nghttp2_nv headers[] = {
            nv(":status", "403", 3),
            nv("content-type", "text/html; charset=utf-8", 24),
            nv("content-length", length.constData(), size_t(length.size())),
            nv("cache-control", "no-store", 8),
        };
        nghttp2_data_provider body{};
        body.source.ptr = nullptr;
        body.read_callback = readBody;
        nghttp2_submit_response(session, frame->hd.stream_id, headers, sizeof headers / sizeof headers[0], &body);
        return 0;
    }

    static int onStreamClose(nghttp2_session *session, int32_t, uint32_t, void *user)
    {
        Http2Rejector *r = self(user);
        if (--r->m_openResponses <= 0 && r->m_requests > 0 && !r->m_goawaySent) {
            r->m_goawaySent = true;
            nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session),
                                  NGHTTP2_NO_ERROR, nullptr, 0);
        }
        return 0;
    }
};

Http2Rejector::Http2Rejector(QSslSocket *socket, int headTimeoutMs, int timeoutMs, QObject *parent)
    : Rejector(AccessRecord::Kind::RejectedHttp2, socket, headTimeoutMs, timeoutMs, parent)
{
    nghttp2_session_callbacks *callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_send_callback(callbacks, Callbacks::send);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::onFrameReceived);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::onStreamClose);
    nghttp2_option *options = nullptr;
    nghttp2_option_new(&options);
    // Our three-header answer gains nothing from a dynamic table; none is kept for it.
    nghttp2_option_set_max_deflate_dynamic_table_size(options, 0);
    nghttp2_session_server_new2(&m_session, callbacks, this, options);
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);

    // Few streams, small header lists: this peer gets one answer, not a service.
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 8},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16 * 1024},
        // Once acknowledged, the client's header blocks need no decoder table of ours (issue 8
        // item 10: a rejected connection costs little).
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0},
    };
    nghttp2_submit_settings(m_session, NGHTTP2_FLAG_NONE, settings, sizeof settings / sizeof settings[0]);
    // A client that reads again gets the rest, and what it sent meanwhile is read.
    connect(socket, &QSslSocket::encryptedBytesWritten, this, [this] {
        if (!outputBacklogged())
            onReadable();
    });
    flush();
}

bool Http2Rejector::outputBacklogged() const
{
    return socket()->bytesToWrite() + socket()->encryptedBytesToWrite() > Limits::MaxRejectionOutputBytes;
}

Http2Rejector::~Http2Rejector()
{
    nghttp2_session_del(m_session);
}

void Http2Rejector::onReadable()
{
    // A client that sends (PINGs, SETTINGS) but does not read is not read either: its bytes
    // wait in TCP, not as answers queued in our memory.
    if (outputBacklogged()) {
        flush();
        return;
    }
    const QByteArray bytes = socket()->readAll();
    if (!bytes.isEmpty()) {
        const ssize_t rv = nghttp2_session_mem_recv(m_session, reinterpret_cast<const uint8_t *>(bytes.constData()),
                                                    size_t(bytes.size()));
        if (rv < 0) {
            setSummary(QStringLiteral("HTTP/2 client %1 sent an invalid stream: %2")
                           .arg(peer(), QString::fromLatin1(nghttp2_strerror(int(rv)))));
            nghttp2_session_terminate_session(m_session, NGHTTP2_PROTOCOL_ERROR);
        }
    }
    flush();
}

void Http2Rejector::onHeadTimeout()
{
    if (m_requests > 0)
        return; // answered, waiting for the peer to take it: the overall deadline ends that
    setSummary(QStringLiteral("HTTP/2 client %1 sent no request in time: GOAWAY").arg(peer()));
    nghttp2_session_terminate_session(m_session, NGHTTP2_NO_ERROR);
    flush();
}

void Http2Rejector::flush()
{
    // A GOAWAY submitted from a stream-close callback during a send goes out on the next pass.
    for (int pass = 0; pass < 2 && nghttp2_session_want_write(m_session); ++pass)
        nghttp2_session_send(m_session);
    if (m_requests > 0) {
        setSummary(QStringLiteral("rejected HTTP/2 client %1 (%2%3): 403")
                       .arg(peer(), QString::fromLatin1(m_lastRequest.toPercentEncoding(" /:?&=.-_")))
                       .arg(m_requests > 1 ? QStringLiteral(" and %1 more").arg(m_requests - 1) : QString()));
        // m_lastRequest is ":method :path" (each bounded by onHeader).
        const qsizetype space = m_lastRequest.indexOf(' ');
        record().method = space < 0 ? m_lastRequest : m_lastRequest.left(space);
        record().path = space < 0 ? QByteArray() : m_lastRequest.mid(space + 1);
        record().status = 403;
    }
    if (!nghttp2_session_want_read(m_session) && !nghttp2_session_want_write(m_session))
        closeGracefully();
}

} // namespace SeaCat
