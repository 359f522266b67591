// HTTPS clients on the SeaCat port are politely rejected (README "HTTPS clients"): real curl
// over HTTP/1.1 and HTTP/2 (nghttp2 on our side), while a SeaCat session goes on undisturbed.
#include "common/gatewayfixture.h"
#include "common/hex.h"
#include "common/testclient.h"
#include "intake/protocolsniffer.h"
#include "rejection/rejector.h"

#include <QProcess>
#include <QStandardPaths>

using namespace SeaCat;

namespace {
// A TLS client that trusts anything and offers no ALPN: the raw peer for sniffer tests.
bool connectRaw(QSslSocket &socket, quint16 port)
{
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    return socket.waitForEncrypted(10'000);
}
} // namespace

class TestRejection : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void classify_data();
    void classify();
    void curl_data();
    void curl();
    void http2PrefaceWithoutAlpn();
    void malformedHttp1Gets400();
    void garbageIsClosed();

private:
    QString m_curl;
};

void TestRejection::initTestCase()
{
    m_curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    QVERIFY2(!m_curl.isEmpty(), "curl is needed: scripts/install-deps.sh installs it");
}

void TestRejection::classify_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("protocol");
    QTest::newRow("PING") << hex("80 03 00 06 00 00 00 04 00 00 00 01") << int(PeerProtocol::SeaCat);
    QTest::newRow("first byte 0x80 is enough") << hex("80") << int(PeerProtocol::SeaCat);
    QTest::newRow("DATA odd stream") << hex("00 00 00 01 01 00 00 00") << int(PeerProtocol::SeaCat);
    QTest::newRow("GET") << QByteArray("GET / HTTP/1.1\r\n") << int(PeerProtocol::Http1);
    QTest::newRow("OPTIONS") << QByteArray("OPTIONS * HTTP/1.1\r\n") << int(PeerProtocol::Http1);
    QTest::newRow("partial method") << QByteArray("GE") << int(PeerProtocol::NeedMoreBytes);
    QTest::newRow("H2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << int(PeerProtocol::Http2);
    QTest::newRow("partial preface") << QByteArray("PRI * HTTP/2") << int(PeerProtocol::NeedMoreBytes);
    QTest::newRow("empty") << QByteArray() << int(PeerProtocol::NeedMoreBytes);
    QTest::newRow("lowercase") << QByteArray("get / http/1.1\r\n") << int(PeerProtocol::Unknown);
    QTest::newRow("DATA even stream") << hex("00 00 00 02 01 00 00 00") << int(PeerProtocol::Unknown);
    QTest::newRow("DATA too long") << hex("00 00 00 01 00 01 00 00") << int(PeerProtocol::Unknown);
    QTest::newRow("short binary") << hex("01 02") << int(PeerProtocol::NeedMoreBytes);
}

void TestRejection::classify()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, protocol);
    QCOMPARE(int(classifyPeerBytes(bytes)), protocol);
}

void TestRejection::curl_data()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("logged");
    QTest::newRow("HTTP/1.1") << "--http1.1"
                              << "1.1"
                              << "rejected HTTP/1.x client";
    QTest::newRow("HTTP/2 (ALPN h2, nghttp2)") << "--http2"
                                               << "2"
                                               << "rejected HTTP/2 client";
}

void TestRejection::curl()
{
    QFETCH(QString, flag);
    QFETCH(QString, version);
    QFETCH(QString, logged);

    GatewayFixture gw;
    const quint16 port = gw.start();
    TestClient seacat(gw.caFile());
    QVERIFY(seacat.connectTo(port));
    QVERIFY(seacat.pingRoundTrip(1));
    QSignalSpy rejected(gw.controller.get(), &GatewayController::connectionRejected);

    QProcess curl;
    curl.start(m_curl,
               {QStringLiteral("-sS"), QStringLiteral("-k"), flag, QStringLiteral("--max-time"), QStringLiteral("20"),
                QStringLiteral("-w"), QStringLiteral("\nstatus=%{http_code} version=%{http_version}"),
                QStringLiteral("https://127.0.0.1:%1/index.html").arg(port)});
    QVERIFY(QTest::qWaitFor([&] { return curl.state() == QProcess::NotRunning; }, 30'000));
    const QString out = QString::fromUtf8(curl.readAllStandardOutput());
    const QString err = QString::fromUtf8(curl.readAllStandardError());
    QCOMPARE(curl.exitStatus(), QProcess::NormalExit);
    QVERIFY2(curl.exitCode() == 0, qPrintable(err));
    QVERIFY2(out.contains(QStringLiteral("status=403 version=%1").arg(version)), qPrintable(out));
    QVERIFY2(out.contains("SeaCat mobile application clients only"), qPrintable(out));

    QVERIFY(rejected.wait(5'000) || rejected.size() == 1);
    QCOMPARE(rejected.size(), 1);
    const QString summary = rejected.at(0).at(0).toString();
    QVERIFY2(summary.startsWith(logged) && summary.contains("/index.html") && summary.endsWith("403"),
             qPrintable(summary));
    QCOMPARE(gw.log.filter(logged).size(), 1); // one log line per rejection

    QVERIFY(seacat.pingRoundTrip(3)); // the SeaCat session is untouched
}

void TestRejection::http2PrefaceWithoutAlpn()
{
    GatewayFixture gw;
    const quint16 port = gw.start();
    QSslSocket socket;
    QVERIFY(connectRaw(socket, port));
    QVERIFY(socket.sslConfiguration().nextNegotiatedProtocol().isEmpty());
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    socket.write(hex("00 00 00 04 00 00 00 00 00")); // empty SETTINGS
    QVERIFY(QTest::qWaitFor([&] { return socket.bytesAvailable() >= 9; }, 10'000));
    const QByteArray frame = socket.read(9);
    QCOMPARE(int(quint8(frame[3])), 0x04); // the server's SETTINGS frame: nghttp2 is answering
}

void TestRejection::malformedHttp1Gets400()
{
    GatewayFixture gw;
    const quint16 port = gw.start();
    QSslSocket socket;
    QVERIFY(connectRaw(socket, port));
    socket.write("GET /\r\n\r\n");
    QByteArray response;
    QVERIFY(QTest::qWaitFor(
        [&] {
            response += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        10'000));
    response += socket.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 400 Bad Request\r\n") && response.contains("Connection: close"),
             response.constData());
}

void TestRejection::garbageIsClosed()
{
    GatewayFixture gw;
    const quint16 port = gw.start();
    QSslSocket socket;
    QVERIFY(connectRaw(socket, port));
    socket.write(hex("00 00 00 02 ff ff ff ff 01 02 03"));
    QVERIFY(QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 10'000));
    QVERIFY(socket.readAll().isEmpty());
    QVERIFY(QTest::qWaitFor([&] { return !gw.log.filter("neither SeaCat nor HTTP").isEmpty(); }, 5'000));
}

QTEST_GUILESS_MAIN(TestRejection)
#include "tst_rejection.moc"
