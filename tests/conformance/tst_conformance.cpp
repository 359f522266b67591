// Wire conformance (docs/protocol-decisions.md "Conformance"): each rule with the exact bytes
// a client sends and the exact bytes it gets back, against a real engine and a real backend.
#include "backend/requestmapping.h"
#include "common/gatewayfixture.h"
#include "common/hex.h"
#include "common/testbackend.h"
#include "common/testclient.h"

#include <QElapsedTimer>

using namespace SeaCat;

class TestConformance : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void reusedStreamIdCancelsTheOriginal();
    void streamIdsMustIncrease();
    void gatewayPingsDoNotKeepASessionAlive();
    void streamsInFlightKeepASessionAlive();
    void answeredButUnfinishedStreamsDoNotKeepASessionAlive();
    void obsTextBecomesUtf8();
    void stalledUploadGets408();

private:
    quint16 start(GatewayConfig config = GatewayFixture::defaultConfig());
    std::unique_ptr<GatewayFixture> m_gw;
    std::unique_ptr<TestBackend> m_backend;
};

void TestConformance::init()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
    m_gw = std::make_unique<GatewayFixture>();
}

void TestConformance::cleanup()
{
    m_gw.reset();
    m_backend.reset();
}

quint16 TestConformance::start(GatewayConfig config)
{
    config.mode = GatewayMode::Anonymous;
    config.addHost(QStringLiteral("app"), m_backend->url());
    return m_gw->start(config);
}

