// The gateway under attack: each test plays one attack from the hardening issue against the
// real binary (a real backend in this process, real TLS on loopback) and checks the defence:
// nothing injected reaches a backend, no response crosses clients, new clients get through.
#include "client/seacatclient.h"
#include "common/clienthelpers.h"
#include "common/gatewayprocess.h"
#include "common/testbackend.h"
#include "common/testclient.h"

#include <QElapsedTimer>
#include <algorithm>
#include <QSslCipher>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <memory>

using namespace SeaCat;

class TestAttack : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void hostInjectionIsRefused();
    void smuggledRequestNeverCrossesClients_data();
    void smuggledRequestNeverCrossesClients();
    void shortBodyIsRefused();
    void strayBackendBytesNeverReachTheNextStream_data();
    void strayBackendBytesNeverReachTheNextStream();
    void gatewayHeadersAreExact();
    void silentSocketsDoNotLockClientsOut();
    void oldestHandshakesAreShedAtTheCap();
    void descriptorLimitPausesAccepting();
    void nonReadingSessionsStayWithinBudget();
    void http2PingFloodFromANonReaderIsBounded();
    void floodsEndWithACountedClose_data();
    void floodsEndWithACountedClose();
    void pingsOfAReaderAreNoGlitches();
    void tls12SuitesAreExact();
    void http1SlowlorisGets408_data();
    void http1SlowlorisGets408();
    void largeHttp1HeadGets431_data();
    void largeHttp1HeadGets431();
    void rejectedHttp2ConnectionsAreCheap_data();
    void rejectedHttp2ConnectionsAreCheap();

private:
    quint16 startGateway(const QByteArray &limits = {}, int descriptorLimit = 0);
    QStringList eventsOf(const TestClient &client, quint32 streamId) const;
    // A fresh client completes its handshake within 1 s, and is answered.
    void verifyNewClientServedQuickly(int round);

    std::unique_ptr<GatewayProcess> m_gw;
    std::unique_ptr<TestBackend> m_backend;
    quint16 m_port = 0;
};

void TestAttack::init()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
    m_gw = std::make_unique<GatewayProcess>();
}

void TestAttack::cleanup()
{
    if (m_gw)
        QCOMPARE(m_gw->process.state(), QProcess::Running); // no attack ends the process
    m_gw.reset();
    m_backend.reset();
}

quint16 TestAttack::startGateway(const QByteArray &limits, int descriptorLimit)
{
    const QString ini = m_gw->dataDir.filePath(QStringLiteral("gateway.ini"));
    QFile file(ini);
    if (!file.open(QIODevice::WriteOnly))
        return 0;
    file.write("[limits]\n" + limits);
    file.close();
    const QStringList args =
        m_gw->defaultArgs() + QStringList{QStringLiteral("--config"),  ini,
                                          QStringLiteral("--mode"),    QStringLiteral("anonymous"),
                                          QStringLiteral("--backend"), QStringLiteral("app=") + m_backend->url()};
    if (descriptorLimit > 0) // soft and hard limit both, so the gateway cannot raise it
        m_gw->launch(QStringList{QStringLiteral("-c"),
                                 QStringLiteral("ulimit -n %1 && exec \"$0\" \"$@\"").arg(descriptorLimit),
                                 QStringLiteral(SEACAT_GATEWAY_BIN)} +
                         args,
                     QStringLiteral("/bin/sh"));
    else
        m_gw->launch(args);
    m_port = m_gw->waitListening();
    return m_port;
}

QStringList TestAttack::eventsOf(const TestClient &client, quint32 streamId) const
{
    // "SYN_REPLY id fin status" and "DATA id fin": headers and lengths vary, these do not.
    QStringList events;
    const QString id = QStringLiteral(" id=%1 ").arg(streamId);
    for (const QString &event : client.received.events) {
        if (!event.contains(id))
            continue;
        const QStringList words = event.split(u' ');
        events << words.mid(0, event.startsWith(u"SYN_REPLY") ? 4
                               : event.startsWith(u"DATA")    ? 3
                                                              : words.size())
                      .join(u' ');
    }
    return events;
}

