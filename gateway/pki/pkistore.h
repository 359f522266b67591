// Where CSRs, certificates, revocations, telemetry and the admin audit log live. One interface:
// SqlitePkiStore is the embedded default, PostgresPkiStore serves a gateway array.
#pragma once

#include "pkitypes.h"

#include <QList>
#include <functional>
#include <optional>

namespace SeaCat {

class PkiStore
{
public:
    virtual ~PkiStore() = default;

    // Opens (and creates) the store; an error names the file and the fix.
    virtual QString open() = 0;
    // Runs `work` as one transaction that other writers (the admin CLI) cannot interleave with.
    // Everything acknowledged after it returns true is on disk.
    virtual bool transaction(const std::function<bool()> &work) = 0;
    virtual QString lastError() const = 0;
    // Counts every failed call (reads included): callers compare it before and after a
    // sequence of calls to tell "no such row" from "the store did not answer".
    virtual quint64 failures() const = 0;
    // Changes when another process commits: pollers compare it to notice admin actions.
    virtual qint64 externalChangeCounter() = 0;
    // Called from the store's thread's event loop as soon as another process's commit is
    // announced, where the store hears of it (PostgreSQL's NOTIFY); externalChangeCounter() has
    // changed by then. A store that cannot tell (SQLite) is only polled.
    virtual void setExternalChangeHandler(std::function<void()> handler) { (void)handler; }

    virtual std::optional<CsrInfo> csr(qint64 id) = 0;
    virtual std::optional<CsrInfo> latestCsrFor(const QString &clientId) = 0;
    virtual QList<CsrInfo> csrs() = 0;
    virtual int pendingCsrCount() = 0; // -1: error
    // Inserts, or replaces the der/subject of the client's pending CSR; returns the id (0: error).
    virtual qint64 putCsr(const CsrInfo &csr) = 0;
    virtual bool setCsrState(qint64 id, CsrInfo::State state) = 0;

    virtual quint64 allocateSerial() = 0; // increasing, 1-based, ≤ 63 bits; 0: error
    virtual bool addCertificate(const CertificateInfo &certificate) = 0;
    virtual std::optional<CertificateInfo> certificate(quint64 serial) = 0;
    virtual std::optional<CertificateInfo> latestCertificateFor(const QString &clientId) = 0;
    virtual QList<CertificateInfo> certificates() = 0;
    virtual bool revoke(quint64 serial) = 0;

    // The gateways of an array (README "Several gateways"): each registers itself at start.
    virtual bool registerGateway(const GatewayRecord &gateway) = 0;
    virtual QList<GatewayRecord> gateways() = 0;
    // A gateway that is gone for good leaves the list (`array forget`); false if it was not in it.
    virtual bool forgetGateway(const QString &name) = 0;

    virtual bool putTelemetry(const QString &clientId, quint32 serial, const QByteArray &blob) = 0;
    virtual bool audit(const QString &actor, const QString &action, const QString &target, const QString &detail) = 0;
};

} // namespace SeaCat
