// The admin window: status bar, sessions, certificates, settings, log. Talks to the gateway
// only through a GatewayLink's signals and slots: the engine in this process or a remote one.
#pragma once

#include "confirmation.h"
#include "gatewayconfig.h"
#include "sessioninfo.h"

#include <QElapsedTimer>
#include <QMainWindow>

class ActivityChart;
class QAction;
class CertificatesView;
class LogView;
class QLabel;
class QTabWidget;
class SessionTableModel;
class SessionsView;
class SettingsView;

namespace SeaCat {
class GatewayLink;
}

class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(SeaCat::GatewayLink *controller, const SeaCat::GatewayConfig &config, const QString &settingsFile,
               QWidget *parent = nullptr);

    // Asks before Stop and quit while sessions are open; tests replace it. Default: a QMessageBox.
    Confirmation::Ask confirm;

    SessionTableModel *sessionModel() const { return m_sessions; }
    SessionsView *sessionsView() const { return m_sessionsView; }
    CertificatesView *certificatesView() const { return m_certificatesView; }
    SettingsView *settingsView() const { return m_settingsView; }
    LogView *logView() const { return m_logView; }
    ActivityChart *chart() const { return m_chart; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *listeningLabel() const { return m_listening; }
    QLabel *modeLabel() const { return m_mode; }
    QLabel *sessionCountLabel() const { return m_sessionCount; }
    QLabel *ratesLabel() const { return m_rates; }
    QLabel *storeLabel() const { return m_store; }
    QAction *startAction() const { return m_startAction; }
    QAction *stopAction() const { return m_stopAction; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    int liveSessions() const;
    void stopGateway();
    void clearStatus();
    void showPendingCount(int pending);
    void showStats(const SeaCat::GatewayStats &stats);
    void showListening(const QHostAddress &address, quint16 port);
    void showLinkLost(const QString &reason, int retryInMs);
    void tick();
    void startGateway();

    SeaCat::GatewayLink *m_controller;
    SeaCat::GatewayConfig m_config;
    SessionTableModel *m_sessions;
    SessionsView *m_sessionsView;
    CertificatesView *m_certificatesView;
    SettingsView *m_settingsView;
    LogView *m_logView;
    ActivityChart *m_chart;
    QTabWidget *m_tabs;
    QLabel *m_listening;
    QLabel *m_mode;
    QLabel *m_sessionCount;
    QLabel *m_rates;
    QLabel *m_uptime;
    QLabel *m_store; // shown only while the certificate store does not answer
    QAction *m_startAction;
    QAction *m_stopAction;
    QElapsedTimer m_upSince;
    QElapsedTimer m_lastStatsAt;
    SeaCat::GatewayStats m_lastStats;
};
