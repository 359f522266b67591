#include "certificatesview.h"

#include <QFileDialog>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>

namespace {

constexpr int RenewalWarningDays = 30;
constexpr int CsrTagColumn = 2;
constexpr int CsrClientIdColumn = 3;
constexpr int CertificateTagColumn = 3;
constexpr int ClientIdPrefix = 16;   // hex digits: enough to tell keys apart at a glance

QString clientIdPrefix(const QString &clientId)
{
    return clientId.left(ClientIdPrefix) + QStringLiteral("…");
}

QTableWidget *makeTable(const QStringList &headers)
{
    auto *table = new QTableWidget(0, int(headers.size()));
    table->setHorizontalHeaderLabels(headers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->hide();
    table->setTextElideMode(Qt::ElideNone); // columns fit their contents; an ID prefix ends in its own "…"
    return table;
}

QTableWidgetItem *item(const QString &text, const QVariant &key = {})
{
    auto *i = new QTableWidgetItem(text);
    if (key.isValid())
        i->setData(Qt::UserRole, key);
    return i;
}

QString date(const QDateTime &t)
{
    return QLocale().toString(t.toLocalTime(), QLocale::ShortFormat);
}

} // namespace

CertificatesView::CertificatesView(QWidget *parent)
    : QWidget(parent), m_ca(new QLabel), m_exportCa(new QPushButton(tr("Export CA certificate…"))),
      m_csrs(makeTable({tr("ID"), tr("Received"), tr("Client tag"), tr("Client ID"), tr("Key"), tr("Subject")})),
      m_certs(makeTable({tr("Serial"), tr("Status"), tr("Expires"), tr("Client tag"), tr("Subject")})),
      m_approve(new QPushButton(tr("Approve…"))), m_reject(new QPushButton(tr("Reject…"))),
      m_revoke(new QPushButton(tr("Revoke…"))), m_exportCert(new QPushButton(tr("Export…")))
{
    confirm = Confirmation::messageBox(this);
    chooseFile = [this](const QString &name) {
        return QFileDialog::getSaveFileName(this, tr("Export certificate"), name, tr("PEM certificates (*.pem)"));
    };
    m_ca->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_ca->setWordWrap(true);

    auto *caBox = new QGroupBox(tr("Certificate authority"));
    auto *caLayout = new QHBoxLayout(caBox);
    caLayout->addWidget(m_ca, 1);
    caLayout->addWidget(m_exportCa);

    auto *csrBox = new QGroupBox(tr("Pending certificate requests"));
    auto *csrLayout = new QVBoxLayout(csrBox);
    csrLayout->addWidget(m_csrs);
    auto *csrButtons = new QHBoxLayout;
    csrButtons->addStretch();
    csrButtons->addWidget(m_approve);
    csrButtons->addWidget(m_reject);
    csrLayout->addLayout(csrButtons);

    auto *certBox = new QGroupBox(tr("Issued and revoked certificates"));
    auto *certLayout = new QVBoxLayout(certBox);
    certLayout->addWidget(m_certs);
    auto *certButtons = new QHBoxLayout;
    certButtons->addStretch();
    certButtons->addWidget(m_exportCert);
    certButtons->addWidget(m_revoke);
    certLayout->addLayout(certButtons);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(caBox);
    layout->addWidget(csrBox, 1);
    layout->addWidget(certBox, 1);

    // The Client Tag is what the admin compares with the device: no column but the subject
    // (the last, stretched) is ever cut off.
    for (QTableWidget *table : {m_csrs, m_certs})
        for (int column = 0; column + 1 < table->columnCount(); ++column)
            table->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);

    connect(m_approve, &QPushButton::clicked, this, [this] {
        const qint64 id = selectedCsr();
        if (id > 0 && confirm(tr("Issue a client certificate for request %1?").arg(id) + describeCsr(id)))
            emit approveRequested(id);
    });
    connect(m_reject, &QPushButton::clicked, this, [this] {
        const qint64 id = selectedCsr();
        if (id > 0 && confirm(tr("Reject request %1? The client cannot enrol with this key again.").arg(id) + describeCsr(id)))
            emit rejectRequested(id);
    });
    connect(m_revoke, &QPushButton::clicked, this, [this] {
        const quint64 serial = selectedSerial();
        if (serial > 0 && confirm(tr("Revoke certificate %1? Its client is disconnected at once.").arg(serial)))
            emit revokeRequested(serial);
    });
    connect(m_exportCert, &QPushButton::clicked, this, [this] {
        const quint64 serial = selectedSerial();
        for (const auto &c : std::as_const(m_certificates))
            if (c.serial == serial)
                exportPem(QSslCertificate(c.der, QSsl::Der).toPem(), QStringLiteral("client-%1.pem").arg(serial));
    });
    connect(m_exportCa, &QPushButton::clicked, this, [this] { exportPem(m_caCert.toPem(), QStringLiteral("ca.pem")); });
    setCaCertificate(QSslCertificate());
}

