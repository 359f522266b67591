// A budget of events: a burst, then a steady rate, as nghttp2 limits stream resets and
// "glitches". take() spends one token and fails once the budget is spent.
#pragma once

#include <QElapsedTimer>

namespace SeaCat {

class TokenBucket
{
public:
    TokenBucket(int burst, int perSecond) : m_burst(qint64(burst) * 1000), m_rate(perSecond), m_tokens(m_burst)
    {
        m_clock.start();
    }

    bool take()
    {
        // Tokens are kept in thousandths so that slow rates refill smoothly.
        const qint64 now = m_clock.elapsed();
        m_tokens = qMin(m_burst, m_tokens + (now - m_lastMs) * m_rate);
        m_lastMs = now;
        if (m_tokens < 1000)
            return false;
        m_tokens -= 1000;
        return true;
    }

private:
    qint64 m_burst;
    qint64 m_rate;
    qint64 m_tokens;
    qint64 m_lastMs = 0;
    QElapsedTimer m_clock;
};

} // namespace SeaCat
