// README "Administering a server gateway from a workstation": the admin API and `ctl` against
// the real headless binary, with real SeaCat clients on loopback: sessions listed, filtered,
// paged and closed; the port moved under live sessions and a taken port refused; a CSR
// approved while seacat-client polls; a revocation closing the session within a second; the
// event stream through 200 churning sessions; hostile requests refused with the gateway
// serving on; every ctl verb with --json parsed.
#include "client/enrolment.h"
#include "common/clienthelpers.h"
#include "common/gatewayprocess.h"
#include "common/testbackend.h"
#include "common/testclient.h"
#include "gatewayconfig.h"
#include "pki/certificatebuilder.h"
#include "pki/x509codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSslKey>
#include <QTcpServer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <functional>
#include <QTest>

using namespace SeaCat;

namespace {

struct ApiAnswer {
    int status = 0;
    QByteArray body;
    QByteArray allow;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// One HTTP request to the admin listener; POST bodies are JSON unless `contentType` says otherwise.
ApiAnswer call(const QString &admin, const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QByteArray &contentType = "application/json")
{
    QNetworkAccessManager manager;
    QNetworkRequest request(QUrl(QStringLiteral("http://%1/api/v1/%2").arg(admin, path)));
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    QNetworkReply *reply = manager.sendCustomRequest(request, method, body);
    ApiAnswer answer;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 20'000))
        return answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    answer.allow = reply->rawHeader("Allow");
    delete reply;
    return answer;
}

// The event stream read off a plain socket: SSE events as (name, JSON data).
class EventReader
{
public:
    explicit EventReader(const QString &admin)
    {
        const qsizetype colon = admin.lastIndexOf(u':');
        m_socket.connectToHost(admin.left(colon), quint16(admin.mid(colon + 1).toUInt()));
        m_socket.write("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { parse(m_socket.readAll()); });
    }
    QByteArray head;
    QList<std::pair<QByteArray, QJsonDocument>> events;
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

private:
    void parse(const QByteArray &bytes)
    {
        m_buffer += bytes;
        if (head.isEmpty()) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            head = m_buffer.left(end);
            m_buffer.remove(0, end + 4);
        }
        for (qsizetype end; (end = m_buffer.indexOf("\n\n")) >= 0;) {
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
                events.append({name, QJsonDocument::fromJson(data)});
        }
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

// A request over mutual TLS with `identity` (null certificate: none); the status, 0 when the
// connection was refused.
int tlsStatus(quint16 port, const QSslCertificate &certificate, const QSslKey &key, const QSslCertificate &adminCa,
              const QString &serverName)
{
    QNetworkAccessManager manager;
    QNetworkRequest request(QUrl(QStringLiteral("https://127.0.0.1:%1/api/v1/status").arg(port)));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({adminCa});
    if (!certificate.isNull()) {
        tls.setLocalCertificate(certificate);
        tls.setPrivateKey(key);
    }
    request.setSslConfiguration(tls);
    request.setPeerVerifyName(serverName);
    QNetworkReply *reply = manager.get(request);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 20'000))
        return -1;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    delete reply;
    return status;
}

// waitForFinished() is false for a process that finished while the test's event loop ran.
bool finished(QProcess &process, int timeoutMs = 15'000)
{
    return process.state() == QProcess::NotRunning || process.waitForFinished(timeoutMs);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sessionsListFilterPageAndClose();
    void portChangeKeepsSessions();
    void approvalRevocationAndExport();
    void eventStreamThroughChurn();
    void reloadThroughTheApi();
    void hostileRequests();
    void ctlRoundTripsEveryVerb();
    void adminTlsAdmitsOnlyIssuedWorkstations();
    void adminListenOffLoopbackTakesTls();

private:
    // Starts `gw` with its admin listener on a free loopback port; returns the SeaCat port.
    quint16 start(GatewayProcess &gw, const QStringList &extra = {});
    std::unique_ptr<TestBackend> m_backend;
};

void TestAdminApi::initTestCase()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
}

quint16 TestAdminApi::start(GatewayProcess &gw, const QStringList &extra)
{
    gw.launch(gw.defaultArgs() +
              QStringList{"--admin-listen", "0", "--workers", "2", "--backend", "app=" + m_backend->url()} + extra);
    return gw.waitListening();
}

void TestAdminApi::sessionsListFilterPageAndClose()
{
    GatewayProcess gw;
    const quint16 port = start(gw, {"--mode", "anonymous"});
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    QVERIFY2(!admin.isEmpty(), gw.err.constData());
    std::vector<std::unique_ptr<TestClient>> clients;
    for (quint32 i = 0; i < 3; ++i) {
        clients.push_back(openSession(port, gw.caFile(), 2 * i + 1)); // odd: the client's PING ids
        QVERIFY(clients.back());
    }
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "sessions").json().value("total").toInt(), 3, 5'000);
    const QJsonObject all = call(admin, "GET", "sessions").json();
    const QJsonArray sessions = all.value("sessions").toArray();
    QCOMPARE(sessions.size(), 3);
    // Sorted by id; each names its peer, whose port is the client's local port.
    QList<qint64> ids;
    QSet<QString> peers;
    for (const QJsonValue &s : sessions) {
        ids.append(qint64(s.toObject().value("id").toDouble()));
        peers.insert(s.toObject().value("peer").toString());
    }
    QVERIFY(std::is_sorted(ids.cbegin(), ids.cend()));
    for (const auto &client : clients)
        QVERIFY(peers.contains(QStringLiteral("127.0.0.1:%1").arg(client->socket.localPort())));

    // Filter and paging.
    QCOMPARE(call(admin, "GET", "sessions?filter=127.0.0").json().value("total").toInt(), 3);
    QCOMPARE(call(admin, "GET", "sessions?filter=nobody-has-this").json().value("total").toInt(), 0);
    const QJsonObject page = call(admin, "GET", "sessions?offset=1&limit=1").json();
    QCOMPARE(page.value("total").toInt(), 3);
    QCOMPARE(page.value("sessions").toArray().size(), 1);
    QCOMPARE(qint64(page.value("sessions").toArray().at(0).toObject().value("id").toDouble()), ids.at(1));
    QCOMPARE(call(admin, "GET", "sessions?limit=5000").status, 400);
    QCOMPARE(call(admin, "GET", "sessions?offset=-1").status, 400);

    // Detail: the full snapshot, TLS included.
    const ApiAnswer detail = call(admin, "GET", QStringLiteral("sessions/%1").arg(ids.at(0)));
    QCOMPARE(detail.status, 200);
    QCOMPARE(detail.json().value("tlsProtocol").toString(), QStringLiteral("TLSv1.2"));
    // Counters come with the engine's next refresh (every 500 ms).
    QTRY_VERIFY_WITH_TIMEOUT(
        call(admin, "GET", QStringLiteral("sessions/%1").arg(ids.at(0))).json().value("pingsReceived").toDouble() >= 1,
        5'000);

    // Close: answered once the session is gone; that client is disconnected, the others stay.
    const ApiAnswer closed = call(admin, "DELETE", QStringLiteral("sessions/%1").arg(ids.at(1)));
    QCOMPARE(closed.status, 200);
    QVERIFY2(closed.json().value("reason").toString().contains("administrator"), closed.body.constData());
    QCOMPARE(call(admin, "GET", "sessions").json().value("total").toInt(), 2);
    int disconnected = 0;
    for (auto &client : clients)
        disconnected += client->waitForDisconnected(5'000) ? 1 : 0;
    QCOMPARE(disconnected, 1);
    QCOMPARE(call(admin, "DELETE", QStringLiteral("sessions/%1").arg(ids.at(1))).status, 404);
    QCOMPARE(call(admin, "GET", QStringLiteral("sessions/%1").arg(ids.at(1))).status, 404);
    QVERIFY(gw.err.contains(
        QStringLiteral("admin api: DELETE /api/v1/sessions/%1 from 127.0.0.1:").arg(ids.at(1)).toUtf8()));
}

void TestAdminApi::portChangeKeepsSessions()
{
    GatewayProcess gw;
    const quint16 port = start(gw, {"--mode", "anonymous"});
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    auto before = openSession(port, gw.caFile());
    QVERIFY(before);

    const QString next = freePort();
    const ApiAnswer moved = call(admin, "POST", "port", "{\"port\": " + next.toUtf8() + "}");
    QCOMPARE(moved.status, 200);
    QCOMPARE(moved.json().value("port").toInt(), next.toInt());
    QCOMPARE(call(admin, "GET", "port").json().value("port").toInt(), next.toInt());
    QVERIFY(before->pingRoundTrip(7)); // the session opened before still answers
    QVERIFY(openSession(quint16(next.toUInt()), gw.caFile()));
    TestClient old(gw.caFile());
    QVERIFY(!old.connectTo(port, 5'000)); // the old listener is closed

    // A port that is taken: refused with the reason, the current port keeps serving.
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost));
    const ApiAnswer refused = call(admin, "POST", "port", "{\"port\": " + QByteArray::number(taken.serverPort()) + "}");
    QCOMPARE(refused.status, 409);
    QVERIFY2(refused.json().value("error").toString().contains(QString::number(taken.serverPort())),
             refused.body.constData());
    QCOMPARE(refused.json().value("listening").toObject().value("port").toInt(), next.toInt());
    QVERIFY(openSession(quint16(next.toUInt()), gw.caFile()));
    QVERIFY(before->pingRoundTrip(9));
    // Refused by the port policy (a reserved port without allowReserved) and by bad bodies.
    QCOMPARE(call(admin, "POST", "port", "{\"port\": 80}").status, 422);
    QCOMPARE(call(admin, "POST", "port", "{\"port\": 70000}").status, 400);
    QCOMPARE(call(admin, "POST", "port", "{\"port\": 9000, \"address\": \"nowhere\"}").status, 400);
    QCOMPARE(call(admin, "GET", "port").json().value("port").toInt(), next.toInt());
}

void TestAdminApi::approvalRevocationAndExport()
{
    GatewayProcess gw;
    const quint16 port = start(gw);
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    // seacat-client enroll polls every 0.3 s while the API approves.
    QTemporaryDir identity;
    QProcess enroll;
    enroll.start(QStringLiteral(SEACAT_CLIENT_BIN),
                 {"--gateway", QStringLiteral("127.0.0.1:%1").arg(port), "--ca", gw.caFile(), "--name", "gw.test",
                  "enroll", "--identity", identity.path(), "--poll-interval", "0.3", "--subject", "CN=device-9,O=Api"});
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "pki/csrs").json().value("csrs").toArray().size(), 1, 10'000);
    const QJsonObject csr = call(admin, "GET", "pki/csrs").json().value("csrs").toArray().at(0).toObject();
    QCOMPARE(csr.value("state").toString(), QStringLiteral("pending"));
    QVERIFY(csr.value("subject").toString().contains("CN=device-9"));
    const qint64 csrId = qint64(csr.value("id").toDouble());
    const ApiAnswer approved = call(admin, "POST", QStringLiteral("pki/csrs/%1/approve").arg(csrId));
    QCOMPARE(approved.status, 200);
    const QJsonObject issued = approved.json().value("certificate").toObject();
    const quint64 serial = quint64(issued.value("serial").toDouble());
    QVERIFY2(serial > 0, approved.body.constData());
    QCOMPARE(issued.value("status").toString(), QStringLiteral("valid"));
    QVERIFY2(finished(enroll), // the polling client received it
             (enroll.readAllStandardError() + enroll.readAllStandardOutput() + gw.err).constData());
    QCOMPARE(enroll.exitCode(), 0);
    QCOMPARE(call(admin, "POST", QStringLiteral("pki/csrs/%1/approve").arg(csrId)).status, 404); // decided
    QVERIFY(call(admin, "GET", "pki/csrs").json().value("csrs").toArray().isEmpty());
    // The store records who decided.
    QVERIFY2(gw.err.contains("(by admin-api 127.0.0.1)"), gw.err.constData());

    // Exports: the certificate as PEM, the CA.
    const ApiAnswer pem = call(admin, "GET", QStringLiteral("pki/certificates/%1/pem").arg(serial));
    QCOMPARE(pem.status, 200);
    QFile saved(identity.filePath(Enrolment::CertFile));
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(QSslCertificate(pem.body), QSslCertificate(saved.readAll()));
    QCOMPARE(QSslCertificate(call(admin, "GET", "pki/ca").body), QSslCertificate::fromPath(gw.caFile()).value(0));

    // The enrolled client's session, found by its tag among anonymous ones; revoking its
    // certificate closes it within a second.
    SeaCatClient anonymous, client;
    QVERIFY(connectClient(anonymous, port, gw.caFile()));
    QVERIFY(connectWithIdentity(client, port, gw.caFile(), identity.path()));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QSignalSpy pong(&anonymous, &SeaCatClient::pong);
    anonymous.ping(); // a session once its first frame came
    QVERIFY(pong.wait(5'000));
    const QString tag = issued.value("clientTag").toString();
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "sessions").json().value("total").toInt(), 2, 5'000);
    const QJsonObject mine = call(admin, "GET", "sessions?filter=" + tag).json();
    QCOMPARE(mine.value("total").toInt(), 1);
    QCOMPARE(quint64(mine.value("sessions").toArray().at(0).toObject().value("certificateSerial").toDouble()), serial);
    QSignalSpy disconnected(&client, &SeaCatClient::disconnected);
    QElapsedTimer timer;
    timer.start();
    const ApiAnswer revoked = call(admin, "POST", QStringLiteral("pki/certificates/%1/revoke").arg(serial));
    QCOMPARE(revoked.status, 200);
    QCOMPARE(revoked.json().value("status").toString(), QStringLiteral("revoked"));
    QVERIFY(disconnected.count() || disconnected.wait(5'000));
    qInfo("API revocation closed the session after %lld ms", timer.elapsed());
    QVERIFY(timer.elapsed() <= 1'000);
    QVERIFY(anonymous.isConnected());
    QCOMPARE(call(admin, "POST", QStringLiteral("pki/certificates/%1/revoke").arg(serial)).status, 409);
    QCOMPARE(call(admin, "GET", "pki/certificates/999/pem").status, 404);

    // Rejection: the next client's CSR, refused; its enroll ends with exit 1.
    QTemporaryDir second;
    QProcess refused;
    refused.start(QStringLiteral(SEACAT_CLIENT_BIN),
                  {"--gateway", QStringLiteral("127.0.0.1:%1").arg(port), "--ca", gw.caFile(), "--name", "gw.test",
                   "enroll", "--identity", second.path(), "--poll-interval", "0.3"});
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "pki/csrs").json().value("csrs").toArray().size(), 1, 10'000);
    const qint64 next =
        qint64(call(admin, "GET", "pki/csrs").json().value("csrs").toArray().at(0).toObject().value("id").toDouble());
    QCOMPARE(call(admin, "POST", QStringLiteral("pki/csrs/%1/reject").arg(next)).status, 200);
    QVERIFY2(finished(refused), (refused.readAllStandardError() + gw.err).constData());
    QCOMPARE(refused.exitCode(), 1);
}

void TestAdminApi::eventStreamThroughChurn()
{
    GatewayProcess gw;
    const quint16 port = start(gw, {"--mode", "anonymous"});
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    auto steady = openSession(port, gw.caFile()); // open before the stream: in its snapshot
    QVERIFY(steady);
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "sessions").json().value("total").toInt(), 1, 5'000);
    EventReader reader(admin);
    QTRY_VERIFY_WITH_TIMEOUT(!reader.events.isEmpty(), 5'000);
    QVERIFY2(reader.head.startsWith("HTTP/1.1 200"), reader.head.constData());
    QVERIFY(reader.head.contains("text/event-stream"));
    QCOMPARE(reader.events.first().first, QByteArray("snapshot"));

    // 200 sessions, 20 at a time: each opens (its PING echoed), then closes.
    constexpr int Sessions = 200, Batch = 20;
    QSet<quint16> clientPorts;
    for (int done = 0; done < Sessions; done += Batch) {
        std::vector<std::unique_ptr<TestClient>> batch;
        for (int i = 0; i < Batch; ++i) {
            batch.push_back(std::make_unique<TestClient>(gw.caFile()));
            batch.back()->startConnect(port);
            batch.back()->send(serialize(Ping{1}));
        }
        for (auto &client : batch) {
            QVERIFY(client->waitForEvents(1, 20'000));
            clientPorts.insert(client->socket.localPort());
            client->socket.disconnectFromHost();
        }
        for (auto &client : batch)
            QVERIFY(client->waitForDisconnected(10'000));
    }
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "sessions").json().value("total").toInt(), 1, 10'000);

    // Replaying the stream gives the final state: only the steady session, every churned one
    // seen opening and closing.
    const auto replay = [&reader](QSet<qint64> *opened, QSet<qint64> *closed) {
        QMap<qint64, QString> live;
        for (const auto &[name, data] : reader.events) {
            const QJsonObject o = data.object();
            if (name == "snapshot") {
                for (const QJsonValue &s : o.value("sessions").toArray())
                    live.insert(qint64(s.toObject().value("id").toDouble()), s.toObject().value("peer").toString());
            } else if (name == "opened") {
                live.insert(qint64(o.value("id").toDouble()), o.value("peer").toString());
                opened->insert(qint64(o.value("id").toDouble()));
            } else if (name == "closed") {
                live.remove(qint64(o.value("id").toDouble()));
                closed->insert(qint64(o.value("id").toDouble()));
            }
        }
        return live;
    };
    QSet<qint64> opened, closed;
    QMap<qint64, QString> live;
    // The last batch's closes may still be in flight (the stream flushes every 100 ms).
    QTRY_VERIFY_WITH_TIMEOUT(
        (opened.clear(), closed.clear(), live = replay(&opened, &closed), closed.size() >= Sessions), 10'000);
    QCOMPARE(live.first(), QStringLiteral("127.0.0.1:%1").arg(steady->socket.localPort()));
    QCOMPARE(opened.size(), Sessions);
    QCOMPARE(closed, opened);
    QCOMPARE(clientPorts.size(), Sessions);
    bool stats = false, updates = false;
    for (const auto &[name, data] : reader.events) {
        stats = stats || name == "stats";
        updates = updates || name == "sessions";
    }
    QVERIFY(stats && updates); // the engine's batched refreshes ride along
    QVERIFY(reader.isOpen());
    QVERIFY(steady->pingRoundTrip(5));
}

// POST reload takes SIGHUP's path: a good file applies (and moves the listener), a bad one
// is refused with its FILE:LINE and the running configuration serves on.
void TestAdminApi::reloadThroughTheApi()
{
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath(QStringLiteral("gw.ini"));
    const auto write = [&ini](const QByteArray &text) {
        QFile file(ini);
        return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
    };
    const QByteArray common = "[gateway]\nname=gw.test\nlisten=127.0.0.1\nadmin-listen=0\nmode=anonymous\n";
    QVERIFY(write(common + "port=" + freePort().toUtf8() + "\n"));
    gw.launch({"--headless", "--config", ini, "--data-dir", gw.dataDir.path()});
    QVERIFY2(gw.waitListening(), gw.err.constData());
    const QString admin = gw.adminEndpoint();
    auto session = openSession(quint16(call(admin, "GET", "port").json().value("port").toInt()), gw.caFile());
    QVERIFY(session);

    const QString next = freePort();
    QVERIFY(write(common + "port=" + next.toUtf8() + "\n[limits]\nmax-streams=5\n"));
    const ApiAnswer applied = call(admin, "POST", "reload");
    QCOMPARE(applied.status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "port").json().value("port").toInt(), next.toInt(), 10'000);
    QCOMPARE(call(admin, "GET", "settings").json().value("limits").toObject().value("maxStreams").toInt(), 5);
    QVERIFY2(gw.err.contains("admin api: reloading the configuration from " + ini.toUtf8()), gw.err.constData());
    QVERIFY(session->pingRoundTrip(3));

    QVERIFY(write(common + "port=" + next.toUtf8() + "\nport=1\n"));
    const ApiAnswer refused = call(admin, "POST", "reload");
    QCOMPARE(refused.status, 422);
    const QJsonArray problems = refused.json().value("problems").toArray();
    QVERIFY2(!problems.isEmpty() &&
                 problems.at(0).toString().startsWith(ini + QStringLiteral(":7: [gateway] port is set again")),
             refused.body.constData());
    QCOMPARE(call(admin, "GET", "port").json().value("port").toInt(), next.toInt());
    QCOMPARE(call(admin, "GET", "settings").json().value("limits").toObject().value("maxStreams").toInt(), 5);
    QVERIFY(session->pingRoundTrip(5));
}

void TestAdminApi::hostileRequests()
{
    GatewayProcess gw;
    const quint16 port = start(gw, {"--mode", "anonymous"});
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    auto session = openSession(port, gw.caFile());
    QVERIFY(session);
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "sessions").json().value("total").toInt(), 1, 5'000);
    const QString id = QString::number(
        call(admin, "GET", "sessions").json().value("sessions").toArray().at(0).toObject().value("id").toDouble());

    // A GET never mutates: 405 with the methods the resource takes, nothing happened.
    const ApiAnswer get = call(admin, "GET", "reload");
    QCOMPARE(get.status, 405);
    QCOMPARE(get.allow, QByteArray());
    QVERIFY(get.json().value("error").toString().contains("POST"));
    QCOMPARE(call(admin, "GET", "pki/csrs/1/approve").status, 405);
    QCOMPARE(call(admin, "GET", "pki/certificates/1/revoke").status, 405);
    QCOMPARE(call(admin, "POST", "status").status, 405);
    QCOMPARE(call(admin, "PUT", "port", "{\"port\": 9999}").status, 405);
    QCOMPARE(call(admin, "POST", "sessions/" + id).status, 405);
    QVERIFY(!gw.err.contains("reloading the configuration"));
    QCOMPARE(call(admin, "GET", "sessions").json().value("total").toInt(), 1);
    // Unknown resources, ids that are not numbers.
    QCOMPARE(call(admin, "GET", "nothing").status, 404);
    QCOMPARE(call(admin, "GET", "sessions/abc").status, 404);
    QCOMPARE(call(admin, "GET", "sessions/-1").status, 404);
    // Malformed and wrongly typed bodies.
    const ApiAnswer malformed = call(admin, "POST", "port", "{\"port\": ");
    QCOMPARE(malformed.status, 400);
    QVERIFY(malformed.json().value("error").toString().startsWith("malformed JSON"));
    QCOMPARE(call(admin, "POST", "port", "[1, 2]").status, 400);
    QCOMPARE(call(admin, "POST", "port", "{\"port\": \"8443\"}").status, 400);
    QCOMPARE(call(admin, "POST", "port", QByteArray(3000, '{')).status, 400);
    QCOMPARE(call(admin, "POST", "port", "{\"port\": 9999}", "text/plain").status, 415); // no cross-site form
    QCOMPARE(call(admin, "POST", "reload", "", "").status, 415);

    // A foreign Host (DNS rebinding): refused.
    QTcpSocket raw;
    const auto rawRequest = [&](const QByteArray &request) {
        raw.connectToHost(QHostAddress::LocalHost, quint16(admin.mid(admin.lastIndexOf(u':') + 1).toUInt()));
        if (!raw.waitForConnected(5'000))
            return QByteArray();
        raw.write(request);
        QByteArray answer;
        (void)QTest::qWaitFor(
            [&] {
                answer += raw.readAll();
                return answer.contains("\r\n\r\n") || raw.state() != QAbstractSocket::ConnectedState;
            },
            10'000);
        raw.abort();
        return answer;
    };
    QVERIFY(rawRequest("GET /api/v1/status HTTP/1.1\r\nHost: evil.example:9543\r\n\r\n").startsWith("HTTP/1.1 403"));
    QVERIFY(rawRequest("GET /api/v1/status HTTP/1.1\r\nHost: localhost:9543\r\n\r\n").startsWith("HTTP/1.1 200"));
    // SeaCat framing (a PING) is not HTTP: refused at its first byte, not left to the idle timeout.
    QElapsedTimer framing;
    framing.start();
    QVERIFY(rawRequest(serialize(Ping{1})).startsWith("HTTP/1.1 400"));
    QVERIFY(framing.elapsed() < 5'000);
    // Oversized: a body over the admin listener's 64 KiB is cut unanswered.
    const QByteArray big = "POST /api/v1/port HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           "Content-Length: 200000\r\n\r\n{\"port\": 9999, \"pad\": \"" +
                           QByteArray(200'000, 'a');
    QVERIFY(!rawRequest(big).startsWith("HTTP/1.1 2"));

    // A request flood: past the budget (200 at once, then 100/s) 429, then served again. A
    // second peer (127.0.0.2, 8 connections at a time) floods alongside: each has a budget of
    // its own, so the second's first 200 requests are all answered, whatever the first spends.
    {
        QNetworkAccessManager manager;
        QList<QNetworkReply *> replies;
        for (int i = 0; i < 400; ++i)
            replies.append(manager.get(QNetworkRequest(QUrl(QStringLiteral("http://%1/api/v1/status").arg(admin)))));
        QMap<int, int> other;
        QList<int> otherInOrder;
        int otherStarted = 0;
        std::function<void()> startOther = [&] {
            if (otherStarted >= 400)
                return;
            ++otherStarted;
            auto *socket = new QTcpSocket(this);
            auto *answer = new QByteArray;
            // One whole response (its head and Content-Length bytes), then the next request on
            // a new connection: the server keeps an answered connection open.
            const auto done = [&, socket, answer] {
                otherInOrder.append(answer->startsWith("HTTP/1.1 ") ? answer->mid(9, 3).toInt() : 0);
                ++other[otherInOrder.last()];
                delete answer;
                socket->disconnect();
                socket->abort();
                socket->deleteLater();
                startOther();
            };
            connect(socket, &QTcpSocket::readyRead, socket, [socket, answer, done] {
                *answer += socket->readAll();
                const qsizetype head = answer->indexOf("\r\n\r\n");
                static const QRegularExpression length(QStringLiteral("(?i)content-length: *(\\d+)"));
                const auto m = length.match(QString::fromLatin1(answer->left(head)));
                if (head >= 0 && m.hasMatch() && answer->size() - head - 4 >= m.captured(1).toInt())
                    done();
            });
            connect(socket, &QTcpSocket::disconnected, socket, done);
            if (!socket->bind(QHostAddress(QStringLiteral("127.0.0.2"))))
                qWarning("cannot bind 127.0.0.2: %s", qPrintable(socket->errorString()));
            socket->connectToHost(QHostAddress::LocalHost, quint16(admin.mid(admin.lastIndexOf(u':') + 1).toUInt()));
            socket->write("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        };
        for (int i = 0; i < 8; ++i) // with the manager's 6, within the listener's 16 connections
            startOther();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return std::all_of(replies.cbegin(), replies.cend(), [](auto *r) { return r->isFinished(); }) &&
                       other.value(200) + other.value(429) + other.value(0) == 400;
            },
            60'000));
        QMap<int, int> statuses;
        for (QNetworkReply *r : std::as_const(replies))
            ++statuses[r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()];
        qDeleteAll(replies);
        qInfo("400 requests at once: %d answered 200, %d answered 429; from 127.0.0.2 alongside, %d and %d",
              statuses.value(200), statuses.value(429), other.value(200), other.value(429));
        QVERIFY(statuses.value(429) > 0);
        QVERIFY(statuses.value(200) >= 100);
        QCOMPARE(statuses.value(200) + statuses.value(429), 400);
        QCOMPARE(otherInOrder.mid(0, 200).count(200), 200);
        QCOMPARE(other.value(200) + other.value(429), 400);
    }
    // The gateway serves on: the API (once the budget refilled), the session, a new session.
    QTRY_COMPARE_WITH_TIMEOUT(call(admin, "GET", "status").status, 200, 5'000);
    QCOMPARE(call(admin, "GET", "port").json().value("port").toInt(), int(port));
    QVERIFY(session->pingRoundTrip(3));
    QVERIFY(openSession(port, gw.caFile()));
    QCOMPARE(gw.process.state(), QProcess::Running);
}

void TestAdminApi::ctlRoundTripsEveryVerb()
{
    GatewayProcess gw;
    const quint16 port = start(gw);
    QVERIFY2(port, gw.err.constData());
    const QString admin = QStringLiteral("http://") + gw.adminEndpoint();
    struct Run {
        int exitCode = -1;
        QByteArray out, err;
        QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    };
    const auto ctl = [&](const QStringList &args, const QString &url = QString()) {
        QProcess p;
        p.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                QStringList{"ctl", "--admin", url.isEmpty() ? admin : url, "--json"} + args);
        Run run;
        if (p.waitForFinished(30'000))
            run.exitCode = p.exitCode();
        run.out = p.readAllStandardOutput();
        run.err = p.readAllStandardError();
        return run;
    };

    // Two sessions, each with a CSR (one to approve, one to reject).
    SeaCatClient first, second;
    QVERIFY(connectClient(first, port, gw.caFile()));
    QVERIFY(connectClient(second, port, gw.caFile()));
    QTemporaryDir keys1, keys2;
    QString error;
    for (auto [client, dir] : {std::pair{&first, &keys1}, std::pair{&second, &keys2}}) {
        KeyPtr key = Enrolment::loadOrCreateKey(dir->path(), KeyType::EcP256, &error);
        quint8 flags = 0;
        auto c = connect(client, &SeaCatClient::csrReply, this, [&flags](quint8 f) { flags = f; });
        client->sendCsr(Enrolment::makeCsr(key.get(), QStringLiteral("CN=ctl"), &error));
        QVERIFY(QTest::qWaitFor([&] { return flags != 0; }, 10'000));
        disconnect(c);
    }

    Run status = ctl({"status"});
    QCOMPARE(status.exitCode, 0);
    QCOMPARE(status.json().object().value("listening").toObject().value("port").toInt(), int(port));
    QCOMPARE(status.json().object().value("name").toString(), QStringLiteral("gw.test"));
    QTRY_COMPARE_WITH_TIMEOUT(ctl({"sessions"}).json().object().value("total").toInt(), 2, 5'000);
    const QJsonArray sessions = ctl({"sessions"}).json().object().value("sessions").toArray();
    const QString firstId = QString::number(sessions.at(0).toObject().value("id").toDouble());
    QCOMPARE(ctl({"sessions", "--filter", "no-such-client"}).json().object().value("total").toInt(), 0);
    QCOMPARE(ctl({"sessions", "--limit", "1"}).json().object().value("sessions").toArray().size(), 1);
    QCOMPARE(ctl({"sessions", "show", firstId}).json().object().value("id").toDouble(), firstId.toDouble());

    QTRY_COMPARE_WITH_TIMEOUT(ctl({"pki", "csrs"}).json().object().value("csrs").toArray().size(), 2, 5'000);
    const QJsonArray csrs = ctl({"pki", "csrs"}).json().object().value("csrs").toArray();
    const Run approved = ctl({"pki", "approve", QString::number(csrs.at(0).toObject().value("id").toDouble())});
    QCOMPARE(approved.exitCode, 0);
    const QString serial =
        QString::number(approved.json().object().value("certificate").toObject().value("serial").toDouble());
    QVERIFY2(serial.toULongLong() > 0, approved.out.constData());
    const Run rejected = ctl({"pki", "reject", QString::number(csrs.at(1).toObject().value("id").toDouble())});
    QCOMPARE(rejected.exitCode, 0);
    QCOMPARE(rejected.json().object().value("state").toString(), QStringLiteral("rejected"));
    QCOMPARE(ctl({"pki", "csrs"}).json().object().value("csrs").toArray().size(), 0);
    const QJsonArray certificates = ctl({"pki", "certs"}).json().object().value("certificates").toArray();
    QCOMPARE(certificates.size(), 1);
    QCOMPARE(QString::number(certificates.at(0).toObject().value("serial").toDouble()), serial);
    QVERIFY(ctl({"pki", "export", serial}).out.startsWith("-----BEGIN CERTIFICATE-----"));
    QVERIFY(ctl({"pki", "ca"}).out.startsWith("-----BEGIN CERTIFICATE-----"));
    const Run revoked = ctl({"pki", "revoke", serial});
    QCOMPARE(revoked.exitCode, 0);
    QCOMPARE(revoked.json().object().value("status").toString(), QStringLiteral("revoked"));

    QCOMPARE(ctl({"settings"}).json().object().value("name").toString(), QStringLiteral("gw.test"));
    const Run reload = ctl({"reload"});
    QCOMPARE(reload.exitCode, 0);
    QCOMPARE(reload.json().object().value("reloaded").toBool(), true);
    QCOMPARE(ctl({"port"}).json().object().value("port").toInt(), int(port));
    const QString next = freePort();
    QCOMPARE(ctl({"port", next}).json().object().value("port").toInt(), next.toInt());
    QVERIFY(first.isConnected());

    QSignalSpy firstGone(&first, &SeaCatClient::disconnected);
    const Run closed = ctl({"sessions", "close", firstId});
    QCOMPARE(closed.exitCode, 0);
    QVERIFY(closed.json().object().value("reason").toString().contains("administrator"));
    QVERIFY(firstGone.count() || firstGone.wait(5'000));

    // Errors: the gateway's reason and exit 1; unreachable: exit 1 naming the URL; usage: 2.
    const Run missing = ctl({"sessions", "close", firstId});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("no session " + firstId.toUtf8()) && missing.err.contains("HTTP 404"),
             missing.err.constData());
    const Run refused = ctl({"port", "80"});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("HTTP 422"), refused.err.constData());
    const QString nowhere = QStringLiteral("http://127.0.0.1:") + freePort();
    const Run unreachable = ctl({"status"}, nowhere);
    QCOMPARE(unreachable.exitCode, 1);
    QVERIFY2(unreachable.err.contains("cannot reach the gateway's admin API at " + nowhere.toUtf8()),
             unreachable.err.constData());
    QCOMPARE(ctl({"bogus"}).exitCode, 2);
    QCOMPARE(ctl({"pki", "approve", "x"}).exitCode, 2);
    QCOMPARE(ctl({"status"}, QStringLiteral("ftp://127.0.0.1:1")).exitCode, 2);
    // The human form of a listing.
    QProcess table;
    table.start(QStringLiteral(SEACAT_GATEWAY_BIN), {"ctl", "--admin", admin, "sessions"});
    QVERIFY(table.waitForFinished(30'000));
    QVERIFY(table.readAllStandardOutput().contains("PEER"));
}

// README "Admin over the network", on loopback with admin-tls=on (tests stay on loopback): only
// a certificate of the admin CA that its registry lists is admitted; none, a mobile client's
// (the clients' CA) and one of an unknown CA are refused; a revoked workstation is refused and
// its open connection closed; SeaCat framing gets nowhere.
void TestAdminApi::adminTlsAdmitsOnlyIssuedWorkstations()
{
    GatewayProcess gw;
    const QString adminPort = freePort();
    const QString identity = gw.dataDir.filePath(QStringLiteral("laptop"));
    const QString dataDir = gw.dataDir.filePath(QStringLiteral("data"));
    const auto [issued, said] = issueWorkstation(dataDir, QStringLiteral("laptop"), identity);
    QVERIFY2(issued == 0, said.constData());
    QVERIFY(said.startsWith("issued workstation laptop"));
    QCOMPARE(QFileInfo(identity + QStringLiteral("/key.pem")).permissions() &
                 (QFileDevice::ReadGroup | QFileDevice::ReadOther),
             QFileDevice::Permissions());

    QStringList args = gw.defaultArgs();
    args[args.indexOf(gw.dataDir.path())] = dataDir;
    gw.launch(args +
              QStringList{"--admin-listen", "127.0.0.1:" + adminPort, "--admin-tls", "on", "--approval", "auto"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    QVERIFY2(gw.err.contains("admin listener: mutual TLS with the admin CA"), gw.err.constData());
    const QSslCertificate adminCa(readFile(identity + QStringLiteral("/ca.pem")));
    const QString serverName = QString::fromUtf8(readFile(identity + QStringLiteral("/server-name")).trimmed());
    QCOMPARE(serverName, QStringLiteral("admin-server.gw.test"));
    const QSslCertificate laptop(readFile(identity + QStringLiteral("/cert.pem")));
    const QSslKey laptopKey(readFile(identity + QStringLiteral("/key.pem")), QSsl::Ec);
    const quint16 admin = quint16(adminPort.toUInt());
    QCOMPARE(tlsStatus(admin, laptop, laptopKey, adminCa, serverName), 200);

    // No certificate; plain HTTP.
    QCOMPARE(tlsStatus(admin, QSslCertificate(), QSslKey(), adminCa, serverName), 0);
    QCOMPARE(call(QStringLiteral("127.0.0.1:") + adminPort, "GET", "status").status, 0);
    // A mobile client's certificate, enrolled (auto-approved) from the gateway's own CA.
    QTemporaryDir mobile;
    QProcess enroll;
    enroll.start(QStringLiteral(SEACAT_CLIENT_BIN),
                 {"--gateway", QStringLiteral("127.0.0.1:%1").arg(port), "--ca", dataDir + "/ca.pem", "--name",
                  "gw.test", "enroll", "--identity", mobile.path(), "--key-type", "ec"});
    QVERIFY(finished(enroll, 20'000));
    QVERIFY2(enroll.exitCode() == 0, enroll.readAllStandardError().constData());
    QCOMPARE(tlsStatus(admin, QSslCertificate(readFile(mobile.filePath("cert.pem"))),
                       QSslKey(readFile(mobile.filePath("key.pem")), QSsl::Ec), adminCa, serverName),
             0);
    // A certificate of an unknown CA, with the workstation's very name.
    QString error;
    KeyPtr caKey = generateKey(KeyType::EcP256), key = generateKey(KeyType::EcP256);
    CertificateOrder caOrder;
    caOrder.role = CertificateRole::Ca;
    caOrder.subjectKey = caKey.get();
    caOrder.commonName = QStringLiteral("admin-server.gw.test SeaCat CA");
    CertPtr foreignCa = buildCertificate(caOrder, &error);
    QVERIFY2(foreignCa, qPrintable(error));
    CertificateOrder order;
    order.subjectKey = key.get();
    order.commonName = QStringLiteral("laptop");
    order.issuer = foreignCa.get();
    order.issuerKey = caKey.get();
    CertPtr foreign = buildCertificate(order, &error);
    QVERIFY2(foreign, qPrintable(error));
    QCOMPARE(tlsStatus(admin, QSslCertificate(certToPem(foreign.get())), QSslKey(keyToPem(key.get()), QSsl::Ec),
                       adminCa, serverName),
             0);

    // SeaCat framing over the admin TLS: no PING echo, the connection closed.
    QSslSocket seacat;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({adminCa});
    tls.setLocalCertificate(laptop);
    tls.setPrivateKey(laptopKey);
    seacat.setSslConfiguration(tls);
    seacat.setPeerVerifyName(serverName);
    seacat.connectToHostEncrypted(QStringLiteral("127.0.0.1"), admin);
    QVERIFY(seacat.waitForEncrypted(10'000));
    seacat.write(serialize(Ping{1}));
    QTRY_COMPARE_WITH_TIMEOUT(seacat.state(), QAbstractSocket::UnconnectedState, 10'000);
    QVERIFY(!seacat.readAll().contains(serialize(Ping{1})));

    // ctl with the identity; then revoked: refused, and its open connection goes within a second.
    const auto ctl = [&](const QStringList &verb) {
        QProcess p;
        // ctl's TLS runs in QNetworkAccessManager's own thread, whose OpenSSL state is freed by a
        // thread-exit handler that races the exit of this one-shot process (QT64-NOTES §5):
        // LeakSanitizer's check is left to the gateway here, whose threads free it themselves.
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("ASAN_OPTIONS"),
                           environment.value(QStringLiteral("ASAN_OPTIONS")) + QStringLiteral(":detect_leaks=0"));
        p.setProcessEnvironment(environment);
        p.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                QStringList{"ctl", "--admin", "https://127.0.0.1:" + adminPort, "--identity", identity, "--json"} +
                    verb);
        p.waitForFinished(30'000);
        return std::make_pair(p.exitCode(), QJsonDocument::fromJson(p.readAllStandardOutput()).object());
    };
    const auto status = ctl({"status"});
    QCOMPARE(status.first, 0);
    QCOMPARE(ctl({"port", freePort()}).first, 0); // a mutation: audited with the workstation's name
    QTRY_VERIFY2_WITH_TIMEOUT(gw.err.contains("admin api: POST /api/v1/port from 127.0.0.1:") &&
                                  gw.err.contains(" (workstation laptop): 200 now listening on"),
                              gw.err.constData(), 5'000);
    QCOMPARE(status.second.value("listening").toObject().value("port").toInt(), int(port));
    QSslSocket stream;
    stream.setSslConfiguration(tls);
    stream.setPeerVerifyName(serverName);
    stream.connectToHostEncrypted(QStringLiteral("127.0.0.1"), admin);
    QVERIFY(stream.waitForEncrypted(10'000));
    stream.write("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(stream.bytesAvailable() > 0, 10'000);
    QProcess revoke;
    revoke.start(QStringLiteral(SEACAT_GATEWAY_BIN), {"--data-dir", dataDir, "admin", "revoke", "laptop"});
    QVERIFY(revoke.waitForFinished(20'000));
    QCOMPARE(revoke.exitCode(), 0);
    QElapsedTimer timer;
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(stream.state(), QAbstractSocket::UnconnectedState, 5'000);
    qInfo("the revoked workstation's event stream closed after %lld ms", timer.elapsed());
    QCOMPARE(tlsStatus(admin, laptop, laptopKey, adminCa, serverName), 0);
    QCOMPARE(ctl({"status"}).first, 1);
    // A new identity for the same name works again; names are checked.
    QCOMPARE(issueWorkstation(dataDir, QStringLiteral("laptop"), gw.dataDir.filePath("laptop2")).first, 0);
    QCOMPARE(tlsStatus(admin, QSslCertificate(readFile(gw.dataDir.filePath("laptop2/cert.pem"))),
                       QSslKey(readFile(gw.dataDir.filePath("laptop2/key.pem")), QSsl::Ec), adminCa, serverName),
             200);
    QCOMPARE(issueWorkstation(dataDir, QStringLiteral("admin-server.x"), gw.dataDir.filePath("bad")).first, 1);
}

// admin-tls=auto: a non-loopback admin-listen takes mutual TLS without being asked. The
// listener binds the wildcard address; the test only connects through 127.0.0.1.
void TestAdminApi::adminListenOffLoopbackTakesTls()
{
    GatewayConfig config;
    QCOMPARE(config.set(QStringLiteral("admin-listen"), QStringLiteral("0.0.0.0:9543")), QString());
    QVERIFY(config.adminNeedsTls());
    QCOMPARE(config.set(QStringLiteral("admin-listen"), QStringLiteral("[::1]:9543")), QString());
    QVERIFY(!config.adminNeedsTls());
    QCOMPARE(config.set(QStringLiteral("admin-tls"), QStringLiteral("on")), QString());
    QVERIFY(config.adminNeedsTls());
    QVERIFY(!config.set(QStringLiteral("admin-tls"), QStringLiteral("off")).isEmpty()); // no such thing

    GatewayProcess gw;
    const QString adminPort = freePort();
    gw.launch(gw.defaultArgs() + QStringList{"--admin-listen", "0.0.0.0:" + adminPort});
    QVERIFY2(gw.waitListening(), gw.err.constData());
    QVERIFY2(gw.err.contains("admin listener: mutual TLS with the admin CA"), gw.err.constData());
    QCOMPARE(call(QStringLiteral("127.0.0.1:") + adminPort, "GET", "status").status, 0);
    QVERIFY(QFile::exists(gw.dataDir.filePath(QStringLiteral("admin/ca.pem"))));
}

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
