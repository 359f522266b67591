// The PkiStore over one Qt SQL connection: every query both stores run is written once here, in
// the SQL that SQLite (3.35+) and PostgreSQL share, with the versioned schema and the error
// bookkeeping. A subclass opens the connection and says what differs: how a writer keeps the
// others out, where serials come from, how another writer's commit is noticed.
#pragma once

#include "pkistore.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace SeaCat {

class SqlPkiStore : public PkiStore
{
public:
    ~SqlPkiStore() override;

    bool transaction(const std::function<bool()> &work) final;
    QString lastError() const final { return m_error; }
    quint64 failures() const final { return m_failures; }

    std::optional<CsrInfo> csr(qint64 id) final;
    std::optional<CsrInfo> latestCsrFor(const QString &clientId) final;
    QList<CsrInfo> csrs() final;
    int pendingCsrCount() final;
    qint64 putCsr(const CsrInfo &csr) final;
    bool setCsrState(qint64 id, CsrInfo::State state) final;

    bool addCertificate(const CertificateInfo &certificate) final;
    std::optional<CertificateInfo> certificate(quint64 serial) final;
    std::optional<CertificateInfo> latestCertificateFor(const QString &clientId) final;
    QList<CertificateInfo> certificates() final;
    bool revoke(quint64 serial) final;

    bool registerGateway(const GatewayRecord &gateway) final;
    QList<GatewayRecord> gateways() final;
    bool forgetGateway(const QString &name) final;

    bool putTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob) final;
    bool audit(const QString &actor, const QString &action, const QString &target, const QString &detail) final;

protected:
    SqlPkiStore();

    QSqlDatabase database() const { return QSqlDatabase::database(m_connection, false); }
    const QString &connectionName() const { return m_connection; }
    // The statements that open a write transaction that no other writer can interleave with.
    virtual QStringList beginStatements() const = 0;
    // Called before a statement outside a transaction and before a transaction: a store whose
    // connection broke reconnects here (false: still broken, m_error says why).
    virtual bool ensureConnected() { return true; }
    // A statement failed: counted, and its error kept for lastError().
    virtual void noteFailure(const QSqlError &error) { setError(error.text()); }

    // The words the two dialects differ in, for the tables both stores have.
    struct ColumnTypes {
        const char *growingId; // a primary key the database numbers
        const char *bytes;
        const char *integer64;
    };
    // Those tables (csrs, certificates, telemetry, audit) with their indexes, IF NOT EXISTS:
    // the first migration of both stores.
    static QStringList pkiTables(const ColumnTypes &types);
    // The array's gateways (registerGateway()), the same in both dialects.
    static QString gatewayTable();
    // Migration i takes the schema from version i to i + 1; every one not yet applied runs, in
    // order, in one transaction with the new version number. Returns "" or the error.
    QString migrate(const QList<QStringList> &migrations);

    bool exec(const QString &sql);
    // Prepares `sql`, binds `values` in order and runs it; nullopt (counted) on failure.
    std::optional<QSqlQuery> run(const QString &sql, const QVariantList &values = {});
    void setError(const QString &error);
    bool inTransaction() const { return m_inTransaction; }

private:
    QList<CsrInfo> queryCsrs(const QString &where, const QVariantList &values);
    QList<CertificateInfo> queryCertificates(const QString &where, const QVariantList &values);
    // An UPDATE that must change exactly one row; `missing` is the error when it changed none.
    bool updateOne(const QString &sql, const QVariantList &values, const QString &missing);

    QString m_connection;
    QString m_error;
    quint64 m_failures = 0;
    bool m_inTransaction = false;
};

} // namespace SeaCat
