// The engine in its worker thread on loopback, driven by a real QSslSocket SeaCat client.
#include "codec/framewriter.h"
#include "common/gatewayfixture.h"
#include "common/hex.h"
#include "common/testclient.h"
#include "gatewayengine.h"
#include "pki/gatewayidentity.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>

using namespace SeaCat;

namespace {

QByteArray synStream(quint32 id, bool fin, const QByteArray &host = "app")
{
    return serialize(SynStream{id, fin, 1, host, "GET", "/hello", {}});
}

} // namespace

class TestEngine : public QObject
{
    Q_OBJECT

private slots:
    void firstStartCreatesIdentity();
    void laterStartReusesIdentity();
    void tlsProfile();
    void ecServerKeyOption();
    void pingEcho();
    void answersToOneReadShareOneTlsRecord();
    void streamLimit();
    void malformedSynStreamResetsStream();
    void lostFramingClosesSession();
    void streamIdRules();
    void unknownFramesAreCounted();
    void floodClosesAreCounted();
    void modes_data();
    void modes();
    void enrolmentFramesAreAnswered();
    void authorizedModeClosesSilentConnections();
    void idleTimeout();
    void gatewayPings();
    void sessionSignalsCarryValues();
    void changePortKeepsSessions();
    void changePortToBusyPortKeepsOldPort();
    void disconnectSession();
    void stopClosesWithCloseNotify();
};

