// Enrolment over the SeaCat framing, approval, rejection, revocation and the store, with the
// engine on loopback and real clients; the admin CLI against the running gateway binary.
#include "client/enrolment.h"
#include "common/clienthelpers.h"
#include "common/gatewayfixture.h"
#include "common/gatewayprocess.h"
#include "common/hex.h"
#include "common/testbackend.h"
#include "common/testclient.h"
#include "pki/certificateauthority.h"
#include "pki/clientidentity.h"
#include "pki/sqlitepkistore.h"
#include "pki/gatewayidentity.h"

#include <QRegularExpression>

#include <openssl/x509.h>

#include <csignal>

using namespace SeaCat;

namespace {

struct ClientCsr {
    KeyPtr key;
    QByteArray der;
    QByteArray bits;
    ClientKeyId id;
};

ClientCsr makeClientCsr(QTemporaryDir &dir, KeyType type = KeyType::Rsa2048, int version = 0,
                  const char *digest = "SHA256")
{
    QString error;
    ClientCsr csr;
    csr.key = Enrolment::loadOrCreateKey(dir.path(), type, &error);
    csr.der = Enrolment::makeCsr(csr.key.get(), QString(), &error, version, digest);
    csr.bits = publicKeyBits(csr.key.get());
    csr.id = clientKeyIdFromKeyBytes(csr.bits);
    return csr;
}

// One enrolment exchange on an anonymous connection; returns the CSR_REPLY flags (-1: none).
int submit(SeaCatClient &client, const QByteArray &der)
{
    int flags = -1;
    auto c = QObject::connect(&client, &SeaCatClient::csrReply, &client, [&flags](quint8 f) { flags = f; });
    client.sendCsr(der);
    (void)QTest::qWaitFor([&] { return flags >= 0; }, 10'000);
    QObject::disconnect(c);
    return flags;
}

struct CertAnswer {
    bool answered = false;
    bool notFound = false;
    QByteArray der;
};

CertAnswer query(SeaCatClient &client, const QByteArray &bits)
{
    CertAnswer answer;
    auto c = QObject::connect(&client, &SeaCatClient::certificateAnswer, &client, [&answer](quint16, bool notFound, const QByteArray &der) {
        answer = {true, notFound, der};
    });
    client.queryCertificate(bits);
    (void)QTest::qWaitFor([&] { return answer.answered; }, 10'000);
    QObject::disconnect(c);
    return answer;
}

bool connectWithIdentity(SeaCatClient &client, quint16 port, const QString &caFile, const QTemporaryDir &identity)
{
    SeaCatClient::Options options;
    options.host = QStringLiteral("127.0.0.1");
    options.port = port;
    options.caFile = caFile;
    options.gatewayName = QStringLiteral("gw.test");
    options.certFile = identity.filePath(Enrolment::CertFile);
    options.keyFile = identity.filePath(Enrolment::KeyFile);
    return client.connectToGateway(options).isEmpty() && QTest::qWaitFor([&] { return client.isConnected(); }, 10'000);
}

} // namespace

class TestPki : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void clientIdIsTheSameEverywhere();
    void anonymousOnboardingWithAutoApprove();
    void manualApprovalWhileClientPolls();
    void rejection();
    void revocationClosesLiveSessions();
    void foreignCaCertificateIsAnonymous();
    void csrVersion1WithSha1();
    void malformedCsrs();
    void certQueryForUnknownKeyIsPending();
    void restartKeepsCertificatesAndPendingCsrs();
    void adminCliWhileGatewayRuns();
    void killDuringEnrolmentLosesNothingAcknowledged();
    void corruptStoreIsAClearError();

private:
    quint16 start(bool autoApprove, GatewayFixture &gw, GatewayMode mode = GatewayMode::Combined);
    std::unique_ptr<TestBackend> m_backend;
};

void TestPki::init()
{
    m_backend = std::make_unique<TestBackend>();
    QVERIFY(m_backend->listen());
}

quint16 TestPki::start(bool autoApprove, GatewayFixture &gw, GatewayMode mode)
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.autoApprove = autoApprove;
    config.mode = mode;
    config.addHost(QStringLiteral("app"), m_backend->url());
    return gw.start(config);
}

void TestPki::clientIdIsTheSameEverywhere()
{
    for (auto type : {KeyType::Rsa2048, KeyType::EcP256}) {
        QTemporaryDir dir, caDir;
        ClientCsr csr = makeClientCsr(dir, type);
        QString error;
        const auto details = CertificateAuthority::inspectCsr(csr.der, &error);
        QVERIFY2(details, qPrintable(error));
        QVERIFY(GatewayIdentity::loadOrCreate(caDir.path(), QStringLiteral("gw.test"), &error));
        const auto ca = CertificateAuthority::load(caDir.path(), &error);
        QVERIFY(ca);
        const auto cert = ca->issue(*details, 7, 365, &error);
        QVERIFY(cert);
        // README "Identity": the same ID from the CSR, the certificate and the CERT_QUERY key bytes.
        QCOMPARE(details->client.id, csr.id.id);
        QCOMPARE(CertificateAuthority::clientOfCertificate(cert->der).id, csr.id.id);
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{96}$")).match(csr.id.id).hasMatch());
        QVERIFY(QRegularExpression(QStringLiteral("^\\[[A-Z2-7]{16}\\]$")).match(csr.id.tag).hasMatch());
        if (type == KeyType::Rsa2048) {
            // §6.4: for RSA the bytes are the PKCS#1 RSAPublicKey, i.e. i2d_PublicKey's output.
            unsigned char *pkcs1 = nullptr;
            const int n = i2d_PublicKey(csr.key.get(), &pkcs1);
            QCOMPARE(QByteArray(reinterpret_cast<char *>(pkcs1), n), csr.bits);
            OPENSSL_free(pkcs1);
        } else {
            QCOMPARE(csr.bits.size(), 65); // 04 ‖ X ‖ Y
            QCOMPARE(int(quint8(csr.bits[0])), 4);
        }
    }
}

void TestPki::anonymousOnboardingWithAutoApprove()
{
    GatewayFixture gw;
    const quint16 port = start(true, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity);
    SeaCatClient anonymous;
    QVERIFY(connectClient(anonymous, port, gw.caFile()));
    QCOMPARE(fetch(anonymous, "GET", QStringLiteral("http://app.seacat/headers")).status, 403); // combined mode
    QCOMPARE(submit(anonymous, csr.der), 0x03);                     // stored + approved
    const CertAnswer answer = query(anonymous, csr.bits);
    QVERIFY(answer.answered && !answer.notFound && !answer.der.isEmpty());
    QCOMPARE(Enrolment::saveCertificate(identity.path(), answer.der), QString());

    // §6.6: the client reconnects presenting the certificate; now it is served, with its identity.
    SeaCatClient authenticated;
    QVERIFY(connectWithIdentity(authenticated, port, gw.caFile(), identity));
    const ClientResponse r = fetch(authenticated, "GET", QStringLiteral("http://app.seacat/headers"));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains("X-SeaCat-Client-Id: " + csr.id.id.toLatin1() + "\r\n"), r.body.constData());
    QVERIFY(r.body.contains("X-SeaCat-Client-Tag: " + csr.id.tag.toLatin1() + "\r\n"));
    // An authenticated CERT_QUERY (no key) is answered from the TLS certificate.
    QCOMPARE(query(authenticated, {}).der, answer.der);
}

