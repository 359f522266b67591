// Value snapshots that cross from the engine thread to its observers:
// copyable, never pointers to engine objects.
#pragma once

#include "loglevel.h"
#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace SeaCat {

struct SessionInfo {
    quint64 id = 0;
    int worker = 0; // the engine worker thread serving it (README "--workers")
    QString peerAddress;
    quint16 peerPort = 0;
    QString clientId; // empty: anonymous (no valid client certificate)
    QString clientTag;
    quint64 certificateSerial = 0; // the client certificate this session authenticated with
    // Without an accepted certificate: the key this session enrols (its CSR, its CERT_QUERY, a
    // certificate the store did not accept), so a pending CSR can name the session that sent it.
    QString enrollingClientId;
    QString enrollingClientTag;
    QString certificateSubject;
    QString tlsProtocol;
    QString cipher;
    int openStreams = 0;
    quint64 streamsTotal = 0;
    quint64 refusedStreams = 0;
    quint64 framesIn = 0;
    quint64 framesOut = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    quint64 unknownFrames = 0;
    quint64 malformedFrames = 0;
    quint64 glitches = 0;         // frames that cost work and did nothing (README "Limits")
    quint64 resets = 0;           // RST_STREAMs sent and received
    quint64 resetFloodCloses = 0; // 1 when this session was closed for spending a budget
    quint64 glitchFloodCloses = 0;
    quint64 pingsReceived = 0;
    quint64 refusedCsrs = 0; // CSRs refused by a budget (README "Enrolment")
    quint64 requests = 0;
    quint64 responsesByClass[6] = {}; // [1] 1xx … [5] 5xx, gateway-made answers included
    quint64 backendResponses = 0;
    quint64 backendLatencyMsTotal = 0; // time to the backend's response head, summed
    QDateTime since;
    QDateTime lastActivity;
    QStringList recentStreams; // newest last, at most MaxRecentStreams: "5 GET app/x → 200"
    QStringList telemetry;     // the client's capability entries, "key=value" (§3.12)
    static constexpr int MaxRecentStreams = 20;
    static constexpr int MaxTelemetryEntries = 64;
};

// Gateway-wide totals, closed sessions included, published with each refresh.
struct GatewayStats {
    quint64 sessionsTotal = 0;
    int sessionsNow = 0;
    quint64 requests = 0;
    quint64 responsesByClass[6] = {};
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    quint64 backendResponses = 0;
    quint64 backendLatencyMsTotal = 0;
    quint64 rejectedHttpsClients = 0;
    // Sessions closed because they spent a budget (README "Limits").
    quint64 resetFloodCloses = 0;
    quint64 glitchFloodCloses = 0;
    quint64 refusedCsrs = 0;
    // Backend connections closed for bytes no request asked for (BackendPool).
    quint64 strayBackendConnections = 0;
};

} // namespace SeaCat

Q_DECLARE_METATYPE(SeaCat::SessionInfo)
Q_DECLARE_METATYPE(SeaCat::GatewayStats)
