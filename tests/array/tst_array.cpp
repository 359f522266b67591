// A gateway array (README "Several gateways"): two real gateway binaries on one real
// PostgreSQL 15 started by the test (a Unix socket in a temporary directory, nothing on the
// network), real SeaCat clients enrolling through one gateway and served by the other.
#include "common/clienthelpers.h"
#include "common/enrolhelpers.h"
#include "common/gatewayprocess.h"
#include "common/postgresserver.h"
#include "common/testbackend.h"
#include "pki/gatewayidentity.h"
#include "pki/postgrespkistore.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>

#include <csignal>
#include <sys/stat.h>

using namespace SeaCat;

namespace {
int unixMode(const QString &path)
{
    struct stat info { };
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? int(info.st_mode & 0777) : -1;
}
} // namespace

class TestArray : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void migrationsOnEmptyDatabaseAndRestart();
    void approvalThroughOneIsAcceptedByTheOther();
    void revocationThroughOneClosesSessionsOnTheOther();
    void serialsAreUniqueAcrossGateways();
    void storeErrorMidCsrIsTemporary();
    void oneCaForTheArray();
    void killedGatewayLosesNoAcknowledgedCsr();
    void killedDatabaseLosesNoAcknowledgedCsr();
    void databaseOutageKeepsSessionsAndKnownClients();
    void revocationMadeWhileCutOffAppliesOnReconnect();
    void srvZoneOfThreeGateways();
    void discoverReachesTheFirstLiveGateway();

private:
    // Starts `gw` on this test's database; "" or why it did not listen.
    QString launch(GatewayProcess &gw, const QStringList &extra = {});
    // Starts A, then B with A's CA (array export-ca, array import-ca); "" or what failed.
    QString launchPair(GatewayProcess &a, const QStringList &extraA, GatewayProcess &b, const QStringList &extraB);
    // One value of a query on this test's database, through a connection of the test's own.
    QVariant scalar(const QString &sql);
    // Runs `sql` there; with `value`, its first row's first column. False (and a warning) when it failed.
    bool execute(const QString &sql, QVariant *value = nullptr);
    // `seacat-gateway pki ARGS` for the data directory of `gw` on the shared store.
    std::pair<int, QString> admin(const GatewayProcess &gw, const QStringList &args);
    // `seacat-gateway array ARGS` for the data directory `dir`: exit code, stdout and stderr.
    static std::pair<int, QString> array(const QString &dir, const QStringList &args);
    static std::pair<int, QString> array(const GatewayProcess &gw, const QStringList &args)
    {
        return array(gw.dataDir.path(), args);
    }
    // `seacat-gateway --check-config` for `gw`'s data directory on this test's store.
    std::pair<int, QString> checkConfig(const GatewayProcess &gw);
    // Starts `gw` named gwN.example.test with that SRV priority and weight; its port, 0 if none.
    quint16 launchNamed(GatewayProcess &gw, int n, int priority, int weight);
    // `seacat-gateway array srv-zone --domain example.test` on this test's store.
    QString srvZone();
    // Enrols a fresh key through `port` (auto approval there) and saves its certificate.
    static bool enrolAt(quint16 port, const QString &caFile, QTemporaryDir &identity, ClientCsr *csr);

    std::unique_ptr<PostgresServer> m_postgres;
    std::unique_ptr<TestBackend> m_backend;
    int m_databases = 0;
    QString m_database;
};

void TestArray::initTestCase()
{
    if (!PostgresServer::isInstalled())
        QSKIP("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin): apt-get install postgresql-15 "
              "(scripts/install-deps.sh does)");
    m_postgres = std::make_unique<PostgresServer>();
    const QString error = m_postgres->start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
}

