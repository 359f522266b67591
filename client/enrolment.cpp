#include "enrolment.h"
#include "atomicfile.h"
#include "pki/x509codec.h"

#include <QDir>
#include <QFile>

namespace SeaCat::Enrolment {

KeyPtr loadOrCreateKey(const QString &dir, KeyType type, QString *error)
{
    clearOpenSslErrors();
    const QString path = dir + u'/' + KeyFile;
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly)) {
        KeyPtr key = keyFromPem(existing.readAll());
        if (!key)
            *error = QStringLiteral("%1 holds no private key: move it away to create a new identity").arg(path);
        return key;
    }
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create %1").arg(dir);
        return nullptr;
    }
    QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    KeyPtr key = generateKey(type);
    const QByteArray pem = key ? keyToPem(key.get()) : QByteArray();
    if (pem.isEmpty()) {
        *error = openSslFailure(QStringLiteral("OpenSSL could not generate a key"));
        return nullptr;
    }
    if (QString e = writeFileAtomically(path, pem, PrivateFileMode); !e.isEmpty()) {
        *error = e;
        return nullptr;
    }
    return key;
}

QByteArray makeCsr(EVP_PKEY *key, const QString &subject, QString *error, int version, const char *digest)
{
    clearOpenSslErrors();
    ReqPtr req(X509_REQ_new());
    if (!req) {
        *error = openSslFailure(QStringLiteral("OpenSSL could not create a CSR"));
        return {};
    }
    X509_NAME *name = X509_REQ_get_subject_name(req.get());
    for (const QString &part : subject.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype eq = part.indexOf(u'=');
        const QByteArray field = part.left(qMax<qsizetype>(0, eq)).trimmed().toLatin1();
        const QByteArray value = part.mid(eq + 1).trimmed().toUtf8();
        if (eq <= 0 || X509_NAME_add_entry_by_txt(name, field.constData(), MBSTRING_UTF8,
                                                  reinterpret_cast<const uchar *>(value.constData()), int(value.size()),
                                                  -1, 0) != 1) {
            *error = QStringLiteral("bad subject part '%1' (use e.g. CN=device-1,O=Example)").arg(part);
            return {};
        }
    }
    const EVP_MD *md = EVP_get_digestbyname(digest);
    if (X509_REQ_set_version(req.get(), version) != 1 || X509_REQ_set_pubkey(req.get(), key) != 1 || !md ||
        X509_REQ_sign(req.get(), key, md) <= 0) {
        *error = openSslFailure(QStringLiteral("OpenSSL could not sign the CSR"));
        return {};
    }
    unsigned char *der = nullptr;
    const int n = i2d_X509_REQ(req.get(), &der);
    QByteArray out(reinterpret_cast<const char *>(der), qMax(0, n));
    OPENSSL_free(der);
    return out;
}

QString saveCertificate(const QString &dir, const QByteArray &der)
{
    CertPtr cert = certFromDer(der);
    if (!cert)
        return QStringLiteral("the gateway sent a certificate that does not parse");
    return writeFileAtomically(dir + u'/' + CertFile, certToPem(cert.get()), PrivateFileMode);
}

} // namespace SeaCat::Enrolment
