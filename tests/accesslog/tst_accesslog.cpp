// The access log (README "Access log"): the real binary with a real backend writes one line per
// finished stream and per rejected HTTPS client, in text or JSON, that no client bytes can
// forge; SIGUSR1 reopens the file; and AccessLog itself drops (and counts) rather than block.
#include "accesslog/accesslog.h"
#include "common/clienthelpers.h"
#include "common/gatewayprocess.h"
#include "common/testbackend.h"
#include "common/testclient.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

using namespace SeaCat;

namespace {
void addFormatRows()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("text") << QStringLiteral("text");
    QTest::newRow("json") << QStringLiteral("json");
}
} // namespace

class TestAccessLog : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void oneLinePerStreamAndRejection_data();
    void oneLinePerStreamAndRejection();
    void http2AndOtherRejectionsToo();
    void eventLogInJson();
    void clientBytesCannotForgeLines_data();
    void clientBytesCannotForgeLines();
    void sigusr1ReopensTheFile();
    void sighupAppliesLogSettings();
    void checkConfigAndStartRefuseBadSettings();
    void everyByteSurvivesBothFormats();
    void writesEverythingWhenTheReaderKeepsUp();
    void fullQueueDropsInsteadOfBlocking();

private:
    // With --access-log logFile() unless `accessLogFlag` is false (the config file names it).
    quint16 startGateway(const QStringList &extra = {}, bool accessLogFlag = true);
    QString logFile() const { return m_gw->dataDir.filePath(QStringLiteral("access.log")); }
    // The access log's lines once it has at least `count` (fewer after 10 s).
    QList<QByteArray> waitLines(int count, const QString &file = {}) const;
    // `bytes` over TLS to the gateway's port (certificate not checked); waits for the close.
    void sendOverTls(const QByteArray &bytes);
    // An HTTP/1.1 request on the TLS port, as a browser would send it.
    void browserRequest(const QByteArray &path)
    {
        sendOverTls("GET " + path + " HTTP/1.1\r\nHost: gw.test\r\nUser-Agent: Mozilla/5.0\r\n\r\n");
    }

    std::unique_ptr<GatewayProcess> m_gw;
    std::unique_ptr<TestBackend> m_backend;
    quint16 m_port = 0;
};

void TestAccessLog::init()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
    m_gw = std::make_unique<GatewayProcess>();
}

void TestAccessLog::cleanup()
{
    m_gw.reset();
    m_backend.reset();
}

quint16 TestAccessLog::startGateway(const QStringList &extra, bool accessLogFlag)
{
    // A port that was free a moment ago and has no listener: the backend "down".
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost);
    const quint16 downPort = probe.serverPort();
    probe.close();
    m_gw->launch(m_gw->defaultArgs() +
                 QStringList{QStringLiteral("--mode"), QStringLiteral("anonymous"), QStringLiteral("--backend"),
                             QStringLiteral("app=") + m_backend->url(), QStringLiteral("--backend"),
                             QStringLiteral("down=http://127.0.0.1:%1").arg(downPort)} +
                 (accessLogFlag ? QStringList{QStringLiteral("--access-log"), logFile()} : QStringList()) + extra);
    m_port = m_gw->waitListening();
    return m_port;
}

