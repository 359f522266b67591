#include "gatewayidentity.h"
#include "../atomicfile.h"
#include "certificatebuilder.h"
#include "x509codec.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <openssl/x509v3.h>
#include <unistd.h>

namespace SeaCat {

namespace {

constexpr int CaValidityDays = 3650;
constexpr int ServerValidityDays = 825; // the common ceiling for TLS server certificates
constexpr int ServerRenewBeforeDays = 30;

QString commonNameOf(X509 *cert)
{
    char buf[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
    return QString::fromUtf8(buf);
}

bool serverCertIsUsable(X509 *server, EVP_PKEY *serverKey, X509 *ca, EVP_PKEY *caKey, const QString &name, KeyType type)
{
    if (EVP_PKEY_is_a(serverKey, type == KeyType::Rsa2048 ? "RSA" : "EC") != 1)
        return false;
    int days = 0, seconds = 0;
    const bool fresh =
        ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(server)) == 1 && days > ServerRenewBeforeDays;
    return fresh && commonNameOf(server) == name && X509_check_private_key(server, serverKey) == 1 &&
           X509_check_issued(ca, server) == X509_V_OK && X509_verify(server, caKey) == 1;
}

QString writeKeyAndCert(const QString &dir, const QString &keyFile, EVP_PKEY *key, const QString &certFile, X509 *cert)
{
    // The key first: a crash in between leaves a key without a certificate, which the next
    // start replaces, never a certificate without its key.
    const QByteArray keyPem = keyToPem(key);
    const QByteArray certPem = certToPem(cert);
    if (keyPem.isEmpty() || certPem.isEmpty())
        return openSslFailure(QStringLiteral("OpenSSL could not write %1 and %2 as PEM").arg(keyFile, certFile));
    QString error = writeFileAtomically(dir + u'/' + keyFile, keyPem, PrivateFileMode);
    if (error.isEmpty())
        error = writeFileAtomically(dir + u'/' + certFile, certPem, PublicFileMode);
    return error;
}

} // namespace

QString GatewayIdentity::accessProblem(const QString &dataDir)
{
    const QFileInfo info(dataDir);
    if (!info.exists() || !info.isDir() || (info.isReadable() && info.isWritable() && info.isExecutable()))
        return {};
    return QStringLiteral("data directory %1 belongs to %2 and this user (uid %3) cannot read and write it: run as %2 "
                          "(e.g. sudo -u %2 ...) or pass another --data-dir")
        .arg(info.absoluteFilePath(),
             info.owner().isEmpty() ? QStringLiteral("uid %1").arg(info.ownerId()) : info.owner())
        .arg(::geteuid());
}

std::optional<GatewayIdentity> GatewayIdentity::loadOrCreate(const QString &dataDir, const QString &gatewayName,
                                                             QString *error, KeyType keyType)
{
    clearOpenSslErrors();
    if (QString problem = accessProblem(dataDir); !problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    QDir dir(dataDir);
    if (!dir.exists()) {
        if (!QDir().mkpath(dataDir)) {
            *error =
                QStringLiteral("cannot create data directory %1: check its parent's permissions or pass --data-dir")
                    .arg(dataDir);
            return std::nullopt;
        }
        QFile::setPermissions(dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    const QString path = dir.absolutePath();

    KeyPtr caKey = keyFromPemFile(path + u'/' + CaKeyFile);
    CertPtr ca = certFromPemFile(path + u'/' + CaCertFile);
    if (caKey && ca && X509_check_private_key(ca.get(), caKey.get()) != 1) {
        *error = QStringLiteral(
                     "%1 does not belong to %2 in %3: restore the matching pair, or move both away to create a new CA")
                     .arg(CaKeyFile, CaCertFile, path);
        return std::nullopt;
    }
    if (!caKey || !ca) {
        if (QFile::exists(path + u'/' + CaCertFile)) {
            *error = QStringLiteral("%1 exists in %2 but %3 is missing or unreadable: clients trust this CA, so "
                                    "restore its key rather than replacing it")
                         .arg(CaCertFile, path, CaKeyFile);
            return std::nullopt;
        }
        caKey = generateKey(KeyType::Rsa2048);
        CertificateOrder order;
        order.role = CertificateRole::Ca;
        order.subjectKey = caKey.get();
        order.commonName = gatewayName + QStringLiteral(" SeaCat CA");
        order.validityDays = CaValidityDays;
        ca = buildCertificate(order, error);
        if (!ca)
            return std::nullopt;
        if (QString e = writeKeyAndCert(path, CaKeyFile, caKey.get(), CaCertFile, ca.get()); !e.isEmpty()) {
            *error = e;
            return std::nullopt;
        }
    }

    KeyPtr serverKey = keyFromPemFile(path + u'/' + ServerKeyFile);
    CertPtr server = certFromPemFile(path + u'/' + ServerCertFile);
    if (!serverKey || !server ||
        !serverCertIsUsable(server.get(), serverKey.get(), ca.get(), caKey.get(), gatewayName, keyType)) {
        serverKey = generateKey(keyType);
        CertificateOrder order;
        order.role = CertificateRole::Server;
        order.subjectKey = serverKey.get();
        order.commonName = gatewayName;
        order.validityDays = ServerValidityDays;
        order.issuer = ca.get();
        order.issuerKey = caKey.get();
        server = buildCertificate(order, error);
        if (!server)
            return std::nullopt;
        if (QString e = writeKeyAndCert(path, ServerKeyFile, serverKey.get(), ServerCertFile, server.get());
            !e.isEmpty()) {
            *error = e;
            return std::nullopt;
        }
    }

    GatewayIdentity identity;
    identity.caCertificate = QSslCertificate(certToPem(ca.get()));
    identity.serverCertificate = QSslCertificate(certToPem(server.get()));
    identity.serverKey = QSslKey(keyToPem(serverKey.get()), keyType == KeyType::Rsa2048 ? QSsl::Rsa : QSsl::Ec);
    if (identity.caCertificate.isNull() || identity.serverCertificate.isNull() || identity.serverKey.isNull()) {
        *error = QStringLiteral("Qt could not load the certificates in %1").arg(path);
        return std::nullopt;
    }
    identity.authority = CertificateAuthority(std::move(caKey), std::move(ca));
    return identity;
}

} // namespace SeaCat
