// Requests through the gateway to a real HTTP backend started by the test, with the
// SeaCat client library on the other side.
#include "backend/httpresponseparser.h"
#include "backend/requestmapping.h"
#include "common/clienthelpers.h"
#include "common/gatewayfixture.h"
#include "common/gatewayprocess.h"
#include "common/hex.h"
#include "common/testbackend.h"
#include "common/testclient.h"

using namespace SeaCat;

class TestProxy : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void responseParser_data();
    void responseParser();
    void requestHost_data();
    void requestHost();
    void requestMapping();

    void get();
    void postEcho();
    void chunkedUploadWithoutLength();
    void forwardedHeaders();
    void forwardHeadersCanBeSwitchedOff();
    void badRequests();
    void unknownHost404();
    void backendDown502();
    void backendHangs504();
    void clientResetAbortsBackend();
    void keepAliveReusesConnections();
    void concurrentStreams();
    void largeBodiesBothWays();
    void slowClientFastLargeResponse();
    void countersReachObservers();

private:
    quint16 startGateway(GatewayConfig config = GatewayFixture::defaultConfig());
    std::unique_ptr<GatewayFixture> m_gw;
    std::unique_ptr<TestBackend> m_backend;
};

void TestProxy::init()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
    m_gw = std::make_unique<GatewayFixture>();
}

void TestProxy::cleanup()
{
    m_gw.reset();
    m_backend.reset();
}

quint16 TestProxy::startGateway(GatewayConfig config)
{
    config.mode = GatewayMode::Anonymous;
    config.addHost(QStringLiteral("app"), m_backend->url());
    return m_gw->start(config);
}

