#pragma once

#include "pkistore.h"

#include <QSqlDatabase>
#include <QSqlQuery>

namespace SeaCat {

class SqlitePkiStore final : public PkiStore
{
public:
    static inline const QString FileName = QStringLiteral("pki.sqlite");

    explicit SqlitePkiStore(const QString &path);
    ~SqlitePkiStore() override;

    QString open() override;
    bool transaction(const std::function<bool()> &work) override;
    QString lastError() const override { return m_error; }
    qint64 externalChangeCounter() override;

    std::optional<CsrInfo> csr(qint64 id) override;
    std::optional<CsrInfo> latestCsrFor(const QString &clientId) override;
    QList<CsrInfo> csrs() override;
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
    std::optional<QSqlQuery> select(const QString &sql, const QVariantList &values);
    QList<CsrInfo> queryCsrs(const QString &where, const QVariantList &values);
    QList<CertificateInfo> queryCertificates(const QString &where, const QVariantList &values);

    QString m_path;
    QString m_connection;
    QString m_error;
};

} // namespace SeaCat
