// Certificates tab: the CA, pending CSRs (approve / reject), issued and revoked certificates
// (revoke, export). Filled from the controller's pkiSnapshot; actions go back as requests.
#pragma once

#include "confirmation.h"
#include "pki/pkitypes.h"

#include <QSslCertificate>
#include <QWidget>
#include <functional>

class QLabel;
class QPushButton;
class QTableWidget;

class CertificatesView final : public QWidget
{
    Q_OBJECT

public:
    explicit CertificatesView(QWidget *parent = nullptr);

    void setCaCertificate(const QSslCertificate &ca);
    // What an approval issues: shown in the pending list's confirmation (config cert-validity).
    void setValidityDays(int days) { m_validityDays = days; }
    int pendingCount() const;
    // Asks the admin; tests replace it. Default: a QMessageBox.
    Confirmation::Ask confirm;
    // Picks where to save an export; tests replace it. Default: a QFileDialog. Empty: cancelled.
    std::function<QString(const QString &suggestedName)> chooseFile;

    QTableWidget *csrTable() const { return m_csrs; }
    QTableWidget *certificateTable() const { return m_certs; }
    QPushButton *approveButton() const { return m_approve; }
    QPushButton *rejectButton() const { return m_reject; }
    QPushButton *revokeButton() const { return m_revoke; }

public slots:
    void showSnapshot(const QList<SeaCat::CsrInfo> &csrs, const QList<SeaCat::CertificateInfo> &certificates);

signals:
    void approveRequested(qint64 csrId);
    void rejectRequested(qint64 csrId);
    void revokeRequested(quint64 serial);
    void pendingCountChanged(int pending);

private:
    qint64 selectedCsr() const;
    QString describeCsr(qint64 id) const;
    quint64 selectedSerial() const;
    void exportPem(const QByteArray &pem, const QString &name);

    QLabel *m_ca;
    QPushButton *m_exportCa;
    QTableWidget *m_csrs;
    QTableWidget *m_certs;
    QPushButton *m_approve;
    QPushButton *m_reject;
    QPushButton *m_revoke;
    QPushButton *m_exportCert;
    QSslCertificate m_caCert;
    QList<SeaCat::CertificateInfo> m_certificates;
    QList<SeaCat::CsrInfo> m_pending;
    int m_validityDays = 365;
};
