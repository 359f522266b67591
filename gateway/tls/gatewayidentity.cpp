#include "gatewayidentity.h"
#include "atomicfile.h"
#include "../pki/opensslptr.h"

#include <QDir>
#include <QFile>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>


namespace SeaCat {

namespace {

constexpr int CaValidityDays = 3650;
constexpr int ServerValidityDays = 825;   // the common ceiling for TLS server certificates
constexpr int ServerRenewBeforeDays = 30;
constexpr long ClockSkewSeconds = 3600;   // notBefore in the past tolerates client clock skew

// Issues a certificate for `key` named `commonName`, signed by `issuerKey`; self-signed when
// `issuer` is null. Serials are random, positive and at most 63 bits (§3.8 recommends ≤ 64).
CertPtr issue(EVP_PKEY *key, const QString &commonName, X509 *issuer, EVP_PKEY *issuerKey, bool isCa)
{
    CertPtr cert(X509_new());
    unsigned char serialBytes[8];
    if (!cert || RAND_bytes(serialBytes, sizeof serialBytes) != 1)
        return nullptr;
    serialBytes[0] &= 0x7F;
    BigNumPtr serial(BN_bin2bn(serialBytes, sizeof serialBytes, nullptr));
    X509_NAME *name = X509_get_subject_name(cert.get());
    const QByteArray cn = commonName.toUtf8();
    const bool ok = X509_set_version(cert.get(), 2) == 1
        && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -ClockSkewSeconds)
        && X509_time_adj_ex(X509_getm_notAfter(cert.get()), isCa ? CaValidityDays : ServerValidityDays, 0, nullptr)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char *>(cn.constData()), int(cn.size()), -1, 0) == 1
        && X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) == 1
        && X509_set_pubkey(cert.get(), key) == 1;
    if (!ok)
        return nullptr;
    X509 *signer = issuer ? issuer : cert.get();
    const bool extOk = isCa
        ? addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
            && addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign")
            && addExtension(cert.get(), signer, NID_subject_key_identifier, "hash")
        : addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE")
            && addExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment")
            && addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth")
            && addExtension(cert.get(), signer, NID_subject_alt_name, ("DNS:" + cn).constData())
            && addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    if (!extOk || X509_sign(cert.get(), issuerKey, EVP_sha256()) <= 0)
        return nullptr;
    return cert;
}

QString commonNameOf(X509 *cert)
{
    char buf[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
    return QString::fromUtf8(buf);
}

bool serverCertIsUsable(X509 *server, EVP_PKEY *serverKey, X509 *ca, EVP_PKEY *caKey, const QString &name, ServerKeyType type)
{
    if (EVP_PKEY_is_a(serverKey, type == ServerKeyType::Rsa2048 ? "RSA" : "EC") != 1)
        return false;
    int days = 0, seconds = 0;
    const bool fresh = ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(server)) == 1
        && days > ServerRenewBeforeDays;
    return fresh && commonNameOf(server) == name && X509_check_private_key(server, serverKey) == 1
        && X509_check_issued(ca, server) == X509_V_OK && X509_verify(server, caKey) == 1;
}

QString writeKeyAndCert(const QString &dir, const QString &keyFile, EVP_PKEY *key,
                        const QString &certFile, X509 *cert)
{
    // The key first: a crash in between leaves a key without a certificate, which the next
    // start replaces, never a certificate without its key.
    QString error = writeFileAtomically(dir + u'/' + keyFile, keyToPem(key), PrivateFileMode);
    if (error.isEmpty())
        error = writeFileAtomically(dir + u'/' + certFile, certToPem(cert), PublicFileMode);
    return error;
}

} // namespace

std::optional<GatewayIdentity> GatewayIdentity::loadOrCreate(const QString &dataDir, const QString &gatewayName,
                                                             QString *error, ServerKeyType keyType)
{
    QDir dir(dataDir);
    if (!dir.exists()) {
        if (!QDir().mkpath(dataDir)) {
            *error = QStringLiteral("cannot create data directory %1: check its parent's permissions or pass --data-dir").arg(dataDir);
            return std::nullopt;
        }
        QFile::setPermissions(dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    const QString path = dir.absolutePath();

    KeyPtr caKey = keyFromPemFile(path + u'/' + CaKeyFile);
    CertPtr ca = certFromPemFile(path + u'/' + CaCertFile);
    if (caKey && ca && X509_check_private_key(ca.get(), caKey.get()) != 1) {
        *error = QStringLiteral("%1 does not belong to %2 in %3: restore the matching pair, or move both away to create a new CA")
                     .arg(CaKeyFile, CaCertFile, path);
        return std::nullopt;
    }
    if (!caKey || !ca) {
        if (QFile::exists(path + u'/' + CaCertFile)) {
            *error = QStringLiteral("%1 exists in %2 but %3 is missing or unreadable: clients trust this CA, so restore its key rather than replacing it")
                         .arg(CaCertFile, path, CaKeyFile);
            return std::nullopt;
        }
        caKey.reset(EVP_RSA_gen(2048));
        ca = caKey ? issue(caKey.get(), gatewayName + QStringLiteral(" SeaCat CA"), nullptr, caKey.get(), true) : nullptr;
        if (!ca) {
            *error = QStringLiteral("OpenSSL could not create the CA certificate");
            return std::nullopt;
        }
        if (QString e = writeKeyAndCert(path, CaKeyFile, caKey.get(), CaCertFile, ca.get()); !e.isEmpty()) {
            *error = e;
            return std::nullopt;
        }
    }

    KeyPtr serverKey = keyFromPemFile(path + u'/' + ServerKeyFile);
    CertPtr server = certFromPemFile(path + u'/' + ServerCertFile);
    if (!serverKey || !server || !serverCertIsUsable(server.get(), serverKey.get(), ca.get(), caKey.get(), gatewayName, keyType)) {
        serverKey.reset(keyType == ServerKeyType::Rsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
        server = serverKey ? issue(serverKey.get(), gatewayName, ca.get(), caKey.get(), false) : nullptr;
        if (!server) {
            *error = QStringLiteral("OpenSSL could not issue the server certificate");
            return std::nullopt;
        }
        if (QString e = writeKeyAndCert(path, ServerKeyFile, serverKey.get(), ServerCertFile, server.get()); !e.isEmpty()) {
            *error = e;
            return std::nullopt;
        }
    }

    GatewayIdentity identity;
    identity.caCertificate = QSslCertificate(certToPem(ca.get()));
    identity.serverCertificate = QSslCertificate(certToPem(server.get()));
    identity.serverKey = QSslKey(keyToPem(serverKey.get()), keyType == ServerKeyType::Rsa2048 ? QSsl::Rsa : QSsl::Ec);
    if (identity.caCertificate.isNull() || identity.serverCertificate.isNull() || identity.serverKey.isNull()) {
        *error = QStringLiteral("Qt could not load the certificates in %1").arg(path);
        return std::nullopt;
    }
    return identity;
}

} // namespace SeaCat
