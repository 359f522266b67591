// What the engine reports, declared once: GatewayEngine emits these in its thread, and
// GatewayController re-emits every one of them in the caller's thread through a single
// forwarding loop over this meta-object (no second list of signals to keep in step).
// Only value snapshots travel; observers connect to the controller.
#pragma once

#include "loglevel.h"
#include "pki/pkitypes.h"
#include "sessioninfo.h"
#include "tunnel/tunnelinfo.h"

#include <QObject>

namespace SeaCat {

class GatewayEvents : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayEvents)

protected:
    explicit GatewayEvents(QObject *parent = nullptr) : QObject(parent) { }

signals:
    void portChangeFailed(const QString &reason);
    void sessionOpened(const SeaCat::SessionInfo &info);
    void sessionClosed(quint64 id, const QString &reason);
    void sessionsUpdated(const QList<SeaCat::SessionInfo> &sessions);
    void statsUpdated(const SeaCat::GatewayStats &stats);
    void connectionRejected(const QString &summary);
    void logMessage(SeaCat::LogLevel level, const QString &message);
    void csrReceived(const SeaCat::CsrInfo &csr);
    void certificateIssued(const SeaCat::CertificateInfo &certificate);
    void certificateRevoked(quint64 serial);
    void certificateExpiringSoon(const SeaCat::CertificateInfo &certificate);
    // The whole PKI state, CA included: once at start, then after every change (a CSR, an
    // approval, a revocation, the admin CLI), coalesced so that a burst of changes is one push.
    void pkiStateChanged(const SeaCat::PkiState &state);
    void pkiActionFailed(const QString &reason);
    // README "Several gateways": the certificate store stopped answering (`reason`) or answers
    // again (available, no reason).
    void pkiStoreAvailabilityChanged(bool available, const QString &reason);
    // README "Reaching a device through its session". A failure names the id openTunnel() or
    // closeTunnel() was given; an open tunnel's counters come every publish interval.
    void tunnelOpened(const SeaCat::TunnelInfo &info);
    void tunnelFailed(quint64 tunnelId, const QString &reason);
    void tunnelClosed(quint64 tunnelId, const QString &reason);
    void tunnelsUpdated(const QList<SeaCat::TunnelInfo> &tunnels);
};

} // namespace SeaCat
