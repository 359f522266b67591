#include "gatewayconfig.h"
#include "configreader.h"
#include "backend/requestmapping.h"
#include "atomicfile.h"
#include "pki/pkiservice.h"
#include "pki/postgrespkistore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QStandardPaths>
#include <QThread>

namespace SeaCat {

QString toString(GatewayMode mode)
{
    switch (mode) {
    case GatewayMode::Combined:
        return QStringLiteral("combined");
    case GatewayMode::Authorized:
        return QStringLiteral("authorized");
    case GatewayMode::Anonymous:
        return QStringLiteral("anonymous");
    }
    return {};
}

std::optional<GatewayMode> gatewayModeFromString(const QString &text)
{
    for (GatewayMode mode : {GatewayMode::Combined, GatewayMode::Authorized, GatewayMode::Anonymous})
        if (text.compare(toString(mode), Qt::CaseInsensitive) == 0)
            return mode;
    return std::nullopt;
}

GatewayConfig::GatewayConfig()
    : workers(qBound(1, QThread::idealThreadCount(), Limits::MaxWorkers)), forwardHeaders(ForwardHeader::all())
{ }

QString GatewayConfig::addHost(const QString &name, const QString &uri)
{
    const QUrl url(uri, QUrl::StrictMode);
    const QString host = requestHostKey(name.toUtf8()).value_or(QString());
    if (host.isEmpty() || !url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
        url.host().isEmpty() || url.hasQuery() || url.hasFragment())
        return QStringLiteral(
                   "backend '%1': '%2' is not a base URL like http://127.0.0.1:8080/ or https://api.example.com/v1")
            .arg(name, uri);
    hosts.insert(host, url);
    return {};
}

QString GatewayConfig::defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

QString GatewayConfig::defaultName()
{
    const QString host = QHostInfo::localHostName();
    return host.isEmpty() ? QStringLiteral("seacat-gateway") : host;
}

namespace {

// Timeouts are written in seconds (fractions allowed) and kept in milliseconds.
std::optional<int> parseSeconds(const QString &value)
{
    bool ok = false;
    const double seconds = value.toDouble(&ok);
    if (!ok || seconds < 0 || seconds > 86'400)
        return std::nullopt;
    return int(seconds * 1000);
}

std::optional<qint64> parseInteger(const QString &value, qint64 min, qint64 max)
{
    bool ok = false;
    const qint64 n = value.toLongLong(&ok);
    if (!ok || n < min || n > max)
        return std::nullopt;
    return n;
}

} // namespace

QString GatewayConfig::set(const QString &key, const QString &value)
{
    const QString bad = QStringLiteral("bad value '%1' for %2").arg(value, key);
    auto setSeconds = [&](int &field) -> QString {
        const auto ms = parseSeconds(value);
        if (!ms)
            return bad + QStringLiteral(" (seconds, 0 to 86400)");
        field = *ms;
        return QString();
    };
    auto setInteger = [&](auto &field, qint64 min, qint64 max) -> QString {
        const auto n = parseInteger(value, min, max);
        if (!n)
            return bad + QStringLiteral(" (an integer from %1 to %2)").arg(min).arg(max);
        field = std::remove_reference_t<decltype(field)>(*n);
        return QString();
    };

    if (key == u"name") {
        if (value.trimmed().isEmpty())
            return bad;
        name = value.trimmed();
    } else if (key == u"data-dir") {
        dataDir = value;
    } else if (key == u"store") {
        const QString text = value.trimmed();
        if (text.isEmpty() || text == u"sqlite") {
            store.clear();
            return {};
        }
        if (!PostgresPkiStore::isPostgresUrl(text))
            return QStringLiteral("bad value for store (sqlite, or postgresql://[USER@]HOST[:PORT]/DATABASE)");
        if (const QString e = PostgresPkiStore::checkUrl(text); !e.isEmpty())
            return QStringLiteral("bad value for store: %1").arg(e); // the value itself may hold a password
        store = text;
    } else if (key == u"srv-priority") {
        return setInteger(srvPriority, 0, 65535);
    } else if (key == u"srv-weight") {
        return setInteger(srvWeight, 0, 65535);
    } else if (key == u"public-port") {
        return setInteger(publicPort, 0, 65535);
    } else if (key == u"listen") {
        QHostAddress address;
        if (!address.setAddress(value))
            return bad + QStringLiteral(" (an IP address such as 0.0.0.0, :: or 127.0.0.1)");
        listenAddress = address;
    } else if (key == u"admin-listen") {
        const QString text = value.trimmed();
        adminListenExplicit = true;
        adminEnabled = text != u"off";
        if (!adminEnabled)
            return {};
        // PORT alone stays on loopback; an IPv6 address goes in brackets, as in a URL.
        const qsizetype colon = text.lastIndexOf(u':');
        QString host = colon < 0 ? QStringLiteral("127.0.0.1") : text.left(colon);
        if (host.startsWith(u'[') && host.endsWith(u']'))
            host = host.mid(1, host.size() - 2);
        else if (host.contains(u':'))
            host.clear(); // an IPv6 address without brackets: its last group would read as the port
        QHostAddress address;
        const auto port = parseInteger(text.mid(colon + 1), 0, 65535);
        if (!address.setAddress(host) || !port)
            return bad +
                   QStringLiteral(" (ADDRESS:PORT such as 127.0.0.1:9543 or [::1]:9543, a PORT on 127.0.0.1, or off)");
        adminAddress = address;
        adminPort = quint16(*port);
    } else if (key == u"admin-tls") {
        if (value != u"auto" && value != u"on")
            return bad + QStringLiteral(" (auto: mutual TLS unless admin-listen is a loopback address; on: always)");
        adminTlsForced = value == u"on";
    } else if (key == u"port") {
        portExplicit = true;
        return setInteger(port, 0, 65535);
    } else if (key == u"allow-reserved-port") {
        allowReservedPort = QVariant(value).toBool();
    } else if (key == u"workers") {
        return setInteger(workers, 1, Limits::MaxWorkers);
    } else if (key == u"mode") {
        const auto m = gatewayModeFromString(value);
        if (!m)
            return bad + QStringLiteral(" (combined, authorized or anonymous)");
        mode = *m;
    } else if (key == u"max-streams") {
        return setInteger(maxConcurrentStreams, 1, 100'000);
    } else if (key == u"max-payload") {
        return setInteger(maxInboundPayload, 16'376, Limits::MaxInboundPayload);
    } else if (key == u"max-sessions") {
        return setInteger(maxSessions, 1, 1'000'000);
    } else if (key == u"reset-burst") {
        return setInteger(resetBurst, 1, 1'000'000);
    } else if (key == u"reset-rate") {
        return setInteger(resetsPerSecond, 0, 1'000'000);
    } else if (key == u"glitch-burst") {
        return setInteger(glitchBurst, 1, 1'000'000);
    } else if (key == u"glitch-rate") {
        return setInteger(glitchesPerSecond, 0, 1'000'000);
    } else if (key == u"idle-timeout") {
        return setSeconds(idleTimeoutMs);
    } else if (key == u"handshake-timeout") {
        return setSeconds(handshakeTimeoutMs);
    } else if (key == u"first-byte-timeout") {
        return setSeconds(firstByteTimeoutMs);
    } else if (key == u"max-handshakes") {
        return setInteger(maxHandshakes, 1, 1'000'000);
    } else if (key == u"authorized-grace") {
        return setSeconds(authorizedGraceMs);
    } else if (key == u"ping-interval") {
        return setSeconds(pingIntervalMs);
    } else if (key == u"backend-connections") {
        return setInteger(backendConnections, 1, 100'000);
    } else if (key == u"backend-connect-timeout") {
        return setSeconds(backendConnectTimeoutMs);
    } else if (key == u"body-idle-timeout") {
        return setSeconds(bodyIdleTimeoutMs);
    } else if (key == u"backend-response-timeout") {
        return setSeconds(backendResponseTimeoutMs);
    } else if (key == u"server-key") {
        if (value != u"rsa" && value != u"ec")
            return bad + QStringLiteral(" (rsa: RSA-2048, needed by stock clients; or ec: P-256)");
        ecServerKey = value == u"ec";
    } else if (key == u"approval") {
        if (value != u"auto" && value != u"manual")
            return bad + QStringLiteral(" (auto or manual)");
        autoApprove = value == u"auto";
    } else if (key == u"cert-validity") {
        return setInteger(certificateValidityDays, 1, 3650);
    } else if (key == u"renewal-window") {
        return setInteger(renewalWindowDays, 0, 365);
    } else if (key == u"max-csr-bytes") {
        return setInteger(maxCsrBytes, 256, Limits::MaxInboundPayload);
    } else if (key == u"csr-session-burst") {
        return setInteger(csrSessionBurst, 1, 1'000'000);
    } else if (key == u"csr-session-interval") {
        return setSeconds(csrSessionIntervalMs);
    } else if (key == u"csr-global-burst") {
        return setInteger(csrGlobalBurst, 1, 1'000'000);
    } else if (key == u"csr-global-rate") {
        return setInteger(csrGlobalPerSecond, 1, 1'000'000);
    } else if (key == u"max-pending-csrs") {
        return setInteger(maxPendingCsrs, 1, 1'000'000);
    } else if (key == u"tunnels") {
        if (value != u"on" && value != u"off")
            return bad + QStringLiteral(" (on or off)");
        tunnelsEnabled = value == u"on";
    } else if (key == u"tunnel-ports") {
        QSet<quint16> ports;
        for (const QString &item : value.split(u',', Qt::SkipEmptyParts)) {
            const auto port = parseInteger(item.trimmed(), 1, 65535);
            if (!port)
                return bad + QStringLiteral(" (a comma list of device ports such as 22, 2222)");
            ports.insert(quint16(*port));
        }
        tunnelPorts = ports;
    } else if (key == u"tunnel-idle-timeout") {
        return setSeconds(tunnelIdleTimeoutMs);
    } else if (key == u"access-log") {
        accessLogPath = value;
    } else if (key == u"log-format") {
        const auto format = logFormatFromString(value);
        if (!format)
            return bad + QStringLiteral(" (text or json)");
        logFormat = *format;
    } else if (key == u"forward-headers") {
        QSet<QByteArray> names;
        const QSet<QByteArray> known = ForwardHeader::all();
        if (value.trimmed() != u"none") {
            for (const QString &item : value.split(u',', Qt::SkipEmptyParts)) {
                const QByteArray name = item.trimmed().toLower().toLatin1();
                if (!known.contains(name))
                    return bad + QStringLiteral(" (a comma list of X-Forwarded-For, X-Forwarded-Host, "
                                                "X-SeaCat-Client-Id, X-SeaCat-Client-Tag, or none)");
                names.insert(name);
            }
        }
        forwardHeaders = names;
    } else {
        return QStringLiteral("unknown option '%1'").arg(key);
    }
    return {};
}

PkiPolicy GatewayConfig::pkiPolicy() const
{
    PkiPolicy policy;
    policy.autoApprove = autoApprove;
    policy.validityDays = certificateValidityDays;
    policy.renewalWindowDays = renewalWindowDays;
    policy.maxCsrBytes = maxCsrBytes;
    policy.maxPendingCsrs = maxPendingCsrs;
    policy.globalCsrBurst = csrGlobalBurst;
    policy.globalCsrPerSecond = csrGlobalPerSecond;
    return policy;
}

std::optional<GatewayConfig> GatewayConfig::fromFile(const QString &path, QString *error)
{
    QList<ConfigProblem> problems;
    ConfigFile file = readConfigFile(path, &problems);
    if (!problems.isEmpty()) {
        QStringList lines;
        for (const ConfigProblem &problem : std::as_const(problems))
            lines << formatProblem(problem);
        *error = lines.join(QStringLiteral("; "));
        return std::nullopt;
    }
    return std::move(file.config);
}

namespace {

// A value as QSettings' INI reader gives it back: quoted when it holds a list separator, a
// comment start, a quote, a backslash or edge spaces; '@' starts QSettings' typed values.
QByteArray iniValue(const QString &text)
{
    QByteArray value = text.toUtf8();
    if (value.startsWith('@'))
        value.prepend('@');
    const bool quote = value.contains(',') || value.contains(';') || value.contains('"') || value.contains('\\') ||
                       value.contains('#') || value != value.trimmed();
    if (!quote)
        return value;
    value.replace("\\", "\\\\").replace("\"", "\\\"");
    return '"' + value + '"';
}

// The section a header line opens, or a null array when the line is no header.
QByteArray iniSection(const QByteArray &trimmed)
{
    if (!trimmed.startsWith('[') || !trimmed.contains(']'))
        return {};
    return trimmed.mid(1, trimmed.indexOf(']') - 1).trimmed();
}

// The key of a "key = value" line, or a null array for blank lines and comments.
QByteArray iniKey(const QByteArray &trimmed)
{
    if (trimmed.isEmpty() || trimmed.startsWith(';') || trimmed.startsWith('#') || !trimmed.contains('='))
        return {};
    return trimmed.left(trimmed.indexOf('=')).trimmed();
}

} // namespace

QByteArray editIni(const QByteArray &ini, const QList<IniEdit> &edits)
{
    QList<QByteArray> lines = ini.split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast(); // the final newline, put back on output
    QList<QByteArray> out;
    QSet<int> done;                     // indices into `edits`
    QHash<QByteArray, int> insertAfter; // section → index in `out` of its last key (or header)
    QByteArray section;
    bool dropping = false;
    // Sections match without regard to case ([host:App] is host "app" to the reader); keys exactly.
    const auto findEdit = [&edits](const QByteArray &sectionName, const QByteArray &key) {
        for (int i = 0; i < edits.size(); ++i)
            if (edits[i].section.toUtf8().compare(sectionName, Qt::CaseInsensitive) == 0 &&
                edits[i].key.toUtf8() == key)
                return i;
        return -1;
    };
    for (const QByteArray &line : std::as_const(lines)) {
        const QByteArray trimmed = line.trimmed();
        if (const QByteArray header = iniSection(trimmed); !header.isNull()) {
            section = header;
            const int drop = findEdit(section, {});
            dropping = drop >= 0 && edits[drop].remove;
            if (dropping) {
                done.insert(drop);
                continue;
            }
            out.append(line);
            if (!insertAfter.contains(section.toLower()))
                insertAfter.insert(section.toLower(), int(out.size()) - 1);
            continue;
        }
        if (dropping)
            continue;
        const QByteArray key = iniKey(trimmed);
        const int edit = key.isNull() ? -1 : findEdit(section, key);
        if (edit >= 0) {
            done.insert(edit);
            if (edits[edit].remove)
                continue;
            out.append(key + '=' + iniValue(edits[edit].value) + (line.endsWith('\r') ? "\r" : ""));
        } else {
            out.append(line);
        }
        if (!key.isNull() && insertAfter.contains(section.toLower()))
            insertAfter[section.toLower()] = int(out.size()) - 1;
    }
    // Keys of sections that exist, after their section's last key; highest position first so
    // the positions still to use stay valid.
    QMap<int, QList<QByteArray>> inserts;
    QList<QByteArray> newSections;
    QHash<QByteArray, QList<QByteArray>> newSectionLines;
    for (int i = 0; i < edits.size(); ++i) {
        const IniEdit &e = edits[i];
        if (done.contains(i) || e.remove)
            continue;
        const QByteArray name = e.section.toUtf8();
        const QByteArray line = e.key.toUtf8() + '=' + iniValue(e.value);
        if (insertAfter.contains(name.toLower())) {
            inserts[insertAfter.value(name.toLower())].append(line);
        } else {
            if (!newSectionLines.contains(name))
                newSections.append(name);
            newSectionLines[name].append(line);
        }
    }
    for (auto it = inserts.cend(); it != inserts.cbegin();) {
        --it;
        for (qsizetype i = it.value().size() - 1; i >= 0; --i)
            out.insert(it.key() + 1, it.value().at(i));
    }
    for (const QByteArray &name : std::as_const(newSections)) {
        if (!out.isEmpty() && !out.last().trimmed().isEmpty())
            out.append(QByteArray());
        out.append('[' + name + ']');
        out.append(newSectionLines.value(name));
    }
    return out.isEmpty() ? QByteArray() : out.join('\n') + '\n';
}

QString editIniFile(const QString &path, const QList<IniEdit> &edits)
{
    QByteArray text;
    QFileDevice::Permissions permissions = PublicFileMode;
    QFile file(path);
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        text = file.readAll();
        permissions = file.permissions(); // a hand-made 0600 file stays 0600
    } else if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        return QStringLiteral("cannot create the folder of %1").arg(path);
    }
    return writeFileAtomically(path, editIni(text, edits), permissions);
}

} // namespace SeaCat
