// The admin window attached to a remote gateway (README "Administering a server gateway from a
// workstation"): the real headless binary with a real SeaCat session, the window fed over its
// admin API (REST and the event stream), a port change from the settings view, the gateway
// killed and started again on the same admin port.
#include "admin/adminjson.h"
#include "certificatesview.h"
#include "client/enrolment.h"
#include "common/clienthelpers.h"
#include "common/gatewayprocess.h"
#include "common/testclient.h"
#include "connectdialog.h"
#include "logview.h"
#include "mainwindow.h"
#include "pki/clientidentity.h"
#include "sessionsview.h"
#include "sessiontablemodel.h"
#include "settingsview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace SeaCat;

namespace {

// The window's event loop turns within `ms`: nothing waits on the network in it.
bool responsive(int ms)
{
    bool ran = false;
    QTimer::singleShot(0, [&ran] { ran = true; });
    return QTest::qWaitFor([&ran] { return ran; }, ms);
}

// Any JSON document of the admin API at `path` (below /api/v1/), {} when no answer came.
QJsonObject apiGet(const QString &admin, const QString &path)
{
    QNetworkAccessManager manager;
    std::unique_ptr<QNetworkReply> reply(
        manager.get(QNetworkRequest(QUrl(QStringLiteral("http://%1/api/v1/%2").arg(admin, path)))));
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, 10'000))
        return {};
    return QJsonDocument::fromJson(reply->readAll()).object();
}

// GET /api/v1/status of the admin listener at `admin` (ADDR:PORT), {} when no answer came.
QJsonObject status(const QString &admin)
{
    QNetworkAccessManager manager;
    std::unique_ptr<QNetworkReply> reply(
        manager.get(QNetworkRequest(QUrl(QStringLiteral("http://%1/api/v1/status").arg(admin)))));
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, 10'000))
        return {};
    return QJsonDocument::fromJson(reply->readAll()).object();
}

} // namespace

class TestGuiAttach : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void jsonReadsWhatItWrites();
    void windowFollowsARemoteGateway();
    void refusesWhatIsNoAdminApi();
    void attachesOverMutualTls();
    void adminActionsFromAnAttachedWindow();
    void attachOnTheCommandLine();

private:
    QTemporaryDir m_config;
};

