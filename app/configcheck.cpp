#include "configcheck.h"
#include "pki/gatewayidentity.h"
#include "portpolicy.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSslCertificate>
#include <QSslKey>
#include <QUuid>

#include <unistd.h>

using namespace SeaCat;

QString formatProblem(const ConfigProblem &problem)
{
    if (problem.file.isEmpty())
        return problem.message;
    if (problem.line <= 0)
        return problem.file % u": " % problem.message;
    return problem.file % u':' % QString::number(problem.line) % u": " % problem.message;
}

namespace {

struct Line {
    int number = 0;
    QString section;  // as written
    QString key;      // empty for a section header
    QString rawValue;
};

// A value the way QSettings' INI reader decodes what GatewayConfig's editIni() writes: "quoted"
// parts with \" \\ \n \t escapes, a ';' outside quotes starts a comment, '@@' is a literal '@'.
// Decoded here rather than asked from QSettings because QSettings answers with the last of
// duplicated keys and splits commas into lists (forward-headers is a comma list).
QString decodeValue(const QString &raw)
{
    QString value;
    bool quoted = false;
    const QString text = raw.trimmed();
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'"') {
            quoted = !quoted;
        } else if (c == u'\\' && i + 1 < text.size()) {
            const QChar next = text.at(++i);
            value += next == u'n' ? QChar(u'\n') : next == u't' ? QChar(u'\t') : next;
        } else if (c == u';' && !quoted) {
            break;
        } else {
            value += c;
        }
    }
    if (!text.startsWith(u'"'))
        value = value.trimmed();
    if (value.startsWith(QStringLiteral("@@")))
        value.remove(0, 1);
    return value;
}

} // namespace

ConfigFile readConfigFile(const QString &path, QList<ConfigProblem> *problems)
{
    ConfigFile result;
    auto problem = [&](int line, const QString &message) { problems->append({path, line, message}); };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        problem(0, QStringLiteral("cannot read the config file: %1").arg(file.errorString()));
        return result;
    }
    const QList<QByteArray> text = file.readAll().split('\n');
    QHash<QString, int> seen;                 // "section/key" → first line
    QHash<QString, int> hostSections;         // host key → line of its header
    QHash<QString, int> hostUris;             // host key → line of its uri
    QString section, sectionKey;              // as written; lower-cased for matching
    bool hostSection = false, knownSection = false;
    QList<Line> values;
    for (int i = 0; i < text.size(); ++i) {
        const int number = i + 1;
        const QString line = QString::fromUtf8(text.at(i)).trimmed();
        if (line.isEmpty() || line.startsWith(u';') || line.startsWith(u'#'))
            continue;
        if (line.startsWith(u'[')) {
            if (!line.endsWith(u']')) {
                problem(number, QStringLiteral("'%1' is not a [section] header").arg(line));
                section.clear();
                knownSection = false;
                continue;
            }
            section = line.mid(1, line.size() - 2).trimmed();
            sectionKey = section.toLower();
            hostSection = sectionKey.startsWith(u"host:");
            knownSection = hostSection || section == u"gateway" || section == u"limits" || section == u"pki";
            if (!knownSection) {
                problem(number, QStringLiteral("unknown section [%1] (known: [gateway], [limits], [pki], [host:NAME])").arg(section));
            } else if (hostSection) {
                if (const int first = hostSections.value(sectionKey); first) {
                    problem(number, QStringLiteral("[%1] again: backend '%2' is already defined at line %3")
                                        .arg(section, section.mid(5)).arg(first));
                } else {
                    hostSections.insert(sectionKey, number);
                }
            }
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0) {
            problem(number, QStringLiteral("'%1' is neither key=value, a [section] nor a comment").arg(line));
            continue;
        }
        const QString key = line.left(eq).trimmed();
        if (section.isEmpty()) {
            problem(number, QStringLiteral("key '%1' must be inside a section such as [gateway]").arg(key));
            continue;
        }
        if (!knownSection)
            continue; // the section header was reported
        const QString id = sectionKey % u'/' % key;
        if (const int first = seen.value(id); first) {
            problem(number, QStringLiteral("[%1] %2 is set again (first at line %3); each key may appear once per section")
                                .arg(section, key).arg(first));
            continue;
        }
        seen.insert(id, number);
        if (hostSection) {
            if (key != u"uri") {
                problem(number, QStringLiteral("[%1] has only one key, uri=http(s)://HOST[:PORT][/PATH]; '%2' is unknown").arg(section, key));
                continue;
            }
            hostUris.insert(sectionKey, number);
        }
        values.append({number, section, key, line.mid(eq + 1)});
    }
    for (auto it = hostSections.cbegin(); it != hostSections.cend(); ++it)
        if (!hostUris.contains(it.key()))
            problem(it.value(), QStringLiteral("[%1] needs uri=http(s)://HOST[:PORT][/PATH]").arg(it.key()));

    for (const Line &line : std::as_const(values)) {
        const QString value = decodeValue(line.rawValue);
        const QString error = line.section.startsWith(u"host:", Qt::CaseInsensitive)
            ? result.config.addHost(line.section.mid(5), value)
            : result.config.set(line.key, value);
        if (!error.isEmpty())
            problem(line.number, QStringLiteral("[%1] %2").arg(line.section, error));
        result.lines.insert(line.section.toLower() % u'/' % line.key, line.number);
    }
    return result;
}

