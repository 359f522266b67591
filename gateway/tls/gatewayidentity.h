// The gateway's own CA and its TLS server certificate, in the data directory.
// First start creates them; later starts reuse them. The server certificate is issued
// directly by the CA (§6.1: depth 1) with CN = the gateway name, and is re-issued when the
// name changes or it is close to expiry.
#pragma once

#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <optional>

namespace SeaCat {

// README "TLS": RSA-2048 by default; EC P-256 allowed, but stock clients offer only
// ECDHE-RSA-AES256-SHA384 and cannot connect to an EC certificate.
enum class ServerKeyType { Rsa2048, EcP256 };

struct GatewayIdentity {
    QSslCertificate caCertificate;
    QSslCertificate serverCertificate;
    QSslKey serverKey;

    static inline const QString CaCertFile = QStringLiteral("ca.pem");
    static inline const QString CaKeyFile = QStringLiteral("ca-key.pem");
    static inline const QString ServerCertFile = QStringLiteral("server.pem");
    static inline const QString ServerKeyFile = QStringLiteral("server-key.pem");

    // `error` receives a message naming the file and the fix when nullopt is returned.
    // A server certificate of another key type or name is re-issued from the same CA.
    static std::optional<GatewayIdentity> loadOrCreate(const QString &dataDir, const QString &gatewayName,
                                                       QString *error, ServerKeyType keyType = ServerKeyType::Rsa2048);
};

} // namespace SeaCat
