// TlsListener and TlsHandshaker on loopback with real TLS clients of the stock profile: what
// the accepted sockets look like once the handshaker hands them out.
#include "common/testclient.h"
#include "common/socketoptions.h"
#include "tls/tlsprofile.h"
#include "intake/tlshandshaker.h"
#include "intake/tlslistener.h"
#include "pki/gatewayidentity.h"

#include <QSignalSpy>
#include <QSslSocket>
#include <QtNetwork/private/qsslsocket_p.h>
#include <QTemporaryDir>
#include <QTest>

using namespace SeaCat;

// A listener on a free loopback port feeding one handshaker, as each engine worker is fed;
// every socket the handshaker hands out lands in `accepted`.
struct Intake {
    TlsHandshaker handshaker;
    TlsListener listener;
    QList<QSslSocket *> accepted;

    explicit Intake(const QSslConfiguration &tls)
        : handshaker(tls, {16, 5'000, 10'000}),
          listener([this](qintptr descriptor) { handshaker.adopt(descriptor); }, 0)
    {
        QObject::connect(&handshaker, &TlsHandshaker::connectionReady, &handshaker, [this](QSslSocket *socket) {
            socket->setParent(nullptr);
            accepted << socket;
        });
    }
    ~Intake() { qDeleteAll(accepted); }
};

class tst_TlsListener : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void acceptedSocketsHaveNoDelay();
    void acceptedSocketsShareOneTlsContext();

private:
    QTemporaryDir m_dataDir;
    QSslConfiguration m_tls;
};

void tst_TlsListener::initTestCase()
{
    QVERIFY(m_dataDir.isValid());
    QString error;
    const auto identity = GatewayIdentity::loadOrCreate(m_dataDir.path(), QStringLiteral("gw.test"), &error);
    QVERIFY2(identity, qPrintable(error));
    m_tls = TlsProfile::server(*identity);
}

// Nagle on a session socket made the second of two answers wait for the client's delayed ACK
// (issue 10: 228 req/s at 1 session × 10 streams). Every accepted socket must carry TCP_NODELAY.
void tst_TlsListener::acceptedSocketsHaveNoDelay()
{
    Intake intake(m_tls);
    QVERIFY(intake.listener.listen(QHostAddress::LocalHost, 0));
    const QList<QSslSocket *> &accepted = intake.accepted;
    constexpr int Clients = 3;
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TestClient>(m_dataDir.filePath(QStringLiteral("ca.pem"))));
        QVERIFY(clients.back()->connectTo(intake.listener.serverPort()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(accepted.size(), Clients, 10'000);
    for (QSslSocket *socket : std::as_const(accepted)) {
        QVERIFY(socket);
        QVERIFY(socket->isEncrypted());
        QCOMPARE(socket->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
        QCOMPARE(tcpNoDelay(socket->socketDescriptor()), 1);
    }
}

// Qt 6.4 builds a new SSL_CTX (key, certificate, cipher list, store) for every socket unless
// one is handed in: after the first handshake, every socket must run on the same context, and
// still work both ways.
void tst_TlsListener::acceptedSocketsShareOneTlsContext()
{
    Intake intake(m_tls);
    QVERIFY(intake.listener.listen(QHostAddress::LocalHost, 0));
    const QList<QSslSocket *> &accepted = intake.accepted;
    QVERIFY(!intake.handshaker.sharesTlsContext());
    std::vector<std::unique_ptr<TestClient>> clients;
    constexpr int Clients = 4;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TestClient>(m_dataDir.filePath(QStringLiteral("ca.pem"))));
        QVERIFY(clients.back()->connectTo(intake.listener.serverPort())); // verifies the server: CA and CN
        QTRY_COMPARE_WITH_TIMEOUT(accepted.size(), i + 1, 10'000);
        QVERIFY(intake.handshaker.sharesTlsContext());
    }
    const std::shared_ptr<QSslContext> context = QSslSocketPrivate::sslContext(accepted.first());
    QVERIFY(context);
    for (int i = 0; i < Clients; ++i) {
        QSslSocket *server = accepted.at(i);
        QCOMPARE(QSslSocketPrivate::sslContext(server).get(), context.get());
        QCOMPARE(server->sessionCipher().name(), QStringLiteral("ECDHE-RSA-AES256-SHA384"));
        // Bytes flow both ways on every connection.
        const QByteArray hello = "from client " + QByteArray::number(i);
        clients[size_t(i)]->socket.write(hello);
        QTRY_COMPARE_WITH_TIMEOUT(server->bytesAvailable(), qint64(hello.size()), 10'000);
        QCOMPARE(server->readAll(), hello);
        server->write(serialize(Ping{quint32(2 * i + 2)}));
        QVERIFY(clients[size_t(i)]->waitForEvents(1));
        QCOMPARE(clients[size_t(i)]->received.events.last(), QStringLiteral("PING id=%1").arg(2 * i + 2));
    }
}

QTEST_GUILESS_MAIN(tst_TlsListener)
#include "tst_tlslistener.moc"
