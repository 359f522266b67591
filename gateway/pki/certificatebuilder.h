// The one place certificates are made (spec §3.8, §6): the CA's own, the TLS server's, and
// clients' from their CSRs, each with the extensions of its role.
#pragma once

#include "keytype.h"
#include "opensslptr.h"

#include <QString>

namespace SeaCat {

KeyPtr generateKey(KeyType type);

enum class CertificateRole { Ca, Server, Client };

struct CertificateOrder {
    CertificateRole role = CertificateRole::Client;
    EVP_PKEY *subjectKey = nullptr;
    // The subject: `subject` when set and not empty, else CN = `commonName` (also the server's
    // DNS name).
    X509_NAME *subject = nullptr;
    QString commonName;
    quint64 serial = 0; // 0: a random positive 63-bit serial (§3.8: at most 64 bits)
    int validityDays = 365;
    X509 *issuer = nullptr; // null: self-signed (the CA)
    EVP_PKEY *issuerKey = nullptr;
};

// Null with `error` (OpenSSL's reasons included) on failure.
CertPtr buildCertificate(const CertificateOrder &order, QString *error);

} // namespace SeaCat
