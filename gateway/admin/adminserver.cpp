#include "adminserver.h"
#include "../portpolicy.h"
#include "adminapi.h"
#include "metricsexposition.h"

#include <QHttpServerResponse>
#include <QSslSocket>
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
    AdminTcpServer(AdminServer::Budget budget, std::optional<AdminServer::Tls> tls, QObject *parent)
        : QTcpServer(parent), m_budget(budget), m_tls(std::move(tls))
    { }
    int connectionCount() const { return int(m_connections.size()); }
    // Closes the TLS connections whose certificate is no longer admitted.
    void recheckAdmissions()
    {
        for (QTcpSocket *socket : m_connections)
            if (auto *tls = qobject_cast<QSslSocket *>(socket);
                tls && tls->isEncrypted() && !m_tls->isAdmitted(tls->peerCertificate()))
                tls->abort();
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        QTcpSocket *socket = m_tls ? new QSslSocket(this) : new QTcpSocket(this);
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
            // A request starts with its method (RFC 9112 §3: a token, upper case for every one
            // this listener serves). Anything else, SeaCat framing say, is refused at its first
            // byte: Qt's HTTP server 6.4 waits for more of a binary preamble until the idle timeout.
            char first = 0;
            if (*unanswered == 0 && socket->peek(&first, 1) == 1 && !(first >= 'A' && first <= 'Z')) {
                socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                socket->disconnectFromHost();
                socket->readAll(); // Qt's HTTP server sees none of it
                return;
            }
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
        if (!m_tls)
            return addPendingConnection(socket); // Qt's HTTP server takes it from here
        // Mutual TLS first; the idle timer bounds the handshake. A peer without a certificate
        // of the admin CA fails the handshake (VerifyPeer); one the registry does not list is
        // closed right after it.
        auto *tls = static_cast<QSslSocket *>(socket);
        tls->setSslConfiguration(m_tls->configuration);
        connect(tls, &QSslSocket::encrypted, this, [this, tls] {
            if (m_tls->isAdmitted(tls->peerCertificate()))
                addPendingConnection(tls);
            else
                tls->abort();
        });
        tls->startServerEncryption();
    }

private:
    AdminServer::Budget m_budget;
    std::optional<AdminServer::Tls> m_tls;
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

void AdminServer::setTls(const QSslConfiguration &tls, Admission isAdmitted)
{
    m_tls = Tls{tls, std::move(isAdmitted)};
    m_recheckTimer.setInterval(AdmittedRecheckMs);
    connect(&m_recheckTimer, &QTimer::timeout, this, [this] {
        if (m_server)
            m_server->recheckAdmissions();
    });
    m_recheckTimer.start();
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
    auto *server = new AdminTcpServer(m_budget, m_tls, this);
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
