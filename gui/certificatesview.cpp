#include "certificatesview.h"
#include "portpolicy.h"
#include "sessiontablemodel.h"

#include <QFileDialog>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSet>
#include <QTableWidget>

namespace {

constexpr int RenewalWarningDays = 30;
constexpr int CsrTagColumn = 2;
constexpr int CsrClientIdColumn = 3;
constexpr int CsrKeyColumn = 4;
constexpr int CsrPeerColumn = 5;
constexpr int CsrSubjectColumn = 6;
constexpr int CertificateTagColumn = 3;
constexpr int ClientIdPrefix = 16; // hex digits: enough to tell keys apart at a glance

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

CertificatesView::CertificatesView(const SessionTableModel *sessions, QWidget *parent)
    : QWidget(parent), m_sessions(sessions), m_ca(new QLabel),
      m_exportCa(new QPushButton(tr("Export CA certificate…"))),
      m_csrs(makeTable(
          {tr("ID"), tr("Received"), tr("Client tag"), tr("Client ID"), tr("Key"), tr("Peer"), tr("Subject")})),
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
        if (id > 0 &&
            confirm(tr("Reject request %1? The client cannot enrol with this key again.").arg(id) + describeCsr(id)))
            emit rejectRequested(id);
    });
    connect(m_revoke, &QPushButton::clicked, this, [this] {
        const quint64 serial = selectedSerial();
        if (serial > 0 && confirm(tr("Revoke certificate %1? Its client is disconnected at once.").arg(serial)))
            emit revokeRequested(serial);
    });
    connect(m_exportCert, &QPushButton::clicked, this, [this] {
        const quint64 serial = selectedSerial();
        for (const auto &c : std::as_const(m_certificates)) {
            if (c.serial != serial)
                continue;
            // A remote gateway's list comes without the certificates themselves (README "The
            // window on a remote gateway").
            if (c.der.isEmpty())
                QMessageBox::information(
                    this, tr("Export certificate"),
                    tr("Certificate %1 itself is not at hand here: seacat-gateway ctl pki export %1").arg(serial));
            else
                exportPem(QSslCertificate(c.der, QSsl::Der).toPem(), QStringLiteral("client-%1.pem").arg(serial));
        }
    });
    connect(m_exportCa, &QPushButton::clicked, this, [this] { exportPem(m_caCert.toPem(), QStringLiteral("ca.pem")); });
    connect(m_sessions, &SessionTableModel::flushed, this, &CertificatesView::showEnrollingPeers);
    connect(m_sessions, &QAbstractItemModel::modelReset, this, &CertificatesView::showEnrollingPeers);
    showCaCertificate(QSslCertificate());
}

void CertificatesView::showCaCertificate(const QSslCertificate &ca)
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

void CertificatesView::showPkiState(const SeaCat::PkiState &state)
{
    showCaCertificate(QSslCertificate(state.caCertificatePem));
    const int pendingBefore = pendingCount();
    m_csrs->setRowCount(0);
    m_pending = state.pendingCsrs;
    for (const auto &c : std::as_const(m_pending)) {
        const int row = m_csrs->rowCount();
        m_csrs->insertRow(row);
        m_csrs->setItem(row, 0, item(QString::number(c.id), c.id));
        m_csrs->setItem(row, 1, item(date(c.received)));
        m_csrs->setItem(row, CsrTagColumn, item(c.clientTag));
        m_csrs->setItem(row, CsrClientIdColumn, item(clientIdPrefix(c.clientId)));
        m_csrs->setItem(row, CsrKeyColumn, item(c.keyType));
        m_csrs->setItem(row, CsrPeerColumn, item(QString()));
        m_csrs->setItem(row, CsrSubjectColumn, item(c.subject.isEmpty() ? tr("(empty)") : c.subject));
    }
    showEnrollingPeers();
    if (pendingCount() != pendingBefore)
        emit pendingCountChanged(pendingCount());
    m_certificates = state.certificates;
    m_certs->setRowCount(0);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const auto &c : std::as_const(m_certificates)) {
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

void CertificatesView::showEnrollingPeers()
{
    m_enrolling.clear();
    if (m_pending.isEmpty())
        return;
    QSet<QString> wanted;
    for (const auto &c : std::as_const(m_pending))
        wanted.insert(c.clientId);
    // One pass over the sessions; of two sessions enrolling one key, the newer one.
    for (int row = 0; row < m_sessions->rowCount(); ++row) {
        const SeaCat::SessionInfo s = m_sessions->session(row);
        if (wanted.contains(s.enrollingClientId) && s.id > m_enrolling.value(s.enrollingClientId).id)
            m_enrolling.insert(s.enrollingClientId, s);
    }
    for (int row = 0; row < m_csrs->rowCount(); ++row) {
        const auto session = m_enrolling.constFind(m_pending.at(row).clientId);
        QTableWidgetItem *peer = m_csrs->item(row, CsrPeerColumn);
        if (session == m_enrolling.cend()) {
            peer->setText(tr("not connected"));
            peer->setForeground(Qt::gray);
            peer->setToolTip({});
        } else {
            peer->setText(SeaCat::formatEndpoint(session->peerAddress, session->peerPort));
            peer->setForeground(palette().text());
            peer->setToolTip(tr("session %1, connected since %2").arg(session->id).arg(date(session->since)));
        }
    }
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
        const auto session = m_enrolling.constFind(c.clientId);
        const QString peer = session == m_enrolling.cend()
                                 ? tr("not connected")
                                 : tr("%1 (session %2)")
                                       .arg(SeaCat::formatEndpoint(session->peerAddress, session->peerPort))
                                       .arg(session->id);
        return QStringLiteral("\n\n") + tr("Subject: %1\nClient Tag: %2\nClient ID: %3\nKey: %4\nPeer: %5\nReceived: "
                                           "%6\nCertificate valid for %7 days, until %8")
                                            .arg(c.subject.isEmpty() ? tr("(empty)") : c.subject, c.clientTag,
                                                 clientIdPrefix(c.clientId), c.keyType, peer, date(c.received))
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
