// What the admin API answers from: the latest snapshots the engine published, kept in the main
// thread from GatewayController's signals (the same ones the GUI's models are fed by). Sessions
// come and go with sessionOpened/sessionClosed, so the map is bounded by the live sessions;
// sessionsUpdated only refreshes sessions already known (a late update never brings a closed
// session back). Reading it never waits for the engine.
#pragma once

#include "../gatewaycontroller.h"

#include <QDateTime>
#include <QObject>
#include <map>

namespace SeaCat {

class GatewayMirror final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayMirror)

public:
    // `controller` outlives the mirror; connect before controller->start() to see every session.
    explicit GatewayMirror(GatewayController *controller, QObject *parent = nullptr);
    ~GatewayMirror() override;

    const GatewayController &controller() const { return *m_controller; }
    // By id: the order sessions opened in, so paging is stable while sessions come and go.
    const std::map<quint64, SessionInfo> &sessions() const { return m_sessions; }
    const SessionInfo *session(quint64 id) const;
    // Open tunnels by id, kept like the sessions: tunnelOpened/tunnelClosed add and remove,
    // tunnelsUpdated refreshes the counters of known ones only.
    const std::map<quint64, TunnelInfo> &tunnels() const { return m_tunnels; }
    const GatewayStats &stats() const { return m_stats; }
    const PkiState &pki() const { return m_pki; }
    const CsrInfo *pendingCsr(qint64 id) const;
    const CertificateInfo *certificate(quint64 serial) const;
    QDateTime startedAt() const { return m_startedAt; }

private:
    GatewayController *m_controller;
    std::map<quint64, SessionInfo> m_sessions;
    std::map<quint64, TunnelInfo> m_tunnels;
    GatewayStats m_stats;
    PkiState m_pki;
    QDateTime m_startedAt = QDateTime::currentDateTimeUtc();
};

} // namespace SeaCat
