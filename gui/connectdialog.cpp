#include "connectdialog.h"
#include "mainwindow.h"
#include "remotegateway.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>

namespace {

// ~/.config/seacat-gateway/seacat-gateway.conf, whatever the application's organisation.
constexpr auto SettingsScope = "seacat-gateway";

struct Recent {
    QString url;
    QString identity;
};

QList<Recent> recentGateways()
{
    QSettings settings{QLatin1String(SettingsScope), QLatin1String(SettingsScope)};
    QList<Recent> recent;
    const int count = qMin(settings.beginReadArray(QStringLiteral("recentGateways")), ConnectDialog::MaxRecent);
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        recent.append(
            {settings.value(QStringLiteral("url")).toString(), settings.value(QStringLiteral("identity")).toString()});
    }
    settings.endArray();
    return recent;
}

void remember(const QUrl &url, const QString &identity)
{
    QList<Recent> recent = recentGateways();
    const QString text = url.toString();
    recent.removeIf([&text](const Recent &r) { return r.url == text; });
    recent.prepend({text, identity});
    QSettings settings{QLatin1String(SettingsScope), QLatin1String(SettingsScope)};
    settings.beginWriteArray(QStringLiteral("recentGateways"));
    for (int i = 0; i < qMin(int(recent.size()), ConnectDialog::MaxRecent); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("url"), recent[i].url);
        settings.setValue(QStringLiteral("identity"), recent[i].identity);
    }
    settings.endArray();
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_url(new QComboBox), m_identity(new QLineEdit), m_error(new QLabel)
{
    setWindowTitle(tr("Connect to gateway"));
    m_url->setEditable(true);
    m_url->setMinimumWidth(360);
    const QList<Recent> recent = recentGateways();
    for (const Recent &r : recent)
        m_url->addItem(r.url, r.identity);
    if (recent.isEmpty())
        m_url->setEditText(QStringLiteral("http://127.0.0.1:9543"));
    m_identity->setText(recent.isEmpty() ? QString() : recent.first().identity);
    m_identity->setPlaceholderText(tr("none: the gateway's own machine (loopback)"));
    connect(m_url, &QComboBox::activated, this,
            [this](int index) { m_identity->setText(m_url->itemData(index).toString()); });
    auto *browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString directory =
            QFileDialog::getExistingDirectory(this, tr("Workstation identity"), m_identity->text());
        if (!directory.isEmpty())
            m_identity->setText(directory);
    });
    auto *identityRow = new QHBoxLayout;
    identityRow->addWidget(m_identity, 1);
    identityRow->addWidget(browse);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);

    auto *form = new QFormLayout(this);
    form->addRow(tr("Admin API"), m_url);
    form->addRow(tr("Identity (seacat-gateway admin issue)"), identityRow);
    form->addRow(m_error);
    form->addRow(buttons);
}

QUrl ConnectDialog::url() const
{
    return QUrl::fromUserInput(m_url->currentText().trimmed());
}

QString ConnectDialog::identity() const
{
    return m_identity->text().trimmed();
}

void ConnectDialog::accept()
{
    QString error;
    if (MainWindow *window = openWindow(url(), identity(), &error)) {
        window->show();
        QDialog::accept();
        return;
    }
    m_error->setText(error);
}

MainWindow *ConnectDialog::openWindow(const QUrl &url, const QString &identity, QString *error)
{
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty()) {
        *error =
            tr("'%1' is not the admin API's address (http://127.0.0.1:9543, https://HOST:PORT)").arg(url.toString());
        return nullptr;
    }
    auto link = std::make_unique<RemoteGateway>(url);
    if (!identity.isEmpty())
        if (*error = link->setIdentity(identity); !error->isEmpty())
            return nullptr;
    if (url.scheme() == u"https" && identity.isEmpty()) {
        *error = tr("https needs a workstation identity (seacat-gateway admin issue NAME DIR on the server)");
        return nullptr;
    }
    SeaCat::GatewayConfig config;
    config.name = url.authority();
    auto *window = new MainWindow(link.get(), config, QString());
    window->setAttribute(Qt::WA_DeleteOnClose);
    // The link outlives the window's widgets: deleted after them, it signals nothing into them.
    QObject::connect(window, &QObject::destroyed, [gateway = link.get()] { delete gateway; });
    link.release()->start();
    remember(url, identity);
    return window;
}
