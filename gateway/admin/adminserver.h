// The admin listener (README "Metrics"): HTTP on Qt's HTTP server, on 127.0.0.1 by default.
// Serves /metrics, and hands everything under /api/ to the AdminApi (setApi()). Lives in the thread that creates it
// (the main thread), never the engine's: a scrape reads the metrics registry and never waits for an engine, and an
// engine never waits for a scrape.
//
// Qt 6.4's HTTP server has no limits of its own, so the TCP side has them (gatewaylimits.h):
// at most MaxAdminConnections at once (the oldest goes at the cap), AdminIdleTimeoutMs without
// a byte either way closes a connection, and MaxAdminRequestBytes unanswered request bytes too.
#pragma once

#include "../gatewaylimits.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <functional>
#include <optional>

namespace SeaCat {

class AdminApi;
class AdminTcpServer;

class AdminServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminServer)

public:
    using Admission = std::function<bool(const QSslCertificate &)>;
    struct Tls {
        QSslConfiguration configuration;
        Admission isAdmitted;
    };
    struct Budget {
        int maxConnections = Limits::MaxAdminConnections;
        int idleTimeoutMs = Limits::AdminIdleTimeoutMs;
        qint64 maxRequestBytes = Limits::MaxAdminRequestBytes;
    };

    // `version`: the gateway's, for seacat_build_info.
    explicit AdminServer(const QByteArray &version, Budget budget, QObject *parent = nullptr);
    explicit AdminServer(const QByteArray &version, QObject *parent = nullptr) : AdminServer(version, Budget{}, parent)
    { }
    ~AdminServer() override;

    // Opens the new listener first and closes the old one only once the new one is bound, as
    // the gateway port moves (connections on the old one finish). False with `error` (naming
    // the address and the fix) when it cannot bind; the old listener, if any, keeps serving.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    void close();
    bool isListening() const;
    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    // Connections open now (for tests of the budget).
    int connectionCount() const;
    // Requests under /api/ go to `api` (not owned; null: 404).
    void setApi(AdminApi *api);

    // README "Admin over the network": every connection accepted from now on must complete
    // mutual TLS with `tls` (its CA list: the admin CA only, VerifyPeer) and present a
    // certificate `isAdmitted` accepts; connections whose certificate it stops accepting (a
    // workstation revoked) are closed within AdmittedRecheckMs. Call before listen().
    void setTls(const QSslConfiguration &tls, Admission isAdmitted);
    static constexpr int AdmittedRecheckMs = 1'000;
    bool hasTls() const { return m_tls.has_value(); }

private:
    void registerRoutes();

    QHttpServer m_http;
    QByteArray m_version;
    Budget m_budget;
    QPointer<AdminTcpServer> m_server;
    QPointer<AdminApi> m_api;
    std::optional<Tls> m_tls;
    QTimer m_recheckTimer;
};

} // namespace SeaCat
