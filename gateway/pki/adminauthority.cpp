#include "adminauthority.h"
#include "../atomicfile.h"
#include "certificatebuilder.h"
#include "gatewayidentity.h"
#include "x509codec.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

namespace SeaCat {

namespace {

constexpr int WorkstationValidityDays = 825;

QString adminDir(const QString &dataDir)
{
    return dataDir + u'/' + AdminAuthority::Directory;
}

QString writeRegistry(const QString &dataDir, const QList<AdminAuthority::Workstation> &list)
{
    QByteArray text = "# seacat-gateway admin workstations: SERIAL NAME issued|revoked (seacat-gateway admin ...)\n";
    for (const AdminAuthority::Workstation &w : list)
        text += w.serial + ' ' + w.name.toUtf8() + ' ' + (w.revoked ? "revoked" : "issued") + '\n';
    return writeFileAtomically(adminDir(dataDir) + u'/' + AdminAuthority::RegistryFile, text, PrivateFileMode);
}

} // namespace

std::optional<AdminAuthority::ListenerIdentity> AdminAuthority::loadOrCreate(const QString &dataDir,
                                                                             const QString &gatewayName, QString *error)
{
    if (!QDir(dataDir).exists() && QDir().mkpath(dataDir)) // as the engine makes it: the owner's only
        QFile::setPermissions(dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    // The same shape as the gateway's own identity (a CA and a server certificate it issued),
    // in a directory of its own.
    const std::optional<GatewayIdentity> identity =
        GatewayIdentity::loadOrCreate(adminDir(dataDir), ServerNamePrefix + gatewayName, error, KeyType::EcP256);
    if (!identity)
        return std::nullopt;
    return ListenerIdentity{identity->caCertificate, identity->serverCertificate, identity->serverKey};
}

std::optional<QList<AdminAuthority::Workstation>> AdminAuthority::workstations(const QString &dataDir, QString *error)
{
    QFile file(adminDir(dataDir) + u'/' + RegistryFile);
    if (!file.exists())
        return QList<Workstation>();
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString());
        return std::nullopt;
    }
    static const QRegularExpression line(
        QStringLiteral("^([0-9a-f]{2}(?::[0-9a-f]{2})*) ([A-Za-z0-9._-]{1,64}) (issued|revoked)$"));
    QList<Workstation> list;
    int number = 0;
    for (const QByteArray &raw : file.readAll().split('\n')) {
        ++number;
        if (raw.isEmpty() || raw.startsWith('#'))
            continue;
        const QRegularExpressionMatch m = line.match(QString::fromUtf8(raw));
        if (!m.hasMatch()) {
            *error = QStringLiteral("%1:%2: not SERIAL NAME issued|revoked").arg(file.fileName()).arg(number);
            return std::nullopt;
        }
        list.append({m.captured(2), m.captured(1).toLatin1(), m.captured(3) == u"revoked"});
    }
    return list;
}

QString AdminAuthority::issueWorkstation(const QString &dataDir, const QString &gatewayName, const QString &name,
                                         const QString &outDir, Workstation *issued)
{
    clearOpenSslErrors();
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!valid.match(name).hasMatch() || name.startsWith(ServerNamePrefix))
        return QStringLiteral("'%1' is not a workstation name: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with %2")
            .arg(name, ServerNamePrefix);
    QString error;
    std::optional<QList<Workstation>> list = workstations(dataDir, &error);
    if (!list)
        return error;
    for (const Workstation &w : std::as_const(*list))
        if (w.name == name && !w.revoked)
            return QStringLiteral("workstation %1 has an issued certificate (serial %2): revoke it first")
                .arg(name, QString::fromLatin1(w.serial));
    if (!loadOrCreate(dataDir, gatewayName, &error))
        return error;
    const QString dir = adminDir(dataDir);
    KeyPtr caKey = keyFromPemFile(dir + u'/' + GatewayIdentity::CaKeyFile);
    CertPtr ca = certFromPemFile(dir + u'/' + GatewayIdentity::CaCertFile);
    if (!caKey || !ca)
        return openSslFailure(QStringLiteral("cannot read the admin CA in %1").arg(dir));
    if (QFile::exists(outDir + QStringLiteral("/key.pem")))
        return QStringLiteral("%1 holds a key already: choose an empty directory").arg(outDir);
    if (!QDir().mkpath(outDir))
        return QStringLiteral("cannot create %1").arg(outDir);
    QFile::setPermissions(outDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    KeyPtr key = generateKey(KeyType::EcP256);
    CertificateOrder order;
    order.role = CertificateRole::Client;
    order.subjectKey = key.get();
    order.commonName = name;
    order.validityDays = WorkstationValidityDays;
    order.issuer = ca.get();
    order.issuerKey = caKey.get();
    CertPtr cert = key ? buildCertificate(order, &error) : nullptr;
    if (!cert)
        return error.isEmpty() ? openSslFailure(QStringLiteral("cannot make a key")) : error;
    const QByteArray certPem = certToPem(cert.get());
    const QSslCertificate qtCert(certPem);
    // The key first, the registry last: a failure in between leaves files that grant nothing.
    for (const auto &[file, data, mode] :
         {std::tuple{QStringLiteral("key.pem"), keyToPem(key.get()), PrivateFileMode},
          std::tuple{QStringLiteral("cert.pem"), certPem, PublicFileMode},
          std::tuple{IdentityCaFile, certToPem(ca.get()), PublicFileMode},
          std::tuple{IdentityServerNameFile, QByteArray((ServerNamePrefix + gatewayName).toUtf8() + '\n'),
                     PublicFileMode}})
        if (QString e = writeFileAtomically(outDir + u'/' + file, data, mode); !e.isEmpty())
            return e;
    Workstation workstation{name, qtCert.serialNumber().toLower(), false};
    list->append(workstation);
    if (QString e = writeRegistry(dataDir, *list); !e.isEmpty())
        return e;
    if (issued)
        *issued = workstation;
    return {};
}

bool AdminAuthority::isAdmitted(const QString &dataDir, const QSslCertificate &peer)
{
    QString error;
    const std::optional<QList<Workstation>> list = workstations(dataDir, &error);
    const QByteArray serial = peer.serialNumber().toLower();
    return list && !peer.isNull() && std::any_of(list->cbegin(), list->cend(), [&serial](const Workstation &w) {
               return w.serial == serial && !w.revoked;
           });
}

QString AdminAuthority::revokeWorkstation(const QString &dataDir, const QString &name)
{
    QString error;
    std::optional<QList<Workstation>> list = workstations(dataDir, &error);
    if (!list)
        return error;
    bool found = false;
    for (Workstation &w : *list)
        if (w.name == name && !w.revoked)
            w.revoked = found = true;
    if (!found)
        return QStringLiteral("no issued workstation named %1").arg(name);
    return writeRegistry(dataDir, *list);
}

} // namespace SeaCat