void TestEngine::firstStartCreatesIdentity()
{
    GatewayFixture gw;
    QVERIFY(gw.start());
    const QDir dir(gw.dataDir.path());
    for (const QString &key : {GatewayIdentity::CaKeyFile, GatewayIdentity::ServerKeyFile})
        QCOMPARE(QFileInfo(dir.filePath(key)).permissions() &
                     (QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                      QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup |
                      QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const auto ca = QSslCertificate::fromPath(gw.caFile());
    const auto server = QSslCertificate::fromPath(dir.filePath(GatewayIdentity::ServerCertFile));
    QCOMPARE(ca.size(), 1);
    QCOMPARE(server.size(), 1);
    QCOMPARE(server[0].subjectInfo(QSslCertificate::CommonName), QStringList{"gw.test"});
    QCOMPARE(server[0].issuerDisplayName(), ca[0].subjectDisplayName());
    QCOMPARE(server[0].publicKey().length(), 2048);
    // Issued directly by the CA (§6.1: depth 1); tlsProfile() verifies the signature chain.
    QCOMPARE(server[0].issuerInfo(QSslCertificate::CommonName), ca[0].subjectInfo(QSslCertificate::CommonName));
}

void TestEngine::laterStartReusesIdentity()
{
    QTemporaryDir dir;
    QString error;
    auto first = GatewayIdentity::loadOrCreate(dir.path(), QStringLiteral("gw.test"), &error);
    QVERIFY2(first, qPrintable(error));
    auto second = GatewayIdentity::loadOrCreate(dir.path(), QStringLiteral("gw.test"), &error);
    QVERIFY(second);
    QCOMPARE(second->caCertificate, first->caCertificate);
    QCOMPARE(second->serverCertificate, first->serverCertificate);
    // A new name re-issues the server certificate from the same CA.
    auto renamed = GatewayIdentity::loadOrCreate(dir.path(), QStringLiteral("other.test"), &error);
    QVERIFY(renamed);
    QCOMPARE(renamed->caCertificate, first->caCertificate);
    QCOMPARE(renamed->serverCertificate.subjectInfo(QSslCertificate::CommonName), QStringList{"other.test"});
    // A CA certificate whose key is gone is never silently replaced: clients trust it.
    QVERIFY(QFile::remove(dir.filePath(GatewayIdentity::CaKeyFile)));
    QVERIFY(!GatewayIdentity::loadOrCreate(dir.path(), QStringLiteral("gw.test"), &error));
    QVERIFY2(error.contains(GatewayIdentity::CaKeyFile), qPrintable(error));
}

void TestEngine::tlsProfile()
{
    GatewayFixture gw;
    const quint16 port = gw.start();
    QVERIFY(port);
    TestClient client(gw.caFile());
    QVERIFY2(client.connectTo(port), qPrintable(client.sslErrors.join(u'\n') + client.socket.errorString()));
    QVERIFY(client.sslErrors.isEmpty());
    QCOMPARE(client.socket.sessionCipher().name(), QStringLiteral("ECDHE-RSA-AES256-SHA384"));
    QCOMPARE(client.socket.sessionProtocol(), QSsl::TlsV1_2);
    QCOMPARE(client.socket.peerCertificate().subjectInfo(QSslCertificate::CommonName), QStringList{"gw.test"});
    QVERIFY(client.socket.sslConfiguration().nextNegotiatedProtocol().isEmpty());

    // A client trusting another CA must fail verification.
    QTemporaryDir otherDir;
    QString error;
    QVERIFY(GatewayIdentity::loadOrCreate(otherDir.path(), QStringLiteral("gw.test"), &error));
    TestClient stranger(otherDir.filePath(QStringLiteral("ca.pem")));
    QVERIFY(!stranger.connectTo(port));
    QVERIFY(!stranger.sslErrors.isEmpty());
    // TLS 1.3 is enabled for other clients.
    QSslSocket modern;
    QSslConfiguration tls = modern.sslConfiguration();
    tls.setProtocol(QSsl::TlsV1_3);
    tls.setCaCertificates(QSslCertificate::fromPath(gw.caFile()));
    modern.setSslConfiguration(tls);
    modern.setPeerVerifyName(QStringLiteral("gw.test"));
    modern.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    QVERIFY(modern.waitForEncrypted(10'000));
    QCOMPARE(modern.sessionProtocol(), QSsl::TlsV1_3);
}

void TestEngine::ecServerKeyOption()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    QCOMPARE(config.set(QStringLiteral("server-key"), QStringLiteral("ec")), QString());
    const quint16 port = gw.start(config);
    QVERIFY(port);
    QVERIFY(!gw.log.filter("cannot connect (use server-key=rsa)").isEmpty() ||
            QTest::qWaitFor([&] { return !gw.log.filter("cannot connect (use server-key=rsa)").isEmpty(); }, 5'000));
    // A TLS 1.3 client gets the EC certificate from the same CA; the RSA-only stock profile cannot.
    QSslSocket modern;
    QSslConfiguration tls = modern.sslConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(gw.caFile()));
    modern.setSslConfiguration(tls);
    modern.setPeerVerifyName(QStringLiteral("gw.test"));
    modern.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    QVERIFY(modern.waitForEncrypted(10'000));
    QCOMPARE(modern.peerCertificate().publicKey().algorithm(), QSsl::Ec);
    TestClient stock(gw.caFile());
    QVERIFY(!stock.connectTo(port, 5'000));
}

void TestEngine::pingEcho()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    QVERIFY(client.pingRoundTrip(1));
    QVERIFY(client.pingRoundTrip(3));
    // An even id is a reply to a gateway ping: no answer. The next odd one is still echoed.
    client.send(serialize(Ping{4}));
    QVERIFY(client.pingRoundTrip(5));
    QCOMPARE(client.received.events, (QStringList{"PING id=1", "PING id=3", "PING id=5"}));
}

void TestEngine::answersToOneReadShareOneTlsRecord()
{
    // Issue 10: what the gateway answers to one read leaves in one write, i.e. one TLS record,
    // not one record (header, IV, MAC, padding and an encryption) per frame. Counted on the
    // wire by a TCP relay between client and gateway.
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = GatewayMode::Anonymous; // a 404 with the host in its text for every request
    const quint16 gatewayPort = gw.start(config);
    QTcpServer relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost));
    QTcpSocket upstream;
    QTcpSocket *downstream = nullptr;
    qint64 fromGateway = 0;
    connect(&relay, &QTcpServer::newConnection, this, [&] {
        downstream = relay.nextPendingConnection();
        connect(downstream, &QTcpSocket::readyRead, this, [&] { upstream.write(downstream->readAll()); });
        connect(&upstream, &QTcpSocket::readyRead, this, [&] {
            const QByteArray bytes = upstream.readAll();
            fromGateway += bytes.size();
            downstream->write(bytes);
        });
        upstream.connectToHost(QHostAddress::LocalHost, gatewayPort); // writes wait for the connect
    });
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(relay.serverPort()));
    QVERIFY(client.pingRoundTrip(1)); // the handshake's last bytes are through
    const qint64 wireBefore = fromGateway;
    const qint64 plainBefore = client.raw.size();
    // Five requests for a host without a backend, in one record: five SYN_REPLYs and five DATA
    // frames of over 256 bytes (Qt writes a buffer that large as a TLS record of its own).
    const QByteArray host(200, 'a');
    QByteArray requests;
    for (quint32 id = 1; id <= 9; id += 2)
        requests += serialize(SynStream{id, true, 1, host, "GET", "/", {}});
    client.send(requests);
    QVERIFY(client.waitForEvents(1 + 10));
    // TLS 1.2 with the stock suite (AES-256-CBC, HMAC-SHA384) adds 69-85 bytes per record:
    // ten records would add at least 690; one or two records at most 170.
    const qint64 overhead = (fromGateway - wireBefore) - (client.raw.size() - plainBefore);
    QVERIFY2(overhead <= 2 * 85,
             qPrintable(QStringLiteral("%1 bytes of TLS record overhead for ten frames").arg(overhead)));
}

void TestEngine::streamLimit()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = GatewayMode::Anonymous;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start(config)));
    // 100 streams without FIN stay open (the request body never comes) ...
    QByteArray burst;
    for (quint32 id = 1; id <= 2 * 100; id += 2)
        burst += synStream(id, false, "nowhere");
    client.send(burst);
    QVERIFY(client.waitForEvents(200));
    QVERIFY(client.received.events.at(0).startsWith(
        "SYN_REPLY id=1 fin=0 status=404 Content-Type:text/plain; charset=utf-8"));
    QVERIFY(client.received.events.at(1).startsWith("DATA id=1 fin=1"));
    // ... so the 101st is refused with RST_STREAM 3 (README "Limits").
    client.send(synStream(201, true));
    QVERIFY(client.waitForEvents(201));
    QCOMPARE(client.received.events.at(200), QStringLiteral("RST_STREAM id=201 status=3"));
    // Ending one stream frees a slot.
    client.send(serialize(DataFrame{1, true, "body"}));
    client.send(synStream(203, true));
    QVERIFY(client.waitForEvents(203));
    QVERIFY(client.received.events.at(201).startsWith("SYN_REPLY id=203 fin=0 status=404"));
}

void TestEngine::malformedSynStreamResetsStream()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    // SYN_STREAM 3 whose host VLE claims 5 bytes but the payload ends after 2.
    client.send(hex("80 A1 00 01 01 00 00 0D 00 00 00 03 00 00 00 00 20 00 05 61 70"));
    QVERIFY(client.waitForEvents(1));
    QCOMPARE(client.received.events.at(0), QStringLiteral("RST_STREAM id=3 status=1"));
    // A PING of the wrong size is dropped; the session goes on.
    client.send(hex("80 03 00 06 00 00 00 05 00 00 00 01 FF"));
    QVERIFY(client.pingRoundTrip(7));
    QCOMPARE(client.received.events.size(), 2);
}

