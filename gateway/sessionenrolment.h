// The enrolment side of one session (§3.6–§3.9, §3.12): answers CSR and CERT_QUERY through the
// PKI service, stores the client's telemetry, and in `authorized` mode gives up on an
// unauthenticated session that stops enrolling (README "Gateway modes").
// Lives in the engine thread with its Session; `send` writes one frame to the client.
#pragma once

#include "codec/frames.h"
#include "gatewayconfig.h"
#include "tokenbucket.h"
#include "sessioninfo.h"

#include <QBasicTimer>
#include <QDeadlineTimer>
#include <QObject>
#include <QStringList>
#include <functional>
#include <optional>

namespace SeaCat {

class PkiFacade;

class SessionEnrolment final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionEnrolment)

public:
    using SendFrame = std::function<void(const QByteArray &frame)>;

    // `clientId`, `certificateSerial`: the authenticated client and the certificate it
    // presented; empty and 0 on an anonymous session.
    SessionEnrolment(PkiFacade *pki, const GatewayConfig &config, const QString &clientId, quint64 certificateSerial,
                     SendFrame send, QObject *parent = nullptr);

    // The client whose key this session enrols (learnt from a CSR, a CERT_QUERY or a client
    // certificate the store did not accept).
    QString enrollingClientId() const { return m_enrollingClientId; }
    void setEnrollingClientId(const QString &clientId) { m_enrollingClientId = clientId; }
    // The client's capability entries ("key=value"), at most SessionInfo::MaxTelemetryEntries.
    QStringList telemetry() const { return m_telemetry; }
    // CSRs refused by a budget (size, rates, one key per session, the pending cap).
    quint64 refusedCsrs() const { return m_refusedCsrs; }

    void onCsr(const Csr &frame, const QString &peer);
    void onCertQuery(const CertQuery &frame, const QString &peer);
    void onTelemetry(const TelemetryCapabilities &frame);
    void stop();

signals:
    void log(SeaCat::LogLevel level, const QString &message);
    // `authorized` mode: no enrolment traffic within the grace period.
    void graceExpired();

private:
    void noteTraffic();
    void submit(const QByteArray &der, const QString &peer, bool retry);
    void refused(const QString &message);
    // §3.12 "store per client, then ACK": the pending set is stored and ACKed once the
    // client's identity is known and the store takes it.
    void storePendingTelemetry();
    QString identity() const { return m_clientId.isEmpty() ? m_enrollingClientId : m_clientId; }
    void retryDeferred();
    void timerEvent(QTimerEvent *event) override;

    PkiFacade *m_pki;
    QString m_clientId;
    quint64 m_certificateSerial;
    QString m_enrollingClientId;
    QString m_sessionKey; // the key this session enrols: one per session
    SendFrame m_send;
    QStringList m_telemetry;
    // Timers without a QObject each: every session has this object.
    QBasicTimer m_graceTimer;
    int m_graceMs;
    TokenBucket m_csrBudget;
    quint64 m_refusedCsrs = 0;
    // Issue 16 item 3: work the store could not take yet, retried every Limits::PkiStoreRetryMs.
    std::optional<QByteArray> m_deferredCsr;
    QString m_deferredPeer;
    QDeadlineTimer m_deferredCsrDeadline;
    std::optional<TelemetryCapabilities> m_pendingTelemetry; // the latest set only
    QBasicTimer m_retryTimer;
};

} // namespace SeaCat