void TestAttack::hostInjectionIsRefused()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    TestClient attacker(m_gw->caFile());
    QVERIFY(attacker.connectTo(m_port));
    const QList<QByteArray> hosts{
        "[app]\r\nX-Injected: yes\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n",
        "app\r\nX-SeaCat-Client-Id: 00ff",
        "app\nX: y",
        QByteArray("app\0evil", 8),
        "app evil",
        "app\tx",
        "[app]",
        "app:80\r\n",
        "app/../x",
        "app@evil",
    };
    quint32 id = 1;
    for (const QByteArray &host : hosts) {
        attacker.send(serialize(SynStream{id, true, 0, host, "GET", "/hello", {}}));
        QVERIFY(QTest::qWaitFor([&] { return eventsOf(attacker, id).size() >= 2; }, 10'000));
        QTest::qWait(20);
        QCOMPARE(eventsOf(attacker, id), (QStringList{QStringLiteral("SYN_REPLY id=%1 fin=0 status=400").arg(id),
                                                      QStringLiteral("DATA id=%1 fin=1").arg(id)}));
        id += 2;
    }
    // Nothing reached the backend, and the session still serves honest requests.
    QCOMPARE(m_backend->requests, 0);
    attacker.send(serialize(SynStream{id, true, 0, "app.seacat", "GET", "/hello", {}}));
    QVERIFY(QTest::qWaitFor([&] { return eventsOf(attacker, id).size() >= 3; }, 10'000));
    QCOMPARE(eventsOf(attacker, id).first(), QStringLiteral("SYN_REPLY id=%1 fin=0 status=200").arg(id));
    QCOMPARE(m_backend->requestLines, (QList<QByteArray>{"GET /hello HTTP/1.1"}));
}

void TestAttack::smuggledRequestNeverCrossesClients_data()
{
    // The attacker's stream, as raw frames; the smuggled request answers slowly, so that a
    // backend connection reused for another client would deliver it there.
    const QByteArray smuggled = "GET /slow?ms=1500 HTTP/1.1\r\nHost: app\r\n\r\n";
    QTest::addColumn<QByteArray>("frames");
    QTest::addColumn<QString>("answer");
    QTest::newRow("through the host field")
        << serialize(
               SynStream{1, true, 0, "[app]\r\nContent-Length: 0\r\n\r\n" + smuggled.chopped(2), "GET", "/hello", {}})
        << QStringLiteral("SYN_REPLY id=1 fin=0 status=400");
    QTest::newRow("through body bytes beyond Content-Length")
        << serialize(SynStream{1, false, 0, "app", "POST", "/hello", {{"Content-Length", "5"}}}) +
               serialize(DataFrame{1, true, "Hello" + smuggled})
        << QStringLiteral("RST_STREAM id=1 status=1");
    QTest::newRow("through a non-canonical Content-Length")
        << serialize(SynStream{1, false, 0, "app", "POST", "/hello", {{"Content-Length", "+5"}}}) +
               serialize(DataFrame{1, true, "Hello" + smuggled})
        << QStringLiteral("SYN_REPLY id=1 fin=0 status=400");
}

void TestAttack::smuggledRequestNeverCrossesClients()
{
    QFETCH(QByteArray, frames);
    QFETCH(QString, answer);
    QVERIFY2(startGateway(), m_gw->err.constData());
    TestClient attacker(m_gw->caFile());
    QVERIFY(attacker.connectTo(m_port));
    attacker.send(frames);
    QVERIFY(QTest::qWaitFor([&] { return !eventsOf(attacker, 1).isEmpty(); }, 10'000));
    QCOMPARE(eventsOf(attacker, 1).first(), answer);

    // Another client's request right after: it gets its own response, not the smuggled one.
    SeaCatClient victim;
    QVERIFY(connectClient(victim, m_port, m_gw->caFile()));
    for (int i = 0; i < 3; ++i) {
        const ClientResponse r = fetch(victim, "GET", QStringLiteral("http://app.seacat/hello"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("hello"));
    }
    QTest::qWait(1'700); // the smuggled request would have been answered by now
    for (const QByteArray &line : std::as_const(m_backend->requestLines))
        QVERIFY2(!line.contains("/slow"), line.constData());
    QVERIFY(attacker.pingRoundTrip(1)); // the attacker's own session is intact
}

void TestAttack::shortBodyIsRefused()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(m_port));
    // Fewer bytes than declared at FIN: the backend would wait for the rest, then read the
    // next client's request as this body.
    client.send(serialize(SynStream{1, false, 0, "app", "POST", "/echo", {{"Content-Length", "10"}}}) +
                serialize(DataFrame{1, true, "Hello"}));
    QVERIFY(QTest::qWaitFor([&] { return !eventsOf(client, 1).isEmpty(); }, 10'000));
    QCOMPARE(eventsOf(client, 1).first(), QStringLiteral("SYN_REPLY id=1 fin=0 status=400"));
    SeaCatClient other;
    QVERIFY(connectClient(other, m_port, m_gw->caFile()));
    const ClientResponse r = fetch(other, "GET", QStringLiteral("http://app.seacat/hello"));
    QCOMPARE(r.body, QByteArray("hello"));
}

void TestAttack::strayBackendBytesNeverReachTheNextStream_data()
{
    QTest::addColumn<QString>("path");    // the first request: answered, then more bytes follow
    QTest::addColumn<bool>("concurrent"); // the next request already waits for the connection
    QTest::newRow("in the same write") << QStringLiteral("/extra") << false;
    QTest::newRow("a moment later, while idle") << QStringLiteral("/extra?gap=100") << false;
    QTest::newRow("1 MB of them, mostly still in the kernel") << QStringLiteral("/extra?stray=1000000") << false;
    QTest::newRow("to a request already waiting") << QStringLiteral("/extra?ms=300") << true;
}

// Issue 8 item 1: a backend that answers more than it was asked (a stale or smuggled response)
// loses its connection; the bytes never reach the next stream on it, and the close is counted.
void TestAttack::strayBackendBytesNeverReachTheNextStream()
{
    QFETCH(QString, path);
    QFETCH(bool, concurrent);
    // One connection to the backend: every request after the first would reuse it.
    QVERIFY2(startGateway("backend-connections=1\n"), m_gw->err.constData());
    SeaCatClient first, next;
    QVERIFY(connectClient(first, m_port, m_gw->caFile()));
    QVERIFY(connectClient(next, m_port, m_gw->caFile()));
    ClientResponse answered, waiting;
    startRequest(first, answered, "GET", QStringLiteral("http://app.seacat") + path);
    if (concurrent) {
        QVERIFY(QTest::qWaitFor([&] { return m_backend->requests == 1; }, 10'000));
        startRequest(next, waiting, "GET", QStringLiteral("http://app.seacat/hello"));
    }
    QVERIFY(QTest::qWaitFor([&] { return answered.finished || answered.reset; }, 10'000));
    QCOMPARE(answered.body, QByteArray("first"));
    if (concurrent) {
        QVERIFY(QTest::qWaitFor([&] { return waiting.finished || waiting.reset; }, 10'000));
        QCOMPARE(waiting.status, 200);
        QCOMPARE(waiting.body, QByteArray("hello"));
    }
    QTest::qWait(300); // the late stray bytes have arrived
    for (int i = 0; i < 2; ++i) {
        const ClientResponse r = fetch(next, "GET", QStringLiteral("http://app.seacat/hello"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("hello"));
    }
    // The first connection was closed for its stray bytes (and logged); the rest went over one
    // fresh connection, reused.
    QCOMPARE(m_backend->connectionsAccepted, 2);
    QVERIFY(QTest::qWaitFor([&] { return m_gw->err.contains("sent bytes no request asked for"); }, 5'000));
    QCOMPARE(m_gw->err.count("sent bytes no request asked for"), 1);
}

void TestAttack::gatewayHeadersAreExact()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(m_port));
    // The client's own copies of the identity headers are dropped, whatever they hold; a CR,
    // LF or NUL in any header the client sends refuses the request.
    client.send(serialize(SynStream{1,
                                    true,
                                    0,
                                    "App.SeaCat:8443",
                                    "GET",
                                    "/headers",
                                    {{"X-Forwarded-For", "6.6.6.6"},
                                     {"X-Forwarded-Host", "evil"},
                                     {"X-SeaCat-Client-Id", "00ff"},
                                     {"X-SeaCat-Client-Tag", "[EVIL]"},
                                     {"Accept", "*/*"}}}));
    QVERIFY(QTest::qWaitFor([&] { return eventsOf(client, 1).size() >= 3; }, 10'000));
    const QByteArray head = m_backend->lastRequestHead;
    QVERIFY2(head.contains("\r\nX-Forwarded-For: 127.0.0.1\r\n"), head.constData());
    QVERIFY2(head.contains("\r\nX-Forwarded-Host: App.SeaCat:8443\r\n"), head.constData());
    QCOMPARE(head.count("X-Forwarded-For"), 1);
    QCOMPARE(head.count("X-Forwarded-Host"), 1);
    QVERIFY2(!head.contains("X-SeaCat-Client"), head.constData()); // anonymous: no identity at all
    quint32 id = 3;
    for (const HeaderList &headers : QList<HeaderList>{{{"X-Forwarded-Host", "a\r\nX: y"}},
                                                       {{"X-SeaCat-Client-Tag", "a\nb"}},
                                                       {{"Accept", QByteArray("a\0b", 3)}},
                                                       {{"Bad Name", "x"}},
                                                       {{"X\r\nY", "x"}}}) {
        client.send(serialize(SynStream{id, true, 0, "app", "GET", "/headers", headers}));
        QVERIFY(QTest::qWaitFor([&] { return eventsOf(client, id).size() >= 2; }, 10'000));
        QCOMPARE(eventsOf(client, id).first(), QStringLiteral("SYN_REPLY id=%1 fin=0 status=400").arg(id));
        id += 2;
    }
    QCOMPARE(m_backend->requests, 1);
}

void TestAttack::verifyNewClientServedQuickly(int round)
{
    TestClient client(m_gw->caFile());
    QElapsedTimer clock;
    clock.start();
    QVERIFY2(client.connectTo(m_port, 5'000), qPrintable(QStringLiteral("round %1: no handshake").arg(round)));
    const qint64 ms = clock.elapsed();
    QVERIFY2(ms < 1'000, qPrintable(QStringLiteral("round %1: handshake took %2 ms").arg(round).arg(ms)));
    QVERIFY(client.pingRoundTrip(1));
}

// Opens `count` TCP connections to the gateway that say nothing (or `prefix` only), and waits
// until the kernel has connected them all.
static std::vector<std::unique_ptr<QTcpSocket>> openSilentSockets(quint16 port, int count,
                                                                  const QByteArray &prefix = {})
{
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < count; ++i) {
        sockets.push_back(std::make_unique<QTcpSocket>());
        sockets.back()->connectToHost(QHostAddress::LocalHost, port);
    }
    (void)QTest::qWaitFor(
        [&] {
            return std::all_of(sockets.cbegin(), sockets.cend(),
                               [](const auto &s) { return s->state() == QAbstractSocket::ConnectedState; });
        },
        20'000);
    if (!prefix.isEmpty())
        for (auto &socket : sockets)
            socket->write(prefix);
    return sockets;
}

static int countConnected(const std::vector<std::unique_ptr<QTcpSocket>> &sockets)
{
    return int(std::count_if(sockets.cbegin(), sockets.cend(),
                             [](const auto &s) { return s->state() == QAbstractSocket::ConnectedState; }));
}

void TestAttack::silentSocketsDoNotLockClientsOut()
{
    QVERIFY2(startGateway("first-byte-timeout=3\nhandshake-timeout=6\n"), m_gw->err.constData());
    auto silent = openSilentSockets(m_port, 500);
    QCOMPARE(countConnected(silent), 500);
    // A TLS record header announcing a ClientHello, then nothing more.
    auto partial = openSilentSockets(m_port, 20, QByteArray::fromHex("16030100c8010000c40303"));
    QCOMPARE(countConnected(partial), 20);
    for (int round = 0; round < 5; ++round)
        verifyNewClientServedQuickly(round);
    // The first-byte deadline ends the silent ones; the partial ones go at the handshake timeout.
    QVERIFY(QTest::qWaitFor([&] { return countConnected(silent) == 0; }, 10'000));
    QCOMPARE(countConnected(partial), 20);
    QVERIFY(QTest::qWaitFor([&] { return countConnected(partial) == 0; }, 10'000));
    verifyNewClientServedQuickly(5);
}

void TestAttack::oldestHandshakesAreShedAtTheCap()
{
    QVERIFY2(startGateway("max-handshakes=100\n"), m_gw->err.constData());
    auto silent = openSilentSockets(m_port, 150);
    QVERIFY(QTest::qWaitFor([&] { return countConnected(silent) <= 100; }, 10'000));
    QTest::qWait(200);
    QCOMPARE(countConnected(silent), 100);
    // The newest are kept: the oldest were shed first.
    QCOMPARE(silent.back()->state(), QAbstractSocket::ConnectedState);
    QCOMPARE(silent.front()->state(), QAbstractSocket::UnconnectedState);
    for (int round = 0; round < 3; ++round)
        verifyNewClientServedQuickly(round);
}

static qint64 cpuTicks(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return fields.value(11).toLongLong() + fields.value(12).toLongLong(); // utime + stime
}

void TestAttack::descriptorLimitPausesAccepting()
{
    // 256 descriptors: the listener keeps 64 for backends and the store, so it stops near 190.
    QVERIFY2(startGateway("max-sessions=100000\n", 256), m_gw->err.constData());
    std::vector<std::unique_ptr<TestClient>> clients;
    clients.push_back(std::make_unique<TestClient>(m_gw->caFile()));
    QVERIFY(clients.back()->connectTo(m_port));
    QVERIFY(clients.back()->pingRoundTrip(1));
    int refused = 0;
    for (int i = 0; i < 260 && refused < 3; ++i) {
        auto client = std::make_unique<TestClient>(m_gw->caFile());
        if (client->connectTo(m_port, 1'500))
            clients.push_back(std::move(client));
        else
            ++refused;
    }
    QVERIFY2(refused > 0, "the descriptor ceiling was never reached");
    QVERIFY2(clients.size() > 150, qPrintable(QString::number(clients.size())));
    QVERIFY(m_gw->err.contains("not accepting for a moment"));
    // Paused, not spinning: a second of more connection attempts costs the gateway little CPU.
    std::vector<std::unique_ptr<QTcpSocket>> knocking;
    const qint64 before = cpuTicks(m_gw->process.processId());
    for (int i = 0; i < 20; ++i) {
        knocking.push_back(std::make_unique<QTcpSocket>());
        knocking.back()->connectToHost(QHostAddress::LocalHost, m_port);
    }
    QTest::qWait(1'000);
    const qint64 ticks = cpuTicks(m_gw->process.processId()) - before;
    QVERIFY2(ticks < 50, qPrintable(QStringLiteral("%1 ticks in 1 s").arg(ticks))); // 100 ticks = one busy core
    knocking.clear();
    // Live sessions still reach their backends: the reserve is theirs.
    TestClient &first = *clients.front();
    first.send(serialize(SynStream{1, true, 0, "app", "GET", "/hello", {}}));
    QVERIFY(QTest::qWaitFor([&] { return eventsOf(first, 1).size() >= 3; }, 10'000));
    QCOMPARE(eventsOf(first, 1).first(), QStringLiteral("SYN_REPLY id=1 fin=0 status=200"));
    // Sessions go, and accepting resumes by itself.
    clients.resize(50);
    QTest::qWait(500);
    TestClient late(m_gw->caFile());
    QVERIFY(late.connectTo(m_port, 5'000));
    QVERIFY(late.pingRoundTrip(1));
}

// p99 of `count` PING round trips, in microseconds.
static qint64 pingP99(TestClient &client, quint32 firstId, int count)
{
    QList<qint64> times;
    QElapsedTimer clock;
    for (int i = 0; i < count; ++i) {
        clock.start();
        if (!client.pingRoundTrip(firstId + 2 * quint32(i)))
            return -1;
        times << clock.nsecsElapsed() / 1000;
    }
    std::sort(times.begin(), times.end());
    return times.at(qMin(times.size() - 1, qsizetype(times.size() * 0.99)));
}

void TestAttack::floodsEndWithACountedClose_data()
{
    QTest::addColumn<QByteArray>("setup"); // sent once before the flood
    QTest::addColumn<QByteArray>("unit");  // repeated
    QTest::addColumn<QString>("reason");   // in the gateway's log line
    QByteArray rapidReset;
    for (quint32 id = 1; id < 2 * 400; id += 2)
        rapidReset += serialize(SynStream{id, true, 0, "app", "GET", "/hello", {}}) + serialize(RstStream{id, 5});
    QTest::newRow("rapid reset") << QByteArray() << rapidReset << QStringLiteral("rapid reset");
    QTest::newRow("unknown control frames")
        << QByteArray() << QByteArray::fromHex("80 01 00 FF 00 00 00 00").repeated(400)
        << QStringLiteral("last: unknown control frame");
    QTest::newRow("empty DATA without FIN")
        << serialize(SynStream{1, false, 0, "app", "POST", "/echo", {}})
        << serialize(DataFrame{1, false, {}}).repeated(400) << QStringLiteral("last: empty DATA without FIN");
    QTest::newRow("DATA for no stream") << QByteArray() << serialize(DataFrame{99, false, "x"}).repeated(400)
                                        << QStringLiteral("last: DATA for no open stream");
    QTest::newRow("RST_STREAM for no stream") << QByteArray() << serialize(RstStream{99, 5}).repeated(400)
                                              << QStringLiteral("last: RST_STREAM for no open stream");
    QTest::newRow("gateway-only frames") << QByteArray() << serialize(CsrReply{1}).repeated(400)
                                         << QStringLiteral("last: CSR_REPLY");
    // Each answered 0x00 once the session's CSR rate is spent, before it costs a parse.
    QTest::newRow("CSRs past their budget")
        << QByteArray() << serialize(Csr{0x01, QByteArray(2'000, 'x')}).repeated(400)
        << QStringLiteral("last: CSR refused by a budget");
}

void TestAttack::floodsEndWithACountedClose()
{
    QFETCH(QByteArray, setup);
    QFETCH(QByteArray, unit);
    QFETCH(QString, reason);
    // Small budgets keep the test short; the defaults (1000, then 33/s) work the same way.
    QVERIFY2(startGateway("reset-burst=100\nreset-rate=10\nglitch-burst=100\nglitch-rate=10\n"), m_gw->err.constData());
    TestClient bystander(m_gw->caFile());
    QVERIFY(bystander.connectTo(m_port));
    const qint64 baseline = pingP99(bystander, 1, 50);
    QVERIFY(baseline > 0);

    TestClient attacker(m_gw->caFile());
    QVERIFY(attacker.connectTo(m_port));
    attacker.send(setup);
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < 50 && attacker.socket.state() == QAbstractSocket::ConnectedState; ++i) {
        attacker.send(unit);
        QTest::qWait(5);
    }
    QVERIFY2(attacker.waitForDisconnected(10'000), "the flooding session was not closed");
    const qint64 during = pingP99(bystander, 101, 50);
    qInfo("%s: closed after %lld ms; bystander ping p99 %lld µs before, %lld µs after", QTest::currentDataTag(),
          clock.elapsed(), baseline, during);
    QVERIFY(during > 0);
    // Other sessions barely notice. The ratio is printed above; the bound allows 2× the baseline
    // plus 100 ms, because ctest runs this beside GUI and sanitizer work on two shared cores.
    QVERIFY2(during <= 2 * baseline + 100'000,
             qPrintable(QStringLiteral("%1 µs against %2 µs").arg(during).arg(baseline)));
    QVERIFY(QTest::qWaitFor([&] { return m_gw->err.contains(reason.toUtf8()); }, 5'000));
    QVERIFY2(m_gw->err.contains(reason.toUtf8()), m_gw->err.right(500).constData());
    // A reset stream never cost a backend connection (the one stream of the setup may have).
    QVERIFY(m_backend->connectionsAccepted <= (setup.isEmpty() ? 0 : 1));
}

// A client that reads everything may send many PINGs at once: their echoes, gathered while that
// one read is handled, are not output the client left unread, so they spend no glitch budget
// (they did while the session counted its own unsent answers to that read).
void TestAttack::pingsOfAReaderAreNoGlitches()
{
    QVERIFY2(startGateway("glitch-burst=100\nglitch-rate=10\n"), m_gw->err.constData());
    TestClient client(m_gw->caFile());
    QVERIFY(client.connectTo(m_port));
    constexpr int Pings = 1'000; // 12 KiB of echoes to one 12 KiB write: one TLS record, one read
    QByteArray pings;
    for (quint32 id = 1; id < 2 * Pings; id += 2)
        pings += serialize(Ping{id});
    client.send(pings);
    QVERIFY2(client.waitForEvents(Pings, 10'000), qPrintable(QStringLiteral("%1 echoes; gateway: %2")
                                                                 .arg(client.received.events.size())
                                                                 .arg(QString::fromUtf8(m_gw->err.right(300)))));
    QCOMPARE(client.socket.state(), QAbstractSocket::ConnectedState);
    QVERIFY(!m_gw->err.contains("PING from a client that does not read"));
}

// Issue 8 item 9: one client per TLS 1.2 suite this OpenSSL knows, each offering only that suite;
// the set that completes a handshake with the (RSA) gateway is exactly the decided one.
void TestAttack::tls12SuitesAreExact()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    const QSet<QString> expected{
        QStringLiteral("ECDHE-RSA-AES128-GCM-SHA256"), QStringLiteral("ECDHE-RSA-AES256-GCM-SHA384"),
        QStringLiteral("ECDHE-RSA-CHACHA20-POLY1305"), QStringLiteral("ECDHE-RSA-AES256-SHA384"),
        // Not Mozilla's DHE-RSA-* ones: the gateway has no DH parameters (TlsProfile).
    };
    QSet<QString> completed;
    QStringList tried;
    QElapsedTimer clock;
    clock.start();
    for (const QSslCipher &cipher : QSslConfiguration::supportedCiphers()) {
        if (cipher.name().startsWith(u"TLS_")) // TLS 1.3 suites
            continue;
        tried << cipher.name();
        QSslSocket client;
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setProtocol(QSsl::TlsV1_2);
        tls.setCiphers({cipher});
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        client.setSslConfiguration(tls);
        client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
        if (client.waitForEncrypted(5'000)) {
            QCOMPARE(client.sessionCipher().name(), cipher.name());
            QCOMPARE(client.sessionProtocol(), QSsl::TlsV1_2);
            completed << cipher.name();
        }
        client.abort();
    }
    qInfo("%lld TLS 1.2 suites tried in %lld ms", qint64(tried.size()), clock.elapsed());
    QVERIFY2(tried.size() > 20, qPrintable(tried.join(u' ')));
    for (const QString &name : expected)
        QVERIFY2(tried.contains(name), qPrintable(name));
    QVERIFY(tried.contains(QStringLiteral("DHE-RSA-AES128-GCM-SHA256"))); // offered, and refused
    QVERIFY(tried.contains(QStringLiteral("AES128-GCM-SHA256")));         // static RSA
    QVERIFY(tried.contains(QStringLiteral("ECDHE-RSA-AES128-SHA")));      // CBC-SHA1
    QCOMPARE(completed, expected);
    QVERIFY(clock.elapsed() < 60'000);
}

// A raw TLS client that trusts anything, offering `alpn` (none if empty).
static void connectRawTls(QSslSocket &socket, quint16 port, const QList<QByteArray> &alpn = {})
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    tls.setAllowedNextProtocols(alpn);
    socket.setSslConfiguration(tls);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
}

// Issue 8 item 3: sessions that ask for large responses on many streams and never read cost a
// bounded amount each, and give it back when they go.
void TestAttack::nonReadingSessionsStayWithinBudget()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    // The first session of each engine thread pays once for that thread (OpenSSL's and Qt's
    // per-thread state, its malloc arena, its backend pool): ~600 KiB over two threads, which
    // is no session's cost. One reading session per thread (round-robin, at most four) first.
    for (int warm = 0; warm < 4; ++warm) {
        TestClient client(m_gw->caFile());
        QVERIFY(client.connectTo(m_port));
        client.send(serialize(SynStream{1, true, 0, "app", "GET", "/big?bytes=2000000", {}}));
        QVERIFY(
            QTest::qWaitFor([&] { return eventsOf(client, 1).contains(QStringLiteral("DATA id=1 fin=1")); }, 20'000));
    }
    QTest::qWait(1'500); // their sessions are gone, the heap trimmed
    constexpr int Sessions = 4;
    constexpr int Streams = 15; // 60 in all: under the pool's 64 connections per origin
    const qint64 before = m_gw->rssKiB();
    // Returns the RSS growth while they are connected; `left` what stays after they went.
    auto wave = [&](qint64 &left) {
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < Sessions; ++i) {
            clients.push_back(std::make_unique<TestClient>(m_gw->caFile()));
            TestClient &client = *clients.back();
            if (!client.connectTo(m_port))
                return qint64(-1);
            client.socket.setReadBufferSize(4'096);
            client.socket.disconnect(&client.socket, &QSslSocket::readyRead, nullptr, nullptr); // never read
            for (quint32 id = 1; id < 2 * Streams; id += 2)
                client.send(serialize(SynStream{id, true, 0, "app", "GET", "/big?bytes=20000000", {}}));
        }
        QTest::qWait(4'000); // every backend has filled what it may
        const qint64 growth = m_gw->rssKiB() - before;
        clients.clear();
        QTest::qWait(2'000); // the next quiet tick gives the freed heap back
        left = m_gw->rssKiB() - before;
        qInfo("%d non-reading sessions x %d streams: gateway RSS grew by %lld KiB, %lld KiB per session; "
              "after they left %lld KiB above the start",
              Sessions, Streams, growth, growth / Sessions, left);
        return growth;
    };
    qint64 left = 0;
    qint64 leftAgain = 0;
    const qint64 growth = wave(left);
    QVERIFY(growth >= 0);
    // The issue's target: 256 KiB per session. Measured 165-186 KiB: its TLS connection and
    // output (one 16 KiB budget for all its streams, with OpenSSL's buffers), and ~7 KiB of
    // state per stream in flight (its backend socket, proxy and parser; a reading session's
    // streams cost the same). It was 1.4-2.2 MiB before the shared output budget, frame-sized
    // backend reads and trimmed socket buffers (docs/performance.md "Memory per connection").
    QVERIFY2(growth / Sessions <= 256 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("%1 KiB per session").arg(growth / Sessions)));
    // What they used is given back or reused: the heap in use returns to where it was (massif
    // shows it), the trim after a quiet tick gives back a third of the pages (without it all
    // stayed; the rest are pages shared with live allocations), and a second wave adds little.
    const qint64 growthAgain = wave(leftAgain);
    QVERIFY(growthAgain >= 0);
    QVERIFY2(growthAgain <= growth + growth / 4 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("%1 KiB, then %2 KiB").arg(growth).arg(growthAgain)));
    QVERIFY2(leftAgain <= left + growth / 4 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("%1 KiB stayed, then %2 KiB").arg(left).arg(leftAgain)));
    QVERIFY2(left < growth || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("%1 of %2 KiB stayed").arg(left).arg(growth)));
}

// A rejected HTTP/2 client that sends PINGs and never reads the ACKs: the answers stay bounded
// (they grew the gateway by 200 MB in 6 s before), the client simply stops being read.
void TestAttack::http2PingFloodFromANonReaderIsBounded()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    // Qt's TLS socket reads whatever arrives, so the flooder is a few lines of Python whose
    // socket is never read: the ACKs stay in TCP, as an attacker's would.
    const QString script = QStringLiteral(R"(
import socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(['h2'])
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
s.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + bytes.fromhex('000000040000000000'))
s.setblocking(False)
ping = bytes.fromhex('000008060000000000') + b'12345678'
sent, end = 0, time.time() + 3
while time.time() < end:
    try:
        sent += s.send(ping * 256)
    except (ssl.SSLWantWriteError, BlockingIOError):
        time.sleep(0.005)
    except OSError:
        break
print(sent)
)");
    const qint64 before = m_gw->rssKiB();
    QProcess flooder;
    flooder.start(QStringLiteral("python3"), {QStringLiteral("-c"), script, QString::number(m_port)});
    QVERIFY2(flooder.waitForFinished(20'000), flooder.readAllStandardError().constData());
    const qint64 growth = m_gw->rssKiB() - before;
    qInfo("the flooder wrote %s bytes of PINGs in 3 s; gateway RSS grew by %lld KiB",
          flooder.readAllStandardOutput().trimmed().constData(), growth);
    QVERIFY2(growth < 8 * 1024 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(growth)));
    QCOMPARE(m_gw->process.state(), QProcess::Running);
}

void TestAttack::http1SlowlorisGets408_data()
{
    QTest::addColumn<QList<QByteArray>>("alpn");
    QTest::addColumn<int>("intervalMs");
    QTest::newRow("no ALPN, a byte every 100 ms") << QList<QByteArray>{} << 100;
    // Slower than the sniffer's 3 s grace for the method: "GET" alone must still count as HTTP.
    QTest::newRow("no ALPN, a byte every 1.1 s") << QList<QByteArray>{} << 1'100;
    QTest::newRow("ALPN http/1.1, a byte every 100 ms") << QList<QByteArray>{"http/1.1"} << 100;
}

// Issue 8 item 10: a request head trickled a byte at a time, never finished, gets 408 within
// 10 s of connecting, then the gateway closes.
void TestAttack::http1SlowlorisGets408()
{
    QFETCH(QList<QByteArray>, alpn);
    QFETCH(int, intervalMs);
    QVERIFY2(startGateway(), m_gw->err.constData());
    QSslSocket socket;
    QElapsedTimer clock;
    clock.start();
    connectRawTls(socket, m_port, alpn);
    QVERIFY(socket.waitForEncrypted(5'000));
    const QByteArray head =
        "GET /slow HTTP/1.1\r\nHost: gw.test\r\nUser-Agent: slowloris\r\nX-Padding: " + QByteArray(200, 'a');
    qsizetype sent = 0;
    QTimer trickle;
    QObject::connect(&trickle, &QTimer::timeout, &socket, [&] {
        if (sent < head.size() && socket.state() == QAbstractSocket::ConnectedState)
            socket.write(head.mid(sent++, 1));
    });
    trickle.start(intervalMs);
    QByteArray response;
    qint64 answeredMs = -1;
    QVERIFY(QTest::qWaitFor(
        [&] {
            response += socket.readAll();
            if (answeredMs < 0 && response.contains("\r\n\r\n"))
                answeredMs = clock.elapsed();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        15'000));
    response += socket.readAll();
    const qint64 closedMs = clock.elapsed();
    trickle.stop();
    qInfo("408 after %lld ms, closed after %lld ms, %lld bytes trickled", answeredMs, closedMs, qint64(sent));
    QVERIFY2(response.startsWith("HTTP/1.1 408 Request Timeout\r\n"), response.constData());
    QVERIFY(response.contains("\r\nConnection: close\r\n"));
    QVERIFY2(answeredMs >= 0 && answeredMs < 10'000, qPrintable(QString::number(answeredMs)));
    QVERIFY(sent < head.size()); // the head was never finished
    QVERIFY(QTest::qWaitFor([&] { return m_gw->out.contains(" 408") || m_gw->err.contains(" 408"); }, 5'000));
}

void TestAttack::largeHttp1HeadGets431_data()
{
    QTest::addColumn<int>("headBytes");
    QTest::addColumn<int>("status");
    QTest::newRow("8 KiB head: served its 403") << 8 * 1024 << 403;
    QTest::newRow("8 KiB + 1") << 8 * 1024 + 1 << 431;
    QTest::newRow("20 KiB (the old cut at 16 KiB)") << 20 * 1024 << 431;
    QTest::newRow("1 MB") << 1'000'000 << 431;
}

// Issue 8 item 10: a request head over 8 KiB gets a 431 page, not a silent cut.
void TestAttack::largeHttp1HeadGets431()
{
    QFETCH(int, headBytes);
    QFETCH(int, status);
    QVERIFY2(startGateway(), m_gw->err.constData());
    QSslSocket socket;
    connectRawTls(socket, m_port);
    QVERIFY(socket.waitForEncrypted(5'000));
    const QByteArray start = "GET /big HTTP/1.1\r\nHost: gw.test\r\nX-Padding: ";
    const QByteArray end = "\r\n\r\n";
    socket.write(start + QByteArray(headBytes - start.size() - end.size(), 'a') + end);
    QByteArray response;
    QElapsedTimer clock;
    clock.start();
    QVERIFY(QTest::qWaitFor(
        [&] {
            response += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        15'000));
    response += socket.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), response.left(200).constData());
    QVERIFY(response.contains("\r\nConnection: close\r\n"));
    QVERIFY2(clock.elapsed() < 5'000, qPrintable(QString::number(clock.elapsed())));
}

// Issue 8 item 10: HTTP/2 clients (ALPN h2) that sent their preface and SETTINGS and are held
// open by the rejector cost at most 64 KiB each in the gateway (HTTP/1.1 clients held the same
// way too), and go with a GOAWAY at the head deadline.
void TestAttack::rejectedHttp2ConnectionsAreCheap_data()
{
    QTest::addColumn<QByteArray>("alpn");
    QTest::newRow("h2") << QByteArray("h2");
    QTest::newRow("http/1.1 (for comparison)") << QByteArray("http/1.1");
}

void TestAttack::rejectedHttp2ConnectionsAreCheap()
{
    QFETCH(QByteArray, alpn);
    constexpr int Count = 200;
    QVERIFY2(startGateway(), m_gw->err.constData());
    const QByteArray hello = alpn == "h2"
                                 ? "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + QByteArray::fromHex("000000040000000000")
                                 : QByteArray("GET / HTTP/1.1\r\n");
    auto open = [&](int count) {
        std::vector<std::unique_ptr<QSslSocket>> sockets;
        for (int i = 0; i < count; ++i) {
            sockets.push_back(std::make_unique<QSslSocket>());
            connectRawTls(*sockets.back(), m_port, {alpn});
            QObject::connect(sockets.back().get(), &QSslSocket::encrypted, sockets.back().get(),
                             [s = sockets.back().get(), hello] { s->write(hello); });
        }
        // Answered: the gateway's SETTINGS (9 bytes or more) arrived on every one.
        const bool answered = QTest::qWaitFor(
            [&] {
                return std::all_of(sockets.cbegin(), sockets.cend(), [&](const auto &s) {
                    return alpn != "h2" ? s->isEncrypted() : s->bytesAvailable() >= 9;
                });
            },
            60'000);
        return std::make_pair(std::move(sockets), answered);
    };
    { // Warm up: thread arenas, the shared TLS context, nghttp2's first allocations.
        auto [warm, answered] = open(20);
        QVERIFY(answered);
    }
    QTest::qWait(500);
    const qint64 baseline = m_gw->rssKiB();
    QElapsedTimer clock;
    clock.start();
    auto [sockets, answered] = open(Count);
    QVERIFY(answered);
    QTest::qWait(1'000); // a publish tick (500 ms) gives the handshakes' freed scratch back
    const qint64 held = m_gw->rssKiB();
    const qint64 perConnection = (held - baseline) * 1024 / Count;
    qInfo("%d rejected %s connections held: RSS %lld -> %lld KiB, %lld bytes each", Count, alpn.constData(), baseline,
          held, perConnection);
    // 78-96 KiB before the socket buffers were trimmed and the handshakes' freed scratch given
    // back (docs/performance.md "Memory per connection"); 52-58 KiB since.
    if (GatewayProcess::rssIsMeaningful())
        QVERIFY2(perConnection <= 64 * 1024, qPrintable(QString::number(perConnection)));
    // Without a request they get a GOAWAY at the head deadline, and are closed.
    QVERIFY(QTest::qWaitFor(
        [&] {
            return std::all_of(sockets.cbegin(), sockets.cend(),
                               [](const auto &s) { return s->state() == QAbstractSocket::UnconnectedState; });
        },
        15'000));
    qInfo("all closed after %lld ms", clock.elapsed());
    if (alpn != "h2")
        return;
    const QByteArray last = sockets.front()->readAll();
    QVERIFY(last.size() >= 9 + 9 + 17);
    QCOMPARE(int(quint8(last[last.size() - 17 + 3])), 0x07); // the last frame is a GOAWAY
}

QTEST_GUILESS_MAIN(TestAttack)
#include "tst_attack.moc"
