// Client-side identity for enrolment (spec §6.4–§6.6): a key pair kept in a directory,
// a PKCS#10 request for it, and the certificate the gateway issues, all stored 0600.
#pragma once

#include "pki/certificatebuilder.h"

#include <QString>

namespace SeaCat::Enrolment {

inline const QString KeyFile = QStringLiteral("key.pem");
inline const QString CertFile = QStringLiteral("cert.pem");

// Loads DIR/key.pem, or creates the directory (0700) and a new key there.
KeyPtr loadOrCreateKey(const QString &dir, KeyType type, QString *error);
// A DER PKCS#10 request. `subject` is "CN=x,O=y" (may be empty, as stock clients send);
// version 1 and "SHA1" reproduce what the C-Core sends (§6.5).
QByteArray makeCsr(EVP_PKEY *key, const QString &subject, QString *error, int version = 0,
                   const char *digest = "SHA256");
// Writes DIR/cert.pem (PEM of `der`) atomically, mode 0600.
QString saveCertificate(const QString &dir, const QByteArray &der);

} // namespace SeaCat::Enrolment
