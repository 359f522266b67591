#include "epolleventdispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>

#include <cerrno>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace SeaCat {

namespace {

// Ready fds taken per turn; more stay ready (level-triggered) for the next turn.
constexpr int MaxReadyPerTurn = 256;

// What wakes each QSocketNotifier::Type; hang-up and error wake them all, as poll() does in Qt.
constexpr std::array<quint32, 3> TypeEvents = {EPOLLIN | EPOLLHUP | EPOLLERR, EPOLLOUT | EPOLLHUP | EPOLLERR,
                                               EPOLLPRI | EPOLLHUP | EPOLLERR};
constexpr std::array<quint32, 3> TypeInterest = {EPOLLIN, EPOLLOUT, EPOLLPRI};
// An entry's epoll events when what the kernel holds is unknown: the next update re-registers.
constexpr quint32 StaleEvents = ~quint32(0);

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent) : QAbstractEventDispatcher(parent)
{
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    m_wakeUpFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeUpFd;
    if (m_epollFd < 0 || m_wakeUpFd < 0 || epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeUpFd, &event) != 0)
        qFatal("EpollEventDispatcher: cannot create its epoll set or eventfd: %s", qPrintable(qt_error_string(errno)));
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeUpFd);
    ::close(m_epollFd);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.storeRelaxed(0);
    emit awake();
    // Every postEvent() calls wakeUp(), and so does a pass that leaves events behind: the
    // eventfd then stays readable until the wait below, so no posted event waits for a timeout.
    QCoreApplication::sendPostedEvents();

    // ExcludeUserInputEvents needs nothing: these threads have no user input (nor does Qt's UNIX
    // dispatcher look at it).
    const bool includeTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_interrupted.loadRelaxed();
    if (canWait)
        emit aboutToBlock();
    if (m_interrupted.loadRelaxed())
        return false;

    int timeoutMs = 0;
    if (canWait) {
        timeoutMs = includeTimers ? m_timers.msToNextTimer() : -1;
    }

    int handled = 0;
    if (includeNotifiers)
        handled += activate(m_writesSoon);
    applyRegistrations();
    if (includeNotifiers) {
        std::array<epoll_event, MaxReadyPerTurn> ready;
        const int count = epoll_wait(m_epollFd, ready.data(), MaxReadyPerTurn, timeoutMs);
        if (count < 0 && errno != EINTR)
            qErrnoWarning("EpollEventDispatcher: epoll_wait");
        // Left by an outer processEvents() that a notifier's slot re-entered: this one may find
        // the same notifiers ready. Otherwise each fd is reported once, so no notifier twice.
        const bool nested = !m_pending.isEmpty();
        for (int i = 0; i < count; ++i) {
            if (ready[i].data.fd == m_wakeUpFd) {
                drainWakeUp();
                ++handled;
                continue;
            }
            const auto it = m_fds.find(ready[i].data.fd);
            if (it == m_fds.end())
                continue;
            if ((ready[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == EPOLLOUT &&
                it->notifiers[QSocketNotifier::Write])
                it->writeProven = true;
            for (int type = 0; type < 3; ++type) {
                QSocketNotifier *notifier = it->notifiers[type];
                if (notifier && (ready[i].events & TypeEvents[type]) && !(nested && m_pending.contains(notifier)))
                    m_pending.append(notifier);
            }
        }
        handled += activate(m_pending);
    } else {
        // The notifiers' fds stay in the epoll set, which a ready one would keep waking: wait on
        // the eventfd alone.
        pollfd wake{m_wakeUpFd, POLLIN, 0};
        if (poll(&wake, 1, timeoutMs) > 0) {
            drainWakeUp();
            ++handled;
        }
    }

    if (includeTimers)
        handled += m_timers.activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::activate(QList<QSocketNotifier *> &notifiers)
{
    int activated = 0;
    QEvent event(QEvent::SockAct);
    // Each activation may unregister (or delete) notifiers still listed: they leave the list in
    // unregisterSocketNotifier(), so none is touched after it went. Those listed by these
    // activations wait for the next turn.
    for (qsizetype n = notifiers.size(); n > 0 && !notifiers.isEmpty(); --n) {
        QSocketNotifier *notifier = notifiers.takeFirst();
        if (!notifier->isEnabled())
            continue;
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    return activated;
}

void EpollEventDispatcher::drainWakeUp()
{
    eventfd_t value = 0;
    eventfd_read(m_wakeUpFd, &value);
    // After the read: a wakeUp() racing with it finds the flag still set and writes nothing,
    // but its posted event is sent at the start of the next processEvents(), before any wait.
    m_wakeUpPending.storeRelease(0);
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = notifier->type();
    if (fd < 0 || type < 0 || type > 2) {
        qWarning("EpollEventDispatcher: invalid socket notifier (socket %d, type %d)", fd, type);
        return;
    }
    FdNotifiers &entry = m_fds[fd];
    if (entry.notifiers[type] && entry.notifiers[type] != notifier) {
        qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type %d", fd, type);
        // Most likely the fd was closed under the old one and reused: register it afresh.
        entry.events = StaleEvents;
        entry.writeProven = false;
    } else if (entry.notifiers == decltype(entry.notifiers){}) {
        // Its notifiers all went since the set was last updated: the fd may have been closed
        // (the kernel dropped it from the set) and reused by a socket still connecting.
        if (entry.events != 0)
            entry.events = StaleEvents;
        entry.writeProven = false;
    }
    entry.notifiers[type] = notifier;
    if (type == QSocketNotifier::Write && entry.writeProven)
        m_writesSoon.append(notifier);
    markDirty(fd, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    m_pending.removeAll(notifier);
    if (notifier->type() == QSocketNotifier::Write)
        m_writesSoon.removeAll(notifier);
    const int fd = int(notifier->socket());
    const int type = notifier->type();
    const auto it = m_fds.find(fd);
    if (it == m_fds.end() || type < 0 || type > 2 || it->notifiers[type] != notifier)
        return;
    it->notifiers[type] = nullptr;
    markDirty(fd, *it); // an entry without notifiers goes once the set forgot the fd
}

void EpollEventDispatcher::markDirty(int fd, FdNotifiers &entry)
{
    if (entry.dirty)
        return;
    entry.dirty = true;
    m_dirty.append(fd);
}

void EpollEventDispatcher::applyRegistrations()
{
    for (const int fd : std::as_const(m_dirty)) {
        const auto it = m_fds.find(fd);
        if (it == m_fds.end())
            continue;
        it->dirty = false;
        updateRegistration(fd, *it);
        if (it->notifiers == decltype(it->notifiers){} && it->events == 0)
            m_fds.erase(it);
    }
    m_dirty.clear();
}

void EpollEventDispatcher::updateRegistration(int fd, FdNotifiers &entry)
{
    quint32 wanted = 0;
    for (int type = 0; type < 3; ++type) {
        if (entry.notifiers[type])
            wanted |= TypeInterest[type];
    }
    if (wanted == entry.events)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    if (wanted == 0) {
        // EBADF, ENOENT: the fd was closed before its notifier went, and the kernel dropped it then.
        if (epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, &event) != 0 && errno != EBADF && errno != ENOENT)
            qErrnoWarning("EpollEventDispatcher: cannot stop watching socket %d", fd);
        entry.events = 0;
        return;
    }
    int rc = epoll_ctl(m_epollFd, entry.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
    // The fd was closed and its number reused without the notifiers going first: the old
    // registration is gone (ENOENT on MOD) or still there (EEXIST on ADD).
    if (rc != 0 && errno == ENOENT)
        rc = epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &event);
    else if (rc != 0 && errno == EEXIST)
        rc = epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &event);
    if (rc != 0) {
        qErrnoWarning("EpollEventDispatcher: cannot watch socket %d", fd);
        wanted = 0;
    }
    entry.events = wanted;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (object->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::registerTimer: timers cannot be started from another thread");
        return;
    }
    m_timers.registerTimer(timerId, interval, timerType, object);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    if (timerId < 1 || thread() != QThread::currentThread())
        return false;
    return m_timers.unregisterTimer(timerId);
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    if (!object || object->thread() != thread() || thread() != QThread::currentThread())
        return false;
    return m_timers.unregisterTimers(object);
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    return object ? m_timers.registeredTimers(object) : QList<TimerInfo>();
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    return timerId < 1 ? -1 : m_timers.remainingTime(timerId);
}

void EpollEventDispatcher::wakeUp()
{
    // One write per wait: posts from busy threads do not each cost a syscall.
    if (m_wakeUpPending.testAndSetAcquire(0, 1))
        eventfd_write(m_wakeUpFd, 1);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.storeRelaxed(1);
    wakeUp();
}

} // namespace SeaCat
