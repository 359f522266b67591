#include "adminapi.h"
#include "../gatewaycontroller.h"
#include "../portpolicy.h"
#include "admineventstream.h"
#include "adminjson.h"
#include "gatewaymirror.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QPointer>
#include <QSslCertificate>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

namespace SeaCat {

using Status = QHttpServerResponder::StatusCode;
using Method = QHttpServerRequest::Method;

// One request's answer, given once, now or when the engine's outcome arrives. The socket may
// be gone by then (the client gave up): the answer is dropped, the audit line still written.
class AdminReply
{
public:
    AdminReply(QHttpServerResponder &&responder, QString what, bool mutation, const AdminApi::Log &log)
        : m_responder(std::move(responder)), m_socket(m_responder.socket()), m_what(std::move(what)),
          m_mutation(mutation), m_log(log)
    {
        if (!m_socket)
            return;
        m_peer = formatEndpoint(m_socket->peerAddress(), m_socket->peerPort());
        m_actor = QStringLiteral("admin-api %1").arg(m_socket->peerAddress().toString());
        // Over mutual TLS the workstation is named by its admin certificate (README "Admin over the network").
        if (const auto *tls = qobject_cast<const QSslSocket *>(m_socket.data()); tls && tls->isEncrypted()) {
            const QString workstation = tls->peerCertificate().subjectInfo(QSslCertificate::CommonName).value(0);
            m_peer += QStringLiteral(" (workstation %1)").arg(workstation);
            m_actor = QStringLiteral("admin-api %1@%2").arg(workstation, m_socket->peerAddress().toString());
        }
    }

    // For the store's audit log: "admin-api ADDRESS", "admin-api WORKSTATION@ADDRESS".
    QString actor() const { return m_actor; }

