#include "settingsview.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace SeaCat;

SettingsView::SettingsView(const GatewayConfig &config, const QString &settingsFile, QWidget *parent)
    : QWidget(parent), m_config(config), m_settingsFile(settingsFile),
      m_address(new QLineEdit(config.listenAddress.toString())), m_port(new QSpinBox), m_guidance(new QLabel),
      m_allowReserved(new QCheckBox(tr("I want this reserved port anyway"))),
      m_applyPort(new QPushButton(tr("Apply port"))), m_portStatus(new QLabel), m_name(new QLineEdit(config.name)),
      m_mode(new QComboBox), m_approval(new QComboBox), m_hosts(new QTableWidget(0, 2)),
      m_save(new QPushButton(tr("Save"))), m_saveStatus(new QLabel)
{
    m_port->setRange(1, 65535);
    m_port->setValue(config.port ? config.port : DefaultPort);
    m_guidance->setWordWrap(true);
    m_portStatus->setWordWrap(true);
    m_portStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_allowReserved->setChecked(config.allowReservedPort);

    auto *portBox = new QGroupBox(tr("Where clients connect"));
    auto *portForm = new QFormLayout(portBox);
    portForm->addRow(tr("Address"), m_address);
    portForm->addRow(tr("Port"), m_port);
    portForm->addRow(QString(), m_guidance);
    portForm->addRow(QString(), m_allowReserved);
    portForm->addRow(QString(), m_applyPort);
    portForm->addRow(QString(), m_portStatus);

    m_mode->addItem(tr("combined: anonymous clients may enrol, requests need a certificate"),
                    QStringLiteral("combined"));
    m_mode->addItem(tr("authorized: like combined, silent anonymous clients are closed"), QStringLiteral("authorized"));
    m_mode->addItem(tr("anonymous: every client is served"), QStringLiteral("anonymous"));
    m_mode->setCurrentIndex(m_mode->findData(toString(config.mode)));
    m_approval->addItem(tr("manual: an administrator approves each request"), QStringLiteral("manual"));
    m_approval->addItem(tr("auto: every valid request is signed"), QStringLiteral("auto"));
    m_approval->setCurrentIndex(config.autoApprove ? 1 : 0);
    m_hosts->setHorizontalHeaderLabels({tr("Host (NAME.seacat)"), tr("Backend URL")});
    m_hosts->horizontalHeader()->setStretchLastSection(true);
    m_hosts->setColumnWidth(0, 180);
    m_hosts->verticalHeader()->hide();
    for (auto it = config.hosts.cbegin(); it != config.hosts.cend(); ++it) {
        const int row = m_hosts->rowCount();
        m_hosts->insertRow(row);
        m_hosts->setItem(row, 0, new QTableWidgetItem(it.key()));
        m_hosts->setItem(row, 1, new QTableWidgetItem(it.value().toString()));
    }
    auto *addHost = new QPushButton(tr("Add backend"));
    auto *removeHost = new QPushButton(tr("Remove backend"));
    connect(addHost, &QPushButton::clicked, this, [this] {
        const int row = m_hosts->rowCount();
        m_hosts->insertRow(row);
        m_hosts->setItem(row, 0, new QTableWidgetItem(QStringLiteral("app")));
        m_hosts->setItem(row, 1, new QTableWidgetItem(QStringLiteral("http://127.0.0.1:8080/")));
        m_hosts->editItem(m_hosts->item(row, 0));
    });
    connect(removeHost, &QPushButton::clicked, this, [this] { m_hosts->removeRow(m_hosts->currentRow()); });

    auto *general = new QGroupBox(tr("Applied at the next start"));
    auto *form = new QFormLayout(general);
    form->addRow(tr("Gateway name (certificate CN)"), m_name);
    form->addRow(tr("Mode"), m_mode);
    form->addRow(tr("Certificate approval"), m_approval);
    form->addRow(tr("Backends"), m_hosts);
    auto *hostButtons = new QHBoxLayout;
    hostButtons->addWidget(addHost);
    hostButtons->addWidget(removeHost);
    hostButtons->addStretch();
    form->addRow(QString(), hostButtons);
    form->addRow(QString(), m_save);
    form->addRow(QString(), m_saveStatus);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(portBox);
    layout->addWidget(general, 1);
    // A remote gateway's start-up settings are in its own configuration file, on its server.
    general->setVisible(!settingsFile.isEmpty());

    connect(m_port, &QSpinBox::valueChanged, this, &SettingsView::updateGuidance);
    connect(m_allowReserved, &QCheckBox::toggled, this, &SettingsView::updateGuidance);
    connect(m_applyPort, &QPushButton::clicked, this, [this] {
        QHostAddress address;
        if (!address.setAddress(m_address->text().trimmed())) {
            showPortError(tr("'%1' is not an IP address (0.0.0.0 for all, or one of this machine's addresses)")
                              .arg(m_address->text()));
            return;
        }
        m_portStatus->setText(tr("Opening port %1…").arg(m_port->value()));
        m_portStatus->setStyleSheet({});
        m_applying = true;
        m_applyReserved = m_allowReserved->isVisible() && m_allowReserved->isChecked();
        emit portChangeRequested(address, quint16(m_port->value()), m_allowReserved->isChecked());
    });
    connect(m_save, &QPushButton::clicked, this, &SettingsView::save);
    updateGuidance();
}

