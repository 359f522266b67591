#include "adminidentity.h"

#include <QFile>
#include <QSslKey>

namespace SeaCat {

QString AdminIdentity::load(const QString &directory)
{
    const auto read = [&directory](const char *name, QByteArray *data) {
        QFile file(directory + u'/' + QLatin1String(name));
        if (!file.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString());
        *data = file.readAll();
        return QString();
    };
    QByteArray cert, key, ca, serverName;
    for (const auto &[name, data] : {std::pair{"cert.pem", &cert}, std::pair{"key.pem", &key}, std::pair{"ca.pem", &ca},
                                     std::pair{"server-name", &serverName}})
        if (QString e = read(name, data); !e.isEmpty())
            return e;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificate(QSslCertificate(cert));
    tls.setPrivateKey(QSslKey(key, QSsl::Ec));
    tls.setCaCertificates(QSslCertificate::fromData(ca));
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    const QString name = QString::fromUtf8(serverName.trimmed());
    if (tls.localCertificate().isNull() || tls.privateKey().isNull() || tls.caCertificates().isEmpty() ||
        name.isEmpty())
        return QStringLiteral("%1 does not hold a workstation identity (seacat-gateway admin issue NAME DIR)")
            .arg(directory);
    m_tls = tls;
    m_serverName = name;
    return {};
}

void AdminIdentity::apply(QNetworkRequest *request) const
{
    if (!isLoaded())
        return;
    request->setSslConfiguration(m_tls);
    request->setPeerVerifyName(m_serverName); // the admin CA's server, whatever address reached it
}

} // namespace SeaCat
