#include "sqlitepkistore.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>

namespace SeaCat {

QString toString(CsrInfo::State state)
{
    switch (state) {
    case CsrInfo::State::Pending:
        return QStringLiteral("pending");
    case CsrInfo::State::Approved:
        return QStringLiteral("approved");
    case CsrInfo::State::Rejected:
        return QStringLiteral("rejected");
    }
    return {};
}

namespace {

CsrInfo::State stateFromString(const QString &text)
{
    return text == u"approved"   ? CsrInfo::State::Approved
           : text == u"rejected" ? CsrInfo::State::Rejected
                                 : CsrInfo::State::Pending;
}

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QDateTime fromText(const QVariant &value)
{
    return value.isNull() ? QDateTime() : QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
}

const char *const Schema[] = {
    "CREATE TABLE IF NOT EXISTS csrs(id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, client_tag TEXT,"
    " subject TEXT, key_type TEXT, der BLOB NOT NULL, state TEXT NOT NULL, received TEXT NOT NULL, decided TEXT)",
    "CREATE INDEX IF NOT EXISTS csrs_client ON csrs(client_id)",
    "CREATE INDEX IF NOT EXISTS csrs_state ON csrs(state)",
    "CREATE TABLE IF NOT EXISTS certificates(serial INTEGER PRIMARY KEY, client_id TEXT NOT NULL, client_tag TEXT,"
    " subject TEXT, der BLOB NOT NULL, not_before TEXT NOT NULL, not_after TEXT NOT NULL, revoked TEXT)",
    "CREATE INDEX IF NOT EXISTS certificates_client ON certificates(client_id)",
    "CREATE TABLE IF NOT EXISTS telemetry(client_id TEXT PRIMARY KEY, serial INTEGER, blob BLOB, updated TEXT)",
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT, action TEXT,"
    " target TEXT, detail TEXT)",
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER)",
};

} // namespace

SqlitePkiStore::SqlitePkiStore(const QString &path, int busyTimeoutMs) : m_path(path), m_busyTimeoutMs(busyTimeoutMs)
{
    static QAtomicInteger<quint64> counter;
    m_connection = QStringLiteral("seacat-pki-%1").arg(++counter);
}

SqlitePkiStore::~SqlitePkiStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

void SqlitePkiStore::setError(const QString &error)
{
    m_error = error;
    ++m_failures;
}

bool SqlitePkiStore::exec(const QString &sql)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    if (query.exec(sql))
        return true;
    setError(query.lastError().text());
    return false;
}

QString SqlitePkiStore::open()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    if (!db.isValid())
        return QStringLiteral(
            "Qt's SQLite driver is missing: install libqt6sql6-sqlite (scripts/install-deps.sh does)");
    db.setDatabaseName(m_path);
    // Waits for another writer instead of failing at once, but only as long as the owner can
    // afford: the engine must not stall its sessions (issue 16 item 3), the CLI may wait.
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(m_busyTimeoutMs));
    if (!db.open())
        return QStringLiteral("cannot open the certificate store %1: %2").arg(m_path, db.lastError().text());
    {
        QSqlQuery check(db);
        if (!check.exec(QStringLiteral("PRAGMA quick_check")) || !check.next() || check.value(0).toString() != u"ok")
            return QStringLiteral(
                       "the certificate store %1 is corrupt or not a SQLite database (%2): restore it from a "
                       "backup, or move it away to start an empty one")
                .arg(m_path, check.lastError().text());
    } // the statement must be finished before the journal mode can change
    // WAL + FULL sync: a commit that returned is on disk, even after kill -9 or a power cut.
    if (!exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !exec(QStringLiteral("PRAGMA synchronous=FULL")))
        return QStringLiteral("cannot configure the certificate store %1: %2").arg(m_path, m_error);
    for (const char *statement : Schema)
        if (!exec(QLatin1String(statement)))
            return QStringLiteral("cannot create tables in %1: %2 (is it locked or read-only?)").arg(m_path, m_error);
    QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

bool SqlitePkiStore::transaction(const std::function<bool()> &work)
{
    // IMMEDIATE takes the write lock up front, so two processes never interleave.
    if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
        return false;
    if (work() && exec(QStringLiteral("COMMIT")))
        return true;
    const QString error = m_error;
    exec(QStringLiteral("ROLLBACK"));
    m_error = error;
    return false;
}

