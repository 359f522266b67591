// The real widgets against a real engine on loopback (QT_QPA_PLATFORM=offscreen).
// With SEACAT_SCREENSHOT_DIR set, screenshots() also renders every view with data.
#include "certificatesview.h"
#include "codec/framewriter.h"
#include "client/enrolment.h"
#include "common/clienthelpers.h"
#include "common/gatewayfixture.h"
#include "common/testclient.h"
#include "logview.h"
#include "mainwindow.h"
#include "pki/clientidentity.h"
#include "sessionsview.h"
#include "sessiontablemodel.h"
#include "settingsview.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QTranslator>

using namespace SeaCat;

namespace {

struct Gui {
    GatewayFixture gw;
    QTemporaryDir settings;
    std::unique_ptr<MainWindow> window;
    quint16 port = 0;

    explicit Gui(GatewayConfig config = GatewayFixture::defaultConfig())
    {
        config.dataDir = gw.dataDir.path();
        window = std::make_unique<MainWindow>(gw.controller.get(), config, settings.filePath("gateway.ini"));
        window->show();
        port = gw.start(config);
        window->certificatesView()->confirm = [](const QString &) { return true; };
    }
};

int rows(QAbstractItemModel *model)
{
    return model->rowCount();
}

} // namespace

class TestGui : public QObject
{
    Q_OBJECT

private slots:
    void sessionAppearsAndLeaves();
    void disconnectFromTheView();
    void csrApprovedFromTheView();
    void portChangeKeepsSessions();
    void busyPortShowsErrorAndOldPortServes();
    void reservedPortNeedsConfirmation();
    void modelStaysCheapWithThousandsOfSessions();
    void translationsAreComplete();
    void screenshots();
};