void TestProxy::responseParser_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<bool>("head");
    QTest::addColumn<QByteArray>("expected"); // "status|body|complete" or "error"
    QTest::newRow("content-length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") << false
                                    << QByteArray("200|hello|1");
    QTest::newRow("chunked with extension and trailer")
        << QByteArray(
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n")
        << false << QByteArray("200|hello|1");
    QTest::newRow("interim 100 skipped")
        << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n") << false
        << QByteArray("201||1");
    QTest::newRow("204 has no body") << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << false << QByteArray("204||1");
    QTest::newRow("HEAD has no body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n") << true
                                      << QByteArray("200||1");
    QTest::newRow("close-delimited is open")
        << QByteArray("HTTP/1.0 200 OK\r\n\r\nabc") << false << QByteArray("200|abc|0");
    QTest::newRow("bad status line") << QByteArray("HTTP/2 200\r\n\r\n") << false << QByteArray("error");
    QTest::newRow("conflicting lengths") << QByteArray(
                                                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                                         << false << QByteArray("error");
    QTest::newRow("bad chunk size") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                                    << false << QByteArray("error");
    QTest::newRow("bare CR in a value") << QByteArray("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n")
                                        << false << QByteArray("error");
    QTest::newRow("space before the colon")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi") << false << QByteArray("error");
    QTest::newRow("five-digit status") << QByteArray("HTTP/1.1 99999 OK\r\n\r\n") << false << QByteArray("error");
    QTest::newRow("101 never asked for") << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
                                         << false << QByteArray("error");
    QTest::newRow("head too large") << QByteArray("HTTP/1.1 200 OK\r\nX: ") + QByteArray(70'000, 'a') << false
                                    << QByteArray("error");
}

void TestProxy::responseParser()
{
    QFETCH(QByteArray, wire);
    QFETCH(bool, head);
    QFETCH(QByteArray, expected);
    for (qsizetype chunk : {wire.size(), qsizetype(1), qsizetype(7)}) {
        int status = 0;
        QByteArray body;
        bool complete = false;
        HttpResponseParser parser({[&](int s, const HeaderList &) { status = s; },
                                   [&](const char *d, qsizetype n) { body.append(d, n); }, [&] { complete = true; }},
                                  head);
        bool ok = true;
        for (qsizetype pos = 0; pos < wire.size() && ok; pos += chunk)
            ok = parser.feed(wire.constData() + pos, qMin(chunk, wire.size() - pos));
        const QByteArray got =
            ok ? QByteArray::number(status) + '|' + body + '|' + QByteArray::number(int(complete)) : "error";
        QCOMPARE(got, expected);
    }
}

// Routes and maps a SYN_STREAM as a session does; a refusal as "STATUS".
static QByteArray mapped(const SynStream &syn, const QUrl &base = QUrl("http://h/"),
                         const ForwardedIdentity &client = {}, const QSet<QByteArray> &forward = {})
{
    const auto route = routeRequest(syn);
    if (const auto *error = std::get_if<MappingError>(&route))
        return QByteArray::number(error->status);
    const auto request = mapRequest(syn, std::get<RequestRoute>(route), base, client, forward);
    if (const auto *error = std::get_if<MappingError>(&request))
        return QByteArray::number(error->status);
    return std::get<BackendRequest>(request).head;
}

void TestProxy::requestHost_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QString>("key"); // null: refused
    QTest::newRow("name") << QByteArray("app") << QStringLiteral("app");
    QTest::newRow(".seacat, case, port") << QByteArray("App.SeaCat:8443") << QStringLiteral("app");
    QTest::newRow("trailing dot") << QByteArray("app.") << QStringLiteral("app");
    QTest::newRow("IPv4") << QByteArray("10.0.0.1:80") << QStringLiteral("10.0.0.1");
    QTest::newRow("IPv6 literal") << QByteArray("[::1]:8080") << QStringLiteral("::1");
    QTest::newRow("sub-delims, pct") << QByteArray("a-b_c~d%41") << QStringLiteral("a-b_c~d%41");
    QTest::newRow("CRLF") << QByteArray("app\r\nX: y") << QString();
    QTest::newRow("LF after literal") << QByteArray("[::1]\nX: y") << QString();
    QTest::newRow("name in brackets") << QByteArray("[app]") << QString();
    QTest::newRow("NUL") << QByteArray("app\0x", 5) << QString();
    QTest::newRow("space") << QByteArray("app x") << QString();
    QTest::newRow("userinfo") << QByteArray("u@app") << QString();
    QTest::newRow("path") << QByteArray("app/x") << QString();
    QTest::newRow("two colons") << QByteArray("app:1:2") << QString();
    QTest::newRow("port too big") << QByteArray("app:65536") << QString();
    QTest::newRow("port not digits") << QByteArray("app:8o") << QString();
    QTest::newRow("bad pct") << QByteArray("app%zz") << QString();
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("non-ASCII") << QByteArray("b\xc3\xa1r") << QString();
}

void TestProxy::requestHost()
{
    QFETCH(QByteArray, host);
    QFETCH(QString, key);
    const auto got = requestHostKey(host);
    QCOMPARE(got.has_value(), !key.isNull());
    if (got)
        QCOMPARE(*got, key);
}

void TestProxy::requestMapping()
{
    const SynStream syn{5,
                        false,
                        1,
                        "app.seacat",
                        "POST",
                        "/x?y=1#frag",
                        {{"Host", "evil"},
                         {"Connection", "close, X-Drop"},
                         {"X-Drop", "1"},
                         {"Keep-Alive", "1"},
                         {"X-Forwarded-For", "6.6.6.6"},
                         {"Content-Length", "003"},
                         {"content-length", "3"},
                         {"Accept", "*/*"}}};
    QCOMPARE(mapped(syn, QUrl("http://10.0.0.1:8080/api/"), {"192.0.2.1", "abc", "[TAG]"}, ForwardHeader::all()),
             QByteArray("POST /api/x?y=1 HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nContent-Length: 3\r\nAccept: */*\r\n"
                        "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Host: app.seacat\r\nX-SeaCat-Client-Id: abc\r\n"
                        "X-SeaCat-Client-Tag: [TAG]\r\nConnection: keep-alive\r\n\r\n"));
    // Refusals: 400 for what breaks the grammar, 431 for what breaks the limits.
    QCOMPARE(mapped({7, false, 1, "app", "POST", "/", {{"Content-Length", "3"}, {"Content-Length", "4"}}}),
             QByteArray("400"));
    QCOMPARE(mapped({7, false, 1, "app", "POST", "/", {{"Content-Length", "+5"}}}), QByteArray("400"));
    QCOMPARE(mapped({7, false, 1, "app", "POST", "/", {{"Content-Length", "0x5"}}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "http://elsewhere/", {}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/a b", {}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/a\x7f", {}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GE(T", "/", {}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/", {{"X", "a\rb"}}}), QByteArray("400"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/", {{"X Y", "a"}}}), QByteArray("400"));
    QVERIFY(mapped({9, true, 1, "app", "GET", "/", {{"X", "tab\tand \xe9"}}}).contains("\r\nX: tab\tand \xe9\r\n"));
    QCOMPARE(mapped({9, true, 1, "app", "GETGETGETGETGETGET", "/", {}}), QByteArray("431"));
    QCOMPARE(mapped({9, true, 1, QByteArray(256, 'a'), "GET", "/", {}}), QByteArray("431"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/" + QByteArray(8 * 1024, 'a'), {}}), QByteArray("431"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/", HeaderList(101, {"X", "1"})}), QByteArray("431"));
    QCOMPARE(mapped({9, true, 1, "app", "GET", "/", {{"X", QByteArray(16 * 1024, 'a')}}}), QByteArray("431"));
    QVERIFY(mapped({9, true, 1, "app", "GET", "/", HeaderList(100, {"X", "1"})}).startsWith("GET / HTTP/1.1\r\n"));
    // The writer itself refuses what no mapping should ever hand it.
    QVERIFY(!writeRequestHead("GET", "/", {{"X-Forwarded-For", "1.2.3.4\r\nX: y"}}));
    QVERIFY(!writeRequestHead("GET", "/ HTTP/1.1\r\n", {}));
    QVERIFY(!writeRequestHead("G T", "/", {}));
    // Responses: hop-by-hop and framing headers never reach the client.
    QCOMPARE(mapResponseHeaders(204, {{"Content-Length", "4"}, {"X", "1"}}), (HeaderList{{"X", "1"}}));
    const HeaderList response = mapResponseHeaders(200, {{"Transfer-Encoding", "chunked"},
                                                         {"Content-Length", "10"},
                                                         {"Connection", "X-Hop"},
                                                         {"X-Hop", "1"},
                                                         {"Set-Cookie", "a=1"},
                                                         {"Set-Cookie", "b=2"}});
    QCOMPARE(response, (HeaderList{{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}));
}

void TestProxy::get()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const ClientResponse r = fetch(client, "GET", QStringLiteral("http://app.seacat/hello"));
    QVERIFY(r.finished);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("hello"));
    QCOMPARE(r.header("X-Backend"), QByteArray("yes"));
    QCOMPARE(r.header("Content-Length"), QByteArray("5"));
    QVERIFY(r.header("Connection").isEmpty() && r.header("Keep-Alive").isEmpty());
    // HEAD gets the head and an empty FIN.
    const ClientResponse head = fetch(client, "HEAD", QStringLiteral("http://app.seacat/hello"));
    QVERIFY(head.finished);
    QCOMPARE(head.status, 200);
    QVERIFY(head.body.isEmpty());
}

void TestProxy::postEcho()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const QByteArray body = "Hello";
    const ClientResponse r =
        fetch(client, "POST", QStringLiteral("http://app.seacat/echo"), {{"Content-Length", "5"}}, &body);
    QVERIFY(r.finished);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, body);
    QVERIFY2(r.header("Transfer-Encoding").isEmpty(), "chunked must not reach the client");
    QVERIFY(m_backend->lastRequestHead.contains("Content-Length: 5\r\n"));
}

