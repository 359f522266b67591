// The embedded store: pki.sqlite in the data directory (README "Enrolment"), for one gateway and
// its admin CLI.
#pragma once

#include "sqlpkistore.h"

namespace SeaCat {

class SqlitePkiStore final : public SqlPkiStore
{
public:
    static inline const QString FileName = QStringLiteral("pki.sqlite");

    // `busyTimeoutMs`: how long a write waits for another process's transaction before it
    // fails (gatewaylimits.h: short for the engine, long for the admin CLI).
    explicit SqlitePkiStore(const QString &path, int busyTimeoutMs = 5'000);

    QString open() override;
    qint64 externalChangeCounter() override;
    quint64 allocateSerial() override;

private:
    static const QList<QStringList> &migrations();
    QStringList beginStatements() const override;

    QString m_path;
    int m_busyTimeoutMs;
};

} // namespace SeaCat