void SettingsView::updateGuidance()
{
    const PortAdvice advice = portAdvice(quint16(m_port->value()));
    m_allowReserved->setVisible(isReserved(advice));
    m_applyPort->setEnabled(!isReserved(advice) || m_allowReserved->isChecked());
    switch (advice) {
    case PortAdvice::Recommended:
        m_guidance->setText(
            tr("Port 443 is recommended: SeaCat traffic looks like HTTPS, so about 95 % of networks let it through."));
        break;
    case PortAdvice::ReservedPort80:
        m_guidance->setText(
            tr("Port 80 reaches only about 67 % of networks (443: about 95 %). It is reserved: confirm to use it."));
        break;
    case PortAdvice::Reserved:
        m_guidance->setText(tr("Ports up to 1024 are reserved for other services; use 443 (about 95 % reachability) or "
                               "a port above 1024. Confirm to use it anyway."));
        break;
    case PortAdvice::Custom:
        m_guidance->setText(tr("A custom port above 1024 reaches about 86 % of networks; 443 reaches about 95 %."));
        break;
    }
}

void SettingsView::showListening(const QHostAddress &address, quint16 port)
{
    m_listeningAddress = address;
    m_listeningPort = port;
    m_address->setText(address.toString());
    m_port->setValue(port);
    m_portStatus->setText(tr("Listening on %1 port %2.").arg(address.toString()).arg(port));
    m_portStatus->setStyleSheet({});
    if (m_applying) {
        m_applying = false;
        persistAppliedPort(address, port);
    }
}

void SettingsView::persistAppliedPort(const QHostAddress &address, quint16 port)
{
    // The next Start and the next launch both serve where the admin moved the gateway.
    if (m_settingsFile.isEmpty())
        return; // a remote gateway keeps its own file
    m_config.listenAddress = address;
    m_config.port = port;
    m_config.portExplicit = true;
    QList<IniEdit> edits{{QStringLiteral("gateway"), QStringLiteral("listen"), address.toString()},
                         {QStringLiteral("gateway"), QStringLiteral("port"), QString::number(port)}};
    if (m_applyReserved) {
        m_config.allowReservedPort = true;
        edits.append({QStringLiteral("gateway"), QStringLiteral("allow-reserved-port"), QStringLiteral("true")});
    }
    const QString error = editIniFile(m_settingsFile, edits);
    m_portStatus->setText(
        error.isEmpty()
            ? tr("Listening on %1 port %2; saved to %3.").arg(address.toString()).arg(port).arg(m_settingsFile)
            : tr("Listening on %1 port %2, but not saved: %3").arg(address.toString()).arg(port).arg(error));
    if (!error.isEmpty())
        m_portStatus->setStyleSheet(QStringLiteral("color: #b00020"));
}

void SettingsView::showPortError(const QString &reason)
{
    // The fields show where the gateway serves, never a port it refused.
    m_applying = false;
    if (m_listeningPort) {
        m_address->setText(m_listeningAddress.toString());
        m_port->setValue(m_listeningPort);
    }
    m_portStatus->setText(
        m_listeningPort
            ? tr("%1. The port is back to %2, where the gateway still serves.").arg(reason).arg(m_listeningPort)
            : reason);
    m_portStatus->setStyleSheet(QStringLiteral("color: #b00020"));
}

void SettingsView::save()
{
    // Only what the admin changed here: a value that came from the file stays as written, one
    // from the command line (--data-dir, --name, --backend, ...) stays out of the file.
    QList<IniEdit> edits;
    GatewayConfig next = m_config;
    if (const QString name = m_name->text().trimmed(); name != m_config.name) {
        if (QString e = next.set(QStringLiteral("name"), name); !e.isEmpty()) {
            m_saveStatus->setText(e);
            return;
        }
        edits.append({QStringLiteral("gateway"), QStringLiteral("name"), name});
    }
    if (const QString mode = m_mode->currentData().toString(); mode != toString(m_config.mode)) {
        next.set(QStringLiteral("mode"), mode);
        edits.append({QStringLiteral("gateway"), QStringLiteral("mode"), mode});
    }
    if (const QString approval = m_approval->currentData().toString(); (approval == u"auto") != m_config.autoApprove) {
        next.set(QStringLiteral("approval"), approval);
        edits.append({QStringLiteral("pki"), QStringLiteral("approval"), approval});
    }
    GatewayConfig table;
    for (int row = 0; row < m_hosts->rowCount(); ++row) {
        const QString name = m_hosts->item(row, 0) ? m_hosts->item(row, 0)->text().trimmed() : QString();
        const QString uri = m_hosts->item(row, 1) ? m_hosts->item(row, 1)->text().trimmed() : QString();
        if (QString e = table.addHost(name, uri); !e.isEmpty()) {
            m_saveStatus->setText(e);
            return;
        }
    }
    if (table.hosts != m_config.hosts) {
        // The backend table owns every [host:NAME] section.
        for (auto it = m_config.hosts.cbegin(); it != m_config.hosts.cend(); ++it)
            if (!table.hosts.contains(it.key()))
                edits.append({QStringLiteral("host:") + it.key(), QString(), QString(), true});
        for (auto it = table.hosts.cbegin(); it != table.hosts.cend(); ++it)
            edits.append({QStringLiteral("host:") + it.key(), QStringLiteral("uri"), it.value().toString()});
        next.hosts = table.hosts;
    }
    if (edits.isEmpty()) {
        m_saveStatus->setText(tr("Nothing changed."));
        return;
    }
    if (const QString error = editIniFile(m_settingsFile, edits); !error.isEmpty()) {
        m_saveStatus->setText(error);
        return;
    }
    m_config = next;
    m_saveStatus->setText(tr("Saved to %1; applied at the next start.").arg(m_settingsFile));
}
