// An event dispatcher whose cost per loop turn follows the ready sockets, not the registered ones.
#pragma once

#include "timerqueue.h"

#include <QAbstractEventDispatcher>
#include <QAtomicInt>
#include <QHash>
#include <QList>

#include <array>

namespace SeaCat {

// Qt 6.4's QEventDispatcherUNIX builds and polls a pollfd for every registered socket notifier
// on every loop turn, so with thousands of idle sessions each small request pays for all of them
// (issue 10). This one keeps the notifiers in a level-triggered epoll set (level-triggered keeps
// Qt's notifier semantics: a notifier fires again while its socket stays ready) and an eventfd for
// wakeUp(); timers are a TimerQueue (O(log timers), where Qt's list is O(timers)). Linux only.
// Install it with QThread::setEventDispatcher() before the thread starts.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    // The notifiers of one fd, indexed by QSocketNotifier::Type; one epoll registration for all.
    struct FdNotifiers {
        std::array<QSocketNotifier *, 3> notifiers{};
        quint32 events = 0;       // what the epoll set holds for this fd; 0: not in the set
        bool dirty = false;       // in m_dirty: the set is brought up to date before the next wait
        bool writeProven = false; // epoll said writable once: the socket is connected
    };

    // Changes reach the epoll set just before the next wait, not at once: Qt turns a socket's
    // write notifier on for every write and off once it is flushed, and within one turn the two
    // cancel out (two epoll_ctl calls per write otherwise).
    void markDirty(int fd, FdNotifiers &entry);
    void applyRegistrations();
    void updateRegistration(int fd, FdNotifiers &entry);
    // Sends SockAct to each enabled notifier taken from the front of `notifiers`.
    int activate(QList<QSocketNotifier *> &notifiers);
    void drainWakeUp();

    int m_epollFd = -1;
    int m_wakeUpFd = -1;
    QAtomicInt m_wakeUpPending; // 1 while a wakeUp() is written and not yet drained
    QAtomicInt m_interrupted;
    QHash<int, FdNotifiers> m_fds;
    // Ready notifiers not yet activated; an unregistered one leaves this list at once.
    QList<QSocketNotifier *> m_pending;
    // Write notifiers enabled on connected sockets: activated before the wait, without asking
    // epoll, since a socket with room for the bytes is the common case (Qt writes what it can
    // and keeps the notifier on for the rest, which then waits in the epoll set). The bytes
    // leave a turn earlier and the notifier never reaches the kernel.
    QList<QSocketNotifier *> m_writesSoon;
    QList<int> m_dirty; // fds whose FdNotifiers::events may differ from what they want
    TimerQueue m_timers;
};

} // namespace SeaCat
