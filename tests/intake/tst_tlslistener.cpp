// TlsListener on loopback with real TLS clients of the stock profile: what the accepted
// sockets look like once the listener hands them out.
#include "common/testclient.h"
#include "gatewayengine.h"
#include "intake/tlslistener.h"
#include "tls/gatewayidentity.h"

#include <QSignalSpy>
#include <QSslSocket>
#include <QTemporaryDir>
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
} // namespace

class tst_TlsListener : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void acceptedSocketsHaveNoDelay();

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
    m_tls = GatewayEngine::tlsConfiguration(*identity);
}

// Nagle on a session socket made the second of two answers wait for the client's delayed ACK
// (issue 10: 228 req/s at 1 session × 10 streams). Every accepted socket must carry TCP_NODELAY.
void tst_TlsListener::acceptedSocketsHaveNoDelay()
{
    TlsListener listener(m_tls, {16, 5'000, 10'000});
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    QList<QSslSocket *> accepted;
    connect(&listener, &TlsListener::pendingConnectionAvailable, this, [&] {
        while (listener.hasPendingConnections())
            accepted << qobject_cast<QSslSocket *>(listener.nextPendingConnection());
    });
    constexpr int Clients = 3;
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TestClient>(m_dataDir.filePath(QStringLiteral("ca.pem"))));
        QVERIFY(clients.back()->connectTo(listener.serverPort()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(accepted.size(), Clients, 10'000);
    for (QSslSocket *socket : std::as_const(accepted)) {
        QVERIFY(socket);
        QVERIFY(socket->isEncrypted());
        QCOMPARE(socket->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
        QCOMPARE(tcpNoDelay(socket->socketDescriptor()), 1);
    }
    qDeleteAll(accepted);
}

QTEST_GUILESS_MAIN(tst_TlsListener)
#include "tst_tlslistener.moc"