void TestGuiAttach::initTestCase()
{
    // The recent gateways go to a QSettings of this run: not the user's, and not the one of the
    // other entry of this test running at the same time (Qt's test mode shares ~/.qttest).
    QVERIFY(m_config.isValid());
    qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("seacat-test"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_guiattach"));
}

void TestGuiAttach::jsonReadsWhatItWrites()
{
    SessionInfo s;
    s.id = 42;
    s.peerAddress = QStringLiteral("2001:db8::1");
    s.peerPort = 50'123;
    s.clientId = QStringLiteral("c1");
    s.clientTag = QStringLiteral("[c1]");
    s.requests = 7;
    s.bytesIn = 1'000;
    s.openStreams = 2;
    s.since = QDateTime::currentDateTimeUtc().addSecs(-60);
    const SessionInfo back = sessionFromJson(sessionToJson(s, SessionDetail::Summary));
    QCOMPARE(back.id, s.id);
    QCOMPARE(back.peerAddress, s.peerAddress);
    QCOMPARE(back.peerPort, s.peerPort);
    QCOMPARE(back.clientTag, s.clientTag);
    QCOMPARE(back.requests, s.requests);
    QCOMPARE(back.bytesIn, s.bytesIn);
    QCOMPARE(back.openStreams, s.openStreams);
    QCOMPARE(back.since.toMSecsSinceEpoch(), s.since.toMSecsSinceEpoch());
    GatewayStats stats;
    stats.sessionsNow = 3;
    stats.requests = 99;
    stats.responsesByClass[2] = 98;
    stats.responsesByClass[5] = 1;
    const GatewayStats statsBack = statsFromJson(statsToJson(stats));
    QCOMPARE(statsBack.sessionsNow, 3);
    QCOMPARE(statsBack.requests, quint64(99));
    QCOMPARE(statsBack.responsesByClass[2], quint64(98));
    QCOMPARE(statsBack.responsesByClass[5], quint64(1));
    // Hostile or foreign JSON reads as empty, never fails.
    const SessionInfo junk = sessionFromJson(QJsonObject{{"id", -5}, {"peer", 3}, {"requests", "many"}});
    QCOMPARE(junk.id, quint64(0));
    QCOMPARE(junk.requests, quint64(0));
    QVERIFY(junk.peerAddress.isEmpty());
}

void TestGuiAttach::windowFollowsARemoteGateway()
{
    GatewayProcess gw;
    const QStringList args = gw.defaultArgs() + QStringList{"--mode", "anonymous", "--workers", "2"};
    gw.launch(args + QStringList{"--admin-listen", "0"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    QVERIFY2(!admin.isEmpty(), gw.err.constData());
    auto client = openSession(port, gw.caFile());
    QVERIFY(client);

    QString error;
    const QUrl url(QStringLiteral("http://") + admin);
    QPointer<MainWindow> window = ConnectDialog::openWindow(url, {}, &error);
    QVERIFY2(window, qPrintable(error));
    window->show();
    // No engine here: nothing to start or stop, and the window names the gateway it shows.
    QVERIFY(!window->startAction()->isVisible());
    QVERIFY(!window->stopAction()->isVisible());
    QVERIFY(window->windowTitle().contains(admin));
    // Until the gateway says its name and mode.
    QTRY_VERIFY_WITH_TIMEOUT(window->windowTitle().contains(QLatin1String("gw.test")), 15'000);
    QVERIFY2(window->modeLabel()->text().contains(QLatin1String("anonymous")), qPrintable(window->modeLabel()->text()));

    // The session the gateway serves, from the snapshot; the listener in the status bar.
    QTRY_COMPARE_WITH_TIMEOUT(window->sessionModel()->rowCount(), 1, 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().contains(QStringLiteral(":%1").arg(port)), 10'000);
    // The statistics stream in (the engine's refresh every 500 ms).
    QTRY_VERIFY_WITH_TIMEOUT(window->sessionCountLabel()->text().contains(QLatin1String("1")), 10'000);

    // The port moved from the settings view: the new listener first, the session kept.
    const QString next = freePort();
    window->tabs()->setCurrentWidget(window->settingsView());
    window->settingsView()->portBox()->setValue(next.toInt());
    window->settingsView()->applyPortButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().endsWith(QStringLiteral(":") + next), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(window->settingsView()->portStatus()->text().contains(next), 5'000);
    QVERIFY(client->pingRoundTrip(3)); // the session opened before still answers
    // The remote event log reaches the window's Log tab: the engine's line for the move.
    QTRY_VERIFY_WITH_TIMEOUT(window->logView()->text().contains(QStringLiteral("now listening on 127.0.0.1:") + next),
                             10'000);
    QCOMPARE(window->sessionModel()->rowCount(), 1);
    QVERIFY(openSession(quint16(next.toUInt()), gw.caFile(), 5));
    // A refusal comes back as the engine's own: a port taken by someone else.
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost));
    window->settingsView()->portBox()->setValue(taken.serverPort());
    window->settingsView()->applyPortButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(window->settingsView()->portStatus()->text().contains(QString::number(taken.serverPort())),
                             15'000);
    QTRY_COMPARE_WITH_TIMEOUT(window->settingsView()->portBox()->value(), next.toInt(), 5'000);

    // The gateway killed: the status bar says so, the rows it can no longer vouch for go,
    // and the window keeps answering.
    gw.process.kill();
    QVERIFY(gw.waitFinished());
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().contains(QLatin1String("connection to the gateway lost")),
                             15'000);
    QCOMPARE(window->sessionModel()->rowCount(), 0);
    for (int i = 0; i < 5; ++i) {
        QVERIFY(responsive(1'000));
        window->tabs()->setCurrentIndex(i % window->tabs()->count());
        QTest::qWait(200);
    }

    // Back on the same admin port: reconnected within the backoff, a fresh snapshot.
    GatewayProcess again;
    again.launch(QStringList{"--headless", "--data-dir", gw.dataDir.path(), "--listen", "127.0.0.1", "--port", next,
                             "--name", "gw.test", "--mode", "anonymous", "--admin-listen", admin});
    QVERIFY2(again.waitListening(), again.err.constData());
    auto second = openSession(quint16(next.toUInt()), gw.caFile(), 7);
    QVERIFY(second);
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().startsWith(QLatin1String("listening on")), 30'000);
    QTRY_COMPARE_WITH_TIMEOUT(window->sessionModel()->rowCount(), 1, 10'000);

    // The gateway is remembered for the connect dialog.
    ConnectDialog dialog;
    QCOMPARE(dialog.urlBox()->itemText(0), url.toString());
    window->close(); // deletes the window and its link; the remote gateway serves on
    QTRY_VERIFY(!window);
    QVERIFY(second->pingRoundTrip(9));
}

void TestGuiAttach::refusesWhatIsNoAdminApi()
{
    QString error;
    QVERIFY(!ConnectDialog::openWindow(QUrl(QStringLiteral("ftp://127.0.0.1:1")), {}, &error));
    QVERIFY(error.contains(QLatin1String("ftp")));
    QVERIFY(!ConnectDialog::openWindow(QUrl(QStringLiteral("https://127.0.0.1:1")), {}, &error));
    QVERIFY(error.contains(QLatin1String("identity")));
    QVERIFY(!ConnectDialog::openWindow(QUrl(QStringLiteral("https://127.0.0.1:1")), QStringLiteral("/nonexistent"),
                                       &error));
    QVERIFY(error.contains(QLatin1String("/nonexistent")));
    // Nothing listens there: the window opens and says that it cannot reach the gateway.
    QPointer<MainWindow> window =
        ConnectDialog::openWindow(QUrl(QStringLiteral("http://127.0.0.1:") + freePort()), {}, &error);
    QVERIFY(window);
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().contains(QLatin1String("connection to the gateway lost")),
                             10'000);
    QVERIFY(responsive(1'000));
    delete window;
}

// README "Admin over the network": https with the workstation identity from `admin issue`, the
// admin listener with mutual TLS (on loopback, as tests stay there); no identity, no window.
void TestGuiAttach::attachesOverMutualTls()
{
    GatewayProcess gw;
    const QString adminPort = freePort();
    const QString identity = gw.dataDir.filePath(QStringLiteral("laptop"));
    const QString dataDir = gw.dataDir.filePath(QStringLiteral("data"));
    const auto [issued, said] = issueWorkstation(dataDir, QStringLiteral("laptop"), identity);
    QVERIFY2(issued == 0, said.constData());
    QStringList args = gw.defaultArgs();
    args[args.indexOf(gw.dataDir.path())] = dataDir;
    gw.launch(args +
              QStringList{"--mode", "anonymous", "--admin-listen", "127.0.0.1:" + adminPort, "--admin-tls", "on"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    QVERIFY2(gw.err.contains("admin listener: mutual TLS with the admin CA"), gw.err.constData());
    auto client = openSession(port, dataDir + QStringLiteral("/ca.pem"));
    QVERIFY(client);

    QString error;
    const QUrl url(QStringLiteral("https://127.0.0.1:") + adminPort);
    QPointer<MainWindow> window = ConnectDialog::openWindow(url, identity, &error);
    QVERIFY2(window, qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().endsWith(QStringLiteral(":%1").arg(port)), 15'000);
    QTRY_COMPARE_WITH_TIMEOUT(window->sessionModel()->rowCount(), 1, 10'000);
    delete window;
    QVERIFY(client->pingRoundTrip(3));
}

void TestGuiAttach::adminActionsFromAnAttachedWindow()
{
    // Approve, reject, revoke and disconnect from a window attached over the admin API: each
    // reaches the remote gateway (its own API says so, and its clients see it), and the outcome
    // comes back to the views through the event stream.
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--admin-listen", "0"}); // combined mode, manual approval
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    QVERIFY2(!admin.isEmpty(), gw.err.constData());
    QString error;
    QPointer<MainWindow> window = ConnectDialog::openWindow(QUrl(QStringLiteral("http://") + admin), {}, &error);
    QVERIFY2(window, qPrintable(error));
    QStringList questions;
    const auto yes = [&questions](const QString &question) {
        questions << question;
        return true;
    };
    window->certificatesView()->confirm = yes;
    window->sessionsView()->confirm = yes;
    QTRY_VERIFY_WITH_TIMEOUT(window->listeningLabel()->text().contains(QStringLiteral(":%1").arg(port)), 15'000);

    // Two phones ask for certificates.
    QTemporaryDir keys;
    QVERIFY(keys.isValid());
    KeyPtr approvedKey = Enrolment::loadOrCreateKey(keys.filePath(QStringLiteral("a")), KeyType::EcP256, &error);
    KeyPtr rejectedKey = Enrolment::loadOrCreateKey(keys.filePath(QStringLiteral("b")), KeyType::EcP256, &error);
    QVERIFY2(approvedKey && rejectedKey, qPrintable(error));
    SeaCatClient approved, rejected;
    QVERIFY(connectClient(approved, port, gw.caFile()));
    QVERIFY(connectClient(rejected, port, gw.caFile()));
    approved.sendCsr(Enrolment::makeCsr(approvedKey.get(), QStringLiteral("CN=phone-a"), &error));
    CertificatesView *certificates = window->certificatesView();
    QTRY_COMPARE_WITH_TIMEOUT(certificates->csrTable()->rowCount(), 1, 10'000);
    rejected.sendCsr(Enrolment::makeCsr(rejectedKey.get(), QStringLiteral("CN=phone-b"), &error));
    QTRY_COMPARE_WITH_TIMEOUT(certificates->csrTable()->rowCount(), 2, 10'000);

    // Approved from the window: the gateway issues, the phone fetches its certificate.
    const int approvedRow = certificates->csrTable()->item(0, 6)->text() == QLatin1String("CN=phone-a") ? 0 : 1;
    certificates->csrTable()->selectRow(approvedRow);
    QTest::mouseClick(certificates->approveButton(), Qt::LeftButton);
    QCOMPARE(questions.size(), 1);
    QVERIFY2(questions.last().contains(QLatin1String("CN=phone-a")), qPrintable(questions.last()));
    QTRY_COMPARE_WITH_TIMEOUT(certificates->certificateTable()->rowCount(), 1, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(certificates->csrTable()->rowCount(), 1, 5'000);
    QByteArray der;
    QObject::connect(&approved, &SeaCatClient::certificateAnswer, &approved,
                     [&der](quint16, bool, const QByteArray &answer) { der = answer; });
    approved.queryCertificate(publicKeyBits(approvedKey.get()));
    QTRY_VERIFY_WITH_TIMEOUT(!der.isEmpty(), 10'000);

    // Rejected from the window: gone from the pending list there and on the gateway.
    certificates->csrTable()->selectRow(0);
    QCOMPARE(certificates->csrTable()->item(0, 6)->text(), QStringLiteral("CN=phone-b"));
    QTest::mouseClick(certificates->rejectButton(), Qt::LeftButton);
    QCOMPARE(questions.size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(certificates->csrTable()->rowCount(), 0, 10'000);
    QCOMPARE(apiGet(admin, QStringLiteral("pki/csrs")).value(QLatin1String("csrs")).toArray().size(), 0);

    // Revoked from the window: the certificate's row says so, and so does the gateway.
    certificates->certificateTable()->selectRow(0);
    QTest::mouseClick(certificates->revokeButton(), Qt::LeftButton);
    QCOMPARE(questions.size(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(certificates->certificateTable()->item(0, 1)->text(), QStringLiteral("revoked"), 10'000);
    const QJsonArray issued =
        apiGet(admin, QStringLiteral("pki/certificates")).value(QLatin1String("certificates")).toArray();
    QCOMPARE(issued.size(), 1);
    QCOMPARE(issued.first().toObject().value(QLatin1String("status")).toString(), QStringLiteral("revoked"));

    // Disconnected from the window: the one session left, closed on the gateway.
    approved.disconnectFromGateway();
    rejected.disconnectFromGateway();
    auto phone = openSession(port, gw.caFile());
    QVERIFY(phone);
    SessionsView *sessions = window->sessionsView();
    QTRY_COMPARE_WITH_TIMEOUT(sessions->table()->model()->rowCount(), 1, 10'000);
    sessions->table()->selectRow(0);
    QTest::mouseClick(sessions->disconnectButton(), Qt::LeftButton);
    QCOMPARE(questions.size(), 4);
    QVERIFY(phone->waitForDisconnected(10'000));
    QTRY_COMPARE_WITH_TIMEOUT(sessions->table()->model()->rowCount(), 0, 10'000);
    delete window;
}

void TestGuiAttach::attachOnTheCommandLine()
{
    // The binary's own window, no engine of its own: the remote gateway sees its event stream.
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--admin-listen", "0"});
    QVERIFY2(gw.waitListening(), gw.err.constData());
    const QString admin = gw.adminEndpoint();
    QVERIFY2(!admin.isEmpty(), gw.err.constData());
    GatewayProcess window;
    QProcessEnvironment offscreen = QProcessEnvironment::systemEnvironment();
    offscreen.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    QTemporaryDir config; // its recent gateways, not the user's
    offscreen.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
    window.process.setProcessEnvironment(offscreen);
    window.launch({"--attach", "http://" + admin});
    QTRY_COMPARE_WITH_TIMEOUT(status(admin).value("eventStreams").toInt(), 1, 20'000);
    QCOMPARE(window.process.state(), QProcess::Running);
    QVERIFY2(!window.out.contains("listening on"), window.out.constData());
    window.process.terminate();
    QVERIFY(window.waitFinished());
    QTRY_COMPARE_WITH_TIMEOUT(status(admin).value("eventStreams").toInt(), 0, 10'000);

    // Refused with the reason and exit code 2: not an admin API's URL; no display at all.
    GatewayProcess ftp;
    ftp.process.setProcessEnvironment(offscreen);
    ftp.launch({"--attach", "ftp://127.0.0.1:1"});
    QVERIFY(ftp.waitFinished());
    QCOMPARE(ftp.process.exitCode(), 2);
    QVERIFY2(ftp.err.contains("not the admin API"), ftp.err.constData());
    GatewayProcess headless;
    QProcessEnvironment noDisplay = QProcessEnvironment::systemEnvironment();
    for (const char *variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        noDisplay.remove(QLatin1String(variable));
    headless.process.setProcessEnvironment(noDisplay);
    headless.launch({"--attach", "http://" + admin});
    QVERIFY(headless.waitFinished());
    QCOMPARE(headless.process.exitCode(), 2);
    QVERIFY2(headless.err.contains("needs a display"), headless.err.constData());
}

QTEST_MAIN(TestGuiAttach)
#include "tst_guiattach.moc"
