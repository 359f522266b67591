#include "sqlpkistore.h"

#include <QAtomicInteger>

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

// Times are ISO 8601 UTC text in both stores: they sort as they compare, and one SQL serves both.
QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QDateTime fromText(const QVariant &value)
{
    return value.isNull() ? QDateTime() : QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
}

template<typename T> std::optional<T> firstOf(const QList<T> &list)
{
    return list.isEmpty() ? std::nullopt : std::optional<T>(list.first());
}

} // namespace

SqlPkiStore::SqlPkiStore()
{
    static QAtomicInteger<quint64> counter;
    m_connection = QStringLiteral("seacat-pki-%1").arg(++counter);
}

SqlPkiStore::~SqlPkiStore()
{
    {
        QSqlDatabase db = database();
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

void SqlPkiStore::setError(const QString &error)
{
    m_error = error;
    ++m_failures;
}

bool SqlPkiStore::exec(const QString &sql)
{
    if (!m_inTransaction && !ensureConnected())
        return false;
    QSqlQuery query(database());
    if (query.exec(sql))
        return true;
    noteFailure(query.lastError());
    return false;
}

std::optional<QSqlQuery> SqlPkiStore::run(const QString &sql, const QVariantList &values)
{
    if (!m_inTransaction && !ensureConnected())
        return std::nullopt;
    QSqlQuery query(database());
    query.prepare(sql);
    for (const QVariant &v : values)
        query.addBindValue(v);
    if (query.exec())
        return query;
    noteFailure(query.lastError());
    return std::nullopt;
}

bool SqlPkiStore::transaction(const std::function<bool()> &work)
{
    if (!ensureConnected())
        return false;
    m_inTransaction = true;
    const QStringList begin = beginStatements();
    const bool begun = std::all_of(begin.cbegin(), begin.cend(), [this](const QString &sql) { return exec(sql); });
    const bool ok = begun && work() && exec(QStringLiteral("COMMIT"));
    if (!ok) {
        const QString error = m_error;
        exec(QStringLiteral("ROLLBACK"));
        m_error = error;
    }
    m_inTransaction = false;
    return ok;
}

QStringList SqlPkiStore::pkiTables(const ColumnTypes &types)
{
    const QString id = QLatin1String(types.growingId), bytes = QLatin1String(types.bytes),
                  integer = QLatin1String(types.integer64);
    return {
        QStringLiteral("CREATE TABLE IF NOT EXISTS csrs(id %1, client_id TEXT NOT NULL, client_tag TEXT, subject "
                       "TEXT, key_type TEXT, der %2 NOT NULL, state TEXT NOT NULL, received TEXT NOT NULL, decided "
                       "TEXT)")
            .arg(id, bytes),
        QStringLiteral("CREATE INDEX IF NOT EXISTS csrs_client ON csrs(client_id)"),
        QStringLiteral("CREATE INDEX IF NOT EXISTS csrs_state ON csrs(state)"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS certificates(serial %1 PRIMARY KEY, client_id TEXT NOT NULL, "
                       "client_tag TEXT, subject TEXT, der %2 NOT NULL, not_before TEXT NOT NULL, not_after TEXT "
                       "NOT NULL, revoked TEXT)")
            .arg(integer, bytes),
        QStringLiteral("CREATE INDEX IF NOT EXISTS certificates_client ON certificates(client_id)"),
        QStringLiteral(
            "CREATE TABLE IF NOT EXISTS telemetry(client_id TEXT PRIMARY KEY, serial %1, blob %2, updated TEXT)")
            .arg(integer, bytes),
        QStringLiteral("CREATE TABLE IF NOT EXISTS audit(id %1, at TEXT NOT NULL, actor TEXT, action TEXT, target "
                       "TEXT, detail TEXT)")
            .arg(id),
    };
}

QString SqlPkiStore::gatewayTable()
{
    return QStringLiteral("CREATE TABLE IF NOT EXISTS gateways(name TEXT PRIMARY KEY, port INTEGER NOT NULL, priority "
                          "INTEGER NOT NULL, weight INTEGER NOT NULL, seen TEXT NOT NULL)");
}

QString SqlPkiStore::migrate(const QList<QStringList> &migrations)
{
    QString problem;
    const bool ok = transaction([&] {
        if (!exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")))
            return false;
        int version = -1;
        if (auto query = run(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
            query && query->next())
            version = query->value(0).toInt(); // the statement ends here, before any DDL
        if (version < 0)
            return false;
        if (version > migrations.size()) {
            problem = QStringLiteral("its schema is version %1, newer than this gateway knows (%2): upgrade the "
                                     "gateway before starting it on this store")
                          .arg(version)
                          .arg(migrations.size());
            return false;
        }
        for (qsizetype i = version; i < migrations.size(); ++i)
            for (const QString &statement : migrations.at(i))
                if (!exec(statement))
                    return false;
        return version == migrations.size() ||
               (exec(QStringLiteral("DELETE FROM schema_version")) &&
                run(QStringLiteral("INSERT INTO schema_version(version) VALUES(?)"), {int(migrations.size())}));
    });
    return ok ? QString() : problem.isEmpty() ? m_error : problem;
}

QList<CsrInfo> SqlPkiStore::queryCsrs(const QString &where, const QVariantList &values)
{
    QList<CsrInfo> out;
    auto query =
        run(QStringLiteral(
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

QList<CertificateInfo> SqlPkiStore::queryCertificates(const QString &where, const QVariantList &values)
{
    QList<CertificateInfo> out;
    auto query = run(
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

bool SqlPkiStore::updateOne(const QString &sql, const QVariantList &values, const QString &missing)
{
    auto query = run(sql, values);
    if (query && query->numRowsAffected() != 1) {
        setError(missing);
        return false;
    }
    return query.has_value();
}

std::optional<CsrInfo> SqlPkiStore::csr(qint64 id)
{
    return firstOf(queryCsrs(QStringLiteral("WHERE id = ?"), {id}));
}

std::optional<CsrInfo> SqlPkiStore::latestCsrFor(const QString &clientId)
{
    return firstOf(queryCsrs(QStringLiteral("WHERE client_id = ? ORDER BY id DESC LIMIT 1"), {clientId}));
}

QList<CsrInfo> SqlPkiStore::csrs()
{
    return queryCsrs(QStringLiteral("ORDER BY id"), {});
}

int SqlPkiStore::pendingCsrCount()
{
    auto query = run(QStringLiteral("SELECT COUNT(*) FROM csrs WHERE state = 'pending'"));
    return query && query->next() ? query->value(0).toInt() : -1;
}

qint64 SqlPkiStore::putCsr(const CsrInfo &csr)
{
    const quint64 failuresBefore = m_failures;
    const auto existing = latestCsrFor(csr.clientId);
    if (m_failures != failuresBefore)
        return 0;
    if (existing && existing->state == CsrInfo::State::Pending && csr.state == CsrInfo::State::Pending)
        return updateOne(
                   QStringLiteral("UPDATE csrs SET der = ?, subject = ?, key_type = ?, received = ? WHERE id = ?"),
                   {csr.der, csr.subject, csr.keyType, now(), existing->id},
                   QStringLiteral("CSR %1 is gone").arg(existing->id))
                   ? existing->id
                   : 0;
    auto query = run(QStringLiteral("INSERT INTO csrs(client_id, client_tag, subject, key_type, der, state, received,"
                                    " decided) VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                     {csr.clientId, csr.clientTag, csr.subject, csr.keyType, csr.der, toString(csr.state), now(),
                      csr.state == CsrInfo::State::Pending ? QVariant() : QVariant(now())});
    if (!query)
        return 0;
    if (!query->next()) {
        setError(QStringLiteral("the store gave no id for the new CSR"));
        return 0;
    }
    return query->value(0).toLongLong();
}

bool SqlPkiStore::setCsrState(qint64 id, CsrInfo::State state)
{
    return updateOne(QStringLiteral("UPDATE csrs SET state = ?, decided = ? WHERE id = ?"),
                     {toString(state), now(), id}, QStringLiteral("no CSR %1").arg(id));
}

bool SqlPkiStore::addCertificate(const CertificateInfo &c)
{
    return run(QStringLiteral("INSERT INTO certificates(serial, client_id, client_tag, subject, der, not_before,"
                              " not_after) VALUES(?, ?, ?, ?, ?, ?, ?)"),
               {qint64(c.serial), c.clientId, c.clientTag, c.subject, c.der, c.notBefore.toString(Qt::ISODateWithMs),
                c.notAfter.toString(Qt::ISODateWithMs)})
        .has_value();
}

std::optional<CertificateInfo> SqlPkiStore::certificate(quint64 serial)
{
    return firstOf(queryCertificates(QStringLiteral("WHERE serial = ?"), {qint64(serial)}));
}

std::optional<CertificateInfo> SqlPkiStore::latestCertificateFor(const QString &clientId)
{
    return firstOf(queryCertificates(QStringLiteral("WHERE client_id = ? ORDER BY serial DESC LIMIT 1"), {clientId}));
}

QList<CertificateInfo> SqlPkiStore::certificates()
{
    return queryCertificates(QStringLiteral("ORDER BY serial"), {});
}

bool SqlPkiStore::revoke(quint64 serial)
{
    return updateOne(QStringLiteral("UPDATE certificates SET revoked = ? WHERE serial = ? AND revoked IS NULL"),
                     {now(), qint64(serial)},
                     QStringLiteral("no certificate %1, or it is revoked already").arg(serial));
}

bool SqlPkiStore::registerGateway(const GatewayRecord &gateway)
{
    return run(QStringLiteral("INSERT INTO gateways(name, port, priority, weight, seen) VALUES(?, ?, ?, ?, ?)"
                              " ON CONFLICT(name) DO UPDATE SET port = excluded.port, priority = excluded.priority,"
                              " weight = excluded.weight, seen = excluded.seen"),
               {gateway.name, int(gateway.port), gateway.priority, gateway.weight, now()})
        .has_value();
}

QList<GatewayRecord> SqlPkiStore::gateways()
{
    QList<GatewayRecord> out;
    auto query = run(QStringLiteral("SELECT name, port, priority, weight, seen FROM gateways ORDER BY priority, name"));
    while (query && query->next())
        out.append({query->value(0).toString(), quint16(query->value(1).toUInt()), query->value(2).toInt(),
                    query->value(3).toInt(), fromText(query->value(4))});
    return out;
}

bool SqlPkiStore::forgetGateway(const QString &name)
{
    return updateOne(QStringLiteral("DELETE FROM gateways WHERE name = ?"), {name},
                     QStringLiteral("no gateway %1 is registered").arg(name));
}

bool SqlPkiStore::putTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob)
{
    return run(QStringLiteral("INSERT INTO telemetry(client_id, serial, blob, updated) VALUES(?, ?, ?, ?)"
                              " ON CONFLICT(client_id) DO UPDATE SET serial = excluded.serial, blob = excluded.blob,"
                              " updated = excluded.updated"),
               {clientId, qint64(serial), blob, now()})
        .has_value();
}

bool SqlPkiStore::audit(const QString &actor, const QString &action, const QString &target, const QString &detail)
{
    return run(QStringLiteral("INSERT INTO audit(at, actor, action, target, detail) VALUES(?, ?, ?, ?, ?)"),
               {now(), actor, action, target, detail})
        .has_value();
}

} // namespace SeaCat
