// A token bucket (as nghttp2 and HAProxy budget floods): `burst` tokens at once, then one more
// every `intervalMs`. Plain value, monotonic clock, no timers; lives wherever its owner does.
#pragma once

#include <QElapsedTimer>

namespace SeaCat {

class TokenBucket final
{
public:
    // intervalMs 0: no rate, every take() succeeds.
    TokenBucket(int burst, qint64 intervalMs) : m_burst(qMax(1, burst)), m_tokens(m_burst), m_intervalMs(intervalMs)
    {
        m_clock.start();
    }

    // Takes one token; false when the bucket is empty.
    bool take()
    {
        if (m_intervalMs <= 0)
            return true;
        const qint64 now = m_clock.elapsed();
        const qint64 earned = (now - m_lastRefillMs) / m_intervalMs;
        if (earned > 0) {
            m_tokens = int(qMin<qint64>(m_burst, m_tokens + earned));
            m_lastRefillMs = m_tokens == m_burst ? now : m_lastRefillMs + earned * m_intervalMs;
        }
        if (m_tokens == 0)
            return false;
        if (m_tokens == m_burst)
            m_lastRefillMs = now; // a full bucket earns nothing while it waits
        --m_tokens;
        return true;
    }

private:
    int m_burst;
    int m_tokens;
    qint64 m_intervalMs;
    qint64 m_lastRefillMs = 0;
    QElapsedTimer m_clock;
};

} // namespace SeaCat
