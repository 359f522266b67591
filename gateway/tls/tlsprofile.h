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

// TLS 1.2 suites the gateway accepts (docs/protocol-decisions.md "TLS"): Mozilla Server Side TLS
// 5.7 "intermediate", in its order (forward secrecy and AEAD only: no static RSA, no CBC-SHA1),
// then the one exception, StockClientCipher: stock SeaCat clients offer nothing else, and it is
// ECDHE with SHA-384 (CBC, but no SHA-1 and not the MAC-then-encrypt of the SHA-1 suites' era).
// With the default RSA key the ECDSA ones never complete; with server-key=ec the RSA ones do not.
// The DHE ones never complete either: the server context has no DH parameters (Qt 6.4 sets none
// and we set none; DHE costs a 2048-bit modexp per handshake and every client that could use it
// has ECDHE). They stay so the list is Mozilla's verbatim; tst_attack checks the exact set.
inline constexpr const char *Tls12Ciphers[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",     "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",     StockClientCipher,
};
// TLS 1.3: OpenSSL 3's defaults, in its order. Qt hands TLS_* names to SSL_CTX_set_ciphersuites,
// so they are listed, or setCiphers() would leave TLS 1.3 to chance.
inline constexpr const char *Tls13Ciphers[] = {
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
};

// The gateway's side: TLS 1.2 and 1.3, its identity, client certificates requested but never
// required (only its CA named, so browsers open no picker), ALPN only to spot HTTP/2.
QSslConfiguration server(const GatewayIdentity &identity);

// A stock client: TLS 1.2, 0xC028 only, no SNI, trusting only `caCertificates`.
QSslConfiguration stockClient(const QList<QSslCertificate> &caCertificates);

} // namespace TlsProfile
} // namespace SeaCat
