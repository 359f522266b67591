#include "cabundle.h"
#include "../atomicfile.h"
#include "certificateauthority.h"
#include "gatewayidentity.h"
#include "x509codec.h"

#include <QDir>
#include <QFile>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

namespace SeaCat::CaBundle {

namespace {

// OpenSSL's PEM reader skips text before a BEGIN line, so the header travels with the file.
constexpr char Header[] =
    "# seacat-gateway CA bundle: the CA certificate AND ITS PRIVATE KEY.\n"
    "# Whoever holds this file can issue client certificates that every gateway of the array accepts.\n"
    "# Move it only over a channel you trust, import it with `seacat-gateway array import-ca FILE`,\n"
    "# then delete it (shred -u FILE). Never mail it, never commit it.\n";

QString fingerprint(X509 *cert)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(cert, EVP_sha256(), digest, &length) != 1)
        return {};
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(digest), int(length)).toHex(':'));
}

} // namespace

std::optional<QByteArray> exportFrom(const QString &dataDir, QString *error)
{
    const auto ca = CertificateAuthority::load(dataDir, error);
    if (!ca)
        return std::nullopt;
    const QByteArray certPem = ca->caCertificatePem(), keyPem = ca->privateKeyPem();
    CertPtr cert = certFromPem(certPem);
    if (!cert || keyPem.isEmpty()) {
        *error = openSslFailure(QStringLiteral("OpenSSL could not write the CA as PEM"));
        return std::nullopt;
    }
    return QByteArray(Header) + "# CA SHA-256 " + fingerprint(cert.get()).toLatin1() + '\n' + certPem + keyPem;
}

ImportResult importInto(const QString &dataDir, const QByteArray &bundle, QString *message)
{
    clearOpenSslErrors();
    // PEM_read_bio takes the first block of its kind: the certificate and the key, in any order.
    CertPtr cert = certFromPem(bundle);
    KeyPtr key = keyFromPem(bundle);
    if (!cert || !key) {
        *message = QStringLiteral("not a CA bundle: it needs a PEM certificate and its PEM private key (from "
                                  "`seacat-gateway array export-ca`)");
        return ImportResult::Failed;
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        *message = QStringLiteral("the bundle's key does not belong to its certificate");
        return ImportResult::Failed;
    }
    if (X509_check_ca(cert.get()) < 1) {
        *message = QStringLiteral("the bundle's certificate is not a CA certificate");
        return ImportResult::Failed;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0) {
        *message = QStringLiteral("the bundle's CA certificate has expired: clients would not trust it");
        return ImportResult::Failed;
    }
    if (QString problem = GatewayIdentity::accessProblem(dataDir); !problem.isEmpty()) {
        *message = problem;
        return ImportResult::Failed;
    }
    const QString caFile = dataDir + u'/' + GatewayIdentity::CaCertFile;
    if (CertPtr existing = certFromPemFile(caFile)) {
        if (X509_cmp(existing.get(), cert.get()) == 0 && QFile::exists(dataDir + u'/' + GatewayIdentity::CaKeyFile)) {
            *message = QStringLiteral("%1 has this CA already (SHA-256 %2)").arg(dataDir, fingerprint(cert.get()));
            return ImportResult::AlreadyThere;
        }
        *message =
            QStringLiteral("%1 has another CA (SHA-256 %2) that its clients may trust; it is never replaced. "
                           "If no client uses it yet, move %3 and %4 away first")
                .arg(dataDir, fingerprint(existing.get()), GatewayIdentity::CaCertFile, GatewayIdentity::CaKeyFile);
        return ImportResult::Failed;
    }
    if (QFile::exists(caFile)) {
        *message = QStringLiteral("%1 is not a readable certificate; move it away first").arg(caFile);
        return ImportResult::Failed;
    }
    if (!QDir(dataDir).exists()) {
        if (!QDir().mkpath(dataDir)) {
            *message = QStringLiteral("cannot create data directory %1").arg(dataDir);
            return ImportResult::Failed;
        }
        QFile::setPermissions(dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    // The key first, as GatewayIdentity writes them: never a certificate without its key.
    QString error =
        writeFileAtomically(dataDir + u'/' + GatewayIdentity::CaKeyFile, keyToPem(key.get()), PrivateFileMode);
    if (error.isEmpty())
        error = writeFileAtomically(caFile, certToPem(cert.get()), PublicFileMode);
    if (!error.isEmpty()) {
        *message = error;
        return ImportResult::Failed;
    }
    *message = QStringLiteral("imported the CA (SHA-256 %1) into %2; the next start issues this gateway's server "
                              "certificate from it, with its own name")
                   .arg(fingerprint(cert.get()), dataDir);
    return ImportResult::Imported;
}

} // namespace SeaCat::CaBundle
