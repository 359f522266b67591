// The TLS profile of README "TLS" (docs/protocol-decisions.md, spec §6.1), written once: what
// the gateway serves and what a stock SeaCat client offers.
#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>

namespace SeaCat {

struct GatewayIdentity;

namespace TlsProfile {

// ECDHE-RSA-AES256-SHA384 (0xC028): the only suite stock SeaCat clients offer (§6.1).
inline constexpr char StockClientCipher[] = "ECDHE-RSA-AES256-SHA384";

// The gateway's side: TLS 1.2 and 1.3, its identity, client certificates requested but never
// required (only its CA named, so browsers open no picker), ALPN only to spot HTTP/2.
QSslConfiguration server(const GatewayIdentity &identity);

// A stock client: TLS 1.2, 0xC028 only, no SNI, trusting only `caCertificates`.
QSslConfiguration stockClient(const QList<QSslCertificate> &caCertificates);

} // namespace TlsProfile
} // namespace SeaCat
