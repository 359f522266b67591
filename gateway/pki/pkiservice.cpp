#include "pkiservice.h"
#include "sqlitepkistore.h"
#include "x509codec.h"

namespace SeaCat {

PkiService::PkiService(CertificateAuthority ca, std::unique_ptr<PkiStore> store, PkiPolicy policy, QObject *parent)
    : QObject(parent), m_ca(std::move(ca)), m_store(std::move(store)), m_policy(policy)
{
}

PkiService::~PkiService() = default;

std::unique_ptr<PkiService> PkiService::open(CertificateAuthority ca, const QString &dataDir, PkiPolicy policy, QString *error)
{
    auto store = std::make_unique<SqlitePkiStore>(dataDir + u'/' + SqlitePkiStore::FileName);
    if (QString e = store->open(); !e.isEmpty()) {
        *error = e;
        return nullptr;
    }
    return std::make_unique<PkiService>(std::move(ca), std::move(store), policy);
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
    emit certificateIssued(info);
    return true;
}

PkiService::CsrResult PkiService::submitCsr(const QByteArray &der, const QString &actor)
{
    CsrResult result;
    QString error;
    const auto details = CertificateAuthority::inspectCsr(der, &error);
    if (!details) {
        result.message = QStringLiteral("CSR from %1 rejected: %2").arg(actor, error);
        m_store->audit(actor, QStringLiteral("csr-invalid"), QString(), error);
        return result;
    }
    result.client = details->client;
    const QString tag = details->client.tag;

    // Revocation and rejection stick to the key: re-submitting does not undo them.
    const auto lastCert = m_store->latestCertificateFor(details->client.id);
    const auto lastCsr = m_store->latestCsrFor(details->client.id);
    if ((lastCert && lastCert->isRevoked()) || (lastCsr && lastCsr->state == CsrInfo::State::Rejected)) {
        result.message = QStringLiteral("CSR of %1 refused: this key was %2").arg(tag, lastCert && lastCert->isRevoked()
                                                                                         ? QStringLiteral("revoked") : QStringLiteral("rejected"));
        return result;
    }
    // A known key with a valid certificate: renew inside the window (§6.6), else it has one already.
    if (lastCert && lastCert->isValidNow()) {
        const bool renew = QDateTime::currentDateTimeUtc().daysTo(lastCert->notAfter) <= m_policy.renewalWindowDays;
        if (renew && !issueFor(*details, 0, nullptr, &error)) {
            result.message = QStringLiteral("renewal for %1 failed: %2").arg(tag, error);
            return result;
        }
        m_store->audit(actor, renew ? QStringLiteral("renewed") : QStringLiteral("csr-known-key"), tag, QString());
        result.outcome = CsrOutcome::Approved;
        result.message = renew ? QStringLiteral("renewed the certificate of %1").arg(tag)
                               : QStringLiteral("%1 already holds a valid certificate").arg(tag);
        return result;
    }

    CsrInfo csr;
    csr.clientId = details->client.id;
    csr.clientTag = tag;
    csr.subject = details->subject;
    csr.keyType = details->keyType;
    csr.der = der;
    csr.state = CsrInfo::State::Pending;
    const qint64 id = m_store->putCsr(csr);
    if (id == 0) {
        result.message = QStringLiteral("cannot store the CSR of %1: %2").arg(tag, m_store->lastError());
        return result;
    }
    csr.id = id;
    csr.received = QDateTime::currentDateTimeUtc();
    m_store->audit(actor, QStringLiteral("csr-received"), QString::number(id), tag);
    emit csrReceived(csr);
    if (!m_policy.autoApprove) {
        result.outcome = CsrOutcome::Stored;
        result.message = QStringLiteral("CSR %1 of %2 (%3, %4) waits for approval").arg(id).arg(tag, csr.keyType,
                                                                                             csr.subject.isEmpty() ? QStringLiteral("empty subject") : csr.subject);
        return result;
    }
    CertificateInfo issued;
    if (!issueFor(*details, id, &issued, &error)) {
        result.message = QStringLiteral("auto-approval of CSR %1 failed: %2").arg(id).arg(error);
        result.outcome = CsrOutcome::Stored;
        return result;
    }
    m_store->audit(QStringLiteral("policy:auto"), QStringLiteral("approved"), QString::number(id), QStringLiteral("serial %1").arg(issued.serial));
    result.outcome = CsrOutcome::Approved;
    result.message = QStringLiteral("CSR %1 of %2 approved automatically: serial %3").arg(id).arg(tag).arg(issued.serial);
    return result;
}

PkiService::CertAnswer PkiService::queryCertificate(const QString &clientId, QByteArray *der)
{
    if (clientId.isEmpty())
        return CertAnswer::Pending;
    const auto cert = m_store->latestCertificateFor(clientId);
    if (cert && cert->isValidNow()) {
        *der = cert->der;
        return CertAnswer::Certificate;
    }
    // README "CERT_QUERY": 0x80 only for rejected or revoked; unknown or pending → "pending".
    if (cert && cert->isRevoked())
        return CertAnswer::NotFound;
    const auto csr = m_store->latestCsrFor(clientId);
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
    const auto stored = m_store->certificate(value);
    if (!stored || stored->der != der) {
        *why = QStringLiteral("serial %1 is not in the certificate store").arg(value);
        return std::nullopt;
    }
    if (!stored->isValidNow()) {
        *why = stored->isRevoked() ? QStringLiteral("serial %1 is revoked").arg(value) : QStringLiteral("serial %1 has expired").arg(value);
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
    m_store->audit(actor, QStringLiteral("approved"), QString::number(csrId), QStringLiteral("serial %1").arg(info.serial));
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
            return m_store->setCsrState(csrId, CsrInfo::State::Rejected)
                && m_store->audit(actor, QStringLiteral("rejected"), QString::number(csrId), csr->clientTag);
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
            return m_store->revoke(serial) && m_store->audit(actor, QStringLiteral("revoked"), QString::number(serial), cert->clientTag);
        }))
        return QStringLiteral("cannot revoke %1: %2").arg(serial).arg(m_store->lastError());
    emit certificateRevoked(serial, cert->clientId);
    return {};
}

void PkiService::storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob)
{
    if (!clientId.isEmpty() && !m_store->putTelemetry(clientId, serial, blob))
        emit log(QStringLiteral("cannot store telemetry of %1: %2").arg(clientId, m_store->lastError()));
}

} // namespace SeaCat
