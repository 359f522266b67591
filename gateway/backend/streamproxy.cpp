#include "streamproxy.h"
#include "../gatewaylimits.h"

#include <QTimerEvent>

namespace SeaCat {

void answerStream(StreamSink &sink, quint32 streamId, quint16 status, const QByteArray &text)
{
    if (sink.sendReply(
            streamId, status,
            {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", QByteArray::number(text.size())}}, -1))
        sink.sendData(streamId, text, true);
}

StreamProxy::StreamProxy(quint32 streamId, BackendPool *pool, BackendRequest request, Timeouts timeouts,
                         StreamSink *sink, QObject *parent)
    : QObject(parent), m_streamId(streamId), m_sink(sink), m_bodyIdleMs(timeouts.bodyIdleMs), m_backend(request.base),
      m_exchange(new BackendExchange(pool, std::move(request), timeouts.connectMs, timeouts.responseMs, this, this))
{ }

void StreamProxy::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_bodyIdle.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    m_bodyIdle.stop();
    // An upload that stopped holds a stream slot and a backend connection: give up on it.
    m_sink->backendFailed(m_streamId, m_backend, QByteArrayLiteral("body-idle"),
                          QStringLiteral("no request body for %1 ms").arg(m_bodyIdleMs));
    if (responseStarted())
        m_sink->sendReset(m_streamId, RstStatus::Cancel);
    else
        answerInstead(408, "408 Request Timeout: the request body stopped arriving.\n");
}

void StreamProxy::start(bool requestFin)
{
    m_exchange->start();
    if (!requestFin)
        m_bodyIdle.start(m_bodyIdleMs, this);
    // Without a body the length is 0 or absent (mapRequest refuses the rest): nothing to break.
    if (requestFin)
        (void)m_exchange->finishBody();
}

bool StreamProxy::writeBody(const QByteArray &bytes)
{
    if (m_bodyIdle.isActive())
        m_bodyIdle.start(m_bodyIdleMs, this);
    return !m_exchange || m_exchange->writeBody(bytes);
}

bool StreamProxy::finishBody()
{
    m_bodyIdle.stop();
    return !m_exchange || m_exchange->finishBody();
}

qint64 StreamProxy::pendingUpload() const
{
    return m_exchange ? m_exchange->pendingUpload() : 0;
}

void StreamProxy::setPaused(bool paused)
{
    if (m_exchange)
        m_exchange->setPaused(paused);
}

bool StreamProxy::responseStarted() const
{
    return m_exchange && m_exchange->responseStarted();
}

void StreamProxy::detach()
{
    m_bodyIdle.stop();
    if (m_exchange)
        m_exchange->setListener(nullptr);
}

void StreamProxy::responseHead(int status, const HeaderList &headers)
{
    if (!m_sink->sendReply(m_streamId, quint16(status), mapResponseHeaders(status, headers), m_exchange->latencyMs()))
        answerInstead(502, "502 Bad Gateway: the backend's response headers do not fit a SeaCat frame.\n");
}

void StreamProxy::responseBody(const char *data, qsizetype size)
{
    // README "Requests": DATA frames of at most 16 384 bytes in total. Raw views, no copy: the
    // sink copies each payload into its frame.
    for (qsizetype pos = 0; pos < size; pos += Limits::MaxOutboundPayload)
        m_sink->sendData(m_streamId, QByteArray::fromRawData(data + pos, qMin(size - pos, Limits::MaxOutboundPayload)),
                         false);
}

void StreamProxy::finished()
{
    m_sink->sendData(m_streamId, {}, true);
}

void StreamProxy::uploadProgressed()
{
    m_sink->uploadProgressed();
}

void StreamProxy::failed(BackendExchange::Failure failure, const QString &detail, bool headSent)
{
    const bool timeout = failure == BackendExchange::Failure::Timeout;
    m_sink->backendFailed(m_streamId, m_backend,
                          timeout                                            ? QByteArrayLiteral("backend-timeout")
                          : failure == BackendExchange::Failure::Unreachable ? QByteArrayLiteral("backend-unreachable")
                                                                             : QByteArrayLiteral("backend-protocol"),
                          detail);
    if (headSent) {
        // §5.4: a response already under way can only be cut.
        m_sink->sendReset(m_streamId, timeout ? RstStatus::ResponseTimeout : RstStatus::InternalError);
        return;
    }
    if (timeout)
        answerInstead(
            504,
            QStringLiteral("504 Gateway Timeout: the backend did not answer in time (%1).\n").arg(detail).toUtf8());
    else
        answerInstead(
            502, QStringLiteral("502 Bad Gateway: the backend is unreachable or broken (%1).\n").arg(detail).toUtf8());
}

void StreamProxy::answerInstead(quint16 status, const QByteArray &text)
{
    if (m_exchange) {
        m_exchange->setListener(nullptr); // nothing it still reports concerns this stream any more
        m_exchange->deleteLater();        // aborts the backend request if it still runs
        m_exchange = nullptr;
    }
    answerStream(*m_sink, m_streamId, status, text);
}

} // namespace SeaCat
