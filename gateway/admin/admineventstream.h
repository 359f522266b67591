// GET /api/v1/events: the engine's updates as server-sent events (text/event-stream), the same
// ones the in-process GUI gets: `snapshot` first (every live session, the totals, the port),
// then `opened`, `closed`, `sessions` (the engine's batched refresh), `stats`, `port`, `pki`.
// A client that applies them in order has the gateway's state (README "The admin API").
// Lives in the main thread with the AdminServer. Budgets (gatewaylimits.h): at most
// MaxAdminEventStreams at once (503 beyond); events are coalesced for AdminEventFlushMs and
// written in one go; a stream with more than MaxAdminEventBacklogBytes unsent is closed; a
// keep-alive comment every AdminEventKeepAliveMs.
#pragma once

#include "../gatewaylimits.h"
#include "gatewaymirror.h"

#include <QHttpServerResponder>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>
#include <memory>
#include <vector>

namespace SeaCat {

class AdminEventStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminEventStream)

public:
    explicit AdminEventStream(const GatewayMirror *mirror, QObject *parent = nullptr);
    ~AdminEventStream() override;

    // Answers the request with the stream (or 503 when MaxAdminEventStreams are open).
    void subscribe(QHttpServerResponder &&responder);
    int subscriberCount() const { return int(m_subscribers.size()); }

private:
    struct Subscriber {
        std::unique_ptr<QHttpServerResponder> responder;
        QPointer<QTcpSocket> socket;
    };
    // One SSE event: "event: NAME\ndata: JSON\n\n". `data()` builds the JSON, called only when
    // someone listens (sessions open and close by the thousand on a busy gateway).
    template<typename Data> void enqueue(const char *name, Data &&data)
    {
        if (!m_subscribers.empty())
            append(name, data());
    }
    void append(const char *name, const QJsonValue &data);
    void flush();
    QByteArray snapshot() const;

    const GatewayMirror *m_mirror;
    std::vector<Subscriber> m_subscribers;
    QByteArray m_pending; // events since the last flush, for every subscriber alike
    QTimer m_flushTimer;
    QTimer m_keepAliveTimer;
};

} // namespace SeaCat
