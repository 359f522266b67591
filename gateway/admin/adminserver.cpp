#include "adminserver.h"
#include "../portpolicy.h"
#include "adminapi.h"
#include "metricsexposition.h"

#include <QHttpServerResponse>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <deque>
#include <memory>
#include <unistd.h>

namespace SeaCat {

// The TCP side of the admin listener: every accepted socket gets the budget before Qt's HTTP
// server sees it (its readyRead runs first, so an oversized request is cut before it is parsed).
class AdminTcpServer final : public QTcpServer
{
public:
    AdminTcpServer(AdminServer::Budget budget, QObject *parent) : QTcpServer(parent), m_budget(budget) { }
    int connectionCount() const { return int(m_connections.size()); }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            ::close(int(descriptor));
            return;
        }
        // Qt reads no further ahead than this; the budget check below cuts the connection at it.
        socket->setReadBufferSize(m_budget.maxRequestBytes);
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        idle->start(m_budget.idleTimeoutMs);
        connect(idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        auto unanswered = std::make_shared<qint64>(0);
        connect(socket, &QTcpSocket::readyRead, socket, [this, socket, idle, unanswered] {
            idle->start();
            *unanswered += socket->bytesAvailable();
            if (*unanswered >= m_budget.maxRequestBytes) // queued: Qt's HTTP server still has its readyRead to run
                QMetaObject::invokeMethod(socket, &QTcpSocket::abort, Qt::QueuedConnection);
        });
        connect(socket, &QTcpSocket::bytesWritten, socket, [idle, unanswered] {
            idle->start();
            *unanswered = 0;
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QObject::destroyed, this,
                [this, socket] { m_connections.erase(std::find(m_connections.begin(), m_connections.end(), socket)); });
        m_connections.push_back(socket);
        if (int(m_connections.size()) > m_budget.maxConnections)
            m_connections.front()->abort(); // the oldest: idle scrapers and slow clients go first
        addPendingConnection(socket);       // Qt's HTTP server takes it from here
    }

private:
    AdminServer::Budget m_budget;
    std::deque<QTcpSocket *> m_connections; // oldest first
};

AdminServer::AdminServer(const QByteArray &version, Budget budget, QObject *parent)
    : QObject(parent), m_http(this), m_version(version), m_budget(budget)
{
    registerRoutes();
}

AdminServer::~AdminServer() = default;

void AdminServer::setApi(AdminApi *api)
{
    m_api = api;
}

void AdminServer::registerRoutes()
{
    m_http.route(QStringLiteral("/metrics"), QHttpServerRequest::Method::Get, [this] {
        return QHttpServerResponse(QByteArray(PrometheusContentType),
                                   formatMetrics(Metrics::snapshot(), m_version, QDateTime::currentDateTimeUtc()));
    });
    m_http.setMissingHandler([this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        const QString path = request.url().path();
        if (m_api && path.startsWith(QStringLiteral("/api/")))
            return m_api->handle(request, std::move(responder));
        if (path == u"/metrics")
            return responder.write("/metrics takes GET only\n", {{"Content-Type", "text/plain"}, {"Allow", "GET"}},
                                   QHttpServerResponder::StatusCode::MethodNotAllowed);
        responder.write("not found\n", "text/plain", QHttpServerResponder::StatusCode::NotFound);
    });
}

bool AdminServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    auto *server = new AdminTcpServer(m_budget, this);
    if (!server->listen(address, port)) {
        *error = QStringLiteral("admin listener: %1")
                     .arg(explainBindFailure(address, port, server->serverError(), server->errorString()));
        delete server;
        return false;
    }
    m_http.bind(server);
    // Connections on the old listener are answered and end by themselves (idle timeout).
    if (m_server) {
        m_server->close();
        QTimer::singleShot(m_budget.idleTimeoutMs + 1'000, m_server, &QObject::deleteLater);
    }
    m_server = server;
    return true;
}

void AdminServer::close()
{
    if (m_server)
        m_server->close();
}

bool AdminServer::isListening() const
{
    return m_server && m_server->isListening();
}

QHostAddress AdminServer::serverAddress() const
{
    return m_server ? m_server->serverAddress() : QHostAddress();
}

quint16 AdminServer::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

int AdminServer::connectionCount() const
{
    return m_server ? m_server->connectionCount() : 0;
}

} // namespace SeaCat
