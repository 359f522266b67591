// The admin API's HTTP client for one-shot commands (`seacat-gateway ctl`): one request at a
// time, blocking in a local event loop up to a deadline, which is what a CLI wants.
#pragma once

#include "admin/adminidentity.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QUrl>
#include <QUrlQuery>

struct AdminResponse {
    int status = 0;  // HTTP status; 0 when no answer came
    QString failure; // why no answer came (connection refused, timed out, ...)
    QByteArray body;
    QJsonObject json() const;
    bool isSuccess() const { return status >= 200 && status < 300; }
    // The gateway's own words for an error status ("error" in its JSON), else the status.
    QString errorMessage() const;
};

class AdminClient final
{
public:
    // `base`: http://HOST:PORT of the admin listener, or https:// with an identity.
    AdminClient(const QUrl &base, int timeoutMs);
    // Mutual TLS with a workstation identity directory (SeaCat::AdminIdentity). "" or what is missing.
    QString setIdentity(const QString &directory) { return m_identity.load(directory); }

    AdminResponse get(const QString &path, const QUrlQuery &query = {});
    AdminResponse post(const QString &path, const QJsonObject &body = {});
    AdminResponse remove(const QString &path);

private:
    QNetworkRequest request(const QString &path, const QUrlQuery &query = {}) const;
    AdminResponse wait(QNetworkReply *reply);

    QUrl m_base;
    int m_timeoutMs;
    SeaCat::AdminIdentity m_identity;
    QNetworkAccessManager m_manager;
};
