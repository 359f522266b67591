// The enrolment side of one session (§3.6–§3.9, §3.12): answers CSR and CERT_QUERY through the
// PKI service, stores the client's telemetry, and in `authorized` mode gives up on an
// unauthenticated session that stops enrolling (README "Gateway modes").
#pragma once

#include "codec/frames.h"
#include "gatewayconfig.h"
#include "sessioninfo.h"

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <functional>

namespace SeaCat {

class PkiService;

class SessionEnrolment final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionEnrolment)

public:
    using SendFrame = std::function<void(const QByteArray &frame)>;

    // `clientId`: the authenticated client, empty on an anonymous session.
    SessionEnrolment(PkiService *pki, const GatewayConfig &config, const QString &clientId, SendFrame send,
                     QObject *parent = nullptr);

    // The client whose key this session enrols (learnt from a CSR, a CERT_QUERY or a client
    // certificate the store did not accept).
    QString enrollingClientId() const { return m_enrollingClientId; }
    void setEnrollingClientId(const QString &clientId) { m_enrollingClientId = clientId; }
    // The client's capability entries ("key=value"), at most SessionInfo::MaxTelemetryEntries.
    QStringList telemetry() const { return m_telemetry; }

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

    PkiService *m_pki;
    QString m_clientId;
    QString m_enrollingClientId;
    SendFrame m_send;
    QStringList m_telemetry;
    QTimer m_graceTimer;
};

} // namespace SeaCat
