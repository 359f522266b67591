// The enrolment policy (spec §3.6–§3.9, §6, README "CSR"/"CERT_QUERY"): takes CSRs, decides
// (auto or manual approval, renewal of known keys), answers certificate queries, checks
// presented client certificates. Used by the engine and by the admin CLI alike.
#pragma once

#include "certificateauthority.h"
#include "gatewaylimits.h"
#include "pkistore.h"
#include "../tokenbucket.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QObject>
#include <memory>

namespace SeaCat {

struct PkiPolicy {
    bool autoApprove = false;   // README: --approval auto|manual, default manual
    int validityDays = 365;     // issued client certificates
    int renewalWindowDays = 30; // §6.6: clients renew 30 days before notAfter
    // The gateway-wide CSR budget (gatewaylimits.h has the reasons).
    qsizetype maxCsrBytes = Limits::MaxCsrBytes;
    int maxPendingCsrs = Limits::MaxPendingCsrs;
    int globalCsrBurst = Limits::CsrGlobalBurst;
    int globalCsrPerSecond = Limits::CsrGlobalPerSecond;
};

class PkiService final : public QObject
{
    Q_OBJECT

public:
    PkiService(CertificateAuthority ca, std::unique_ptr<PkiStore> store, PkiPolicy policy, QObject *parent = nullptr);
    ~PkiService() override;

    // Opens the store for `ca`: `store` is a postgresql:// URL (README "Several gateways"), or
    // empty for the data directory's pki.sqlite. `busyTimeoutMs`: how long a write may wait
    // for another process (Limits::PkiStoreBusyTimeoutMs in the engine).
    static std::unique_ptr<PkiService> open(CertificateAuthority ca, const QString &store, const QString &dataDir,
                                            PkiPolicy policy, QString *error,
                                            int busyTimeoutMs = Limits::PkiStoreAdminBusyTimeoutMs);

    // What a CSR gets (README "Enrolment", §3.9): Approved 0x03, Stored 0x01, Rejected 0x04
    // (never acceptable: malformed, too large, a rejected or revoked key), Refused 0x00 (a
    // budget said no; the client polls), Unavailable: the store failed, answer nothing yet.
    // The store alone, for admin commands that need no CA (`array srv-zone`); null with `error`.
    static std::unique_ptr<PkiStore> openStore(const QString &store, const QString &dataDir, QString *error,
                                               int busyTimeoutMs = Limits::PkiStoreAdminBusyTimeoutMs);
    // `store` as logs show it: pki.sqlite, or the URL without its password.
    static QString storeName(const QString &store);

    enum class CsrOutcome { Approved, Stored, Rejected, Refused, Unavailable };
    // Which budget refused it; None for everything that is not a refusal by a limit.
    enum class CsrLimit { None, Size, GlobalRate, OneKeyPerSession, PendingCap };
    struct CsrResult {
        CsrOutcome outcome = CsrOutcome::Rejected;
        CsrLimit limit = CsrLimit::None;
        QString message;
        ClientKeyId client;
    };
    // Who sends the CSR, as far as the session knows.
    struct CsrContext {
        QString actor;                   // the peer, for the log and the audit
        QString authenticatedClientId;   // the key of the session's accepted certificate
        quint64 authenticatedSerial = 0; // that certificate
        QString sessionKey;              // the one key this session may enrol, once known
        bool retry = false;              // a deferred CSR again: its budget was paid already
    };
    CsrResult submitCsr(const QByteArray &der, const CsrContext &context);

    enum class CertAnswer { Certificate, Pending, NotFound };
    CertAnswer queryCertificate(const QString &clientId, QByteArray *der);

    // README "Client certificates": counts only when issued by this CA, in the store, not
    // revoked, not expired. `why` says what failed otherwise.
    std::optional<CertificateInfo> authenticate(const QByteArray &peerCertificateDer, QString *why);

    // Admin actions; an empty return is success, else the reason. Each is in the audit log.
    QString approve(qint64 csrId, const QString &actor, CertificateInfo *issued = nullptr);
    QString reject(qint64 csrId, const QString &actor);
    QString revoke(quint64 serial, const QString &actor);

    // True once stored (only then may it be ACKed, §3.12); false when the store failed.
    bool storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob);
    // After a failed write the store is left alone for Limits::PkiStoreRetryMs: no new
    // attempt, so no new busy wait on the engine thread.
    bool isStoreResting() const { return !m_storeRest.hasExpired(); }
    QList<CsrInfo> csrs() { return m_store->csrs(); }
    bool registerGateway(const GatewayRecord &gateway) { return m_store->registerGateway(gateway); }
    QList<GatewayRecord> gateways() { return m_store->gateways(); }
    // Also what authenticate() falls back to while the store does not answer.
    QList<CertificateInfo> certificates();
    std::optional<CertificateInfo> certificate(quint64 serial) { return m_store->certificate(serial); }
    std::optional<CertificateInfo> certificateIfValid(quint64 serial);
    QByteArray caCertificatePem() const { return m_ca.caCertificatePem(); }
    qint64 externalChangeCounter() { return m_store->externalChangeCounter(); }
    // Failed store calls so far: compare before and after reads to tell empty from unanswered.
    quint64 storeFailures() const { return m_store->failures(); }
    QString storeError() const { return m_store->lastError(); }

signals:
    void csrReceived(const SeaCat::CsrInfo &csr);
    void certificateIssued(const SeaCat::CertificateInfo &certificate);
    void certificateRevoked(quint64 serial, const QString &clientId);
    // Another process committed a change and the store heard of it at once (PostgreSQL's
    // NOTIFY): pollers of externalChangeCounter() need not wait for their next tick.
    void externalChange();
    void log(const QString &message);

private:
    // Issues for `csr` inside a transaction; false with m_error on failure.
    bool issueFor(const CsrDetails &csr, qint64 csrId, CertificateInfo *issued, QString *error);
    // Notes a store failure since `failuresBefore`: the store rests, true is returned.
    bool storeFailedSince(quint64 failuresBefore);
    CsrResult unavailable(CsrResult result, const QString &why);

    CertificateAuthority m_ca;
    std::unique_ptr<PkiStore> m_store;
    PkiPolicy m_policy;
    TokenBucket m_csrBudget;
    QDeadlineTimer m_storeRest{0};
    // README "Several gateways", store outage: the certificates as last read in full (every PKI
    // push reads them) and as issued or revoked here since. A client presenting one of these
    // still authenticates while the store does not answer; the next full read reconciles.
    QHash<quint64, CertificateInfo> m_knownCertificates;
};

} // namespace SeaCat
