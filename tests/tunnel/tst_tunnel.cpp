// README "Reaching a device through its session": the real headless gateway, a device enrolled
// with `seacat-client enroll` and served by `seacat-client serve`, local services started by
// this test on loopback, tunnels opened through the admin API. Ten parallel connections echo
// 10 MiB each, content checked; refused ports say why; a local service that stops closes the
// operator's connection; a slow operator pauses the device with the gateway's memory bounded;
// SOCKETS_REQUEST/REPLY are V15's bytes; anonymous sessions get none; a session that drops
// takes its tunnels and their listeners along.
#include "client/enrolment.h"
#include "common/gatewayprocess.h"
#include "common/hex.h"
#include "common/testclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace SeaCat;

namespace {

struct ApiAnswer {
    int status = 0;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

ApiAnswer call(const QString &admin, const QByteArray &method, const QString &path, const QJsonObject &body = {})
{
    QNetworkAccessManager manager;
    QNetworkRequest request(QUrl(QStringLiteral("http://%1/api/v1/%2").arg(admin, path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply *reply =
        manager.sendCustomRequest(request, method, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson());
    ApiAnswer answer;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 20'000))
        return answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    delete reply;
    return answer;
}

// A local service: echoes what it reads, never holding more than 1 MiB unsent per connection.
// In flood mode it sends without end instead (bounded the same way) and counts what the
// kernel took.
class LocalService : public QObject
{
public:
    explicit LocalService(bool flood = false) : m_flood(flood)
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                socket->setReadBufferSize(256 * 1024);
                m_sockets.append(socket);
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { serve(socket); });
                connect(socket, &QTcpSocket::bytesWritten, socket, [this, socket](qint64 n) {
                    written += n;
                    serve(socket);
                });
                connect(socket, &QTcpSocket::disconnected, socket, [this, socket] {
                    m_sockets.removeAll(socket);
                    socket->deleteLater();
                });
                serve(socket);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    // The service stops: every connection closed, nothing listens any more.
    void stop()
    {
        m_server.close();
        for (QTcpSocket *socket : std::exchange(m_sockets, {}))
            socket->disconnectFromHost();
    }
    qint64 written = 0;

private:
    void serve(QTcpSocket *socket)
    {
        constexpr qint64 HighWater = 1024 * 1024;
        if (m_flood) {
            static const QByteArray chunk(64 * 1024, 'f');
            while (socket->bytesToWrite() < HighWater && written < (qint64(1) << 32))
                socket->write(chunk);
            return;
        }
        while (socket->bytesToWrite() < HighWater && socket->bytesAvailable() > 0)
            socket->write(socket->read(64 * 1024));
        if (socket->state() == QAbstractSocket::UnconnectedState && socket->bytesAvailable() == 0)
            socket->close();
    }
    QTcpServer m_server;
    QList<QTcpSocket *> m_sockets;
    bool m_flood;
};

// One operator connection that sends `total` pseudo-random bytes and checks the echo.
class EchoCheck : public QObject
{
public:
    EchoCheck(quint16 port, qint64 total, quint32 seed) : m_total(total)
    {
        m_data.resize(total);
        QRandomGenerator generator(seed);
        generator.fillRange(reinterpret_cast<quint32 *>(m_data.data()), total / 4);
        connect(&socket, &QTcpSocket::connected, this, &EchoCheck::send);
        connect(&socket, &QTcpSocket::bytesWritten, this, &EchoCheck::send);
        connect(&socket, &QTcpSocket::readyRead, this, [this] {
            const QByteArray bytes = socket.readAll();
            if (m_data.mid(received, bytes.size()) != bytes)
                mismatch = true;
            received += bytes.size();
        });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool done() const { return received >= m_total || mismatch || socket.state() == QAbstractSocket::UnconnectedState; }
    QTcpSocket socket;
    qint64 received = 0;
    bool mismatch = false;

private:
    void send()
    {
        while (m_sent < m_total && socket.bytesToWrite() < 512 * 1024) {
            const qint64 n = qMin<qint64>(64 * 1024, m_total - m_sent);
            socket.write(m_data.constData() + m_sent, n);
            m_sent += n;
        }
    }
    QByteArray m_data;
    qint64 m_total;
    qint64 m_sent = 0;
};

// An operator connection to a tunnel's `port`, through which `bytes` come back (an echo
// service behind it); the socket stays connected for the caller.
bool echoesOnce(QTcpSocket &socket, quint16 port, const QByteArray &bytes)
{
    QByteArray echoed;
    const auto reading = QObject::connect(&socket, &QTcpSocket::readyRead, [&] { echoed += socket.readAll(); });
    socket.connectToHost(QHostAddress::LocalHost, port);
    socket.write(bytes);
    const bool back = QTest::qWaitFor([&] { return echoed == bytes; }, 10'000);
    QObject::disconnect(reading);
    return back;
}

quint16 listenPortOf(const QJsonObject &tunnel)
{
    const QString listen = tunnel.value("listen").toString();
    return quint16(listen.mid(listen.lastIndexOf(u':') + 1).toUInt());
}

} // namespace

class TestTunnel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void socketsFramesAreV15();
    void anonymousSessionsGetNoTunnel();
    void tenParallelEchoes();
    void refusedPortsSayWhy();
    void localServiceStopClosesOperator();
    void slowOperatorPausesDevice();
    void ctlOpensListsCloses();
    void reloadClosesTunnelsNoLongerAllowed();
    void idleTunnelsClose();
    void sessionDropClosesTunnels();
    void cleanupTestCase();

private:
    // Opens a tunnel to `port` of the served device; the API's answer.
    ApiAnswer open(quint16 port, const QJsonObject &target = {});
    QString deviceTag() const;
    // The device session's glitch count, from the admin API's session detail; -1 if not found.
    qint64 deviceGlitches() const;
    // The gateway's config: tunnels to every port of this test, the echo service's only with
    // `echo`; `idleSeconds` > 0 sets tunnel-idle-timeout.
    bool writeConfig(bool echo, int idleSeconds = 0);
    // The id of the session `client` holds, found by its port; 0 while the gateway has not listed it.
    quint64 sessionOf(const TestClient &client) const;

    GatewayProcess m_gw;
    quint16 m_port = 0;
    QString m_admin;
    QTemporaryDir m_identity;
    QTemporaryDir m_configDir;
    QString m_config; // the gateway's config file
    LocalService m_echo;
    LocalService m_flood{true};
    std::unique_ptr<LocalService> m_stopping;
    quint16 m_stoppingPort = 0; // kept: a stopped service listens nowhere
    quint16 m_deniedPort = 0;   // allowed by the gateway, not by the device
    quint16 m_closedPort = 0;   // allowed by both, nothing listens
    QProcess m_serve;
    QByteArray m_serveErr;
};

void TestTunnel::initTestCase()
{
    m_stopping = std::make_unique<LocalService>();
    m_stoppingPort = m_stopping->port();
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost);
        m_closedPort = probe.serverPort();
        QTcpServer probe2;
        probe2.listen(QHostAddress::LocalHost);
        m_deniedPort = probe2.serverPort();
    }
    m_config = m_configDir.filePath("gateway.ini");
    QVERIFY(writeConfig(true));
    m_gw.launch(m_gw.defaultArgs() + QStringList{"--config", m_config, "--admin-listen", "0", "--workers", "2"});
    m_port = m_gw.waitListening();
    QVERIFY2(m_port, m_gw.err.constData());
    m_admin = m_gw.adminEndpoint();
    QVERIFY(!m_admin.isEmpty());

    QProcess enroll;
    enroll.start(QStringLiteral(SEACAT_CLIENT_BIN),
                 {"--gateway", QStringLiteral("127.0.0.1:%1").arg(m_port), "--ca", m_gw.caFile(), "--name", "gw.test",
                  "enroll", "--identity", m_identity.path(), "--subject", "CN=kiosk-1"});
    QVERIFY(enroll.waitForFinished(30'000));
    QVERIFY2(enroll.exitCode() == 0, enroll.readAllStandardError().constData());

    connect(&m_serve, &QProcess::readyReadStandardError, this,
            [this] { m_serveErr += m_serve.readAllStandardError(); });
    m_serve.start(QStringLiteral(SEACAT_CLIENT_BIN),
                  {"--gateway", QStringLiteral("127.0.0.1:%1").arg(m_port), "--ca", m_gw.caFile(), "--name", "gw.test",
                   "--identity", m_identity.path(), "serve", "--allow-port", QString::number(m_echo.port()),
                   "--allow-port", QString::number(m_flood.port()), "--allow-port", QString::number(m_stopping->port()),
                   "--allow-port", QString::number(m_closedPort)});
    QByteArray serveOut;
    QTRY_VERIFY2_WITH_TIMEOUT((serveOut += m_serve.readAllStandardOutput()).startsWith("serving port(s) "),
                              m_serveErr.constData(), 20'000);
    QTRY_VERIFY_WITH_TIMEOUT(!deviceTag().isEmpty(), 10'000);
}

void TestTunnel::cleanupTestCase()
{
    if (m_serve.state() != QProcess::NotRunning) {
        m_serve.kill();
        m_serve.waitForFinished(5'000);
    }
}

QString TestTunnel::deviceTag() const
{
    for (const QJsonValue &session : call(m_admin, "GET", "sessions").json().value("sessions").toArray())
        if (!session.toObject().value("clientTag").toString().isEmpty())
            return session.toObject().value("clientTag").toString();
    return {};
}

qint64 TestTunnel::deviceGlitches() const
{
    for (const QJsonValue &session : call(m_admin, "GET", "sessions").json().value("sessions").toArray())
        if (!session.toObject().value("clientTag").toString().isEmpty())
            return qint64(
                call(m_admin, "GET", QStringLiteral("sessions/%1").arg(session.toObject().value("id").toInt()))
                    .json()
                    .value("glitches")
                    .toDouble(-1));
    return -1;
}

bool TestTunnel::writeConfig(bool echo, int idleSeconds)
{
    QFile file(m_config);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    QStringList ports{QStringLiteral("22")};
    for (quint16 port : {m_flood.port(), m_stoppingPort, m_deniedPort, m_closedPort})
        ports << QString::number(port);
    if (echo)
        ports << QString::number(m_echo.port());
    file.write(QStringLiteral("[pki]\napproval=auto\n[tunnels]\ntunnels=on\ntunnel-ports=%1\n")
                   .arg(ports.join(u','))
                   .toUtf8());
    if (idleSeconds > 0)
        file.write(QStringLiteral("tunnel-idle-timeout=%1\n").arg(idleSeconds).toUtf8());
    return true;
}

quint64 TestTunnel::sessionOf(const TestClient &client) const
{
    for (const QJsonValue &s : call(m_admin, "GET", "sessions").json().value("sessions").toArray())
        if (s.toObject().value("peer").toString().endsWith(u':' + QString::number(client.socket.localPort())))
            return quint64(s.toObject().value("id").toDouble());
    return 0;
}

ApiAnswer TestTunnel::open(quint16 port, const QJsonObject &target)
{
    QJsonObject body = target.isEmpty() ? QJsonObject{{"tag", deviceTag()}} : target;
    body.insert("port", port);
    body.insert("listen", "127.0.0.1:0");
    return call(m_admin, "POST", "tunnels", body);
}

void TestTunnel::socketsFramesAreV15()
{
    // A raw client with the device's certificate: the first tunnel stream of its session is
    // stream 2, so the request for port 22 is V15 to the byte, and V15's reply opens it.
    TestClient device(m_gw.caFile());
    device.certificate = QSslCertificate::fromPath(m_identity.filePath(Enrolment::CertFile)).value(0);
    QFile keyFile(m_identity.filePath(Enrolment::KeyFile));
    QVERIFY(keyFile.open(QIODevice::ReadOnly));
    const QByteArray keyPem = keyFile.readAll();
    device.privateKey = QSslKey(keyPem, QSsl::Rsa);
    QVERIFY(!device.privateKey.isNull());
    QVERIFY(device.connectTo(m_port));
    QVERIFY(device.pingRoundTrip(1));
    quint64 sessionId = 0;
    QTRY_VERIFY_WITH_TIMEOUT((sessionId = sessionOf(device)) != 0, 10'000);
    const ApiAnswer opened = open(22, {{"session", double(sessionId)}});
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    QCOMPARE(quint64(tunnel.value("session").toDouble()), sessionId);
    QTcpSocket operatorSocket;
    operatorSocket.connectToHost(QHostAddress::LocalHost, listenPortOf(tunnel));
    const QByteArray request = hex("80 B2 00 01 00 00 00 08 00 00 00 02 01 FE 00 16");
    QTRY_VERIFY_WITH_TIMEOUT(device.raw.contains(request), 10'000);
    device.raw.clear();
    device.send(hex("80 B2 00 02 00 00 00 08 00 00 00 02 00 01 00 00"));
    device.send(serialize(DataFrame{2, false, "hello operator"}));
    QByteArray toOperator;
    QTRY_VERIFY2_WITH_TIMEOUT((toOperator += operatorSocket.readAll()) == "hello operator",
                              (toOperator + "\n" + m_gw.err.right(3000)).constData(), 10'000);
    operatorSocket.write("hello device");
    QTRY_VERIFY_WITH_TIMEOUT(device.raw.contains(serialize(DataFrame{2, false, "hello device"})), 10'000);
    // The operator closes: FIN towards the device.
    operatorSocket.disconnectFromHost();
    QTRY_VERIFY_WITH_TIMEOUT(device.raw.contains(serialize(DataFrame{2, true, {}})), 10'000);
    device.send(serialize(DataFrame{2, true, {}}));
    QTRY_COMPARE_WITH_TIMEOUT(
        call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().at(0).toObject().value("connections").toInt(),
        0, 10'000);
    QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(tunnel.value("id").toInt())).status, 200);
}

void TestTunnel::anonymousSessionsGetNoTunnel()
{
    TestClient anonymous(m_gw.caFile());
    QVERIFY(anonymous.connectTo(m_port));
    QVERIFY(anonymous.pingRoundTrip(1));
    quint64 sessionId = 0;
    QTRY_VERIFY_WITH_TIMEOUT((sessionId = sessionOf(anonymous)) != 0, 10'000);
    const ApiAnswer refused = open(m_echo.port(), {{"session", double(sessionId)}});
    QCOMPARE(refused.status, 403);
    QVERIFY2(refused.json().value("error").toString().contains("anonymous"), refused.body.constData());
    QVERIFY(call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().isEmpty());
    // Nothing reached the anonymous client.
    QVERIFY(!anonymous.raw.contains(hex("80 B2 00 01")));
}

void TestTunnel::tenParallelEchoes()
{
    const ApiAnswer opened = open(m_echo.port());
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    QCOMPARE(tunnel.value("clientTag").toString(), deviceTag());
    QVERIFY(tunnel.value("owner").toString().startsWith("admin-api 127.0.0.1"));
    // 10 MiB each under ASan too: about 15 s there (6-7 MiB/s each way), 3-7 s without.
    constexpr qint64 total = 10 << 20;
    std::vector<std::unique_ptr<EchoCheck>> checks;
    QElapsedTimer clock;
    clock.start();
    for (quint32 i = 0; i < 10; ++i)
        checks.push_back(std::make_unique<EchoCheck>(listenPortOf(tunnel), total, 1000 + i));
    QVERIFY(QTest::qWaitFor(
        [&] { return std::all_of(checks.begin(), checks.end(), [](const auto &c) { return c->done(); }); }, 240'000));
    const qint64 ms = clock.elapsed();
    for (const auto &check : checks) {
        QVERIFY(!check->mismatch);
        QCOMPARE(check->received, total);
    }
    qInfo("10 x %lld MiB echoed through one tunnel in %lld ms (%.1f MiB/s each way)", total >> 20, ms,
          double(10 * total) / 1048576.0 / (double(ms) / 1000.0));
    checks.clear();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QJsonObject t = call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().at(0).toObject();
            return t.value("connections").toInt() == 0 &&
                   t.value("bytesFromDevice").toDouble() >= 10.0 * double(total) &&
                   t.value("bytesToDevice").toDouble() >= 10.0 * double(total);
        }(),
        10'000);
    QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(tunnel.value("id").toInt())).status, 200);
    // The listener is gone with the tunnel.
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, listenPortOf(tunnel));
    QVERIFY(!probe.waitForConnected(2'000));
    QVERIFY2(
        m_gw.err.contains(
            QStringLiteral("tunnel %1 closed: closed by admin-api 127.0.0.1").arg(tunnel.value("id").toInt()).toUtf8()),
        m_gw.err.constData());
}

void TestTunnel::refusedPortsSayWhy()
{
    // Not in the gateway's tunnel-ports: refused by the API at once.
    ApiAnswer answer = open(2);
    QCOMPARE(answer.status, 403);
    QVERIFY2(answer.json().value("error").toString().contains("not in [tunnels] tunnel-ports"),
             answer.body.constData());
    // Allowed by the gateway, not by the device: the device replies "not allowed".
    for (const auto &[port, text] : {std::pair{m_deniedPort, QByteArray("does not allow this port (not allowed)")},
                                     std::pair{m_closedPort, QByteArray("(connection refused)")}}) {
        answer = open(port);
        QCOMPARE(answer.status, 201);
        const QJsonObject tunnel = answer.json().value("tunnel").toObject();
        QTcpSocket operatorSocket;
        operatorSocket.connectToHost(QHostAddress::LocalHost, listenPortOf(tunnel));
        QVERIFY(operatorSocket.waitForConnected(5'000));
        QTRY_COMPARE_WITH_TIMEOUT(operatorSocket.state(), QAbstractSocket::UnconnectedState, 10'000);
        QTRY_VERIFY2_WITH_TIMEOUT(m_gw.err.contains(text), m_gw.err.right(2000).constData(), 5'000);
        QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(tunnel.value("id").toInt())).status, 200);
    }
    QVERIFY(m_serveErr.contains("not an --allow-port"));
}

void TestTunnel::localServiceStopClosesOperator()
{
    const ApiAnswer opened = open(m_stopping->port());
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    QTcpSocket operatorSocket;
    QVERIFY(echoesOnce(operatorSocket, listenPortOf(tunnel), "ping?"));
    m_stopping->stop();
    // A clean end: EOF after every byte, not a reset.
    QTRY_COMPARE_WITH_TIMEOUT(operatorSocket.state(), QAbstractSocket::UnconnectedState, 10'000);
    QCOMPARE(operatorSocket.error(), QAbstractSocket::RemoteHostClosedError);
    QTRY_COMPARE_WITH_TIMEOUT(
        call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().at(0).toObject().value("connections").toInt(),
        0, 15'000);
    QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(tunnel.value("id").toInt())).status, 200);
}

void TestTunnel::slowOperatorPausesDevice()
{
    const ApiAnswer opened = open(m_flood.port());
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    const qint64 rssBefore = m_gw.rssKiB();
    QTcpSocket operatorSocket; // reads nothing
    operatorSocket.setReadBufferSize(64 * 1024);
    operatorSocket.connectToHost(QHostAddress::LocalHost, listenPortOf(tunnel));
    QVERIFY(operatorSocket.waitForConnected(5'000));
    // The flood stalls: every buffer on the way fills (kernel buffers included), then nothing moves.
    qint64 last = -1;
    QVERIFY(QTest::qWaitFor(
        [&] {
            QTest::qWait(1'000);
            const qint64 now = m_flood.written;
            const bool stalled = now > 0 && now == last;
            last = now;
            return stalled;
        },
        60'000));
    const qint64 rssAfter = m_gw.rssKiB();
    qInfo("flood stalled after %lld KiB from the local service; gateway RSS %lld → %lld KiB", m_flood.written / 1024,
          rssBefore, rssAfter);
    QVERIFY2(m_flood.written < 64LL << 20, QByteArray::number(m_flood.written).constData());
    if (GatewayProcess::rssIsMeaningful())
        QVERIFY2(rssAfter - rssBefore < 16 * 1024, QByteArray::number(rssAfter - rssBefore).constData());
    // The operator reads again: the flood moves on.
    const qint64 stalledAt = m_flood.written;
    qint64 drained = 0;
    connect(&operatorSocket, &QTcpSocket::readyRead, this, [&] { drained += operatorSocket.readAll().size(); });
    operatorSocket.setReadBufferSize(0);
    QMetaObject::invokeMethod(
        &operatorSocket, [&] { drained += operatorSocket.readAll().size(); }, Qt::QueuedConnection);
    QTRY_VERIFY_WITH_TIMEOUT(m_flood.written > stalledAt + (8 << 20), 30'000);
    // The tunnel closed mid-flood: the gateway resets the stream while the device still has
    // DATA for it on the way. That is dropped quietly; it once spent the device's glitch budget,
    // a frame each, and closed the session past 1 000 frames (16 MiB in flight).
    const qint64 glitchesBefore = deviceGlitches();
    QVERIFY(glitchesBefore >= 0);
    QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(tunnel.value("id").toInt())).status, 200);
    QTest::qWait(1'200); // the gateway's session counters are published every 500 ms
    QCOMPARE(deviceGlitches(), glitchesBefore);
}

void TestTunnel::ctlOpensListsCloses()
{
    const auto ctl = [this](const QStringList &args) {
        QProcess process;
        process.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                      QStringList{"ctl", "--admin", QStringLiteral("http://%1").arg(m_admin)} + args);
        process.waitForFinished(30'000);
        return std::pair{process.exitCode(), process.readAllStandardOutput() + process.readAllStandardError()};
    };
    auto [code, text] = ctl({"tunnel", "open", deviceTag(), QString::number(m_echo.port()), "--listen", "127.0.0.1:0"});
    QVERIFY2(code == 0, text.constData());
    QVERIFY2(text.startsWith("tunnel "), text.constData());
    const int id = text.mid(7, text.indexOf(':') - 7).toInt();
    std::tie(code, text) = ctl({"tunnel", "list"});
    QVERIFY2(code == 0 && text.contains(deviceTag().toUtf8()), text.constData());
    std::tie(code, text) = ctl({"--json", "tunnel", "list"});
    QCOMPARE(QJsonDocument::fromJson(text).object().value("tunnels").toArray().size(), 1);
    std::tie(code, text) = ctl({"tunnel", "close", QString::number(id)});
    QVERIFY2(code == 0 && text.startsWith(QStringLiteral("closed tunnel %1").arg(id).toUtf8()), text.constData());
    std::tie(code, text) = ctl({"tunnel", "close", QString::number(id)});
    QVERIFY(code != 0);
    // The audit log: every open and close, who asked, how it ended.
    QTRY_VERIFY2_WITH_TIMEOUT(
        m_gw.err.contains(QStringLiteral("DELETE /api/v1/tunnels/%1 from 127.0.0.1").arg(id).toUtf8()),
        m_gw.err.constData(), 5'000);
    QVERIFY2(m_gw.err.contains("POST /api/v1/tunnels from 127.0.0.1"), m_gw.err.constData());
}

void TestTunnel::reloadClosesTunnelsNoLongerAllowed()
{
    const ApiAnswer echo = open(m_echo.port());
    const ApiAnswer flood = open(m_flood.port());
    QCOMPARE(echo.status, 201);
    QCOMPARE(flood.status, 201);
    QVERIFY(writeConfig(false));
    const ApiAnswer reloaded = call(m_admin, "POST", "reload");
    QVERIFY2(reloaded.status == 200, reloaded.body.constData());
    const int floodId = flood.json().value("tunnel").toObject().value("id").toInt();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QJsonArray tunnels = call(m_admin, "GET", "tunnels").json().value("tunnels").toArray();
            return tunnels.size() == 1 && tunnels.at(0).toObject().value("id").toInt() == floodId;
        }(),
        10'000);
    QVERIFY2(m_gw.err.contains("closed: the reloaded configuration no longer allows it"), m_gw.err.constData());
    QCOMPARE(open(m_echo.port()).status, 403); // the API reads the reloaded settings too
    QVERIFY(writeConfig(true));
    QCOMPARE(call(m_admin, "POST", "reload").status, 200);
    QCOMPARE(call(m_admin, "DELETE", QStringLiteral("tunnels/%1").arg(floodId)).status, 200);
}

void TestTunnel::idleTunnelsClose()
{
    // A reload's tunnel-idle-timeout holds for the tunnels opened after it, on a device session
    // older than the reload: a second without a byte either way closes the tunnel and its
    // operator connection, not sooner.
    QVERIFY(writeConfig(true, 1));
    QCOMPARE(call(m_admin, "POST", "reload").status, 200);
    const ApiAnswer opened = open(m_echo.port());
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    QTcpSocket operatorSocket;
    QVERIFY(echoesOnce(operatorSocket, listenPortOf(tunnel), "still there?"));
    QElapsedTimer quiet;
    quiet.start();
    QTRY_COMPARE_WITH_TIMEOUT(operatorSocket.state(), QAbstractSocket::UnconnectedState, 10'000);
    QVERIFY2(quiet.elapsed() >= 700, QByteArray::number(quiet.elapsed()).constData());
    QVERIFY2(
        m_gw.err.contains(QStringLiteral("tunnel %1 closed: idle for 1 s").arg(tunnel.value("id").toInt()).toUtf8()),
        m_gw.err.constData());
    QCOMPARE(call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().size(), 0);
    QVERIFY(writeConfig(true));
    QCOMPARE(call(m_admin, "POST", "reload").status, 200);
}

void TestTunnel::sessionDropClosesTunnels()
{
    const ApiAnswer opened = open(m_echo.port());
    QCOMPARE(opened.status, 201);
    const QJsonObject tunnel = opened.json().value("tunnel").toObject();
    EchoCheck live(listenPortOf(tunnel), 64 * 1024, 7);
    QTRY_VERIFY_WITH_TIMEOUT(live.received == 64 * 1024, 10'000);
    m_serve.kill(); // the device vanishes; its TCP connection ends with it
    QVERIFY(m_serve.waitForFinished(5'000));
    QTRY_VERIFY_WITH_TIMEOUT(call(m_admin, "GET", "tunnels").json().value("tunnels").toArray().isEmpty(), 15'000);
    QTRY_COMPARE_WITH_TIMEOUT(live.socket.state(), QAbstractSocket::UnconnectedState, 5'000);
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, listenPortOf(tunnel));
    QVERIFY(!probe.waitForConnected(2'000));
    QVERIFY2(m_gw.err.contains(
                 QStringLiteral("tunnel %1 closed: its session closed").arg(tunnel.value("id").toInt()).toUtf8()),
             m_gw.err.constData());
}

QTEST_GUILESS_MAIN(TestTunnel)
#include "tst_tunnel.moc"
