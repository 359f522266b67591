// Test helper: a real PostgreSQL 15 of the test's own. initdb in a temporary directory, the
// server listening on a Unix socket in that directory only (listen_addresses=''), stopped with
// the helper. PostgreSQL refuses to run as root, so under root (CI) initdb and the server run
// as `nobody`, which owns the directory.
#pragma once

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

#include <pwd.h>
#include <unistd.h>

class PostgresServer
{
public:
    static QString binDir() { return QStringLiteral("/usr/lib/postgresql/15/bin"); }
    static bool isInstalled()
    {
        return QFileInfo(binDir() + QStringLiteral("/initdb")).isExecutable() &&
               QFileInfo(binDir() + QStringLiteral("/pg_ctl")).isExecutable();
    }
    static constexpr const char *User = "seacat";

    ~PostgresServer()
    {
        if (m_running)
            stop();
    }

    // initdb and start; "" or what failed, with the server's log.
    QString start()
    {
        if (!m_dir.isValid())
            return QStringLiteral("no temporary directory");
        if (::geteuid() == 0) {
            const passwd *nobody = ::getpwnam("nobody");
            if (!nobody || ::chown(QFile::encodeName(m_dir.path()).constData(), nobody->pw_uid, nobody->pw_gid) != 0)
                return QStringLiteral("cannot give %1 to the user nobody").arg(m_dir.path());
        }
        QString output;
        if (!run(QStringLiteral("initdb"),
                 {QStringLiteral("-D"), dataDir(), QStringLiteral("-U"), QLatin1String(User),
                  QStringLiteral("--auth=trust"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                  QStringLiteral("--locale=C"), QStringLiteral("--no-sync"), QStringLiteral("--no-instructions")},
                 &output))
            return QStringLiteral("initdb failed: %1").arg(output);
        return resume();
    }
    // pg_ctl start on the existing cluster (after stop() or kill()).
    QString resume()
    {
        QString output;
        if (!run(QStringLiteral("pg_ctl"),
                 {QStringLiteral("-D"), dataDir(), QStringLiteral("-l"), m_dir.filePath(QStringLiteral("server.log")),
                  QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("-o"),
                  QStringLiteral("-c listen_addresses='' -k %1").arg(m_dir.path()), QStringLiteral("start")},
                 &output))
            return QStringLiteral("pg_ctl start failed: %1 %2").arg(output, log());
        m_running = true;
        return {};
    }
    // Fast shutdown: connections are ended at once, as when a database host goes away.
    bool stop()
    {
        QString output;
        m_running = !run(QStringLiteral("pg_ctl"),
                         {QStringLiteral("-D"), dataDir(), QStringLiteral("-m"), QStringLiteral("fast"),
                          QStringLiteral("-w"), QStringLiteral("stop")},
                         &output);
        return !m_running;
    }

    // kill -9 of the postmaster, as a crash would; resume() then recovers from the WAL.
    bool kill()
    {
        QFile pidFile(dataDir() + QStringLiteral("/postmaster.pid"));
        const qint64 pid = pidFile.open(QIODevice::ReadOnly) ? pidFile.readLine().trimmed().toLongLong() : 0;
        if (pid <= 0 || ::kill(pid_t(pid), SIGKILL) != 0)
            return false;
        m_running = false;
        return QTest::qWaitFor([pid] { return ::kill(pid_t(pid), 0) != 0; }, 10'000);
    }

    QString socketDir() const { return m_dir.path(); }
    QString url(const QString &database, const QString &user = QLatin1String(User)) const
    {
        return QStringLiteral("postgresql:///%1?host=%2&user=%3").arg(database, socketDir(), user);
    }
    QString log() const
    {
        QFile file(m_dir.filePath(QStringLiteral("server.log")));
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll().right(4000)) : QString();
    }

    // A connection of the test's own to `database` (the caller removes it).
    QSqlDatabase connect(const QString &connection, const QString &database) const
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        db.setHostName(socketDir());
        db.setDatabaseName(database);
        db.setUserName(QLatin1String(User));
        db.open();
        return db;
    }
    // "" or the error.
    QString createDatabase(const QString &name) const
    {
        QString error;
        {
            QSqlDatabase db = connect(QStringLiteral("pg-admin"), QStringLiteral("postgres"));
            QSqlQuery query(db);
            if (!db.isOpen())
                error = db.lastError().text();
            else if (!query.exec(QStringLiteral("CREATE DATABASE %1").arg(name)))
                error = query.lastError().text();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("pg-admin"));
        return error;
    }

private:
    QString dataDir() const { return m_dir.filePath(QStringLiteral("data")); }
    bool run(const QString &tool, const QStringList &args, QString *output) const
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.setWorkingDirectory(m_dir.path()); // nobody may not enter the test's own
        const QString program = binDir() + u'/' + tool;
        if (::geteuid() == 0)
            process.start(QStringLiteral("runuser"),
                          QStringList{QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"), program} +
                              args);
        else
            process.start(program, args);
        const bool finished = process.waitForFinished(90'000);
        *output = QString::fromUtf8(process.readAll());
        return finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    }

    QTemporaryDir m_dir;
    bool m_running = false;
};
