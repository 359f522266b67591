// The per-session events a worker reports most often (a session opened or closed, a log line),
// carried across threads in batches (EngineWorker::eventsBatched, GatewayEngine::eventsBatched):
// one queued call each was a wake-up of the engine's and the GUI's thread, and two context
// switches, for each of them; a busy gateway has thousands a second (issue 10, handshakes:
// 8 queued calls per connection became 2). A log line may trail what it tells by up to 20 ms.
// GatewayController turns a batch back into its GatewayEvents signals, in order.
#pragma once

#include "loglevel.h"
#include "sessioninfo.h"

#include <QList>
#include <QString>

namespace SeaCat {

struct EngineEvent {
    enum class Kind { SessionOpened, SessionClosed, Log };
    Kind kind = Kind::Log;
    SessionInfo session;             // SessionOpened
    quint64 sessionId = 0;           // SessionClosed
    LogLevel level = LogLevel::Info; // Log
    QString text;                    // SessionClosed: the reason; Log: the line
};

} // namespace SeaCat

Q_DECLARE_METATYPE(SeaCat::EngineEvent)
