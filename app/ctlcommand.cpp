#include "ctlcommand.h"
#include "adminclient.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

namespace {

constexpr char DefaultAdminUrl[] = "http://127.0.0.1:9543";
// Mutations wait up to 10 s for the engine (gatewaylimits.h AdminCommandTimeoutMs): more here.
constexpr int RequestTimeoutMs = 20'000;

const char Usage[] =
    "usage: seacat-gateway ctl [--admin URL [--identity DIR]] [--json] status | sessions [--filter TEXT] [--offset N] "
    "[--limit N]"
    " | sessions show ID | sessions close ID | port [N [--address A] [--allow-reserved-port]] | settings | reload"
    " | pki csrs | pki approve ID | pki reject ID | pki certs | pki revoke SERIAL | pki export SERIAL | pki ca"
    " | tunnel open TAG PORT [--listen ADDR:PORT] | tunnel list | tunnel close ID";

void out(const QString &text)
{
    fputs(qPrintable(text), stdout);
}

int fail(const QString &message, int code = 1)
{
    fputs(qPrintable(QStringLiteral("seacat-gateway ctl: %1\n").arg(message)), stderr);
    return code;
}

QString date(const QJsonValue &iso)
{
    const QDateTime t = QDateTime::fromString(iso.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QStringLiteral("-");
}

QString number(const QJsonValue &value)
{
    return QString::number(qint64(value.toDouble()));
}

class Ctl
{
public:
    Ctl(const QUrl &admin, bool json) : m_admin(admin), m_json(json), m_client(admin, RequestTimeoutMs) { }

    // Runs the request; on success prints its JSON (--json) or what `human` makes of it.
    template<typename Human> int show(const AdminResponse &response, Human human)
    {
        if (response.status == 0)
            return fail(QStringLiteral("cannot reach the gateway's admin API at %1: %2 (is the gateway running, "
                                       "with admin-listen there?%3)")
                            .arg(m_admin.toString(), response.failure,
                                 m_admin.scheme() == u"https"
                                     ? QStringLiteral(" is this workstation's certificate issued, not revoked?")
                                     : QString()));
        if (!response.isSuccess())
            return fail(response.errorMessage());
        if (m_json && !response.body.startsWith("-----BEGIN")) {
            out(QString::fromUtf8(QJsonDocument::fromJson(response.body).toJson(QJsonDocument::Indented)));
            return 0;
        }
        human(response);
        return 0;
    }

    AdminClient &client() { return m_client; }

private:
    QUrl m_admin;
    bool m_json;
    AdminClient m_client;
};

void printSessions(const QJsonObject &page)
{
    out(QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
            .arg(QStringLiteral("ID"), 6)
            .arg(QStringLiteral("PEER"), -22)
            .arg(QStringLiteral("CLIENT TAG"), -18)
            .arg(QStringLiteral("STREAMS"), 7)
            .arg(QStringLiteral("REQUESTS"), 8)
            .arg(QStringLiteral("IN"), 10)
            .arg(QStringLiteral("OUT"), 10)
            .arg(QStringLiteral("SINCE")));
    for (const QJsonValue &value : page.value(QStringLiteral("sessions")).toArray()) {
        const QJsonObject s = value.toObject();
        QString tag = s.value(QStringLiteral("clientTag")).toString();
        if (tag.isEmpty() && !s.value(QStringLiteral("enrollingClientTag")).toString().isEmpty())
            tag = s.value(QStringLiteral("enrollingClientTag")).toString() + QStringLiteral(" (enrolling)");
        out(QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
                .arg(number(s.value(QStringLiteral("id"))), 6)
                .arg(s.value(QStringLiteral("peer")).toString(), -22)
                .arg(tag.isEmpty() ? QStringLiteral("(anonymous)") : tag, -18)
                .arg(s.value(QStringLiteral("openStreams")).toInt(), 7)
                .arg(number(s.value(QStringLiteral("requests"))), 8)
                .arg(number(s.value(QStringLiteral("bytesIn"))), 10)
                .arg(number(s.value(QStringLiteral("bytesOut"))), 10)
                .arg(date(s.value(QStringLiteral("since")))));
    }
    const int total = page.value(QStringLiteral("total")).toInt();
    const int shown = int(page.value(QStringLiteral("sessions")).toArray().size());
    if (shown < total)
        out(QStringLiteral("(%1 of %2 shown from offset %3: --offset, --limit for more)\n")
                .arg(shown)
                .arg(total)
                .arg(page.value(QStringLiteral("offset")).toInt()));
}

void printCsrs(const QJsonObject &list)
{
    out(QStringLiteral("%1  %2  %3  %4  %5\n")
            .arg(QStringLiteral("ID"), 5)
            .arg(QStringLiteral("RECEIVED"), -16)
            .arg(QStringLiteral("CLIENT TAG"), -18)
            .arg(QStringLiteral("KEY"), -9)
            .arg(QStringLiteral("SUBJECT")));
    for (const QJsonValue &value : list.value(QStringLiteral("csrs")).toArray()) {
        const QJsonObject c = value.toObject();
        const QString subject = c.value(QStringLiteral("subject")).toString();
        out(QStringLiteral("%1  %2  %3  %4  %5\n")
                .arg(number(c.value(QStringLiteral("id"))), 5)
                .arg(date(c.value(QStringLiteral("received"))), -16)
                .arg(c.value(QStringLiteral("clientTag")).toString(), -18)
                .arg(c.value(QStringLiteral("keyType")).toString(), -9)
                .arg(subject.isEmpty() ? QStringLiteral("(empty)") : subject));
    }
}

void printCertificates(const QJsonObject &list)
{
    out(QStringLiteral("%1  %2  %3  %4  %5\n")
            .arg(QStringLiteral("SERIAL"), 20)
            .arg(QStringLiteral("STATUS"), -8)
            .arg(QStringLiteral("NOT AFTER"), -16)
            .arg(QStringLiteral("CLIENT TAG"), -18)
            .arg(QStringLiteral("SUBJECT")));
    for (const QJsonValue &value : list.value(QStringLiteral("certificates")).toArray()) {
        const QJsonObject c = value.toObject();
        out(QStringLiteral("%1  %2  %3  %4  %5\n")
                .arg(number(c.value(QStringLiteral("serial"))), 20)
                .arg(c.value(QStringLiteral("status")).toString(), -8)
                .arg(date(c.value(QStringLiteral("notAfter"))), -16)
                .arg(c.value(QStringLiteral("clientTag")).toString(), -18)
                .arg(c.value(QStringLiteral("subject")).toString()));
    }
}

void printStatus(const QJsonObject &s)
{
    const QJsonObject listening = s.value(QStringLiteral("listening")).toObject();
    const QJsonObject stats = s.value(QStringLiteral("stats")).toObject();
    out(QStringLiteral("%1 %2 (seacat-gateway %3)\n")
            .arg(s.value(QStringLiteral("name")).toString(), s.value(QStringLiteral("state")).toString(),
                 s.value(QStringLiteral("version")).toString()));
    out(QStringLiteral("listening on %1:%2, mode %3, up %4 s since %5\n")
            .arg(listening.value(QStringLiteral("address")).toString())
            .arg(listening.value(QStringLiteral("port")).toInt())
            .arg(s.value(QStringLiteral("mode")).toString(), number(s.value(QStringLiteral("uptimeSeconds"))),
                 date(s.value(QStringLiteral("startedAt")))));
    out(QStringLiteral("%1 session(s) now, %2 in all; %3 request(s); %4 bytes in, %5 out\n")
            .arg(s.value(QStringLiteral("sessions")).toInt())
            .arg(number(stats.value(QStringLiteral("sessionsTotal"))), number(stats.value(QStringLiteral("requests"))),
                 number(stats.value(QStringLiteral("bytesIn"))), number(stats.value(QStringLiteral("bytesOut")))));
    out(QStringLiteral("%1 CSR(s) pending, %2 certificate(s)\n")
            .arg(s.value(QStringLiteral("pendingCsrs")).toInt())
            .arg(s.value(QStringLiteral("certificates")).toInt()));
}

// A positive decimal id or serial, else 0.
quint64 idArgument(const QString &text)
{
    bool ok = false;
    const quint64 id = text.toULongLong(&ok);
    return ok ? id : 0;
}

// README "Reaching a device through its session": tunnel open | list | close.
int tunnelCommand(Ctl &ctl, const QStringList &words, const QString &listen)
{
    AdminClient &api = ctl.client();
    const QString what = words.value(1);
    if (what == u"list" && words.size() == 2)
        return ctl.show(api.get(QStringLiteral("tunnels")), [](const AdminResponse &r) {
            const QJsonArray tunnels = r.json().value(QStringLiteral("tunnels")).toArray();
            if (tunnels.isEmpty())
                return out(QStringLiteral("no tunnels\n"));
            out(QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                    .arg(QStringLiteral("ID"), -5)
                    .arg(QStringLiteral("LISTEN"), -22)
                    .arg(QStringLiteral("CLIENT"), -14)
                    .arg(QStringLiteral("PORT"), -6)
                    .arg(QStringLiteral("CONN"), -5)
                    .arg(QStringLiteral("BYTES TO/FROM"), -20)
                    .arg(QStringLiteral("OWNER")));
            for (const QJsonValue &value : tunnels) {
                const QJsonObject t = value.toObject();
                out(QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                        .arg(number(t.value(QStringLiteral("id"))), -5)
                        .arg(t.value(QStringLiteral("listen")).toString(), -22)
                        .arg(t.value(QStringLiteral("clientTag")).toString(), -14)
                        .arg(t.value(QStringLiteral("port")).toInt(), -6)
                        .arg(t.value(QStringLiteral("connections")).toInt(), -5)
                        .arg(number(t.value(QStringLiteral("bytesToDevice"))) + u'/' +
                                 number(t.value(QStringLiteral("bytesFromDevice"))),
                             -20)
                        .arg(t.value(QStringLiteral("owner")).toString()));
            }
        });
    if (what == u"open" && words.size() == 4) {
        bool ok = false;
        const uint port = words.value(3).toUInt(&ok);
        if (!ok || port == 0 || port > 65'535)
            return fail(QStringLiteral("'%1' is not a device port (1-65535)").arg(words.value(3)), 2);
        QJsonObject body{{QStringLiteral("tag"), words.value(2)}, {QStringLiteral("port"), int(port)}};
        if (!listen.isEmpty())
            body.insert(QStringLiteral("listen"), listen);
        return ctl.show(api.post(QStringLiteral("tunnels"), body), [](const AdminResponse &r) {
            const QJsonObject t = r.json().value(QStringLiteral("tunnel")).toObject();
            out(QStringLiteral("tunnel %1: %2 → client %3 port %4\n")
                    .arg(number(t.value(QStringLiteral("id"))), t.value(QStringLiteral("listen")).toString(),
                         t.value(QStringLiteral("clientTag")).toString())
                    .arg(t.value(QStringLiteral("port")).toInt()));
        });
    }
    const quint64 id = idArgument(words.value(2));
    if (what == u"close" && id > 0 && words.size() == 3)
        return ctl.show(api.remove(QStringLiteral("tunnels/%1").arg(id)), [id](const AdminResponse &r) {
            out(QStringLiteral("closed tunnel %1: %2\n")
                    .arg(id)
                    .arg(r.json().value(QStringLiteral("reason")).toString()));
        });
    return fail(QLatin1String(Usage), 2);
}

} // namespace

int runCtl(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.addOptions({
        {QStringLiteral("admin"),
         QStringLiteral("The gateway's admin listener (default %1).").arg(QLatin1String(DefaultAdminUrl)),
         QStringLiteral("URL")},
        {QStringLiteral("identity"),
         QStringLiteral("Mutual TLS with this workstation identity (seacat-gateway admin issue NAME DIR); "
                        "--admin https://HOST:PORT."),
         QStringLiteral("DIR")},
        {QStringLiteral("json"), QStringLiteral("Print the API's JSON instead of a table.")},
        {QStringLiteral("filter"),
         QStringLiteral("sessions: only those whose address, client id, tag or subject contains TEXT."),
         QStringLiteral("TEXT")},
        {QStringLiteral("offset"), QStringLiteral("sessions: skip the first N."), QStringLiteral("N")},
        {QStringLiteral("limit"), QStringLiteral("sessions: at most N (default 100, at most 1000)."),
         QStringLiteral("N")},
        {QStringLiteral("address"), QStringLiteral("port: listen on this address (default: where it listens now)."),
         QStringLiteral("A")},
        {QStringLiteral("allow-reserved-port"), QStringLiteral("port: allow a port up to 1024 other than 443.")},
        {QStringLiteral("listen"),
         QStringLiteral("tunnel open: the gateway host's ADDR:PORT to listen on (default 127.0.0.1, any port)."),
         QStringLiteral("ADDR:PORT")},
    });
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(QStringList{QStringLiteral("seacat-gateway ctl")} + arguments))
        return fail(parser.errorText() + u'\n' + QLatin1String(Usage), 2);
    if (parser.isSet(help)) {
        out(QLatin1String(Usage) + QStringLiteral("\n\n") + parser.helpText());
        return 0;
    }
    const QStringList words = parser.positionalArguments();
    const QUrl admin(parser.isSet(QStringLiteral("admin")) ? parser.value(QStringLiteral("admin"))
                                                           : QLatin1String(DefaultAdminUrl));
    const bool identity = parser.isSet(QStringLiteral("identity"));
    if (!admin.isValid() || admin.scheme() != (identity ? u"https" : u"http") || admin.host().isEmpty())
        return fail(
            identity
                ? QStringLiteral("with --identity, --admin takes https://HOST:PORT, not '%1'").arg(admin.toString())
                : QStringLiteral("--admin takes http://HOST:PORT (https:// with --identity), not '%1'")
                      .arg(admin.toString()),
            2);
    Ctl ctl(admin, parser.isSet(QStringLiteral("json")));
    AdminClient &api = ctl.client();
    if (identity)
        if (QString e = api.setIdentity(parser.value(QStringLiteral("identity"))); !e.isEmpty())
            return fail(e, 2);
    const QString verb = words.value(0);
    const QString what = words.value(1);
    const quint64 id = idArgument(words.value(2));
    const auto usage = [] { return fail(QLatin1String(Usage), 2); };
    const auto needId = [&](int index) { return idArgument(words.value(index)) > 0 && words.size() == index + 1; };

    if (verb == u"status" && words.size() == 1)
        return ctl.show(api.get(QStringLiteral("status")), [](const AdminResponse &r) { printStatus(r.json()); });
    if (verb == u"sessions" && words.size() == 1) {
        QUrlQuery query;
        for (const char *key : {"filter", "offset", "limit"})
            if (parser.isSet(QLatin1String(key)))
                query.addQueryItem(QLatin1String(key), parser.value(QLatin1String(key)));
        return ctl.show(api.get(QStringLiteral("sessions"), query),
                        [](const AdminResponse &r) { printSessions(r.json()); });
    }
    if (verb == u"sessions" && what == u"show" && needId(2))
        return ctl.show(api.get(QStringLiteral("sessions/%1").arg(id)), [](const AdminResponse &r) {
            out(QString::fromUtf8(QJsonDocument(r.json()).toJson(QJsonDocument::Indented)));
        });
    if (verb == u"sessions" && what == u"close" && needId(2))
        return ctl.show(api.remove(QStringLiteral("sessions/%1").arg(id)), [id](const AdminResponse &r) {
            out(QStringLiteral("closed session %1: %2\n")
                    .arg(id)
                    .arg(r.json().value(QStringLiteral("reason")).toString()));
        });
    const auto printPort = [](const AdminResponse &r) {
        out(QStringLiteral("listening on %1:%2\n")
                .arg(r.json().value(QStringLiteral("address")).toString())
                .arg(r.json().value(QStringLiteral("port")).toInt()));
    };
    if (verb == u"port" && words.size() == 1)
        return ctl.show(api.get(QStringLiteral("port")), printPort);
    if (verb == u"port" && words.size() == 2) {
        bool ok = false;
        const uint port = what.toUInt(&ok);
        if (!ok || port > 65'535)
            return fail(QStringLiteral("'%1' is not a port number (0-65535)").arg(what), 2);
        QJsonObject body{{QStringLiteral("port"), int(port)}};
        if (parser.isSet(QStringLiteral("address")))
            body.insert(QStringLiteral("address"), parser.value(QStringLiteral("address")));
        if (parser.isSet(QStringLiteral("allow-reserved-port")))
            body.insert(QStringLiteral("allowReserved"), true);
        return ctl.show(api.post(QStringLiteral("port"), body), printPort);
    }
    if (verb == u"settings" && words.size() == 1)
        return ctl.show(api.get(QStringLiteral("settings")), [](const AdminResponse &r) {
            out(QString::fromUtf8(QJsonDocument(r.json()).toJson(QJsonDocument::Indented)));
        });
    if (verb == u"reload" && words.size() == 1) {
        const AdminResponse response = api.post(QStringLiteral("reload"));
        for (const QJsonValue &problem : response.json().value(QStringLiteral("problems")).toArray())
            fail(problem.toString());
        return ctl.show(response, [](const AdminResponse &) {
            out(QStringLiteral("configuration reloaded (the gateway's log says what changed)\n"));
        });
    }
    if (verb == u"tunnel")
        return tunnelCommand(ctl, words, parser.value(QStringLiteral("listen")));
    if (verb != u"pki")
        return usage();
    const quint64 pkiId = idArgument(words.value(2));
    if (what == u"csrs" && words.size() == 2)
        return ctl.show(api.get(QStringLiteral("pki/csrs")), [](const AdminResponse &r) { printCsrs(r.json()); });
    if ((what == u"approve" || what == u"reject") && needId(2))
        return ctl.show(api.post(QStringLiteral("pki/csrs/%1/%2").arg(pkiId).arg(what)), [&](const AdminResponse &r) {
            const QJsonObject certificate = r.json().value(QStringLiteral("certificate")).toObject();
            if (what == u"reject")
                return out(QStringLiteral("rejected CSR %1\n").arg(pkiId));
            out(QStringLiteral("approved CSR %1: certificate serial %2 for %3, valid until %4\n")
                    .arg(pkiId)
                    .arg(number(certificate.value(QStringLiteral("serial"))),
                         certificate.value(QStringLiteral("clientTag")).toString(),
                         date(certificate.value(QStringLiteral("notAfter")))));
        });
    if (what == u"certs" && words.size() == 2)
        return ctl.show(api.get(QStringLiteral("pki/certificates")),
                        [](const AdminResponse &r) { printCertificates(r.json()); });
    if (what == u"revoke" && needId(2))
        return ctl.show(api.post(QStringLiteral("pki/certificates/%1/revoke").arg(pkiId)), [&](const AdminResponse &) {
            out(QStringLiteral("revoked certificate %1; its sessions are closed\n").arg(pkiId));
        });
    // PEM on stdout, --json or not: that is what the file is.
    if (what == u"export" && needId(2))
        return ctl.show(api.get(QStringLiteral("pki/certificates/%1/pem").arg(pkiId)),
                        [](const AdminResponse &r) { out(QString::fromLatin1(r.body)); });
    if (what == u"ca" && words.size() == 2)
        return ctl.show(api.get(QStringLiteral("pki/ca")),
                        [](const AdminResponse &r) { out(QString::fromLatin1(r.body)); });
    return usage();
}