void TestEngine::lostFramingClosesSession()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    QSignalSpy closed(gw.controller.get(), &GatewayController::sessionClosed);
    // A 16 MiB length claim: the framing is lost, the gateway closes with close_notify.
    client.send(hex("80 03 00 06 00 FF FF FF 00 00 00 01"));
    QVERIFY(client.waitForDisconnected());
    QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError);
    QVERIFY(closed.wait(5'000) || closed.size() == 1);
    QVERIFY2(closed.at(0).at(1).toString().contains("payload too large"), qPrintable(closed.at(0).at(1).toString()));
}

void TestEngine::streamIdRules()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    client.send(serialize(DataFrame{9, false, "x"})); // unknown stream → INVALID_STREAM
    client.send(synStream(4, true));                  // even id → PROTOCOL_ERROR
    client.send(synStream(11, false));                // opens (403, half-open)
    client.send(synStream(11, false));                // reuse of an open id → PROTOCOL_ERROR
    QVERIFY(client.waitForEvents(5));
    QCOMPARE(client.received.events.at(0), QStringLiteral("RST_STREAM id=9 status=2"));
    QCOMPARE(client.received.events.at(1), QStringLiteral("RST_STREAM id=4 status=1"));
    QVERIFY(client.received.events.at(2).startsWith("SYN_REPLY id=11 fin=0 status=403"));
    QVERIFY(client.received.events.at(3).startsWith("DATA id=11 fin=1"));
    QCOMPARE(client.received.events.at(4), QStringLiteral("RST_STREAM id=11 status=1"));
}

