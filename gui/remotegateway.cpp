#include "remotegateway.h"
#include "accesslog/logformat.h"
#include "admin/adminjson.h"
#include "gatewaylimits.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QNetworkReply>

using namespace SeaCat;

RemoteGateway::RemoteGateway(const QUrl &base, QObject *parent) : GatewayLink(parent), m_base(base)
{
    // The admin listener is reached directly, never through an http_proxy from the environment.
    m_manager.setProxy(QNetworkProxy::NoProxy);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RemoteGateway::openStream);
}

RemoteGateway::~RemoteGateway()
{
    if (m_stream) {
        m_stream->disconnect(this); // no linkLost() from a link going away
        m_stream->abort();
    }
}

QNetworkRequest RemoteGateway::request(const QString &path) const
{
    QUrl url = m_base;
    url.setPath(QStringLiteral("/api/v1/") + path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false); // the admin listener speaks HTTP/1.1
    request.setTransferTimeout(CommandTimeoutMs);
    m_identity.apply(&request);
    return request;
}

void RemoteGateway::send(QNetworkReply *reply, Done done)
{
    // The answers are small JSON objects or one PEM; a bigger one is not the admin API's.
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxEventBytes)
            reply->abort();
    });
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->read(MaxEventBytes);
        done(status, body, status == 0 ? reply->errorString() : QString());
        reply->deleteLater();
    });
}

QString RemoteGateway::errorOf(int status, const QByteArray &body, const QString &failure)
{
    if (status == 0)
        return failure;
    const QString message = QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toString();
    return message.isEmpty() ? QStringLiteral("HTTP %1").arg(status) : message;
}

void RemoteGateway::start(const GatewayConfig &)
{
    m_running = true;
    m_backoffMs = FirstBackoffMs;
    openStream();
}

void RemoteGateway::stop()
{
    m_running = false;
    m_retry.stop();
    if (m_stream)
        m_stream->abort();
    setState(State::Stopped);
    emit stopped();
}

void RemoteGateway::openStream()
{
    if (!m_running || m_stream)
        return;
    setState(State::Starting);
    m_buffer.clear();
    QNetworkRequest events = request(QStringLiteral("events"));
    // The gateway writes a keep-alive every AdminEventKeepAliveMs: three missed is a dead link.
    events.setTransferTimeout(3 * Limits::AdminEventKeepAliveMs);
    events.setRawHeader("Accept", "text/event-stream");
    m_stream = m_manager.get(events);
    connect(m_stream, &QNetworkReply::readyRead, this, &RemoteGateway::readStream);
    connect(m_stream, &QNetworkReply::finished, this, &RemoteGateway::streamEnded);
    refreshPki();
}

void RemoteGateway::readStream()
{
    QNetworkReply *stream = m_stream;
    if (!stream)
        return;
    if (const int status = stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(); status != 200) {
        stream->abort(); // a refusal (503: too many streams, 403: ...): streamEnded() says why
        return;
    }
    m_buffer += stream->readAll();
    // One event is "event: NAME\ndata: JSON\n\n"; a comment (": keep-alive") only keeps the link.
    qsizetype end;
    while (m_stream && (end = m_buffer.indexOf("\n\n")) >= 0) {
        const QByteArray block = m_buffer.left(end);
        m_buffer.remove(0, end + 2);
        QByteArray name, data;
        for (const QByteArray &line : block.split('\n')) {
            if (line.startsWith("event: "))
                name = line.mid(7);
            else if (line.startsWith("data: "))
                data = line.mid(6);
        }
        if (!name.isEmpty())
            handleEvent(name, data);
    }
    if (m_buffer.size() > MaxEventBytes)
        stream->abort(); // no event is that big: not the admin API's stream
}

