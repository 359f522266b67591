#include "engineworker.h"
#include "accesslog/accesslog.h"
#include "backend/backendpool.h"
#include "metrics.h"
#include "pki/cryptothread.h"
#include "rejection/rejector.h"
#include "session.h"

#include <QDateTime>
#include <QSslSocket>
#include <QThread>

#include <unistd.h>

namespace SeaCat {

namespace {
constexpr int PublishIntervalMs = 500; // batched session updates
constexpr int StopDeadlineMs = 3'000;  // sessions get this long to take close_notify
// How long closed sessions and log lines wait to travel together (engineevent.h): far below what
// a window or a log reader notices.
constexpr int EventBatchMs = 20;
// A batch goes at once at this size: a thousand sessions closing together make several batches
// of bounded size, not one of thousands.
constexpr qsizetype MaxBatchedEvents = 256;
} // namespace

EngineWorker::EngineWorker(int index, const GatewayConfig &config, const QSslConfiguration &tls,
                           TlsHandshaker::Budget budget, Shared shared)
    : m_index(index), m_config(config), m_tls(tls), m_budget(budget), m_shared(shared), m_pool(new BackendPool(this))
{
    m_pool->setMaxConnectionsPerOrigin(config.backendConnections);
    connect(m_pool, &BackendPool::strayBytesClosed, this, [this](const QString &origin) {
        reportLog(LogLevel::Warning,
                  QStringLiteral("backend %1 sent bytes no request asked for: that connection was closed, "
                                 "not reused")
                      .arg(origin));
    });
    m_publishTimer.setInterval(PublishIntervalMs);
    connect(&m_publishTimer, &QTimer::timeout, this, &EngineWorker::publishUpdates);
    m_eventFlush.setSingleShot(true);
    m_eventFlush.setInterval(EventBatchMs);
    connect(&m_eventFlush, &QTimer::timeout, this, &EngineWorker::flushEvents);
    m_stopDeadline.setSingleShot(true);
    m_stopDeadline.setInterval(StopDeadlineMs);
    connect(&m_stopDeadline, &QTimer::timeout, this, [this] {
        for (Session *session : std::exchange(m_sessions, {})) {
            report({EngineEvent::Kind::SessionClosed,
                    {},
                    session->id(),
                    LogLevel::Info,
                    QStringLiteral("aborted at shutdown: the peer did not take close_notify")});
            delete session;
        }
        countConnections();
        finishStopIfIdle();
    });
}

EngineWorker::~EngineWorker()
{
    Metrics::removeEngine(this);
    // Sessions hold pointers to the pool: they go first.
    qDeleteAll(m_sessions);
    m_sessions.clear();
    qDeleteAll(m_pending);
    m_pending.clear();
    countConnections();
    // Deleted in its own thread as that thread finishes: the thread's OpenSSL state goes too.
    if (thread() == QThread::currentThread())
        releaseThreadCryptoState();
}

void EngineWorker::start()
{
    // Created here, in the worker's thread, where its sockets and timers must live.
    m_handshaker = new TlsHandshaker(m_tls, m_budget, this);
    connect(m_handshaker, &TlsHandshaker::connectionReady, this, &EngineWorker::accept);
    connect(m_handshaker, &TlsHandshaker::handshakeFailed, this, [this](const QString &peer, const QString &reason) {
        if (m_config.debugLog) // a flood of silent sockets must not cost a formatted line each
            reportLog(LogLevel::Debug, QStringLiteral("TLS handshake with %1 failed: %2").arg(peer, reason));
    });
    m_publishTimer.start();
    publishMetrics();
}

void EngineWorker::adopt(qintptr descriptor)
{
    if (!m_handshaker) { // stopped
        ::close(int(descriptor));
        return;
    }
    m_handshaker->adopt(descriptor);
}

void EngineWorker::accept(QSslSocket *socket)
{
    socket->setParent(this);
    // max-sessions counts the whole gateway: every worker's sessions and pending connections.
    if (m_stopping || m_shared.connections->load(std::memory_order_relaxed) >= m_config.maxSessions) {
        reportLog(LogLevel::Warning,
                  QStringLiteral("refused %1: %2")
                      .arg(socket->peerAddress().toString(),
                           m_stopping
                               ? QStringLiteral("shutting down")
                               : QStringLiteral("%1 connections already (max-sessions)").arg(m_config.maxSessions)));
        socket->abort();
        socket->deleteLater();
        return;
    }
    auto *sniffer = new ProtocolSniffer(socket, m_config.handshakeTimeoutMs, this);
    m_pending.insert(sniffer);
    countConnections();
    connect(sniffer, &ProtocolSniffer::identified, this, [this, sniffer](PeerProtocol protocol) {
        m_pending.remove(sniffer);
        sniffer->deleteLater();
        dispatch(sniffer->socket(), protocol, sniffer->elapsedMs());
        countConnections();
    });
}

void EngineWorker::dispatch(QSslSocket *socket, PeerProtocol protocol, qint64 sinceHandshakeMs)
{
    Rejector *rejector = nullptr;
    // A rejected client's deadlines count from its handshake, not from when we knew what it was.
    const int headTimeoutMs = int(qMax<qint64>(Limits::HttpRequestHeadTimeoutMs - sinceHandshakeMs, 0));
    const int rejectionTimeoutMs = int(qMax<qint64>(Limits::RejectionTimeoutMs - sinceHandshakeMs, 0));
    switch (protocol) {
    case PeerProtocol::SeaCat: {
        auto *session = new Session(m_shared.nextSessionId->fetch_add(1, std::memory_order_relaxed), socket, m_config,
                                    m_pool, m_shared.pki, this);
        ++m_closedTotals.sessionsTotal;
        m_sessions.insert(session->id(), session);
        connect(session, &Session::closed, this, &EngineWorker::onSessionClosed);
        connect(session, &Session::changed, this, [this](quint64 id) { m_dirty.insert(id); });
        connect(session, &Session::log, this, &EngineWorker::reportLog);
        connect(session, &Session::tunnelClosed, this, &EngineWorker::tunnelClosed);
        if (AccessLog *log = m_shared.accessLog)
            connect(session, &Session::streamFinished, this,
                    [log](const AccessRecord &record) { log->submit(record); });
        const SessionInfo info = infoOf(session);
        reportLog(
            LogLevel::Info,
            QStringLiteral("session %1 from %2:%3 (%4, %5, %6)")
                .arg(info.id)
                .arg(info.peerAddress)
                .arg(info.peerPort)
                .arg(
                    info.tlsProtocol, info.cipher,
                    info.clientTag.isEmpty()
                        ? QStringLiteral("anonymous")
                        : QStringLiteral("client %1, certificate %2").arg(info.clientTag).arg(info.certificateSerial)));
        report({EngineEvent::Kind::SessionOpened, info, 0, LogLevel::Info, {}});
        return;
    }
    case PeerProtocol::Http1:
        Metrics::add(Counter::RejectedHttp1);
        rejector = new Http1Rejector(socket, headTimeoutMs, rejectionTimeoutMs, this);
        break;
    case PeerProtocol::Http2:
        Metrics::add(Counter::RejectedHttp2);
        rejector = new Http2Rejector(socket, headTimeoutMs, rejectionTimeoutMs, this);
        break;
    case PeerProtocol::NeedMoreBytes:
    case PeerProtocol::Unknown:
        Metrics::add(Counter::RejectedGarbage);
        reportLog(LogLevel::Info, QStringLiteral("closed connection from %1: neither SeaCat nor HTTP")
                                      .arg(formatEndpoint(socket->peerAddress(), socket->peerPort())));
        if (m_shared.accessLog) {
            AccessRecord record;
            record.kind = AccessRecord::Kind::RejectedOther;
            record.timeMs = QDateTime::currentMSecsSinceEpoch();
            record.durationUs = sinceHandshakeMs * 1000;
            record.peerAddress = socket->peerAddress().toString();
            record.peerPort = socket->peerPort();
            m_shared.accessLog->submit(record);
        }
        connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        socket->disconnectFromHost();
        if (socket->state() == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
        else
            QTimer::singleShot(Limits::RejectionTimeoutMs, socket, &QSslSocket::abort);
        return;
    }
    m_pending.insert(rejector);
    connect(rejector, &Rejector::finished, this, [this, rejector](const QString &summary) {
        m_pending.remove(rejector);
        rejector->deleteLater();
        countConnections();
        ++m_closedTotals.rejectedHttpsClients;
        if (m_shared.accessLog)
            m_shared.accessLog->submit(rejector->accessRecord());
        reportLog(LogLevel::Info, summary);
        flushEvents();
        emit connectionRejected(summary);
        finishStopIfIdle();
    });
}

SessionInfo EngineWorker::infoOf(const Session *session) const
{
    SessionInfo info = session->info();
    info.worker = m_index;
    return info;
}

void EngineWorker::reload(const GatewayConfig &config)
{
    m_config = config;
    m_pool->setMaxConnectionsPerOrigin(config.backendConnections);
}

void EngineWorker::closeSession(quint64 id, const QString &reason)
{
    if (Session *session = m_sessions.value(id))
        session->close(reason);
}

void EngineWorker::report(EngineEvent event)
{
    // A new session goes at once, with what waited before it: the engine routes API calls and
    // tunnels by its list of sessions, which must not lag behind a client that is already served.
    const bool now = event.kind == EngineEvent::Kind::SessionOpened;
    m_events.append(std::move(event));
    if (now || m_events.size() >= MaxBatchedEvents)
        flushEvents();
    else if (!m_eventFlush.isActive())
        m_eventFlush.start();
}

void EngineWorker::reportLog(LogLevel level, const QString &message)
{
    report({EngineEvent::Kind::Log, {}, 0, level, message});
}

void EngineWorker::flushEvents()
{
    m_eventFlush.stop();
    if (!m_events.isEmpty())
        emit eventsBatched(std::exchange(m_events, {}));
}

void EngineWorker::openTunnel(const TunnelRequest &request)
{
    Session *session = m_sessions.value(request.sessionId);
    QString error;
    TunnelInfo info;
    if (!session || session->isClosing())
        error = QStringLiteral("session %1 is gone").arg(request.sessionId);
    else
        error = session->openTunnel(request, &info);
    flushEvents(); // what the session logged on the way comes first
    if (!error.isEmpty())
        emit tunnelFailed(request.tunnelId, error);
    else
        emit tunnelOpened(info);
}

void EngineWorker::closeTunnel(quint64 tunnelId, quint64 sessionId, const QString &reason)
{
    Session *session = m_sessions.value(sessionId);
    const bool closed = session && session->closeTunnel(tunnelId, reason);
    flushEvents();
    if (!closed)
        emit tunnelFailed(tunnelId, QStringLiteral("tunnel %1 is closed already").arg(tunnelId));
}

void EngineWorker::onSessionClosed(quint64 id, const QString &reason)
{
    Session *session = m_sessions.take(id);
    if (!session)
        return;
    addCounters(m_closedTotals, session->info());
    session->deleteLater();
    m_dirty.remove(id);
    countConnections();
    report({EngineEvent::Kind::SessionClosed, {}, id, LogLevel::Info, reason});
    finishStopIfIdle();
}

void EngineWorker::publishMetrics()
{
    EngineGauges gauges;
    for (const Session *session : std::as_const(m_sessions))
        ++gauges.sessionsByMode[size_t(session->mode())];
    for (auto it = m_config.hosts.cbegin(); it != m_config.hosts.cend(); ++it)
        gauges.backends.insert(it.key(), {m_pool->connectionCount(*it), m_pool->idleCount(*it),
                                          m_pool->waitingCount(*it), m_pool->connectFailures(*it)});
    Metrics::setEngineGauges(this, gauges);
}

void EngineWorker::publishUpdates()
{
    flushEvents();
    publishMetrics();
    GatewayStats stats = m_closedTotals;
    stats.sessionsNow = int(m_sessions.size());
    stats.strayBackendConnections = m_pool->counters().strayBytesClosed;
    for (const Session *session : std::as_const(m_sessions))
        addCounters(stats, session->info());
    emit statsUpdated(m_index, stats);
    QList<TunnelInfo> tunnels;
    for (const Session *session : std::as_const(m_sessions))
        tunnels += session->tunnels();
    if (!tunnels.isEmpty())
        emit tunnelsUpdated(tunnels);
    if (m_dirty.isEmpty())
        return;
    QList<SessionInfo> infos;
    infos.reserve(m_dirty.size());
    for (quint64 id : std::as_const(m_dirty))
        if (const Session *session = m_sessions.value(id))
            infos.append(infoOf(session));
    m_dirty.clear();
    emit sessionsUpdated(infos);
}

void EngineWorker::countConnections()
{
    const int now = int(m_sessions.size() + m_pending.size());
    m_shared.connections->fetch_add(now - m_countedConnections, std::memory_order_relaxed);
    m_countedConnections = now;
}

void EngineWorker::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_publishTimer.stop();
    // Handshakes under way end with their handshaker.
    delete m_handshaker;
    m_handshaker = nullptr;
    for (QObject *pending : std::as_const(m_pending))
        pending->deleteLater();
    m_pending.clear();
    countConnections();
    for (Session *session : std::as_const(m_sessions))
        session->close(QStringLiteral("gateway shutting down"));
    m_stopDeadline.start();
    finishStopIfIdle();
}

void EngineWorker::finishStopIfIdle()
{
    if (!m_stopping || !m_sessions.isEmpty())
        return;
    m_stopDeadline.stop();
    m_stopping = false; // once: rejections finishing later change nothing
    Metrics::removeEngine(this);
    flushEvents();
    emit stopped(m_index);
}

} // namespace SeaCat
