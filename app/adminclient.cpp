#include "adminclient.h"

#include <QEventLoop>
#include <QFile>
#include <QSslKey>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTimer>

QJsonObject AdminResponse::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QString AdminResponse::errorMessage() const
{
    const QString message = json().value(QStringLiteral("error")).toString();
    return message.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                             : QStringLiteral("%1 (HTTP %2)").arg(message).arg(status);
}

AdminClient::AdminClient(const QUrl &base, int timeoutMs) : m_base(base), m_timeoutMs(timeoutMs)
{
    // The admin listener is reached directly, never through an http_proxy from the environment.
    m_manager.setProxy(QNetworkProxy::NoProxy);
}

QString AdminClient::setIdentity(const QString &directory)
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
    m_tls = QSslConfiguration::defaultConfiguration();
    m_tls.setProtocol(QSsl::TlsV1_2OrLater);
    m_tls.setLocalCertificate(QSslCertificate(cert));
    m_tls.setPrivateKey(QSslKey(key, QSsl::Ec));
    m_tls.setCaCertificates(QSslCertificate::fromData(ca));
    m_tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    m_serverName = QString::fromUtf8(serverName.trimmed());
    if (m_tls.localCertificate().isNull() || m_tls.privateKey().isNull() || m_tls.caCertificates().isEmpty())
        return QStringLiteral("%1 does not hold a workstation identity (seacat-gateway admin issue NAME DIR)")
            .arg(directory);
    return {};
}

QNetworkRequest AdminClient::request(const QString &path, const QUrlQuery &query) const
{
    QUrl url = m_base;
    url.setPath(QStringLiteral("/api/v1/") + path);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!m_serverName.isEmpty()) {
        request.setSslConfiguration(m_tls);
        request.setPeerVerifyName(m_serverName); // the admin CA's server, whatever address reached it
    }
    return request;
}

AdminResponse AdminClient::get(const QString &path, const QUrlQuery &query)
{
    return wait(m_manager.get(request(path, query)));
}

AdminResponse AdminClient::post(const QString &path, const QJsonObject &body)
{
    return wait(m_manager.post(request(path), QJsonDocument(body).toJson(QJsonDocument::Compact)));
}

AdminResponse AdminClient::remove(const QString &path)
{
    return wait(m_manager.deleteResource(request(path)));
}

AdminResponse AdminClient::wait(QNetworkReply *reply)
{
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, reply, &QNetworkReply::abort);
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    deadline.start(m_timeoutMs);
    if (!reply->isFinished())
        loop.exec();
    AdminResponse response;
    response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    response.body = reply->readAll();
    if (response.status == 0)
        response.failure = deadline.isActive() ? reply->errorString()
                                               : QStringLiteral("no answer within %1 s").arg(m_timeoutMs / 1000);
    reply->deleteLater();
    return response;
}
