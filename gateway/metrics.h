// The gateway's metrics, read by the admin listener's /metrics (README "Metrics"). Two kinds:
//
// - Counters of events (bytes, responses, handshakes, rejections, resets): add() from any
//   engine thread. Each thread writes its own block of counters, so an engine thread never
//   waits for a lock or shares a cache line with another; a scrape sums the blocks. A block
//   whose thread ends is folded into the totals, so nothing counted is lost.
// - Gauges of state (sessions by mode, backend pools, the store, certificate expiry): each
//   engine publishes what it holds on its refresh tick (twice a second); a scrape sums the
//   engines' parts. The scrape takes a mutex the engines take only to swap in that value.
//
// Process-wide: a Prometheus target is one process, however many engines it runs.
#pragma once

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <array>

namespace SeaCat {

// One entry per counted event; admin/metricsexposition.cpp gives each its name and labels.
enum class Counter : int {
    BytesIn,
    BytesOut,
    SessionsOpened,
    SessionsClosed,
    Responses1xx,
    Responses2xx,
    Responses3xx,
    Responses4xx,
    Responses5xx,
    HandshakesCompleted,
    HandshakeFailedPlaintext,     // not TLS at all
    HandshakeFailedNoClientHello, // first-byte-timeout
    HandshakeFailedTimeout,       // handshake-timeout
    HandshakeFailedShed,          // max-handshakes reached, the oldest went
    HandshakeFailedPeerClosed,
    HandshakeFailedTls, // a TLS error (protocol, cipher, certificate)
    RejectedHttp1,
    RejectedHttp2,
    RejectedGarbage, // neither SeaCat nor HTTP
    // RST_STREAM by code, sent by the gateway, then received from clients (same order as
    // resetCodes()).
    ResetSentFirst,
    ResetReceivedFirst = ResetSentFirst + 9,
    Count = ResetReceivedFirst + 9,
};

// The RST_STREAM codes counted one by one; any other code counts as the last entry ("other").
constexpr std::array<quint32, 8> resetCodes()
{
    return {1, 2, 3, 5, 6, 9, 71, 72};
}
Counter resetCounter(quint32 code, bool sent);
Counter responseCounter(int status);

enum class SessionMode { Anonymous, Enrolling, Authenticated };
constexpr int SessionModeCount = 3;
const char *toString(SessionMode mode);

struct BackendGauges {
    int open = 0; // connections in use, opening or idle
    int idle = 0;
    int queued = 0;              // requests waiting for a connection
    quint64 connectFailures = 0; // a counter, kept by the engine's pool
};

// What one engine holds, published on its refresh tick.
struct EngineGauges {
    std::array<int, SessionModeCount> sessionsByMode{};
    QHash<QString, BackendGauges> backends; // by backend name ([host:NAME])
};

// The certificate store and the gateway's identity. The same for every engine of the
// process (one data directory): the latest published value counts.
struct PkiGauges {
    int pendingCsrs = 0;
    quint64 certificatesIssued = 0; // in the store: never deleted, so a counter
    quint64 certificatesRevoked = 0;
    QDateTime caNotAfter;
    QDateTime serverNotAfter;
    bool storeUp = true; // README "Several gateways": false while the store does not answer
};

struct MetricsSnapshot {
    std::array<quint64, int(Counter::Count)> counters{};
    EngineGauges engines; // summed over engines
    bool hasPki = false;
    PkiGauges pki;
    quint64 counter(Counter c) const { return counters[size_t(c)]; }
};

namespace Metrics {
// Counts `n` events on the calling thread's block: no lock, no shared cache line.
void add(Counter counter, quint64 n = 1);
void setEngineGauges(const void *engine, const EngineGauges &gauges);
void removeEngine(const void *engine);
void setPkiGauges(const PkiGauges &gauges);
// Sums every thread's counters and every engine's gauges (the admin listener's thread).
MetricsSnapshot snapshot();
} // namespace Metrics

} // namespace SeaCat
