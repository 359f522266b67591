#include "sessionenrolment.h"
#include "codec/framewriter.h"
#include "pkifacade.h"

#include <QTimerEvent>

namespace SeaCat {

SessionEnrolment::SessionEnrolment(PkiFacade *pki, const GatewayConfig &config, const QString &clientId,
                                   quint64 certificateSerial, SendFrame send, QObject *parent)
    : QObject(parent), m_pki(pki), m_clientId(clientId), m_certificateSerial(certificateSerial),
      m_send(std::move(send)), m_graceMs(config.authorizedGraceMs),
      m_csrBudget(TokenBucket::oneEvery(config.csrSessionBurst, config.csrSessionIntervalMs))
{
    if (config.mode == GatewayMode::Authorized && clientId.isEmpty())
        m_graceTimer.start(m_graceMs, this);
}

void SessionEnrolment::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_graceTimer.timerId()) {
        m_graceTimer.stop();
        emit graceExpired();
    } else if (event->timerId() == m_retryTimer.timerId()) {
        m_retryTimer.stop();
        retryDeferred();
    } else {
        QObject::timerEvent(event);
    }
}

void SessionEnrolment::stop()
{
    m_graceTimer.stop();
    m_retryTimer.stop();
}

void SessionEnrolment::noteTraffic()
{
    if (m_graceTimer.isActive())
        m_graceTimer.start(m_graceMs, this);
}

void SessionEnrolment::refused(const QString &message)
{
    // A flood is counted, not narrated: the first refusal and every 100th are logged.
    if (++m_refusedCsrs % 100 == 1)
        emit log(LogLevel::Warning,
                 QStringLiteral("%1 (%2 CSR(s) refused on this connection)").arg(message).arg(m_refusedCsrs));
}

void SessionEnrolment::onCsr(const Csr &frame, const QString &peer)
{
    noteTraffic();
    // Issue 8 item 5: the per-session budget, before the CSR costs anything. 0x00 is the
    // documented "refused to store" (§3.9): the client waits and polls, it does not go fatal.
    if (!m_csrBudget.take()) {
        refused(QStringLiteral(
                    "CSR from %1 refused: the connection's CSR rate (csr-session-burst, csr-session-interval) is spent")
                    .arg(peer));
        m_send(serialize(CsrReply{0}));
        return;
    }
    m_deferredCsr.reset(); // a newer CSR replaces one the store could not take yet
    submit(frame.der, peer, false);
}

void SessionEnrolment::submit(const QByteArray &der, const QString &peer, bool retry)
{
    const PkiService::CsrResult result =
        m_pki->submitCsr(der, {peer, m_clientId, m_certificateSerial, m_sessionKey, retry});
    // A refused CSR (a second key on this connection) names no one: the identity stays.
    if (!result.client.isNull() && result.outcome != PkiService::CsrOutcome::Refused)
        m_enrollingClientId = result.client.id;
    if (result.outcome == PkiService::CsrOutcome::Unavailable) {
        // Issue 16 item 3: never 0x04 for a store that did not answer; no reply yet, retried
        // here, and the client resends by itself after 20 s (§3.6).
        if (!retry) {
            m_deferredCsr = der;
            m_deferredPeer = peer;
            m_deferredCsrDeadline.setRemainingTime(Limits::CsrRetryWindowMs);
            emit log(LogLevel::Warning, QStringLiteral("%1: %2").arg(peer, result.message));
        }
        m_retryTimer.start(Limits::PkiStoreRetryMs, this);
        return;
    }
    m_deferredCsr.reset();
    if (result.outcome == PkiService::CsrOutcome::Approved || result.outcome == PkiService::CsrOutcome::Stored)
        m_sessionKey = result.client.id;
    if (result.limit != PkiService::CsrLimit::None)
        refused(result.message);
    else
        emit log(result.outcome == PkiService::CsrOutcome::Rejected ? LogLevel::Warning : LogLevel::Info,
                 QStringLiteral("%1: %2").arg(peer, result.message));
    // §3.9: 0x03 approved at once, 0x01 stored, 0x04 rejected, 0x00 refused. Well inside 20 s.
    quint8 flags = 0;
    switch (result.outcome) {
    case PkiService::CsrOutcome::Approved:
        flags = FrameFlag::CsrStored | FrameFlag::CsrApproved;
        break;
    case PkiService::CsrOutcome::Stored:
        flags = FrameFlag::CsrStored;
        break;
    case PkiService::CsrOutcome::Rejected:
        flags = FrameFlag::CsrRejected;
        break;
    case PkiService::CsrOutcome::Refused:
    case PkiService::CsrOutcome::Unavailable:
        flags = 0;
        break;
    }
    m_send(serialize(CsrReply{flags}));
    storePendingTelemetry(); // the client's identity may be known now
}

void SessionEnrolment::retryDeferred()
{
    if (m_deferredCsr) {
        if (m_deferredCsrDeadline.hasExpired()) {
            emit log(LogLevel::Warning,
                     QStringLiteral("%1: CSR dropped unanswered after %2 s of store errors; the client resends it")
                         .arg(m_deferredPeer)
                         .arg(Limits::CsrRetryWindowMs / 1000));
            m_deferredCsr.reset();
        } else {
            submit(*m_deferredCsr, m_deferredPeer, true);
        }
    }
    storePendingTelemetry();
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
        emit log(LogLevel::Warning,
                 QStringLiteral("%1: certificate of %2 bytes does not fit a frame").arg(peer).arg(der.size()));
        bytes = serialize(Cert{frame.queryId, frame.queryType, false, {}});
    }
    m_send(bytes);
    storePendingTelemetry(); // a keyed query names the client
}

void SessionEnrolment::onTelemetry(const TelemetryCapabilities &frame)
{
    // §3.12, docs/protocol-decisions.md: NUL-separated "key 0x1F value" entries; tolerate anything.
    m_telemetry.clear();
    for (const QByteArray &entry : frame.blob.split('\0')) {
        if (entry.isEmpty() || m_telemetry.size() >= SessionInfo::MaxTelemetryEntries)
            continue;
        m_telemetry.append(QString::fromUtf8(entry.left(256)).replace(QChar(0x1F), u'='));
    }
    // Issue 16 item 6: the client re-sends until acknowledged, so only what is stored is ACKed.
    // One set waits per session (the latest; a newer serial supersedes it).
    m_pendingTelemetry = frame;
    storePendingTelemetry();
}

void SessionEnrolment::storePendingTelemetry()
{
    if (!m_pendingTelemetry)
        return;
    const QString clientId = identity();
    if (clientId.isEmpty())
        return; // no identity yet: a CSR or a keyed CERT_QUERY will bring it
    if (!m_pki->storeTelemetry(clientId, m_pendingTelemetry->serial, m_pendingTelemetry->blob)) {
        m_retryTimer.start(Limits::PkiStoreRetryMs, this);
        return;
    }
    m_send(serialize(TelemetryAck{m_pendingTelemetry->serial}));
    m_pendingTelemetry.reset();
}

} // namespace SeaCat
