// Test helper: the real seacat-gateway binary in its own process, so tests see what an
// admin sees (stdout/stderr, exit codes, signals) and can measure its memory alone.
#pragma once

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <utility>

// `seacat-gateway --data-dir DIR --name gw.test admin issue NAME IDENTITY` (README "Admin over
// the network"): its exit code, and its stdout then its stderr.
inline std::pair<int, QByteArray> issueWorkstation(const QString &dataDir, const QString &name, const QString &identity)
{
    QProcess issue;
    issue.start(QStringLiteral(SEACAT_GATEWAY_BIN),
                {"--data-dir", dataDir, "--name", "gw.test", "admin", "issue", name, identity});
    if (!issue.waitForFinished(20'000))
        return {-1, "admin issue did not finish within 20 s"};
    return {issue.exitCode(), issue.readAllStandardOutput() + issue.readAllStandardError()};
}

struct GatewayProcess {
    QTemporaryDir dataDir;
    QProcess process;
    QByteArray out;
    QByteArray err;

    GatewayProcess()
    {
        QObject::connect(&process, &QProcess::readyReadStandardOutput,
                         [this] { out += process.readAllStandardOutput(); });
        QObject::connect(&process, &QProcess::readyReadStandardError,
                         [this] { err += process.readAllStandardError(); });
    }
    ~GatewayProcess()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(5'000);
        }
    }

    // Starts `program args...` (default: the gateway with a private data dir on a free loopback port).
    void launch(const QStringList &args, const QString &program = QStringLiteral(SEACAT_GATEWAY_BIN))
    {
        process.start(program, args);
    }
    QStringList defaultArgs() const
    {
        return {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir.path(),
                QStringLiteral("--listen"),   QStringLiteral("127.0.0.1"),  QStringLiteral("--port"),
                QStringLiteral("0"),          QStringLiteral("--name"),     QStringLiteral("gw.test")};
    }
    // Returns the port of the "listening on ADDR:PORT" line, 0 if it did not come.
    quint16 waitListening(int timeoutMs = 20'000)
    {
        (void)QTest::qWaitFor([this] { return out.contains('\n') || process.state() == QProcess::NotRunning; },
                              timeoutMs);
        const QByteArray line = out.left(out.indexOf('\n'));
        if (!line.startsWith("listening on "))
            return 0;
        return quint16(line.mid(line.lastIndexOf(':') + 1).toUInt());
    }
    bool waitFinished(int timeoutMs = 20'000)
    {
        return QTest::qWaitFor([this] { return process.state() == QProcess::NotRunning; }, timeoutMs);
    }
    QString caFile() const { return dataDir.filePath(QStringLiteral("ca.pem")); }
    // ADDR:PORT from the admin listener's line on stderr ("admin listener on ADDR:PORT: /metrics"),
    // "" if it did not come.
    QString adminEndpoint(int timeoutMs = 20'000)
    {
        static const QRegularExpression line(QStringLiteral("admin listener on (\\S+):(\\d+): /metrics"));
        QRegularExpressionMatch match;
        (void)QTest::qWaitFor([&] { return (match = line.match(QString::fromUtf8(err))).hasMatch(); }, timeoutMs);
        return match.hasMatch() ? match.captured(1) + u':' + match.captured(2) : QString();
    }

    // Under ASan freed memory sits in quarantine, so RSS says nothing about our own buffers:
    // sanitizer builds check behaviour (the gateway stops reading), normal builds also memory.
    static constexpr bool rssIsMeaningful()
    {
#ifdef SEACAT_SANITIZED
        return false;
#else
        return true;
#endif
    }
    // Resident memory of the gateway process now, and its peak, in KiB (Linux /proc).
    qint64 rssKiB() const
    {
        return statusField("VmRSS:");
    }
    qint64 peakRssKiB() const
    {
        return statusField("VmHWM:");
    }
    qint64 statusField(const QByteArray &field) const
    {
        QFile status(QStringLiteral("/proc/%1/status").arg(process.processId()));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith(field))
                return line.mid(field.size()).trimmed().split(' ').value(0).toLongLong();
        return -1;
    }
};
