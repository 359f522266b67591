#include "postgrespkistore.h"
#include "../gatewaylimits.h"

#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>
#include <QUuid>

namespace SeaCat {

// The schema, one entry per version (SqlPkiStore::migrate); never edit a released entry, append.
const QList<QStringList> &PostgresPkiStore::migrations()
{
    static const QList<QStringList> list = {
        // 1: the tables of the SQLite store, and the serial sequence every gateway draws from.
        pkiTables({"BIGSERIAL PRIMARY KEY", "BYTEA", "BIGINT"}) +
            QStringList{QStringLiteral("CREATE SEQUENCE IF NOT EXISTS certificate_serial AS BIGINT MINVALUE 1")},
        // 2: every committed change to a CSR or a certificate (new, approved, rejected, revoked)
        // is announced to the listening gateways, whoever wrote it.
        {
            QStringLiteral("CREATE FUNCTION seacat_pki_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           "PERFORM pg_notify('seacat_pki', TG_TABLE_NAME || ' ' || lower(TG_OP)); RETURN NULL; END "
                           "$$"),
            QStringLiteral("CREATE TRIGGER csrs_notify AFTER INSERT OR UPDATE ON csrs FOR EACH STATEMENT EXECUTE "
                           "FUNCTION seacat_pki_notify()"),
            QStringLiteral("CREATE TRIGGER certificates_notify AFTER INSERT OR UPDATE ON certificates FOR EACH "
                           "STATEMENT EXECUTE FUNCTION seacat_pki_notify()"),
        },
        // 3: the gateways of the array, each registered at its start, for `array srv-zone`.
        {gatewayTable()},
    };
    return list;
}

namespace {

// Where the URL's parts go: the connection's own fields (QPSQL quotes them), or libpq keywords
// passed on as they are, which is why their values are held to a plain alphabet.
struct Target {
    QString host;
    int port = -1;
    QString database;
    QString user;
    QString password;
    QStringList options;
};

const QStringList PassedKeywords = {
    QStringLiteral("sslmode"),          QStringLiteral("sslrootcert"),      QStringLiteral("sslcert"),
    QStringLiteral("sslkey"),           QStringLiteral("sslcrl"),           QStringLiteral("application_name"),
    QStringLiteral("connect_timeout"),  QStringLiteral("keepalives_idle"),  QStringLiteral("keepalives_interval"),
    QStringLiteral("keepalives_count"), QStringLiteral("tcp_user_timeout"), QStringLiteral("target_session_attrs"),
};

std::optional<Target> parseUrl(const QString &text, QString *error)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || !PostgresPkiStore::isPostgresUrl(text)) {
        *error = QStringLiteral("not a postgresql://[USER@]HOST[:PORT]/DATABASE[?host=/SOCKET/DIR&…] URL");
        return std::nullopt;
    }
    Target target;
    target.host = url.host(QUrl::FullyDecoded);
    target.port = url.port(-1);
    target.database = url.path(QUrl::FullyDecoded).mid(1);
    target.user = url.userName(QUrl::FullyDecoded);
    target.password = url.password(QUrl::FullyDecoded);
    QSet<QString> seen;
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9._/:@+-]+$"));
    for (const auto &[key, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded)) {
        if (seen.contains(key)) {
            *error = QStringLiteral("'%1' is given twice").arg(key);
            return std::nullopt;
        }
        seen.insert(key);
        bool ok = true;
        if (key == u"host")
            target.host = value; // a directory: the Unix socket there
        else if (key == u"port")
            target.port = value.toInt(&ok);
        else if (key == u"dbname")
            target.database = value;
        else if (key == u"user")
            target.user = value;
        else if (key == u"password")
            target.password = value;
        else if (PassedKeywords.contains(key) && plain.match(value).hasMatch())
            target.options << key + u'=' + value;
        else if (PassedKeywords.contains(key))
            ok = false;
        else {
            *error = QStringLiteral("unknown parameter '%1' (known: host, port, dbname, user, password, %2)")
                         .arg(key, PassedKeywords.join(QStringLiteral(", ")));
            return std::nullopt;
        }
        if (!ok || (key == u"port" && (target.port <= 0 || target.port > 65535))) {
            *error = QStringLiteral("bad value for '%1'").arg(key);
            return std::nullopt;
        }
    }
    if (target.database.isEmpty()) {
        *error = QStringLiteral("no database: postgresql://HOST/DATABASE");
        return std::nullopt;
    }
    return target;
}

// The connection's parameters and time limits from the URL; "" or what is wrong with it.
QString configure(QSqlDatabase &db, const QString &url)
{
    QString error;
    const auto target = parseUrl(url, &error);
    if (!target)
        return error;
    db.setHostName(target->host);
    db.setPort(target->port);
    db.setDatabaseName(target->database);
    db.setUserName(target->user);
    db.setPassword(target->password);
    // Defaults first: libpq takes the last value of a keyword, so the URL's own win.
    QStringList options = {QStringLiteral("connect_timeout=%1").arg(Limits::PkiConnectTimeoutSeconds),
                           QStringLiteral("application_name=seacat-gateway")};
    db.setConnectOptions((options + target->options).join(u';'));
    return {};
}

} // namespace

bool PostgresPkiStore::isPostgresUrl(const QString &store)
{
    return store.startsWith(u"postgresql://") || store.startsWith(u"postgres://");
}

QString PostgresPkiStore::checkUrl(const QString &url)
{
    QString error;
    return parseUrl(url, &error) ? QString() : error;
}