void RemoteGateway::streamEnded()
{
    QNetworkReply *stream = m_stream;
    m_stream = nullptr;
    if (!stream)
        return;
    const int status = stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QString reason = stream->error() == QNetworkReply::NoError ? QStringLiteral("the gateway closed the event stream")
                     : status != 0 && status != 200            ? errorOf(status, stream->readAll(), {})
                                                               : stream->errorString();
    stream->deleteLater();
    if (!m_running)
        return;
    m_sessions.clear();
    setState(State::Starting);
    emit linkLost(reason, m_backoffMs);
    m_retry.start(m_backoffMs);
    m_backoffMs = qMin(2 * m_backoffMs, MaxBackoffMs);
}

void RemoteGateway::handleEvent(const QByteArray &name, const QByteArray &data)
{
    const QJsonDocument document = QJsonDocument::fromJson(data);
    const QJsonObject object = document.object();
    if (name == "snapshot") {
        applySnapshot(object);
    } else if (name == "opened") {
        const SessionInfo info = sessionFromJson(object);
        if (!m_sessions.contains(info.id)) {
            m_sessions.insert(info.id);
            emit sessionOpened(info);
        }
    } else if (name == "closed") {
        const quint64 id = quint64(object.value(QStringLiteral("id")).toDouble());
        if (m_sessions.remove(id))
            emit sessionClosed(id, object.value(QStringLiteral("reason")).toString());
    } else if (name == "sessions") {
        QList<SessionInfo> sessions;
        for (const QJsonValue &session : document.array())
            sessions.append(sessionFromJson(session.toObject()));
        emit sessionsUpdated(sessions);
    } else if (name == "stats") {
        emit statsUpdated(statsFromJson(object));
    } else if (name == "port") {
        setListening(QHostAddress(object.value(QStringLiteral("address")).toString()),
                     quint16(object.value(QStringLiteral("port")).toInt()));
    } else if (name == "pki") {
        refreshPki();
    } else if (name == "log") {
        // The remote gateway's event log; a level this window does not know shows as info.
        emit logMessage(logLevelFromString(object.value(QStringLiteral("level")).toString()).value_or(LogLevel::Info),
                        object.value(QStringLiteral("message")).toString());
    }
}

void RemoteGateway::applySnapshot(const QJsonObject &snapshot)
{
    // Every session the gateway serves now; the ones the window still shows from before and
    // the snapshot lacks have closed meanwhile.
    QSet<quint64> now;
    QList<SessionInfo> sessions;
    for (const QJsonValue &value : snapshot.value(QStringLiteral("sessions")).toArray()) {
        sessions.append(sessionFromJson(value.toObject()));
        now.insert(sessions.last().id);
    }
    for (const quint64 id : std::as_const(m_sessions))
        if (!now.contains(id))
            emit sessionClosed(id, tr("closed while the window was not connected"));
    for (const SessionInfo &info : std::as_const(sessions))
        if (!m_sessions.contains(info.id))
            emit sessionOpened(info);
    m_sessions = now;
    m_backoffMs = FirstBackoffMs;
    const QJsonObject listening = snapshot.value(QStringLiteral("listening")).toObject();
    setListening(QHostAddress(listening.value(QStringLiteral("address")).toString()),
                 quint16(listening.value(QStringLiteral("port")).toInt()));
    emit statsUpdated(statsFromJson(snapshot.value(QStringLiteral("stats")).toObject()));
    send(m_manager.get(request(QStringLiteral("status"))), [this](int status, const QByteArray &body, auto &) {
        const QJsonObject answer = QJsonDocument::fromJson(body).object();
        if (status == 200)
            emit described(answer.value(QStringLiteral("name")).toString(),
                           answer.value(QStringLiteral("mode")).toString());
    });
}