qint64 SqlitePkiStore::externalChangeCounter()
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    return query.exec(QStringLiteral("PRAGMA data_version")) && query.next() ? query.value(0).toLongLong() : -1;
}

std::optional<QSqlQuery> SqlitePkiStore::select(const QString &sql, const QVariantList &values)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(sql);
    for (const QVariant &v : values)
        query.addBindValue(v);
    if (query.exec())
        return query;
    setError(query.lastError().text());
    return std::nullopt;
}

QList<CsrInfo> SqlitePkiStore::queryCsrs(const QString &where, const QVariantList &values)
{
    QList<CsrInfo> out;
    auto query =
        select(QStringLiteral(
                   "SELECT id, client_id, client_tag, subject, key_type, der, state, received, decided FROM csrs ") +
                   where,
               values);
    while (query && query->next()) {
        CsrInfo c;
        c.id = query->value(0).toLongLong();
        c.clientId = query->value(1).toString();
        c.clientTag = query->value(2).toString();
        c.subject = query->value(3).toString();
        c.keyType = query->value(4).toString();
        c.der = query->value(5).toByteArray();
        c.state = stateFromString(query->value(6).toString());
        c.received = fromText(query->value(7));
        c.decided = fromText(query->value(8));
        out.append(c);
    }
    return out;
}

QList<CertificateInfo> SqlitePkiStore::queryCertificates(const QString &where, const QVariantList &values)
{
    QList<CertificateInfo> out;
    auto query = select(
        QStringLiteral(
            "SELECT serial, client_id, client_tag, subject, der, not_before, not_after, revoked FROM certificates ") +
            where,
        values);
    while (query && query->next()) {
        CertificateInfo c;
        c.serial = query->value(0).toULongLong();
        c.clientId = query->value(1).toString();
        c.clientTag = query->value(2).toString();
        c.subject = query->value(3).toString();
        c.der = query->value(4).toByteArray();
        c.notBefore = fromText(query->value(5));
        c.notAfter = fromText(query->value(6));
        c.revoked = fromText(query->value(7));
        out.append(c);
    }
    return out;
}

std::optional<CsrInfo> SqlitePkiStore::csr(qint64 id)
{
    const auto list = queryCsrs(QStringLiteral("WHERE id = ?"), {id});
    return list.isEmpty() ? std::nullopt : std::optional<CsrInfo>(list.first());
}

std::optional<CsrInfo> SqlitePkiStore::latestCsrFor(const QString &clientId)
{
    const auto list = queryCsrs(QStringLiteral("WHERE client_id = ? ORDER BY id DESC LIMIT 1"), {clientId});
    return list.isEmpty() ? std::nullopt : std::optional<CsrInfo>(list.first());
}

QList<CsrInfo> SqlitePkiStore::csrs()
{
    return queryCsrs(QStringLiteral("ORDER BY id"), {});
}

int SqlitePkiStore::pendingCsrCount()
{
    auto query = select(QStringLiteral("SELECT COUNT(*) FROM csrs WHERE state = 'pending'"), {});
    return query && query->next() ? query->value(0).toInt() : -1;
}

qint64 SqlitePkiStore::putCsr(const CsrInfo &csr)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    const auto existing = latestCsrFor(csr.clientId);
    if (existing && existing->state == CsrInfo::State::Pending && csr.state == CsrInfo::State::Pending) {
        query.prepare(QStringLiteral("UPDATE csrs SET der = ?, subject = ?, key_type = ?, received = ? WHERE id = ?"));
        query.addBindValue(csr.der);
        query.addBindValue(csr.subject);
        query.addBindValue(csr.keyType);
        query.addBindValue(now());
        query.addBindValue(existing->id);
        if (!query.exec()) {
            setError(query.lastError().text());
            return 0;
        }
        return existing->id;
    }
    query.prepare(
        QStringLiteral("INSERT INTO csrs(client_id, client_tag, subject, key_type, der, state, received, decided)"
                       " VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(csr.clientId);
    query.addBindValue(csr.clientTag);
    query.addBindValue(csr.subject);
    query.addBindValue(csr.keyType);
    query.addBindValue(csr.der);
    query.addBindValue(toString(csr.state));
    query.addBindValue(now());
    query.addBindValue(csr.state == CsrInfo::State::Pending ? QVariant() : QVariant(now()));
    if (!query.exec()) {
        setError(query.lastError().text());
        return 0;
    }
    return query.lastInsertId().toLongLong();
}

bool SqlitePkiStore::setCsrState(qint64 id, CsrInfo::State state)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(QStringLiteral("UPDATE csrs SET state = ?, decided = ? WHERE id = ?"));
    query.addBindValue(toString(state));
    query.addBindValue(now());
    query.addBindValue(id);
    if (!query.exec() || query.numRowsAffected() != 1) {
        setError(query.lastError().isValid() ? query.lastError().text() : QStringLiteral("no CSR %1").arg(id));
        return false;
    }
    return true;
}

