#include "pkifacade.h"

#include <QCoreApplication>
#include <QThread>

namespace SeaCat {

PkiFacade::PkiFacade(QObject *parent) : QObject(parent) { }

PkiFacade::~PkiFacade() = default;

template<typename Result, typename Work> Result PkiFacade::call(Result fallback, Work &&work)
{
    if (QThread::currentThread() == thread())
        return m_service ? work(*m_service) : fallback;
    // An event dropped undelivered (the facade gone first) releases the caller too: it then
    // gets the fallback, never a made-up answer.
    Result result = std::move(fallback);
    QMetaObject::invokeMethod(
        this,
        [this, &result, &work] {
            if (m_service)
                result = work(*m_service);
        },
        Qt::BlockingQueuedConnection);
    return result;
}

std::optional<CertificateInfo> PkiFacade::authenticate(const QByteArray &peerCertificateDer, QString *why)
{
    *why = QStringLiteral("the certificate store is not open");
    return call(std::optional<CertificateInfo>(),
                [&](PkiService &pki) { return pki.authenticate(peerCertificateDer, why); });
}

PkiService::CsrResult PkiFacade::submitCsr(const QByteArray &der, const PkiService::CsrContext &context)
{
    // README "Store errors are never rejections": without a service the CSR waits unanswered.
    PkiService::CsrResult unavailable;
    unavailable.outcome = PkiService::CsrOutcome::Unavailable;
    unavailable.message = QStringLiteral("the certificate store is not open");
    return call(unavailable, [&](PkiService &pki) { return pki.submitCsr(der, context); });
}

PkiService::CertAnswer PkiFacade::queryCertificate(const QString &clientId, QByteArray *der)
{
    return call(PkiService::CertAnswer::Pending, [&](PkiService &pki) { return pki.queryCertificate(clientId, der); });
}

bool PkiFacade::storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob)
{
    return call(false, [&](PkiService &pki) { return pki.storeTelemetry(clientId, serial, blob); });
}

void PkiFacade::serveWaitingCalls()
{
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

} // namespace SeaCat
