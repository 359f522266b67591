// The gateway's CA (spec §3.6–§3.8, §6): checks CSRs and issues client certificates with
// OpenSSL 3's C API. Holds the CA key in memory; GatewayIdentity loads or creates it.
#pragma once

#include "clientidentity.h"

#include <QDateTime>
#include <memory>
#include <optional>

struct x509_st;

namespace SeaCat {

struct CsrDetails {
    QByteArray der;
    ClientKeyId client;
    QString subject; // RFC 2253 text, may be empty (stock clients send none, §6.5)
    QString keyType;
    int version = 0;         // 0 standard, 1 as the C-Core writes it (§6.5)
    QString signatureDigest; // "SHA1", "SHA256", ...
};

struct IssuedCertificate {
    quint64 serial = 0;
    QByteArray der;
    QDateTime notBefore;
    QDateTime notAfter;
    QString subject;
};

class CertificateAuthority
{
public:
    // Takes the CA's key and certificate, already checked to belong together.
    CertificateAuthority(std::shared_ptr<evp_pkey_st> key, std::shared_ptr<x509_st> cert);
    // The CA of an existing data directory (the admin CLI's; the engine's comes from
    // GatewayIdentity, which also creates it).
    static std::optional<CertificateAuthority> load(const QString &dataDir, QString *error);

    // Parses and verifies a DER PKCS#10 request (README "CSR": version 0 or 1, SHA-1 accepted,
    // signature verified, key policy). nullopt with a reason when it is not acceptable.
    static std::optional<CsrDetails> inspectCsr(const QByteArray &der, QString *error);
    // The Client ID of a certificate's key; null for unparsable DER.
    static ClientKeyId clientOfCertificate(const QByteArray &der);

    std::optional<IssuedCertificate> issue(const CsrDetails &csr, quint64 serial, int validityDays,
                                           QString *error) const;
    // Signed by this CA's key and within its validity period now.
    bool verify(const QByteArray &certificateDer) const;
    QByteArray caCertificatePem() const;
    // The CA's private key: only for `array export-ca` (CaBundle), which moves it to another gateway.
    QByteArray privateKeyPem() const;

private:
    std::shared_ptr<evp_pkey_st> m_key;
    std::shared_ptr<x509_st> m_cert;
};

} // namespace SeaCat