void RemoteGateway::refreshPki()
{
    // The stream says that the PKI changed; the lists come by REST, one refresh at a time
    // (a burst of changes while one runs is one more refresh).
    if (m_pkiRefreshing) {
        m_pkiAgain = true;
        return;
    }
    m_pkiRefreshing = true;
    auto state = std::make_shared<PkiState>();
    auto remaining = std::make_shared<int>(3);
    const auto part = [this, state, remaining] {
        if (--*remaining > 0)
            return;
        m_pkiRefreshing = false;
        emit pkiStateChanged(*state);
        if (std::exchange(m_pkiAgain, false))
            refreshPki();
    };
    send(m_manager.get(request(QStringLiteral("pki/ca"))), [state, part](int status, const QByteArray &body, auto &) {
        if (status == 200)
            state->caCertificatePem = body;
        part();
    });
    send(m_manager.get(request(QStringLiteral("pki/csrs"))), [state, part](int, const QByteArray &body, auto &) {
        for (const QJsonValue &csr : QJsonDocument::fromJson(body).object().value(QStringLiteral("csrs")).toArray())
            state->pendingCsrs.append(csrFromJson(csr.toObject()));
        part();
    });
    send(m_manager.get(request(QStringLiteral("pki/certificates"))),
         [state, part](int, const QByteArray &body, auto &) {
             for (const QJsonValue &certificate :
                  QJsonDocument::fromJson(body).object().value(QStringLiteral("certificates")).toArray())
                 state->certificates.append(certificateFromJson(certificate.toObject()));
             part();
         });
}

void RemoteGateway::changePort(const QHostAddress &address, quint16 port, bool allowReserved)
{
    const QJsonObject body{{QStringLiteral("address"), address.toString()},
                           {QStringLiteral("port"), port},
                           {QStringLiteral("allowReserved"), allowReserved}};
    send(m_manager.post(request(QStringLiteral("port")), QJsonDocument(body).toJson(QJsonDocument::Compact)),
         [this](int status, const QByteArray &answer, const QString &failure) {
             if (status != 200)
                 return emit portChangeFailed(errorOf(status, answer, failure));
             // Also the answer to a port it serves already, which the stream never reports.
             const QJsonObject now = QJsonDocument::fromJson(answer).object();
             setListening(QHostAddress(now.value(QStringLiteral("address")).toString()),
                          quint16(now.value(QStringLiteral("port")).toInt()));
         });
}

void RemoteGateway::disconnectSession(quint64 id)
{
    send(m_manager.deleteResource(request(QStringLiteral("sessions/%1").arg(id))),
         [this, id](int status, const QByteArray &answer, const QString &failure) {
             if (status != 200)
                 emit logMessage(LogLevel::Warning,
                                 tr("session %1 not closed: %2").arg(id).arg(errorOf(status, answer, failure)));
         });
}

void RemoteGateway::pkiAction(const QString &path)
{
    // The outcome reaches the views as the PKI push that follows; only a refusal is reported here.
    send(m_manager.post(request(path), QByteArray()),
         [this](int status, const QByteArray &answer, const QString &failure) {
             if (status != 200)
                 emit pkiActionFailed(errorOf(status, answer, failure));
         });
}

// The admin API names the actor itself: the workstation's certificate or the peer's address.
void RemoteGateway::approveCsr(qint64 id, const QString &)
{
    pkiAction(QStringLiteral("pki/csrs/%1/approve").arg(id));
}

void RemoteGateway::rejectCsr(qint64 id, const QString &)
{
    pkiAction(QStringLiteral("pki/csrs/%1/reject").arg(id));
}

void RemoteGateway::revokeCertificate(quint64 serial, const QString &)
{
    pkiAction(QStringLiteral("pki/certificates/%1/revoke").arg(serial));
}

// The admin API's event stream carries no tunnel events yet, so an attached window could not
// show the tunnel it opened: it says where tunnels are opened instead.
quint64 RemoteGateway::openTunnel(SeaCat::TunnelRequest)
{
    const quint64 id = m_nextTunnelId++;
    emit tunnelFailed(id, tr("an attached window does not open tunnels yet: on the gateway's admin API use "
                             "seacat-gateway ctl tunnel open TAG PORT"));
    return id;
}
