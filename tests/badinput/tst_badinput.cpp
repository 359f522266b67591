// Bad input never crashes, hangs or grows memory: the gateway process stays up, its memory
// stays bounded, and other sessions keep working.
#include "common/gatewayprocess.h"
#include "common/hex.h"
#include "common/testclient.h"

#include <QRandomGenerator>
#include <QTcpSocket>

class TestBadInput : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void truncatedFrames();
    void hugeLengthClaims();
    void garbage();
    void clientNeverFinishesHandshake();
    void plaintextClient();
    void clientThatStopsReading();

private:
    // Every test ends by checking that a fresh client is served.
    void verifyStillServing();

    GatewayProcess m_gw;
    quint16 m_port = 0;
};

void TestBadInput::initTestCase()
{
    const QString ini = m_gw.dataDir.filePath("gateway.ini");
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[limits]\nhandshake-timeout=1\n");
    file.close();
    m_gw.launch(m_gw.defaultArgs() + QStringList{"--config", ini});
    m_port = m_gw.waitListening();
    QVERIFY2(m_port, m_gw.err.constData());
}

void TestBadInput::cleanupTestCase()
{
    QCOMPARE(m_gw.process.state(), QProcess::Running);
}

void TestBadInput::verifyStillServing()
{
    QCOMPARE(m_gw.process.state(), QProcess::Running);
    TestClient client(m_gw.caFile());
    QVERIFY(client.connectTo(m_port));
    QVERIFY(client.pingRoundTrip(1));
}

void TestBadInput::truncatedFrames()
{
    for (const QByteArray &bytes : {hex("80 03 00"), hex("80 03 00 06 00 00 00 04 00 00"),
                                    hex("80 A1 00 01 01 00 00 64") + QByteArray(50, 'x')}) {
        TestClient client(m_gw.caFile());
        QVERIFY(client.connectTo(m_port));
        client.send(bytes);
        QTest::qWait(100);
        client.socket.disconnectFromHost(); // gone mid-frame
        QVERIFY(client.waitForDisconnected());
    }
    verifyStillServing();
}

void TestBadInput::hugeLengthClaims()
{
    const qint64 before = m_gw.rssKiB();
    for (int i = 0; i < 20; ++i) {
        TestClient client(m_gw.caFile());
        QVERIFY(client.connectTo(m_port));
        client.send(i % 2 ? hex("80 A1 00 01 00 FF FF FF 00 00 00 01") : hex("00 00 00 01 00 FF FF FF"));
        client.send(QByteArray(64 * 1024, 'A'));
        QVERIFY(client.waitForDisconnected()); // closed with close_notify, nothing buffered
        QCOMPARE(client.socket.error(), QAbstractSocket::RemoteHostClosedError);
    }
    const qint64 growth = m_gw.rssKiB() - before;
    QVERIFY2(growth < 16 * 1024 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(growth)));
    verifyStillServing();
}

void TestBadInput::garbage()
{
    const quint32 seed = QRandomGenerator::global()->generate();
    QRandomGenerator random(seed);
    for (int round = 0; round < 20; ++round) {
        QByteArray bytes(int(random.bounded(1, 64 * 1024)), Qt::Uninitialized);
        random.fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        if (round % 2)
            bytes[0] = char(0x80); // half of the rounds reach the frame parser
        TestClient client(m_gw.caFile());
        QVERIFY(client.connectTo(m_port));
        client.send(bytes);
        client.send(hex("80 03 00 06 00 00 00 04 00 00 00 01"));
        QTest::qWait(50);
    }
    QVERIFY2(m_gw.process.state() == QProcess::Running, qPrintable(QStringLiteral("seed %1").arg(seed)));
    verifyStillServing();
}

void TestBadInput::clientNeverFinishesHandshake()
{
    // A TCP client that never starts TLS, and one that stops after a partial ClientHello.
    QTcpSocket silent, partial;
    silent.connectToHost(QHostAddress::LocalHost, m_port);
    partial.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(silent.waitForConnected(5'000) && partial.waitForConnected(5'000));
    partial.write(hex("16 03 01 02 00 01 00 01 fc 03 03"));
    verifyStillServing(); // served while those two hang
    // handshake-timeout=1: both are dropped after about a second.
    QVERIFY(QTest::qWaitFor(
        [&] {
            return silent.state() == QAbstractSocket::UnconnectedState &&
                   partial.state() == QAbstractSocket::UnconnectedState;
        },
        10'000));
}

void TestBadInput::plaintextClient()
{
    QTcpSocket plain;
    plain.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(plain.waitForConnected(5'000));
    QByteArray answer;
    connect(&plain, &QTcpSocket::readyRead, &plain, [&] { answer += plain.readAll(); });
    plain.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(QTest::qWaitFor([&] { return plain.state() == QAbstractSocket::UnconnectedState; }, 10'000));
    QVERIFY2(answer.startsWith("HTTP/1.1 400 Bad Request\r\n") && answer.endsWith("this port speaks TLS.\r\n"),
             answer.constData());
    verifyStillServing();
}

void TestBadInput::clientThatStopsReading()
{
    // A client floods PINGs and never reads the echoes. The gateway must stop reading from it
    // (its echoes would otherwise pile up in memory) and keep serving everyone else.
    TestClient flooder(m_gw.caFile());
    flooder.socket.setReadBufferSize(4096); // Qt stops reading once this much is unread
    QVERIFY(flooder.connectTo(m_port));
    flooder.socket.disconnect(&flooder.socket, &QSslSocket::readyRead, nullptr, nullptr); // never read
    QByteArray pings;
    for (quint32 id = 1; id < 2 * 4096; id += 2)
        pings += SeaCat::serialize(SeaCat::Ping{id}); // 48 KiB per write
    const qint64 before = m_gw.rssKiB();
    qint64 written = 0;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 5'000 && written < 256LL * 1024 * 1024) {
        if (flooder.socket.bytesToWrite() + flooder.socket.encryptedBytesToWrite() < 8 * 1024 * 1024) {
            flooder.socket.write(pings);
            written += pings.size();
        }
        QTest::qWait(5);
    }
    const qint64 stuck = flooder.socket.bytesToWrite() + flooder.socket.encryptedBytesToWrite();
    const qint64 growth = m_gw.rssKiB() - before;
    qInfo("flooder wrote %lld MiB, %lld KiB still unsent; gateway RSS grew by %lld KiB", written >> 20, stuck >> 10,
          growth);
    QVERIFY2(stuck > 4 * 1024 * 1024, "the gateway kept reading from a client that does not read");
    QVERIFY2(growth < 32 * 1024 || !GatewayProcess::rssIsMeaningful(),
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(growth)));
    verifyStillServing();
}

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
