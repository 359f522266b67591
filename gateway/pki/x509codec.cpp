#include "x509codec.h"

#include <QFile>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace SeaCat {

void clearOpenSslErrors()
{
    ERR_clear_error();
}

QString openSslFailure(const QString &what)
{
    QStringList reasons;
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        reasons << QString::fromLatin1(text);
    }
    return reasons.isEmpty() ? what : what + QStringLiteral(": ") + reasons.join(QStringLiteral("; "));
}

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? QByteArray(data, size) : QByteArray();
}

QByteArray keyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return bioContents(bio.get());
}

QByteArray certToPem(X509 *cert)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        return {};
    return bioContents(bio.get());
}

QByteArray certToDer(X509 *cert)
{
    unsigned char *der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n <= 0)
        return {};
    QByteArray out(reinterpret_cast<const char *>(der), n);
    OPENSSL_free(der);
    return out;
}

KeyPtr keyFromPem(const QByteArray &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

CertPtr certFromPem(const QByteArray &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    return CertPtr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

CertPtr certFromDer(const QByteArray &der)
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
    CertPtr cert(d2i_X509(nullptr, &p, long(der.size())));
    // Trailing bytes after the certificate are not a certificate.
    if (cert && p != reinterpret_cast<const unsigned char *>(der.constData()) + der.size())
        return nullptr;
    return cert;
}

KeyPtr keyFromPemFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? keyFromPem(file.readAll()) : nullptr;
}

CertPtr certFromPemFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? certFromPem(file.readAll()) : nullptr;
}

} // namespace SeaCat
