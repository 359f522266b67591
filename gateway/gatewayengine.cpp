#include "gatewayengine.h"
#include "backend/backendpool.h"
#include "intake/tlslistener.h"
#include "metrics.h"
#include "pki/pkiservice.h"
#include "intake/protocolsniffer.h"
#include "rejection/rejector.h"
#include "session.h"
#include "tls/tlsprofile.h"

#include <QSslSocket>

#include <algorithm>

namespace SeaCat {

namespace {
constexpr int PublishIntervalMs = 500;  // batched session updates
constexpr int StopDeadlineMs = 3'000;   // sessions get this long to take close_notify

} // namespace

namespace {
void accumulate(GatewayStats &stats, const SessionInfo &info)
{
    stats.requests += info.requests;
    for (int i = 0; i < 6; ++i)
        stats.responsesByClass[i] += info.responsesByClass[i];
    stats.bytesIn += info.bytesIn;
    stats.bytesOut += info.bytesOut;
    stats.backendResponses += info.backendResponses;
    stats.backendLatencyMsTotal += info.backendLatencyMsTotal;
    stats.resetFloodCloses += info.resetFloodCloses;
    stats.glitchFloodCloses += info.glitchFloodCloses;
    stats.refusedCsrs += info.refusedCsrs;
}
} // namespace

GatewayEngine::GatewayEngine(QObject *parent) : QObject(parent), m_pool(new BackendPool(this))
{
    m_publishTimer.setInterval(PublishIntervalMs);
    connect(&m_publishTimer, &QTimer::timeout, this, &GatewayEngine::publishUpdates);
    m_stopDeadline.setSingleShot(true);
    m_stopDeadline.setInterval(StopDeadlineMs);
    m_pkiPollTimer.setInterval(1'000);
    connect(&m_pkiPollTimer, &QTimer::timeout, this, &GatewayEngine::pollPkiStore);
    m_expiryTimer.setInterval(3'600'000);
    connect(&m_expiryTimer, &QTimer::timeout, this, &GatewayEngine::warnAboutExpiringCertificates);
    // The store's gauges are read again on the next tick after anything changed there.
    const auto storeChanged = [this] { m_pkiGaugesStale = true; };
    connect(this, &GatewayEngine::pkiChanged, this, storeChanged);
    connect(this, &GatewayEngine::csrReceived, this, storeChanged);
    connect(this, &GatewayEngine::certificateIssued, this, storeChanged);
    connect(this, &GatewayEngine::certificateRevoked, this, storeChanged);
    connect(&m_stopDeadline, &QTimer::timeout, this, [this] {
        for (Session *session : std::exchange(m_sessions, {})) {
            emit sessionClosed(session->id(), QStringLiteral("aborted at shutdown: the peer did not take close_notify"));
            delete session;
        }
        finishStopIfIdle();
    });
}

GatewayEngine::~GatewayEngine()
{
    Metrics::removeEngine(this);
    // Sessions hold a pointer to the PKI service: they go first.
    qDeleteAll(m_sessions);
    m_sessions.clear();
}

void GatewayEngine::start(const GatewayConfig &config)
{
    if (m_server) {
        emit failed(QStringLiteral("the gateway is already running"));
        return;
    }
    m_config = config;
    m_stopping = false;
    m_pool->setMaxConnectionsPerOrigin(config.backendConnections);
    // Handshaking sockets may take at most a quarter of the descriptors: sessions, backends
    // and the store need the rest.
    const int descriptors = raiseDescriptorLimit();
    m_descriptorCeiling = descriptors - qMax(Limits::ReservedDescriptorsMin, descriptors / 10);
    if (m_config.maxHandshakes > descriptors / 4) {
        m_config.maxHandshakes = qMax(1, descriptors / 4);
        emit logMessage(LogLevel::Warning, QStringLiteral("max-handshakes lowered to %1: the process may open %2 descriptors "
                                                          "(raise LimitNOFILE / ulimit -n)").arg(m_config.maxHandshakes).arg(descriptors));
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
    m_pkiGaugesStale = true;
    if (config.ecServerKey)
        emit logMessage(LogLevel::Warning, QStringLiteral("server-key=ec: the server certificate has an EC P-256 key; stock SeaCat "
                                                          "clients offer only ECDHE-RSA-AES256-SHA384 and cannot connect (use server-key=rsa)"));
    if (!m_pki) {
        m_pki = PkiService::open(*identity->authority, config.dataDir, config.pkiPolicy(), &error, Limits::PkiStoreBusyTimeoutMs);
        if (!m_pki) {
            emit failed(error);
            return;
        }
        connect(m_pki.get(), &PkiService::csrReceived, this, &GatewayEngine::csrReceived);
        connect(m_pki.get(), &PkiService::certificateIssued, this, &GatewayEngine::certificateIssued);
        connect(m_pki.get(), &PkiService::certificateRevoked, this, [this](quint64 serial) {
            emit certificateRevoked(serial);
            closeInvalidatedSessions(); // README "Revoking a certificate closes that client's live sessions at once"
        });
        connect(m_pki.get(), &PkiService::log, this, [this](const QString &line) { emit logMessage(LogLevel::Warning, line); });
    }
    m_pkiChangeCounter = m_pki->externalChangeCounter();
    emit logMessage(LogLevel::Info, QStringLiteral("data directory %1; clients trust %1/%2; gateway name %3; mode %4")
                                        .arg(config.dataDir, GatewayIdentity::CaCertFile, config.name, toString(config.mode)));

    int socketError = -1;
    TlsListener *server = listen(config.listenAddress, config.port, &error, &socketError);
    // README "Choosing the port": a first start must serve. Only the built-in default falls back;
    // a port the admin chose is never changed silently.
    if (!server && !config.portExplicit && config.port == DefaultPort && bindFailedForPrivilege(socketError)) {
        emit logMessage(LogLevel::Warning, QStringLiteral("%1. Serving on port %2 meanwhile.").arg(error).arg(FallbackPort));
        server = listen(config.listenAddress, FallbackPort, &error, &socketError);
    }
    if (!server) {
        emit failed(error);
        return;
    }
    if (!verdict.message.isEmpty())
        emit logMessage(LogLevel::Info, verdict.message);
    m_server = server;
    m_publishTimer.start();
    m_pkiPollTimer.start();
    m_expiryTimer.start();
    warnAboutExpiringCertificates();
    publishMetrics();
    emit listening(server->serverAddress(), server->serverPort());
}

TlsListener *GatewayEngine::listen(const QHostAddress &address, quint16 port, QString *error, int *socketError)
{
    auto *server = new TlsListener(m_tls, {m_config.maxHandshakes, m_config.firstByteTimeoutMs, m_config.handshakeTimeoutMs, m_descriptorCeiling},
                                   this);
    if (!server->listen(address, port)) {
        *socketError = server->serverError();
        *error = explainBindFailure(address, port, server->serverError(), server->errorString());
        delete server;
        return nullptr;
    }
    connect(server, &TlsListener::pendingConnectionAvailable, this, &GatewayEngine::acceptPending);
    connect(server, &TlsListener::acceptingPaused, this, [this](int descriptor) {
        emit logMessage(LogLevel::Warning, QStringLiteral("descriptor %1 reaches the reserve kept for backends and the store: "
                                                          "not accepting for a moment (raise LimitNOFILE / ulimit -n, or lower max-sessions)")
                                               .arg(descriptor));
    });
    connect(server, &TlsListener::handshakeFailed, this, [this](const QString &peer, const QString &reason) {
        if (m_config.debugLog) // a flood of silent sockets must not cost a formatted line each
            emit logMessage(LogLevel::Debug, QStringLiteral("TLS handshake with %1 failed: %2").arg(peer, reason));
    });
    return server;
}

void GatewayEngine::acceptPending()
{
    auto *server = qobject_cast<TlsListener *>(sender());
    while (server && server->hasPendingConnections()) {
        auto *socket = qobject_cast<QSslSocket *>(server->nextPendingConnection());
        if (!socket)
            continue;
        socket->setParent(this);
        if (m_stopping || m_sessions.size() + m_pending.size() >= m_config.maxSessions) {
            emit logMessage(LogLevel::Warning, QStringLiteral("refused %1: %2").arg(socket->peerAddress().toString(),
                m_stopping ? QStringLiteral("shutting down") : QStringLiteral("%1 connections already (max-sessions)").arg(m_config.maxSessions)));
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *sniffer = new ProtocolSniffer(socket, m_config.handshakeTimeoutMs, this);
        m_pending.insert(sniffer);
        connect(sniffer, &ProtocolSniffer::identified, this, [this, sniffer](PeerProtocol protocol) {
            m_pending.remove(sniffer);
            sniffer->deleteLater();
            dispatch(sniffer->socket(), protocol, sniffer->elapsedMs());
        });
    }
}

void GatewayEngine::dispatch(QSslSocket *socket, PeerProtocol protocol, qint64 sinceHandshakeMs)
{
    Rejector *rejector = nullptr;
    // A rejected client's deadlines count from its handshake, not from when we knew what it was.
    const int headTimeoutMs = int(qMax<qint64>(Limits::HttpRequestHeadTimeoutMs - sinceHandshakeMs, 0));
    const int rejectionTimeoutMs = int(qMax<qint64>(Limits::RejectionTimeoutMs - sinceHandshakeMs, 0));
    switch (protocol) {
    case PeerProtocol::SeaCat: {
        auto *session = new Session(m_nextSessionId++, socket, m_config, m_pool, m_pki.get(), this);
        ++m_closedTotals.sessionsTotal;
        m_sessions.insert(session->id(), session);
        connect(session, &Session::closed, this, &GatewayEngine::onSessionClosed);
        connect(session, &Session::changed, this, [this](quint64 id) { m_dirty.insert(id); });
        connect(session, &Session::log, this, &GatewayEngine::logMessage);
        const SessionInfo info = session->info();
        emit logMessage(LogLevel::Info, QStringLiteral("session %1 from %2:%3 (%4, %5, %6)")
                                            .arg(info.id).arg(info.peerAddress).arg(info.peerPort).arg(info.tlsProtocol, info.cipher,
                                                 info.clientTag.isEmpty() ? QStringLiteral("anonymous")
                                                                          : QStringLiteral("client %1, certificate %2").arg(info.clientTag).arg(info.certificateSerial)));
        emit sessionOpened(info);
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
        emit logMessage(LogLevel::Info, QStringLiteral("closed connection from %1: neither SeaCat nor HTTP")
                                            .arg(formatEndpoint(socket->peerAddress(), socket->peerPort())));
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
        ++m_closedTotals.rejectedHttpsClients;
        emit logMessage(LogLevel::Info, summary);
        emit connectionRejected(summary);
        finishStopIfIdle();
    });
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
        emit portChangeFailed(error + QStringLiteral("; still serving on %1").arg(formatEndpoint(m_server->serverAddress(), m_server->serverPort())));
        return;
    }
    // The old listener stops accepting now; handshakes already under way there may finish.
    TlsListener *old = m_server;
    old->close();
    QTimer::singleShot(m_config.handshakeTimeoutMs + 1'000, old, &QObject::deleteLater);
    m_server = next;
    m_config.listenAddress = address;
    m_config.port = port;
    m_config.portExplicit = true;
    m_config.allowReservedPort = allowReserved;
    emit logMessage(LogLevel::Info, QStringLiteral("now listening on %1; %2 session(s) kept")
                                        .arg(formatEndpoint(next->serverAddress(), next->serverPort())).arg(m_sessions.size()));
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
    compare(needRestart, qMin(config.maxHandshakes, qMax(1, raiseDescriptorLimit() / 4)) != old.maxHandshakes, "max-handshakes");
    compare(needRestart, config.firstByteTimeoutMs != old.firstByteTimeoutMs, "first-byte-timeout");
    compare(needRestart, config.handshakeTimeoutMs != old.handshakeTimeoutMs, "handshake-timeout");
    // What the admin configured is compared, not what serves: "port 0" (a free port) or the
    // 443 → 8443 fallback do not move on every reload.
    const bool moveListener = config.listenAddress != old.listenAddress || config.port != old.port
        || config.allowReservedPort != old.allowReservedPort;

    GatewayConfig next = config;
    // What needs a restart stays as it serves; the listener moves through changePort() below.
    next.name = old.name;
    next.dataDir = old.dataDir;
    next.ecServerKey = old.ecServerKey;
    next.autoApprove = old.autoApprove;
    next.certificateValidityDays = old.certificateValidityDays;
    next.renewalWindowDays = old.renewalWindowDays;
    next.maxHandshakes = old.maxHandshakes;
    next.firstByteTimeoutMs = old.firstByteTimeoutMs;
    next.handshakeTimeoutMs = old.handshakeTimeoutMs;
    next.listenAddress = old.listenAddress;
    next.port = old.port;
    next.portExplicit = old.portExplicit;
    next.debugLog = old.debugLog; // --verbose is a flag of the process, not of the file
    next.allowReservedPort = old.allowReservedPort;
    m_config = next;
    m_pool->setMaxConnectionsPerOrigin(m_config.backendConnections);
    emit logMessage(LogLevel::Info, QStringLiteral("configuration reloaded: %1; %2 session(s) kept")
                                        .arg(applied.isEmpty() ? QStringLiteral("no change for sessions")
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
    if (Session *session = m_sessions.value(id))
        session->close(QStringLiteral("disconnected by the administrator"));
}

void GatewayEngine::runPkiAction(const std::function<QString(PkiService &)> &action, const std::function<QString()> &done)
{
    if (!m_pki)
        return emit pkiActionFailed(QStringLiteral("the gateway is not running"));
    if (QString e = action(*m_pki); !e.isEmpty())
        return emit pkiActionFailed(e);
    emit logMessage(LogLevel::Info, done());
    emit pkiChanged();
}

void GatewayEngine::approveCsr(qint64 id)
{
    auto issued = std::make_shared<CertificateInfo>();
    runPkiAction([=](PkiService &pki) { return pki.approve(id, QStringLiteral("gui"), issued.get()); }, [=] {
        return QStringLiteral("approved CSR %1: certificate serial %2 for %3").arg(id).arg(issued->serial).arg(issued->clientTag);
    });
}

void GatewayEngine::rejectCsr(qint64 id)
{
    runPkiAction([=](PkiService &pki) { return pki.reject(id, QStringLiteral("gui")); },
                 [=] { return QStringLiteral("rejected CSR %1").arg(id); });
}

void GatewayEngine::revokeCertificate(quint64 serial)
{
    runPkiAction([=](PkiService &pki) { return pki.revoke(serial, QStringLiteral("gui")); },
                 [=] { return QStringLiteral("revoked certificate %1").arg(serial); });
}

void GatewayEngine::requestPkiSnapshot()
{
    if (m_pki)
        emit pkiSnapshot(m_pki->csrs(), m_pki->certificates());
}

void GatewayEngine::closeInvalidatedSessions()
{
    for (Session *session : std::as_const(m_sessions)) {
        const quint64 serial = session->info().certificateSerial;
        if (serial != 0 && !m_pki->certificateIfValid(serial))
            session->close(QStringLiteral("client certificate %1 revoked or expired").arg(serial));
    }
}

void GatewayEngine::pollPkiStore()
{
    const qint64 counter = m_pki->externalChangeCounter();
    if (counter == m_pkiChangeCounter)
        return;
    // Another process (the admin CLI) committed: its revocations apply now.
    m_pkiChangeCounter = counter;
    closeInvalidatedSessions();
    emit pkiChanged();
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

void GatewayEngine::onSessionClosed(quint64 id, const QString &reason)
{
    Session *session = m_sessions.take(id);
    if (!session)
        return;
    accumulate(m_closedTotals, session->info());
    session->deleteLater();
    m_dirty.remove(id);
    emit sessionClosed(id, reason);
    finishStopIfIdle();
}

void GatewayEngine::publishMetrics()
{
    EngineGauges gauges;
    for (const Session *session : std::as_const(m_sessions))
        ++gauges.sessionsByMode[size_t(session->mode())];
    for (auto it = m_config.hosts.cbegin(); it != m_config.hosts.cend(); ++it)
        gauges.backends.insert(it.key(), {m_pool->connectionCount(*it), m_pool->idleCount(*it), m_pool->waitingCount(*it),
                                          m_pool->connectFailures(*it)});
    Metrics::setEngineGauges(this, gauges);
    if (!m_pkiGaugesStale || !m_pki)
        return;
    // Read from the store only after a change: a table of many certificates is not cheap.
    m_pkiGaugesStale = false;
    const QList<CsrInfo> csrs = m_pki->csrs();
    m_pkiGauges.pendingCsrs = int(std::count_if(csrs.cbegin(), csrs.cend(), [](const CsrInfo &csr) { return csr.state == CsrInfo::State::Pending; }));
    const QList<CertificateInfo> certificates = m_pki->certificates();
    m_pkiGauges.certificatesIssued = quint64(certificates.size());
    m_pkiGauges.certificatesRevoked = quint64(std::count_if(certificates.cbegin(), certificates.cend(), [](const CertificateInfo &c) { return c.isRevoked(); }));
    Metrics::setPkiGauges(m_pkiGauges);
}

void GatewayEngine::publishUpdates()
{
    publishMetrics();
    GatewayStats stats = m_closedTotals;
    stats.sessionsNow = int(m_sessions.size());
    for (const Session *session : std::as_const(m_sessions))
        accumulate(stats, session->info());
    emit statsUpdated(stats);
    if (m_dirty.isEmpty())
        return;
    QList<SessionInfo> infos;
    infos.reserve(m_dirty.size());
    for (quint64 id : std::as_const(m_dirty))
        if (const Session *session = m_sessions.value(id))
            infos.append(session->info());
    m_dirty.clear();
    emit sessionsUpdated(infos);
}

void GatewayEngine::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_publishTimer.stop();
    m_pkiPollTimer.stop();
    m_expiryTimer.stop();
    for (TlsListener *server : findChildren<TlsListener *>(QString(), Qt::FindDirectChildrenOnly))
        server->close();
    delete m_server;
    for (QObject *pending : std::as_const(m_pending))
        pending->deleteLater();
    m_pending.clear();
    for (Session *session : std::as_const(m_sessions))
        session->close(QStringLiteral("gateway shutting down"));
    m_stopDeadline.start();
    finishStopIfIdle();
}

void GatewayEngine::finishStopIfIdle()
{
    if (!m_stopping || !m_sessions.isEmpty())
        return;
    m_stopDeadline.stop();
    m_stopping = false;
    Metrics::removeEngine(this);
    emit logMessage(LogLevel::Info, QStringLiteral("stopped"));
    emit stopped();
}

} // namespace SeaCat
