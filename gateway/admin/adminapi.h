// The admin API (README "The admin API"): JSON resources under /api/v1/ on the admin listener,
// for `seacat-gateway ctl` and, later, a GUI attached from a workstation. Lives in the main
// thread beside AdminServer. Reads are answered from the GatewayMirror at once; mutations go
// to GatewayController's queued slots and are answered once the engine's outcome arrives (the
// port bound or refused, the session closed, the decision stored and pushed), or 504 after
// AdminCommandTimeoutMs. One port change and one PKI action at a time (409 meanwhile), so an
// outcome is never matched to the wrong request.
//
// Rules at the door, for every /api/ request: a Host that is not an address literal or
// "localhost" is refused (a web page cannot reach it by DNS rebinding); a GET never mutates,
// a path's other methods get 405 with Allow; POST takes a JSON object (Content-Type
// application/json, which no cross-site form can send without a CORS preflight this server
// never answers), malformed → 400. Every POST/DELETE is written to the event log with the
// peer's address and its outcome (the audit log; the PKI store records the actor too). Past
// AdminRequestBurst requests at once, AdminRequestsPerSecond, from one peer, or four times that
// from all: 429.
#pragma once

#include "../gatewayconfig.h"
#include "../loglevel.h"
#include "../tokenbucket.h"

#include <QHash>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QObject>
#include <functional>
#include <memory>

namespace SeaCat {

class AdminEventStream;
class AdminReply;
class GatewayController;
class GatewayMirror;

class AdminApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminApi)

public:
    using Log = std::function<void(LogLevel, const QString &)>;
    // Applies the configuration file again as SIGHUP does; returns the problems that refused it
    // (empty: checked and handed to the engine).
    using Reload = std::function<QStringList()>;

    // `controller` and `mirror` outlive the API; `log` takes the audit lines.
    AdminApi(GatewayController *controller, GatewayMirror *mirror, const QByteArray &version, Log log,
             QObject *parent = nullptr);
    ~AdminApi() override;

    // The configuration serving now (at start and after each reload); GET /api/v1/settings.
    void setSettings(const GatewayConfig &config) { m_settings = config; }
    // Unset (the GUI's gateway, whose settings live in its window): POST /api/v1/reload is 409.
    void setReload(Reload reload) { m_reload = std::move(reload); }

    // Answers one request under /api/ (now or later).
    void handle(const QHttpServerRequest &request, QHttpServerResponder &&responder);

private:
    using Segments = QStringList;
    struct Route;
    void status(AdminReply &reply) const;
    void listSessions(AdminReply &reply, const QHttpServerRequest &request) const;
    // False when `peer`, or all peers together, spent their budget: `reply` answered 429.
    bool spendRequestBudget(const QHostAddress &peer, AdminReply &reply);
    void sessionDetail(AdminReply &reply, quint64 id) const;
    void closeSession(const std::shared_ptr<AdminReply> &reply, quint64 id);
    void port(AdminReply &reply) const;
    void changePort(const std::shared_ptr<AdminReply> &reply, const QJsonObject &body);
    void settings(AdminReply &reply) const;
    void reload(AdminReply &reply);
    void listCsrs(AdminReply &reply) const;
    void decideCsr(const std::shared_ptr<AdminReply> &reply, qint64 id, bool approve);
    void listCertificates(AdminReply &reply) const;
    void certificate(AdminReply &reply, quint64 serial, bool pem) const;
    void revoke(const std::shared_ptr<AdminReply> &reply, quint64 serial);
    void caCertificate(AdminReply &reply) const;
    // README "Reaching a device through its session".
    void listTunnels(AdminReply &reply) const;
    void openTunnel(const std::shared_ptr<AdminReply> &reply, const QJsonObject &body);
    void closeTunnel(const std::shared_ptr<AdminReply> &reply, quint64 id);

    GatewayController *m_controller;
    GatewayMirror *m_mirror;
    AdminEventStream *m_events;
    QByteArray m_version;
    Log m_log;
    Reload m_reload;
    GatewayConfig m_settings;
    QHash<QHostAddress, TokenBucket> m_peerBudgets;
    TokenBucket m_requestBudget =
        TokenBucket::perSecond((Limits::AdminRequestBurst * Limits::AdminRequestsAllPeersFactor),
                               (Limits::AdminRequestsPerSecond * Limits::AdminRequestsAllPeersFactor));
    bool m_portChangeInFlight = false;
    bool m_pkiActionInFlight = false;
};

} // namespace SeaCat