void CertificatesView::setCaCertificate(const QSslCertificate &ca)
{
    m_caCert = ca;
    m_exportCa->setEnabled(!ca.isNull());
    if (ca.isNull()) {
        m_ca->setText(tr("The CA appears when the gateway has started."));
        return;
    }
    m_ca->setText(tr("<b>%1</b><br>SHA-256 %2<br>valid until %3")
                      .arg(ca.subjectDisplayName().toHtmlEscaped(),
                           QString::fromLatin1(ca.digest(QCryptographicHash::Sha256).toHex(':').toUpper()),
                           date(ca.expiryDate())));
}

void CertificatesView::showSnapshot(const QList<SeaCat::CsrInfo> &csrs, const QList<SeaCat::CertificateInfo> &certificates)
{
    const int pendingBefore = pendingCount();
    m_csrs->setRowCount(0);
    m_pending.clear();
    for (const auto &c : csrs) {
        if (c.state != SeaCat::CsrInfo::State::Pending)
            continue;
        m_pending.append(c);
        const int row = m_csrs->rowCount();
        m_csrs->insertRow(row);
        m_csrs->setItem(row, 0, item(QString::number(c.id), c.id));
        m_csrs->setItem(row, 1, item(date(c.received)));
        m_csrs->setItem(row, CsrTagColumn, item(c.clientTag));
        m_csrs->setItem(row, CsrClientIdColumn, item(clientIdPrefix(c.clientId)));
        m_csrs->setItem(row, 4, item(c.keyType));
        m_csrs->setItem(row, 5, item(c.subject.isEmpty() ? tr("(empty)") : c.subject));
    }
    if (pendingCount() != pendingBefore)
        emit pendingCountChanged(pendingCount());
    m_certificates = certificates;
    m_certs->setRowCount(0);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const auto &c : certificates) {
        const int row = m_certs->rowCount();
        m_certs->insertRow(row);
        const QString status = c.isRevoked() ? tr("revoked") : c.isValidNow() ? tr("valid") : tr("expired");
        m_certs->setItem(row, 0, item(QString::number(c.serial), c.serial));
        m_certs->setItem(row, 1, item(status));
        auto *expiry = item(date(c.notAfter));
        // Expiry close: amber; past or revoked: grey.
        if (!c.isRevoked() && c.notAfter > now && now.daysTo(c.notAfter) <= RenewalWarningDays)
            expiry->setBackground(QColor(255, 200, 80));
        if (!c.isValidNow())
            expiry->setForeground(Qt::gray);
        m_certs->setItem(row, 2, expiry);
        m_certs->setItem(row, CertificateTagColumn, item(c.clientTag));
        m_certs->setItem(row, 4, item(c.subject));
    }
    m_approve->setEnabled(m_csrs->rowCount() > 0);
    m_reject->setEnabled(m_csrs->rowCount() > 0);
    m_revoke->setEnabled(m_certs->rowCount() > 0);
    m_exportCert->setEnabled(m_certs->rowCount() > 0);
}

int CertificatesView::pendingCount() const
{
    return int(m_pending.size());
}

QString CertificatesView::describeCsr(qint64 id) const
{
    for (const auto &c : m_pending) {
        if (c.id != id)
            continue;
        const QDateTime until = QDateTime::currentDateTimeUtc().addDays(m_validityDays);
        return QStringLiteral("\n\n")
            + tr("Subject: %1\nClient Tag: %2\nClient ID: %3\nKey: %4\nReceived: %5\nCertificate valid for %6 days, until %7")
                  .arg(c.subject.isEmpty() ? tr("(empty)") : c.subject, c.clientTag, clientIdPrefix(c.clientId), c.keyType,
                       date(c.received))
                  .arg(m_validityDays)
                  .arg(QLocale().toString(until.toLocalTime().date(), QLocale::ShortFormat));
    }
    return {};
}

qint64 CertificatesView::selectedCsr() const
{
    const auto rows = m_csrs->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : m_csrs->item(rows.first().row(), 0)->data(Qt::UserRole).toLongLong();
}

quint64 CertificatesView::selectedSerial() const
{
    const auto rows = m_certs->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : m_certs->item(rows.first().row(), 0)->data(Qt::UserRole).toULongLong();
}

void CertificatesView::exportPem(const QByteArray &pem, const QString &name)
{
    const QString path = chooseFile(name);
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(pem) != pem.size() || !file.commit())
        QMessageBox::warning(this, tr("Export failed"), tr("Cannot write %1: %2").arg(path, file.errorString()));
}
