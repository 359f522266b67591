// The PKI service as the engine's workers reach it. One thread owns the PkiService and its
// SQLite connection (Qt SQL connections belong to the thread that opened them): the engine's
// thread. A worker's session calls this facade from its own thread; the call runs in the
// owner's thread while the worker waits (Qt::BlockingQueuedConnection), so each call sees the
// store, the CSR budget and the issued serials exactly as a single-threaded engine would, and
// no lock is needed anywhere. A call costs a worker what it cost the one engine thread
// before, plus a thread hop.
//
// Deadlock rule: the owner thread never blocks on a worker. Where it must wait for one (the
// join at stop), it serves the calls waiting for it meanwhile (serveWaitingCalls()).
#pragma once

#include "pki/pkiservice.h"

#include <QObject>
#include <optional>

namespace SeaCat {

class PkiFacade final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PkiFacade)

public:
    explicit PkiFacade(QObject *parent = nullptr);
    ~PkiFacade() override;

    // The service the calls reach; set in the owner thread before any worker runs.
    void setService(PkiService *service) { m_service = service; }

    // PkiService's session-side calls, callable from any thread.
    std::optional<CertificateInfo> authenticate(const QByteArray &peerCertificateDer, QString *why);
    PkiService::CsrResult submitCsr(const QByteArray &der, const PkiService::CsrContext &context);
    PkiService::CertAnswer queryCertificate(const QString &clientId, QByteArray *der);
    bool storeTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob);

    // Owner thread: runs the calls that workers are blocked on.
    void serveWaitingCalls();

private:
    // Runs `work(service)` in the owner thread; `fallback` when there is no service.
    template<typename Result, typename Work> Result call(Result fallback, Work &&work);

    PkiService *m_service = nullptr;
};

} // namespace SeaCat
