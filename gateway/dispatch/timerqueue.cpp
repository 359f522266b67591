#include "timerqueue.h"

#include <QCoreApplication>
#include <QTimerEvent>

#include <chrono>
#include <climits>

namespace SeaCat {

namespace {

constexpr qint64 NsPerMs = 1'000'000;
constexpr qint64 NsPerSecond = 1'000 * NsPerMs;

int ceilMs(qint64 ns)
{
    return int(qBound(qint64(0), (ns + NsPerMs - 1) / NsPerMs, qint64(INT_MAX)));
}

} // namespace

qint64 TimerQueue::now()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void TimerQueue::schedule(int timerId, Timer &timer, qint64 fromNs)
{
    qint64 deadline = fromNs + timer.intervalMs * NsPerMs;
    if (timer.type == Qt::VeryCoarseTimer) // to the second, rounded, as Qt's own list does
        deadline = (deadline + NsPerSecond / 2) / NsPerSecond * NsPerSecond;
    timer.key = {deadline, m_nextSequence++};
    m_queue.emplace(timer.key, timerId);
}

void TimerQueue::registerTimer(int timerId, qint64 intervalMs, Qt::TimerType type, QObject *object)
{
    if (m_timers.contains(timerId))
        unregisterTimer(timerId);
    Timer &timer = m_timers[timerId];
    timer.intervalMs = intervalMs;
    timer.type = type;
    timer.object = object;
    schedule(timerId, timer, now());
    m_byObject.insert(object, timerId);
}

bool TimerQueue::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_queue.erase(it->key);
    m_byObject.remove(it->object, timerId);
    m_timers.erase(it);
    return true;
}

bool TimerQueue::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_byObject.values(object);
    for (int id : ids)
        unregisterTimer(id);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> TimerQueue::registeredTimers(QObject *object) const
{
    QList<QAbstractEventDispatcher::TimerInfo> list;
    for (auto it = m_byObject.constFind(object); it != m_byObject.cend() && it.key() == object; ++it) {
        const Timer &timer = m_timers[it.value()];
        list.append({it.value(), int(timer.intervalMs), timer.type});
    }
    return list;
}

int TimerQueue::remainingTime(int timerId) const
{
    const auto it = m_timers.constFind(timerId);
    return it == m_timers.cend() ? -1 : ceilMs(it->key.first - now());
}

int TimerQueue::msToNextTimer() const
{
    return m_queue.empty() ? -1 : ceilMs(m_queue.begin()->first.first - now());
}

int TimerQueue::activateTimers()
{
    const qint64 current = now();
    // Timers started or rescheduled during this pass (a zero timer is due again at once) wait
    // for the next one.
    const quint64 passStart = m_nextSequence;
    int fired = 0;
    while (!m_queue.empty()) {
        const auto front = m_queue.begin();
        if (front->first.first > current || front->first.second >= passStart)
            break;
        const int timerId = front->second;
        m_queue.erase(front);
        Timer &timer = m_timers[timerId];
        // Qt's rule: the next deadline follows the last one, unless that would already be past.
        const qint64 last = timer.key.first;
        schedule(timerId, timer, last + timer.intervalMs * NsPerMs > current ? last : current);
        if (timer.intervalMs > 0)
            ++fired;
        if (timer.firing)
            continue;
        timer.firing = true;
        QTimerEvent event(timerId);
        QCoreApplication::sendEvent(timer.object, &event);
        // The handler may have stopped it, or deleted its object: look it up again.
        const auto still = m_timers.find(timerId);
        if (still != m_timers.end())
            still->firing = false;
    }
    return fired;
}

} // namespace SeaCat
