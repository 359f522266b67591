#include "certificatebuilder.h"
#include "x509codec.h"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace SeaCat {

namespace {

// notBefore lies this far in the past, so clients whose clocks run behind accept the certificate.
constexpr long ClockSkewSeconds = 3600;

// One X509v3 extension in OpenSSL's config syntax ("critical,CA:FALSE"), issued by `issuer`.
bool addExtension(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    const bool ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

bool addRoleExtensions(X509 *cert, X509 *issuer, CertificateRole role, const QByteArray &dnsName)
{
    switch (role) {
    case CertificateRole::Ca:
        return addExtension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
               addExtension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
               addExtension(cert, issuer, NID_subject_key_identifier, "hash");
    case CertificateRole::Server:
        return addExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
               addExtension(cert, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
               addExtension(cert, issuer, NID_ext_key_usage, "serverAuth") &&
               addExtension(cert, issuer, NID_subject_alt_name, QByteArray("DNS:" + dnsName).constData()) &&
               addExtension(cert, issuer, NID_authority_key_identifier, "keyid:always");
    case CertificateRole::Client:
        return addExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
               addExtension(cert, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
               addExtension(cert, issuer, NID_ext_key_usage, "clientAuth") &&
               addExtension(cert, issuer, NID_authority_key_identifier, "keyid:always");
    }
    return false;
}

BigNumPtr serialNumber(quint64 serial)
{
    if (serial != 0) {
        BigNumPtr bn(BN_new());
        return bn && BN_set_word(bn.get(), static_cast<BN_ULONG>(serial)) == 1 ? std::move(bn) : nullptr;
    }
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return nullptr;
    bytes[0] &= 0x7F;
    bytes[0] |= 0x01; // never zero
    return BigNumPtr(BN_bin2bn(bytes, sizeof bytes, nullptr));
}

} // namespace

KeyPtr generateKey(KeyType type)
{
    return KeyPtr(type == KeyType::Rsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
}

CertPtr buildCertificate(const CertificateOrder &order, QString *error)
{
    const QByteArray cn = order.commonName.toUtf8();
    NamePtr ownName;
    X509_NAME *subject = order.subject;
    if (!subject || X509_NAME_entry_count(subject) == 0) {
        ownName.reset(X509_NAME_new());
        if (!ownName || X509_NAME_add_entry_by_txt(ownName.get(), "CN", MBSTRING_UTF8,
                                                   reinterpret_cast<const unsigned char *>(cn.constData()),
                                                   int(cn.size()), -1, 0) != 1) {
            *error = openSslFailure(QStringLiteral("cannot name the certificate '%1'").arg(order.commonName));
            return nullptr;
        }
        subject = ownName.get();
    }
    CertPtr cert(X509_new());
    const BigNumPtr serial = serialNumber(order.serial);
    X509 *issuer = order.issuer ? order.issuer : cert.get();
    EVP_PKEY *issuerKey = order.issuer ? order.issuerKey : order.subjectKey;
    const bool ok =
        cert && serial && order.subjectKey && issuerKey && X509_set_version(cert.get(), 2) == 1 &&
        BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) &&
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -ClockSkewSeconds) &&
        X509_time_adj_ex(X509_getm_notAfter(cert.get()), order.validityDays, 0, nullptr) &&
        X509_set_subject_name(cert.get(), subject) == 1 &&
        X509_set_issuer_name(cert.get(), order.issuer ? X509_get_subject_name(order.issuer) : subject) == 1 &&
        X509_set_pubkey(cert.get(), order.subjectKey) == 1 && addRoleExtensions(cert.get(), issuer, order.role, cn) &&
        X509_sign(cert.get(), issuerKey, EVP_sha256()) > 0;
    if (!ok) {
        *error =
            openSslFailure(QStringLiteral("OpenSSL could not issue the certificate for '%1'").arg(order.commonName));
        return nullptr;
    }
    return cert;
}

} // namespace SeaCat