PostgresPkiStore::PostgresPkiStore(const QString &url, int lockTimeoutMs) : m_url(url), m_lockTimeoutMs(lockTimeoutMs)
{ }

QString PostgresPkiStore::displayUrl(const QString &url)
{
    QUrl shown(url);
    QUrlQuery query(shown);
    query.removeAllQueryItems(QStringLiteral("password"));
    shown.setQuery(query);
    return shown.toDisplayString(QUrl::RemovePassword);
}

QString PostgresPkiStore::connect()
{
    QSqlDatabase db = database();
    db.close();
    if (const QString error = configure(db, m_url); !error.isEmpty())
        return error;
    if (!db.open())
        return db.lastError().text().trimmed();
    // The engine thread waits for each statement: a held lock or a slow server costs it at
    // most lock_timeout + PkiStatementWorkMs, then the call fails and is retried (never a
    // rejection, README "Store errors are never rejections").
    if (!setWaits(m_lockTimeoutMs))
        return lastError();
    if (!db.driver()->subscribeToNotification(Channel))
        return db.driver()->lastError().text();
    return {};
}

bool PostgresPkiStore::setWaits(int lockTimeoutMs)
{
    return exec(QStringLiteral("SET lock_timeout = %1").arg(lockTimeoutMs)) &&
           exec(QStringLiteral("SET statement_timeout = %1").arg(lockTimeoutMs + Limits::PkiStatementWorkMs));
}

QString PostgresPkiStore::probe(const QString &url, bool *reached)
{
    *reached = false;
    const QString name = QStringLiteral("probe-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString problem;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        if (!db.isValid())
            problem = QStringLiteral("Qt's PostgreSQL driver is missing: install libqt6sql6-psql");
        else if (const QString error = configure(db, url); !error.isEmpty())
            problem = error;
        else if (!db.open())
            problem = QStringLiteral("cannot connect to the certificate store %1: %2")
                          .arg(displayUrl(url), db.lastError().text().trimmed());
        if (db.isOpen()) {
            *reached = true;
            QSqlQuery query(db);
            // No table yet: an empty database, which the first gateway to start sets up.
            const int version =
                query.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_version")) && query.next()
                    ? query.value(0).toInt()
                    : 0;
            if (version > migrations().size())
                problem = QStringLiteral("the certificate store %1 has schema version %2, newer than this gateway "
                                         "knows (%3): upgrade the gateway")
                              .arg(displayUrl(url))
                              .arg(version)
                              .arg(migrations().size());
            query.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return problem;
}

QString PostgresPkiStore::open()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName());
    if (!db.isValid())
        return QStringLiteral("Qt's PostgreSQL driver is missing: install libqt6sql6-psql (scripts/install-deps.sh "
                              "does)");
    QObject::connect(
        db.driver(),
        qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(&QSqlDriver::notification),
        db.driver(), [this](const QString &, QSqlDriver::NotificationSource source, const QVariant &) {
            // Our own commits are handled where they are made.
            if (source != QSqlDriver::OtherSource)
                return;
            ++m_externalChanges;
            if (m_onExternalChange)
                m_onExternalChange();
        });
    if (const QString e = connect(); !e.isEmpty())
        return QStringLiteral("cannot connect to the certificate store %1: %2").arg(displayUrl(m_url), e);
    // Before it serves, a gateway may wait for another that is migrating the same database.
    QString e = setWaits(Limits::PkiStoreAdminBusyTimeoutMs) ? migrate(migrations()) : lastError();
    if (e.isEmpty() && !setWaits(m_lockTimeoutMs))
        e = lastError();
    if (!e.isEmpty())
        return QStringLiteral("cannot bring the certificate store %1 to schema version %2: %3")
            .arg(displayUrl(m_url))
            .arg(migrations().size())
            .arg(e);
    return {};
}

QStringList PostgresPkiStore::beginStatements() const
{
    return {QStringLiteral("BEGIN"), QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(WriterLockKey)};
}

void PostgresPkiStore::noteFailure(const QSqlError &error)
{
    // No SQLSTATE: libpq lost the server; class 08 (connection exception) and 57P (the server
    // shut down) end the session too. Anything else (a lock or statement timeout, a constraint)
    // leaves the connection usable.
    const QString state = error.nativeErrorCode();
    if (state.isEmpty() || state.startsWith(u"08") || state.startsWith(u"57P"))
        m_broken = true;
    SqlPkiStore::noteFailure(error);
}

bool PostgresPkiStore::ensureConnected()
{
    if (!m_broken)
        return true;
    if (!m_nextReconnect.hasExpired()) {
        setError(QStringLiteral("the certificate store %1 is unreachable; reconnecting").arg(displayUrl(m_url)));
        return false;
    }
    m_nextReconnect.setRemainingTime(Limits::PkiReconnectIntervalMs);
    m_broken = false;
    if (const QString e = connect(); !e.isEmpty()) {
        m_broken = true;
        setError(QStringLiteral("cannot reconnect to the certificate store %1: %2").arg(displayUrl(m_url), e));
        return false;
    }
    // NOTIFYs sent while the connection was down are lost: pollers look again.
    ++m_externalChanges;
    return true;
}

qint64 PostgresPkiStore::externalChangeCounter()
{
    (void)run(QStringLiteral("SELECT 1"));
    return m_externalChanges;
}

quint64 PostgresPkiStore::allocateSerial()
{
    // nextval is never rolled back: a failed issue leaves a gap, never a serial given twice.
    auto query = run(QStringLiteral("SELECT nextval('certificate_serial')"));
    return query && query->next() ? query->value(0).toULongLong() : 0;
}

} // namespace SeaCat