void TestEngine::unknownFramesAreCounted()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QSignalSpy updates(gw.controller.get(), &GatewayController::sessionsUpdated);
    QVERIFY(client.connectTo(gw.start()));
    client.send(hex("80 A1 00 A1 00 00 00 03 01 02 03")); // STATS_REQ: ignored (§3.10)
    client.send(hex("80 B1 00 66 00 00 00 00"));          // BUS version: ignored
    QVERIFY(client.pingRoundTrip(1));
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (const auto &args : updates)
                for (const SessionInfo &info : args.at(0).value<QList<SessionInfo>>())
                    if (info.unknownFrames == 2 && info.pingsReceived == 1)
                        return true;
            return false;
        },
        5'000));
}

void TestEngine::floodClosesAreCounted()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.glitchBurst = 10;
    config.resetBurst = 10;
    QSignalSpy stats(gw.controller.get(), &GatewayController::statsUpdated);
    const quint16 port = gw.start(config);
    TestClient glitcher(gw.caFile());
    QVERIFY(glitcher.connectTo(port));
    glitcher.send(hex("80 B1 00 66 00 00 00 00").repeated(20)); // unknown control frames
    QVERIFY(glitcher.waitForDisconnected());
    TestClient resetter(gw.caFile());
    QVERIFY(resetter.connectTo(port));
    QByteArray pairs;
    for (quint32 id = 1; id < 40; id += 2)
        pairs += serialize(SynStream{id, false, 0, "nohost", "GET", "/", {}}) + serialize(RstStream{id, 5});
    resetter.send(pairs);
    QVERIFY(resetter.waitForDisconnected());
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (const auto &args : stats) {
                const GatewayStats s = args.at(0).value<GatewayStats>();
                if (s.glitchFloodCloses == 1 && s.resetFloodCloses == 1)
                    return true;
            }
            return false;
        },
        5'000));
}

void TestEngine::modes_data()
{
    QTest::addColumn<GatewayMode>("mode");
    QTest::addColumn<QString>("reply");
    QTest::newRow("combined: anonymous requests are refused")
        << GatewayMode::Combined << "SYN_REPLY id=1 fin=0 status=403";
    QTest::newRow("authorized: likewise") << GatewayMode::Authorized << "SYN_REPLY id=1 fin=0 status=403";
    QTest::newRow("anonymous: unknown host is 404") << GatewayMode::Anonymous << "SYN_REPLY id=1 fin=0 status=404";
}

void TestEngine::modes()
{
    QFETCH(GatewayMode, mode);
    QFETCH(QString, reply);
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = mode;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start(config)));
    client.send(
        hex("80 A1 00 01 01 00 00 19 00 00 00 01 00 00 00 00 20 00 03 61 70 70 03 47 45 54 06 2F 68 65 6C 6C 6F"));
    QVERIFY(client.waitForEvents(2));
    QVERIFY2(client.received.events.at(0).startsWith(reply), qPrintable(client.received.events.at(0)));
    QVERIFY(client.received.events.at(1).startsWith("DATA id=1 fin=1 len="));
}

void TestEngine::enrolmentFramesAreAnswered()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    client.send(hex("80 A1 00 C1 01 00 00 04 30 82 00 00"));             // CSR that is no PKCS#10
    client.send(hex("80 A1 00 C2 00 00 00 04 00 01 00 01"));             // CERT_QUERY, nothing on record
    client.send(hex("80 B5 00 02 00 00 00 08 00 00 00 05 61 1F 62 00")); // TELEMETRY serial 5
    QVERIFY(client.waitForEvents(2));
    // Frames are answered in order. The client has no identity yet (no certificate, CSR or keyed
    // CERT_QUERY), so its telemetry cannot be stored and is not ACKed (issue 16 item 6).
    QVERIFY(client.pingRoundTrip(1));
    QCOMPARE(client.received.events,
             (QStringList{"CSR_REPLY flags=4", "CERT id=1 type=1 notfound=0 der=0", "PING id=1"}));
}

void TestEngine::authorizedModeClosesSilentConnections()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = GatewayMode::Authorized;
    config.authorizedGraceMs = 600;
    TestClient enrolling(gw.caFile()), silent(gw.caFile());
    const quint16 port = gw.start(config);
    QVERIFY(enrolling.connectTo(port));
    QVERIFY(silent.connectTo(port));
    QVERIFY(silent.pingRoundTrip(1)); // PING is not enrolment traffic
    for (int i = 0; i < 4; ++i) {
        enrolling.send(hex("80 A1 00 C2 00 00 00 04 00 01 00 01"));
        QTest::qWait(250);
    }
    QVERIFY(silent.waitForDisconnected(5'000));
    QCOMPARE(enrolling.socket.state(), QAbstractSocket::ConnectedState);
}

void TestEngine::idleTimeout()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.idleTimeoutMs = 500;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start(config)));
    QVERIFY(client.pingRoundTrip(1));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.waitForDisconnected(5'000));
    QVERIFY(timer.elapsed() >= 400);
    QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError);
}

