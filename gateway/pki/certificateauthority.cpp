#include "certificateauthority.h"
#include "certificatebuilder.h"
#include "gatewayidentity.h"
#include "x509codec.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

namespace SeaCat {

namespace {

QString nameToString(X509_NAME *name)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    return QString::fromUtf8(bioContents(bio.get()));
}

QDateTime toDateTime(const ASN1_TIME *time)
{
    struct tm t = {};
    if (ASN1_TIME_to_tm(time, &t) != 1)
        return {};
    return QDateTime(QDate(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday), QTime(t.tm_hour, t.tm_min, t.tm_sec), Qt::UTC);
}

} // namespace

CertificateAuthority::CertificateAuthority(std::shared_ptr<EVP_PKEY> key, std::shared_ptr<X509> cert)
    : m_key(std::move(key)), m_cert(std::move(cert))
{ }

QByteArray CertificateAuthority::caCertificatePem() const
{
    return certToPem(m_cert.get());
}

QByteArray CertificateAuthority::privateKeyPem() const
{
    return keyToPem(m_key.get());
}

std::optional<CertificateAuthority> CertificateAuthority::load(const QString &dataDir, QString *error)
{
    clearOpenSslErrors();
    if (QString problem = GatewayIdentity::accessProblem(dataDir); !problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    KeyPtr key = keyFromPemFile(dataDir + u'/' + GatewayIdentity::CaKeyFile);
    CertPtr cert = certFromPemFile(dataDir + u'/' + GatewayIdentity::CaCertFile);
    if (!key || !cert || X509_check_private_key(cert.get(), key.get()) != 1) {
        *error = openSslFailure(QStringLiteral("no usable CA in %1 (%2, %3): start the gateway once to create it")
                                    .arg(dataDir, GatewayIdentity::CaCertFile, GatewayIdentity::CaKeyFile));
        return std::nullopt;
    }
    return CertificateAuthority(std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free),
                                std::shared_ptr<X509>(cert.release(), X509_free));
}

std::optional<CsrDetails> CertificateAuthority::inspectCsr(const QByteArray &der, QString *error)
{
    clearOpenSslErrors();
    const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
    ReqPtr req(d2i_X509_REQ(nullptr, &p, long(der.size())));
    if (!req || p != reinterpret_cast<const unsigned char *>(der.constData()) + der.size()) {
        *error = QStringLiteral("not a DER PKCS#10 request");
        return std::nullopt;
    }
    const long version = X509_REQ_get_version(req.get());
    if (version != 0 && version != 1) { // README "CSR": the C-Core writes 1
        *error = QStringLiteral("unsupported CSR version %1").arg(version);
        return std::nullopt;
    }
    EVP_PKEY *key = X509_REQ_get0_pubkey(req.get());
    if (!key) {
        *error = QStringLiteral("the CSR has no usable public key");
        return std::nullopt;
    }
    if (X509_REQ_verify(req.get(), key) != 1) {
        *error = openSslFailure(QStringLiteral("the CSR signature does not verify"));
        return std::nullopt;
    }
    if (QString violation = keyPolicyViolation(key); !violation.isEmpty()) {
        *error = violation;
        return std::nullopt;
    }
    CsrDetails details;
    details.der = der;
    details.client = clientKeyIdFromKeyBytes(publicKeyBits(key));
    details.subject = nameToString(X509_REQ_get_subject_name(req.get()));
    details.keyType = keyDescription(key);
    details.version = int(version);
    const X509_ALGOR *algorithm = nullptr;
    X509_REQ_get0_signature(req.get(), nullptr, &algorithm);
    int digest = NID_undef;
    OBJ_find_sigid_algs(OBJ_obj2nid(algorithm->algorithm), &digest, nullptr);
    details.signatureDigest = QString::fromLatin1(OBJ_nid2sn(digest));
    return details;
}

ClientKeyId CertificateAuthority::clientOfCertificate(const QByteArray &der)
{
    clearOpenSslErrors();
    CertPtr cert = certFromDer(der);
    return cert ? clientKeyIdFromKeyBytes(publicKeyBits(X509_get0_pubkey(cert.get()))) : ClientKeyId();
}

std::optional<IssuedCertificate> CertificateAuthority::issue(const CsrDetails &csr, quint64 serial, int validityDays,
                                                             QString *error) const
{
    clearOpenSslErrors();
    const unsigned char *p = reinterpret_cast<const unsigned char *>(csr.der.constData());
    ReqPtr req(d2i_X509_REQ(nullptr, &p, long(csr.der.size())));
    if (!req || serial == 0 || serial > quint64(INT64_MAX)) {
        *error = openSslFailure(QStringLiteral("cannot issue: bad request or serial"));
        return std::nullopt;
    }
    CertificateOrder order;
    order.role = CertificateRole::Client;
    order.subjectKey = X509_REQ_get0_pubkey(req.get());
    // Stock clients send an empty subject (§6.5): such a certificate is named by its Client Tag.
    order.subject = X509_REQ_get_subject_name(req.get());
    order.commonName = csr.client.tag;
    order.serial = serial;
    order.validityDays = validityDays;
    order.issuer = m_cert.get();
    order.issuerKey = m_key.get();
    const CertPtr cert = buildCertificate(order, error);
    if (!cert)
        return std::nullopt;
    IssuedCertificate issued;
    issued.serial = serial;
    issued.der = certToDer(cert.get());
    issued.notBefore = toDateTime(X509_get0_notBefore(cert.get()));
    issued.notAfter = toDateTime(X509_get0_notAfter(cert.get()));
    issued.subject = nameToString(X509_get_subject_name(cert.get()));
    return issued;
}

bool CertificateAuthority::verify(const QByteArray &certificateDer) const
{
    clearOpenSslErrors();
    CertPtr cert = certFromDer(certificateDer);
    if (!cert || X509_check_issued(m_cert.get(), cert.get()) != X509_V_OK || X509_verify(cert.get(), m_key.get()) != 1)
        return false;
    return X509_cmp_current_time(X509_get0_notBefore(cert.get())) < 0 &&
           X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0;
}

} // namespace SeaCat