QList<QByteArray> TestAccessLog::waitLines(int count, const QString &file) const
{
    QList<QByteArray> lines;
    (void)QTest::qWaitFor(
        [&] {
            QFile log(file.isEmpty() ? logFile() : file);
            lines.clear();
            if (log.open(QIODevice::ReadOnly)) {
                const QByteArray all = log.readAll();
                lines = all.split('\n');
                lines.removeLast(); // after the last '\n' (a partial line would stay there)
            }
            return lines.size() >= count;
        },
        10'000);
    return lines;
}

void TestAccessLog::sendOverTls(const QByteArray &bytes)
{
    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
    QVERIFY(socket.waitForEncrypted(10'000));
    socket.write(bytes);
    QVERIFY(QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 15'000));
}

void TestAccessLog::oneLinePerStreamAndRejection_data()
{
    addFormatRows();
}

void TestAccessLog::oneLinePerStreamAndRejection()
{
    QFETCH(QString, format);
    QVERIFY2(startGateway({QStringLiteral("--log-format"), format}), m_gw->err.constData());
    SeaCatClient client;
    QVERIFY(connectClient(client, m_port, m_gw->caFile()));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://nobody.seacat/x")).status, 404);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://down.seacat/y")).status, 502);
    // README "Requests": a body longer than its Content-Length gets RST_STREAM 1.
    TestClient raw(m_gw->caFile());
    QVERIFY(raw.connectTo(m_port));
    raw.send(serialize(SynStream{1, false, 0, "app", "POST", "/echo", {{"Content-Length", "5"}}}) +
             serialize(DataFrame{1, true, "Hello, and more"}));
    QVERIFY(raw.waitForEvents(1));
    QVERIFY2(raw.received.events.first().startsWith(QStringLiteral("RST_STREAM id=1 status=1")),
             qPrintable(raw.received.events.first()));
    browserRequest("/index.html");

    const QList<QByteArray> lines = waitLines(5);
    QCOMPARE(lines.size(), 5);
    // The 200, 404 and 502 share one session (streams 1, 3, 5); the reset stream has its own.
    if (format == u"text") {
        const QRegularExpression shape(QStringLiteral(
            R"(^127\.0\.0\.1:\d+ (\d+/\d+|-) - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3} \+0000\] "\S+ \S+ \S+" (\d{3}|-) (\d+|-) (\d+|-) \d+\.\d{3} (\d+\.\d{3}|-) \S+ \S+$)"));
        for (const QByteArray &line : lines)
            QVERIFY2(shape.match(QString::fromLatin1(line)).hasMatch(), line.constData());
        const auto find = [&](const char *request) {
            for (const QByteArray &line : lines)
                if (line.contains(request))
                    return line;
            return QByteArray();
        };
        QVERIFY2(
            QRegularExpression(QStringLiteral(R"(/1 - \[.*\] "GET app /hello" 200 0 5 \d+\.\d{3} \d+\.\d{3} - -$)"))
                .match(QString::fromLatin1(find("/hello")))
                .hasMatch(),
            find("/hello").constData());
        QVERIFY2(find("\"GET nobody /x\" 404 0 ").endsWith(" - - -"), find("/x").constData());
        QVERIFY2(find("\"GET down /y\" 502 0 ").endsWith(" - - backend-unreachable"), find("/y").constData());
        QVERIFY2(find("\"POST app /echo\"").contains(" 15 0 ") && find("/echo").endsWith(" rst=1 body-length"),
                 find("/echo").constData());
        QVERIFY2(find("\"GET - /index.html\" 403 - - ").endsWith(" - rejected-h1 -") &&
                     find("/index.html").startsWith("127.0.0.1:"),
                 find("/index.html").constData());
        return;
    }
    QHash<QString, QJsonObject> byPath;
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), line.constData());
        const QJsonObject o = doc.object();
        for (const char *key :
             {"time", "type", "peer", "peer_port", "session", "stream", "client_tag", "method", "host", "path",
              "status", "bytes_in", "bytes_out", "duration", "backend_time", "end", "rst", "error"})
            QVERIFY2(o.contains(QLatin1String(key)), key);
        QVERIFY(QDateTime::fromString(o[u"time"].toString(), Qt::ISODateWithMs).isValid());
        QCOMPARE(o[u"peer"].toString(), QStringLiteral("127.0.0.1"));
        byPath.insert(o[u"path"].toString(), o);
    }
    const QJsonObject ok = byPath.value(QStringLiteral("/hello"));
    QCOMPARE(ok[u"type"].toString(), QStringLiteral("stream"));
    QCOMPARE(ok[u"host"].toString(), QStringLiteral("app"));
    QCOMPARE(ok[u"stream"].toInt(), 1);
    QVERIFY(ok[u"session"].toInt() > 0);
    QVERIFY(ok[u"client_tag"].isNull());
    QCOMPARE(ok[u"status"].toInt(), 200);
    QCOMPARE(ok[u"bytes_out"].toInt(), 5);
    QVERIFY(ok[u"backend_time"].isDouble());
    QCOMPARE(ok[u"end"].toString(), QStringLiteral("complete"));
    QVERIFY(ok[u"rst"].isNull() && ok[u"error"].isNull());
    QCOMPARE(byPath.value(QStringLiteral("/x"))[u"status"].toInt(), 404);
    QVERIFY(byPath.value(QStringLiteral("/x"))[u"backend_time"].isNull());
    QCOMPARE(byPath.value(QStringLiteral("/y"))[u"error"].toString(), QStringLiteral("backend-unreachable"));
    const QJsonObject reset = byPath.value(QStringLiteral("/echo"));
    QCOMPARE(reset[u"end"].toString(), QStringLiteral("rst"));
    QCOMPARE(reset[u"rst"].toInt(), 1);
    QCOMPARE(reset[u"error"].toString(), QStringLiteral("body-length"));
    QCOMPARE(reset[u"bytes_in"].toInt(), 15);
    const QJsonObject rejected = byPath.value(QStringLiteral("/index.html"));
    QCOMPARE(rejected[u"type"].toString(), QStringLiteral("rejected"));
    QCOMPARE(rejected[u"end"].toString(), QStringLiteral("rejected-h1"));
    QCOMPARE(rejected[u"method"].toString(), QStringLiteral("GET"));
    QCOMPARE(rejected[u"status"].toInt(), 403);
    QVERIFY(rejected[u"session"].isNull());
}

void TestAccessLog::http2AndOtherRejectionsToo()
{
    const QString curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    QVERIFY2(!curl.isEmpty(), "curl is needed: scripts/install-deps.sh installs it");
    QVERIFY2(startGateway(), m_gw->err.constData());
    QProcess h2;
    h2.start(curl, {QStringLiteral("-sS"), QStringLiteral("-k"), QStringLiteral("--http2"),
                    QStringLiteral("--max-time"), QStringLiteral("20"), QStringLiteral("-o"),
                    QStringLiteral("/dev/null"), QStringLiteral("https://127.0.0.1:%1/h2path").arg(m_port)});
    QVERIFY(h2.waitForFinished(30'000));
    QCOMPARE(h2.exitCode(), 0);
    const QList<QByteArray> h2Lines = waitLines(1);
    QCOMPARE(h2Lines.size(), 1);
    QVERIFY2(h2Lines[0].contains(" - - [") && h2Lines[0].contains("\"GET - /h2path\" 403 - - ") &&
                 h2Lines[0].endsWith(" - rejected-h2 -"),
             h2Lines[0].constData());
    sendOverTls(QByteArray::fromHex("00000002ffffffff010203")); // neither SeaCat nor HTTP
    const QList<QByteArray> lines = waitLines(2);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[1].startsWith("127.0.0.1:") && lines[1].contains("\"- - -\" - - - ") &&
                 lines[1].endsWith(" - rejected-other -"),
             lines[1].constData());
}

void TestAccessLog::eventLogInJson()
{
    QVERIFY2(startGateway({QStringLiteral("--log-format"), QStringLiteral("json")}), m_gw->err.constData());
    SeaCatClient client;
    QVERIFY(connectClient(client, m_port, m_gw->caFile()));
    QVERIFY(QTest::qWaitFor([&] { return m_gw->err.contains("session 1 from"); }, 10'000));
    const QList<QByteArray> lines = m_gw->err.trimmed().split('\n');
    QVERIFY(lines.size() >= 2);
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        QVERIFY2(o[u"time"].isString() && o[u"level"].isString() && o[u"message"].isString(), line.constData());
    }
    QCOMPARE(m_gw->out, QByteArray("listening on 127.0.0.1:") + QByteArray::number(m_port) +
                            '\n'); // stdout stays as scripts expect

    // A start that fails (the port is taken) says why in JSON too.
    QTemporaryDir dir;
    QProcess second;
    second.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                 {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--listen"),
                  QStringLiteral("127.0.0.1"), QStringLiteral("--port"), QString::number(m_port),
                  QStringLiteral("--name"), QStringLiteral("gw.test"), QStringLiteral("--log-format"),
                  QStringLiteral("json")});
    QVERIFY(second.waitForFinished(20'000));
    QCOMPARE(second.exitCode(), 1);
    QStringList levels;
    for (const QByteArray &line : second.readAllStandardError().trimmed().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        QVERIFY2(o[u"message"].isString(), line.constData());
        levels.append(o[u"level"].toString());
    }
    QCOMPARE(levels.last(), QStringLiteral("error"));
}

void TestAccessLog::clientBytesCannotForgeLines_data()
{
    addFormatRows();
}

void TestAccessLog::clientBytesCannotForgeLines()
{
    QFETCH(QString, format);
    QVERIFY2(startGateway({QStringLiteral("--log-format"), format}), m_gw->err.constData());
    // A whole forged line, in each format, inside the path; quotes, a backslash, a space and a
    // NUL in the host and method. The gateway answers 400; the log must show one line each.
    const QByteArray forgedText =
        "6.6.6.6:1 9/9 - [01/Jan/2026:00:00:00.000 +0000] \"GET app /forged\" 200 0 0 0.000 - - -";
    const QByteArray forgedJson = R"({"time":"2026-01-01T00:00:00.000Z","type":"stream","path":"/forged"})";
    const QByteArray path = "/a\r\n" + forgedText + "\n" + forgedJson + "\r\n\"\\\x7f\xff";
    const QByteArray host = QByteArray("app\" \\x", 7) + '\0' + "\r\n";
    TestClient raw(m_gw->caFile());
    QVERIFY(raw.connectTo(m_port));
    raw.send(serialize(SynStream{1, true, 0, "app", "GET", path, {}}) +
             serialize(SynStream{3, true, 0, host, "GE\"T\n", "/b", {}}));
    QVERIFY(raw.waitForEvents(4)); // two 400s, each SYN_REPLY and DATA
    browserRequest("/c\x01\"\x7f");

    const QList<QByteArray> lines = waitLines(3);
    QCOMPARE(lines.size(), 3);
    for (const QByteArray &line : lines) {
        QVERIFY2(line.startsWith(format == u"text" ? "127.0.0.1:" : "{\"time\":"), line.constData());
        QVERIFY2(!line.contains('\r') && !line.contains('\0'), line.constData());
        for (const char c : line) // nothing but printable ASCII reaches the file
            QVERIFY2(uchar(c) >= 0x20 && uchar(c) < 0x7f, line.constData());
    }
    if (format == u"text") {
        QVERIFY2(lines[0].contains("\"GET app /a\\x0d\\x0a6.6.6.6:1\\x209/9"), lines[0].constData());
        QVERIFY2(lines[0].contains("\\x22\\x5c\\x7f\\xff\" 400 "), lines[0].constData());
        // Quoted fields stay three tokens: every quote inside is escaped.
        for (const QByteArray &line : lines)
            QCOMPARE(line.count('"'), 2);
        QVERIFY2(lines[1].contains("\"GE\\x22T\\x0a app\\x22\\x20\\x5cx\\x00\\x0d\\x0a /b\" 400 "),
                 lines[1].constData());
        return;
    }
    QHash<quint32, QJsonObject> byStream;
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        byStream.insert(quint32(o[u"stream"].toInt()), o);
    }
    // What the client sent comes back byte for byte (as Latin-1).
    QCOMPARE(byStream.value(1)[u"path"].toString().toLatin1(), path);
    QCOMPARE(byStream.value(3)[u"host"].toString().toLatin1(), host);
    QCOMPARE(byStream.value(3)[u"method"].toString().toLatin1(), QByteArray("GE\"T\n"));
    QCOMPARE(byStream.value(0)[u"path"].toString().toLatin1(), QByteArray("/c\x01\"\x7f"));
}

void TestAccessLog::sigusr1ReopensTheFile()
{
    QVERIFY2(startGateway(), m_gw->err.constData());
    SeaCatClient client;
    QVERIFY(connectClient(client, m_port, m_gw->caFile()));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello?n=1")).status, 200);
    QCOMPARE(waitLines(1).size(), 1);
    // logrotate: rename, then SIGUSR1. Until the signal the gateway writes to the renamed file.
    const QString rotated = logFile() + QStringLiteral(".1");
    QVERIFY(QFile::rename(logFile(), rotated));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello?n=2")).status, 200);
    QCOMPARE(waitLines(2, rotated).size(), 2);
    QVERIFY(::kill(pid_t(m_gw->process.processId()), SIGUSR1) == 0);
    QVERIFY2(QTest::qWaitFor([&] { return m_gw->err.contains("SIGUSR1: reopened the access log"); }, 10'000),
             m_gw->err.constData());
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello?n=3")).status, 200);
    const QList<QByteArray> fresh = waitLines(1);
    QCOMPARE(fresh.size(), 1);
    QVERIFY2(fresh.first().contains("/hello?n=3"), fresh.first().constData());
    QVERIFY(!(QFileInfo(logFile()).permissions() & (QFileDevice::ReadOther | QFileDevice::WriteOther)));
    QTest::qWait(200);
    QCOMPARE(waitLines(2, rotated).size(), 2); // nothing more went to the old file
    QCOMPARE(m_gw->process.state(), QProcess::Running);
}

void TestAccessLog::sighupAppliesLogSettings()
{
    const QString ini = m_gw->dataDir.filePath(QStringLiteral("gateway.ini"));
    const QString second = m_gw->dataDir.filePath(QStringLiteral("second.log"));
    const auto writeIni = [&](const QString &text) {
        QFile file(ini);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text.toUtf8()) > 0;
    };
    QVERIFY(writeIni(QStringLiteral("[gateway]\naccess-log=%1\n").arg(logFile())));
    QVERIFY2(startGateway({QStringLiteral("--config"), ini}, false), m_gw->err.constData());
    SeaCatClient client;
    QVERIFY(connectClient(client, m_port, m_gw->caFile()));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello?n=1")).status, 200);
    QCOMPARE(waitLines(1).size(), 1);
    QVERIFY(waitLines(1).first().startsWith("127.0.0.1:"));

    QVERIFY(writeIni(QStringLiteral("[gateway]\naccess-log=%1\nlog-format=json\n").arg(second)));
    QVERIFY(::kill(pid_t(m_gw->process.processId()), SIGHUP) == 0);
    QVERIFY2(QTest::qWaitFor([&] { return m_gw->err.contains("\"message\":\"configuration reloaded"); }, 10'000),
             m_gw->err.constData());
    QVERIFY2(m_gw->err.contains("reload: access log now " + QFile::encodeName(second) + " (json)"),
             m_gw->err.constData());
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello?n=2")).status, 200); // a session from before
    const QList<QByteArray> lines = waitLines(1, second);
    QCOMPARE(lines.size(), 1);
    QCOMPARE(QJsonDocument::fromJson(lines.first()).object()[u"path"].toString(), QStringLiteral("/hello?n=2"));
    QCOMPARE(waitLines(1).size(), 1); // nothing more in the first file (its line went out before the JSON one)
}

void TestAccessLog::checkConfigAndStartRefuseBadSettings()
{
    const auto run = [&](const QStringList &args, int *exitCode) {
        QProcess process;
        process.start(QStringLiteral(SEACAT_GATEWAY_BIN), m_gw->defaultArgs() + args);
        process.waitForFinished(20'000);
        *exitCode = process.exitCode();
        return process.readAllStandardError();
    };
    int code = -1;
    QByteArray err = run(
        {QStringLiteral("--check-config"), QStringLiteral("--access-log"), QStringLiteral("/nonexistent-dir/a.log")},
        &code);
    QCOMPARE(code, 2);
    QVERIFY2(err.contains("access log /nonexistent-dir/a.log cannot be created"), err.constData());
    err = run({QStringLiteral("--check-config"), QStringLiteral("--log-format"), QStringLiteral("yaml")}, &code);
    QCOMPARE(code, 2);
    QVERIFY2(err.contains("bad value 'yaml' for log-format (text or json)"), err.constData());
    err = run({QStringLiteral("--access-log"), QStringLiteral("/nonexistent-dir/a.log")}, &code);
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("cannot open the access log /nonexistent-dir/a.log"), err.constData());
}

void TestAccessLog::everyByteSurvivesBothFormats()
{
    AccessRecord record;
    record.peerAddress = QStringLiteral("::1");
    record.peerPort = 443;
    for (int i = 0; i < 256; ++i)
        record.path += char(i);
    record.method = "GET";
    const QByteArray text = formatAccessRecord(record, LogFormat::Text);
    QVERIFY2(text.startsWith("[::1]:443 0/0 - [01/Jan/1970:00:00:00.000 +0000] \"GET - "), text.constData());
    QCOMPARE(text.count('\n'), 1);
    QVERIFY(text.endsWith('\n'));
    QCOMPARE(text.count('"'), 2);
    QVERIFY2(text.contains("\\x00\\x01") && text.contains("\\x20!\\x22#") && text.contains("[\\x5c]") &&
                 text.contains("~\\x7f\\x80") && text.contains("\\xff\""),
             text.constData());
    const QByteArray json = formatAccessRecord(record, LogFormat::Json);
    QCOMPARE(json.count('\n'), 1);
    QJsonParseError error;
    const QJsonObject o = QJsonDocument::fromJson(json, &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, json.constData());
    QCOMPARE(o[u"path"].toString().toLatin1(), record.path);
    QVERIFY(o[u"host"].isNull());
    const QByteArray event = formatEventLine(0, LogLevel::Info, QStringLiteral("a\nb\r\"é"), LogFormat::Text);
    QCOMPARE(event, QByteArray("1970-01-01T00:00:00.000Z info a\\x0ab\\x0d\"\xc3\xa9\n"));
    const QByteArray eventJson = formatEventLine(0, LogLevel::Warning, QStringLiteral("a\nb\"é"), LogFormat::Json);
    QCOMPARE(QJsonDocument::fromJson(eventJson).object()[u"message"].toString(), QStringLiteral("a\nb\"é"));
}

void TestAccessLog::writesEverythingWhenTheReaderKeepsUp()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.log"));
    AccessLog log;
    QCOMPARE(log.open(path, LogFormat::Json), QString());
    AccessRecord record;
    record.path = "/p";
    // Several engine threads submit at once (README: --workers).
    QList<QThread *> threads;
    for (int t = 0; t < 4; ++t) {
        threads.append(QThread::create([&log, record, t] {
            AccessRecord mine = record;
            mine.sessionId = quint64(t + 1);
            for (quint32 i = 0; i < 2'500; ++i) {
                mine.streamId = i;
                while (!log.submit(mine)) // a full queue here is the test's own doing: wait for room
                    QThread::usleep(100);
            }
        }));
        threads.last()->start();
    }
    for (QThread *thread : std::as_const(threads)) {
        QVERIFY(thread->wait(30'000));
        delete thread;
    }
    log.flush();
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.size(), 10'000 + 1);
    for (qsizetype i = 0; i < 10'000; ++i)
        QVERIFY2(QJsonDocument::fromJson(lines[i]).isObject(), lines[i].constData());
}

void TestAccessLog::fullQueueDropsInsteadOfBlocking()
{
    // The writer blocks on a pipe nobody reads, as on a stalled disk or a stopped journald.
    ::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
    constexpr int Records = 200'000;
    int accepted = 0;
    qint64 elapsedMs = 0;
    quint64 dropped = 0;
    {
        AccessLog log(64 * 1024);
        QCOMPARE(log.open(QStringLiteral("/proc/self/fd/%1").arg(fds[1]), LogFormat::Text), QString());
        ::close(fds[1]);
        AccessRecord record;
        record.peerAddress = QStringLiteral("127.0.0.1");
        record.path = QByteArray(200, 'p');
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < Records; ++i)
            accepted += log.submit(record) ? 1 : 0;
        elapsedMs = timer.elapsed();
        dropped = log.takeDropped();
        ::close(fds[0]); // the blocked write fails (EPIPE): the writer finishes and stops
    }
    qInfo("%d records submitted in %lld ms: %d queued, %llu dropped", Records, elapsedMs, accepted, dropped);
    QCOMPARE(quint64(accepted) + dropped, quint64(Records));
    QVERIFY2(dropped > quint64(Records) / 2, "the queue is bounded");
    QVERIFY2(elapsedMs < 5'000, "submit never waits for the writer");
}

QTEST_GUILESS_MAIN(TestAccessLog)
#include "tst_accesslog.moc"