void TestArray::init()
{
    // A database of its own for every test: each starts from an empty schema.
    m_database = QStringLiteral("array_%1").arg(++m_databases);
    const QString error = m_postgres->createDatabase(m_database);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

QString TestArray::launch(GatewayProcess &gw, const QStringList &extra)
{
    gw.out.clear();
    gw.err.clear();
    gw.launch(gw.defaultArgs() +
              QStringList{"--store", m_postgres->url(m_database), "--backend", "app=" + m_backend->url(),
                          "--admin-listen", "off"} +
              extra);
    return gw.waitListening() ? QString() : QString::fromUtf8(gw.err);
}

QString TestArray::launchPair(GatewayProcess &a, const QStringList &extraA, GatewayProcess &b,
                              const QStringList &extraB)
{
    if (QString error = launch(a, extraA); !error.isEmpty())
        return error;
    const QString bundle = a.dataDir.filePath(QStringLiteral("array-ca.pem"));
    if (const auto exported = array(a, {"export-ca", bundle}); exported.first != 0)
        return exported.second;
    if (const auto imported = array(b, {"import-ca", bundle}); imported.first != 0)
        return imported.second;
    return launch(b, extraB);
}

bool TestArray::execute(const QString &sql, QVariant *value)
{
    bool ok = false;
    {
        QSqlDatabase db = m_postgres->connect(QStringLiteral("test-sql"), m_database);
        QSqlQuery query(db);
        ok = query.exec(sql) && (!value || query.next());
        if (ok && value)
            *value = query.value(0);
        if (!ok)
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("test-sql"));
    return ok;
}

QVariant TestArray::scalar(const QString &sql)
{
    QVariant value;
    execute(sql, &value);
    return value;
}

std::pair<int, QString> TestArray::admin(const GatewayProcess &gw, const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(SEACAT_GATEWAY_BIN),
            QStringList{"--data-dir", gw.dataDir.path(), "--store", m_postgres->url(m_database), "pki"} + args);
    p.waitForFinished(20'000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
}

std::pair<int, QString> TestArray::array(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(SEACAT_GATEWAY_BIN), QStringList{"--data-dir", dir, "array"} + args);
    p.waitForFinished(20'000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
}

std::pair<int, QString> TestArray::checkConfig(const GatewayProcess &gw)
{
    QProcess p;
    p.start(QStringLiteral(SEACAT_GATEWAY_BIN),
            {"--check-config", "--data-dir", gw.dataDir.path(), "--store", m_postgres->url(m_database), "--port", "0"});
    p.waitForFinished(30'000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
}

quint16 TestArray::launchNamed(GatewayProcess &gw, int n, int priority, int weight)
{
    const QString ini = gw.dataDir.filePath(QStringLiteral("gw.ini"));
    QFile file(ini);
    if (!file.open(QIODevice::WriteOnly))
        return 0;
    file.write(QStringLiteral("[gateway]\nsrv-priority=%1\nsrv-weight=%2\n").arg(priority).arg(weight).toUtf8());
    file.close();
    gw.launch({"--headless", "--config", ini, "--data-dir", gw.dataDir.path(), "--listen", "127.0.0.1", "--port", "0",
               "--name", QStringLiteral("gw%1.example.test").arg(n), "--store", m_postgres->url(m_database),
               "--admin-listen", "off"});
    return gw.waitListening();
}

QString TestArray::srvZone()
{
    QProcess srv;
    srv.start(QStringLiteral(SEACAT_GATEWAY_BIN),
              {"--store", m_postgres->url(m_database), "array", "srv-zone", "--domain", "example.test"});
    srv.waitForFinished(20'000);
    return QString::fromUtf8(srv.readAllStandardOutput());
}

bool TestArray::enrolAt(quint16 port, const QString &caFile, QTemporaryDir &identity, ClientCsr *csr)
{
    *csr = makeClientCsr(identity, KeyType::EcP256);
    SeaCatClient anonymous;
    if (!connectClient(anonymous, port, caFile) || submit(anonymous, csr->der) != 0x03)
        return false;
    const CertAnswer answer = query(anonymous, csr->bits);
    return answer.answered && !answer.der.isEmpty() &&
           Enrolment::saveCertificate(identity.path(), answer.der).isEmpty();
}

void TestArray::migrationsOnEmptyDatabaseAndRestart()
{
    // Two gateways started at the same moment on an empty database: one applies the
    // migrations, the other waits for it and finds them applied.
    GatewayProcess a, b;
    for (GatewayProcess *gw : {&a, &b})
        gw->launch(gw->defaultArgs() + QStringList{"--store", m_postgres->url(m_database), "--admin-listen", "off"});
    QVERIFY2(a.waitListening(), a.err.constData());
    QVERIFY2(b.waitListening(), b.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT version FROM schema_version")).toInt(), 3);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN "
                                   "('csrs', 'certificates', 'telemetry', 'audit')"))
                 .toInt(),
             4);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE '%_notify'")).toInt(), 2);

    // A CSR stored through A, then A restarted: nothing applied twice, nothing lost.
    QTemporaryDir identity;
    const ClientCsr csr = makeClientCsr(identity, KeyType::EcP256);
    {
        SeaCatClient client;
        QVERIFY(connectClient(client, a.waitListening(), a.caFile()));
        QCOMPARE(submit(client, csr.der), 0x01);
    }
    a.process.terminate();
    QVERIFY(a.waitFinished());
    QCOMPARE(a.process.exitCode(), 0);
    const QString error = launch(a);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT version FROM schema_version")).toInt(), 3);
    QVERIFY(admin(a, {"csr", "list"}).second.contains(csr.id.tag));
    // --check-config reads the database and writes nothing: OK at the version this binary knows.
    auto [checked, said] = checkConfig(a);
    QVERIFY2(checked == 0 && said.contains(": OK (") && !said.contains("warning"), qPrintable(said));

    // A schema newer than the binary knows is refused with the fix, never "migrated" down.
    a.process.terminate();
    QVERIFY(a.waitFinished());
    QVERIFY(scalar(QStringLiteral("UPDATE schema_version SET version = 99 RETURNING version")).isValid());
    a.launch(a.defaultArgs() + QStringList{"--store", m_postgres->url(m_database), "--admin-listen", "off"});
    QVERIFY(a.waitFinished());
    QCOMPARE(a.process.exitCode(), 1);
    QVERIFY2(a.err.contains("schema is version 99") && a.err.contains("upgrade the gateway"), a.err.constData());
    // Which --check-config says before the start fails (the unit's ExecStartPre).
    std::tie(checked, said) = checkConfig(a);
    QVERIFY2(checked == 2 && said.contains("has schema version 99, newer than this gateway knows (3)"),
             qPrintable(said));
    QCOMPARE(scalar(QStringLiteral("SELECT version FROM schema_version")).toInt(), 99); // nothing written
}

void TestArray::approvalThroughOneIsAcceptedByTheOther()
{
    GatewayProcess a, b;
    const QString error = launchPair(a, {"--approval", "auto"}, b, {});
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 portA = a.waitListening(), portB = b.waitListening();

    // Approved by A's policy; B serves the certificate at the next connection.
    QTemporaryDir identity;
    ClientCsr csr;
    QVERIFY(enrolAt(portA, a.caFile(), identity, &csr));
    QElapsedTimer sinceApproval;
    sinceApproval.start();
    {
        SeaCatClient client;
        QVERIFY(connectWithIdentity(client, portB, b.caFile(), identity));
        const ClientResponse r = fetch(client, "GET", QStringLiteral("http://app.seacat/headers"));
        QCOMPARE(r.status, 200); // anonymous would be 403 (combined mode)
        QVERIFY2(r.body.contains("X-SeaCat-Client-Id: " + csr.id.id.toLatin1()), r.body.constData());
    }
    qInfo("approved through A, served authenticated by B %lld ms later", sinceApproval.elapsed());
    QVERIFY(sinceApproval.elapsed() < 1'000);

    // Manual approval at B, given by the admin on A's host: the client polling B gets it.
    QTemporaryDir second;
    const ClientCsr manual = makeClientCsr(second, KeyType::EcP256);
    SeaCatClient polling;
    QVERIFY(connectClient(polling, portB, b.caFile()));
    QCOMPARE(submit(polling, manual.der), 0x01);
    QVERIFY(query(polling, manual.bits).der.isEmpty());
    const QString id = scalar(QStringLiteral("SELECT MAX(id) FROM csrs")).toString();
    const auto approved = admin(a, {"csr", "approve", id});
    QVERIFY2(approved.first == 0, qPrintable(approved.second));
    sinceApproval.restart();
    QByteArray der;
    while (der.isEmpty() && sinceApproval.elapsed() < 5'000)
        der = query(polling, manual.bits).der;
    qInfo("approved on A's CLI, the certificate answered by B %lld ms later", sinceApproval.elapsed());
    QCOMPARE(CertificateAuthority::clientOfCertificate(der).id, manual.id.id);
    QVERIFY(sinceApproval.elapsed() < 1'000);
}

void TestArray::revocationThroughOneClosesSessionsOnTheOther()
{
    GatewayProcess a, b;
    const QString error = launchPair(a, {"--approval", "auto"}, b, {});
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 portA = a.waitListening();

    QTemporaryDir identity;
    ClientCsr csr;
    QVERIFY(enrolAt(portA, a.caFile(), identity, &csr));
    SeaCatClient client;
    QVERIFY(connectWithIdentity(client, portA, a.caFile(), identity));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QDateTime closedAt;
    connect(&client, &SeaCatClient::disconnected, this, [&closedAt] { closedAt = QDateTime::currentDateTimeUtc(); });
    const QString serial = scalar(QStringLiteral("SELECT MAX(serial) FROM certificates")).toString();
    // The CLI runs while this thread watches the session: the time is the store's own record
    // of the revocation (taken just before its commit) to the moment the session closed.
    QProcess cli;
    cli.start(QStringLiteral(SEACAT_GATEWAY_BIN), {"--data-dir", b.dataDir.path(), "--store",
                                                   m_postgres->url(m_database), "pki", "cert", "revoke", serial});
    QVERIFY(QTest::qWaitFor([&] { return cli.state() == QProcess::NotRunning && closedAt.isValid(); }, 10'000));
    QCOMPARE(cli.exitCode(), 0);
    const QDateTime revokedAt = QDateTime::fromString(
        scalar(QStringLiteral("SELECT revoked FROM certificates WHERE serial = %1").arg(serial)).toString(),
        Qt::ISODateWithMs);
    const qint64 latency = revokedAt.msecsTo(closedAt);
    qInfo("revoked through B, the session on A closed %lld ms after the revocation was written", latency);
    QVERIFY(latency >= 0 && latency < 1'000);
    QTRY_VERIFY2(a.err.contains("revoked or expired"), a.err.constData()); // the line may trail the close
}

void TestArray::serialsAreUniqueAcrossGateways()
{
    GatewayProcess a, b;
    const QString error = launchPair(a, {"--approval", "auto"}, b, {"--approval", "auto"});
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // 2 × 15 CSRs sent at once, half to each gateway: every one approved, no serial twice.
    constexpr int PerGateway = 15;
    std::vector<std::unique_ptr<QTemporaryDir>> dirs;
    std::vector<std::unique_ptr<SeaCatClient>> clients;
    std::vector<ClientCsr> csrs;
    QList<int> replies;
    for (int i = 0; i < 2 * PerGateway; ++i) {
        GatewayProcess &gw = i % 2 ? b : a;
        dirs.push_back(std::make_unique<QTemporaryDir>());
        csrs.push_back(makeClientCsr(*dirs.back(), KeyType::EcP256));
        clients.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(connectClient(*clients.back(), gw.waitListening(), gw.caFile()));
        replies.append(-1);
        QObject::connect(clients.back().get(), &SeaCatClient::csrReply, this,
                         [&replies, i](quint8 flags) { replies[i] = flags; });
    }
    for (int i = 0; i < 2 * PerGateway; ++i)
        clients[i]->sendCsr(csrs[i].der);
    QVERIFY(QTest::qWaitFor([&] { return !replies.contains(-1); }, 20'000));
    QCOMPARE(replies, QList<int>(2 * PerGateway, 0x03));
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM certificates")).toInt(), 2 * PerGateway);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(DISTINCT serial) FROM certificates")).toInt(), 2 * PerGateway);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(DISTINCT client_id) FROM certificates")).toInt(), 2 * PerGateway);
    // Each certificate's own serial is the one stored for its key.
    for (int i = 0; i < 2 * PerGateway; ++i) {
        const QByteArray der = query(*clients[i], csrs[i].bits).der;
        QVERIFY(!der.isEmpty());
        const QSslCertificate cert(der, QSsl::Der);
        const qulonglong serial = cert.serialNumber().replace(':', "").toULongLong(nullptr, 16);
        QCOMPARE(scalar(QStringLiteral("SELECT client_id FROM certificates WHERE serial = %1").arg(serial)).toString(),
                 csrs[i].id.id);
    }
}

void TestArray::storeErrorMidCsrIsTemporary()
{
    GatewayProcess a;
    const QString error = launch(a);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 port = a.waitListening();

    // Another writer holds the store: the CSR waits unanswered (never 0x04) and is stored and
    // answered once the writer is done.
    QTemporaryDir first;
    const ClientCsr held = makeClientCsr(first, KeyType::EcP256);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, a.caFile()));
    int flags = -1;
    connect(&client, &SeaCatClient::csrReply, this, [&flags](quint8 f) { flags = f; });
    {
        QSqlDatabase db = m_postgres->connect(QStringLiteral("locker"), m_database);
        QSqlQuery lock(db);
        QVERIFY(lock.exec(QStringLiteral("BEGIN")));
        QVERIFY(lock.exec(QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(PostgresPkiStore::WriterLockKey)));
        client.sendCsr(held.der);
        QTest::qWait(1'500);
        QCOMPARE(flags, -1);
        QVERIFY(client.isConnected());
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("locker"));
    QVERIFY(QTest::qWaitFor([&] { return flags >= 0; }, 5'000));
    QCOMPARE(flags, 0x01);
    QVERIFY2(a.err.contains("deferred"), a.err.constData());

    // The database stopped: sessions stay, the CSR waits unanswered; started again, the
    // gateway reconnects on its own and answers.
    QTemporaryDir second;
    const ClientCsr outage = makeClientCsr(second, KeyType::EcP256);
    SeaCatClient other;
    QVERIFY(connectClient(other, port, a.caFile()));
    int otherFlags = -1;
    connect(&other, &SeaCatClient::csrReply, this, [&otherFlags](quint8 f) { otherFlags = f; });
    QVERIFY(m_postgres->stop());
    other.sendCsr(outage.der);
    QTest::qWait(1'500);
    QCOMPARE(otherFlags, -1);
    QVERIFY(other.isConnected() && client.isConnected());
    const QString resumed = m_postgres->resume();
    QVERIFY2(resumed.isEmpty(), qPrintable(resumed));
    QElapsedTimer back;
    back.start();
    QVERIFY(QTest::qWaitFor([&] { return otherFlags >= 0; }, 10'000));
    qInfo("database back: the deferred CSR answered %lld ms later", back.elapsed());
    QCOMPARE(otherFlags, 0x01);
    QVERIFY(admin(a, {"csr", "list"}).second.contains(outage.id.tag));
}

void TestArray::oneCaForTheArray()
{
    GatewayProcess a, b, other;
    QString error = launch(a);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString bundle = a.dataDir.filePath(QStringLiteral("ca-bundle.pem"));
    const auto exported = array(a, {"export-ca", bundle});
    QVERIFY2(exported.first == 0 && exported.second.contains("PRIVATE KEY") && exported.second.contains("shred"),
             qPrintable(exported.second));
    QCOMPARE(unixMode(bundle), 0600);
    QFile file(bundle);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(text.startsWith("# seacat-gateway CA bundle") && text.contains("-----BEGIN CERTIFICATE-----") &&
            text.contains("PRIVATE KEY-----"));
    const auto again = array(a, {"export-ca", bundle});
    QVERIFY2(again.first == 1 && again.second.contains("never overwritten"), qPrintable(again.second));

    // Into a data directory that does not exist yet: created 0700, the key 0600, then served.
    const QString dir = b.dataDir.filePath(QStringLiteral("gw-b"));
    const auto imported = array(dir, {"import-ca", bundle});
    QVERIFY2(imported.first == 0 && imported.second.contains("imported the CA"), qPrintable(imported.second));
    QCOMPARE(unixMode(dir), 0700);
    QCOMPARE(unixMode(dir + "/ca-key.pem"), 0600);
    const auto twice = array(dir, {"import-ca", bundle});
    QVERIFY2(twice.first == 0 && twice.second.contains("has this CA already"), qPrintable(twice.second));
    b.launch({"--headless", "--data-dir", dir, "--listen", "127.0.0.1", "--port", "0", "--name", "gw-b.test", "--store",
              m_postgres->url(m_database), "--admin-listen", "off"});
    const quint16 portB = b.waitListening();
    QVERIFY2(portB, b.err.constData());

    // One CA, two server certificates, each with its own name and key.
    const auto caA = QSslCertificate::fromPath(a.caFile()), caB = QSslCertificate::fromPath(dir + "/ca.pem");
    QVERIFY(!caA.isEmpty() && caA == caB);
    const auto serverA = QSslCertificate::fromPath(a.dataDir.filePath("server.pem")).value(0);
    const auto serverB = QSslCertificate::fromPath(dir + "/server.pem").value(0);
    QCOMPARE(serverA.subjectInfo(QSslCertificate::CommonName).value(0), QStringLiteral("gw.test"));
    QCOMPARE(serverB.subjectInfo(QSslCertificate::CommonName).value(0), QStringLiteral("gw-b.test"));
    QCOMPARE(serverB.issuerInfo(QSslCertificate::CommonName), caA.first().subjectInfo(QSslCertificate::CommonName));
    QVERIFY(serverA.publicKey() != serverB.publicKey());
    // A client that trusts A's ca.pem reaches B under B's name.
    SeaCatClient client;
    SeaCatClient::Options options;
    options.host = QStringLiteral("127.0.0.1");
    options.port = portB;
    options.caFile = a.caFile();
    options.gatewayName = QStringLiteral("gw-b.test");
    QVERIFY(client.connectToGateway(options).isEmpty());
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 10'000));

    // A gateway with a CA of its own keeps it; a bundle without its key is refused.
    error = launch(other);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const auto refused = array(other, {"import-ca", bundle});
    QVERIFY2(refused.first == 1 && refused.second.contains("another CA"), qPrintable(refused.second));
    QCOMPARE(QSslCertificate::fromPath(other.caFile()).value(0) == caA.first(), false);
    const QString certOnly = a.dataDir.filePath(QStringLiteral("cert-only.pem"));
    QVERIFY(QFile::copy(a.caFile(), certOnly));
    const auto noKey = array(b.dataDir.filePath(QStringLiteral("gw-c")), {"import-ca", certOnly});
    QVERIFY2(noKey.first == 1 && noKey.second.contains("not a CA bundle"), qPrintable(noKey.second));
}

void TestArray::killedGatewayLosesNoAcknowledgedCsr()
{
    // Every CSR_REPLY a client saw was committed to PostgreSQL first: kill -9 loses none.
    GatewayProcess a;
    const QString error = launch(a);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 port = a.waitListening();
    constexpr int Count = 100;
    std::vector<std::unique_ptr<SeaCatClient>> clients; // one key per connection (README "Enrolment")
    QStringList tags;
    int acknowledged = 0;
    for (int i = 0; i < Count; ++i) {
        QTemporaryDir dir;
        const ClientCsr csr = makeClientCsr(dir, KeyType::EcP256);
        clients.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(connectClient(*clients.back(), port, a.caFile()));
        if (submit(*clients.back(), csr.der) == 0x01) {
            ++acknowledged;
            tags << csr.id.tag;
        }
    }
    ::kill(pid_t(a.process.processId()), SIGKILL);
    QVERIFY(a.waitFinished());
    QCOMPARE(acknowledged, Count);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM csrs WHERE state = 'pending'")).toInt(), Count);
    const QString list = admin(a, {"csr", "list"}).second;
    for (const QString &tag : std::as_const(tags))
        QVERIFY2(list.contains(tag), qPrintable(tag));
}

void TestArray::killedDatabaseLosesNoAcknowledgedCsr()
{
    // kill -9 of PostgreSQL itself: what was acknowledged was committed, the WAL brings it back,
    // and the gateway reconnects on its own.
    GatewayProcess a;
    const QString error = launch(a);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 port = a.waitListening();
    constexpr int Count = 20;
    std::vector<std::unique_ptr<SeaCatClient>> clients;
    for (int i = 0; i < Count; ++i) {
        QTemporaryDir dir;
        clients.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(connectClient(*clients.back(), port, a.caFile()));
        QCOMPARE(submit(*clients.back(), makeClientCsr(dir, KeyType::EcP256).der), 0x01);
    }
    QVERIFY(m_postgres->kill());
    // Orphaned backends hold the shared memory a moment: the restart is tried until they are gone.
    QString resumed;
    QVERIFY(QTest::qWaitFor([&] { return (resumed = m_postgres->resume()).isEmpty(); }, 30'000));
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM csrs WHERE state = 'pending'")).toInt(), Count);
    // The gateway works on after its reconnect: one more CSR stored and answered.
    QTemporaryDir dir;
    SeaCatClient after;
    QVERIFY(connectClient(after, port, a.caFile()));
    int flags = -1;
    connect(&after, &SeaCatClient::csrReply, this, [&flags](quint8 f) { flags = f; });
    after.sendCsr(makeClientCsr(dir, KeyType::EcP256).der);
    QVERIFY(QTest::qWaitFor([&] { return flags >= 0; }, 10'000));
    QCOMPARE(flags, 0x01);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM csrs")).toInt(), Count + 1);
}

void TestArray::databaseOutageKeepsSessionsAndKnownClients()
{
    GatewayProcess a;
    const QString error = launch(a, {"--approval", "auto", "--admin-listen", "127.0.0.1:0"});
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 port = a.waitListening();
    const QString metricsUrl = QStringLiteral("http://%1/metrics").arg(a.adminEndpoint());
    const auto storeUp = [&metricsUrl] {
        QProcess curl;
        curl.start(QStringLiteral("curl"), {"-s", "--max-time", "5", metricsUrl});
        curl.waitForFinished(10'000);
        const QByteArray text = curl.readAllStandardOutput();
        const qsizetype at = text.indexOf("\nseacat_pki_store_up ");
        return at < 0 ? -1 : text.mid(at + 21, 1).toInt();
    };
    QCOMPARE(storeUp(), 1);
    QTemporaryDir connectedId, laterId, newId;
    ClientCsr connectedCsr, laterCsr;
    QVERIFY(enrolAt(port, a.caFile(), connectedId, &connectedCsr));
    QVERIFY(enrolAt(port, a.caFile(), laterId, &laterCsr));
    SeaCatClient connected;
    QVERIFY(connectWithIdentity(connected, port, a.caFile(), connectedId));
    QCOMPARE(fetch(connected, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QSignalSpy dropped(&connected, &SeaCatClient::disconnected);

    QVERIFY(m_postgres->stop());
    QElapsedTimer outage;
    outage.start();
    QVERIFY(QTest::qWaitFor([&] { return a.err.contains("certificate store does not answer"); }, 5'000));
    qInfo("outage noticed by the gateway %lld ms after the database stopped", outage.elapsed());
    QCOMPARE(storeUp(), 0);
    // --check-config warns and passes: a reload of this running gateway must not be refused.
    const auto [checked, said] = checkConfig(a);
    QVERIFY2(checked == 0 && said.contains("warning: cannot connect to the certificate store") &&
                 said.contains("a gateway cannot start until it answers"),
             qPrintable(said));
    // The established session goes on; a known client authenticates from memory (200, not the
    // 403 of an anonymous one); a new key's CSR waits unanswered, never 0x04.
    for (int i = 0; i < 5; ++i)
        QCOMPARE(fetch(connected, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    {
        SeaCatClient later;
        QVERIFY(connectWithIdentity(later, port, a.caFile(), laterId));
        QCOMPARE(fetch(later, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    }
    const ClientCsr fresh = makeClientCsr(newId, KeyType::EcP256);
    SeaCatClient enrolling;
    QVERIFY(connectClient(enrolling, port, a.caFile()));
    int flags = -1;
    connect(&enrolling, &SeaCatClient::csrReply, this, [&flags](quint8 f) { flags = f; });
    enrolling.sendCsr(fresh.der);
    QTest::qWait(1'500);
    QCOMPARE(flags, -1);

    // Back: the deferred CSR is processed, the outage is over in the log and /metrics.
    const QString resumed = m_postgres->resume();
    QVERIFY2(resumed.isEmpty(), qPrintable(resumed));
    QElapsedTimer back;
    back.start();
    QVERIFY(QTest::qWaitFor([&] { return flags >= 0; }, 10'000));
    qInfo("database back: the waiting CSR approved %lld ms later", back.elapsed());
    QCOMPARE(flags, 0x03);
    QVERIFY(QTest::qWaitFor([&] { return a.err.contains("certificate store answers again"); }, 5'000));
    QCOMPARE(storeUp(), 1);
    QCOMPARE(fetch(connected, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QVERIFY(dropped.isEmpty());
}

void TestArray::revocationMadeWhileCutOffAppliesOnReconnect()
{
    // Only A loses the database (its role may not log in, its connection is cut) while B goes on:
    // a revocation through B cannot reach A then, and applies the moment A is back.
    QVERIFY(execute(QStringLiteral("CREATE ROLE gw_a LOGIN SUPERUSER")));
    GatewayProcess a, b;
    QString error = launch(a, {"--approval", "auto", "--store", m_postgres->url(m_database, "gw_a")});
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString bundle = a.dataDir.filePath(QStringLiteral("ca-bundle.pem"));
    QCOMPARE(array(a, {"export-ca", bundle}).first, 0);
    QCOMPARE(array(b, {"import-ca", bundle}).first, 0);
    error = launch(b);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const quint16 portA = a.waitListening();
    QTemporaryDir identity;
    ClientCsr csr;
    QVERIFY(enrolAt(portA, a.caFile(), identity, &csr));
    SeaCatClient client;
    QVERIFY(connectWithIdentity(client, portA, a.caFile(), identity));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QDateTime closedAt;
    connect(&client, &SeaCatClient::disconnected, this, [&closedAt] { closedAt = QDateTime::currentDateTimeUtc(); });

    QVERIFY(execute(QStringLiteral("ALTER ROLE gw_a NOLOGIN")));
    QVERIFY(scalar(QStringLiteral("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = "
                                  "'gw_a'"))
                .toInt() >= 1);
    QVERIFY(QTest::qWaitFor([&] { return a.err.contains("certificate store does not answer"); }, 5'000));
    const QString serial = scalar(QStringLiteral("SELECT MAX(serial) FROM certificates")).toString();
    const auto revoked = admin(b, {"cert", "revoke", serial});
    QVERIFY2(revoked.first == 0, qPrintable(revoked.second));
    QTest::qWait(1'500); // A cannot know
    QVERIFY(!closedAt.isValid());
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);

    QVERIFY(execute(QStringLiteral("ALTER ROLE gw_a LOGIN")));
    const QDateTime back = QDateTime::currentDateTimeUtc();
    QVERIFY(QTest::qWaitFor([&] { return closedAt.isValid(); }, 10'000));
    qInfo("A back on the database: the session revoked meanwhile closed %lld ms later", back.msecsTo(closedAt));
    QVERIFY(back.msecsTo(closedAt) < 3'000);
}

void TestArray::srvZoneOfThreeGateways()
{
    // Each gateway registers its name, port, priority and weight at start; the zone lists them.
    const QString checkzone = QStandardPaths::findExecutable(QStringLiteral("named-checkzone"));
    GatewayProcess gateways[3];
    QStringList expected;
    for (int i = 0; i < 3; ++i) {
        const quint16 port = launchNamed(gateways[i], i + 1, i < 2 ? 10 : 20, 60 - 20 * i);
        QVERIFY2(port, gateways[i].err.constData());
        expected << QStringLiteral("_seacat._tcp.example.test. 300 IN SRV %1 %2 %3 gw%4.example.test.")
                        .arg(i < 2 ? 10 : 20)
                        .arg(60 - 20 * i)
                        .arg(port)
                        .arg(i + 1);
    }
    const QString zone = srvZone();
    for (const QString &record : std::as_const(expected))
        QVERIFY2(zone.contains(record + u'\n'), qPrintable(zone));
    QCOMPARE(zone.count(QStringLiteral(" IN SRV ")), 3);
    // The third taken out of the array for good: forgotten, the zone leaves it out; the name
    // a second time is refused, naming it.
    gateways[2].process.kill();
    QVERIFY(gateways[2].waitFinished());
    const auto array = [this](const QStringList &args) {
        QProcess cli;
        cli.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                  QStringList{"--store", m_postgres->url(m_database), "array"} + args);
        cli.waitForFinished(20'000);
        return std::pair{cli.exitCode(), cli.readAllStandardOutput() + cli.readAllStandardError()};
    };
    auto [code, said] = array({"forget", "gw3.example.test"});
    QVERIFY2(code == 0 && said.contains("gw3.example.test forgotten"), said.constData());
    const QString fewer = srvZone();
    QCOMPARE(fewer.count(QStringLiteral(" IN SRV ")), 2);
    QVERIFY2(!fewer.contains(QLatin1String("gw3.example.test")), qPrintable(fewer));
    std::tie(code, said) = array({"forget", "gw3.example.test"});
    QVERIFY2(code == 1 && said.contains("no gateway gw3.example.test is registered"), said.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM audit WHERE action = 'array-forget'")).toInt(), 1);
    QProcess bad;
    bad.start(QStringLiteral(SEACAT_GATEWAY_BIN),
              {"--store", m_postgres->url(m_database), "array", "srv-zone", "--domain", "not a domain"});
    QVERIFY(bad.waitForFinished(20'000));
    QCOMPARE(bad.exitCode(), 2);

    if (checkzone.isEmpty())
        QSKIP("named-checkzone is not installed: apt-get install bind9-utils (scripts/install-deps.sh does)");
    // Pasted into a zone as an admin would: named-checkzone accepts it.
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("example.test.zone")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 604800 300\n@ IN NS ns\n"
               "ns IN A 127.0.0.1\n" +
               zone.toUtf8());
    file.close();
    QProcess check;
    check.start(checkzone, {"example.test", file.fileName()});
    QVERIFY(check.waitForFinished(20'000));
    const QByteArray verdict = check.readAllStandardOutput() + check.readAllStandardError();
    QVERIFY2(check.exitCode() == 0 && verdict.contains("OK"), verdict.constData());
}

void TestArray::discoverReachesTheFirstLiveGateway()
{
    // A local DNS server (dnsmasq on a loopback address, nothing forwarded) serves the zone that
    // `array srv-zone` printed; seacat-client --discover reaches the first live gateway in
    // priority order and fails over as they stop.
    const QString dnsmasq = QStandardPaths::findExecutable(QStringLiteral("dnsmasq"), {"/usr/sbin", "/usr/bin"});
    if (dnsmasq.isEmpty())
        QSKIP("dnsmasq is not installed: apt-get install dnsmasq-base (scripts/install-deps.sh does)");
    if (::geteuid() != 0)
        QSKIP("dnsmasq must bind port 53 (QDnsLookup asks no other port): run as root, as CI does");
    GatewayProcess gateways[3];
    quint16 ports[3];
    const QString bundle = gateways[0].dataDir.filePath(QStringLiteral("ca-bundle.pem"));
    for (int i = 0; i < 3; ++i) {
        // The first creates the CA, the others import it before their first start.
        if (i == 1)
            QCOMPARE(array(gateways[0], {"export-ca", bundle}).first, 0);
        if (i > 0)
            QCOMPARE(array(gateways[i], {"import-ca", bundle}).first, 0);
        ports[i] = launchNamed(gateways[i], i + 1, 10 * (i + 1), 100);
        QVERIFY2(ports[i], gateways[i].err.constData());
    }
    QStringList args = {"-k",         "-C",          "/dev/null",         "--no-resolv",
                        "--no-hosts", "--no-poll",   "--bind-interfaces", "--listen-address=127.53.0.1",
                        "--port=53",  "--pid-file=", "--log-facility=-"};
    static const QRegularExpression record(
        QStringLiteral("^(_seacat\\._tcp\\.example\\.test)\\. 300 IN SRV (\\d+) (\\d+) (\\d+) (\\S+)\\.$"),
        QRegularExpression::MultilineOption);
    for (auto it = record.globalMatch(srvZone()); it.hasNext();) {
        const auto m = it.next();
        args << QStringLiteral("--srv-host=%1,%2,%3,%4,%5")
                    .arg(m.captured(1), m.captured(5), m.captured(4), m.captured(2), m.captured(3))
             << QStringLiteral("--host-record=%1,127.0.0.1").arg(m.captured(5));
    }
    QCOMPARE(args.filter(QStringLiteral("--srv-host=")).size(), 3);
    // Ahead of them all, a gateway that takes connections and never answers (a hung process, a
    // full backlog): no error ever comes from it, so --connect-timeout moves on.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    silent.pauseAccepting();
    args << QStringLiteral("--srv-host=_seacat._tcp.example.test,silent.example.test,%1,1,100").arg(silent.serverPort())
         << QStringLiteral("--host-record=silent.example.test,127.0.0.1");
    QProcess dns;
    dns.setProcessChannelMode(QProcess::MergedChannels);
    dns.start(dnsmasq, args);
    QByteArray dnsLog;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     dnsLog += dns.readAll();
                     return dnsLog.contains("started") || dns.state() == QProcess::NotRunning;
                 },
                 10'000) &&
                 dns.state() == QProcess::Running,
             dnsLog.constData());
    const auto ping = [&] {
        QProcess client;
        client.start(QStringLiteral(SEACAT_CLIENT_BIN),
                     {"--discover", "example.test", "--dns-server", "127.53.0.1", "--ca", gateways[0].caFile(),
                      "--timeout", "10", "--connect-timeout", "1", "ping"});
        client.waitForFinished(30'000);
        return std::make_pair(client.exitCode(),
                              QString::fromUtf8(client.readAllStandardOutput() + client.readAllStandardError()));
    };
    for (int i = 0; i < 3; ++i) {
        const auto [code, output] = ping();
        QVERIFY2(code == 0 && output.contains(QStringLiteral("from gw%1.example.test:%2").arg(i + 1).arg(ports[i])),
                 qPrintable(output));
        QVERIFY2(output.contains(QStringLiteral("silent.example.test:%1: no TLS connection within 1 s; trying the next "
                                                "gateway")
                                     .arg(silent.serverPort())),
                 qPrintable(output));
        QCOMPARE(output.count(QStringLiteral("trying the next gateway")), i + 1);
        gateways[i].process.terminate(); // the next round finds the next one
        QVERIFY(gateways[i].waitFinished());
    }
    const auto [code, output] = ping();
    QVERIFY2(code == 1 && output.contains("trying the next gateway"), qPrintable(output));
    dns.terminate();
    dns.waitForFinished(5'000);
}

QTEST_GUILESS_MAIN(TestArray)
#include "tst_array.moc"
