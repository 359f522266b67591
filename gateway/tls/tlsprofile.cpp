#include "tlsprofile.h"
#include "pki/gatewayidentity.h"

#include <QSslCipher>

namespace SeaCat::TlsProfile {

QSslConfiguration server(const GatewayIdentity &identity)
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    // The chain given, as OpenSSL would build it (leaf, CA): otherwise it builds it again for
    // every handshake, a certificate verification each (X509_verify_cert, 6 % of a handshake).
    if (identity.caCertificate.isNull())
        tls.setLocalCertificate(identity.serverCertificate);
    else
        tls.setLocalCertificateChain({identity.serverCertificate, identity.caCertificate});
    tls.setPrivateKey(identity.serverKey);
    tls.setPeerVerifyMode(QSslSocket::QueryPeer);
    tls.setCaCertificates({identity.caCertificate});
    // SeaCat clients send no ALPN (§6.1); browsers that offer h2 get an HTTP/2 rejection.
    tls.setAllowedNextProtocols({QSslConfiguration::ALPNProtocolHTTP2, QSslConfiguration::NextProtocolHttp1_1});
    QList<QSslCipher> ciphers;
    // Names this OpenSSL does not know are left out (a null QSslCipher), as OpenSSL itself would.
    for (const char *name : Tls13Ciphers)
        if (const QSslCipher cipher(QString::fromLatin1(name)); !cipher.isNull())
            ciphers.append(cipher);
    for (const char *name : Tls12Ciphers)
        if (const QSslCipher cipher(QString::fromLatin1(name)); !cipher.isNull())
            ciphers.append(cipher);
    tls.setCiphers(ciphers);
    return tls;
}

QSslConfiguration stockClient(const QList<QSslCertificate> &caCertificates)
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2);
    tls.setCiphers({QSslCipher(QString::fromLatin1(StockClientCipher))});
    tls.setCaCertificates(caCertificates);
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    tls.setSslOption(QSsl::SslOptionDisableServerNameIndication, true);
    return tls;
}

} // namespace SeaCat::TlsProfile
