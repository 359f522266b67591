// seacat-client as a user runs it, against the gateway binary and a real backend.
#include "common/gatewayprocess.h"
#include "common/testbackend.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTemporaryFile>

class TestClientCli : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void ping();
    void get();
    void includeHeaders();
    void uploadFromFileAndStdin();
    void resetStreamExitsNonZero();
    void transportErrorExitsNonZero();
    void enrollWaitsForApprovalPastTheTimeout();

private:
    struct Result {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Result run(const QStringList &args, const QByteArray &stdinData = {});

    TestBackend m_backend;
    GatewayProcess m_gw;
    quint16 m_port = 0;
};

void TestClientCli::initTestCase()
{
    QVERIFY(m_backend.listen());
    const QString ini = m_gw.dataDir.filePath("gw.ini");
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[limits]\nbackend-response-timeout=0.5\n");
    file.close();
    m_gw.launch(m_gw.defaultArgs() +
                QStringList{"--mode", "anonymous", "--backend", "app=" + m_backend.url(), "--config", ini});
    m_port = m_gw.waitListening();
    QVERIFY2(m_port, m_gw.err.constData());
}

TestClientCli::Result TestClientCli::run(const QStringList &args, const QByteArray &stdinData)
{
    QProcess client;
    client.start(QStringLiteral(SEACAT_CLIENT_BIN),
                 QStringList{"--gateway", QStringLiteral("127.0.0.1:%1").arg(m_port), "--ca", m_gw.caFile(), "--name",
                             "gw.test", "--timeout", "20"} +
                     args);
    client.write(stdinData);
    client.closeWriteChannel();
    // The backend lives in this thread: keep its event loop running while the client works.
    (void)QTest::qWaitFor([&] { return client.state() == QProcess::NotRunning; }, 30'000);
    return {client.exitCode(), client.readAllStandardOutput(), client.readAllStandardError()};
}

void TestClientCli::ping()
{
    const Result r = run({"ping", "--count", "3"});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY2(lines[0].startsWith("PING 1 from 127.0.0.1:") && lines[0].contains(" time=") && lines[0].endsWith(" ms"),
             r.out.constData());
    QVERIFY(lines[2].startsWith("PING 5 "));
}

void TestClientCli::get()
{
    const Result r = run({"request", "http://app.seacat/hello"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("hello"));
    const Result missing = run({"request", "http://nowhere.seacat/"});
    QCOMPARE(missing.exitCode, 0); // an HTTP answer, like curl without --fail
    QVERIFY(missing.out.startsWith("404 Not Found"));
}

void TestClientCli::includeHeaders()
{
    const Result r = run({"request", "-i", "-H", "Accept: text/plain", "http://app.seacat/hello"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("HTTP/1.1 200\r\n") && r.out.contains("X-Backend: yes\r\n") &&
                 r.out.endsWith("\r\n\r\nhello"),
             r.out.constData());
}

void TestClientCli::uploadFromFileAndStdin()
{
    QTemporaryFile file;
    QVERIFY(file.open());
    QByteArray body(300'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = TestBackend::pattern(i);
    file.write(body);
    file.flush();
    const Result fromFile = run({"request", "--data", "@" + file.fileName(), "http://app.seacat/echo"});
    QCOMPARE(fromFile.exitCode, 0);
    QVERIFY(fromFile.out == body);
    QVERIFY(m_backend.lastRequestHead.contains("Content-Length: 300000"));
    const Result fromStdin = run({"request", "-X", "PUT", "--data", "-", "http://app.seacat/echo"}, body);
    QCOMPARE(fromStdin.exitCode, 0);
    QVERIFY(fromStdin.out == body);
    QVERIFY(m_backend.lastRequestHead.startsWith("PUT /echo HTTP/1.1") &&
            m_backend.lastRequestHead.contains("Transfer-Encoding: chunked"));
}

void TestClientCli::resetStreamExitsNonZero()
{
    // The backend goes silent after the head: the gateway resets the stream (§5.4, RST 72).
    const Result r = run({"request", "http://app.seacat/stall"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.trimmed() == "seacat-client: the gateway reset the stream: RESPONSE_TIMEOUT (72)",
             r.err.constData());
    QCOMPARE(r.out, QByteArray("first"));
}

void TestClientCli::transportErrorExitsNonZero()
{
    QProcess client;
    client.start(QStringLiteral(SEACAT_CLIENT_BIN), {"--gateway", "127.0.0.1:1", "--ca", m_gw.caFile(), "ping"});
    QVERIFY(client.waitForFinished(20'000));
    QCOMPARE(client.exitCode(), 1);
    const QByteArray err = client.readAllStandardError().trimmed();
    QVERIFY2(err.startsWith("seacat-client: ") && !err.contains('\n'), err.constData());

    const Result wrongName = [&] {
        QProcess p;
        p.start(QStringLiteral(SEACAT_CLIENT_BIN),
                {"--gateway", QStringLiteral("127.0.0.1:%1").arg(m_port), "--ca", m_gw.caFile(), "ping"});
        p.waitForFinished(20'000);
        return Result{p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }();
    QCOMPARE(wrongName.exitCode, 1); // CN gw.test is not 127.0.0.1
    QVERIFY2(wrongName.err.contains("TLS verification failed"), wrongName.err.constData());
}

QTEST_GUILESS_MAIN(TestClientCli)
// Manual approval (the default): a pending CSR is no timeout; --timeout covers only the
// gateway's first answer, --wait the approval, and running out of it is exit 3, not "rejected".
void TestClientCli::enrollWaitsForApprovalPastTheTimeout()
{
    QTemporaryDir identity;
    QVERIFY(identity.isValid());
    QElapsedTimer clock;
    clock.start();
    const Result r =
        run({"--timeout", "1", "enroll", "--identity", identity.path(), "--poll-interval", "0.2", "--wait", "2.5"});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(clock.elapsed() >= 2'500, qPrintable(QString::number(clock.elapsed())));
    QVERIFY2(r.err.contains("stored, waiting for approval"), r.err.constData());
    QVERIFY2(r.err.contains("still waiting for approval after 2.5 s (--wait)"), r.err.constData());
    QVERIFY2(!r.err.contains("no answer"), r.err.constData());
}

#include "tst_client_cli.moc"
