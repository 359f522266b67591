// unique_ptr deleters for the OpenSSL objects the PKI code holds. OpenSSL stays inside pki/
// (and the client library): engine headers forward-declare the types they pass on.
#pragma once

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

} // namespace SeaCat
