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
    void sigtermInGuiModeClosesSessionsAndExitsZero();
    void reservedPortRefused();
    void busyExplicitPortFails();
    void configFileAndFlags();
    void configErrorsNameTheKey();
    void defaultPortFallsBackWithoutPrivilege();
    void unknownOptionExitsTwo();
    void checkConfigAcceptsAGoodFile();
    void checkConfigReportsEveryProblemWithItsLine();
    void checkConfigFindsDataDirectoryProblems();
    void checkConfigKnowsTunnels();
    void dataDirectoryOfAnotherUserIsAPermissionProblem();
    void duplicateKeyRefusedAtStart();
    void sighupReloadsAndKeepsSessions();
};

namespace {
void writeFile(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
}
// Two distinct free loopback ports (both probes are open at once, so they cannot coincide).
std::pair<quint16, quint16> twoFreePorts()
{
    QTcpServer a, b;
    if (!a.listen(QHostAddress::LocalHost) || !b.listen(QHostAddress::LocalHost))
        return {0, 0};
    return {a.serverPort(), b.serverPort()};
}
} // namespace

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

void TestCli::sigtermInGuiModeClosesSessionsAndExitsZero()
{
    // The same with the admin window (offscreen): it used to die on the signal, with no close_notify.
    GatewayProcess gw;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    gw.process.setProcessEnvironment(env);
    QStringList args = gw.defaultArgs();
    args.removeAll(QStringLiteral("--headless"));
    gw.launch(args);
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(port));
    QVERIFY(client.pingRoundTrip(1));
    ::kill(pid_t(gw.process.processId()), SIGTERM);
    QVERIFY(client.waitForDisconnected(5'000));
    QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError);
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(gw.process.exitCode(), 0);
}

void TestCli::reservedPortRefused()
{
    GatewayProcess gw;
    QStringList args = gw.defaultArgs();
    args[args.indexOf("--port") + 1] = QStringLiteral("80");
    gw.launch(args);
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 1);
    QVERIFY2(gw.err.contains("--allow-reserved-port") && gw.err.contains("67 %") && gw.err.contains("443"),
             gw.err.constData());
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
               "data-dir=" +
               gw.dataDir.path().toUtf8() +
               "\n[limits]\nmax-streams=1\nidle-timeout=330\n"
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
    QVERIFY(QFile::setPermissions(gw.dataDir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                         QFileDevice::ExeOwner | QFileDevice::ReadOther |
                                                         QFileDevice::WriteOther | QFileDevice::ExeOther));
    QStringList args{"--headless", "--data-dir", gw.dataDir.filePath("data"), "--listen", "127.0.0.1",
                     "--name",     "gw.test"};
    if (::geteuid() == 0) {
        const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
        if (setpriv.isEmpty())
            QSKIP("running as root without setpriv: cannot drop the privilege to bind 443");
        args = QStringList{"--reuid=nobody",  "--regid=nogroup",     "--clear-groups",
                           "--inh-caps=-all", "--bounding-set=-all", QStringLiteral(SEACAT_GATEWAY_BIN)} +
               args;
        gw.launch(args, setpriv);
    } else {
        gw.launch(args);
    }
    const quint16 port = gw.waitListening();
    QVERIFY2(port == 8443, (gw.out + gw.err).constData());
    QVERIFY2(gw.err.contains("CAP_NET_BIND_SERVICE") && gw.err.contains("8443"), gw.err.constData());
}

void TestCli::unknownOptionExitsTwo()
{
    GatewayProcess gw;
    gw.launch({"--headless", "--no-such-option"});
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 2); // README "Running": 2 for a bad option
    QVERIFY2(gw.err.contains("no-such-option") && gw.err.contains("--help"), gw.err.constData());
    QVERIFY(gw.out.isEmpty());
}

