#include "adminclient.h"

#include <QEventLoop>
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

QNetworkRequest AdminClient::request(const QString &path, const QUrlQuery &query) const
{
    QUrl url = m_base;
    url.setPath(QStringLiteral("/api/v1/") + path);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    m_identity.apply(&request);
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
