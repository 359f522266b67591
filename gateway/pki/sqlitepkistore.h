#pragma once

#include "pkistore.h"

#include <QSqlDatabase>
#include <QSqlQuery>

namespace SeaCat {

class SqlitePkiStore final : public PkiStore
{
public:
    static inline const QString FileName = QStringLiteral("pki.sqlite");

    // `busyTimeoutMs`: how long a write waits for another process's transaction before it
    // fails (gatewaylimits.h: short for the engine, long for the admin CLI).
    explicit SqlitePkiStore(const QString &path, int busyTimeoutMs = 5'000);
    ~SqlitePkiStore() override;

    QString open() override;
    bool transaction(const std::function<bool()> &work) override;
    QString lastError() const override { return m_error; }
    quint64 failures() const override { return m_failures; }
    qint64 externalChangeCounter() override;

    std::optional<CsrInfo> csr(qint64 id) override;
    std::optional<CsrInfo> latestCsrFor(const QString &clientId) override;
    QList<CsrInfo> csrs() override;
    int pendingCsrCount() override;
    qint64 putCsr(const CsrInfo &csr) override;
    bool setCsrState(qint64 id, CsrInfo::State state) override;

    quint64 allocateSerial() override;
    bool addCertificate(const CertificateInfo &certificate) override;
    std::optional<CertificateInfo> certificate(quint64 serial) override;
    std::optional<CertificateInfo> latestCertificateFor(const QString &clientId) override;
    QList<CertificateInfo> certificates() override;
    bool revoke(quint64 serial) override;

    bool putTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob) override;
    bool audit(const QString &actor, const QString &action, const QString &target, const QString &detail) override;

private:
    bool exec(const QString &sql);
    void setError(const QString &error);
    std::optional<QSqlQuery> select(const QString &sql, const QVariantList &values);
    QList<CsrInfo> queryCsrs(const QString &where, const QVariantList &values);
    QList<CertificateInfo> queryCertificates(const QString &where, const QVariantList &values);

    QString m_path;
    QString m_connection;
    QString m_error;
    quint64 m_failures = 0;
    int m_busyTimeoutMs;
};

} // namespace SeaCat
