// A budget of events, as nghttp2 and HAProxy budget floods: `burst` at once, then a steady
// rate. take() spends one and fails once the budget is spent. A plain value with a monotonic
// clock and no timers: it lives wherever its owner does.
#pragma once

#include <QElapsedTimer>

namespace SeaCat {

class TokenBucket final
{
public:
    // `perSecond` more every second (0: none after the burst).
    static TokenBucket perSecond(int burst, int perSecond) { return TokenBucket(burst, qint64(perSecond) * 1'000); }
    // One more every `intervalMs` (0: no limit at all).
    static TokenBucket oneEvery(int burst, qint64 intervalMs)
    {
        return intervalMs > 0 ? TokenBucket(burst, Unit / intervalMs) : TokenBucket(burst, -1);
    }

    bool take()
    {
        if (m_refillPerMs < 0)
            return true;
        const qint64 now = m_clock.elapsed();
        m_tokens = qMin(m_capacity, m_tokens + (now - m_lastMs) * m_refillPerMs);
        m_lastMs = now;
        if (m_tokens < Unit)
            return false;
        m_tokens -= Unit;
        return true;
    }

private:
    // Tokens are counted in millionths, so that slow rates refill smoothly.
    static constexpr qint64 Unit = 1'000'000;

    TokenBucket(int burst, qint64 refillPerMs)
        : m_capacity(qMax(1, burst) * Unit), m_refillPerMs(refillPerMs), m_tokens(m_capacity)
    {
        m_clock.start();
    }

    qint64 m_capacity;
    qint64 m_refillPerMs; // millionths of a token per millisecond; -1: unlimited
    qint64 m_tokens;
    qint64 m_lastMs = 0;
    QElapsedTimer m_clock;
};

} // namespace SeaCat
