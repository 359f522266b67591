#include "certificateauthority.h"
#include "../tls/gatewayidentity.h"


#include <openssl/objects.h>
#include <openssl/x509v3.h>

namespace SeaCat {

namespace {
constexpr long ClockSkewSeconds = 3600; // §3.8: notBefore a little in the past

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

std::optional<CertificateAuthority> CertificateAuthority::load(const QString &dataDir, QString *error)
{
    KeyPtr key = keyFromPemFile(dataDir + u'/' + GatewayIdentity::CaKeyFile);
    CertPtr cert = certFromPemFile(dataDir + u'/' + GatewayIdentity::CaCertFile);
    if (!key || !cert || X509_check_private_key(cert.get(), key.get()) != 1) {
        *error = QStringLiteral("no usable CA in %1 (%2, %3): start the gateway once to create it").arg(
            dataDir, GatewayIdentity::CaCertFile, GatewayIdentity::CaKeyFile);
        return std::nullopt;
    }
    CertificateAuthority ca;
    ca.m_key.reset(key.release(), EVP_PKEY_free);
    ca.m_cert.reset(cert.release(), X509_free);
    return ca;
}

std::optional<CsrDetails> CertificateAuthority::inspectCsr(const QByteArray &der, QString *error)
{
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
        *error = QStringLiteral("the CSR signature does not verify");
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
    CertPtr cert = certFromDer(der);
    return cert ? clientKeyIdFromKeyBytes(publicKeyBits(X509_get0_pubkey(cert.get()))) : ClientKeyId();
}

std::optional<IssuedCertificate> CertificateAuthority::issue(const CsrDetails &csr, quint64 serial, int validityDays,
                                                             QString *error) const
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(csr.der.constData());
    ReqPtr req(d2i_X509_REQ(nullptr, &p, long(csr.der.size())));
    CertPtr cert(X509_new());
    BigNumPtr bn(BN_new());
    if (!req || !cert || !bn || serial == 0 || serial > quint64(INT64_MAX)) {
        *error = QStringLiteral("cannot issue: bad request or serial");
        return std::nullopt;
    }
    BN_set_word(bn.get(), static_cast<BN_ULONG>(serial));
    X509_NAME *subject = X509_REQ_get_subject_name(req.get());
    NamePtr fallback;
    if (X509_NAME_entry_count(subject) == 0) {
        // Stock clients send an empty subject (§6.5); name the certificate by its Client Tag.
        fallback.reset(X509_NAME_new());
        const QByteArray tag = csr.client.tag.toLatin1();
        X509_NAME_add_entry_by_txt(fallback.get(), "CN", MBSTRING_ASC, reinterpret_cast<const uchar *>(tag.constData()),
                                   int(tag.size()), -1, 0);
        subject = fallback.get();
    }
    const bool ok = X509_set_version(cert.get(), 2) == 1
        && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -ClockSkewSeconds)
        && X509_time_adj_ex(X509_getm_notAfter(cert.get()), validityDays, 0, nullptr)
        && X509_set_subject_name(cert.get(), subject) == 1
        && X509_set_issuer_name(cert.get(), X509_get_subject_name(m_cert.get())) == 1
        && X509_set_pubkey(cert.get(), X509_REQ_get0_pubkey(req.get())) == 1
        && addExtension(cert.get(), m_cert.get(), NID_basic_constraints, "critical,CA:FALSE")
        && addExtension(cert.get(), m_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment")
        && addExtension(cert.get(), m_cert.get(), NID_ext_key_usage, "clientAuth")
        && addExtension(cert.get(), m_cert.get(), NID_authority_key_identifier, "keyid:always")
        && X509_sign(cert.get(), m_key.get(), EVP_sha256()) > 0;
    if (!ok) {
        *error = QStringLiteral("OpenSSL could not issue the certificate");
        return std::nullopt;
    }
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
    CertPtr cert = certFromDer(certificateDer);
    if (!cert || X509_check_issued(m_cert.get(), cert.get()) != X509_V_OK || X509_verify(cert.get(), m_key.get()) != 1)
        return false;
    return X509_cmp_current_time(X509_get0_notBefore(cert.get())) < 0 && X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0;
}

} // namespace SeaCat
