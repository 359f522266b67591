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

namespace SeaCat {

class AdminApi;
class AdminTcpServer;

class AdminServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminServer)

public:
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

private:
    void registerRoutes();

    QHttpServer m_http;
    QByteArray m_version;
    Budget m_budget;
    QPointer<AdminTcpServer> m_server;
    QPointer<AdminApi> m_api;
};

} // namespace SeaCat