void TestEngine::gatewayPings()
{
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.pingIntervalMs = 100;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start(config)));
    QVERIFY(client.waitForEvents(2));
    QCOMPARE(client.received.events.mid(0, 2), (QStringList{"PING id=2", "PING id=4"}));
}

void TestEngine::sessionSignalsCarryValues()
{
    GatewayFixture gw;
    QSignalSpy opened(gw.controller.get(), &GatewayController::sessionOpened);
    QSignalSpy closed(gw.controller.get(), &GatewayController::sessionClosed);
    auto client = std::make_unique<TestClient>(gw.caFile());
    QVERIFY(client->connectTo(gw.start()));
    QVERIFY(opened.wait(5'000));
    const SessionInfo info = opened.at(0).at(0).value<SessionInfo>();
    QCOMPARE(info.peerPort, client->socket.localPort());
    QCOMPARE(info.peerAddress, QStringLiteral("127.0.0.1"));
    QCOMPARE(info.cipher, QStringLiteral("ECDHE-RSA-AES256-SHA384"));
    QVERIFY(info.clientId.isEmpty());
    QVERIFY(info.since.isValid());
    client->socket.disconnectFromHost();
    QVERIFY(closed.wait(5'000));
    QCOMPARE(closed.at(0).at(0).toULongLong(), info.id);
}

void TestEngine::changePortKeepsSessions()
{
    GatewayFixture gw;
    const quint16 oldPort = gw.start();
    TestClient old(gw.caFile());
    QVERIFY(old.connectTo(oldPort));
    QSignalSpy portChanged(gw.controller.get(), &GatewayController::portChanged);
    gw.controller->setPort(0);
    QVERIFY(portChanged.wait(5'000));
    const quint16 newPort = gw.controller->port();
    QVERIFY(newPort != oldPort);
    QVERIFY(old.pingRoundTrip(1)); // the open session survives
    TestClient fresh(gw.caFile());
    QVERIFY(fresh.connectTo(newPort)); // new clients reach the new port
    QVERIFY(fresh.pingRoundTrip(1));
    TestClient late(gw.caFile());
    QVERIFY(!late.connectTo(oldPort, 3'000)); // the old port is closed
}

void TestEngine::changePortToBusyPortKeepsOldPort()
{
    GatewayFixture gw;
    const quint16 port = gw.start();
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost));
    QSignalSpy failed(gw.controller.get(), &GatewayController::portChangeFailed);
    gw.controller->changePort(QHostAddress::LocalHost, squatter.serverPort(), false);
    QVERIFY(failed.wait(5'000));
    const QString reason = failed.at(0).at(0).toString();
    QVERIFY2(reason.contains("in use") && reason.contains(QString::number(port)), qPrintable(reason));
    QCOMPARE(gw.controller->port(), port);
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(port));
    // A reserved port is refused with the reason, before any bind.
    gw.controller->changePort(QHostAddress::LocalHost, 80, false);
    QVERIFY(failed.wait(5'000));
    QVERIFY2(failed.at(1).at(0).toString().contains("67 %"), qPrintable(failed.at(1).at(0).toString()));
}

void TestEngine::disconnectSession()
{
    GatewayFixture gw;
    QSignalSpy opened(gw.controller.get(), &GatewayController::sessionOpened);
    TestClient client(gw.caFile()), other(gw.caFile());
    const quint16 port = gw.start();
    QVERIFY(client.connectTo(port));
    QVERIFY(opened.wait(5'000));
    QVERIFY(other.connectTo(port));
    gw.controller->disconnectSession(opened.at(0).at(0).value<SessionInfo>().id);
    QVERIFY(client.waitForDisconnected(5'000));
    QVERIFY(other.pingRoundTrip(1));
}

void TestEngine::stopClosesWithCloseNotify()
{
    GatewayFixture gw;
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(gw.start()));
    QVERIFY(client.pingRoundTrip(1));
    QSignalSpy stopped(gw.controller.get(), &GatewayController::stopped);
    gw.controller->stop();
    QVERIFY(client.waitForDisconnected(5'000));
    QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError);
    QVERIFY(stopped.wait(5'000) || stopped.size() == 1);
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
