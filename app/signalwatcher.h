// Turns SIGTERM/SIGINT, SIGHUP and SIGUSR1 into Qt signals (self-pipe: the handler only writes one byte).
#pragma once

#include <QObject>

class QSocketNotifier;

class SignalWatcher final : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminationRequested(int signal);
    // SIGHUP: re-read the config (README "Reloading the configuration").
    void reloadRequested();
    // SIGUSR1: reopen the log files (logrotate, README "Access log").
    void reopenLogsRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};