void TestGui::sessionAppearsAndLeaves()
{
    Gui gui;
    QVERIFY(gui.port);
    QVERIFY(QTest::qWaitForWindowExposed(gui.window.get()));
    SessionTableModel *model = gui.window->sessionModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto client = std::make_unique<TestClient>(gui.gw.caFile());
    QVERIFY(client->connectTo(gui.port));
    QVERIFY(client->pingRoundTrip(1));
    QVERIFY(QTest::qWaitFor([&] { return rows(model) == 1; }, 5'000));
    const SessionInfo info = model->session(0);
    QCOMPARE(info.peerPort, client->socket.localPort());
    QCOMPARE(model->index(0, SessionTableModel::Client).data().toString(), QStringLiteral("anonymous"));
    QVERIFY(model->index(0, SessionTableModel::Tls).data().toString().contains("ECDHE-RSA-AES256-SHA384"));
    QVERIFY(QTest::qWaitFor([&] { return model->session(0).pingsReceived == 1; }, 5'000)); // batched updates arrive
    // The detail data: telemetry entries and the recent streams.
    client->send(serialize(TelemetryCapabilities{3, QByteArray("osv\x1f" "14\0hwm\x1fPixel\0\0", 16)}));
    client->send(serialize(SynStream{1, true, 1, "app", "GET", "/x", {}}));
    QVERIFY(QTest::qWaitFor([&] { return model->session(0).recentStreams.size() == 2; }, 5'000));
    QCOMPARE(model->session(0).telemetry, (QStringList{"osv=14", "hwm=Pixel"}));
    QCOMPARE(model->session(0).recentStreams, (QStringList{"1 GET app/x", "1 → 403"}));
    QVERIFY(gui.window->listeningLabel()->text().contains(QString::number(gui.port)));
    client.reset();
    QVERIFY(QTest::qWaitFor([&] { return rows(model) == 0; }, 5'000));
}

void TestGui::disconnectFromTheView()
{
    Gui gui;
    TestClient client(gui.gw.caFile());
    QVERIFY(client.connectTo(gui.port));
    QVERIFY(client.pingRoundTrip(1));
    SessionsView *view = gui.window->sessionsView();
    QVERIFY(QTest::qWaitFor([&] { return view->table()->model()->rowCount() == 1; }, 5'000));
    view->filter()->setText(QStringLiteral("no such session"));
    QCOMPARE(view->table()->model()->rowCount(), 0);
    view->filter()->clear();
    view->table()->selectRow(0);
    QVERIFY(view->disconnectButton()->isEnabled());
    QTest::mouseClick(view->disconnectButton(), Qt::LeftButton);
    QVERIFY(client.waitForDisconnected(5'000));
}

void TestGui::csrApprovedFromTheView()
{
    Gui gui; // approval is manual by default
    QTemporaryDir identity;
    QString error;
    KeyPtr key = Enrolment::loadOrCreateKey(identity.path(), KeyType::Rsa2048, &error);
    const QByteArray csr = Enrolment::makeCsr(key.get(), QStringLiteral("CN=phone-1"), &error);
    SeaCatClient client;
    QVERIFY(connectClient(client, gui.port, gui.gw.caFile()));
    client.sendCsr(csr);
    CertificatesView *view = gui.window->certificatesView();
    QVERIFY(QTest::qWaitFor([&] { return view->csrTable()->rowCount() == 1; }, 5'000));
    QCOMPARE(view->csrTable()->item(0, 2)->text(), clientKeyIdFromKeyBytes(publicKeyBits(key.get())).tag);
    QCOMPARE(view->csrTable()->item(0, 4)->text(), QStringLiteral("CN=phone-1"));
    view->csrTable()->selectRow(0);
    QTest::mouseClick(view->approveButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return view->certificateTable()->rowCount() == 1; }, 5'000));
    QCOMPARE(view->csrTable()->rowCount(), 0);
    QByteArray der;
    QObject::connect(&client, &SeaCatClient::certificateAnswer, &client, [&der](quint16, bool, const QByteArray &d) { der = d; });
    client.queryCertificate(publicKeyBits(key.get()));
    QVERIFY(QTest::qWaitFor([&] { return !der.isEmpty(); }, 5'000)); // the client gets its certificate
    // Revoke from the view too.
    view->certificateTable()->selectRow(0);
    QTest::mouseClick(view->revokeButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return view->certificateTable()->item(0, 1)->text() == QStringLiteral("revoked"); }, 5'000));
}

void TestGui::portChangeKeepsSessions()
{
    Gui gui;
    TestClient old(gui.gw.caFile());
    QVERIFY(old.connectTo(gui.port));
    QTcpServer probe; // a free port to move to
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 next = probe.serverPort();
    probe.close();
    SettingsView *settings = gui.window->settingsView();
    settings->addressEdit()->setText(QStringLiteral("127.0.0.1"));
    settings->portBox()->setValue(next);
    QTest::mouseClick(settings->applyPortButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return gui.window->listeningLabel()->text().contains(QString::number(next)); }, 5'000));
    QVERIFY2(settings->portStatus()->text().contains(QString::number(next)), qPrintable(settings->portStatus()->text()));
    QVERIFY(old.pingRoundTrip(1));           // the open session is kept
    TestClient fresh(gui.gw.caFile());
    QVERIFY(fresh.connectTo(next));          // new clients reach the new port
}

void TestGui::busyPortShowsErrorAndOldPortServes()
{
    Gui gui;
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost));
    SettingsView *settings = gui.window->settingsView();
    settings->addressEdit()->setText(QStringLiteral("127.0.0.1"));
    settings->portBox()->setValue(squatter.serverPort());
    QTest::mouseClick(settings->applyPortButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return settings->portStatus()->text().contains("in use"); }, 5'000));
    QVERIFY(settings->portStatus()->text().contains(QString::number(gui.port))); // "still serving on …"
    TestClient client(gui.gw.caFile());
    QVERIFY(client.connectTo(gui.port));
}

void TestGui::reservedPortNeedsConfirmation()
{
    Gui gui;
    SettingsView *settings = gui.window->settingsView();
    settings->portBox()->setValue(80);
    QVERIFY(!settings->applyPortButton()->isEnabled());
    QVERIFY(settings->reservedConfirmation()->isVisibleTo(settings));
    QVERIFY(settings->findChildren<QLabel *>().size() > 0);
    bool mentions67 = false;
    for (QLabel *label : settings->findChildren<QLabel *>())
        mentions67 = mentions67 || label->text().contains("67 %");
    QVERIFY(mentions67);
    settings->reservedConfirmation()->setChecked(true);
    QVERIFY(settings->applyPortButton()->isEnabled());
    settings->portBox()->setValue(443);
    QVERIFY(!settings->reservedConfirmation()->isVisibleTo(settings));
}

void TestGui::modelStaysCheapWithThousandsOfSessions()
{
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    int resets = 0, inserts = 0;
    connect(&model, &QAbstractItemModel::modelReset, this, [&] { ++resets; });
    connect(&model, &QAbstractItemModel::rowsInserted, this, [&] { ++inserts; });
    QElapsedTimer timer;
    timer.start();
    for (quint64 id = 1; id <= 5'000; ++id) {
        SessionInfo info;
        info.id = id;
        info.peerAddress = QStringLiteral("10.0.%1.%2").arg(id / 256).arg(id % 256);
        model.addSession(info);
    }
    QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 5'000; }, 5'000));
    for (quint64 id = 1; id <= 4'000; ++id)
        model.removeSession(id);
    QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 1'000; }, 5'000));
    qInfo("5000 sessions in, 4000 out: %d resets, %d row inserts, %lld ms", resets, inserts, timer.elapsed());
    QVERIFY(resets <= 4);      // batched, not one signal per session
    QCOMPARE(inserts, 0);
    QSet<quint64> left;
    for (int row = 0; row < model.rowCount(); ++row)
        left.insert(model.session(row).id);
    QCOMPARE(left.size(), 1'000);
    QVERIFY(left.contains(4'001) && left.contains(5'000) && !left.contains(4'000));
}

void TestGui::translationsAreComplete()
{
    for (const char *lang : {"cs", "de"}) {
        QFile ts(QStringLiteral(SEACAT_SOURCE_DIR "/translations/seacat_%1.ts").arg(QLatin1String(lang)));
        QVERIFY(ts.open(QIODevice::ReadOnly));
        const QByteArray text = ts.readAll();
        QVERIFY2(!text.contains("type=\"unfinished\""), lang);
        QTranslator translator;
        QVERIFY(translator.load(QLocale(QLatin1String(lang)), QStringLiteral("seacat"), QStringLiteral("_"), QStringLiteral(":/i18n")));
        QVERIFY(!translator.translate("SessionTableModel", "Peer").isEmpty());
    }
}

void TestGui::screenshots()
{
    const QString dir = qEnvironmentVariable("SEACAT_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set SEACAT_SCREENSHOT_DIR (scripts/screenshots.sh does)");
    QDir().mkpath(dir);
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.name = QStringLiteral("gateway.example.com");
    config.addHost(QStringLiteral("app"), QStringLiteral("http://127.0.0.1:8080/"));
    config.addHost(QStringLiteral("shop"), QStringLiteral("https://shop.internal/api/"));
    Gui gui(config);
    gui.window->resize(1100, 700);
    // Data: a few sessions, pending and issued certificates, log lines.
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<TestClient>(gui.gw.caFile(), QStringLiteral("gateway.example.com")));
        QVERIFY(clients.back()->connectTo(gui.port));
        QVERIFY(clients.back()->pingRoundTrip(1));
        static const char blob[] = "osv\x1f" "14\0hwm\x1fPixel 8\0plv\x1f" "2.1\0";
        clients.back()->send(serialize(TelemetryCapabilities{1, QByteArray(blob, sizeof blob)}));
        for (quint32 id = 1; id <= 2 * quint32(i + 2); id += 2)
            clients.back()->send(serialize(SynStream{id, true, 1, "app", "GET", "/catalog?page=" + QByteArray::number(id), {}}));
    }
    std::vector<std::unique_ptr<QTemporaryDir>> ids;
    std::vector<std::unique_ptr<SeaCatClient>> enrolling; // one key per connection (README "Enrolment")
    SeaCatClient::Options options{QStringLiteral("127.0.0.1"), gui.port, gui.gw.caFile(), QStringLiteral("gateway.example.com"), {}, {}};
    QString error;
    for (const QString &subject : {QStringLiteral("CN=phone-17,O=Example"), QString(), QStringLiteral("CN=tablet-3,O=Example")}) {
        ids.push_back(std::make_unique<QTemporaryDir>());
        KeyPtr key = Enrolment::loadOrCreateKey(ids.back()->path(), subject.isEmpty() ? KeyType::EcP256 : KeyType::Rsa2048, &error);
        enrolling.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(enrolling.back()->connectToGateway(options).isEmpty());
        QVERIFY(QTest::qWaitFor([&] { return enrolling.back()->isConnected(); }, 5'000));
        enrolling.back()->sendCsr(Enrolment::makeCsr(key.get(), subject, &error));
    }
    CertificatesView *certs = gui.window->certificatesView();
    QVERIFY(QTest::qWaitFor([&] { return certs->csrTable()->rowCount() == 3; }, 5'000));
    certs->csrTable()->selectRow(0);
    QTest::mouseClick(certs->approveButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return certs->certificateTable()->rowCount() == 1; }, 5'000));
    QTest::qWait(1'500); // chart samples and batched session updates
    QTableView *table = gui.window->sessionsView()->table();
    for (int row = 0; row < table->model()->rowCount(); ++row) // a session with requests and telemetry
        if (table->model()->index(row, SessionTableModel::Requests).data().toInt() > 2) {
            table->selectRow(row);
            break;
        }

    const QStringList names{QStringLiteral("sessions"), QStringLiteral("certificates"), QStringLiteral("settings"), QStringLiteral("log")};
    for (int tab = 0; tab < names.size(); ++tab) {
        gui.window->tabs()->setCurrentIndex(tab);
        QTest::qWait(100);
        QVERIFY(gui.window->grab().save(QDir(dir).filePath(names[tab] + QStringLiteral(".png"))));
    }
    // One in Czech: a window built with the translator installed.
    QTranslator czech;
    QVERIFY(czech.load(QLocale(QStringLiteral("cs")), QStringLiteral("seacat"), QStringLiteral("_"), QStringLiteral(":/i18n")));
    QCoreApplication::installTranslator(&czech);
    QLocale::setDefault(QLocale(QStringLiteral("cs")));
    MainWindow cs(gui.gw.controller.get(), config, gui.settings.filePath("gateway.ini"));
    cs.resize(1100, 700);
    cs.show();
    cs.tabs()->setCurrentIndex(1);
    QTest::qWait(1'200);
    QVERIFY(cs.grab().save(QDir(dir).filePath(QStringLiteral("certificates-cs.png"))));
    QCoreApplication::removeTranslator(&czech);
    QLocale::setDefault(QLocale::c());
}

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
