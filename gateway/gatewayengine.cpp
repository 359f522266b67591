#include "gatewayengine.h"
#include "accesslog/accesslog.h"
#include "dispatch/epolleventdispatcher.h"
#include "engineworker.h"
#include "heaprelease.h"
#include "intake/tlslistener.h"
#include "pki/cryptothread.h"
#include "pki/pkiservice.h"
#include "pkifacade.h"
#include "tls/tlsprofile.h"

#include <QThread>

#include <algorithm>

#include <unistd.h>

namespace SeaCat {

namespace {
constexpr int PublishIntervalMs = 500; // batched statistics
// While the engine waits for a worker thread to end, it serves that worker's PKI calls this often.
constexpr int JoinSliceMs = 5;
constexpr int DropReportEvery = 20; // publishes (10 s) between reports of dropped access-log lines
constexpr int PkiPushDelayMs = 100; // changes within this long make one PKI push
// Free heap beyond this goes back to the system at the next publish tick (heaprelease.h):
// 200 rejected HTTPS clients handshaking at once left ~3 MiB of holes (issue 8 item 10).
constexpr qint64 FreeHeapReleaseBytes = 2 * 1024 * 1024;
// After a quiet tick (no new connection, no request) free heap beyond this goes back too:
// sessions that went leave their holes, and no churn pays for the trim (a trim per tick during
// connection churn cost handshakes).
constexpr qint64 QuietFreeHeapReleaseBytes = 128 * 1024;

// An accepted descriptor on its way to a worker: closed if its event is dropped undelivered
// (the worker gone first), so none leaks.
class DescriptorInFlight
{
    Q_DISABLE_COPY_MOVE(DescriptorInFlight)

public:
    explicit DescriptorInFlight(qintptr descriptor) : m_descriptor(descriptor) { }
    ~DescriptorInFlight()
    {
        if (m_descriptor >= 0)
            ::close(int(m_descriptor));
    }
    qintptr take() { return std::exchange(m_descriptor, -1); }

private:
    qintptr m_descriptor;
};
} // namespace

GatewayEngine::GatewayEngine(QObject *parent) : GatewayEvents(parent), m_pkiFacade(new PkiFacade(this))
{
    m_pkiPushTimer.setSingleShot(true);
    m_pkiPushTimer.setInterval(PkiPushDelayMs);
    connect(&m_pkiPushTimer, &QTimer::timeout, this, &GatewayEngine::pushPkiState);
    m_publishTimer.setInterval(PublishIntervalMs);
    connect(&m_publishTimer, &QTimer::timeout, this, &GatewayEngine::publishStats);
    m_pkiPollTimer.setInterval(1'000);
    connect(&m_pkiPollTimer, &QTimer::timeout, this, &GatewayEngine::pollPkiStore);
    m_expiryTimer.setInterval(3'600'000);
    connect(&m_expiryTimer, &QTimer::timeout, this, &GatewayEngine::warnAboutExpiringCertificates);
}

GatewayEngine::~GatewayEngine()
{
    // Sessions (in the workers) call the PKI service: they go first, each with its thread.
    joinWorkers();
    // Runs in the engine thread (finished → deleteLater); its OpenSSL state goes with it.
    releaseThreadCryptoState();
}

void GatewayEngine::start(const GatewayConfig &config)
{
    if (m_server || !m_workers.isEmpty()) {
        emit failed(QStringLiteral("the gateway is already running"));
        return;
    }
    m_config = config;
    m_stopping = false;
    // Handshaking sockets may take at most a quarter of the descriptors: sessions, backends
    // and the store need the rest.
    const int descriptors = raiseDescriptorLimit();
    m_descriptorCeiling = descriptors - qMax(Limits::ReservedDescriptorsMin, descriptors / 10);
    if (m_config.maxHandshakes > descriptors / 4) {
        m_config.maxHandshakes = qMax(1, descriptors / 4);
        emit logMessage(LogLevel::Warning,
                        QStringLiteral("max-handshakes lowered to %1: the process may open %2 descriptors "
                                       "(raise LimitNOFILE / ulimit -n)")
                            .arg(m_config.maxHandshakes)
                            .arg(descriptors));
    }

    const PortVerdict verdict = checkPort(config.port, config.allowReservedPort);
    if (!verdict.allowed) {
        emit failed(verdict.message);
        return;
    }
    QString error;
    const auto identity = GatewayIdentity::loadOrCreate(config.dataDir, config.name, &error,
                                                        config.ecServerKey ? KeyType::EcP256 : KeyType::Rsa2048);
    if (!identity) {
        emit failed(error);
        return;
    }
    m_tls = TlsProfile::server(*identity);
    m_pkiGauges.caNotAfter = identity->caCertificate.expiryDate();
    m_pkiGauges.serverNotAfter = identity->serverCertificate.expiryDate();
    if (config.ecServerKey)
        emit logMessage(
            LogLevel::Warning,
            QStringLiteral("server-key=ec: the server certificate has an EC P-256 key; stock SeaCat "
                           "clients offer only ECDHE-RSA-AES256-SHA384 and cannot connect (use server-key=rsa)"));
    if (!m_pki) {
        m_pki = PkiService::open(*identity->authority, config.store, config.dataDir, config.pkiPolicy(), &error,
                                 Limits::PkiStoreBusyTimeoutMs);
        if (!m_pki) {
            emit failed(error);
            return;
        }
        m_pkiFacade->setService(m_pki.get());
        connect(m_pki.get(), &PkiService::csrReceived, this, [this](const CsrInfo &csr) {
            emit csrReceived(csr);
            schedulePkiPush();
        });
        connect(m_pki.get(), &PkiService::certificateIssued, this, [this](const CertificateInfo &certificate) {
            emit certificateIssued(certificate);
            schedulePkiPush();
        });
        connect(m_pki.get(), &PkiService::certificateRevoked, this, [this](quint64 serial) {
            emit certificateRevoked(serial);
            closeInvalidatedSessions(); // README "Revoking a certificate closes that client's live sessions at once"
            schedulePkiPush();
        });
        // Another gateway's approval, rejection or revocation (README "Several gateways"): at
        // once, not at the next poll.
        connect(m_pki.get(), &PkiService::externalChange, this, &GatewayEngine::pollPkiStore);
        connect(m_pki.get(), &PkiService::log, this,
                [this](const QString &line) { emit logMessage(LogLevel::Warning, line); });
    }
    m_pkiChangeCounter = m_pki->externalChangeCounter();
    pushPkiState(); // observers have the CA and the lists before the gateway listens
    emit logMessage(LogLevel::Info,
                    QStringLiteral("data directory %1; clients trust %1/%2; gateway name %3; mode %4; store %5")
                        .arg(config.dataDir, GatewayIdentity::CaCertFile, config.name, toString(config.mode),
                             PkiService::storeName(config.store)));

    int socketError = -1;
    TlsListener *server = listen(config.listenAddress, config.port, &error, &socketError);
    // README "Choosing the port": a first start must serve. Only the built-in default falls back;
    // a port the admin chose is never changed silently.
    if (!server && !config.portExplicit && config.port == DefaultPort && bindFailedForPrivilege(socketError)) {
        emit logMessage(LogLevel::Warning,
                        QStringLiteral("%1. Serving on port %2 meanwhile.").arg(error).arg(FallbackPort));
        server = listen(config.listenAddress, FallbackPort, &error, &socketError);
    }
    if (!server) {
        emit failed(error);
        return;
    }
    if (!verdict.message.isEmpty())
        emit logMessage(LogLevel::Info, verdict.message);
    m_server = server;
    startWorkers();
    emit logMessage(LogLevel::Info, QStringLiteral("%1 worker thread(s)").arg(m_workers.size()));
    m_publishTimer.start();
    m_pkiPollTimer.start();
    m_expiryTimer.start();
    warnAboutExpiringCertificates();
    registerInArray();
    emit listening(server->serverAddress(), server->serverPort());
}

void GatewayEngine::registerInArray()
{
    GatewayRecord record;
    record.name = m_config.name;
    record.port = m_config.publicPort != 0 ? m_config.publicPort : m_server->serverPort();
    record.priority = m_config.srvPriority;
    record.weight = m_config.srvWeight;
    m_registered = m_pki->registerGateway(record);
    if (!m_registered)
        emit logMessage(LogLevel::Warning, QStringLiteral("cannot register %1:%2 in the certificate store (%3); trying "
                                                          "again every second")
                                               .arg(record.name)
                                               .arg(record.port)
                                               .arg(m_pki->storeError()));
}

TlsListener *GatewayEngine::listen(const QHostAddress &address, quint16 port, QString *error, int *socketError)
{
    auto *server = new TlsListener([this](qintptr descriptor) { handOff(descriptor); }, m_descriptorCeiling, this);
    if (!server->listen(address, port)) {
        *socketError = server->serverError();
        *error = explainBindFailure(address, port, server->serverError(), server->errorString());
        delete server;
        return nullptr;
    }
    connect(server, &TlsListener::acceptingPaused, this, [this](int descriptor) {
        emit logMessage(
            LogLevel::Warning,
            QStringLiteral("descriptor %1 reaches the reserve kept for backends and the store: "
                           "not accepting for a moment (raise LimitNOFILE / ulimit -n, or lower max-sessions)")
                .arg(descriptor));
    });
    return server;
}

// One listener hands descriptors round-robin to the workers, rather than one SO_REUSEPORT
// listener per worker: binding stays Qt's (dual stack, port 0, the bind errors the README
// explains), a port that another SO_REUSEPORT process holds is still refused as busy instead
// of being shared silently, a port change is one bind, and the spread is even whatever the
// kernel's 4-tuple hash does with few clients. The cost is one queued call per connection,
// small beside its TLS handshake; accept() itself is cheap on one thread.
void GatewayEngine::startWorkers()
{
    const int count = qMax(1, m_config.workers);
    // Each worker takes an even share of the handshake budget: round-robin keeps the shares even.
    const TlsHandshaker::Budget budget{qMax(1, (m_config.maxHandshakes + count - 1) / count),
                                       m_config.firstByteTimeoutMs, m_config.handshakeTimeoutMs};
    // One TLS context per worker (each handshaker learns its own): SSL_CTX is safe to share
    // across threads, but Qt's QSslContext wrapper is not documented to be; a context is built
    // once per worker, not per connection, which is where the cost was.
    for (int i = 0; i < count; ++i) {
        auto *thread = new QThread(this);
        thread->setObjectName(QStringLiteral("seacat-worker-%1").arg(i));
        thread->setEventDispatcher(new EpollEventDispatcher);
        auto *worker =
            new EngineWorker(i, m_config, m_tls, budget, {m_pkiFacade, &m_nextSessionId, &m_connections, m_accessLog});
        worker->moveToThread(thread);
        connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        // Queued: each arrives in this thread in the order the worker emitted it.
        connect(worker, &EngineWorker::eventsBatched, this, &GatewayEngine::onWorkerEvents);
        connect(worker, &EngineWorker::sessionsUpdated, this, &GatewayEngine::sessionsUpdated);
        connect(worker, &EngineWorker::connectionRejected, this, &GatewayEngine::connectionRejected);
        connect(worker, &EngineWorker::tunnelsUpdated, this, &GatewayEngine::tunnelsUpdated);
        connect(worker, &EngineWorker::tunnelOpened, this, [this, i](const TunnelInfo &info) {
            m_tunnels.insert(info.id, {i, info.sessionId, info.devicePort});
            emit logMessage(LogLevel::Info, QStringLiteral("tunnel %1 opened by %2: %3 → session %4 (%5) port %6")
                                                .arg(info.id)
                                                .arg(info.owner, formatEndpoint(info.listenAddress, info.listenPort))
                                                .arg(info.sessionId)
                                                .arg(info.clientTag)
                                                .arg(info.devicePort));
            emit tunnelOpened(info);
        });
        connect(worker, &EngineWorker::tunnelFailed, this, [this](quint64 id, const QString &reason) {
            emit logMessage(LogLevel::Warning, QStringLiteral("tunnel %1: %2").arg(id).arg(reason));
            emit tunnelFailed(id, reason);
        });
        connect(worker, &EngineWorker::tunnelClosed, this, [this](quint64 id, const QString &reason) {
            m_tunnels.remove(id);
            emit logMessage(LogLevel::Info, QStringLiteral("tunnel %1 closed: %2").arg(id).arg(reason));
            emit tunnelClosed(id, reason);
        });
        connect(worker, &EngineWorker::stopped, this, &GatewayEngine::onWorkerStopped);
        connect(worker, &EngineWorker::statsUpdated, this, [this](int index, const GatewayStats &stats) {
            if (index < m_workers.size())
                m_workers[index].stats = stats;
        });
        thread->start();
        m_workers.append({thread, worker, {}, false});
        post(m_workers.last(), [](EngineWorker *w) { w->start(); });
    }
    m_nextWorker = 0;
}

template<typename Call> void GatewayEngine::post(const Worker &worker, Call call)
{
    QMetaObject::invokeMethod(
        worker.worker, [w = worker.worker, call] { call(w); }, Qt::QueuedConnection);
}

void GatewayEngine::handOff(qintptr descriptor)
{
    auto inFlight = std::make_shared<DescriptorInFlight>(descriptor);
    if (m_workers.isEmpty())
        return; // closed by inFlight
    const Worker &worker = m_workers.at(m_nextWorker);
    m_nextWorker = (m_nextWorker + 1) % int(m_workers.size());
    post(worker, [inFlight](EngineWorker *w) { w->adopt(inFlight->take()); });
}

void GatewayEngine::onWorkerEvents(const QList<EngineEvent> &events)
{
    for (const EngineEvent &event : events) {
        if (event.kind == EngineEvent::Kind::SessionOpened)
            m_sessions.insert(event.session.id,
                              {event.session.worker, event.session.certificateSerial, event.session.clientTag});
        else if (event.kind == EngineEvent::Kind::SessionClosed)
            m_sessions.remove(event.sessionId);
    }
    emit eventsBatched(events); // on to the controller as one batch too
}

void GatewayEngine::changePort(const QHostAddress &address, quint16 port, bool allowReserved)
{
    if (!m_server) {
        emit portChangeFailed(QStringLiteral("the gateway is not running"));
        return;
    }
    const PortVerdict verdict = checkPort(port, allowReserved);
    if (!verdict.allowed) {
        emit portChangeFailed(verdict.message);
        return;
    }
    if (address == m_server->serverAddress() && port == m_server->serverPort() && port != 0)
        return;
    QString error;
    int socketError = -1;
    TlsListener *next = listen(address, port, &error, &socketError);
    if (!next) {
        emit portChangeFailed(error + QStringLiteral("; still serving on %1")
                                          .arg(formatEndpoint(m_server->serverAddress(), m_server->serverPort())));
        return;
    }
    // The old listener stops accepting now; handshakes already under way (in the workers) go on.
    TlsListener *old = m_server;
    old->close();
    old->deleteLater();
    m_server = next;
    m_config.listenAddress = address;
    m_config.port = port;
    m_config.portExplicit = true;
    m_config.allowReservedPort = allowReserved;
    registerInArray(); // the record names the port clients reach
    emit logMessage(LogLevel::Info, QStringLiteral("now listening on %1; %2 session(s) kept")
                                        .arg(formatEndpoint(next->serverAddress(), next->serverPort()))
                                        .arg(m_sessions.size()));
    if (!verdict.message.isEmpty())
        emit logMessage(LogLevel::Info, verdict.message);
    emit listening(next->serverAddress(), next->serverPort());
}

void GatewayEngine::reload(const GatewayConfig &config)
{
    if (!m_server || m_stopping) {
        emit logMessage(LogLevel::Warning, QStringLiteral("reload ignored: the gateway is not serving"));
        return;
    }
    QStringList applied, needRestart;
    const auto compare = [](QStringList &list, bool changed, const char *name) {
        if (changed)
            list.append(QLatin1String(name));
    };
    const GatewayConfig &old = m_config;
    compare(needRestart, config.name != old.name, "name");
    compare(needRestart, config.dataDir != old.dataDir, "data-dir");
    compare(needRestart, config.store != old.store, "store");
    compare(needRestart,
            config.srvPriority != old.srvPriority || config.srvWeight != old.srvWeight ||
                config.publicPort != old.publicPort,
            "srv-priority/srv-weight/public-port");
    compare(needRestart, config.ecServerKey != old.ecServerKey, "server-key");
    compare(needRestart, config.autoApprove != old.autoApprove, "approval");
    compare(needRestart, config.certificateValidityDays != old.certificateValidityDays, "cert-validity");
    compare(needRestart, config.renewalWindowDays != old.renewalWindowDays, "renewal-window");
    compare(applied, config.mode != old.mode, "mode");
    compare(applied, config.hosts != old.hosts, "backends");
    compare(applied, config.forwardHeaders != old.forwardHeaders, "forward-headers");
    compare(applied, config.pingIntervalMs != old.pingIntervalMs, "ping-interval");
    compare(applied, config.maxConcurrentStreams != old.maxConcurrentStreams, "max-streams");
    compare(applied, config.maxInboundPayload != old.maxInboundPayload, "max-payload");
    compare(applied, config.maxSessions != old.maxSessions, "max-sessions");
    compare(applied, config.idleTimeoutMs != old.idleTimeoutMs, "idle-timeout");
    compare(applied, config.authorizedGraceMs != old.authorizedGraceMs, "authorized-grace");
    compare(applied, config.backendConnections != old.backendConnections, "backend-connections");
    compare(applied, config.backendConnectTimeoutMs != old.backendConnectTimeoutMs, "backend-connect-timeout");
    compare(applied, config.backendResponseTimeoutMs != old.backendResponseTimeoutMs, "backend-response-timeout");
    // The listener's own limits take effect with the next listener (a port change).
    // start() may have lowered max-handshakes to a quarter of the descriptors: compare likewise.
    compare(needRestart, qMin(config.maxHandshakes, qMax(1, raiseDescriptorLimit() / 4)) != old.maxHandshakes,
            "max-handshakes");
    compare(needRestart, config.firstByteTimeoutMs != old.firstByteTimeoutMs, "first-byte-timeout");
    compare(needRestart, config.handshakeTimeoutMs != old.handshakeTimeoutMs, "handshake-timeout");
    compare(needRestart, config.workers != old.workers, "workers");
    // What the admin configured is compared, not what serves: "port 0" (a free port) or the
    // 443 → 8443 fallback do not move on every reload.
    const bool moveListener = config.listenAddress != old.listenAddress || config.port != old.port ||
                              config.allowReservedPort != old.allowReservedPort;

    GatewayConfig next = config;
    // What needs a restart stays as it serves; the listener moves through changePort() below.
    next.name = old.name;
    next.dataDir = old.dataDir;
    next.store = old.store;
    next.srvPriority = old.srvPriority;
    next.srvWeight = old.srvWeight;
    next.publicPort = old.publicPort;
    next.ecServerKey = old.ecServerKey;
    next.autoApprove = old.autoApprove;
    next.certificateValidityDays = old.certificateValidityDays;
    next.renewalWindowDays = old.renewalWindowDays;
    next.maxHandshakes = old.maxHandshakes;
    next.firstByteTimeoutMs = old.firstByteTimeoutMs;
    next.handshakeTimeoutMs = old.handshakeTimeoutMs;
    next.workers = old.workers;
    next.listenAddress = old.listenAddress;
    next.port = old.port;
    next.portExplicit = old.portExplicit;
    next.debugLog = old.debugLog; // --verbose is a flag of the process, not of the file
    next.allowReservedPort = old.allowReservedPort;
    m_config = next;
    for (const Worker &worker : std::as_const(m_workers))
        post(worker, [next](EngineWorker *w) { w->reload(next); });
    // Open tunnels the new [tunnels] no longer allows close now; the others stay.
    for (auto it = m_tunnels.cbegin(); it != m_tunnels.cend(); ++it)
        if ((!next.tunnelsEnabled || !next.tunnelPorts.contains(it->devicePort)) && it->worker < m_workers.size())
            post(m_workers.at(it->worker), [id = it.key(), session = it->sessionId](EngineWorker *w) {
                w->closeTunnel(id, session, QStringLiteral("the reloaded configuration no longer allows it"));
            });
    emit logMessage(
        LogLevel::Info,
        QStringLiteral("configuration reloaded: %1; %2 session(s) kept")
            .arg(applied.isEmpty()
                     ? QStringLiteral("no change for sessions")
                     : QStringLiteral("new sessions get the new %1").arg(applied.join(QStringLiteral(", "))))
            .arg(m_sessions.size()));
    if (!needRestart.isEmpty())
        emit logMessage(LogLevel::Warning, QStringLiteral("reload: %1 changed and apply only after a restart")
                                               .arg(needRestart.join(QStringLiteral(", "))));
    if (moveListener)
        changePort(config.listenAddress, config.port, config.allowReservedPort); // logs, or reports portChangeFailed
}

void GatewayEngine::disconnectSession(quint64 id)
{
    const auto route = m_sessions.constFind(id);
    if (route != m_sessions.cend() && route->worker < m_workers.size())
        post(m_workers.at(route->worker),
             [id](EngineWorker *w) { w->closeSession(id, QStringLiteral("disconnected by the administrator")); });
}

void GatewayEngine::openTunnel(const TunnelRequest &request)
{
    const auto fail = [&](const QString &reason) {
        emit logMessage(
            LogLevel::Warning,
            QStringLiteral("tunnel %1 for %2 refused: %3").arg(request.tunnelId).arg(request.owner, reason));
        emit tunnelFailed(request.tunnelId, reason);
    };
    if (!m_config.tunnelsEnabled)
        return fail(QStringLiteral("tunnels are off ([tunnels] tunnels=on turns them on)"));
    if (!m_config.tunnelPorts.contains(request.devicePort))
        return fail(QStringLiteral("device port %1 is not in [tunnels] tunnel-ports").arg(request.devicePort));
    // By tag: the newest session of that client, the one most likely still reachable.
    quint64 sessionId = request.sessionId;
    if (!sessionId)
        for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
            if (!request.clientTag.isEmpty() && it->clientTag == request.clientTag && it.key() > sessionId)
                sessionId = it.key();
    const auto route = m_sessions.constFind(sessionId);
    if (route == m_sessions.cend())
        return fail(request.sessionId ? QStringLiteral("no session %1").arg(request.sessionId)
                                      : QStringLiteral("no session of client %1").arg(request.clientTag));
    if (route->certificateSerial == 0 || route->clientTag.isEmpty())
        return fail(QStringLiteral("session %1 is anonymous: tunnels go only to authenticated clients").arg(sessionId));
    if (route->worker >= m_workers.size())
        return fail(QStringLiteral("the gateway is stopping"));
    TunnelRequest routed = request;
    routed.sessionId = sessionId;
    routed.idleTimeoutMs = m_config.tunnelIdleTimeoutMs;
    post(m_workers.at(route->worker), [routed](EngineWorker *w) { w->openTunnel(routed); });
}

void GatewayEngine::closeTunnel(quint64 tunnelId, const QString &actor)
{
    const auto route = m_tunnels.constFind(tunnelId);
    if (route == m_tunnels.cend() || route->worker >= m_workers.size())
        return emit tunnelFailed(tunnelId, QStringLiteral("no tunnel %1").arg(tunnelId));
    post(m_workers.at(route->worker),
         [tunnelId, session = route->sessionId, reason = QStringLiteral("closed by %1").arg(actor)](EngineWorker *w) {
             w->closeTunnel(tunnelId, session, reason);
         });
}

void GatewayEngine::runPkiAction(const std::function<QString(PkiService &)> &action,
                                 const std::function<QString()> &done)
{
    if (!m_pki)
        return emit pkiActionFailed(QStringLiteral("the gateway is not running"));
    if (QString e = action(*m_pki); !e.isEmpty())
        return emit pkiActionFailed(e);
    emit logMessage(LogLevel::Info, done());
    schedulePkiPush();
}

void GatewayEngine::approveCsr(qint64 id, const QString &actor)
{
    auto issued = std::make_shared<CertificateInfo>();
    runPkiAction([=](PkiService &pki) { return pki.approve(id, actor, issued.get()); },
                 [=] {
                     return QStringLiteral("approved CSR %1: certificate serial %2 for %3 (by %4)")
                         .arg(id)
                         .arg(issued->serial)
                         .arg(issued->clientTag, actor);
                 });
}

void GatewayEngine::rejectCsr(qint64 id, const QString &actor)
{
    runPkiAction([=](PkiService &pki) { return pki.reject(id, actor); },
                 [=] { return QStringLiteral("rejected CSR %1 (by %2)").arg(id).arg(actor); });
}

void GatewayEngine::revokeCertificate(quint64 serial, const QString &actor)
{
    runPkiAction([=](PkiService &pki) { return pki.revoke(serial, actor); },
                 [=] { return QStringLiteral("revoked certificate %1 (by %2)").arg(serial).arg(actor); });
}

void GatewayEngine::schedulePkiPush()
{
    // A throttle, not a debounce: a steady stream of CSRs still gets a push every interval.
    if (!m_pkiPushTimer.isActive())
        m_pkiPushTimer.start();
}

void GatewayEngine::pushPkiState()
{
    const quint64 failuresBefore = m_pki->storeFailures();
    PkiState state;
    state.caCertificatePem = m_pki->caCertificatePem();
    for (const CsrInfo &csr : m_pki->csrs())
        if (csr.state == CsrInfo::State::Pending)
            state.pendingCsrs.append(csr);
    state.certificates = m_pki->certificates();
    // Empty lists from a store that did not answer would wipe the admin's view: the last
    // push stands, and this one is tried again.
    if (m_pki->storeFailures() != failuresBefore)
        return schedulePkiPush();
    publishPkiMetrics(state); // read once for both: a table of many certificates is not cheap
    emit pkiStateChanged(state);
}

void GatewayEngine::closeInvalidatedSessions()
{
    const quint64 failuresBefore = m_pki->storeFailures();
    QHash<quint64, bool> valid; // one store look-up per certificate, however many sessions use it
    for (const SessionRoute &route : std::as_const(m_sessions))
        if (route.certificateSerial != 0 && !valid.contains(route.certificateSerial))
            valid.insert(route.certificateSerial, m_pki->certificateIfValid(route.certificateSerial).has_value());
    // A store that did not answer says nothing about a certificate: no session is closed on its
    // silence, and the next poll looks again.
    if (m_pki->storeFailures() != failuresBefore) {
        m_pkiChangeCounter = -1;
        return;
    }
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it) {
        const quint64 serial = it->certificateSerial;
        if (serial != 0 && it->worker < m_workers.size() && !valid.value(serial, true))
            post(m_workers.at(it->worker), [id = it.key(), serial](EngineWorker *w) {
                w->closeSession(id, QStringLiteral("client certificate %1 revoked or expired").arg(serial));
            });
    }
}

void GatewayEngine::pollPkiStore()
{
    const quint64 failuresBefore = m_pki->storeFailures();
    const qint64 counter = m_pki->externalChangeCounter();
    noteStoreAvailability(m_pki->storeFailures() == failuresBefore ? QString() : m_pki->storeError());
    if (!m_registered && m_server)
        registerInArray();
    if (counter == m_pkiChangeCounter)
        return;
    // Another process (the admin CLI) committed: its revocations apply now.
    m_pkiChangeCounter = counter;
    closeInvalidatedSessions();
    schedulePkiPush();
}

void GatewayEngine::noteStoreAvailability(const QString &error)
{
    const bool up = error.isEmpty();
    if (up == m_pkiGauges.storeUp)
        return;
    m_pkiGauges.storeUp = up;
    Metrics::setPkiGauges(m_pkiGauges);
    if (up) {
        emit logMessage(LogLevel::Info, QStringLiteral("the certificate store answers again after %1 s; changes made "
                                                       "meanwhile apply now")
                                            .arg(m_storeDownSince.elapsed() / 1000.0, 0, 'f', 1));
        m_storeDownSince.invalidate();
    } else {
        m_storeDownSince.start();
        emit logMessage(LogLevel::Error,
                        QStringLiteral("the certificate store does not answer (%1): sessions go on, clients with "
                                       "known certificates authenticate from memory, CSRs wait unanswered until "
                                       "it is back")
                            .arg(error));
    }
    emit pkiStoreAvailabilityChanged(up, error);
}

void GatewayEngine::warnAboutExpiringCertificates()
{
    const QDateTime soon = QDateTime::currentDateTimeUtc().addDays(m_config.renewalWindowDays);
    for (const CertificateInfo &cert : m_pki->certificates()) {
        if (cert.isValidNow() && cert.notAfter <= soon && !m_expiryWarned.contains(cert.serial)) {
            m_expiryWarned.insert(cert.serial);
            emit certificateExpiringSoon(cert);
        }
    }
}

void GatewayEngine::publishPkiMetrics(const PkiState &state)
{
    m_pkiGauges.pendingCsrs = int(state.pendingCsrs.size());
    m_pkiGauges.certificatesIssued = quint64(state.certificates.size());
    m_pkiGauges.certificatesRevoked = quint64(std::count_if(state.certificates.cbegin(), state.certificates.cend(),
                                                            [](const CertificateInfo &c) { return c.isRevoked(); }));
    Metrics::setPkiGauges(m_pkiGauges);
}

void GatewayEngine::publishStats()
{
    GatewayStats stats;
    for (const Worker &worker : std::as_const(m_workers)) {
        addCounters(stats, worker.stats);
        stats.sessionsTotal += worker.stats.sessionsTotal;
        stats.sessionsNow += worker.stats.sessionsNow;
        stats.rejectedHttpsClients += worker.stats.rejectedHttpsClients;
        stats.strayBackendConnections += worker.stats.strayBackendConnections;
    }
    const quint64 traffic = stats.sessionsTotal + stats.rejectedHttpsClients + stats.requests;
    releaseFreeHeap(traffic == m_trafficAtLastPublish ? QuietFreeHeapReleaseBytes : FreeHeapReleaseBytes);
    m_trafficAtLastPublish = traffic;
    emit statsUpdated(stats);
    if (m_accessLog && ++m_publishesSinceDropReport >= DropReportEvery) {
        m_publishesSinceDropReport = 0;
        if (const quint64 dropped = m_accessLog->takeDropped())
            emit logMessage(LogLevel::Warning,
                            QStringLiteral("access log: %1 line(s) dropped in the last %2 s: its file or stderr is "
                                           "slower than the traffic (queue full)")
                                .arg(dropped)
                                .arg(DropReportEvery * PublishIntervalMs / 1000));
    }
}

void GatewayEngine::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_publishTimer.stop();
    m_pkiPollTimer.stop();
    m_expiryTimer.stop();
    delete m_server;
    // Descriptors already handed off reach their worker before its stop: one queue, in order.
    for (const Worker &worker : std::as_const(m_workers))
        post(worker, [](EngineWorker *w) { w->stop(); });
    if (m_workers.isEmpty())
        finishStop();
}

void GatewayEngine::onWorkerStopped(int index)
{
    if (index < m_workers.size())
        m_workers[index].stopped = true;
    if (m_stopping && std::all_of(m_workers.cbegin(), m_workers.cend(), [](const Worker &w) { return w.stopped; }))
        finishStop();
}

void GatewayEngine::finishStop()
{
    joinWorkers();
    m_sessions.clear();
    m_stopping = false;
    emit logMessage(LogLevel::Info, QStringLiteral("stopped"));
    emit stopped();
}

void GatewayEngine::joinWorkers()
{
    for (const Worker &worker : std::as_const(m_workers))
        worker.thread->quit();
    // A worker may be blocked in a PKI call to this thread (PkiFacade): serve it, never wait blind.
    for (const Worker &worker : std::as_const(m_workers)) {
        while (!worker.thread->wait(QDeadlineTimer(JoinSliceMs)))
            m_pkiFacade->serveWaitingCalls();
        delete worker.thread; // its worker was deleted at its end (finished → deleteLater)
    }
    m_workers.clear();
}

} // namespace SeaCat