void TestProxy::chunkedUploadWithoutLength()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const QByteArray body(100'000, 'q');
    const ClientResponse r = fetch(client, "PUT", QStringLiteral("http://app.seacat/echo"), {}, &body);
    QVERIFY(r.finished);
    QCOMPARE(r.body, body);
    QVERIFY(m_backend->lastRequestHead.contains("Transfer-Encoding: chunked\r\n"));
}

void TestProxy::forwardedHeaders()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const ClientResponse r =
        fetch(client, "GET", QStringLiteral("http://APP.seacat/headers"),
              {{"X-Forwarded-For", "6.6.6.6"}, {"X-SeaCat-Client-Id", "forged"}, {"Accept", "text/plain"}});
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.startsWith("GET /headers HTTP/1.1\r\nHost: 127.0.0.1:"), r.body.constData());
    QVERIFY(r.body.contains("X-Forwarded-For: 127.0.0.1\r\n"));
    QVERIFY(r.body.contains("X-Forwarded-Host: app\r\n")); // QUrl lower-cases the host
    QVERIFY(r.body.contains("Accept: text/plain\r\n"));
    QVERIFY(!r.body.contains("6.6.6.6") && !r.body.contains("forged")); // incoming copies stripped
}

void TestProxy::forwardHeadersCanBeSwitchedOff()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    QCOMPARE(config.set(QStringLiteral("forward-headers"), QStringLiteral("X-Forwarded-Host")), QString());
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(config), m_gw->caFile()));
    const ClientResponse r =
        fetch(client, "GET", QStringLiteral("http://app.seacat/headers"), {{"X-Forwarded-For", "6.6.6.6"}});
    QVERIFY(!r.body.contains("X-Forwarded-For"));
    QVERIFY(r.body.contains("X-Forwarded-Host: app\r\n"));
}

