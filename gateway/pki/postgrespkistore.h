// The shared store of a gateway array (README "Several gateways"): PostgreSQL through Qt SQL's
// QPSQL driver. What it adds to SqlPkiStore: one writer at a time across every gateway (an
// advisory lock taken by each write transaction, as SQLite's BEGIN IMMEDIATE does on one
// machine), serials from a database sequence, a commit elsewhere noticed at once through
// LISTEN/NOTIFY, and every call bounded in time on the engine thread (lock_timeout,
// statement_timeout, connect_timeout; a broken connection reopened at most once a second).
#pragma once

#include "sqlpkistore.h"

#include <QDeadlineTimer>

namespace SeaCat {

class PostgresPkiStore final : public SqlPkiStore
{
public:
    // The NOTIFY channel the schema's triggers announce every change to csrs and certificates on.
    static inline const QString Channel = QStringLiteral("seacat_pki");
    // Every write transaction holds this advisory lock (pg_advisory_xact_lock), so writers on
    // all gateways take turns, as SQLite's one writer does: the interface promises that no
    // writer interleaves with a transaction, and "the same CSR again" must not become two rows.
    static constexpr qint64 WriterLockKey = 0x5365614361740001; // "SeaCat" 0001

    // store=postgresql://… or postgres://…
    static bool isPostgresUrl(const QString &store);
    // "" or what is wrong with the URL (its password never repeated).
    static QString checkUrl(const QString &url);
    // The URL for logs and errors: without its password, wherever it was written.
    static QString displayUrl(const QString &url);
    // --check-config: connects and reads the schema version, writes nothing. "" when a gateway
    // could start on it; `reached`: the database answered.
    static QString probe(const QString &url, bool *reached);

    // `lockTimeoutMs`: how long a write waits for another gateway's write (lock_timeout);
    // statements may take Limits::PkiStatementWorkMs more (statement_timeout).
    PostgresPkiStore(const QString &url, int lockTimeoutMs);

    QString open() override;
    // Counts commits of other connections announced by NOTIFY, and reconnects (which may
    // have missed some). Polled every second, it is also the heartbeat that finds a connection
    // (and its LISTEN) broken while idle.
    qint64 externalChangeCounter() override;
    void setExternalChangeHandler(std::function<void()> handler) override { m_onExternalChange = std::move(handler); }
    quint64 allocateSerial() override;

private:
    static const QList<QStringList> &migrations();
    QStringList beginStatements() const override;
    bool ensureConnected() override;
    void noteFailure(const QSqlError &error) override;
    // Opens the connection with its time limits and LISTENs; "" or the error.
    QString connect();
    // lock_timeout, and statement_timeout that much and Limits::PkiStatementWorkMs longer.
    bool setWaits(int lockTimeoutMs);

    QString m_url;
    int m_lockTimeoutMs;
    qint64 m_externalChanges = 0;
    std::function<void()> m_onExternalChange;
    bool m_broken = false;
    QDeadlineTimer m_nextReconnect{0};
};

} // namespace SeaCat
