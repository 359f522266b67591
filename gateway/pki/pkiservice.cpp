#include "pkiservice.h"
#include "postgrespkistore.h"
#include "sqlitepkistore.h"
#include "x509codec.h"

namespace SeaCat {

PkiService::PkiService(CertificateAuthority ca, std::unique_ptr<PkiStore> store, PkiPolicy policy, QObject *parent)
    : QObject(parent), m_ca(std::move(ca)), m_store(std::move(store)), m_policy(policy),
      m_csrBudget(TokenBucket::perSecond(policy.globalCsrBurst, policy.globalCsrPerSecond))
{
    // A renewed certificate must not be due for renewal itself, or every CSR of a known key
    // would be "due" the moment its certificate was issued (issue 8: the same CSR approved
    // 1 000 times with a window as long as the validity).
    m_policy.renewalWindowDays = qMin(policy.renewalWindowDays, policy.validityDays / 2);
    m_store->setExternalChangeHandler([this] { emit externalChange(); });
}

PkiService::~PkiService() = default;

std::unique_ptr<PkiStore> PkiService::openStore(const QString &store, const QString &dataDir, QString *error,
                                                int busyTimeoutMs)
{
    std::unique_ptr<PkiStore> opened;
    if (PostgresPkiStore::isPostgresUrl(store))
        opened = std::make_unique<PostgresPkiStore>(store, busyTimeoutMs);
    else
        opened = std::make_unique<SqlitePkiStore>(dataDir + u'/' + SqlitePkiStore::FileName, busyTimeoutMs);
    if (QString e = opened->open(); !e.isEmpty()) {
        *error = e;
        return nullptr;
    }
    return opened;
}

std::unique_ptr<PkiService> PkiService::open(CertificateAuthority ca, const QString &store, const QString &dataDir,
                                             PkiPolicy policy, QString *error, int busyTimeoutMs)
{
    auto opened = openStore(store, dataDir, error, busyTimeoutMs);
    return opened ? std::make_unique<PkiService>(std::move(ca), std::move(opened), policy) : nullptr;
}

QString PkiService::storeName(const QString &store)
{
    return PostgresPkiStore::isPostgresUrl(store) ? PostgresPkiStore::displayUrl(store) : SqlitePkiStore::FileName;
}

bool PkiService::issueFor(const CsrDetails &csr, qint64 csrId, CertificateInfo *issued, QString *error)
{
    CertificateInfo info;
    const bool ok = m_store->transaction([&] {
        const quint64 serial = m_store->allocateSerial();
        const auto cert = serial ? m_ca.issue(csr, serial, m_policy.validityDays, error) : std::nullopt;
        if (!cert)
            return false;
        info.serial = cert->serial;
        info.clientId = csr.client.id;
        info.clientTag = csr.client.tag;
        info.subject = cert->subject;
        info.der = cert->der;
        info.notBefore = cert->notBefore;
        info.notAfter = cert->notAfter;
        return m_store->addCertificate(info) && (csrId == 0 || m_store->setCsrState(csrId, CsrInfo::State::Approved));
    });
    if (!ok) {
        if (error->isEmpty())
            *error = QStringLiteral("certificate store: %1").arg(m_store->lastError());
        return false;
    }
    if (issued)
        *issued = info;
    m_knownCertificates.insert(info.serial, info);
    emit certificateIssued(info);
    return true;
}

QList<CertificateInfo> PkiService::certificates()
{
    const quint64 failuresBefore = m_store->failures();
    QList<CertificateInfo> list = m_store->certificates();
    if (m_store->failures() == failuresBefore) {
        m_knownCertificates.clear();
        for (const CertificateInfo &certificate : std::as_const(list))
            m_knownCertificates.insert(certificate.serial, certificate);
    }
    return list;
}

bool PkiService::storeFailedSince(quint64 failuresBefore)
{
    if (m_store->failures() == failuresBefore)
        return false;
    m_storeRest.setRemainingTime(Limits::PkiStoreRetryMs);
    return true;
}

PkiService::CsrResult PkiService::unavailable(CsrResult result, const QString &why)
{
    // Issue 16 item 3: a store that did not answer is never a rejection (0x04 is fatal for the
    // C-Core, §3.9). No reply now; the session retries, and the client resends after 20 s.
    result.outcome = CsrOutcome::Unavailable;
    result.limit = CsrLimit::None;
    result.message = why;
    return result;
}

PkiService::CsrResult PkiService::submitCsr(const QByteArray &der, const CsrContext &context)
{
    CsrResult result;
    const QString &actor = context.actor;
    // Issue 8 item 5: the budget is checked before the CSR costs a parse or a write.
    if (der.size() > m_policy.maxCsrBytes) {
        result.limit = CsrLimit::Size;
        result.message = QStringLiteral("CSR from %1 rejected: %2 bytes, more than max-csr-bytes (%3)")
                             .arg(actor)
                             .arg(der.size())
                             .arg(m_policy.maxCsrBytes);
        return result;
    }
    if (!context.retry && !m_csrBudget.take()) {
        result.outcome = CsrOutcome::Refused;
        result.limit = CsrLimit::GlobalRate;
        result.message =
            QStringLiteral("CSR from %1 refused: the gateway-wide CSR rate (csr-global-rate) is spent").arg(actor);
        return result;
    }
    if (isStoreResting())
        return unavailable(result, QStringLiteral("CSR from %1 deferred: the certificate store is busy").arg(actor));
    QString error;
    const auto details = CertificateAuthority::inspectCsr(der, &error);
    if (!details) {
        result.message = QStringLiteral("CSR from %1 rejected: %2").arg(actor, error);
        m_store->audit(actor, QStringLiteral("csr-invalid"), QString(), error);
        return result;
    }
    result.client = details->client;
    const QString &clientId = details->client.id;
    const QString tag = details->client.tag;
    // One session, one client: a connection that enrols a second key is a CSR bomb.
    const QString sessionKey = context.sessionKey.isEmpty() ? context.authenticatedClientId : context.sessionKey;
    if (!sessionKey.isEmpty() && sessionKey != clientId) {
        result.outcome = CsrOutcome::Refused;
        result.limit = CsrLimit::OneKeyPerSession;
        result.message =
            QStringLiteral("CSR of %1 from %2 refused: this connection enrols another key already").arg(tag, actor);
        return result;
    }

    const quint64 failuresBefore = m_store->failures();
    // Revocation and rejection stick to the key: re-submitting does not undo them.
    const auto lastCert = m_store->latestCertificateFor(clientId);
    const auto lastCsr = m_store->latestCsrFor(clientId);
    if (storeFailedSince(failuresBefore))
        return unavailable(result, QStringLiteral("CSR of %1 deferred: %2").arg(tag, m_store->lastError()));
    if ((lastCert && lastCert->isRevoked()) || (lastCsr && lastCsr->state == CsrInfo::State::Rejected)) {
        result.message =
            QStringLiteral("CSR of %1 refused: this key was %2")
                .arg(tag, lastCert && lastCert->isRevoked() ? QStringLiteral("revoked") : QStringLiteral("rejected"));
        return result;
    }
    const bool pendingCsr = lastCsr && lastCsr->state == CsrInfo::State::Pending;

    if (lastCert && lastCert->isValidNow()) {
        // §6.6: renewed inside the window, also under manual approval. Issue 16 item 4: a session
        // that presents this very certificate and sends a CSR wants a new one, whatever the
        // window; the old certificate handed out again would only make the C-Core reconnect
        // and ask again.
        const bool inWindow = QDateTime::currentDateTimeUtc().daysTo(lastCert->notAfter) <= m_policy.renewalWindowDays;
        const bool renewal =
            inWindow || (context.authenticatedClientId == clientId && context.authenticatedSerial == lastCert->serial);
        if (!renewal) {
            // The same key again (or a session presenting an older certificate): answered from
            // the store, nothing issued twice. CERT_QUERY returns the newest certificate.
            result.outcome = pendingCsr ? CsrOutcome::Stored : CsrOutcome::Approved;
            result.message = QStringLiteral("%1 holds certificate %2 already%3")
                                 .arg(tag)
                                 .arg(lastCert->serial)
                                 .arg(pendingCsr ? QStringLiteral("; its renewal waits for approval") : QString());
            return result;
        }
        if (inWindow || m_policy.autoApprove) {
            CertificateInfo issued;
            if (!issueFor(*details, pendingCsr ? lastCsr->id : 0, &issued, &error)) {
                storeFailedSince(failuresBefore);
                return unavailable(result, QStringLiteral("renewal for %1 deferred: %2").arg(tag, error));
            }
            m_store->audit(actor, QStringLiteral("renewed"), tag,
                           QStringLiteral("serial %1 replaces %2").arg(issued.serial).arg(lastCert->serial));
            result.outcome = CsrOutcome::Approved;
            result.message = QStringLiteral("renewed the certificate of %1: serial %2").arg(tag).arg(issued.serial);
            return result;
        }
        // Manual approval outside the window: the renewal waits like any CSR, and CERT_QUERY
        // answers "pending" meanwhile, not the old certificate.
    }

    qint64 id = 0;
    if (pendingCsr && lastCsr->der == der) {
        // The same CSR again: answered from the store, nothing written.
        id = lastCsr->id;
        if (!m_policy.autoApprove) {
            result.outcome = CsrOutcome::Stored;
            result.message = QStringLiteral("CSR %1 of %2 waits for approval already").arg(id).arg(tag);
            return result;
        }
    } else {
        // Issue 8 item 5: a global cap on what waits for an administrator. A key that has a
        // pending CSR replaces it and adds nothing.
        if (!pendingCsr) {
            const int pending = m_store->pendingCsrCount();
            if (storeFailedSince(failuresBefore))
                return unavailable(result, QStringLiteral("CSR of %1 deferred: %2").arg(tag, m_store->lastError()));
            if (pending >= m_policy.maxPendingCsrs) {
                result.outcome = CsrOutcome::Refused;
                result.limit = CsrLimit::PendingCap;
                result.message =
                    QStringLiteral("CSR of %1 from %2 refused: %3 CSRs wait for approval (max-pending-csrs)")
                        .arg(tag, actor)
                        .arg(pending);
                return result;
            }
        }
        CsrInfo csr;
        csr.clientId = clientId;
        csr.clientTag = tag;
        csr.subject = details->subject;
        csr.keyType = details->keyType;
        csr.der = der;
        csr.state = CsrInfo::State::Pending;
        // The CSR and its audit line in one transaction: a "stored" answer is on disk.
        const bool stored = m_store->transaction([&] {
            id = m_store->putCsr(csr);
            return id != 0 && m_store->audit(actor, QStringLiteral("csr-received"), QString::number(id), tag);
        });
        if (!stored) {
            storeFailedSince(failuresBefore);
            return unavailable(
                result, QStringLiteral("CSR of %1 deferred: cannot store it: %2").arg(tag, m_store->lastError()));
        }
        csr.id = id;
        csr.received = QDateTime::currentDateTimeUtc();
        emit csrReceived(csr);
        if (!m_policy.autoApprove) {
            result.outcome = CsrOutcome::Stored;
            result.message =
                QStringLiteral("CSR %1 of %2 (%3, %4) waits for approval")
                    .arg(id)
                    .arg(tag, csr.keyType, csr.subject.isEmpty() ? QStringLiteral("empty subject") : csr.subject);
            return result;
        }
    }
    CertificateInfo issued;
    if (!issueFor(*details, id, &issued, &error)) {
        // Stored, not issued: no answer yet. The retry (or the client's resend after 20 s)
        // finds the stored CSR above and issues then.
        storeFailedSince(failuresBefore);
        return unavailable(result, QStringLiteral("auto-approval of CSR %1 deferred: %2").arg(id).arg(error));
    }
    m_store->audit(QStringLiteral("policy:auto"), QStringLiteral("approved"), QString::number(id),
                   QStringLiteral("serial %1").arg(issued.serial));
    result.outcome = CsrOutcome::Approved;
    result.message =
        QStringLiteral("CSR %1 of %2 approved automatically: serial %3").arg(id).arg(tag).arg(issued.serial);
    return result;
}

PkiService::CertAnswer PkiService::queryCertificate(const QString &clientId, QByteArray *der)
{
    if (clientId.isEmpty())
        return CertAnswer::Pending;
    const auto cert = m_store->latestCertificateFor(clientId);
    const auto csr = m_store->latestCsrFor(clientId);
    // A pending CSR of a key that holds a certificate is a renewal waiting for approval: the
    // old certificate is no answer to it (issue 16 item 4).
    if (csr && csr->state == CsrInfo::State::Pending)
        return CertAnswer::Pending;
    if (cert && cert->isValidNow()) {
        *der = cert->der;
        return CertAnswer::Certificate;
    }
    // README "CERT_QUERY": 0x80 only for rejected or revoked; unknown or pending → "pending".
    // A store that did not answer also reads as "pending": the client polls again.
    if (cert && cert->isRevoked())
        return CertAnswer::NotFound;
    return csr && csr->state == CsrInfo::State::Rejected ? CertAnswer::NotFound : CertAnswer::Pending;
}

std::optional<CertificateInfo> PkiService::authenticate(const QByteArray &der, QString *why)
{
    if (!m_ca.verify(der)) {
        *why = QStringLiteral("not issued by this gateway's CA, or outside its validity");
        return std::nullopt;
    }
    CertPtr cert = certFromDer(der);
    uint64_t value = 0;
    if (!cert || ASN1_INTEGER_get_uint64(&value, X509_get0_serialNumber(cert.get())) != 1) {
        *why = QStringLiteral("unreadable serial number");
        return std::nullopt;
    }
    // Asked even while writes rest: a read neither waits for a writer (WAL; PostgreSQL) nor
    // reconnects more than once a second, and a fresher answer than memory is worth it.
    const quint64 failuresBefore = m_store->failures();
    auto stored = m_store->certificate(value);
    if (storeFailedSince(failuresBefore)) {
        // The store does not answer: a certificate known from its last answer still counts,
        // so clients of an array keep authenticating through a database outage.
        const auto known = m_knownCertificates.constFind(value);
        if (known == m_knownCertificates.cend()) {
            *why = QStringLiteral("serial %1 cannot be checked: the certificate store does not answer").arg(value);
            return std::nullopt;
        }
        stored = *known;
    }
    if (!stored || stored->der != der) {
        *why = QStringLiteral("serial %1 is not in the certificate store").arg(value);
        return std::nullopt;
    }
    if (!stored->isValidNow()) {
        *why = stored->isRevoked() ? QStringLiteral("serial %1 is revoked").arg(value)
                                   : QStringLiteral("serial %1 has expired").arg(value);
        return std::nullopt;
    }
    return stored;
}

std::optional<CertificateInfo> PkiService::certificateIfValid(quint64 serial)
{
    const auto cert = m_store->certificate(serial);
    return cert && cert->isValidNow() ? cert : std::nullopt;
}

QString PkiService::approve(qint64 csrId, const QString &actor, CertificateInfo *issued)
{
    const auto csr = m_store->csr(csrId);
    if (!csr)
        return QStringLiteral("no CSR %1").arg(csrId);
    if (csr->state != CsrInfo::State::Pending)
        return QStringLiteral("CSR %1 is %2 already").arg(csrId).arg(toString(csr->state));
    QString error;
    const auto details = CertificateAuthority::inspectCsr(csr->der, &error);
    CertificateInfo info;
    if (!details || !issueFor(*details, csrId, &info, &error))
        return QStringLiteral("cannot approve CSR %1: %2").arg(csrId).arg(error);
    m_store->audit(actor, QStringLiteral("approved"), QString::number(csrId),
                   QStringLiteral("serial %1").arg(info.serial));
    if (issued)
        *issued = info;
    return {};
}

QString PkiService::reject(qint64 csrId, const QString &actor)
{
    const auto csr = m_store->csr(csrId);
    if (!csr)
        return QStringLiteral("no CSR %1").arg(csrId);
    if (csr->state != CsrInfo::State::Pending)
        return QStringLiteral("CSR %1 is %2 already").arg(csrId).arg(toString(csr->state));
    if (!m_store->transaction([&] {
            return m_store->setCsrState(csrId, CsrInfo::State::Rejected) &&
                   m_store->audit(actor, QStringLiteral("rejected"), QString::number(csrId), csr->clientTag);
        }))
        return QStringLiteral("cannot reject CSR %1: %2").arg(csrId).arg(m_store->lastError());
    return {};
}

QString PkiService::revoke(quint64 serial, const QString &actor)
{
    const auto cert = m_store->certificate(serial);
    if (!cert)
        return QStringLiteral("no certificate with serial %1").arg(serial);
    if (!m_store->transaction([&] {
            return m_store->revoke(serial) &&
                   m_store->audit(actor, QStringLiteral("revoked"), QString::number(serial), cert->clientTag);
        }))
        return QStringLiteral("cannot revoke %1: %2").arg(serial).arg(m_store->lastError());
    if (auto known = m_knownCertificates.find(serial); known != m_knownCertificates.end())
        known->revoked = QDateTime::currentDateTimeUtc();
    emit certificateRevoked(serial, cert->clientId);
    return {};
}

bool PkiService::storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob)
{
    if (clientId.isEmpty() || isStoreResting())
        return false;
    if (m_store->putTelemetry(clientId, serial, blob))
        return true;
    m_storeRest.setRemainingTime(Limits::PkiStoreRetryMs);
    return false;
}

} // namespace SeaCat
