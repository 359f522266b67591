// The gateway's own CA and its TLS server certificate, in the data directory.
// First start creates them; later starts reuse them. The server certificate is issued
// directly by the CA (§6.1: depth 1) with CN = the gateway name, and is re-issued when the
// name or key type changes or it is close to expiry. The files are read once: the CA that
// issues client certificates is built from what was loaded here.
#pragma once

#include "certificateauthority.h"
#include "keytype.h"

#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <optional>

namespace SeaCat {

struct GatewayIdentity {
    QSslCertificate caCertificate;
    QSslCertificate serverCertificate;
    QSslKey serverKey;
    std::optional<CertificateAuthority> authority;

    static inline const QString CaCertFile = QStringLiteral("ca.pem");
    static inline const QString CaKeyFile = QStringLiteral("ca-key.pem");
    static inline const QString ServerCertFile = QStringLiteral("server.pem");
    static inline const QString ServerKeyFile = QStringLiteral("server-key.pem");

    // Empty when this process may read and write `dataDir` (or it does not exist yet); else the
    // permission problem, naming the owner: a directory of another user (a service's, say) must
    // not look like one without a CA, which would invite creating a second one.
    static QString accessProblem(const QString &dataDir);

    // `error` receives a message naming the file and the fix when nullopt is returned.
    static std::optional<GatewayIdentity> loadOrCreate(const QString &dataDir, const QString &gatewayName,
                                                       QString *error, KeyType keyType = KeyType::Rsa2048);
};

} // namespace SeaCat
