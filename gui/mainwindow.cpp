#include "mainwindow.h"
#include "activitychart.h"
#include "certificatesview.h"
#include "connectdialog.h"
#include "format.h"
#include "gatewaylink.h"
#include "logview.h"
#include "sessionsview.h"
#include "sessiontablemodel.h"
#include "settingsview.h"

#include <QAction>
#include <QCloseEvent>
#include <QLabel>
#include <QMenuBar>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

using namespace SeaCat;

MainWindow::MainWindow(GatewayLink *controller, const GatewayConfig &config, const QString &settingsFile,
                       QWidget *parent)
    : QMainWindow(parent), confirm(Confirmation::messageBox(this)), m_controller(controller), m_config(config),
      m_sessions(new SessionTableModel(this)), m_sessionsView(new SessionsView(m_sessions)),
      m_certificatesView(new CertificatesView(m_sessions)), m_settingsView(new SettingsView(config, settingsFile)),
      m_logView(new LogView), m_chart(new ActivityChart), m_tabs(new QTabWidget), m_listening(new QLabel),
      m_mode(new QLabel), m_sessionCount(new QLabel), m_rates(new QLabel), m_uptime(new QLabel), m_store(new QLabel)
{
    setWindowTitle(tr("SeaCat Gateway — %1").arg(config.name));
    setWindowIcon(QIcon(QStringLiteral(":/icons/seacat-gateway.svg")));

    auto *sessionsTab = new QWidget;
    auto *sessionsLayout = new QVBoxLayout(sessionsTab);
    sessionsLayout->addWidget(m_chart);
    sessionsLayout->addWidget(m_sessionsView, 1);
    m_tabs->addTab(sessionsTab, QIcon(QStringLiteral(":/icons/sessions.svg")), tr("Sessions"));
    m_tabs->addTab(m_certificatesView, QIcon(QStringLiteral(":/icons/certificates.svg")), tr("Certificates"));
    m_tabs->addTab(m_settingsView, QIcon(QStringLiteral(":/icons/settings.svg")), tr("Settings"));
    m_tabs->addTab(m_logView, QIcon(QStringLiteral(":/icons/log.svg")), tr("Log"));
    setCentralWidget(m_tabs);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Connect to gateway…"), this, [this] {
        auto *dialog = new ConnectDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    file->addAction(tr("&Quit"), this, &QWidget::close);

    auto *toolbar = addToolBar(tr("Gateway"));
    toolbar->setObjectName(QStringLiteral("gateway"));
    QAction *start = m_startAction = toolbar->addAction(tr("Start"));
    QAction *stop = m_stopAction = toolbar->addAction(tr("Stop"));
    connect(start, &QAction::triggered, this, &MainWindow::startGateway);
    connect(stop, &QAction::triggered, this, &MainWindow::stopGateway);
    connect(controller, &GatewayLink::stateChanged, this, [start, stop](GatewayLink::State state) {
        start->setEnabled(state == GatewayLink::State::Stopped || state == GatewayLink::State::Failed);
        stop->setEnabled(state == GatewayLink::State::Listening);
    });
    start->setEnabled(false);
    // A remote gateway is neither started nor stopped from a workstation.
    start->setVisible(controller->runsEngine());
    stop->setVisible(controller->runsEngine());

    for (QLabel *label : {m_listening, m_mode, m_sessionCount, m_rates, m_uptime})
        statusBar()->addWidget(label);
    // README "Several gateways": an outage of the store is in view, not only in the log.
    statusBar()->addPermanentWidget(m_store);
    m_store->setText(tr("certificate store unreachable"));
    m_store->setStyleSheet(QStringLiteral("color: #b00020"));
    m_store->hide();
    m_mode->setText(tr("mode: %1").arg(toString(config.mode)));
    m_listening->setText(tr("starting…"));

    // Engine → views: queued signals only.
    connect(controller, &GatewayLink::sessionOpened, m_sessions, &SessionTableModel::addSession);
    connect(controller, &GatewayLink::sessionClosed, m_sessions, &SessionTableModel::removeSession);
    connect(controller, &GatewayLink::sessionsUpdated, m_sessions, &SessionTableModel::updateSessions);
    connect(controller, &GatewayLink::statsUpdated, this, &MainWindow::showStats);
    connect(controller, &GatewayLink::logMessage, m_logView, &LogView::append);
    connect(controller, &GatewayLink::listening, this, &MainWindow::showListening);
    if (controller->state() == GatewayLink::State::Listening) // a window opened on a running engine
        showListening(controller->address(), controller->port());
    connect(controller, &GatewayLink::failed, this, [this](const QString &reason) {
        m_listening->setText(tr("not listening: %1").arg(reason));
        m_listening->setStyleSheet(QStringLiteral("color: #b00020"));
        m_logView->append(LogLevel::Error, reason);
    });
    connect(controller, &GatewayLink::stopped, this, [this] {
        m_listening->setText(tr("stopped"));
        clearStatus();
        m_sessions->clear();
    });
    connect(controller, &GatewayLink::linkLost, this, &MainWindow::showLinkLost);
    connect(controller, &GatewayLink::described, this, [this](const QString &name, const QString &mode) {
        setWindowTitle(tr("SeaCat Gateway — %1").arg(name));
        m_mode->setText(tr("mode: %1").arg(mode));
    });
    connect(controller, &GatewayLink::portChangeFailed, m_settingsView, &SettingsView::showPortError);
    connect(m_settingsView, &SettingsView::portChangeRequested, controller, &GatewayLink::changePort);
    connect(m_sessionsView, &SessionsView::disconnectRequested, controller, &GatewayLink::disconnectSession);
    connect(m_sessionsView, &SessionsView::tunnelRequested, controller, &GatewayLink::openTunnel);
    connect(controller, &GatewayLink::tunnelOpened, m_sessionsView, &SessionsView::showTunnel);
    connect(controller, &GatewayLink::tunnelsUpdated, m_sessionsView, &SessionsView::showTunnels);
    connect(controller, &GatewayLink::tunnelClosed, m_sessionsView, &SessionsView::removeTunnel);

    // The engine pushes the PKI state (CA included) whenever it changes; nothing is asked for
    // and nothing is read from the data directory.
    connect(controller, &GatewayLink::pkiStateChanged, m_certificatesView, &CertificatesView::showPkiState);
    connect(controller, &GatewayLink::certificateExpiringSoon, this, [this](const CertificateInfo &c) {
        m_logView->append(
            LogLevel::Warning,
            tr("certificate %1 of %2 expires on %3").arg(c.serial).arg(c.clientTag, c.notAfter.toString(Qt::ISODate)));
    });
    connect(controller, &GatewayLink::pkiActionFailed, this, [this](const QString &reason) {
        m_logView->append(LogLevel::Error, reason);
        statusBar()->showMessage(reason, 10'000);
    });
    connect(controller, &GatewayLink::pkiStoreAvailabilityChanged, this, [this](bool available, const QString &reason) {
        m_store->setVisible(!available);
        m_store->setToolTip(reason);
    });
    connect(m_certificatesView, &CertificatesView::pendingCountChanged, this, &MainWindow::showPendingCount);
    m_certificatesView->showPkiState(controller->pkiState()); // a window opened on a running engine
    m_certificatesView->setValidityDays(config.certificateValidityDays);
    connect(m_certificatesView, &CertificatesView::approveRequested, controller,
            [controller](qint64 id) { controller->approveCsr(id); });
    connect(m_certificatesView, &CertificatesView::rejectRequested, controller,
            [controller](qint64 id) { controller->rejectCsr(id); });
    connect(m_certificatesView, &CertificatesView::revokeRequested, controller,
            [controller](quint64 serial) { controller->revokeCertificate(serial); });

    auto *clock = new QTimer(this);
    connect(clock, &QTimer::timeout, this, &MainWindow::tick);
    clock->start(1'000);
    tick();
    resize(1280, 800);
}

void MainWindow::startGateway()
{
    // The current settings: a port applied and settings saved since the last start count.
    m_config = m_settingsView->config();
    setWindowTitle(tr("SeaCat Gateway — %1").arg(m_config.name));
    m_mode->setText(tr("mode: %1").arg(toString(m_config.mode)));
    m_certificatesView->setValidityDays(m_config.certificateValidityDays);
    m_listening->setText(tr("starting…"));
    m_controller->start(m_config);
}

int MainWindow::liveSessions() const
{
    // The statistics may be ahead of the batched table, or the other way round.
    return qMax(m_sessions->rowCount(), m_lastStats.sessionsNow);
}

void MainWindow::stopGateway()
{
    if (const int sessions = liveSessions();
        sessions > 0 && !confirm(tr("Stop the gateway? %n session(s) will be closed.", nullptr, sessions)))
        return;
    m_controller->stop();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    const int sessions =
        m_controller->runsEngine() && m_controller->state() == GatewayLink::State::Listening ? liveSessions() : 0;
    if (sessions > 0 && !confirm(tr("Quit? The gateway stops and %n session(s) will be closed.", nullptr, sessions))) {
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::clearStatus()
{
    // Nothing from before the stop may look current.
    m_upSince.invalidate();
    m_lastStatsAt.invalidate();
    m_lastStats = {};
    m_sessionCount->clear();
    m_rates->clear();
    tick();
}

void MainWindow::showPendingCount(int pending)
{
    const int tab = m_tabs->indexOf(m_certificatesView);
    m_tabs->setTabText(tab, pending > 0 ? tr("Certificates (%1 pending)").arg(pending) : tr("Certificates"));
}

void MainWindow::showListening(const QHostAddress &address, quint16 port)
{
    if (!m_upSince.isValid())
        m_upSince.start();
    m_listening->setText(tr("listening on %1:%2").arg(address.toString()).arg(port));
    m_listening->setStyleSheet({});
    m_settingsView->showListening(address, port);
}

void MainWindow::showLinkLost(const QString &reason, int retryInMs)
{
    // What the window showed of that gateway is no longer known to be true.
    m_listening->setText(
        tr("connection to the gateway lost: %1; trying again in %2 s").arg(reason).arg((retryInMs + 999) / 1000));
    m_listening->setStyleSheet(QStringLiteral("color: #b00020"));
    m_logView->append(LogLevel::Warning, m_listening->text());
    clearStatus();
    m_sessions->clear();
}

void MainWindow::showStats(const GatewayStats &stats)
{
    if (m_controller->state() != GatewayLink::State::Listening)
        return; // a late tick after Stop

    const double seconds = m_lastStatsAt.isValid() ? m_lastStatsAt.restart() / 1000.0 : 0;
    if (!m_lastStatsAt.isValid())
        m_lastStatsAt.start();
    const auto rate = [seconds](quint64 now, quint64 before) {
        return seconds > 0 && now >= before ? double(now - before) / seconds : 0.0;
    };
    const double requests = rate(stats.requests, m_lastStats.requests);
    m_sessionCount->setText(tr("%n session(s)", nullptr, stats.sessionsNow));
    m_rates->setText(tr("%1 requests/s, in %2/s, out %3/s")
                         .arg(requests, 0, 'f', 1)
                         .arg(Format::bytes(quint64(rate(stats.bytesIn, m_lastStats.bytesIn))),
                              Format::bytes(quint64(rate(stats.bytesOut, m_lastStats.bytesOut)))));
    m_chart->addSample(requests, stats.sessionsNow);
    m_lastStats = stats;
}

void MainWindow::tick()
{
    m_uptime->setText(m_upSince.isValid() ? tr("up %1").arg(Format::duration(m_upSince.elapsed() / 1000)) : QString());
}
