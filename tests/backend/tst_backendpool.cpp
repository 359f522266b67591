// BackendPool and BackendExchange against a real HTTP/1.1 backend on loopback: what the
// backend connections look like, how many the pool opens, and (through the gateway binary)
// what a client gets when every connection stays busy past the queue deadline.
#include "backend/backendexchange.h"
#include "backend/backendpool.h"
#include "backend/requestmapping.h"
#include "common/clienthelpers.h"
#include "common/socketoptions.h"
#include "common/gatewayprocess.h"
#include "common/testbackend.h"

#include <QFile>

#include <QSignalSpy>
#include <QTest>

using namespace SeaCat;

namespace {

BackendRequest getRequest(const QUrl &base, const QByteArray &path)
{
    BackendRequest request;
    request.base = base;
    request.method = "GET";
    request.head = writeRequestHead("GET", path, {{"Host", base.host().toLatin1()}}).value_or(QByteArray());
    return request;
}

// One exchange, run to its end: the status, or -1 for a failure (then `failure` tells which).
struct Outcome final : BackendExchange::Listener {
    int status = 0;
    QByteArray body;
    bool gotFinished = false;
    bool gotFailure = false;
    BackendExchange::Failure failure = BackendExchange::Failure::Protocol;
    std::function<void()> done; // after finished or failed

    void responseHead(int s, const HeaderList &) override { status = s; }
    void responseBody(const char *data, qsizetype size) override { body.append(data, size); }
    void finished() override
    {
        gotFinished = true;
        if (done)
            done();
    }
    void failed(BackendExchange::Failure f, const QString &, bool) override
    {
        gotFailure = true;
        failure = f;
        if (done)
            done();
    }
    void uploadProgressed() override { }
};

BackendExchange *startExchange(BackendPool *pool, const BackendRequest &request, Outcome *outcome, QObject *parent,
                               int connectTimeoutMs = 5'000, int responseTimeoutMs = 5'000)
{
    auto *exchange = new BackendExchange(pool, request, connectTimeoutMs, responseTimeoutMs, outcome, parent);
    exchange->start();
    if (!exchange->finishBody())
        outcome->gotFailure = true;
    return exchange;
}
} // namespace

class tst_BackendPool : public QObject
{
    Q_OBJECT

private slots:
    void backendSocketsHaveNoDelay();
    void steadyLoadOpensNoNewConnections_data();
    void steadyLoadOpensNoNewConnections();
    void queueIsFifoAndCancellable();
    void queueDeadlineGives504();
};

