// The headless command line as an admin or a script uses it.
#include "common/gatewayprocess.h"
#include "common/testclient.h"

#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>

#include <csignal>
#include <unistd.h>

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void listeningLineOnce();
    void sigtermClosesSessionsAndExitsZero();
    void reservedPortRefused();
    void busyExplicitPortFails();
    void configFileAndFlags();
    void configErrorsNameTheKey();
    void defaultPortFallsBackWithoutPrivilege();
};

void TestCli::listeningLineOnce()
{
    GatewayProcess gw;
    gw.launch(gw.defaultArgs());
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    QTest::qWait(300);
    QCOMPARE(gw.out, QByteArray("listening on 127.0.0.1:" + QByteArray::number(port) + "\n"));
    QVERIFY(QFile::exists(gw.caFile()));
}

void TestCli::sigtermClosesSessionsAndExitsZero()
{
    for (int sig : {SIGTERM, SIGINT}) {
        GatewayProcess gw;
        gw.launch(gw.defaultArgs());
        const quint16 port = gw.waitListening();
        QVERIFY(port);
        TestClient client(gw.caFile());
        QVERIFY(client.connectTo(port));
        QVERIFY(client.pingRoundTrip(1));
        ::kill(pid_t(gw.process.processId()), sig);
        QVERIFY(client.waitForDisconnected(5'000));
        QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError); // close_notify, not a reset
        QVERIFY(gw.waitFinished());
        QCOMPARE(gw.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(gw.process.exitCode(), 0);
    }
}

void TestCli::reservedPortRefused()
{
    GatewayProcess gw;
    QStringList args = gw.defaultArgs();
    args[args.indexOf("--port") + 1] = QStringLiteral("80");
    gw.launch(args);
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 1);
    QVERIFY2(gw.err.contains("--allow-reserved-port") && gw.err.contains("67 %") && gw.err.contains("443"), gw.err.constData());
    QVERIFY(gw.out.isEmpty());
}

void TestCli::busyExplicitPortFails()
{
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost));
    GatewayProcess gw;
    QStringList args = gw.defaultArgs();
    args[args.indexOf("--port") + 1] = QString::number(squatter.serverPort());
    gw.launch(args);
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 1);
    QVERIFY2(gw.err.contains("in use") && gw.err.contains("ss -ltnp"), gw.err.constData());
}

void TestCli::configFileAndFlags()
{
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("gateway.ini");
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[gateway]\nname=from-file.test\nlisten=127.0.0.1\nport=0\nmode=anonymous\n"
               "data-dir=" + gw.dataDir.path().toUtf8() + "\n[limits]\nmax-streams=1\nidle-timeout=330\n"
               "[host:app]\nuri=http://127.0.0.1:8080/\n");
    file.close();
    gw.launch({"--headless", "--config", ini, "--name", "from-flag.test"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    TestClient client(gw.caFile(), QStringLiteral("from-flag.test")); // the flag wins over the file
    QVERIFY(client.connectTo(port));
    QCOMPARE(client.socket.peerCertificate().subjectInfo(QSslCertificate::CommonName), QStringList{"from-flag.test"});
    // max-streams=1 from the file: a second open stream is refused.
    client.send(SeaCat::serialize(SeaCat::SynStream{1, false, 1, "app", "POST", "/", {}}));
    client.send(SeaCat::serialize(SeaCat::SynStream{3, true, 1, "app", "GET", "/", {}}));
    QVERIFY(client.waitForEvents(3)); // stream 1's 502 (nothing on :8080) may come first or last
    QVERIFY2(client.received.events.contains(QStringLiteral("RST_STREAM id=3 status=3")),
             qPrintable(client.received.events.join(u'\n')));
}

void TestCli::configErrorsNameTheKey()
{
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("bad.ini");
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[gateway]\nprot=8443\n");
    file.close();
    gw.launch({"--headless", "--config", ini});
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 2);
    QVERIFY2(gw.err.contains("unknown option 'prot'"), gw.err.constData());

    GatewayProcess badMode;
    badMode.launch({"--headless", "--mode", "open"});
    QVERIFY(badMode.waitFinished());
    QCOMPARE(badMode.process.exitCode(), 2);
    QVERIFY2(badMode.err.contains("combined, authorized or anonymous"), badMode.err.constData());
}

void TestCli::defaultPortFallsBackWithoutPrivilege()
{
    // README "Choosing the port": without privilege the default 443 falls back to 8443, with the fix named.
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, 8443);
    if (probe.waitForConnected(500))
        QSKIP("another program serves 127.0.0.1:8443 on this machine");
    GatewayProcess gw;
    QVERIFY(QFile::setPermissions(gw.dataDir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                  | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther));
    QStringList args{"--headless", "--data-dir", gw.dataDir.filePath("data"), "--listen", "127.0.0.1", "--name", "gw.test"};
    if (::geteuid() == 0) {
        const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
        if (setpriv.isEmpty())
            QSKIP("running as root without setpriv: cannot drop the privilege to bind 443");
        args = QStringList{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                           QStringLiteral(SEACAT_GATEWAY_BIN)} + args;
        gw.launch(args, setpriv);
    } else {
        gw.launch(args);
    }
    const quint16 port = gw.waitListening();
    QVERIFY2(port == 8443, (gw.out + gw.err).constData());
    QVERIFY2(gw.err.contains("CAP_NET_BIND_SERVICE") && gw.err.contains("8443"), gw.err.constData());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
