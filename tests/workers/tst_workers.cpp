// Several engine threads (README "--workers") seen as one gateway: real TLS clients on
// loopback against the engine with two workers, its sessions listed in the GUI's session model
// fed by the controller's signals, as the admin window wires them.
#include "client/enrolment.h"
#include "codec/framewriter.h"
#include "common/gatewayfixture.h"
#include "common/testclient.h"
#include "gatewayconfig.h"
#include "pki/certificatebuilder.h"
#include "sessiontablemodel.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <map>

using namespace SeaCat;

class TestWorkers : public QObject
{
    Q_OBJECT

private slots:
    void oneGatewayOverTwoWorkers();
    void stopAndStartAgain();
    void workersOption_data();
    void workersOption();
    void checkConfigReportsWorkers();
};

namespace {

// The admin window's wiring of the session model (gui/mainwindow.cpp).
struct ModelFixture : GatewayFixture {
    SessionTableModel model;
    ModelFixture()
    {
        QObject::connect(controller.get(), &GatewayController::sessionOpened, &model, &SessionTableModel::addSession);
        QObject::connect(controller.get(), &GatewayController::sessionClosed, &model,
                         &SessionTableModel::removeSession);
        QObject::connect(controller.get(), &GatewayController::sessionsUpdated, &model,
                         &SessionTableModel::updateSessions);
    }

