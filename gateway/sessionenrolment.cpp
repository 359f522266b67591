#include "sessionenrolment.h"
#include "codec/framewriter.h"
#include "pki/pkiservice.h"

namespace SeaCat {

SessionEnrolment::SessionEnrolment(PkiService *pki, const GatewayConfig &config, const QString &clientId, SendFrame send,
                                   QObject *parent)
    : QObject(parent), m_pki(pki), m_clientId(clientId), m_send(std::move(send))
{
    if (config.mode == GatewayMode::Authorized && clientId.isEmpty()) {
        m_graceTimer.setSingleShot(true);
        m_graceTimer.setInterval(config.authorizedGraceMs);
        connect(&m_graceTimer, &QTimer::timeout, this, &SessionEnrolment::graceExpired);
        m_graceTimer.start();
    }
}

void SessionEnrolment::stop()
{
    m_graceTimer.stop();
}

void SessionEnrolment::noteTraffic()
{
    if (m_graceTimer.isActive())
        m_graceTimer.start();
}

void SessionEnrolment::onCsr(const Csr &frame, const QString &peer)
{
    noteTraffic();
    const PkiService::CsrResult result = m_pki->submitCsr(frame.der, peer);
    if (!result.client.isNull())
        m_enrollingClientId = result.client.id;
    emit log(result.outcome == PkiService::CsrOutcome::Rejected ? LogLevel::Warning : LogLevel::Info,
             QStringLiteral("%1: %2").arg(peer, result.message));
    // §3.9: 0x03 approved at once, 0x01 stored, 0x04 rejected. Answered at once, well inside 20 s.
    const quint8 flags = result.outcome == PkiService::CsrOutcome::Approved ? (FrameFlag::CsrStored | FrameFlag::CsrApproved)
        : result.outcome == PkiService::CsrOutcome::Stored                 ? FrameFlag::CsrStored
                                                                           : FrameFlag::CsrRejected;
    m_send(serialize(CsrReply{flags}));
}

void SessionEnrolment::onCertQuery(const CertQuery &frame, const QString &peer)
{
    noteTraffic();
    // §3.7: anonymous queries carry the key; authenticated ones are known by the TLS certificate.
    QString clientId = m_clientId;
    if (!frame.publicKey.isEmpty())
        clientId = clientKeyIdFromKeyBytes(frame.publicKey).id;
    else if (clientId.isEmpty())
        clientId = m_enrollingClientId;
    if (!clientId.isEmpty())
        m_enrollingClientId = clientId;
    QByteArray der;
    const PkiService::CertAnswer answer = m_pki->queryCertificate(clientId, &der);
    QByteArray bytes = serialize(Cert{frame.queryId, frame.queryType, answer == PkiService::CertAnswer::NotFound, der});
    if (!fitsOutbound(bytes)) {
        emit log(LogLevel::Warning, QStringLiteral("%1: certificate of %2 bytes does not fit a frame").arg(peer).arg(der.size()));
        bytes = serialize(Cert{frame.queryId, frame.queryType, false, {}});
    }
    m_send(bytes);
}

void SessionEnrolment::onTelemetry(const TelemetryCapabilities &frame)
{
    m_pki->storeTelemetry(m_clientId.isEmpty() ? m_enrollingClientId : m_clientId, frame.serial, frame.blob);
    // §3.12, docs/protocol-decisions.md: NUL-separated "key 0x1F value" entries; tolerate anything.
    m_telemetry.clear();
    for (const QByteArray &entry : frame.blob.split('\0')) {
        if (entry.isEmpty() || m_telemetry.size() >= SessionInfo::MaxTelemetryEntries)
            continue;
        m_telemetry.append(QString::fromUtf8(entry.left(256)).replace(QChar(0x1F), u'='));
    }
    // §3.12: the client re-sends until acknowledged.
    m_send(serialize(TelemetryAck{frame.serial}));
}

} // namespace SeaCat