// The head and a body go out in separate writes: with Nagle the second waits for the
// backend's delayed ACK. Fresh and pooled backend sockets must carry TCP_NODELAY.
void tst_BackendPool::backendSocketsHaveNoDelay()
{
    TestBackend backend;
    QVERIFY(backend.listen());
    BackendPool pool;
    const QUrl base(backend.url());
    Outcome outcome;
    startExchange(&pool, getRequest(base, "/hello"), &outcome, this);
    QTRY_VERIFY_WITH_TIMEOUT(outcome.gotFinished || outcome.gotFailure, 10'000);
    QVERIFY(outcome.gotFinished);
    QCOMPARE(outcome.status, 200);
    QCOMPARE(outcome.body, QByteArray("hello"));
    // The connection went back to the pool: take it out and look at its descriptor.
    QCOMPARE(pool.idleCount(), 1);
    QTcpSocket *socket = nullptr;
    pool.acquire(base, this, [&socket](QTcpSocket *pooled) { socket = pooled; });
    QVERIFY(socket);
    QCOMPARE(socket->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
    QCOMPARE(tcpNoDelay(socket->socketDescriptor()), 1);
    delete socket;
    pool.drop(base);
}

void tst_BackendPool::steadyLoadOpensNoNewConnections_data()
{
    QTest::addColumn<int>("inFlight");
    QTest::addColumn<int>("cap");
    QTest::newRow("8 in flight, cap 64") << 8 << 64;
    QTest::newRow("40 in flight, cap 16: the rest wait their turn") << 40 << 16;
}

// Issue 10: the old pool kept 32 idle connections and opened a new one for every request
// beyond them, so a quarter of the CPU went to connect(). Now a steady load, after its first
// wave, runs on the connections it already has.
void tst_BackendPool::steadyLoadOpensNoNewConnections()
{
    QFETCH(int, inFlight);
    QFETCH(int, cap);
    TestBackend backend;
    QVERIFY(backend.listen());
    BackendPool pool;
    pool.setMaxConnectionsPerOrigin(cap);
    const QUrl base(backend.url());
    const int expectedConnections = qMin(inFlight, cap);

    constexpr int Total = 1'000;
    constexpr int WarmUp = 100;
    int started = 0;
    int ok = 0;
    int failed = 0;
    int connectionsAfterWarmUp = -1;
    BackendPool::Counters countersAfterWarmUp;
    // The queued calls of `next` still pending when the test ends go with it: they refer to its
    // locals (ASan saw one run in the next test's event loop).
    QObject scope;
    std::function<void()> next = [&] {
        if (started == Total)
            return;
        ++started;
        auto *outcome = new Outcome;
        BackendExchange *exchange = startExchange(&pool, getRequest(base, "/hello"), outcome, this);
        auto done = [&, outcome, exchange] {
            if (outcome->gotFinished && outcome->status == 200 && outcome->body == "hello")
                ++ok;
            else
                ++failed;
            exchange->deleteLater(); // and the outcome with it: not while its own call runs
            if (ok + failed == WarmUp) {
                connectionsAfterWarmUp = backend.connectionsAccepted;
                countersAfterWarmUp = pool.counters();
            }
            QTimer::singleShot(0, &scope, next); // keeps `inFlight` going
        };
        outcome->done = done;
        connect(exchange, &QObject::destroyed, [outcome] { delete outcome; });
    };
    for (int i = 0; i < inFlight; ++i)
        next();
    QTRY_COMPARE_WITH_TIMEOUT(ok + failed, Total, 60'000);
    QCOMPARE(failed, 0);
    QCOMPARE(connectionsAfterWarmUp, expectedConnections);
    QCOMPARE(backend.connectionsAccepted, expectedConnections); // none after warm-up
    const BackendPool::Counters counters = pool.counters();
    QCOMPARE(counters.opened, quint64(expectedConnections));
    QCOMPARE(counters.opened, countersAfterWarmUp.opened);
    QCOMPARE(counters.opened + counters.reused, quint64(Total));
    QCOMPARE(counters.queued > 0, inFlight > cap);
    QVERIFY(pool.connectionCount(base) <= cap);
    QTRY_COMPARE(pool.idleCount(), expectedConnections); // all kept, up to the cap
    QCOMPARE(pool.waitingCount(base), 0);
}

// At the cap, waiters are served in arrival order; one that gives up leaves the queue, and a
// failed connection frees its slot for the next waiter.
void tst_BackendPool::queueIsFifoAndCancellable()
{
    BackendPool pool;
    pool.setMaxConnectionsPerOrigin(1);
    const QUrl base(QStringLiteral("http://127.0.0.1:9"));
    QStringList order;
    QObject first, second, third;
    pool.acquire(base, &first, [&](QTcpSocket *socket) { order << (socket ? "first:socket" : "first:open"); });
    {
        QObject gone;
        pool.acquire(base, &gone, [&](QTcpSocket *) { order << "gone"; });
        pool.acquire(base, &second, [&](QTcpSocket *) { order << "second"; });
        pool.acquire(base, &third, [&](QTcpSocket *) { order << "third"; });
        QCOMPARE(pool.waitingCount(base), 3);
    } // `gone` is destroyed while waiting
    pool.cancel(base, &third);
    QCOMPARE(pool.waitingCount(base), 1);
    QCOMPARE(order, QStringList{"first:open"});
    pool.drop(base); // first's connection failed: its slot goes to the oldest live waiter
    QTRY_COMPARE(order, (QStringList{"first:open", "second"}));
    QCOMPARE(pool.connectionCount(base), 1);
    pool.drop(base);
    QCOMPARE(pool.connectionCount(base), 0);
    QCOMPARE(pool.counters().queued, quint64(3));
    QCOMPARE(pool.counters().opened, quint64(2));
}

// backend-connections=1 and a request that holds the only connection: the next request
// waits backend-connect-timeout (1 s) in the queue and gets 504, and the gateway goes on.
void tst_BackendPool::queueDeadlineGives504()
{
    TestBackend backend;
    QVERIFY(backend.listen());
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath(QStringLiteral("gateway.ini"));
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(
        "[gateway]\nname=gw.test\nlisten=127.0.0.1\nport=0\nmode=anonymous\ndata-dir=" + gw.dataDir.path().toUtf8() +
        "\n[limits]\nbackend-connections=1\nbackend-connect-timeout=1\nbackend-response-timeout=30\n"
        "[host:app]\nuri=" +
        backend.url().toUtf8() + "\n");
    file.close();
    gw.launch({QStringLiteral("--headless"), QStringLiteral("--config"), ini});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());

    SeaCat::SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    ClientResponse held;
    SeaCat::ClientStream *heldStream = startRequest(client, held, "GET", QStringLiteral("http://app.seacat/hang"));
    QTRY_COMPARE_WITH_TIMEOUT(backend.requests, 1, 10'000);
    QElapsedTimer clock;
    clock.start();
    const ClientResponse queued = fetch(client, "GET", QStringLiteral("http://app.seacat/hello"));
    QCOMPARE(queued.status, 504);
    QVERIFY(queued.finished);
    QVERIFY2(clock.elapsed() >= 900 && clock.elapsed() < 5'000, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(backend.connectionsAccepted, 1); // the queued request never opened a second one
    QCOMPARE(backend.requests, 1);
    QVERIFY(!held.finished && held.reset == 0); // the held request is untouched

    // Once the connection is free again, the queue moves: a reset of the held stream closes
    // its backend connection and frees the slot.
    heldStream->cancel();
    const ClientResponse after = fetch(client, "GET", QStringLiteral("http://app.seacat/hello"));
    QCOMPARE(after.status, 200);
    QCOMPARE(after.body, QByteArray("hello"));
}

QTEST_GUILESS_MAIN(tst_BackendPool)
#include "tst_backendpool.moc"
