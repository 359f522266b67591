// The enrolment policy (spec §3.6–§3.9, §6, README "CSR"/"CERT_QUERY"): takes CSRs, decides
// (auto or manual approval, renewal of known keys), answers certificate queries, checks
// presented client certificates. Used by the engine and by the admin CLI alike.
#pragma once

#include "certificateauthority.h"
#include "pkistore.h"

#include <QObject>
#include <memory>

namespace SeaCat {

struct PkiPolicy {
    bool autoApprove = false;     // README: --approval auto|manual, default manual
    int validityDays = 365;       // issued client certificates
    int renewalWindowDays = 30;   // §6.6: clients renew 30 days before notAfter
};

class PkiService final : public QObject
{
    Q_OBJECT

public:
    PkiService(CertificateAuthority ca, std::unique_ptr<PkiStore> store, PkiPolicy policy, QObject *parent = nullptr);
    ~PkiService() override;

    // Opens the store, the data directory's pki.sqlite, for `ca`.
    static std::unique_ptr<PkiService> open(CertificateAuthority ca, const QString &dataDir, PkiPolicy policy, QString *error);

    enum class CsrOutcome { Approved, Stored, Rejected };
    struct CsrResult {
        CsrOutcome outcome = CsrOutcome::Rejected;
        QString message;
        ClientKeyId client;
    };
    CsrResult submitCsr(const QByteArray &der, const QString &actor);

    enum class CertAnswer { Certificate, Pending, NotFound };
    CertAnswer queryCertificate(const QString &clientId, QByteArray *der);

    // README "Client certificates": counts only when issued by this CA, in the store, not
    // revoked, not expired. `why` says what failed otherwise.
    std::optional<CertificateInfo> authenticate(const QByteArray &peerCertificateDer, QString *why);

    // Admin actions; an empty return is success, else the reason. Each is in the audit log.
    QString approve(qint64 csrId, const QString &actor, CertificateInfo *issued = nullptr);
    QString reject(qint64 csrId, const QString &actor);
    QString revoke(quint64 serial, const QString &actor);

    void storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob);
    QList<CsrInfo> csrs() { return m_store->csrs(); }
    QList<CertificateInfo> certificates() { return m_store->certificates(); }
    std::optional<CertificateInfo> certificate(quint64 serial) { return m_store->certificate(serial); }
    std::optional<CertificateInfo> certificateIfValid(quint64 serial);
    QByteArray caCertificatePem() const { return m_ca.caCertificatePem(); }
    qint64 externalChangeCounter() { return m_store->externalChangeCounter(); }

signals:
    void csrReceived(const SeaCat::CsrInfo &csr);
    void certificateIssued(const SeaCat::CertificateInfo &certificate);
    void certificateRevoked(quint64 serial, const QString &clientId);
    void log(const QString &message);

private:
    // Issues for `csr` inside a transaction; false with m_error on failure.
    bool issueFor(const CsrDetails &csr, qint64 csrId, CertificateInfo *issued, QString *error);

    CertificateAuthority m_ca;
    std::unique_ptr<PkiStore> m_store;
    PkiPolicy m_policy;
};

} // namespace SeaCat