void TestProxy::badRequests()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const ClientResponse r = fetch(client, "GET", QStringLiteral("http://app.seacat/hello"), {{"Bad Name", "x"}});
    QCOMPARE(r.status, 400);
    QVERIFY(r.finished);
    QCOMPARE(m_backend->requests, 0);
}

void TestProxy::unknownHost404()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    const ClientResponse r = fetch(client, "GET", QStringLiteral("http://other.seacat/hello"));
    QCOMPARE(r.status, 404);
    QVERIFY(r.finished);
}

void TestProxy::backendDown502()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 deadPort = closed.serverPort();
    closed.close();
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.addHost(QStringLiteral("down"), QStringLiteral("http://127.0.0.1:%1").arg(deadPort));
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(config), m_gw->caFile()));
    const ClientResponse r = fetch(client, "GET", QStringLiteral("http://down.seacat/"));
    QCOMPARE(r.status, 502);
    QVERIFY(r.finished);
    QVERIFY2(r.body.contains("unreachable"), r.body.constData());
}

void TestProxy::backendHangs504()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.backendResponseTimeoutMs = 500;
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(config), m_gw->caFile()));
    QElapsedTimer timer;
    timer.start();
    const ClientResponse r = fetch(client, "GET", QStringLiteral("http://app.seacat/hang"));
    QCOMPARE(r.status, 504);
    QVERIFY(r.finished);
    QVERIFY(timer.elapsed() >= 450);
    const ClientResponse ok = fetch(client, "GET", QStringLiteral("http://app.seacat/hello"));
    QCOMPARE(ok.status, 200);
}