    void json(Status status, const QJsonObject &body, const QString &outcome = QString())
    {
        send(status, QJsonDocument(body).toJson(QJsonDocument::Compact) + '\n', "application/json", outcome);
    }
    void error(Status status, const QString &message, const QJsonObject &extra = {})
    {
        QJsonObject body = extra;
        body.insert(QStringLiteral("error"), message);
        json(status, body, message);
    }
    void send(Status status, const QByteArray &body, const QByteArray &contentType, const QString &outcome = QString())
    {
        if (m_sent)
            return;
        m_sent = true;
        if (m_mutation) // the audit line: who, what, how it ended
            m_log(int(status) < 400 ? LogLevel::Info : LogLevel::Warning,
                  QStringLiteral("admin api: %1 from %2: %3%4")
                      .arg(m_what, m_peer)
                      .arg(int(status))
                      .arg(outcome.isEmpty() ? QString() : QStringLiteral(" ") + outcome));
        if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
            m_responder.write(body, {{"Content-Type", contentType}, {"Cache-Control", "no-store"}}, status);
    }
    QHttpServerResponder takeResponder()
    {
        m_sent = true;
        return std::move(m_responder);
    }

private:
    QHttpServerResponder m_responder;
    QPointer<QTcpSocket> m_socket;
    QString m_what;
    QString m_peer;
    QString m_actor;
    bool m_mutation;
    bool m_sent = false;
    AdminApi::Log m_log;
};

namespace {

// A mutation waiting for the engine: the first of its outcome signals or the deadline answers;
// deleting it disconnects the rest.
class PendingCommand final : public QObject
{
public:
    PendingCommand(std::shared_ptr<AdminReply> reply, std::function<void()> done, QObject *parent)
        : QObject(parent), m_reply(std::move(reply)), m_done(std::move(done))
    {
        QTimer::singleShot(Limits::AdminCommandTimeoutMs, this, [this] {
            finish(Status::GatewayTimeout,
                   QJsonObject{{QStringLiteral("error"),
                                QStringLiteral("the engine did not answer within %1 s; it may still act")
                                    .arg(Limits::AdminCommandTimeoutMs / 1000)}});
        });
    }
    void finish(Status status, const QJsonObject &body, const QString &outcome = QString())
    {
        if (m_finished)
            return;
        m_finished = true;
        m_reply->json(status, body, outcome.isEmpty() ? body.value(QStringLiteral("error")).toString() : outcome);
        m_done();
        deleteLater();
    }

private:
    std::shared_ptr<AdminReply> m_reply;
    std::function<void()> m_done;
    bool m_finished = false;
};

QJsonObject errorBody(const QString &message)
{
    return {{QStringLiteral("error"), message}};
}

// DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends Host: evil.example.
bool isAcceptableHost(const QByteArray &host)
{
    if (host.isEmpty())
        return false;
    QByteArray name = host;
    if (name.startsWith('[')) // [IPv6]:port
        name = name.mid(1, name.indexOf(']') - 1);
    else if (name.count(':') == 1)
        name = name.left(name.indexOf(':'));
    return name == "localhost" || !QHostAddress(QString::fromLatin1(name)).isNull();
}

QString methodName(Method method)
{
    switch (method) {
    case Method::Get:
        return QStringLiteral("GET");
    case Method::Post:
        return QStringLiteral("POST");
    case Method::Delete:
        return QStringLiteral("DELETE");
    case Method::Put:
        return QStringLiteral("PUT");
    case Method::Head:
        return QStringLiteral("HEAD");
    case Method::Patch:
        return QStringLiteral("PATCH");
    case Method::Options:
        return QStringLiteral("OPTIONS");
    default:
        return QStringLiteral("OTHER");
    }
}

} // namespace

// A resource: its path segments ("#" stands for a decimal number) and the methods it takes.
struct AdminApi::Route {
    Method method;
    QList<const char *> pattern;
    std::function<void(AdminApi &, const std::shared_ptr<AdminReply> &, const QHttpServerRequest &,
                       const QList<quint64> &numbers, const QJsonObject &body)>
        run;
};

AdminApi::AdminApi(GatewayController *controller, GatewayMirror *mirror, const QByteArray &version, Log log,
                   QObject *parent)
    : QObject(parent), m_controller(controller), m_mirror(mirror), m_events(new AdminEventStream(mirror, this)),
      m_version(version), m_log(std::move(log))
{ }

AdminApi::~AdminApi() = default;

void AdminApi::handle(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    using Reply = std::shared_ptr<AdminReply>;
    static const QList<Route> routes = {
        {Method::Get, {"status"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.status(*r); }},
        {Method::Get,
         {"sessions"},
         [](AdminApi &api, const Reply &r, const QHttpServerRequest &q, auto &, auto &) { api.listSessions(*r, q); }},
        {Method::Get,
         {"sessions", "#"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) { api.sessionDetail(*r, n[0]); }},
        {Method::Delete,
         {"sessions", "#"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) { api.closeSession(r, n[0]); }},
        {Method::Get, {"port"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.port(*r); }},
        {Method::Post,
         {"port"},
         [](AdminApi &api, const Reply &r, auto &, auto &, const QJsonObject &b) { api.changePort(r, b); }},
        {Method::Get, {"settings"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.settings(*r); }},
        {Method::Post, {"reload"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.reload(*r); }},
        {Method::Get, {"pki", "csrs"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.listCsrs(*r); }},
        {Method::Post,
         {"pki", "csrs", "#", "approve"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) {
             api.decideCsr(r, qint64(n[0]), true);
         }},
        {Method::Post,
         {"pki", "csrs", "#", "reject"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) {
             api.decideCsr(r, qint64(n[0]), false);
         }},
        {Method::Get,
         {"pki", "certificates"},
         [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.listCertificates(*r); }},
        {Method::Get,
         {"pki", "certificates", "#"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) {
             api.certificate(*r, n[0], false);
         }},
        {Method::Get,
         {"pki", "certificates", "#", "pem"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) {
             api.certificate(*r, n[0], true);
         }},
        {Method::Post,
         {"pki", "certificates", "#", "revoke"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) { api.revoke(r, n[0]); }},
        {Method::Get,
         {"pki", "ca"},
         [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.caCertificate(*r); }},
        {Method::Get, {"tunnels"}, [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.listTunnels(*r); }},
        {Method::Post,
         {"tunnels"},
         [](AdminApi &api, const Reply &r, auto &, auto &, const QJsonObject &b) { api.openTunnel(r, b); }},
        {Method::Delete,
         {"tunnels", "#"},
         [](AdminApi &api, const Reply &r, auto &, const QList<quint64> &n, auto &) { api.closeTunnel(r, n[0]); }},
        {Method::Get,
         {"events"},
         [](AdminApi &api, const Reply &r, auto &, auto &, auto &) { api.m_events->subscribe(r->takeResponder()); }},
    };

    const Method method = request.method();
    const bool mutation = method != Method::Get && method != Method::Head;
    const QString path = request.url().path();
    auto reply = std::make_shared<AdminReply>(std::move(responder), methodName(method) + u' ' + path, mutation, m_log);
    if (!spendRequestBudget(request.remoteAddress(), *reply))
        return;
    if (!isAcceptableHost(request.value("Host")))
        return reply->error(Status::Forbidden,
                            QStringLiteral("the Host header must be the admin listener's address (or localhost)"));
    if (!path.startsWith(QStringLiteral("/api/v1/")))
        return reply->error(Status::NotFound,
                            QStringLiteral("no such resource: %1 (the API is under /api/v1/)").arg(path));
    const QStringList segments = path.mid(8).split(u'/');

    QList<quint64> numbers;
    QStringList allowed;
    const Route *match = nullptr;
    for (const Route &route : routes) {
        if (route.pattern.size() != segments.size())
            continue;
        QList<quint64> captured;
        bool same = true;
        for (qsizetype i = 0; same && i < segments.size(); ++i) {
            if (qstrcmp(route.pattern[i], "#") == 0) {
                bool ok = false;
                const quint64 number = segments[i].toULongLong(&ok);
                same = ok && number > 0 && number < (quint64(1) << 53) && !segments[i].startsWith(u'+');
                captured.append(number);
            } else {
                same = QLatin1String(route.pattern[i]) == segments[i];
            }
        }
        if (!same)
            continue;
        allowed.append(methodName(route.method));
        if (route.method == method) {
            match = &route;
            numbers = captured;
        }
    }
    if (allowed.isEmpty())
        return reply->error(Status::NotFound, QStringLiteral("no such resource: %1").arg(path));
    if (!match)
        return reply->error(Status::MethodNotAllowed,
                            QStringLiteral("%1 takes %2 only").arg(path, allowed.join(QStringLiteral(", "))));
    QJsonObject body;
    if (method == Method::Post) {
        if (!request.value("Content-Type").startsWith("application/json"))
            return reply->error(Status::UnsupportedMediaType,
                                QStringLiteral("POST takes Content-Type: application/json"));
        if (!request.body().trimmed().isEmpty()) {
            QJsonParseError parseError;
            const QJsonDocument document = QJsonDocument::fromJson(request.body(), &parseError);
            if (parseError.error != QJsonParseError::NoError)
                return reply->error(Status::BadRequest, QStringLiteral("malformed JSON at offset %1: %2")
                                                            .arg(parseError.offset)
                                                            .arg(parseError.errorString()));
            if (!document.isObject())
                return reply->error(Status::BadRequest, QStringLiteral("the body must be a JSON object"));
            body = document.object();
        }
    }
    match->run(*this, reply, request, numbers, body);
}

void AdminApi::status(AdminReply &reply) const
{
    const GatewayController &controller = m_mirror->controller();
    const QString state =
        QString::fromLatin1(QMetaEnum::fromType<GatewayController::State>().valueToKey(int(controller.state())))
            .toLower();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    reply.json(Status::Ok, {
                               {QStringLiteral("version"), QString::fromLatin1(m_version)},
                               {QStringLiteral("name"), m_settings.name},
                               {QStringLiteral("state"), state},
                               {QStringLiteral("listening"),
                                QJsonObject{{QStringLiteral("address"), controller.address().toString()},
                                            {QStringLiteral("port"), controller.port()}}},
                               {QStringLiteral("mode"), toString(m_settings.mode)},
                               {QStringLiteral("startedAt"), timeToJson(m_mirror->startedAt())},
                               {QStringLiteral("uptimeSeconds"), double(m_mirror->startedAt().secsTo(now))},
                               {QStringLiteral("sessions"), int(m_mirror->sessions().size())},
                               {QStringLiteral("stats"), statsToJson(m_mirror->stats())},
                               {QStringLiteral("pendingCsrs"), int(m_mirror->pki().pendingCsrs.size())},
                               {QStringLiteral("certificates"), int(m_mirror->pki().certificates.size())},
                               {QStringLiteral("eventStreams"), m_events->subscriberCount()},
                           });
}

void AdminApi::listSessions(AdminReply &reply, const QHttpServerRequest &request) const
{
    constexpr int DefaultLimit = 100, MaxLimit = 1'000;
    const QUrlQuery query = request.query();
    const auto number = [&query](const QString &key, int fallback, int max, bool *ok) {
        if (!query.hasQueryItem(key))
            return fallback;
        const int value = query.queryItemValue(key).toInt(ok);
        *ok = *ok && value >= 0 && value <= max;
        return value;
    };
    bool offsetOk = true, limitOk = true;
    const int offset = number(QStringLiteral("offset"), 0, std::numeric_limits<int>::max(), &offsetOk);
    const int limit = number(QStringLiteral("limit"), DefaultLimit, MaxLimit, &limitOk);
    if (!offsetOk || !limitOk)
        return reply.error(Status::BadRequest,
                           QStringLiteral("offset is a number from 0, limit one from 0 to %1").arg(MaxLimit));
    const QString filter = query.queryItemValue(QStringLiteral("filter"), QUrl::FullyDecoded);
    QJsonArray page;
    int total = 0;
    for (const auto &[id, info] : m_mirror->sessions()) {
        if (!sessionMatches(info, filter))
            continue;
        if (total >= offset && page.size() < limit)
            page.append(sessionToJson(info, SessionDetail::Summary));
        ++total;
    }
    reply.json(Status::Ok, {{QStringLiteral("total"), total},
                            {QStringLiteral("offset"), offset},
                            {QStringLiteral("limit"), limit},
                            {QStringLiteral("filter"), filter},
                            {QStringLiteral("sessions"), page}});
}

bool AdminApi::spendRequestBudget(const QHostAddress &peer, AdminReply &reply)
{
    if (m_peerBudgets.size() >= Limits::MaxAdminPeerBudgets && !m_peerBudgets.contains(peer))
        m_peerBudgets.clear();
    auto budget = m_peerBudgets.find(peer);
    if (budget == m_peerBudgets.end())
        budget = m_peerBudgets.insert(
            peer, TokenBucket::perSecond(Limits::AdminRequestBurst, Limits::AdminRequestsPerSecond));
    // The peer's own first: one that is over its budget spends none of the others'.
    if (!budget->take()) {
        reply.error(Status::TooManyRequests, QStringLiteral("more than %1 requests a second from %2: slow down")
                                                 .arg(Limits::AdminRequestsPerSecond)
                                                 .arg(peer.toString()));
        return false;
    }
    if (!m_requestBudget.take()) {
        reply.error(Status::TooManyRequests,
                    QStringLiteral("more than %1 requests a second from all peers: slow down")
                        .arg(Limits::AdminRequestsPerSecond * Limits::AdminRequestsAllPeersFactor));
        return false;
    }
    return true;
}

void AdminApi::sessionDetail(AdminReply &reply, quint64 id) const
{
    if (const SessionInfo *info = m_mirror->session(id))
        return reply.json(Status::Ok, sessionToJson(*info, SessionDetail::Full));
    reply.error(Status::NotFound, QStringLiteral("no session %1 (closed, or never opened)").arg(id));
}

void AdminApi::closeSession(const std::shared_ptr<AdminReply> &reply, quint64 id)
{
    if (!m_mirror->session(id))
        return reply->error(Status::NotFound, QStringLiteral("no session %1 (closed, or never opened)").arg(id));
    auto *pending = new PendingCommand(
        reply, [] {}, this);
    connect(m_controller, &GatewayEvents::sessionClosed, pending, [pending, id](quint64 closed, const QString &reason) {
        if (closed == id)
            pending->finish(Status::Ok, {{QStringLiteral("id"), double(id)}, {QStringLiteral("reason"), reason}},
                            QStringLiteral("session %1 closed").arg(id));
    });
    m_controller->disconnectSession(id);
}

void AdminApi::port(AdminReply &reply) const
{
    reply.json(Status::Ok, {{QStringLiteral("address"), m_controller->address().toString()},
                            {QStringLiteral("port"), m_controller->port()}});
}

void AdminApi::changePort(const std::shared_ptr<AdminReply> &reply, const QJsonObject &body)
{
    const QJsonValue portValue = body.value(QStringLiteral("port"));
    const double requested = portValue.toDouble(-1);
    if (!portValue.isDouble() || requested < 0 || requested > 65'535 || requested != std::floor(requested))
        return reply->error(Status::BadRequest, QStringLiteral("\"port\" must be a number from 0 to 65535"));
    QHostAddress address = m_controller->address();
    if (const QJsonValue a = body.value(QStringLiteral("address")); !a.isUndefined()) {
        address = QHostAddress(a.toString());
        if (!a.isString() || address.isNull())
            return reply->error(Status::BadRequest, QStringLiteral("\"address\" must be an IP address"));
    }
    const QJsonValue reserved = body.value(QStringLiteral("allowReserved"));
    if (!reserved.isUndefined() && !reserved.isBool())
        return reply->error(Status::BadRequest, QStringLiteral("\"allowReserved\" must be true or false"));
    const auto port = quint16(requested);
    if (const PortVerdict verdict = checkPort(port, reserved.toBool()); !verdict.allowed)
        return reply->error(Status::UnprocessableEntity, verdict.message);
    const auto where = [this] {
        return QJsonObject{{QStringLiteral("address"), m_controller->address().toString()},
                           {QStringLiteral("port"), m_controller->port()}};
    };
    if (port != 0 && address == m_controller->address() && port == m_controller->port())
        return reply->json(Status::Ok, where(), QStringLiteral("already listening there"));
    if (m_portChangeInFlight)
        return reply->error(Status::Conflict, QStringLiteral("another port change is under way; try again"));
    m_portChangeInFlight = true;
    auto *pending = new PendingCommand(
        reply, [this] { m_portChangeInFlight = false; }, this);
    // The engine answers a change with listening() (the new listener bound, the old one
    // closed) or portChangeFailed() (the old one still serving).
    connect(m_controller, &GatewayController::listening, pending, [pending, where] {
        const QJsonObject now = where();
        pending->finish(Status::Ok, now,
                        QStringLiteral("now listening on %1")
                            .arg(formatEndpoint(now.value(QStringLiteral("address")).toString(),
                                                quint16(now.value(QStringLiteral("port")).toInt()))));
    });
    connect(m_controller, &GatewayEvents::portChangeFailed, pending, [pending, where](const QString &reason) {
        QJsonObject answer = errorBody(reason);
        answer.insert(QStringLiteral("listening"), where());
        pending->finish(Status::Conflict, answer);
    });
    m_controller->changePort(address, port, reserved.toBool());
}

void AdminApi::settings(AdminReply &reply) const
{
    reply.json(Status::Ok, settingsToJson(m_settings));
}

void AdminApi::reload(AdminReply &reply)
{
    if (!m_reload)
        return reply.error(Status::Conflict,
                           QStringLiteral("this gateway runs with its GUI: its settings are applied in its window"));
    const QStringList problems = m_reload();
    if (!problems.isEmpty())
        return reply.error(Status::UnprocessableEntity,
                           QStringLiteral("reload refused: the previous configuration keeps serving"),
                           {{QStringLiteral("problems"), QJsonArray::fromStringList(problems)}});
    reply.json(Status::Ok, {{QStringLiteral("reloaded"), true}}, QStringLiteral("configuration handed to the engine"));
}

void AdminApi::listCsrs(AdminReply &reply) const
{
    QJsonArray csrs;
    for (const CsrInfo &csr : m_mirror->pki().pendingCsrs)
        csrs.append(csrToJson(csr));
    reply.json(Status::Ok, {{QStringLiteral("csrs"), csrs}});
}

void AdminApi::decideCsr(const std::shared_ptr<AdminReply> &reply, qint64 id, bool approve)
{
    const CsrInfo *csr = m_mirror->pendingCsr(id);
    if (!csr)
        return reply->error(Status::NotFound,
                            QStringLiteral("no pending CSR %1 (decided already, or never received)").arg(id));
    if (m_pkiActionInFlight)
        return reply->error(Status::Conflict, QStringLiteral("another PKI action is under way; try again"));
    m_pkiActionInFlight = true;
    QSet<quint64> before;
    for (const CertificateInfo &certificate : m_mirror->pki().certificates)
        before.insert(certificate.serial);
    auto *pending = new PendingCommand(
        reply, [this] { m_pkiActionInFlight = false; }, this);
    // Answered once the engine's push no longer lists the CSR: the next read sees the decision.
    connect(m_controller, &GatewayEvents::pkiStateChanged, pending,
            [pending, id, approve, clientId = csr->clientId, before](const PkiState &state) {
                for (const CsrInfo &c : state.pendingCsrs)
                    if (c.id == id)
                        return;
                QJsonObject answer{
                    {QStringLiteral("id"), double(id)},
                    {QStringLiteral("state"), approve ? QStringLiteral("approved") : QStringLiteral("rejected")}};
                QString outcome =
                    QStringLiteral("CSR %1 %2").arg(id).arg(answer.value(QStringLiteral("state")).toString());
                for (const CertificateInfo &certificate : state.certificates)
                    if (approve && certificate.clientId == clientId && !before.contains(certificate.serial)) {
                        answer.insert(QStringLiteral("certificate"), certificateToJson(certificate));
                        outcome += QStringLiteral(": certificate serial %1").arg(certificate.serial);
                    }
                pending->finish(Status::Ok, answer, outcome);
            });
    // Ours: the engine runs PKI actions one by one in order, and this API one at a time.
    connect(m_controller, &GatewayEvents::pkiActionFailed, pending,
            [pending](const QString &reason) { pending->finish(Status::Conflict, errorBody(reason)); });
    if (approve)
        m_controller->approveCsr(id, reply->actor());
    else
        m_controller->rejectCsr(id, reply->actor());
}

void AdminApi::listCertificates(AdminReply &reply) const
{
    QJsonArray certificates;
    for (const CertificateInfo &certificate : m_mirror->pki().certificates)
        certificates.append(certificateToJson(certificate));
    reply.json(Status::Ok, {{QStringLiteral("certificates"), certificates}});
}

void AdminApi::certificate(AdminReply &reply, quint64 serial, bool pem) const
{
    const CertificateInfo *certificate = m_mirror->certificate(serial);
    if (!certificate)
        return reply.error(Status::NotFound, QStringLiteral("no certificate with serial %1").arg(serial));
    if (!pem)
        return reply.json(Status::Ok, certificateToJson(*certificate));
    reply.send(Status::Ok, QSslCertificate(certificate->der, QSsl::Der).toPem(), "application/x-pem-file");
}

void AdminApi::revoke(const std::shared_ptr<AdminReply> &reply, quint64 serial)
{
    const CertificateInfo *certificate = m_mirror->certificate(serial);
    if (!certificate)
        return reply->error(Status::NotFound, QStringLiteral("no certificate with serial %1").arg(serial));
    if (certificate->isRevoked())
        return reply->error(Status::Conflict, QStringLiteral("certificate %1 is revoked already").arg(serial));
    if (m_pkiActionInFlight)
        return reply->error(Status::Conflict, QStringLiteral("another PKI action is under way; try again"));
    m_pkiActionInFlight = true;
    auto *pending = new PendingCommand(
        reply, [this] { m_pkiActionInFlight = false; }, this);
    connect(m_controller, &GatewayEvents::pkiStateChanged, pending, [pending, serial](const PkiState &state) {
        for (const CertificateInfo &c : state.certificates)
            if (c.serial == serial && c.isRevoked())
                return pending->finish(Status::Ok, certificateToJson(c),
                                       QStringLiteral("certificate %1 revoked; its sessions are closed").arg(serial));
    });
    connect(m_controller, &GatewayEvents::pkiActionFailed, pending,
            [pending](const QString &reason) { pending->finish(Status::Conflict, errorBody(reason)); });
    m_controller->revokeCertificate(serial, reply->actor());
}

void AdminApi::caCertificate(AdminReply &reply) const
{
    const QByteArray pem = m_mirror->pki().caCertificatePem;
    if (pem.isEmpty())
        return reply.error(Status::ServiceUnavailable, QStringLiteral("the gateway has not loaded its CA yet"));
    reply.send(Status::Ok, pem, "application/x-pem-file");
}

void AdminApi::listTunnels(AdminReply &reply) const
{
    QJsonArray tunnels;
    for (const auto &[id, tunnel] : m_mirror->tunnels())
        tunnels.append(tunnelToJson(tunnel));
    reply.json(Status::Ok, {{QStringLiteral("tunnels"), tunnels}});
}

void AdminApi::openTunnel(const std::shared_ptr<AdminReply> &reply, const QJsonObject &body)
{
    TunnelRequest request;
    const QJsonValue session = body.value(QStringLiteral("session"));
    const QJsonValue tag = body.value(QStringLiteral("tag"));
    if (session.isUndefined() == tag.isUndefined())
        return reply->error(Status::BadRequest,
                            QStringLiteral("give either \"session\" (an id) or \"tag\" (a Client Tag)"));
    const SessionInfo *target = nullptr;
    if (!session.isUndefined()) {
        const double id = session.toDouble(-1);
        if (!session.isDouble() || id < 1 || id != std::floor(id))
            return reply->error(Status::BadRequest, QStringLiteral("\"session\" must be a session id"));
        request.sessionId = quint64(id);
        target = m_mirror->session(request.sessionId);
        if (!target)
            return reply->error(Status::NotFound, QStringLiteral("no session %1").arg(request.sessionId));
    } else {
        request.clientTag = tag.toString();
        if (!tag.isString() || request.clientTag.isEmpty())
            return reply->error(Status::BadRequest, QStringLiteral("\"tag\" must be a Client Tag"));
        // The newest session of that client (the engine picks the same one).
        for (const auto &[id, info] : m_mirror->sessions())
            if (info.clientTag == request.clientTag)
                target = &info;
        if (!target)
            return reply->error(Status::NotFound,
                                QStringLiteral("no authenticated session of client %1").arg(request.clientTag));
    }
    if (target->clientId.isEmpty())
        return reply->error(
            Status::Forbidden,
            QStringLiteral("session %1 is anonymous: tunnels go only to authenticated clients").arg(target->id));
    const double port = body.value(QStringLiteral("port")).toDouble(-1);
    if (port < 1 || port > 65'535 || port != std::floor(port))
        return reply->error(Status::BadRequest, QStringLiteral("\"port\" must be a device port from 1 to 65535"));
    request.devicePort = quint16(port);
    if (!m_settings.tunnelsEnabled)
        return reply->error(Status::Forbidden, QStringLiteral("tunnels are off ([tunnels] tunnels=on turns them on)"));
    if (!m_settings.tunnelPorts.contains(request.devicePort))
        return reply->error(Status::Forbidden,
                            QStringLiteral("device port %1 is not in [tunnels] tunnel-ports").arg(request.devicePort));
    if (const QJsonValue listen = body.value(QStringLiteral("listen")); !listen.isUndefined()) {
        // ADDR:PORT, [IPv6]:PORT, or PORT on 127.0.0.1.
        const QString text = listen.toString();
        const qsizetype colon = text.lastIndexOf(u':');
        QString host = colon < 0 ? QStringLiteral("127.0.0.1") : text.left(colon);
        if (host.startsWith(u'[') && host.endsWith(u']'))
            host = host.mid(1, host.size() - 2);
        bool ok = false;
        const uint listenPort = text.mid(colon + 1).toUInt(&ok);
        if (!listen.isString() || !ok || listenPort > 65'535 || !request.listenAddress.setAddress(host))
            return reply->error(Status::BadRequest,
                                QStringLiteral("\"listen\" must be ADDRESS:PORT such as 127.0.0.1:2222 (port 0: any)"));
        request.listenPort = quint16(listenPort);
    }
    request.owner = reply->actor();
    auto *pending = new PendingCommand(
        reply, [] {}, this);
    const quint64 tunnelId = m_controller->openTunnel(request);
    connect(m_controller, &GatewayEvents::tunnelOpened, pending, [pending, tunnelId](const TunnelInfo &info) {
        if (info.id == tunnelId)
            pending->finish(Status::Created, {{QStringLiteral("tunnel"), tunnelToJson(info)}},
                            QStringLiteral("tunnel %1 on %2 to session %3 port %4")
                                .arg(info.id)
                                .arg(formatEndpoint(info.listenAddress, info.listenPort))
                                .arg(info.sessionId)
                                .arg(info.devicePort));
    });
    connect(m_controller, &GatewayEvents::tunnelFailed, pending,
            [pending, tunnelId](quint64 id, const QString &reason) {
                if (id == tunnelId)
                    pending->finish(Status::Conflict, errorBody(reason));
            });
}

void AdminApi::closeTunnel(const std::shared_ptr<AdminReply> &reply, quint64 id)
{
    if (m_mirror->tunnels().count(id) == 0)
        return reply->error(Status::NotFound, QStringLiteral("no tunnel %1 (closed, or never opened)").arg(id));
    auto *pending = new PendingCommand(
        reply, [] {}, this);
    connect(m_controller, &GatewayEvents::tunnelClosed, pending, [pending, id](quint64 closed, const QString &reason) {
        if (closed == id)
            pending->finish(Status::Ok, {{QStringLiteral("id"), double(id)}, {QStringLiteral("reason"), reason}},
                            QStringLiteral("tunnel %1 closed").arg(id));
    });
    connect(m_controller, &GatewayEvents::tunnelFailed, pending, [pending, id](quint64 failed, const QString &reason) {
        if (failed == id)
            pending->finish(Status::NotFound, errorBody(reason));
    });
    m_controller->closeTunnel(id, reply->actor());
}

} // namespace SeaCat