void TestPki::manualApprovalWhileClientPolls()
{
    GatewayFixture gw;
    QSignalSpy received(gw.controller.get(), &GatewayController::csrReceived);
    QSignalSpy issued(gw.controller.get(), &GatewayController::certificateIssued);
    const quint16 port = start(false, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    QCOMPARE(submit(client, csr.der), 0x01); // stored, waiting
    QVERIFY(received.wait(5'000) || received.size() == 1);
    const CsrInfo info = received.at(0).at(0).value<CsrInfo>();
    QCOMPARE(info.clientTag, csr.id.tag);
    QCOMPARE(info.keyType, QStringLiteral("RSA 2048"));
    for (int poll = 0; poll < 3; ++poll) { // the client polls: "pending", never 0x80
        const CertAnswer pending = query(client, csr.bits);
        QVERIFY(pending.answered && !pending.notFound && pending.der.isEmpty());
    }
    gw.controller->approveCsr(info.id);
    QVERIFY(issued.wait(5'000));
    const CertAnswer answer = query(client, csr.bits);
    QVERIFY(!answer.der.isEmpty());
    QCOMPARE(CertificateAuthority::clientOfCertificate(answer.der).id, csr.id.id);
    QCOMPARE(issued.at(0).at(0).value<CertificateInfo>().clientId, csr.id.id);
}

void TestPki::rejection()
{
    GatewayFixture gw;
    QSignalSpy received(gw.controller.get(), &GatewayController::csrReceived);
    QSignalSpy changed(gw.controller.get(), &GatewayController::pkiChanged);
    const quint16 port = start(false, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    QCOMPARE(submit(client, csr.der), 0x01);
    QVERIFY(received.wait(5'000) || received.size() == 1);
    gw.controller->rejectCsr(received.at(0).at(0).value<CsrInfo>().id);
    QVERIFY(changed.wait(5'000));
    const CertAnswer answer = query(client, csr.bits);
    QVERIFY(answer.notFound);                   // §3.8: 0x80, the client goes fatal
    QCOMPARE(submit(client, csr.der), 0x04);    // a re-submitted CSR is rejected
}

void TestPki::revocationClosesLiveSessions()
{
    GatewayFixture gw;
    QSignalSpy opened(gw.controller.get(), &GatewayController::sessionOpened);
    const quint16 port = start(true, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity);
    SeaCatClient anonymous;
    QVERIFY(connectClient(anonymous, port, gw.caFile()));
    QCOMPARE(submit(anonymous, csr.der), 0x03);
    QCOMPARE(Enrolment::saveCertificate(identity.path(), query(anonymous, csr.bits).der), QString());

    SeaCatClient authenticated;
    QVERIFY(connectWithIdentity(authenticated, port, gw.caFile(), identity));
    QVERIFY(QTest::qWaitFor([&] { return opened.size() == 2; }, 5'000));
    const SessionInfo info = opened.at(1).at(0).value<SessionInfo>();
    QCOMPARE(info.clientId, csr.id.id);
    QVERIFY(info.certificateSerial > 0);
    QSignalSpy disconnected(&authenticated, &SeaCatClient::disconnected);
    gw.controller->revokeCertificate(info.certificateSerial);
    QVERIFY(disconnected.wait(5'000)); // closed at once
    QCOMPARE(anonymous.isConnected(), true);

    // A revoked certificate counts as none: the connection is anonymous, requests get 403.
    SeaCatClient again;
    QVERIFY(connectWithIdentity(again, port, gw.caFile(), identity));
    QCOMPARE(fetch(again, "GET", QStringLiteral("http://app.seacat/hello")).status, 403);
    QVERIFY(query(again, csr.bits).notFound);
    QCOMPARE(submit(again, csr.der), 0x04); // and the key cannot enrol again
}

void TestPki::foreignCaCertificateIsAnonymous()
{
    GatewayFixture gw;
    QSignalSpy opened(gw.controller.get(), &GatewayController::sessionOpened);
    const quint16 port = start(true, gw);
    // A certificate from another gateway's CA, for a fresh key.
    QTemporaryDir otherCa, identity;
    QString error;
    QVERIFY(GatewayIdentity::loadOrCreate(otherCa.path(), QStringLiteral("other"), &error));
    const auto ca = CertificateAuthority::load(otherCa.path(), &error);
    ClientCsr csr = makeClientCsr(identity);
    const auto cert = ca->issue(*CertificateAuthority::inspectCsr(csr.der, &error), 1, 30, &error);
    QVERIFY(cert);
    QCOMPARE(Enrolment::saveCertificate(identity.path(), cert->der), QString());
    SeaCatClient client;
    QVERIFY(connectWithIdentity(client, port, gw.caFile(), identity));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 403);
    QVERIFY(opened.size() >= 1);
    QVERIFY(opened.last().at(0).value<SessionInfo>().clientId.isEmpty());
    QVERIFY(QTest::qWaitFor([&] { return !gw.log.filter("not accepted").isEmpty(); }, 5'000));
}

void TestPki::csrVersion1WithSha1()
{
    GatewayFixture gw;
    const quint16 port = start(true, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity, KeyType::Rsa2048, 1, "SHA1"); // what the C-Core sends (§6.5)
    QString error;
    const auto details = CertificateAuthority::inspectCsr(csr.der, &error);
    QVERIFY2(details, qPrintable(error));
    QCOMPARE(details->version, 1);
    QCOMPARE(details->signatureDigest, QStringLiteral("SHA1"));
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    QCOMPARE(submit(client, csr.der), 0x03);
    QVERIFY(!query(client, csr.bits).der.isEmpty());
}

void TestPki::malformedCsrs()
{
    GatewayFixture gw;
    const quint16 port = start(true, gw);
    QTemporaryDir identity, weakDir;
    ClientCsr good = makeClientCsr(identity);
    QByteArray tampered = good.der;
    tampered[tampered.size() - 10] = char(tampered[tampered.size() - 10] ^ 0x55); // inside the signature
    KeyPtr weak(EVP_RSA_gen(1024));
    QString error;
    const QByteArray weakCsr = Enrolment::makeCsr(weak.get(), QString(), &error);
    const QList<QByteArray> bad{hex("30 82 00 00"), good.der.left(good.der.size() / 2), good.der + "x", tampered, weakCsr,
                                QByteArray(600, '\xFF')};
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    for (const QByteArray &der : bad)
        QCOMPARE(submit(client, der), 0x04);
    QVERIFY(!gw.log.filter("signature does not verify").isEmpty());
    QVERIFY(!gw.log.filter("too small").isEmpty());
    QCOMPARE(submit(client, good.der), 0x03); // the session is fine
}

void TestPki::certQueryForUnknownKeyIsPending()
{
    GatewayFixture gw;
    const quint16 port = start(false, gw);
    QTemporaryDir identity;
    ClientCsr csr = makeClientCsr(identity);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    const CertAnswer answer = query(client, csr.bits);
    QVERIFY(answer.answered);
    QVERIFY(!answer.notFound); // README "CERT_QUERY": never 0x80 for a key with no CSR
    QVERIFY(answer.der.isEmpty());
}

void TestPki::restartKeepsCertificatesAndPendingCsrs()
{
    QTemporaryDir data, idA, idB;
    ClientCsr a = makeClientCsr(idA), b = makeClientCsr(idB);
    QByteArray issuedDer;
    {
        GatewayFixture gw;
        GatewayConfig config = GatewayFixture::defaultConfig();
        config.dataDir = data.path();
        QSignalSpy received(gw.controller.get(), &GatewayController::csrReceived);
        QSignalSpy issued(gw.controller.get(), &GatewayController::certificateIssued);
        const quint16 port = gw.start(config);
        SeaCatClient client;
        QVERIFY(connectClient(client, port, data.filePath("ca.pem")));
        QCOMPARE(submit(client, a.der), 0x01);
        QCOMPARE(submit(client, b.der), 0x01);
        QVERIFY(QTest::qWaitFor([&] { return received.size() == 2; }, 5'000));
        gw.controller->approveCsr(received.at(0).at(0).value<CsrInfo>().id);
        QVERIFY(issued.wait(5'000));
        issuedDer = query(client, a.bits).der;
        QVERIFY(!issuedDer.isEmpty());
    } // the gateway stops
    GatewayFixture gw;
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.dataDir = data.path();
    QSignalSpy snapshot(gw.controller.get(), &GatewayController::pkiSnapshot);
    const quint16 port = gw.start(config);
    gw.controller->requestPkiSnapshot();
    QVERIFY(snapshot.wait(5'000));
    const auto csrs = snapshot.at(0).at(0).value<QList<CsrInfo>>();
    const auto certs = snapshot.at(0).at(1).value<QList<CertificateInfo>>();
    QCOMPARE(csrs.size(), 2);
    QVERIFY(csrs.at(1).state == CsrInfo::State::Pending);
    QCOMPARE(certs.size(), 1);
    QCOMPARE(certs.at(0).der, issuedDer);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, data.filePath("ca.pem")));
    QCOMPARE(query(client, a.bits).der, issuedDer);
    QVERIFY(query(client, b.bits).der.isEmpty());
}

void TestPki::adminCliWhileGatewayRuns()
{
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--backend", "app=" + m_backend->url()});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    auto admin = [&](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(SEACAT_GATEWAY_BIN), QStringList{"--data-dir", gw.dataDir.path(), "pki"} + args);
        p.waitForFinished(20'000);
        return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
    };
    // seacat-client enroll polls every 0.3 s while the admin approves from the CLI.
    QTemporaryDir identity;
    QProcess enroll;
    enroll.start(QStringLiteral(SEACAT_CLIENT_BIN), {"--gateway", QStringLiteral("127.0.0.1:%1").arg(port), "--ca", gw.caFile(),
                                                     "--name", "gw.test", "enroll", "--identity", identity.path(),
                                                     "--poll-interval", "0.3", "--subject", "CN=device-7,O=Example"});
    QVERIFY(QTest::qWaitFor([&] { return admin({"csr", "list"}).second.contains("pending"); }, 10'000));
    const auto list = admin({"csr", "list"});
    QVERIFY2(list.second.contains("O=Example,CN=device-7") && list.second.contains("RSA 2048"), qPrintable(list.second));
    const auto approved = admin({"csr", "approve", "1"});
    QVERIFY2(approved.first == 0 && approved.second.contains("certificate serial 1"), qPrintable(approved.second));
    QVERIFY(enroll.waitForFinished(10'000)); // the running gateway saw the approval
    QCOMPARE(enroll.exitCode(), 0);
    QVERIFY(QFile::exists(identity.filePath("cert.pem")));
    QCOMPARE(QFileInfo(identity.filePath("key.pem")).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup), QFileDevice::Permissions());

    // Authenticated request, then a CLI revocation closes the live session within a second.
    SeaCatClient client;
    QVERIFY(connectWithIdentity(client, port, gw.caFile(), identity));
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QSignalSpy disconnected(&client, &SeaCatClient::disconnected);
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(admin({"cert", "revoke", "1"}).first, 0);
    QVERIFY(disconnected.wait(5'000));
    qInfo("CLI revocation closed the session after %lld ms", timer.elapsed());
    QVERIFY(timer.elapsed() < 3'000);
    QVERIFY(admin({"cert", "list"}).second.contains("revoked"));
    QVERIFY(admin({"cert", "export", "1"}).second.startsWith("-----BEGIN CERTIFICATE-----"));
    QVERIFY(admin({"ca", "export"}).second.startsWith("-----BEGIN CERTIFICATE-----"));
    QCOMPARE(admin({"csr", "approve", "99"}).first, 1);
    QCOMPARE(admin({"csr", "bogus"}).first, 2);
}

void TestPki::killDuringEnrolmentLosesNothingAcknowledged()
{
    // Every CSR_REPLY the client saw stands after kill -9 (WAL, synchronous=FULL).
    GatewayProcess gw;
    gw.launch(gw.defaultArgs());
    const quint16 port = gw.waitListening();
    QVERIFY(port);
    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    QList<QTemporaryDir *> dirs;
    int acknowledged = 0;
    for (int i = 0; i < 5; ++i) {
        dirs << new QTemporaryDir;
        if (submit(client, makeClientCsr(*dirs.last()).der) == 0x01)
            ++acknowledged;
    }
    ::kill(pid_t(gw.process.processId()), SIGKILL);
    QVERIFY(gw.waitFinished());
    qDeleteAll(dirs);
    QProcess list;
    list.start(QStringLiteral(SEACAT_GATEWAY_BIN), {"--data-dir", gw.dataDir.path(), "pki", "csr", "list"});
    QVERIFY(list.waitForFinished(20'000));
    QCOMPARE(acknowledged, 5);
    QCOMPARE(QString::fromUtf8(list.readAllStandardOutput()).count(QStringLiteral("pending")), acknowledged);
}

void TestPki::corruptStoreIsAClearError()
{
    GatewayProcess gw;
    QFile store(gw.dataDir.filePath(SqlitePkiStore::FileName));
    QVERIFY(store.open(QIODevice::WriteOnly));
    store.write(QByteArray(8192, 'x'));
    store.close();
    gw.launch(gw.defaultArgs());
    QVERIFY(gw.waitFinished());
    QCOMPARE(gw.process.exitCode(), 1);
    QVERIFY2(gw.err.contains("corrupt or not a SQLite database") && gw.err.contains("move it away"), gw.err.constData());
}

QTEST_GUILESS_MAIN(TestPki)
#include "tst_pki.moc"