void TestCli::checkConfigAcceptsAGoodFile()
{
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("good.ini");
    writeFile(ini, "; a comment\n[gateway]\nlisten = 127.0.0.1\nport=8443\nmode=anonymous\ndata-dir=" +
                       gw.dataDir.filePath("data").toUtf8() +
                       "\n\n[limits]\nmax-streams=10\n[host:app]\nuri=http://127.0.0.1:8080/\n");
    gw.launch({"--check-config", "--config", ini});
    QVERIFY(gw.waitFinished());
    QVERIFY2(gw.process.exitCode() == 0, gw.err.constData());
    QVERIFY2(gw.out.contains(": OK") && gw.out.contains("127.0.0.1:8443") && gw.out.contains("1 backend"),
             gw.out.constData());
    QVERIFY(!QFile::exists(gw.dataDir.filePath("data"))); // a check creates nothing

    // A data directory the gateway made itself, with its keys and store, passes too.
    GatewayProcess served;
    served.launch(served.defaultArgs());
    QVERIFY(served.waitListening());
    served.process.terminate();
    QVERIFY(served.waitFinished());
    GatewayProcess check;
    check.launch({"--check-config", "--data-dir", served.dataDir.path(), "--port", "0"});
    QVERIFY(check.waitFinished());
    QVERIFY2(check.process.exitCode() == 0, check.err.constData());
}

void TestCli::checkConfigReportsEveryProblemWithItsLine()
{
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("bad.ini");
    writeFile(ini, "[gateway]\n"               // 1
                   "port=8443\n"               // 2
                   "mode=open\n"               // 3 bad value
                   "port=9443\n"               // 4 duplicate
                   "[limitz]\n"                // 5 unknown section
                   "max-streams=1\n"           // 6 (in the unknown section: not reported again)
                   "[limits]\n"                // 7
                   "idle-timout=3\n"           // 8 unknown key
                   "this is not ini\n"         // 9
                   "[host:app]\n"              // 10 no uri
                   "url=http://127.0.0.1:1/\n" // 11 wrong key
                   "[host:api]\n"              // 12
                   "uri=ftp://x/\n"            // 13 bad URL
                   "[gateway]\n"               // 14 the same section again is fine ...
                   "mode=anonymous\n"          // 15 ... its keys are still duplicates
                   "data-dir=" +
                       gw.dataDir.filePath("d").toUtf8() + "\n");
    gw.launch({"--check-config", "--config", ini});
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 2);
    const QByteArray file = ini.toUtf8();
    for (const QByteArray &expected :
         {file + ":3: [gateway] bad value 'open' for mode", file + ":4: [gateway] port is set again (first at line 2)",
          file + ":5: unknown section [limitz]", file + ":8: [limits] unknown option 'idle-timout'",
          file + ":9: 'this is not ini'", file + ":10: [host:app] needs uri=",
          file + ":11: [host:app] has only one key", file + ":13: [host:api] backend 'api'",
          file + ":15: [gateway] mode is set again (first at line 3)", QByteArray("9 problem(s)")})
        QVERIFY2(gw.err.contains(expected), (expected + "\n--- got:\n" + gw.err).constData());
    QVERIFY2(!gw.err.contains(":6:"), gw.err.constData());
}

void TestCli::checkConfigKnowsTunnels()
{
    // README "Reaching a device through its session": [tunnels] is a known section, its keys
    // are checked like every other.
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("tunnels.ini");
    writeFile(ini, "[tunnels]\n"
                   "tunnels=yes\n"            // 2 bad value
                   "tunnel-ports=22,70000\n"  // 3 bad port
                   "tunnel-idle-timeout=-1\n" // 4 bad seconds
                   "[gateway]\ndata-dir=" +
                       gw.dataDir.filePath("d").toUtf8() + "\n");
    gw.launch({"--check-config", "--config", ini});
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 2);
    const QByteArray file = ini.toUtf8();
    for (const QByteArray &expected : {file + ":2: [tunnels] bad value 'yes' for tunnels (on or off)",
                                       file + ":3: [tunnels] bad value '22,70000' for tunnel-ports",
                                       file + ":4: [tunnels] bad value '-1' for tunnel-idle-timeout"})
        QVERIFY2(gw.err.contains(expected), (expected + "\n--- got:\n" + gw.err).constData());
    writeFile(ini, "[tunnels]\ntunnels=on\ntunnel-ports=22, 2222\ntunnel-idle-timeout=60\n[gateway]\ndata-dir=" +
                       gw.dataDir.filePath("d").toUtf8() + "\n");
    GatewayProcess good;
    good.launch({"--check-config", "--config", ini});
    QVERIFY(good.waitFinished());
    QVERIFY2(good.process.exitCode() == 0, good.err.constData());
}

