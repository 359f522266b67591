// BackendPool and BackendExchange against a real HTTP/1.1 backend on loopback (no gateway):
// what the backend connections look like and how many the pool opens.
#include "backend/backendexchange.h"
#include "backend/backendpool.h"
#include "backend/requestmapping.h"
#include "common/testbackend.h"

#include <QSignalSpy>
#include <QTest>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace SeaCat;

namespace {
int tcpNoDelay(qintptr descriptor)
{
    int value = -1;
    socklen_t size = sizeof value;
    if (getsockopt(int(descriptor), IPPROTO_TCP, TCP_NODELAY, &value, &size) != 0)
        return -1;
    return value;
}

BackendRequest getRequest(const QUrl &base, const QByteArray &path)
{
    BackendRequest request;
    request.base = base;
    request.method = "GET";
    request.head = writeRequestHead("GET", path, {{"Host", base.host().toLatin1()}}).value_or(QByteArray());
    return request;
}

// One exchange, run to its end: the status, or -1 for a failure (then `failure` tells which).
struct Outcome {
    int status = 0;
    QByteArray body;
    bool finished = false;
    bool failed = false;
    BackendExchange::Failure failure = BackendExchange::Failure::Protocol;
};

BackendExchange *startExchange(BackendPool *pool, const BackendRequest &request, Outcome *outcome, QObject *parent,
                               int connectTimeoutMs = 5'000, int responseTimeoutMs = 5'000)
{
    auto *exchange = new BackendExchange(pool, request, connectTimeoutMs, responseTimeoutMs, parent);
    QObject::connect(exchange, &BackendExchange::responseHead, parent, [outcome](int status, const HeaderList &) { outcome->status = status; });
    QObject::connect(exchange, &BackendExchange::responseBody, parent, [outcome](const QByteArray &bytes) { outcome->body += bytes; });
    QObject::connect(exchange, &BackendExchange::finished, parent, [outcome] { outcome->finished = true; });
    QObject::connect(exchange, &BackendExchange::failed, parent, [outcome](BackendExchange::Failure failure, const QString &, bool) {
        outcome->failed = true;
        outcome->failure = failure;
    });
    exchange->start();
    if (!exchange->finishBody())
        outcome->failed = true;
    return exchange;
}
} // namespace

class tst_BackendPool : public QObject
{
    Q_OBJECT

private slots:
    void backendSocketsHaveNoDelay();
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
    QTRY_VERIFY_WITH_TIMEOUT(outcome.finished || outcome.failed, 10'000);
    QVERIFY(outcome.finished);
    QCOMPARE(outcome.status, 200);
    QCOMPARE(outcome.body, QByteArray("hello"));
    // The connection went back to the pool: take it out and look at its descriptor.
    QCOMPARE(pool.idleCount(), 1);
    QTcpSocket *socket = pool.acquire(base);
    QVERIFY(socket);
    QCOMPARE(socket->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
    QCOMPARE(tcpNoDelay(socket->socketDescriptor()), 1);
    delete socket;
}

QTEST_GUILESS_MAIN(tst_BackendPool)
#include "tst_backendpool.moc"
