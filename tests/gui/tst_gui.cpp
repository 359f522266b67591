// The real widgets against a real engine on loopback (QT_QPA_PLATFORM=offscreen).
// With SEACAT_SCREENSHOT_DIR set, screenshots() also renders every view with data.
#include "activitychart.h"
#include "certificatesview.h"
#include "codec/framewriter.h"
#include "client/enrolment.h"
#include "common/clienthelpers.h"
#include "common/gatewayfixture.h"
#include "common/testbackend.h"
#include "common/testclient.h"
#include "format.h"
#include "logview.h"
#include "mainwindow.h"
#include "portpolicy.h"
#include "pki/clientidentity.h"
#include "sessionsview.h"
#include "sessiontablemodel.h"
#include "settingsview.h"

#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QScopeGuard>
#include <QScrollBar>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QThread>
#include <QTranslator>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <deque>

using namespace SeaCat;

namespace {

struct Gui {
    GatewayFixture gw;
    QTemporaryDir settings;
    std::unique_ptr<MainWindow> window;
    quint16 port = 0;

    explicit Gui(GatewayConfig config = GatewayFixture::defaultConfig(), QString settingsFile = {})
    {
        config.dataDir = gw.dataDir.path();
        if (settingsFile.isEmpty())
            settingsFile = settings.filePath("gateway.ini");
        window = std::make_unique<MainWindow>(gw.controller.get(), config, settingsFile);
        window->show();
        port = gw.start(config);
        window->certificatesView()->confirm = [this](const QString &q) { return answer(q); };
        window->sessionsView()->confirm = [this](const QString &q) { return answer(q); };
        window->confirm = [this](const QString &q) { return answer(q); };
    }
    // Every confirmation the window asked for, answered with `yes`.
    QStringList questions;
    bool yes = true;
    bool answer(const QString &question)
    {
        questions << question;
        return yes;
    }
};

int rows(QAbstractItemModel *model)
{
    return model->rowCount();
}

SessionInfo sessionInfo(quint64 id, quint64 bytesOut = 0)
{
    SessionInfo info;
    info.id = id;
    info.peerAddress = QStringLiteral("10.0.%1.%2").arg(id / 256).arg(id % 256);
    info.peerPort = 40'000;
    info.bytesOut = bytesOut;
    return info;
}

// Counts a model's structural signals.
struct ModelSignals {
    int resets = 0, inserts = 0, removes = 0;
    explicit ModelSignals(QAbstractItemModel *model)
    {
        QObject::connect(model, &QAbstractItemModel::modelReset, model, [this] { ++resets; });
        QObject::connect(model, &QAbstractItemModel::rowsInserted, model, [this] { ++inserts; });
        QObject::connect(model, &QAbstractItemModel::rowsRemoved, model, [this] { ++removes; });
    }
};

// Every TickMs: closes the generation opened LiveTicks ticks ago, pings the others, opens PerTick
// new sessions. Lives in its own thread; start() and stop() are called there.
class ChurningClients : public QObject
{
public:
    static constexpr int PerTick = 20, TickMs = 100, LiveTicks = 10;
    std::atomic<int> started{0}, encrypted{0};

    ChurningClients(const QString &caFile, quint16 port) : m_caFile(caFile), m_port(port)
    {
        connect(&m_timer, &QTimer::timeout, this, &ChurningClients::tick);
    }
    void start() { m_timer.start(TickMs); }
    void stop()
    {
        m_timer.stop();
        while (!m_generations.empty())
            retireOldest();
    }

private:
    void retireOldest()
    {
        for (const auto &client : m_generations.front())
            encrypted += client->socket.isEncrypted();
        m_generations.pop_front(); // deleting a client closes its connection
    }
    void tick()
    {
        if (m_generations.size() == LiveTicks)
            retireOldest();
        for (const auto &generation : m_generations)
            for (const auto &client : generation)
                client->send(serialize(Ping{m_pingId}));
        m_pingId += 2; // odd: client PINGs
        m_generations.emplace_back();
        for (int i = 0; i < PerTick; ++i) {
            auto client = std::make_unique<TestClient>(m_caFile);
            client->startConnect(m_port);
            client->send(serialize(Ping{1})); // goes out right after the handshake
            m_generations.back().push_back(std::move(client));
            ++started;
        }
    }

    QString m_caFile;
    quint16 m_port;
    QTimer m_timer{this};
    quint32 m_pingId = 3;
    std::deque<std::vector<std::unique_ptr<TestClient>>> m_generations;
};

} // namespace