void TestProxy::clientResetAbortsBackend()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    ClientResponse r;
    ClientStream *stream = startRequest(client, r, "GET", QStringLiteral("http://app.seacat/trickle"));
    QVERIFY(QTest::qWaitFor([&] { return r.bodySize >= 3; }, 10'000));
    QCOMPARE(r.status, 200);
    // RST_STREAM from the client mid-response: the gateway drops the backend connection.
    const int disconnectsBefore = m_backend->disconnects;
    stream->cancel();
    QVERIFY(QTest::qWaitFor([&] { return m_backend->disconnects > disconnectsBefore; }, 5'000));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
}

void TestProxy::keepAliveReusesConnections()
{
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    for (int i = 0; i < 5; ++i)
        QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QCOMPARE(m_backend->requests, 5);
    QCOMPARE(m_backend->connectionsAccepted, 1);
}

void TestProxy::concurrentStreams()
{
    // 200 concurrent streams over 4 sessions, each with its own body size.
    const quint16 port = startGateway();
    std::vector<std::unique_ptr<SeaCatClient>> clients;
    std::vector<ClientResponse> responses(200);
    for (int c = 0; c < 4; ++c) {
        clients.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(connectClient(*clients.back(), port, m_gw->caFile()));
    }
    for (int i = 0; i < 200; ++i)
        startRequest(*clients[size_t(i % 4)], responses[size_t(i)], "GET",
                     QStringLiteral("http://app.seacat/%1?bytes=%2").arg(i % 2 ? "big" : "chunked").arg(1000 + 97 * i));
    QVERIFY(QTest::qWaitFor(
        [&] {
            return std::all_of(responses.begin(), responses.end(),
                               [](const ClientResponse &r) { return r.finished || r.reset; });
        },
        60'000));
    for (int i = 0; i < 200; ++i) {
        const ClientResponse &r = responses[size_t(i)];
        QCOMPARE(r.status, 200);
        QCOMPARE(r.bodySize, qint64(1000 + 97 * i));
        for (qsizetype k = 0; k < r.body.size(); ++k)
            if (r.body[k] != TestBackend::pattern(k))
                QFAIL(qPrintable(QStringLiteral("stream %1: wrong byte at %2").arg(i).arg(k)));
    }
}

void TestProxy::largeBodiesBothWays()
{
    // 64 MiB up and back down through the gateway process; its peak memory must stay small.
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--mode", "anonymous", "--backend", "app=" + m_backend->url()});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    constexpr qint64 Total = 64LL * 1024 * 1024;
    ClientResponse r;
    ClientStream *stream =
        client.request("POST", QUrl("http://app.seacat/echo"), {{"Content-Length", QByteArray::number(Total)}}, true);
    QObject::connect(stream, &ClientStream::responseHead, stream, [&r](int s, const HeaderList &) { r.status = s; });
    qint64 received = 0;
    bool contentOk = true;
    QObject::connect(stream, &ClientStream::data, stream, [&](const QByteArray &bytes) {
        for (qsizetype i = 0; i < bytes.size(); i += 4093)
            contentOk = contentOk && bytes[i] == TestBackend::pattern(received + i);
        received += bytes.size();
    });
    QObject::connect(stream, &ClientStream::finished, stream, [&r] { r.finished = true; });
    qint64 sent = 0;
    auto pump = [&] {
        while (sent < Total && client.bytesQueued() < 2 * 1024 * 1024) {
            QByteArray block(int(qMin<qint64>(256 * 1024, Total - sent)), Qt::Uninitialized);
            for (qsizetype i = 0; i < block.size(); ++i)
                block[i] = TestBackend::pattern(sent + i);
            stream->write(block);
            sent += block.size();
        }
        if (sent == Total)
            stream->finish();
    };
    QObject::connect(&client, &SeaCatClient::bytesWritten, &client, pump);
    pump();
    QVERIFY(QTest::qWaitFor([&] { return r.finished; }, 120'000));
    QCOMPARE(r.status, 200);
    QCOMPARE(received, Total);
    QVERIFY(contentOk);
    const qint64 peak = gw.peakRssKiB();
    qInfo("64 MiB echoed both ways; gateway peak RSS %lld KiB", peak);
    QVERIFY2(peak < 64 * 1024 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("peak RSS %1 KiB").arg(peak)));
}

void TestProxy::slowClientFastLargeResponse()
{
    // A client that stops reading a 100 MB response: the gateway stops reading the backend,
    // its memory stays flat, and other sessions are served meanwhile.
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--mode", "anonymous", "--backend", "app=" + m_backend->url()});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    TestClient slow(gw.caFile());
    slow.socket.setReadBufferSize(16 * 1024);
    QVERIFY(slow.connectTo(port));
    QObject::disconnect(&slow.socket, &QSslSocket::readyRead, nullptr, nullptr);
    const qint64 before = gw.rssKiB();
    slow.send(serialize(SynStream{1, true, 1, "app", "GET", "/big?bytes=104857600", {}}));
    QTest::qWait(3'000);
    const qint64 growth = gw.rssKiB() - before;
    qInfo("slow client: gateway RSS grew by %lld KiB while a 100 MB response waited", growth);
    QVERIFY2(growth < 32 * 1024 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(growth)));

    SeaCatClient other; // another session is served meanwhile
    QVERIFY(connectClient(other, port, gw.caFile()));
    QCOMPARE(fetch(other, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);

    // The slow client reads again and gets every byte.
    struct Counter : RecordingVisitor {
        qint64 bytes = 0;
        bool fin = false;
        void onData(const DataFrame &f) override
        {
            bytes += f.payload.size();
            fin = fin || f.fin;
        }
    } counter;
    SeaCat::FrameReader reader(&counter);
    QVERIFY(QTest::qWaitFor(
        [&] {
            reader.feed(slow.socket.readAll());
            return counter.fin;
        },
        120'000));
    QCOMPARE(counter.bytes, 104857600LL);
}

void TestProxy::countersReachObservers()
{
    QSignalSpy stats(m_gw->controller.get(), &GatewayController::statsUpdated);
    SeaCatClient client;
    QVERIFY(connectClient(client, startGateway(), m_gw->caFile()));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://nowhere.seacat/")).status, 404);
    QVERIFY(QTest::qWaitFor(
        [&] {
            if (stats.isEmpty())
                return false;
            const GatewayStats s = stats.last().at(0).value<GatewayStats>();
            return s.requests == 2 && s.responsesByClass[2] == 1 && s.responsesByClass[4] == 1 &&
                   s.backendResponses == 1 && s.sessionsNow == 1;
        },
        5'000));
}

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
