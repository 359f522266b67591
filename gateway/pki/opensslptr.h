// unique_ptr deleters for the OpenSSL objects the PKI code holds.
#pragma once

#include <QByteArray>
#include <QString>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace SeaCat {

struct OpenSslFree {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
    void operator()(X509 *p) const { X509_free(p); }
    void operator()(X509_REQ *p) const { X509_REQ_free(p); }
    void operator()(BIO *p) const { BIO_free(p); }
    void operator()(BIGNUM *p) const { BN_free(p); }
    void operator()(X509_NAME *p) const { X509_NAME_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;
using ReqPtr = std::unique_ptr<X509_REQ, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using BigNumPtr = std::unique_ptr<BIGNUM, OpenSslFree>;
using NamePtr = std::unique_ptr<X509_NAME, OpenSslFree>;

QByteArray bioContents(BIO *bio);
QByteArray keyToPem(EVP_PKEY *key);
QByteArray certToPem(X509 *cert);
QByteArray certToDer(X509 *cert);
KeyPtr keyFromPem(const QByteArray &pem);
CertPtr certFromPem(const QByteArray &pem);
CertPtr certFromDer(const QByteArray &der);
// PEM files; null when missing or unreadable.
KeyPtr keyFromPemFile(const QString &path);
CertPtr certFromPemFile(const QString &path);
// Adds one X509v3 extension in OpenSSL's config syntax ("critical,CA:FALSE"), issued by `issuer`.
bool addExtension(X509 *cert, X509 *issuer, int nid, const char *value);

} // namespace SeaCat