void TestConformance::reusedStreamIdCancelsTheOriginal()
{
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start()));
    // SYN_STREAM 1 GET app /hang (no answer from the backend), then the same id again.
    const QByteArray syn = serialize(SynStream{1, true, 0, "app", "GET", "/hang", {}});
    client.send(syn);
    QVERIFY(QTest::qWaitFor([&] { return m_backend->requests == 1; }, 10'000));
    client.send(syn);
    // RST_STREAM id 1 status 1 (PROTOCOL_ERROR), and the backend request is cancelled.
    QVERIFY(QTest::qWaitFor([&] { return !client.raw.isEmpty(); }, 10'000));
    QCOMPARE(client.raw, hex("80 03 00 03 00 00 00 08 00 00 00 01 00 00 00 01"));
    QVERIFY(QTest::qWaitFor([&] { return m_backend->disconnects == 1; }, 10'000));
    QVERIFY(client.pingRoundTrip(1)); // nothing else was sent on stream 1 meanwhile
    QCOMPARE(client.raw,
             hex("80 03 00 03 00 00 00 08 00 00 00 01 00 00 00 01") + hex("80 03 00 06 00 00 00 04 00 00 00 01"));
}

void TestConformance::streamIdsMustIncrease()
{
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start()));
    client.send(serialize(SynStream{5, true, 0, "app", "GET", "/hello", {}}));
    QVERIFY(client.waitForEvents(3)); // SYN_REPLY, DATA "hello", DATA FIN: stream 5 is closed
    client.raw.clear();
    // A lower id never used, then the closed id 5 again: each gets RST_STREAM status 1
    // (PROTOCOL_ERROR) on its own id, and neither reaches the backend.
    client.send(serialize(SynStream{3, true, 0, "app", "GET", "/hello", {}}));
    client.send(serialize(SynStream{5, true, 0, "app", "GET", "/hello", {}}));
    QVERIFY(QTest::qWaitFor([&] { return client.raw.size() >= 32; }, 10'000));
    QCOMPARE(client.raw, hex("80 03 00 03 00 00 00 08 00 00 00 03 00 00 00 01") +
                             hex("80 03 00 03 00 00 00 08 00 00 00 05 00 00 00 01"));
    QCOMPARE(m_backend->requests, 1);
    // The session goes on: the next higher id is served.
    client.send(serialize(SynStream{7, true, 0, "app", "GET", "/hello", {}}));
    QVERIFY(client.waitForEvents(3 + 2 + 3));
    QVERIFY2(client.received.events.at(5).startsWith(QStringLiteral("SYN_REPLY id=7 fin=0 status=200")),
             qPrintable(client.received.events.join(u'|')));
    QCOMPARE(m_backend->requests, 2);
}

void TestConformance::gatewayPingsDoNotKeepASessionAlive()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.idleTimeoutMs = 600;
    config.pingIntervalMs = 100; // Python and iOS never answer these
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start(config)));
    QVERIFY(client.pingRoundTrip(1)); // the session exists now (a silent peer waits 3 s for one)
    QElapsedTimer clock;
    clock.start();
    QVERIFY(client.waitForDisconnected(5'000));
    QVERIFY2(clock.elapsed() < 2'000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(client.received.events.contains(QStringLiteral("PING id=4")));
}

void TestConformance::streamsInFlightKeepASessionAlive()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.idleTimeoutMs = 400;
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start(config)));
    // The backend answers after 1.2 s, three idle timeouts later: the answer still arrives.
    client.send(serialize(SynStream{1, true, 0, "app", "GET", "/slow?ms=1200", {}}));
    QVERIFY(client.waitForEvents(3, 5'000));
    QVERIFY2(client.received.events.at(0).startsWith(QStringLiteral("SYN_REPLY id=1 fin=0 status=200")),
             qPrintable(client.received.events.at(0)));
    QCOMPARE(client.received.events.at(2), QStringLiteral("DATA id=1 fin=1 len=0"));
    QVERIFY(client.waitForDisconnected(5'000)); // idle once the stream is done
}

void TestConformance::answeredButUnfinishedStreamsDoNotKeepASessionAlive()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.idleTimeoutMs = 400;
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start(config)));
    // Answered (404) but never ended by the client: nothing is in flight, the session idles out.
    client.send(serialize(SynStream{1, false, 0, "nohost", "POST", "/", {}}));
    QVERIFY(client.waitForEvents(2, 5'000));
    QVERIFY(client.waitForDisconnected(5'000));
}

void TestConformance::obsTextBecomesUtf8()
{
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start()));
    client.send(serialize(SynStream{1, true, 0, "app", "GET", "/latin1", {}}));
    QVERIFY(client.waitForEvents(2));
    QCOMPARE(client.received.replies.size(), 1);
    // ISO-8859-1 é (E9) arrives as UTF-8 (C3 A9): every SeaCat string is UTF-8 (§2.5).
    const SynReply expected{
        1, false, 200, {{"Content-Length", "0"}, {"Content-Disposition", "attachment; filename=\"caf\xc3\xa9.txt\""}}};
    QCOMPARE(client.received.replies.first().headers, expected.headers);
    QVERIFY(client.raw.startsWith(serialize(expected)));
    for (const auto &[name, value] : client.received.replies.first().headers)
        QVERIFY(QUtf8StringView(value).isValidUtf8());
    // Valid UTF-8 and plain ASCII pass unchanged.
    QCOMPARE(utf8FieldValue("caf\xc3\xa9"), QByteArray("caf\xc3\xa9"));
    QCOMPARE(utf8FieldValue("plain"), QByteArray("plain"));
}

void TestConformance::stalledUploadGets408()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.bodyIdleTimeoutMs = 500;
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(start(config)));
    // Five of ten declared bytes, then nothing: the stream and its backend connection are freed.
    client.send(serialize(SynStream{1, false, 0, "app", "POST", "/hang", {{"Content-Length", "10"}}}) +
                serialize(DataFrame{1, false, "Hello"}));
    QElapsedTimer clock;
    clock.start();
    QVERIFY(client.waitForEvents(2, 5'000));
    QVERIFY2(client.received.events.at(0).startsWith(QStringLiteral("SYN_REPLY id=1 fin=0 status=408")),
             qPrintable(client.received.events.at(0)));
    QVERIFY(client.received.events.at(1).startsWith(QStringLiteral("DATA id=1 fin=1")));
    QVERIFY(clock.elapsed() < 3'000);
    QVERIFY(QTest::qWaitFor([&] { return m_backend->disconnects == 1; }, 5'000));
}

QTEST_GUILESS_MAIN(TestConformance)
#include "tst_conformance.moc"
