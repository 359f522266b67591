// Client ID and Client Tag (spec §6.4, README "Identity"): SHA-384 over the contents of the
// subjectPublicKey BIT STRING (= OpenSSL i2d_PublicKey output: PKCS#1 for RSA, the point for EC).
// The same ID comes from a CSR, a certificate, or the key bytes of an anonymous CERT_QUERY.
#pragma once

#include <QByteArray>
#include <QString>

struct evp_pkey_st;

namespace SeaCat {

struct ClientKeyId {
    QString id;  // 96 lower-case hex characters
    QString tag; // "[" + base32 of the first 10 bytes of the hash + "]"
    bool isNull() const { return id.isEmpty(); }
};

ClientKeyId clientKeyIdFromKeyBytes(const QByteArray &subjectPublicKeyBits);
// The Client Tag of a Client ID (its 96 hex characters); empty for anything else.
QString clientTagOfId(const QString &clientId);
QByteArray publicKeyBits(evp_pkey_st *key); // empty on failure
QString keyDescription(evp_pkey_st *key);   // "RSA 2048", "EC P-256"
// README "Key size/type" decision: RSA ≥ 2048 or EC P-256/P-384. Empty when acceptable.
QString keyPolicyViolation(evp_pkey_st *key);

} // namespace SeaCat