void TestCli::checkConfigFindsDataDirectoryProblems()
{
    GatewayProcess gw;
    gw.launch(gw.defaultArgs());
    QVERIFY(gw.waitListening());
    gw.process.terminate();
    QVERIFY(gw.waitFinished());
    // A store that cannot be opened for writing, a CA whose key is gone, a key others can read.
    writeFile(gw.dataDir.filePath("pki.sqlite"), QByteArray(4096, 'x'));
    QFile::remove(gw.dataDir.filePath("pki.sqlite-wal"));
    QFile::remove(gw.dataDir.filePath("pki.sqlite-shm"));
    QVERIFY(QFile::remove(gw.dataDir.filePath("ca-key.pem")));
    QVERIFY(QFile::setPermissions(gw.dataDir.filePath("server-key.pem"),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
    const QString ini = gw.dataDir.filePath("gw.ini");
    writeFile(ini, "[gateway]\ndata-dir=" + gw.dataDir.path().toUtf8() + "\nport=80\n");
    GatewayProcess check;
    check.launch({"--check-config", "--config", ini});
    QVERIFY(check.waitFinished());
    QCOMPARE(check.process.exitCode(), 2);
    const QByteArray dir = gw.dataDir.path().toUtf8();
    for (const QByteArray &expected :
         {ini.toUtf8() + ":3: ", dir + "/pki.sqlite: the certificate store is corrupt",
          dir + "/ca.pem: the CA key ca-key.pem is missing", dir + "/server-key.pem: a private key readable by others"})
        QVERIFY2(check.err.contains(expected), (expected + "\n--- got:\n" + check.err).constData());
    QVERIFY2(check.err.contains("--allow-reserved-port"), check.err.constData());

    // A data directory that is a file.
    GatewayProcess notDir;
    notDir.launch({"--check-config", "--data-dir", ini, "--port", "0"});
    QVERIFY(notDir.waitFinished());
    QCOMPARE(notDir.process.exitCode(), 2);
    QVERIFY2(notDir.err.contains("is not a directory"), notDir.err.constData());
}

// A service's data directory (0700, its user's) used from another account: the gateway and the
// pki commands name the permission problem, never "start the gateway once" or a second CA.
void TestCli::dataDirectoryOfAnotherUserIsAPermissionProblem()
{
    if (::geteuid() != 0)
        QSKIP("needs root, to run the gateway as another user (nobody) against root's data directory");
    const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
    if (setpriv.isEmpty())
        QSKIP("running as root without setpriv: cannot run as another user");
    GatewayProcess owner;
    QVERIFY(QFile::setPermissions(owner.dataDir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                            QFileDevice::ExeOwner | QFileDevice::ReadOther |
                                                            QFileDevice::ExeOther));
    const QString data = owner.dataDir.filePath("data");
    owner.launch({"--headless", "--data-dir", data, "--listen", "127.0.0.1", "--port", "0", "--name", "gw.test"});
    QVERIFY(owner.waitListening());
    owner.process.terminate();
    QVERIFY(owner.waitFinished());
    const QByteArray caBefore = [&] {
        QFile ca(data + "/ca.pem");
        return ca.open(QIODevice::ReadOnly) ? ca.readAll() : QByteArray();
    }();
    QVERIFY(!caBefore.isEmpty());

    const QStringList asNobody{"--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               QStringLiteral(SEACAT_GATEWAY_BIN)};
    for (const QStringList &args :
         {QStringList{"--headless", "--data-dir", data, "--listen", "127.0.0.1", "--port", "0", "--name", "gw.test"},
          QStringList{"--data-dir", data, "pki", "csr", "list"}}) {
        GatewayProcess other;
        other.launch(asNobody + args, setpriv);
        QVERIFY(other.waitFinished());
        QCOMPARE(other.process.exitCode(), 1);
        QVERIFY2(other.err.contains("belongs to root and this user") && other.err.contains("sudo -u root"),
                 other.err.constData());
        QVERIFY2(!other.err.contains("start the gateway once"), other.err.constData());
    }
    QFile ca(data + "/ca.pem");
    QVERIFY(ca.open(QIODevice::ReadOnly));
    QCOMPARE(ca.readAll(), caBefore);
}

void TestCli::duplicateKeyRefusedAtStart()
{
    // Not "last wins" when serving either: the same reader as --check-config.
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath("dup.ini");
    writeFile(ini, "[gateway]\nmode=anonymous\nmode=combined\n");
    QStringList args = gw.defaultArgs();
    args << "--config" << ini;
    gw.launch(args);
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 2);
    QVERIFY2(gw.err.contains(ini.toUtf8() + ":3: [gateway] mode is set again (first at line 2)"), gw.err.constData());
}

void TestCli::sighupReloadsAndKeepsSessions()
{
    GatewayProcess gw;
    const auto [first, second] = twoFreePorts();
    QVERIFY(first && second);
    const QString ini = gw.dataDir.filePath("gw.ini");
    const QByteArray common =
        "[gateway]\nname=gw.test\nlisten=127.0.0.1\ndata-dir=" + gw.dataDir.path().toUtf8() + "\n";
    writeFile(ini, common + "port=" + QByteArray::number(first) + "\n");
    gw.launch({"--headless", "--config", ini});
    QCOMPARE(gw.waitListening(), first);
    TestClient client(gw.caFile());
    QVERIFY(client.connectTo(first));
    QVERIFY(client.pingRoundTrip(1));
    const auto pid = pid_t(gw.process.processId());

    // A new port: the new listener opens, the session stays.
    writeFile(ini, common + "port=" + QByteArray::number(second) + "\n[limits]\nmax-streams=5\n");
    ::kill(pid, SIGHUP);
    QVERIFY2(QTest::qWaitFor(
                 [&] { return gw.err.contains("now listening on 127.0.0.1:" + QByteArray::number(second)); }, 10'000),
             gw.err.constData());
    QVERIFY2(gw.err.contains("SIGHUP: reloading the configuration from " + ini.toUtf8()), gw.err.constData());
    QVERIFY2(gw.err.contains("new sessions get the new max-streams; 1 session(s) kept"), gw.err.constData());
    QVERIFY(client.pingRoundTrip(3));
    TestClient newcomer(gw.caFile());
    QVERIFY(newcomer.connectTo(second));
    QVERIFY(newcomer.pingRoundTrip(1));

    // A broken file is refused with its line; the running config keeps serving.
    writeFile(ini, common + "port=" + QByteArray::number(second) + "\nport=1\n");
    ::kill(pid, SIGHUP);
    QVERIFY2(QTest::qWaitFor([&] { return gw.err.contains("previous configuration keeps serving"); }, 10'000),
             gw.err.constData());
    QVERIFY2(gw.err.contains("reload refused: " + ini.toUtf8() + ":6: [gateway] port is set again"),
             gw.err.constData());
    QVERIFY(client.pingRoundTrip(5));
    QVERIFY(newcomer.pingRoundTrip(3));
    QCOMPARE(gw.process.state(), QProcess::Running);

    // A name change needs a restart and says so.
    writeFile(ini, QByteArray(common).replace("gw.test", "other.test") + "port=" + QByteArray::number(second) + "\n");
    ::kill(pid, SIGHUP);
    QVERIFY2(QTest::qWaitFor([&] { return gw.err.contains("name changed and apply only after a restart"); }, 10'000),
             gw.err.constData());
    QVERIFY(client.pingRoundTrip(7));
    QCOMPARE(gw.process.state(), QProcess::Running);
    QCOMPARE(gw.out, QByteArray("listening on 127.0.0.1:" + QByteArray::number(first) + "\n"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
