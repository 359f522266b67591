#include "sqlitepkistore.h"

#include <QFile>
#include <QSqlError>

namespace SeaCat {

// The schema, one entry per version (SqlPkiStore::migrate). Version 1 is the schema stores had
// before versions were counted: IF NOT EXISTS, so it is a no-op on those.
const QList<QStringList> &SqlitePkiStore::migrations()
{
    static const QList<QStringList> list = {
        pkiTables({"INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB", "INTEGER"}) +
            QStringList{QStringLiteral("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER)")},
        {gatewayTable()}, // 2: the gateways of an array (README "Several gateways")
    };
    return list;
}

SqlitePkiStore::SqlitePkiStore(const QString &path, int busyTimeoutMs)
    : m_path(path), m_busyTimeoutMs(busyTimeoutMs) { }

QString SqlitePkiStore::open()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName());
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
        return QStringLiteral("cannot configure the certificate store %1: %2").arg(m_path, lastError());
    if (const QString e = migrate(migrations()); !e.isEmpty())
        return QStringLiteral("cannot create tables in %1: %2 (is it locked or read-only?)").arg(m_path, e);
    QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

QStringList SqlitePkiStore::beginStatements() const
{
    // IMMEDIATE takes the write lock up front, so two processes never interleave.
    return {QStringLiteral("BEGIN IMMEDIATE")};
}

qint64 SqlitePkiStore::externalChangeCounter()
{
    auto query = run(QStringLiteral("PRAGMA data_version"));
    return query && query->next() ? query->value(0).toLongLong() : -1;
}

quint64 SqlitePkiStore::allocateSerial()
{
    auto bumped = run(QStringLiteral("INSERT INTO meta(key, value) VALUES('last_serial', 1)"
                                     " ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value"));
    return bumped && bumped->next() ? bumped->value(0).toULongLong() : 0;
}

} // namespace SeaCat