namespace {

QString modeText(QFileDevice::Permissions permissions)
{
    int mode = 0;
    const std::pair<QFileDevice::Permission, int> bits[] = {
        {QFileDevice::ReadOwner, 0400}, {QFileDevice::WriteOwner, 0200}, {QFileDevice::ExeOwner, 0100},
        {QFileDevice::ReadGroup, 040},  {QFileDevice::WriteGroup, 020},  {QFileDevice::ExeGroup, 010},
        {QFileDevice::ReadOther, 04},   {QFileDevice::WriteOther, 02},   {QFileDevice::ExeOther, 01}};
    for (const auto &[permission, bit] : bits)
        if (permissions & permission)
            mode |= bit;
    return QStringLiteral("0%1").arg(mode, 3, 8, QLatin1Char('0'));
}

constexpr QFileDevice::Permissions GroupOrOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
    | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;

void checkDataDirectory(const QString &dir, const QString &where, QList<ConfigProblem> *problems)
{
    const QFileInfo info(dir);
    auto problem = [&](const QString &message) { problems->append({QString(), 0, where % message}); };
    if (!info.exists()) {
        // The first start creates it: an existing ancestor must let us.
        QFileInfo ancestor(info.absolutePath());
        while (!ancestor.exists() && !ancestor.isRoot())
            ancestor = QFileInfo(ancestor.absolutePath());
        if (::access(QFile::encodeName(ancestor.absoluteFilePath()).constData(), W_OK | X_OK) != 0)
            problem(QStringLiteral("data directory %1 does not exist and cannot be created: %2 is not writable for this user")
                        .arg(dir, ancestor.absoluteFilePath()));
        return;
    }
    if (!info.isDir()) {
        problem(QStringLiteral("data directory %1 is not a directory").arg(dir));
        return;
    }
    if (info.ownerId() != ::geteuid())
        problem(QStringLiteral("data directory %1 belongs to uid %2 (%3), the gateway runs as uid %4: "
                               "run it as that user, or chown -R the directory")
                    .arg(dir).arg(info.ownerId()).arg(info.owner()).arg(::geteuid()));
    if (::access(QFile::encodeName(dir).constData(), R_OK | W_OK | X_OK) != 0)
        problem(QStringLiteral("data directory %1 is not readable and writable for this user (mode %2)")
                    .arg(dir, modeText(info.permissions())));
    if (info.permissions() & (QFileDevice::WriteGroup | QFileDevice::WriteOther))
        problem(QStringLiteral("data directory %1 is writable by other users (mode %2): chmod 700 %1").arg(dir, modeText(info.permissions())));
}

void checkPemFiles(const QString &dir, QList<ConfigProblem> *problems)
{
    const QDir data(dir);
    auto problem = [&](const QString &file, const QString &message) { problems->append({data.filePath(file), 0, message}); };
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    for (const QString &name : {GatewayIdentity::CaCertFile, GatewayIdentity::ServerCertFile}) {
        if (!data.exists(name))
            continue;
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(data.filePath(name), QSsl::Pem);
        if (certificates.isEmpty())
            problem(name, QStringLiteral("not a readable PEM certificate"));
        else if (certificates.first().expiryDate() < QDateTime::currentDateTimeUtc() && name == GatewayIdentity::CaCertFile)
            problem(name, QStringLiteral("the CA certificate expired on %1 (now %2): clients no longer trust this gateway")
                              .arg(certificates.first().expiryDate().toString(Qt::ISODate), now));
    }
    for (const QString &name : {GatewayIdentity::CaKeyFile, GatewayIdentity::ServerKeyFile}) {
        if (!data.exists(name))
            continue;
        QFile file(data.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) {
            problem(name, QStringLiteral("cannot read the key: %1").arg(file.errorString()));
            continue;
        }
        const QByteArray pem = file.readAll();
        if (QSslKey(pem, QSsl::Rsa).isNull() && QSslKey(pem, QSsl::Ec).isNull())
            problem(name, QStringLiteral("not a readable PEM private key (RSA or EC)"));
        if (file.permissions() & GroupOrOther)
            problem(name, QStringLiteral("a private key readable by others (mode %1): chmod 600 %2")
                              .arg(modeText(file.permissions()), file.fileName()));
    }
    if (data.exists(GatewayIdentity::CaCertFile) && !data.exists(GatewayIdentity::CaKeyFile))
        problem(GatewayIdentity::CaCertFile, QStringLiteral("the CA key %1 is missing: the gateway will not start (clients trust this CA, "
                                                            "it is never replaced silently); restore the key from a backup")
                                                 .arg(GatewayIdentity::CaKeyFile));
}

// Opens the store as the gateway would and tries one write in a transaction it rolls back.
void checkStore(const QString &dir, QList<ConfigProblem> *problems)
{
    const QString path = QDir(dir).filePath(QStringLiteral("pki.sqlite"));
    if (!QFileInfo::exists(path))
        return; // created at first start in the (checked) data directory
    auto problem = [&](const QString &message) { problems->append({path, 0, message}); };
    if (!QFileInfo(path).isFile()) {
        problem(QStringLiteral("the certificate store is not a file"));
        return;
    }
    const QString connection = QStringLiteral("check-config-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        if (!db.open()) {
            problem(QStringLiteral("cannot open the certificate store: %1").arg(db.lastError().text()));
        } else {
            QSqlQuery query(db);
            QString error;
            if (!query.exec(QStringLiteral("PRAGMA quick_check")) || !query.next() || query.value(0).toString() != u"ok") {
                error = QStringLiteral("corrupt or not a SQLite database (%1): restore it from a backup, or move it away "
                                       "to start an empty one").arg(query.lastError().text());
            } else if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
                error = query.lastError().text();
            } else {
                const QString version = query.value(0).toString();
                query.finish();
                if (!query.exec(QStringLiteral("BEGIN IMMEDIATE"))
                    || !query.exec(QStringLiteral("PRAGMA user_version=") + version))
                    error = QStringLiteral("not writable for this user: %1").arg(query.lastError().text());
                query.exec(QStringLiteral("ROLLBACK"));
            }
            if (!error.isEmpty())
                problem(QStringLiteral("the certificate store is %1").arg(error));
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
}

} // namespace

namespace {
// The line a [gateway]/[limits]/[pki] key was read from (set() takes them in any of the three).
int lineOf(const ConfigFile *file, const QString &key)
{
    for (const char *section : {"gateway", "limits", "pki"})
        if (const int line = file ? file->lines.value(QLatin1String(section) % u'/' % key) : 0)
            return line;
    return 0;
}
} // namespace

void checkRuntime(const GatewayConfig &config, const ConfigFile *file, const QString &path, QList<ConfigProblem> *problems)
{
    const PortVerdict verdict = checkPort(config.port, config.allowReservedPort);
    if (!verdict.allowed) {
        const int line = lineOf(file, QStringLiteral("port"));
        problems->append({line ? path : QString(), line, verdict.message});
    }
    const int dirLine = lineOf(file, QStringLiteral("data-dir"));
    checkDataDirectory(config.dataDir, dirLine ? path % u':' % QString::number(dirLine) % u": " : QString(), problems);
    if (QFileInfo(config.dataDir).isDir()) {
        checkPemFiles(config.dataDir, problems);
        checkStore(config.dataDir, problems);
    }
}
