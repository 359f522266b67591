#include "metrics.h"

#include <QMutex>
#include <QMutexLocker>
#include <algorithm>
#include <atomic>
#include <vector>

namespace SeaCat {

namespace {

constexpr size_t CounterCount = size_t(Counter::Count);
using Block = std::array<std::atomic<quint64>, CounterCount>;

struct Registry {
    QMutex mutex;
    std::vector<const Block *> live;             // one per thread that counted something
    std::array<quint64, CounterCount> retired{}; // what threads that ended had counted
    QHash<const void *, EngineGauges> engines;
    bool hasPki = false;
    PkiGauges pki;
};

// Never destroyed: engine threads may still count while the process exits.
Registry &registry()
{
    static Registry *instance = new Registry;
    return *instance;
}

// A thread's own counters: registered on its first count, folded into the totals when it ends.
struct ThreadBlock {
    Block values{};
    ThreadBlock()
    {
        Registry &r = registry();
        const QMutexLocker lock(&r.mutex);
        r.live.push_back(&values);
    }
    ~ThreadBlock()
    {
        Registry &r = registry();
        const QMutexLocker lock(&r.mutex);
        for (size_t i = 0; i < CounterCount; ++i)
            r.retired[i] += values[i].load(std::memory_order_relaxed);
        r.live.erase(std::find(r.live.begin(), r.live.end(), &values));
    }
    Q_DISABLE_COPY_MOVE(ThreadBlock)
};

} // namespace

Counter resetCounter(quint32 code, bool sent)
{
    constexpr auto codes = resetCodes();
    const auto it = std::find(codes.begin(), codes.end(), code);
    const int index = int(it - codes.begin()); // codes.size(), "other", when not found
    return Counter((sent ? int(Counter::ResetSentFirst) : int(Counter::ResetReceivedFirst)) + index);
}

Counter responseCounter(int status)
{
    return Counter(int(Counter::Responses1xx) + qBound(1, status / 100, 5) - 1);
}

const char *toString(SessionMode mode)
{
    switch (mode) {
    case SessionMode::Anonymous:
        return "anonymous";
    case SessionMode::Enrolling:
        return "enrolling";
    case SessionMode::Authenticated:
        return "authenticated";
    }
    return "";
}

namespace Metrics {

void add(Counter counter, quint64 n)
{
    thread_local ThreadBlock block;
    // This thread is the block's only writer: a plain load and store, no locked instruction.
    std::atomic<quint64> &value = block.values[size_t(counter)];
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

void setEngineGauges(const void *engine, const EngineGauges &gauges)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    r.engines.insert(engine, gauges);
}

void removeEngine(const void *engine)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    r.engines.remove(engine);
}

void setPkiGauges(const PkiGauges &gauges)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    r.pki = gauges;
    r.hasPki = true;
}

MetricsSnapshot snapshot()
{
    MetricsSnapshot s;
    QHash<const void *, EngineGauges> engines;
    {
        Registry &r = registry();
        const QMutexLocker lock(&r.mutex);
        s.counters = r.retired;
        for (const Block *block : r.live)
            for (size_t i = 0; i < CounterCount; ++i)
                s.counters[i] += (*block)[i].load(std::memory_order_relaxed);
        engines = r.engines; // implicitly shared: summed outside the lock
        s.hasPki = r.hasPki;
        s.pki = r.pki;
    }
    for (const EngineGauges &engine : std::as_const(engines)) {
        for (int m = 0; m < SessionModeCount; ++m)
            s.engines.sessionsByMode[size_t(m)] += engine.sessionsByMode[size_t(m)];
        for (auto it = engine.backends.cbegin(); it != engine.backends.cend(); ++it) {
            BackendGauges &sum = s.engines.backends[it.key()];
            sum.open += it->open;
            sum.idle += it->idle;
            sum.queued += it->queued;
            sum.connectFailures += it->connectFailures;
        }
    }
    return s;
}

} // namespace Metrics

} // namespace SeaCat
