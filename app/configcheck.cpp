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

constexpr QFileDevice::Permissions GroupOrOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                  QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                  QFileDevice::WriteOther | QFileDevice::ExeOther;

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
            problem(QStringLiteral(
                        "data directory %1 does not exist and cannot be created: %2 is not writable for this user")
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
                    .arg(dir)
                    .arg(info.ownerId())
                    .arg(info.owner())
                    .arg(::geteuid()));
    if (::access(QFile::encodeName(dir).constData(), R_OK | W_OK | X_OK) != 0)
        problem(QStringLiteral("data directory %1 is not readable and writable for this user (mode %2)")
                    .arg(dir, modeText(info.permissions())));
    if (info.permissions() & (QFileDevice::WriteGroup | QFileDevice::WriteOther))
        problem(QStringLiteral("data directory %1 is writable by other users (mode %2): chmod 700 %1")
                    .arg(dir, modeText(info.permissions())));
}

void checkPemFiles(const QString &dir, QList<ConfigProblem> *problems)
{
    const QDir data(dir);
    auto problem = [&](const QString &file, const QString &message) {
        problems->append({data.filePath(file), 0, message});
    };
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    for (const QString &name : {GatewayIdentity::CaCertFile, GatewayIdentity::ServerCertFile}) {
        if (!data.exists(name))
            continue;
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(data.filePath(name), QSsl::Pem);
        if (certificates.isEmpty())
            problem(name, QStringLiteral("not a readable PEM certificate"));
        else if (certificates.first().expiryDate() < QDateTime::currentDateTimeUtc() &&
                 name == GatewayIdentity::CaCertFile)
            problem(name,
                    QStringLiteral("the CA certificate expired on %1 (now %2): clients no longer trust this gateway")
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
        problem(GatewayIdentity::CaCertFile,
                QStringLiteral("the CA key %1 is missing: the gateway will not start (clients trust this CA, "
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
            if (!query.exec(QStringLiteral("PRAGMA quick_check")) || !query.next() ||
                query.value(0).toString() != u"ok") {
                error =
                    QStringLiteral("corrupt or not a SQLite database (%1): restore it from a backup, or move it away "
                                   "to start an empty one")
                        .arg(query.lastError().text());
            } else if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
                error = query.lastError().text();
            } else {
                const QString version = query.value(0).toString();
                query.finish();
                if (!query.exec(QStringLiteral("BEGIN IMMEDIATE")) ||
                    !query.exec(QStringLiteral("PRAGMA user_version=") + version))
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

// README "Access log": the gateway appends to the file, creating it when missing.
void checkAccessLog(const QString &path, const QString &where, QList<ConfigProblem> *problems)
{
    if (path.isEmpty())
        return; // stderr
    const QFileInfo info(path);
    const auto writable = [](const QString &file) { return ::access(QFile::encodeName(file).constData(), W_OK) == 0; };
    QString message;
    if (info.exists() && !info.isFile())
        message = QStringLiteral("access log %1 is not a file").arg(path);
    else if (info.exists() && !writable(path))
        message = QStringLiteral("access log %1 is not writable for this user").arg(path);
    else if (!info.exists() && !writable(info.absolutePath()))
        message = QStringLiteral("access log %1 cannot be created: %2 is missing or not writable for this user")
                      .arg(path, info.absolutePath());
    if (!message.isEmpty())
        problems->append({QString(), 0, where % message});
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

void checkRuntime(const GatewayConfig &config, const ConfigFile *file, const QString &path,
                  QList<ConfigProblem> *problems)
{
    const PortVerdict verdict = checkPort(config.port, config.allowReservedPort);
    if (!verdict.allowed) {
        const int line = lineOf(file, QStringLiteral("port"));
        problems->append({line ? path : QString(), line, verdict.message});
    }
    // README "Metrics": the admin listener cannot share the gateway's port on an address both bind.
    const auto wildcard = [](const QHostAddress &a) {
        return a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6;
    };
    if (config.adminEnabled && config.adminPort != 0 && config.adminPort == config.port &&
        (config.adminAddress == config.listenAddress || wildcard(config.adminAddress) ||
         wildcard(config.listenAddress))) {
        const int line = lineOf(file, QStringLiteral("admin-listen"));
        problems->append({line ? path : QString(), line,
                          QStringLiteral("admin-listen %1 takes the gateway's own port: choose another port for it")
                              .arg(formatEndpoint(config.adminAddress, config.adminPort))});
    }
    const int logLine = lineOf(file, QStringLiteral("access-log"));
    checkAccessLog(config.accessLogPath, logLine ? path % u':' % QString::number(logLine) % u": " : QString(),
                   problems);
    const int dirLine = lineOf(file, QStringLiteral("data-dir"));
    checkDataDirectory(config.dataDir, dirLine ? path % u':' % QString::number(dirLine) % u": " : QString(), problems);
    if (QFileInfo(config.dataDir).isDir()) {
        checkPemFiles(config.dataDir, problems);
        checkStore(config.dataDir, problems);
    }
}
