// README "Admin over the network": a workstation identity directory (from `seacat-gateway
// admin issue NAME DIR`) as the TLS settings of a request to the admin API: its key and
// certificate, the admin CA as the only trust anchor, the admin server's name checked. Read
// by `seacat-gateway ctl` and by the GUI attached to a remote gateway alike.
#pragma once

#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QString>

namespace SeaCat {

class AdminIdentity final
{
public:
    // "" or what is missing from `directory`.
    QString load(const QString &directory);
    bool isLoaded() const { return !m_serverName.isEmpty(); }
    // Mutual TLS with this identity on `request`; nothing without one (loopback, plain HTTP).
    void apply(QNetworkRequest *request) const;

private:
    QSslConfiguration m_tls;
    QString m_serverName; // empty: no identity
};

} // namespace SeaCat
