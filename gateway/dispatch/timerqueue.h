// The timers of one event dispatcher, ordered by deadline.
#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QMultiHash>

#include <map>
#include <utility>

namespace SeaCat {

// Qt 6.4's QTimerInfoList keeps its timers in one sorted array and inserts by scanning from the
// latest deadline back: a 30 s request timeout started under 5 000 sessions' 330 s idle timers
// walks past all of them, per request (issue 10, perf). Here a tree keyed by deadline makes
// starting, stopping and firing a timer O(log timers). Precise and coarse timers get millisecond
// precision (within the 5 % a coarse one allows); very coarse ones whole seconds, as in Qt.
class TimerQueue
{
public:
    void registerTimer(int timerId, qint64 intervalMs, Qt::TimerType type, QObject *object);
    bool unregisterTimer(int timerId);
    bool unregisterTimers(QObject *object);
    QList<QAbstractEventDispatcher::TimerInfo> registeredTimers(QObject *object) const;
    // Milliseconds until the timer fires (0 if due), -1 for an unknown timer.
    int remainingTime(int timerId) const;
    // Milliseconds until the first timer is due, rounded up; -1 with no timer.
    int msToNextTimer() const;
    // Sends a QTimerEvent to every timer due, each at most once; returns how many fired.
    int activateTimers();

private:
    // Deadline (steady clock, ns) and insertion number: timers due at once fire in start order.
    using Key = std::pair<qint64, quint64>;
    struct Timer {
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        Key key;
        bool firing = false; // its event is being sent: a nested loop must not send it again
    };

    static qint64 now();
    void schedule(int timerId, Timer &timer, qint64 fromNs);

    QHash<int, Timer> m_timers;
    std::map<Key, int> m_queue; // → timer id
    QMultiHash<QObject *, int> m_byObject;
    quint64 m_nextSequence = 0;
};

} // namespace SeaCat