    // Waits until the model lists `count` sessions; returns them by the client's local port.
    std::map<quint16, SessionInfo> waitForRows(int count)
    {
        std::map<quint16, SessionInfo> rows;
        (void)QTest::qWaitFor(
            [&] {
                model.flush();
                return model.rowCount() == count;
            },
            10'000);
        for (int row = 0; row < model.rowCount(); ++row)
            rows[model.session(row).peerPort] = model.session(row);
        return rows;
    }
};

GatewayConfig twoWorkers()
{
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.workers = 2;
    config.autoApprove = true;
    return config;
}

QByteArray freshEcCsr()
{
    QString error;
    KeyPtr key = generateKey(KeyType::EcP256);
    return Enrolment::makeCsr(key.get(), QString(), &error);
}

} // namespace

// Sessions spread over both workers and are all listed; stats sum over the workers; CSRs are
// answered on both; a port change keeps every session; Disconnect reaches either worker.
void TestWorkers::oneGatewayOverTwoWorkers()
{
    ModelFixture gw;
    QSignalSpy stats(gw.controller.get(), &GatewayController::statsUpdated);
    QSignalSpy issued(gw.controller.get(), &GatewayController::certificateIssued);
    const quint16 port = gw.start(twoWorkers());
    QVERIFY(port);
    constexpr int Clients = 6;
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TestClient>(gw.caFile()));
        QVERIFY(clients.back()->connectTo(port));
    }
    std::map<quint16, SessionInfo> rows = gw.waitForRows(Clients);
    QCOMPARE(int(rows.size()), Clients);
    // Round-robin: one connection after the other alternates the workers exactly.
    int perWorker[2] = {};
    std::map<int, TestClient *> clientOnWorker;
    for (const auto &client : clients) {
        QVERIFY(rows.count(client->socket.localPort()));
        const int worker = rows.at(client->socket.localPort()).worker;
        QVERIFY2(worker == 0 || worker == 1, qPrintable(QString::number(worker)));
        ++perWorker[worker];
        clientOnWorker[worker] = client.get();
    }
    QCOMPARE(perWorker[0], Clients / 2);
    QCOMPARE(perWorker[1], Clients / 2);
    for (int i = 0; i < Clients; ++i)
        QVERIFY(clients[size_t(i)]->pingRoundTrip(quint32(2 * i + 1)));
    QTRY_VERIFY_WITH_TIMEOUT(!stats.isEmpty() && stats.last().at(0).value<GatewayStats>().sessionsNow == Clients,
                             5'000);
    QCOMPARE(stats.last().at(0).value<GatewayStats>().sessionsTotal, quint64(Clients));

    // Enrolment from a session on each worker: the one PKI owner answers both (auto approval).
    for (int worker : {0, 1}) {
        TestClient *client = clientOnWorker.at(worker);
        const int before = int(client->received.events.size());
        client->send(serialize(Csr{0x01, freshEcCsr()}));
        QVERIFY(client->waitForEvents(before + 1));
        QCOMPARE(client->received.events.at(before), QStringLiteral("CSR_REPLY flags=3"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(issued.size(), 2, 5'000);

    // A port change re-binds the one listener; every session on every worker stays.
    QSignalSpy portChanged(gw.controller.get(), &GatewayController::portChanged);
    gw.controller->setPort(0);
    QVERIFY(portChanged.wait(5'000));
    const quint16 newPort = gw.controller->port();
    QVERIFY(newPort != port);
    for (int i = 0; i < Clients; ++i)
        QVERIFY(clients[size_t(i)]->pingRoundTrip(quint32(2 * i + 101)));
    for (int i = 0; i < 2; ++i) {
        clients.push_back(std::make_unique<TestClient>(gw.caFile()));
        QVERIFY(clients.back()->connectTo(newPort));
    }
    rows = gw.waitForRows(Clients + 2);
    QCOMPARE(int(rows.size()), Clients + 2);
    QCOMPARE(rows.at(clients[Clients]->socket.localPort()).worker +
                 rows.at(clients[Clients + 1]->socket.localPort()).worker,
             1);

    // Disconnect from the admin side reaches the worker serving the session, whichever it is.
    for (int worker : {0, 1}) {
        TestClient *client = clientOnWorker.at(worker);
        gw.controller->disconnectSession(rows.at(client->socket.localPort()).id);
        QVERIFY(client->waitForDisconnected(5'000));
    }
    rows = gw.waitForRows(Clients);
    QCOMPARE(int(rows.size()), Clients);
    for (const auto &client : clients)
        if (client->socket.state() == QAbstractSocket::ConnectedState)
            QVERIFY(client->pingRoundTrip(999));
}

// Stop ends every session on every worker and their threads; Start serves again.
void TestWorkers::stopAndStartAgain()
{
    ModelFixture gw;
    const quint16 port = gw.start(twoWorkers());
    QVERIFY(port);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<TestClient>(gw.caFile()));
        QVERIFY(clients.back()->connectTo(port));
    }
    QCOMPARE(int(gw.waitForRows(4).size()), 4);
    QSignalSpy stopped(gw.controller.get(), &GatewayController::stopped);
    gw.controller->stop();
    for (const auto &client : clients) {
        QVERIFY(client->waitForDisconnected(5'000));
        QCOMPARE(client->socket.error(), QAbstractSocket::RemoteHostClosedError); // close_notify
    }
    QVERIFY(stopped.wait(5'000) || stopped.size() == 1);
    QCOMPARE(int(gw.waitForRows(0).size()), 0);

    const quint16 again = gw.start(twoWorkers());
    QVERIFY(again);
    for (int i = 0; i < 2; ++i) {
        TestClient client(gw.caFile());
        QVERIFY(client.connectTo(again));
        QVERIFY(client.pingRoundTrip(1));
    }
}

void TestWorkers::workersOption_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<int>("workers"); // 0: refused
    QTest::newRow("one") << "1" << 1;
    QTest::newRow("four") << "4" << 4;
    QTest::newRow("zero") << "0" << 0;
    QTest::newRow("too many") << "65" << 0;
    QTest::newRow("not a number") << "two" << 0;
}

void TestWorkers::workersOption()
{
    QFETCH(QString, value);
    QFETCH(int, workers);
    GatewayConfig config;
    QVERIFY(config.workers >= 1); // the default: the number of cores
    const QString error = config.set(QStringLiteral("workers"), value);
    if (workers == 0) {
        QVERIFY2(error.contains(u"workers") && error.contains(u"1 to 64"), qPrintable(error));
    } else {
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(config.workers, workers);
    }
}

// --check-config reads workers= from [gateway] and --workers, and reports bad values.
void TestWorkers::checkConfigReportsWorkers()
{
    QTemporaryDir dir;
    const QString ini = dir.filePath(QStringLiteral("gw.ini"));
    QFile file(ini);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[gateway]\nport=8443\nworkers=3\ndata-dir=" + dir.filePath(QStringLiteral("data")).toUtf8() + "\n");
    file.close();
    QProcess check;
    check.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                {QStringLiteral("--check-config"), QStringLiteral("--config"), ini});
    QVERIFY(check.waitForFinished(20'000));
    QCOMPARE(check.exitCode(), 0);
    QVERIFY2(check.readAllStandardOutput().contains("3 worker(s)"), qPrintable(check.readAllStandardError()));
    check.start(QStringLiteral(SEACAT_GATEWAY_BIN), {QStringLiteral("--check-config"), QStringLiteral("--config"), ini,
                                                     QStringLiteral("--workers"), QStringLiteral("0")});
    QVERIFY(check.waitForFinished(20'000));
    QCOMPARE(check.exitCode(), 2);
    const QByteArray err = check.readAllStandardError();
    QVERIFY2(err.contains("--workers: bad value '0' for workers"), err.constData());
}

QTEST_GUILESS_MAIN(TestWorkers)
#include "tst_workers.moc"
