// Who may use the admin API from another machine (README "Admin over the network"): a CA of its
// own in DATA_DIR/admin/, apart from the clients' CA, so no certificate issued to a mobile app
// ever chains to it. It signs the admin listener's TLS certificate (CN = ServerNamePrefix + the
// gateway name) and one certificate per workstation, issued by `seacat-gateway admin issue NAME`
// and listed in the registry DATA_DIR/admin/workstations; the listener accepts a workstation only
// while its serial is listed there as issued (an allowlist: a lost or damaged registry locks
// everyone out rather than in). `admin revoke NAME` marks it revoked.
#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <optional>

namespace SeaCat {

class AdminAuthority
{
public:
    static inline const QString Directory = QStringLiteral("admin");
    static inline const QString RegistryFile = QStringLiteral("workstations");
    // The admin server's name, checked by workstations; no workstation may be named like it.
    static inline const QString ServerNamePrefix = QStringLiteral("admin-server.");
    // A workstation identity directory: its key, its certificate, the admin CA, the name to check.
    static inline const QString IdentityCaFile = QStringLiteral("ca.pem");
    static inline const QString IdentityServerNameFile = QStringLiteral("server-name");

    struct ListenerIdentity {
        QSslCertificate ca;
        QSslCertificate server;
        QSslKey serverKey;
    };
    struct Workstation {
        QString name;
        QByteArray serial; // QSslCertificate::serialNumber() form, "0a:1b:..."
        bool revoked = false;
    };

    // Creates DATA_DIR/admin/ (its CA and the listener's certificate) on first use.
    static std::optional<ListenerIdentity> loadOrCreate(const QString &dataDir, const QString &gatewayName,
                                                        QString *error);
    // Writes a workstation identity into `outDir` (key.pem 0600, cert.pem, ca.pem, server-name)
    // and lists it as issued. Refused when NAME is not [A-Za-z0-9._-]{1,64}, is taken by an
    // issued workstation, or `outDir` has a key already.
    static QString issueWorkstation(const QString &dataDir, const QString &gatewayName, const QString &name,
                                    const QString &outDir, Workstation *issued);
    static QString revokeWorkstation(const QString &dataDir, const QString &name);
    // The listener's check of a peer that completed mutual TLS with the admin CA: its serial is
    // listed as issued. Reads the registry each time (a few lines), so a revocation counts at once.
    static bool isAdmitted(const QString &dataDir, const QSslCertificate &peer);
    // The registry; nullopt with `error` when it cannot be read or a line is not SERIAL NAME STATE.
    static std::optional<QList<Workstation>> workstations(const QString &dataDir, QString *error);
};

} // namespace SeaCat