quint64 SqlitePkiStore::allocateSerial()
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    if (!query.exec(QStringLiteral("INSERT INTO meta(key, value) VALUES('last_serial', 1)"
                                   " ON CONFLICT(key) DO UPDATE SET value = value + 1")) ||
        !query.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'last_serial'")) || !query.next()) {
        setError(query.lastError().text());
        return 0;
    }
    return query.value(0).toULongLong();
}

bool SqlitePkiStore::addCertificate(const CertificateInfo &c)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(
        QStringLiteral("INSERT INTO certificates(serial, client_id, client_tag, subject, der, not_before, not_after)"
                       " VALUES(?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(qint64(c.serial));
    query.addBindValue(c.clientId);
    query.addBindValue(c.clientTag);
    query.addBindValue(c.subject);
    query.addBindValue(c.der);
    query.addBindValue(c.notBefore.toString(Qt::ISODateWithMs));
    query.addBindValue(c.notAfter.toString(Qt::ISODateWithMs));
    if (!query.exec()) {
        setError(query.lastError().text());
        return false;
    }
    return true;
}

std::optional<CertificateInfo> SqlitePkiStore::certificate(quint64 serial)
{
    const auto list = queryCertificates(QStringLiteral("WHERE serial = ?"), {qint64(serial)});
    return list.isEmpty() ? std::nullopt : std::optional<CertificateInfo>(list.first());
}

std::optional<CertificateInfo> SqlitePkiStore::latestCertificateFor(const QString &clientId)
{
    const auto list = queryCertificates(QStringLiteral("WHERE client_id = ? ORDER BY serial DESC LIMIT 1"), {clientId});
    return list.isEmpty() ? std::nullopt : std::optional<CertificateInfo>(list.first());
}

QList<CertificateInfo> SqlitePkiStore::certificates()
{
    return queryCertificates(QStringLiteral("ORDER BY serial"), {});
}

bool SqlitePkiStore::revoke(quint64 serial)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(QStringLiteral("UPDATE certificates SET revoked = ? WHERE serial = ? AND revoked IS NULL"));
    query.addBindValue(now());
    query.addBindValue(qint64(serial));
    if (!query.exec() || query.numRowsAffected() != 1) {
        setError(query.lastError().isValid()
                     ? query.lastError().text()
                     : QStringLiteral("no certificate %1, or it is revoked already").arg(serial));
        return false;
    }
    return true;
}

bool SqlitePkiStore::putTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(
        QStringLiteral("INSERT OR REPLACE INTO telemetry(client_id, serial, blob, updated) VALUES(?, ?, ?, ?)"));
    query.addBindValue(clientId);
    query.addBindValue(serial);
    query.addBindValue(blob);
    query.addBindValue(now());
    if (!query.exec()) {
        setError(query.lastError().text());
        return false;
    }
    return true;
}

bool SqlitePkiStore::audit(const QString &actor, const QString &action, const QString &target, const QString &detail)
{
    QSqlQuery query(QSqlDatabase::database(m_connection, false));
    query.prepare(QStringLiteral("INSERT INTO audit(at, actor, action, target, detail) VALUES(?, ?, ?, ?, ?)"));
    query.addBindValue(now());
    query.addBindValue(actor);
    query.addBindValue(action);
    query.addBindValue(target);
    query.addBindValue(detail);
    if (!query.exec()) {
        setError(query.lastError().text());
        return false;
    }
    return true;
}

} // namespace SeaCat
