#include "admineventstream.h"
#include "../accesslog/logformat.h"
#include "../portpolicy.h"
#include "adminjson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace SeaCat {

namespace {

QByteArray sseEvent(const char *name, const QJsonValue &data)
{
    // Compact JSON has no line feed, so the data is one "data:" line.
    const QByteArray json = data.isArray() ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact)
                                           : QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact);
    return QByteArray("event: ") + name + "\ndata: " + json + "\n\n";
}

QJsonObject listeningToJson(const GatewayController &controller)
{
    return {{QStringLiteral("address"), controller.address().toString()}, {QStringLiteral("port"), controller.port()}};
}

} // namespace

AdminEventStream::AdminEventStream(const GatewayMirror *mirror, QObject *parent) : QObject(parent), m_mirror(mirror)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(Limits::AdminEventFlushMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &AdminEventStream::flush);
    m_keepAliveTimer.setInterval(Limits::AdminEventKeepAliveMs);
    connect(&m_keepAliveTimer, &QTimer::timeout, this, [this] {
        m_pending += ": keep-alive\n\n";
        flush();
    });

    // Connected after the mirror's own connections: a snapshot taken between two events
    // already holds the first, and the second follows it on the stream.
    const GatewayController *controller = &mirror->controller();
    connect(controller, &GatewayEvents::sessionOpened, this, [this](const SessionInfo &info) {
        enqueue("opened", [&] { return sessionToJson(info, SessionDetail::Summary); });
    });
    connect(controller, &GatewayEvents::sessionClosed, this, [this](quint64 id, const QString &reason) {
        enqueue("closed", [&] {
            return QJsonObject{{QStringLiteral("id"), double(id)}, {QStringLiteral("reason"), reason}};
        });
    });
    connect(controller, &GatewayEvents::sessionsUpdated, this, [this](const QList<SessionInfo> &sessions) {
        enqueue("sessions", [&] {
            QJsonArray array;
            for (const SessionInfo &info : sessions)
                array.append(sessionToJson(info, SessionDetail::Summary));
            return array;
        });
    });
    connect(controller, &GatewayEvents::statsUpdated, this,
            [this](const GatewayStats &stats) { enqueue("stats", [&] { return statsToJson(stats); }); });
    connect(controller, &GatewayController::listening, this,
            [this, controller] { enqueue("port", [&] { return listeningToJson(*controller); }); });
    // The event log, for an attached window's Log tab; debug lines stay local, as on stderr
    // without --verbose.
    connect(controller, &GatewayEvents::logMessage, this, [this](LogLevel level, const QString &message) {
        if (level != LogLevel::Debug)
            enqueue("log", [&] {
                return QJsonObject{{QStringLiteral("level"), toString(level)}, {QStringLiteral("message"), message}};
            });
    });
    connect(controller, &GatewayEvents::pkiStateChanged, this, [this](const PkiState &state) {
        enqueue("pki", [&] {
            return QJsonObject{{QStringLiteral("pendingCsrs"), int(state.pendingCsrs.size())},
                               {QStringLiteral("certificates"), int(state.certificates.size())}};
        });
    });
}

AdminEventStream::~AdminEventStream() = default;

QByteArray AdminEventStream::snapshot() const
{
    QJsonArray sessions;
    for (const auto &[id, info] : m_mirror->sessions())
        sessions.append(sessionToJson(info, SessionDetail::Summary));
    return sseEvent("snapshot", QJsonObject{{QStringLiteral("sessions"), sessions},
                                            {QStringLiteral("stats"), statsToJson(m_mirror->stats())},
                                            {QStringLiteral("listening"), listeningToJson(m_mirror->controller())}});
}

void AdminEventStream::subscribe(QHttpServerResponder &&responder)
{
    // Streams whose reader went away are counted no more.
    m_subscribers.erase(
        std::remove_if(m_subscribers.begin(), m_subscribers.end(), [](const Subscriber &s) { return !s.socket; }),
        m_subscribers.end());
    if (int(m_subscribers.size()) >= Limits::MaxAdminEventStreams) {
        responder.write(
            QJsonDocument(QJsonObject{
                {QStringLiteral("error"),
                 QStringLiteral("%1 event streams are open already; close one").arg(Limits::MaxAdminEventStreams)}}),
            QHttpServerResponder::StatusCode::ServiceUnavailable);
        return;
    }
    flush(); // what came before the snapshot is in it: the others get it, this one does not
    Subscriber subscriber{std::make_unique<QHttpServerResponder>(std::move(responder)), {}};
    subscriber.socket = subscriber.responder->socket();
    // No Content-Length: the body ends when the connection does.
    subscriber.responder->writeStatusLine(QHttpServerResponder::StatusCode::Ok);
    subscriber.responder->writeHeader("Content-Type", "text/event-stream");
    subscriber.responder->writeHeader("Cache-Control", "no-cache");
    subscriber.responder->writeHeader("Connection", "close");
    subscriber.responder->writeBody(snapshot());
    m_subscribers.push_back(std::move(subscriber));
    if (!m_keepAliveTimer.isActive())
        m_keepAliveTimer.start();
}

void AdminEventStream::append(const char *name, const QJsonValue &data)
{
    m_pending += sseEvent(name, data);
    if (!m_flushTimer.isActive())
        m_flushTimer.start(); // a throttle, not a debounce: a steady stream still flushes
}

void AdminEventStream::flush()
{
    m_flushTimer.stop();
    const QByteArray pending = std::exchange(m_pending, QByteArray());
    for (auto it = m_subscribers.begin(); it != m_subscribers.end();) {
        if (!it->socket) {
            it = m_subscribers.erase(it);
            continue;
        }
        if (it->socket->bytesToWrite() + pending.size() > Limits::MaxAdminEventBacklogBytes) {
            it->socket->abort(); // too far behind: it reconnects and gets a fresh snapshot
            it = m_subscribers.erase(it);
            continue;
        }
        if (!pending.isEmpty())
            it->responder->writeBody(pending);
        ++it;
    }
    if (m_subscribers.empty())
        m_keepAliveTimer.stop();
}

} // namespace SeaCat
