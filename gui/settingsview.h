// Settings tab: the listening address and port, with the reachability guidance where the
// choice is made, applied live (new listener first, sessions kept) and, once the gateway
// listens there, written to the settings file; and the settings that apply at the next start
// (name, mode, approval, backends), written by Save. Both only change the keys they own in the
// file (GatewayConfig's editIni), so a hand-written file keeps its comments, sections and keys,
// and values that came from the command line are never written unless the admin changes them.
// config() is what the next Start uses: the start-up settings with every applied or saved change.
// Without a settings file (a remote gateway) only the port is shown, applied on the server.
#pragma once

#include "gatewayconfig.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

class SettingsView final : public QWidget
{
    Q_OBJECT

public:
    SettingsView(const SeaCat::GatewayConfig &config, const QString &settingsFile, QWidget *parent = nullptr);

    QSpinBox *portBox() const { return m_port; }
    QLineEdit *addressEdit() const { return m_address; }
    QCheckBox *reservedConfirmation() const { return m_allowReserved; }
    QPushButton *applyPortButton() const { return m_applyPort; }
    QLabel *portStatus() const { return m_portStatus; }
    QPushButton *saveButton() const { return m_save; }
    QTableWidget *hostTable() const { return m_hosts; }
    QLineEdit *nameEdit() const { return m_name; }
    QLabel *saveStatus() const { return m_saveStatus; }
    const SeaCat::GatewayConfig &config() const { return m_config; }

public slots:
    void showListening(const QHostAddress &address, quint16 port);
    void showPortError(const QString &reason);

signals:
    void portChangeRequested(const QHostAddress &address, quint16 port, bool allowReserved);

private:
    void updateGuidance();
    void save();
    void persistAppliedPort(const QHostAddress &address, quint16 port);

    SeaCat::GatewayConfig m_config;
    QString m_settingsFile;
    // Where the gateway serves now: a refused Apply puts the fields back to it.
    QHostAddress m_listeningAddress;
    quint16 m_listeningPort = 0;
    bool m_applying = false;
    bool m_applyReserved = false;
    QLineEdit *m_address;
    QSpinBox *m_port;
    QLabel *m_guidance;
    QCheckBox *m_allowReserved;
    QPushButton *m_applyPort;
    QLabel *m_portStatus;
    QLineEdit *m_name;
    QComboBox *m_mode;
    QComboBox *m_approval;
    QTableWidget *m_hosts;
    QPushButton *m_save;
    QLabel *m_saveStatus;
};
