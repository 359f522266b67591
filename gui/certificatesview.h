// Certificates tab: the CA, pending CSRs (approve / reject), issued and revoked certificates
// (revoke, export). Filled from the engine's PKI pushes (pkiStateChanged); actions go back as
// requests. A pending CSR shows the peer of the live session enrolling its key, looked up in
// the sessions model.
#pragma once

#include "confirmation.h"
#include "pki/pkitypes.h"
#include "sessioninfo.h"

#include <QHash>
#include <QSslCertificate>
#include <QWidget>
#include <functional>

class QLabel;
class QPushButton;
class QTableWidget;
class SessionTableModel;

class CertificatesView final : public QWidget
{
    Q_OBJECT

public:
    explicit CertificatesView(const SessionTableModel *sessions, QWidget *parent = nullptr);

    // What an approval issues: shown in the pending list's confirmation (config cert-validity).
    void setValidityDays(int days) { m_validityDays = days; }
    int pendingCount() const;
    // Asks the admin; tests replace it. Default: a QMessageBox.
    Confirmation::Ask confirm;
    // Picks where to save an export; tests replace it. Default: a QFileDialog. Empty: cancelled.
    std::function<QString(const QString &suggestedName)> chooseFile;

    QLabel *caLabel() const { return m_ca; }
    QTableWidget *csrTable() const { return m_csrs; }
    QTableWidget *certificateTable() const { return m_certs; }
    QPushButton *approveButton() const { return m_approve; }
    QPushButton *rejectButton() const { return m_reject; }
    QPushButton *revokeButton() const { return m_revoke; }

public slots:
    void showPkiState(const SeaCat::PkiState &state);

signals:
    void approveRequested(qint64 csrId);
    void rejectRequested(qint64 csrId);
    void revokeRequested(quint64 serial);
    void pendingCountChanged(int pending);

private:
    void showCaCertificate(const QSslCertificate &ca);
    // Fills the Peer column from the sessions model (after each push and each flush).
    void showEnrollingPeers();
    qint64 selectedCsr() const;
    QString describeCsr(qint64 id) const;
    quint64 selectedSerial() const;
    void exportPem(const QByteArray &pem, const QString &name);

    const SessionTableModel *m_sessions;
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
    QHash<QString, SeaCat::SessionInfo> m_enrolling; // client ID → the live session enrolling it
    int m_validityDays = 365;
};
