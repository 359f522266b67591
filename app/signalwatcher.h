// Turns SIGTERM/SIGINT into a Qt signal (self-pipe: the handler only writes one byte).
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

private:
    QSocketNotifier *m_notifier = nullptr;
};
