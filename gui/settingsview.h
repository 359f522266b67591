// Settings tab: the listening address and port, with the reachability guidance where the
// choice is made, applied live (new listener first, sessions kept); and the settings that
// apply at the next start (name, mode, approval, backends), saved atomically.
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

public slots:
    void showListening(const QHostAddress &address, quint16 port);
    void showPortError(const QString &reason);

signals:
    void portChangeRequested(const QHostAddress &address, quint16 port, bool allowReserved);

private:
    void updateGuidance();
    void save();

    SeaCat::GatewayConfig m_config;
    QString m_settingsFile;
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