class TestGui : public QObject
{
    Q_OBJECT

private slots:
    void sessionAppearsAndLeaves();
    void disconnectFromTheView();
    void csrApprovedFromTheView();
    void pkiStateIsPushedNotReadFromDisk();
    void defaultLayoutShowsEveryColumn_data();
    void defaultLayoutShowsEveryColumn();
    void portChangeKeepsSessions();
    void busyPortShowsErrorAndOldPortServes();
    void reservedPortNeedsConfirmation();
    void applyStopStartKeepsTheNewPort();
    void stopAndQuitAskWhileSessionsAreOpen();
    void storeOutageIsShown();
    void saveKeepsWhatItDoesNotOwn();
    void modelStaysCheapWithThousandsOfSessions();
    void modelIsAThrottleNotADebounce();
    void modelPendingStateIsBounded();
    void modelUpdatesAreDataChangedNeverReset();
    void selectionSurvivesUpdatesAndResets();
    void tunnelsInTheDetailPane();
    void downloadOnlySessionShowsItsTraffic();
    void churnWhileALongSessionStreams();
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
    client->send(serialize(TelemetryCapabilities{3, QByteArray("osv\x1f"
                                                               "14\0hwm\x1fPixel\0\0",
                                                               16)}));
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
    gui.yes = false; // asked, naming the client; "No" keeps it
    QTest::mouseClick(view->disconnectButton(), Qt::LeftButton);
    QCOMPARE(gui.questions.size(), 1);
    QVERIFY2(gui.questions.first().contains(
                 QStringLiteral("anonymous client at 127.0.0.1:%1").arg(client.socket.localPort())),
             qPrintable(gui.questions.first()));
    QVERIFY(client.pingRoundTrip(1));
    TestClient other(gui.gw.caFile());
    QVERIFY(other.connectTo(gui.port));
    QVERIFY(QTest::qWaitFor([&] { return view->table()->model()->rowCount() == 2; }, 5'000));
    gui.yes = true;
    QTest::mouseClick(view->disconnectButton(), Qt::LeftButton);
    QVERIFY(client.waitForDisconnected(5'000));
    QVERIFY(QTest::qWaitFor([&] { return view->table()->model()->rowCount() == 1; }, 5'000));
    // The selection does not jump to the next session: a second click must not disconnect it.
    QCOMPARE(view->selectedSessionId(), quint64(0));
    QVERIFY(!view->disconnectButton()->isEnabled());
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
    const auto id = clientKeyIdFromKeyBytes(publicKeyBits(key.get()));
    QCOMPARE(view->csrTable()->item(0, 2)->text(), id.tag);
    QCOMPARE(view->csrTable()->item(0, 6)->text(), QStringLiteral("CN=phone-1"));
    // The enrolling session says so, and the pending request names that session's peer.
    SessionTableModel *sessions = gui.window->sessionModel();
    QVERIFY(QTest::qWaitFor(
        [&] {
            return sessions->rowCount() == 1 && sessions->index(0, SessionTableModel::Client).data().toString() ==
                                                    QStringLiteral("enrolling ") + id.tag;
        },
        5'000));
    const SessionInfo enrolling = sessions->session(0);
    const QString peer = formatEndpoint(enrolling.peerAddress, enrolling.peerPort);
    QCOMPARE(view->csrTable()->item(0, 5)->text(), peer);
    QCOMPARE(gui.window->tabs()->tabText(1), QStringLiteral("Certificates (1 pending)"));
    QCOMPARE(view->csrTable()->item(0, 3)->text(), id.id.left(16) + QStringLiteral("…"));
    view->csrTable()->selectRow(0);
    QTest::mouseClick(view->approveButton(), Qt::LeftButton);
    // The admin sees who asks before approving.
    QCOMPARE(gui.questions.size(), 1);
    const QString question = gui.questions.first();
    for (const QString &part :
         {QStringLiteral("Subject: CN=phone-1"), QStringLiteral("Client Tag: ") + id.tag,
          QStringLiteral("Client ID: ") + id.id.left(16), QStringLiteral("RSA"), QStringLiteral("2048"),
          QStringLiteral("Peer: %1 (session %2)").arg(peer).arg(enrolling.id), QStringLiteral("valid for 365 days")})
        QVERIFY2(question.contains(part), qPrintable(part + QStringLiteral(" not in: ") + question));
    QVERIFY(QTest::qWaitFor([&] { return view->certificateTable()->rowCount() == 1; }, 5'000));
    QCOMPARE(view->csrTable()->rowCount(), 0);
    QCOMPARE(gui.window->tabs()->tabText(1), QStringLiteral("Certificates"));
    QByteArray der;
    QObject::connect(&client, &SeaCatClient::certificateAnswer, &client,
                     [&der](quint16, bool, const QByteArray &d) { der = d; });
    client.queryCertificate(publicKeyBits(key.get()));
    QVERIFY(QTest::qWaitFor([&] { return !der.isEmpty(); }, 5'000)); // the client gets its certificate
    // Revoke from the view too.
    view->certificateTable()->selectRow(0);
    QTest::mouseClick(view->revokeButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return view->certificateTable()->item(0, 1)->text() == QStringLiteral("revoked"); },
                            5'000));
}

void TestGui::pkiStateIsPushedNotReadFromDisk()
{
    // Issue 11 item 9: the CA and the lists come from the engine, an approval is one push and
    // no request, and the data directory is never read by the GUI.
    Gui gui;
    CertificatesView *view = gui.window->certificatesView();
    QFile caFile(gui.gw.caFile());
    QVERIFY(caFile.open(QIODevice::ReadOnly));
    const QSslCertificate ca(caFile.readAll());
    const QString fingerprint = QString::fromLatin1(ca.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
    QVERIFY(QTest::qWaitFor([&] { return view->caLabel()->text().contains(fingerprint); }, 5'000));
    SeaCatClient client;
    QVERIFY(connectClient(client, gui.port, gui.gw.caFile()));
    // From here on there is no ca.pem (the engine keeps its CA in memory): whatever the GUI
    // shows, the engine sent.
    QVERIFY(QFile::rename(gui.gw.caFile(), gui.gw.caFile() + QStringLiteral(".away")));
    QSignalSpy pushed(gui.gw.controller.get(), &GatewayController::pkiStateChanged);
    QTemporaryDir identity;
    QString error;
    KeyPtr key = Enrolment::loadOrCreateKey(identity.path(), KeyType::EcP256, &error);
    QVERIFY(key);
    client.sendCsr(Enrolment::makeCsr(key.get(), QStringLiteral("CN=kiosk"), &error));
    QVERIFY(QTest::qWaitFor([&] { return view->csrTable()->rowCount() == 1; }, 5'000));
    QCOMPARE(pushed.size(), 1);
    // The request's peer follows its session: there while it is connected, gone with it.
    QVERIFY(QTest::qWaitFor([&] { return view->csrTable()->item(0, 5)->text().startsWith(u"127.0.0.1:"); }, 5'000));
    client.disconnectFromGateway();
    QVERIFY(QTest::qWaitFor([&] { return view->csrTable()->item(0, 5)->text() == u"not connected"; }, 5'000));
    QCOMPARE(pushed.size(), 1); // a session leaving changes no PKI state
    view->csrTable()->selectRow(0);
    QTest::mouseClick(view->approveButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return view->certificateTable()->rowCount() == 1; }, 5'000));
    QCOMPARE(view->csrTable()->rowCount(), 0);
    QTest::qWait(300);
    QCOMPARE(pushed.size(), 2); // the approval: one push, however many events it made
    // A window opened on the running gateway shows the CA and the lists at once.
    MainWindow late(gui.gw.controller.get(), GatewayFixture::defaultConfig(), gui.settings.filePath("late.ini"));
    QVERIFY(late.certificatesView()->caLabel()->text().contains(fingerprint));
    QCOMPARE(late.certificatesView()->certificateTable()->rowCount(), 1);
}

void TestGui::defaultLayoutShowsEveryColumn_data()
{
    QTest::addColumn<QString>("language");
    QTest::newRow("en") << QString();
    QTest::newRow("cs") << QStringLiteral("cs");
    QTest::newRow("de") << QStringLiteral("de");
}

void TestGui::defaultLayoutShowsEveryColumn()
{
    // Issue 11 item 8: the default 1280×800 window shows In/Out/Connected without a horizontal
    // scroll bar, and no Client Tag is cut off (an enrolling one is the longest). Run on
    // Xvfb/xcb too (tst_gui_layout_xcb): the fonts differ from the offscreen platform's.
    QFETCH(QString, language);
    QTranslator translator;
    if (!language.isEmpty()) {
        QVERIFY(translator.load(QLocale(language), QStringLiteral("seacat"), QStringLiteral("_"),
                                QStringLiteral(":/i18n")));
        QCoreApplication::installTranslator(&translator);
        QLocale::setDefault(QLocale(language));
    }
    const auto restore = qScopeGuard([&] {
        QCoreApplication::removeTranslator(&translator);
        QLocale::setDefault(QLocale::c());
    });
    Gui gui;
    QVERIFY(QTest::qWaitForWindowExposed(gui.window.get()));
    QCOMPARE(gui.window->size(), QSize(1280, 800));
    // An authenticated-looking row is not needed: the enrolling one is wider than a bare tag.
    QTemporaryDir identity;
    QString error;
    KeyPtr key = Enrolment::loadOrCreateKey(identity.path(), KeyType::Rsa2048, &error);
    SeaCatClient enrolling;
    QVERIFY(connectClient(enrolling, gui.port, gui.gw.caFile()));
    enrolling.sendCsr(Enrolment::makeCsr(key.get(), QStringLiteral("CN=phone-1"), &error));
    TestClient anonymous(gui.gw.caFile());
    QVERIFY(anonymous.connectTo(gui.port));
    QVERIFY(anonymous.pingRoundTrip(1));
    const QString tag = clientKeyIdFromKeyBytes(publicKeyBits(key.get())).tag;
    QTableView *table = gui.window->sessionsView()->table();
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (int row = 0; row < table->model()->rowCount(); ++row)
                if (table->model()->index(row, SessionTableModel::Client).data().toString().contains(tag))
                    return table->model()->rowCount() == 2;
            return false;
        },
        5'000));
    CertificatesView *certs = gui.window->certificatesView();
    QVERIFY(QTest::qWaitFor([&] { return certs->csrTable()->rowCount() == 1; }, 5'000));
    QTest::qWait(100); // a layout pass

    const auto everyColumnShown = [](QTableView *view, std::initializer_list<int> mayElide) {
        QHeaderView *header = view->horizontalHeader();
        const int width = view->viewport()->width();
        for (int column = 0; column < header->count(); ++column) {
            const QString name = view->model()->headerData(column, Qt::Horizontal).toString();
            if (header->sectionViewportPosition(column) + header->sectionSize(column) > width)
                return QStringLiteral("column %1 ends at %2, the view is %3 wide")
                    .arg(name)
                    .arg(header->sectionViewportPosition(column) + header->sectionSize(column))
                    .arg(width);
            if (std::find(mayElide.begin(), mayElide.end(), column) != mayElide.end())
                continue;
            if (header->sectionSize(column) < header->sectionSizeHint(column))
                return QStringLiteral("header %1 cut: %2 < %3")
                    .arg(name)
                    .arg(header->sectionSize(column))
                    .arg(header->sectionSizeHint(column));
            // What the rows need (QAbstractItemView's public face of QTableView's measure).
            const int needed = static_cast<QAbstractItemView *>(view)->sizeHintForColumn(column);
            if (header->sectionSize(column) < needed)
                return QStringLiteral("values of %1 cut: %2 < %3")
                    .arg(name)
                    .arg(header->sectionSize(column))
                    .arg(needed);
        }
        if (view->horizontalScrollBar()->isVisible())
            return QStringLiteral("a horizontal scroll bar");
        return QString();
    };
    gui.window->tabs()->setCurrentIndex(0);
    QTest::qWait(50);
    QString problem = everyColumnShown(table, {SessionTableModel::Tls}); // the cipher elides; the detail pane has it
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    gui.window->tabs()->setCurrentIndex(1);
    QTest::qWait(50);
    problem =
        everyColumnShown(certs->csrTable(), {certs->csrTable()->columnCount() - 1}); // the subject, last, may elide
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
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
    QVERIFY(
        QTest::qWaitFor([&] { return gui.window->listeningLabel()->text().contains(QString::number(next)); }, 5'000));
    QVERIFY2(settings->portStatus()->text().contains(QString::number(next)),
             qPrintable(settings->portStatus()->text()));
    QVERIFY(old.pingRoundTrip(1)); // the open session is kept
    TestClient fresh(gui.gw.caFile());
    QVERIFY(fresh.connectTo(next)); // new clients reach the new port
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
    QCOMPARE(settings->portBox()->value(), int(gui.port)); // the field shows where it serves, not the refused port
    QCOMPARE(settings->config().port, quint16(0));         // the next Start is unchanged
    QVERIFY(!QFile::exists(gui.settings.filePath("gateway.ini"))); // nothing persisted
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

void TestGui::storeOutageIsShown()
{
    // README "Several gateways": what the engine announces when the store stops answering (its
    // real detection is tst_array databaseOutageKeepsSessionsAndKnownClients, on PostgreSQL).
    Gui gui;
    QLabel *store = gui.window->storeLabel();
    QVERIFY(!store->isVisible());
    emit gui.gw.controller->pkiStoreAvailabilityChanged(false, QStringLiteral("connection refused"));
    QVERIFY(store->isVisible());
    QCOMPARE(store->text(), QStringLiteral("certificate store unreachable"));
    QCOMPARE(store->toolTip(), QStringLiteral("connection refused"));
    emit gui.gw.controller->pkiStoreAvailabilityChanged(true, QString());
    QVERIFY(!store->isVisible());
}

void TestGui::stopAndQuitAskWhileSessionsAreOpen()
{
    Gui gui;
    TestClient client(gui.gw.caFile());
    QVERIFY(client.connectTo(gui.port));
    QVERIFY(client.pingRoundTrip(1));
    QVERIFY(QTest::qWaitFor([&] { return gui.window->sessionCountLabel()->text() == u"1 session(s)"; }, 5'000));
    QVERIFY(QTest::qWaitFor([&] { return gui.window->chart()->sampleCount() > 1; }, 5'000));
    QVERIFY(!gui.window->chart()->grab().isNull()); // axis, scales and legend paint

    gui.yes = false;
    QVERIFY(!gui.window->close()); // quit refused: still running, still serving
    QVERIFY(gui.window->isVisible());
    gui.window->stopAction()->trigger();
    QCOMPARE(gui.questions.size(), 2);
    QVERIFY2(gui.questions.last().contains(QStringLiteral("1 session")), qPrintable(gui.questions.last()));
    QVERIFY(client.pingRoundTrip(3));

    gui.yes = true;
    QSignalSpy stopped(gui.gw.controller.get(), &GatewayController::stopped);
    gui.window->stopAction()->trigger();
    QVERIFY(stopped.wait(10'000));
    QVERIFY(client.waitForDisconnected(5'000));
    QCOMPARE(gui.window->listeningLabel()->text(), QStringLiteral("stopped"));
    QTest::qWait(1'200); // a late statistics tick must not bring the old numbers back
    QVERIFY2(gui.window->sessionCountLabel()->text().isEmpty(), qPrintable(gui.window->sessionCountLabel()->text()));
    QVERIFY(gui.window->ratesLabel()->text().isEmpty());
    QCOMPARE(gui.window->sessionModel()->rowCount(), 0);
    const qsizetype asked = gui.questions.size();
    QVERIFY(gui.window->close()); // nothing open: no question
    QCOMPARE(gui.questions.size(), asked);
}

void TestGui::applyStopStartKeepsTheNewPort()
{
    Gui gui;
    QTcpServer probe; // a free port to move to
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 next = probe.serverPort();
    probe.close();
    SettingsView *settings = gui.window->settingsView();
    settings->portBox()->setValue(next);
    QTest::mouseClick(settings->applyPortButton(), Qt::LeftButton);
    QVERIFY(QTest::qWaitFor([&] { return gui.gw.controller->port() == next; }, 5'000));
    QTRY_VERIFY_WITH_TIMEOUT(settings->portStatus()->text().contains("saved"), 5'000);
    QString error;
    const auto saved = GatewayConfig::fromFile(gui.settings.filePath("gateway.ini"), &error);
    QVERIFY2(saved, qPrintable(error));
    QCOMPARE(saved->port, next); // persisted for the next launch

    QSignalSpy stopped(gui.gw.controller.get(), &GatewayController::stopped);
    gui.window->stopAction()->trigger();
    QVERIFY(stopped.wait(10'000));
    QSignalSpy listening(gui.gw.controller.get(), &GatewayController::listening);
    QVERIFY(gui.window->startAction()->isEnabled());
    gui.window->startAction()->trigger();
    QVERIFY(listening.wait(20'000));
    QCOMPARE(gui.gw.controller->port(), next);
    QCOMPARE(settings->portBox()->value(), int(next));
    TestClient client(gui.gw.caFile());
    QVERIFY(client.connectTo(next));
    QVERIFY(client.pingRoundTrip(1));
}

void TestGui::saveKeepsWhatItDoesNotOwn()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("hand.ini"));
    const QByteArray hand = "# hand-written, comments stay\n"
                            "[gateway]\n"
                            "name=gw.test\n"
                            "listen=127.0.0.1\n"
                            "port=0\n"
                            "ping-interval=25   ; the carrier's NAT forgets after 30 s\n"
                            "forward-headers=X-Forwarded-For\n"
                            "\n"
                            "[limits]\n"
                            "max-streams=50\n"
                            "\n"
                            "[pki]\n"
                            "cert-validity=90\n"
                            "\n"
                            "[host:old]\n"
                            "uri=http://127.0.0.1:1/\n";
    {
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(hand);
    }
    QString error;
    auto config = GatewayConfig::fromFile(file, &error);
    QVERIFY2(config, qPrintable(error));
    // As the command line would: --backend app=..., and the data directory from Gui.
    QVERIFY(config->addHost(QStringLiteral("cli"), QStringLiteral("http://127.0.0.1:2/")).isEmpty());
    Gui gui(*config, file);
    SettingsView *settings = gui.window->settingsView();
    settings->nameEdit()->setText(QStringLiteral("renamed.example"));
    // The backend table: drop "old", keep "cli", add "app".
    QTableWidget *hosts = settings->hostTable();
    for (int row = hosts->rowCount() - 1; row >= 0; --row)
        if (hosts->item(row, 0)->text() == u"old")
            hosts->removeRow(row);
    hosts->insertRow(hosts->rowCount());
    hosts->setItem(hosts->rowCount() - 1, 0, new QTableWidgetItem(QStringLiteral("app")));
    hosts->setItem(hosts->rowCount() - 1, 1, new QTableWidgetItem(QStringLiteral("http://127.0.0.1:8080/")));
    QTest::mouseClick(settings->saveButton(), Qt::LeftButton);
    QVERIFY2(settings->saveStatus()->text().contains("Saved"), qPrintable(settings->saveStatus()->text()));

    QFile in(file);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray text = in.readAll();
    for (const char *kept :
         {"# hand-written, comments stay\n", "ping-interval=25   ; the carrier's NAT forgets after 30 s\n",
          "forward-headers=X-Forwarded-For\n", "\n[limits]\nmax-streams=50\n", "[pki]\ncert-validity=90\n",
          "listen=127.0.0.1\nport=0\n"})
        QVERIFY2(text.contains(kept), kept);
    QVERIFY(text.contains("name=renamed.example\n"));
    QVERIFY(!text.contains("data-dir")); // never a command-line value
    QVERIFY(!text.contains("[host:old]"));
    QVERIFY(text.contains("[host:app]\nuri=http://127.0.0.1:8080/"));
    QVERIFY(text.contains("[host:cli]")); // the table as the admin saved it, --backend rows included
    const auto reread = GatewayConfig::fromFile(file, &error);
    QVERIFY2(reread, qPrintable(error));
    QCOMPARE(reread->name, QStringLiteral("renamed.example"));
    QCOMPARE(reread->pingIntervalMs, 25'000);
    QCOMPARE(reread->maxConcurrentStreams, 50);
    QCOMPARE(reread->certificateValidityDays, 90);
    QCOMPARE(settings->config().name, QStringLiteral("renamed.example")); // what the next Start uses
    // A second Save with nothing changed writes nothing.
    QTest::mouseClick(settings->saveButton(), Qt::LeftButton);
    QVERIFY(settings->saveStatus()->text().contains("Nothing"));
}

void TestGui::modelStaysCheapWithThousandsOfSessions()
{
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    ModelSignals count(&model);
    QElapsedTimer timer;
    timer.start();
    for (quint64 id = 1; id <= 5'000; ++id)
        model.addSession(sessionInfo(id));
    QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 5'000; }, 5'000));
    for (quint64 id = 1; id <= 4'000; ++id)
        model.removeSession(id);
    QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 1'000; }, 5'000));
    qInfo("5000 sessions in, 4000 out: %d resets, %d insert and %d remove signals, %lld ms", count.resets,
          count.inserts, count.removes, timer.elapsed());
    // Opens arrive as one block per flush, the closes of sessions that opened together as one range.
    QCOMPARE(count.resets, 0);
    QVERIFY(count.inserts <= 2);
    QVERIFY(count.removes <= 2);
    QSet<quint64> left;
    for (int row = 0; row < model.rowCount(); ++row)
        left.insert(model.session(row).id);
    QCOMPARE(left.size(), 1'000);
    QVERIFY(left.contains(4'001) && left.contains(5'000) && !left.contains(4'000));
    // Scattered closes (every other row of 1 000) would be 500 row signals: one reset instead.
    for (quint64 id = 4'001; id <= 5'000; id += 2)
        model.removeSession(id);
    model.flush();
    QCOMPARE(count.resets, 1);
    QCOMPARE(model.rowCount(), 500);
    QCOMPARE(model.rowOf(4'002), 0);
    QCOMPARE(model.rowOf(5'000), 499);
}

void TestGui::modelIsAThrottleNotADebounce()
{
    // Events every 20 ms without a pause: a debounce would never flush; the throttle flushes
    // about every FlushIntervalMs, and a session opened meanwhile shows within one interval.
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    int flushes = 0;
    connect(&model, &SessionTableModel::flushed, this, [&] { ++flushes; });
    quint64 next = 1;
    QTimer feed;
    connect(&feed, &QTimer::timeout, &model, [&] {
        model.addSession(sessionInfo(next++));
        QList<SessionInfo> updates;
        for (int row = 0; row < model.rowCount(); ++row) {
            SessionInfo s = model.session(row);
            s.bytesOut += 100;
            updates << s;
        }
        model.updateSessions(updates);
    });
    feed.start(20);
    QElapsedTimer elapsed;
    elapsed.start();
    QVERIFY(QTest::qWaitFor([&] { return model.rowCount() > 0; }, 5'000));
    const qint64 firstShownAfter = elapsed.elapsed();
    QTest::qWait(1'000); // keep feeding; the flushes are what is measured
    const int flushed = flushes;
    const int shown = model.rowCount();
    feed.stop();
    qInfo("first row after %lld ms; %d flushes in %lld ms of events every 20 ms; %d of %llu sessions shown",
          firstShownAfter, flushed, elapsed.elapsed(), shown, next - 1);
    QVERIFY2(firstShownAfter <= 2 * SessionTableModel::FlushIntervalMs, qPrintable(QString::number(firstShownAfter)));
    QVERIFY(flushed >= 3);                // 1.0 s + the first interval at 250 ms: about 5
    QVERIFY(flushed <= 7);                // never more than one per interval
    QVERIFY(shown >= int(next - 1) - 20); // at most one interval behind
}

void TestGui::modelPendingStateIsBounded()
{
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // Opened and closed between two flushes: nothing is kept for them.
    for (quint64 id = 1; id <= 10'000; ++id) {
        model.addSession(sessionInfo(id));
        model.removeSession(id);
    }
    QCOMPARE(model.pendingCount(), 0);
    // Updates that trail a close (or that arrive after Stop cleared the table) are dropped.
    QList<SessionInfo> stale;
    for (quint64 id = 1; id <= 10'000; ++id)
        stale << sessionInfo(id);
    model.updateSessions(stale);
    QCOMPARE(model.pendingCount(), 0);
    // Repeated updates of one live session stay one entry.
    model.addSession(sessionInfo(20'000));
    for (int i = 0; i < 1'000; ++i)
        model.updateSessions({sessionInfo(20'000)});
    QCOMPARE(model.pendingCount(), 1);
    model.flush();
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.pendingCount(), 0);
}

void TestGui::modelUpdatesAreDataChangedNeverReset()
{
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (quint64 id = 1; id <= 100; ++id)
        model.addSession(sessionInfo(id));
    model.flush();
    ModelSignals count(&model);
    QList<QPair<int, int>> ranges;
    connect(&model, &QAbstractItemModel::dataChanged, this, [&](const QModelIndex &from, const QModelIndex &to) {
        ranges.append({from.row(), to.row()});
    });
    // A few rows: a signal per row (or run of rows).
    QList<SessionInfo> few{sessionInfo(3), sessionInfo(4), sessionInfo(50)};
    for (SessionInfo &s : few)
        s.bytesOut = 4'096;
    model.updateSessions(few);
    model.flush();
    QCOMPARE(ranges, (QList<QPair<int, int>>{{2, 3}, {49, 49}}));
    QCOMPARE(model.index(2, SessionTableModel::BytesOut).data(SessionTableModel::RawDataRole).toULongLong(), 4'096u);
    // Every row: one whole-table signal.
    ranges.clear();
    QList<SessionInfo> all;
    for (quint64 id = 1; id <= 100; ++id)
        all << sessionInfo(id);
    model.updateSessions(all);
    model.flush();
    QCOMPARE(ranges, (QList<QPair<int, int>>{{0, 99}}));
    QCOMPARE(count.resets, 0);
    QCOMPARE(count.inserts + count.removes, 0);
}

void TestGui::selectionSurvivesUpdatesAndResets()
{
    SessionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    SessionsView view(&model);
    view.resize(1'000, 600);
    view.show();
    for (quint64 id = 1; id <= 200; ++id)
        model.addSession(sessionInfo(id));
    model.flush();
    QTableView *table = view.table();
    table->sortByColumn(SessionTableModel::BytesOut, Qt::DescendingOrder); // rows move as traffic changes
    table->selectRow(table->model()->rowCount() - 1);
    const quint64 chosen = view.selectedSessionId();
    QVERIFY(chosen);
    QVERIFY(view.details()->text().contains(QStringLiteral("Session %1").arg(chosen)));
    // 100-row update batches, the chosen session among them and growing fastest.
    for (int round = 1; round <= 5; ++round) {
        QList<SessionInfo> batch;
        for (quint64 id = 1; id <= 100; ++id)
            batch << sessionInfo(id, id * round);
        batch << sessionInfo(chosen, 1'000'000u * round);
        model.updateSessions(batch);
        model.flush();
        QCOMPARE(view.selectedSessionId(), chosen);
        QVERIFY(view.details()->text().contains(Format::bytes(1'000'000u * round)));
    }
    // Scattered closes make a reset: the selection and the detail pane come back.
    int resets = 0;
    connect(&model, &QAbstractItemModel::modelReset, this, [&] { ++resets; });
    for (quint64 id = 1; id <= 200; id += 2)
        if (id != chosen)
            model.removeSession(id);
    model.flush();
    QCOMPARE(resets, 1);
    QCOMPARE(view.selectedSessionId(), chosen);
    QVERIFY(view.details()->text().contains(QStringLiteral("Session %1").arg(chosen)));
    QVERIFY(view.disconnectButton()->isEnabled());
}

void TestGui::tunnelsInTheDetailPane()
{
    // README "Reaching a device through its session": "Open tunnel…" only for an authenticated
    // session, asking port and listener; the session's tunnels listed in its detail pane.
    SessionTableModel model;
    SessionsView view(&model);
    view.show();
    SessionInfo device = sessionInfo(1);
    device.clientId = QStringLiteral("CLIENTID");
    device.clientTag = QStringLiteral("[DEVICETAG]");
    model.addSession(device);
    model.addSession(sessionInfo(2)); // anonymous
    model.flush();
    QTableView *table = view.table();
    const auto select = [&](quint64 id) {
        for (int row = 0; row < table->model()->rowCount(); ++row)
            if (table->model()->index(row, 0).data(SessionTableModel::SessionIdRole).toULongLong() == id)
                table->selectRow(row);
        QCOMPARE(view.selectedSessionId(), id);
    };
    select(2);
    QVERIFY(!view.openTunnelButton()->isEnabled());
    select(1);
    QVERIFY(view.openTunnelButton()->isEnabled());
    QString askedFor;
    view.askTunnel = [&](const SessionInfo &s) -> std::optional<TunnelRequest> {
        askedFor = s.clientTag;
        TunnelRequest request;
        request.devicePort = 22;
        request.listenPort = 2222;
        return request;
    };
    QSignalSpy requested(&view, &SessionsView::tunnelRequested);
    view.openTunnelButton()->click();
    QCOMPARE(askedFor, QStringLiteral("[DEVICETAG]"));
    QCOMPARE(requested.size(), 1);
    const auto request = requested.at(0).at(0).value<TunnelRequest>();
    QCOMPARE(request.sessionId, quint64(1));
    QCOMPARE(request.devicePort, quint16(22));
    QCOMPARE(request.owner, QStringLiteral("gui"));
    TunnelInfo tunnel;
    tunnel.id = 7;
    tunnel.sessionId = 1;
    tunnel.devicePort = 22;
    tunnel.listenAddress = QStringLiteral("127.0.0.1");
    tunnel.listenPort = 2222;
    tunnel.owner = QStringLiteral("gui");
    tunnel.created = QDateTime::currentDateTimeUtc();
    view.showTunnel(tunnel);
    QVERIFY2(view.details()->text().contains(QStringLiteral("7: 127.0.0.1:2222 → port 22, 0 open")),
             qPrintable(view.details()->text()));
    tunnel.connections = 2;
    view.showTunnels({tunnel});
    QVERIFY(view.details()->text().contains(QStringLiteral("port 22, 2 open")));
    select(2); // another session's pane does not list it
    QVERIFY(!view.details()->text().contains(QStringLiteral("127.0.0.1:2222")));
    select(1);
    view.removeTunnel(7);
    QVERIFY(!view.details()->text().contains(QStringLiteral("127.0.0.1:2222")));
    view.showTunnels({tunnel}); // a late update does not bring it back
    QVERIFY(!view.details()->text().contains(QStringLiteral("127.0.0.1:2222")));
}

void TestGui::downloadOnlySessionShowsItsTraffic()
{
    // The client sends one request, then only receives (issue 11: bytes out and last activity
    // stood still for such sessions).
    TestBackend backend;
    QVERIFY(backend.listen());
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = GatewayMode::Anonymous;
    QVERIFY(config.addHost(QStringLiteral("app"), backend.url()).isEmpty());
    Gui gui(config);
    SessionTableModel *model = gui.window->sessionModel();
    TestClient client(gui.gw.caFile());
    QVERIFY(client.connectTo(gui.port));
    client.send(serialize(SynStream{1, true, 1, "app", "GET", "/trickle", {}}));
    QVERIFY(QTest::qWaitFor([&] { return model->rowCount() == 1 && model->session(0).bytesOut > 0; }, 5'000));
    const SessionInfo before = model->session(0);
    QVERIFY(QTest::qWaitFor(
        [&] {
            const SessionInfo now = model->session(0);
            return now.bytesOut > before.bytesOut + 200 && now.lastActivity >= before.lastActivity.addMSecs(500);
        },
        5'000));
    QCOMPARE(model->session(0).bytesIn, before.bytesIn); // nothing more came from the client
}

void TestGui::churnWhileALongSessionStreams()
{
    // Issue 11 "Done when": every 100 ms 20 sessions open and the 20 opened a second before
    // close (up to 200 live, each pinging every tick, so the engine's updates come in batches
    // of 100 rows and more), for 5 s, while one long session downloads. The long session must
    // be in the model within 1 s of connecting, its bytes out must grow, and once selected it
    // must stay selected through every flush. The churning clients run in their own thread, so
    // the GUI thread carries only the GUI, as in production. (A shorter life made the handshakes
    // on a loaded 2-core machine collapse: clients gave up before the gateway finished them.)
    constexpr int ChurnMs = 5'000;
    TestBackend backend;
    QVERIFY(backend.listen());
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.mode = GatewayMode::Anonymous;
    QVERIFY(config.addHost(QStringLiteral("app"), backend.url()).isEmpty());
    Gui gui(config);
    SessionTableModel *model = gui.window->sessionModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    SessionsView *view = gui.window->sessionsView();
    int sessionsOpened = 0;
    connect(gui.gw.controller.get(), &GatewayController::sessionOpened, this, [&] { ++sessionsOpened; });

    // What every flush leaves behind.
    quint64 longId = 0;
    int flushes = 0, flushesSelected = 0, largestUpdate = 0, updatedRows = 0, largestTable = 0;
    qsizetype mostPending = 0;
    connect(model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex &from, const QModelIndex &to) { updatedRows += to.row() - from.row() + 1; });
    connect(model, &SessionTableModel::flushed, this, [&] {
        largestUpdate = qMax(largestUpdate, updatedRows);
        updatedRows = 0;
        largestTable = qMax(largestTable, model->rowCount());
        if (longId) {
            ++flushes;
            flushesSelected += view->selectedSessionId() == longId;
        }
    });
    QTimer pendingProbe;
    connect(&pendingProbe, &QTimer::timeout, this, [&] { mostPending = qMax(mostPending, model->pendingCount()); });
    pendingProbe.start(10);

    ChurningClients churn(gui.gw.caFile(), gui.port);
    QThread churnThread;
    churn.moveToThread(&churnThread);
    churnThread.start();
    QElapsedTimer elapsed;
    elapsed.start();
    QMetaObject::invokeMethod(&churn, &ChurningClients::start, Qt::QueuedConnection);
    QTest::qWait(500); // the long session connects into a busy gateway
    TestClient longClient(gui.gw.caFile());
    QVERIFY(longClient.connectTo(gui.port));
    QElapsedTimer sinceConnected;
    sinceConnected.start();
    const quint16 longPort = longClient.socket.localPort();
    longClient.send(serialize(SynStream{1, true, 1, "app", "GET", "/trickle", {}}));
    int longRow = -1;
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (int row = 0; row < model->rowCount() && longRow < 0; ++row)
                if (model->session(row).peerPort == longPort)
                    longRow = row;
            return longRow >= 0;
        },
        5'000));
    const qint64 shownAfter = sinceConnected.elapsed();
    const quint64 firstBytesOut = model->session(longRow).bytesOut;
    auto *proxy = qobject_cast<QSortFilterProxyModel *>(view->table()->model());
    QVERIFY(proxy);
    view->table()->selectRow(proxy->mapFromSource(model->index(longRow, 0)).row());
    longId = model->session(longRow).id; // from here on every flush counts
    QCOMPARE(view->selectedSessionId(), longId);

    QVERIFY(QTest::qWaitFor([&] { return elapsed.elapsed() >= ChurnMs; }, ChurnMs + 1'000));
    QMetaObject::invokeMethod(&churn, &ChurningClients::stop, Qt::BlockingQueuedConnection);
    churnThread.quit();
    QVERIFY(churnThread.wait(10'000));
    const quint64 lastBytesOut = model->session(model->rowOf(longId)).bytesOut;
    QVERIFY(QTest::qWaitFor([&] { return model->rowCount() == 1; }, 10'000)); // only the long one is left
    qInfo("churn: %d clients started, %d handshakes done, %d sessions reached the GUI in %lld ms; long session in the "
          "model %lld ms after its handshake; its bytes out %llu -> %llu; selected after %d of %d flushes; largest "
          "update "
          "%d rows, largest table %d rows; most pending %lld",
          churn.started.load(), churn.encrypted.load(), sessionsOpened, elapsed.elapsed(), shownAfter, firstBytesOut,
          lastBytesOut, flushesSelected, flushes, largestUpdate, largestTable, qlonglong(mostPending));
    QVERIFY2(shownAfter <= 1'000, qPrintable(QString::number(shownAfter)));
    QVERIFY(lastBytesOut > firstBytesOut);
    QVERIFY(flushes >= 5);
    QCOMPARE(flushesSelected, flushes);
    QCOMPARE(view->selectedSessionId(), longId);
    QVERIFY(view->details()->text().contains(QStringLiteral("Session %1").arg(longId)));
    // The churn must have reached the GUI for the rest to mean anything; a machine too busy to
    // finish 100 handshakes in 5 s fails here, saying so.
    QVERIFY2(sessionsOpened >= 100,
             qPrintable(QStringLiteral("only %1 churn sessions reached the GUI").arg(sessionsOpened)));
    QVERIFY2(largestUpdate >= 50,
             qPrintable(QStringLiteral("the largest update batch had only %1 rows").arg(largestUpdate)));
    QVERIFY(mostPending <= 2 * ChurningClients::PerTick * ChurningClients::LiveTicks + 1); // bounded by live sessions
}

void TestGui::translationsAreComplete()
{
    for (const char *lang : {"cs", "de"}) {
        QFile ts(QStringLiteral(SEACAT_SOURCE_DIR "/translations/seacat_%1.ts").arg(QLatin1String(lang)));
        QVERIFY(ts.open(QIODevice::ReadOnly));
        const QByteArray text = ts.readAll();
        QVERIFY2(!text.contains("type=\"unfinished\""), lang);
        QTranslator translator;
        QVERIFY(translator.load(QLocale(QLatin1String(lang)), QStringLiteral("seacat"), QStringLiteral("_"),
                                QStringLiteral(":/i18n")));
        QVERIFY(!translator.translate("SessionTableModel", "Peer").isEmpty());
    }
}

void TestGui::screenshots()
{
    const QString dir = qEnvironmentVariable("SEACAT_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set SEACAT_SCREENSHOT_DIR (scripts/screenshots.sh does)");
    QDir().mkpath(dir);
    // A busy gateway: authenticated clients getting 200s from a real backend, an anonymous
    // client with telemetry, pending requests, a chart with some seconds of traffic.
    TestBackend backend;
    QVERIFY(backend.listen());
    const QString gatewayName = QStringLiteral("gateway.example.com");
    GatewayConfig config = GatewayFixture::defaultConfig();
    config.name = gatewayName;
    QVERIFY(config.addHost(QStringLiteral("app"), backend.url()).isEmpty());
    QVERIFY(config.addHost(QStringLiteral("shop"), QStringLiteral("https://shop.internal/api/")).isEmpty());
    Gui gui(config);
    config.dataDir = gui.gw.dataDir.path();
    gui.window->resize(1280, 800);
    const SeaCatClient::Options anonymous{QStringLiteral("127.0.0.1"), gui.port, gui.gw.caFile(), gatewayName, {}, {}};

    // Five devices enrol, one anonymous session each (one key per connection, README
    // "Enrolment"); three are approved from the view, fetch their certificates and come back
    // with them; two stay enrolling, their sessions linked to their pending requests.
    std::vector<std::unique_ptr<SeaCatClient>> enrolling;
    std::vector<std::unique_ptr<QTemporaryDir>> ids;
    QList<QByteArray> keyBits;
    QString error;
    for (const QString &subject :
         {QStringLiteral("CN=phone-17,O=Example"), QStringLiteral("CN=tablet-3,O=Example"),
          QStringLiteral("CN=kiosk-1,O=Example"), QString(), QStringLiteral("CN=phone-22,O=Example")}) {
        ids.push_back(std::make_unique<QTemporaryDir>());
        const auto type = subject.contains(u"kiosk") || subject.isEmpty() ? KeyType::EcP256 : KeyType::Rsa2048;
        KeyPtr key = Enrolment::loadOrCreateKey(ids.back()->path(), type, &error);
        QVERIFY2(key, qPrintable(error));
        keyBits << publicKeyBits(key.get());
        enrolling.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(enrolling.back()->connectToGateway(anonymous).isEmpty());
        QVERIFY(QTest::qWaitFor([&] { return enrolling.back()->isConnected(); }, 5'000));
        enrolling.back()->sendCsr(Enrolment::makeCsr(key.get(), subject, &error));
    }
    CertificatesView *certs = gui.window->certificatesView();
    QVERIFY(QTest::qWaitFor([&] { return certs->csrTable()->rowCount() == 5; }, 5'000));
    constexpr int Approved = 3;
    for (int i = 0; i < Approved; ++i) {
        certs->csrTable()->selectRow(0);
        QTest::mouseClick(certs->approveButton(), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([&] { return certs->certificateTable()->rowCount() == i + 1; }, 5'000));
    }
    QByteArray der;
    std::vector<std::unique_ptr<SeaCatClient>> devices;
    for (int i = 0; i < Approved; ++i) {
        der.clear();
        SeaCatClient &asking = *enrolling[size_t(i)];
        QObject::connect(&asking, &SeaCatClient::certificateAnswer, &asking,
                         [&der](quint16, bool, const QByteArray &d) { der = d; });
        asking.queryCertificate(keyBits[i]);
        QVERIFY(QTest::qWaitFor([&] { return !der.isEmpty(); }, 5'000));
        QCOMPARE(Enrolment::saveCertificate(ids[size_t(i)]->path(), der), QString());
        SeaCatClient::Options options = anonymous;
        options.certFile = QDir(ids[size_t(i)]->path()).filePath(Enrolment::CertFile);
        options.keyFile = QDir(ids[size_t(i)]->path()).filePath(Enrolment::KeyFile);
        devices.push_back(std::make_unique<SeaCatClient>());
        QVERIFY(devices.back()->connectToGateway(options).isEmpty());
        QVERIFY(QTest::qWaitFor([&] { return devices.back()->isConnected(); }, 5'000));
        asking.disconnectFromGateway(); // enrolled: the device goes on with its certificate
    }
    TestClient phone(gui.gw.caFile(), gatewayName); // anonymous, with telemetry
    QVERIFY(phone.connectTo(gui.port));
    static const char blob[] = "osv\x1f"
                               "14\0hwm\x1fPixel 8\0plv\x1f"
                               "2.1\0";
    QVERIFY(phone.pingRoundTrip(1));
    phone.send(serialize(TelemetryCapabilities{1, QByteArray(blob, sizeof blob)}));

    // 45 s of requests in a wave (10 to 70 a second) while a device joins every 10 s, so the
    // chart has a shape.
    std::deque<ClientResponse> responses;
    std::vector<std::unique_ptr<TestClient>> joining;
    int ticks = 0;
    QTimer traffic;
    connect(&traffic, &QTimer::timeout, this, [&] {
        ++ticks;
        const int perTick = 1 + int(3.0 + 3.0 * std::sin(ticks / 40.0));
        for (int r = 0; r < perTick; ++r)
            startRequest(*devices[size_t(r) % devices.size()], responses.emplace_back(), "GET",
                         QStringLiteral("http://app.seacat/hello"));
        if (ticks % 100 == 0) {
            joining.push_back(std::make_unique<TestClient>(gui.gw.caFile(), gatewayName));
            joining.back()->startConnect(gui.port);
            joining.back()->send(serialize(Ping{1}));
        }
    });
    traffic.start(100);
    QTest::qWait(45'000); // the traffic goes on while the views are captured
    QTableView *table = gui.window->sessionsView()->table();
    for (int row = 0; row < table->model()->rowCount(); ++row) // an authenticated session with requests
        if (table->model()->index(row, SessionTableModel::Client).data().toString().startsWith(u'[') &&
            table->model()->index(row, SessionTableModel::Requests).data().toInt() > 10) {
            table->selectRow(row);
            break;
        }

    const QStringList names{QStringLiteral("sessions"), QStringLiteral("certificates"), QStringLiteral("settings"),
                            QStringLiteral("log")};
    certs->csrTable()->selectRow(0); // what Approve… would ask about
    for (int tab = 0; tab < names.size(); ++tab) {
        gui.window->tabs()->setCurrentIndex(tab);
        QTest::qWait(100);
        QVERIFY(gui.window->grab().save(QDir(dir).filePath(names[tab] + QStringLiteral(".png"))));
    }
    traffic.stop();
    QVERIFY(QTest::qWaitFor(
        [&] {
            return std::all_of(responses.begin(), responses.end(),
                               [](const ClientResponse &r) { return r.finished || r.reset; });
        },
        10'000));
    QVERIFY(std::all_of(responses.begin(), responses.end(), [](const ClientResponse &r) { return r.status == 200; }));
    // One in Czech: a window built with the translator installed.
    QTranslator czech;
    QVERIFY(czech.load(QLocale(QStringLiteral("cs")), QStringLiteral("seacat"), QStringLiteral("_"),
                       QStringLiteral(":/i18n")));
    QCoreApplication::installTranslator(&czech);
    QLocale::setDefault(QLocale(QStringLiteral("cs")));
    MainWindow cs(gui.gw.controller.get(), config, gui.settings.filePath("gateway.ini"));
    cs.resize(1280, 800);
    cs.show();
    cs.tabs()->setCurrentIndex(1);
    QCOMPARE(cs.certificatesView()->csrTable()->rowCount(), 2); // the CA and the lists, from the last push
    // The two waiting devices reconnect and poll, as SeaCat clients do: their new sessions reach
    // this window, which links them to their requests.
    for (size_t i = Approved; i < enrolling.size(); ++i) {
        enrolling[i] = std::make_unique<SeaCatClient>();
        QVERIFY(enrolling[i]->connectToGateway(anonymous).isEmpty());
        QVERIFY(QTest::qWaitFor([&] { return enrolling[i]->isConnected(); }, 5'000));
        enrolling[i]->queryCertificate(keyBits[int(i)]);
    }
    QVERIFY(QTest::qWaitFor(
        [&] {
            QTableWidget *csrs = cs.certificatesView()->csrTable();
            return csrs->item(0, 5)->text().startsWith(u"127.") && csrs->item(1, 5)->text().startsWith(u"127.");
        },
        5'000));
    cs.certificatesView()->csrTable()->selectRow(0);
    QVERIFY(cs.grab().save(QDir(dir).filePath(QStringLiteral("certificates-cs.png"))));
    QCoreApplication::removeTranslator(&czech);
    QLocale::setDefault(QLocale::c());
}

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
