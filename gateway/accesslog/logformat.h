// The two formats of the gateway's logs (README "Access log"): nghttpx-like text lines, or one
// JSON object per line. Every client-controlled byte is escaped in both, so no request can end
// a line early or forge one. Pure functions, safe in any thread.
#pragma once

#include "accessrecord.h"
#include "loglevel.h"

#include <QByteArray>
#include <QString>
#include <optional>

namespace SeaCat {

enum class LogFormat { Text, Json };
QString toString(LogFormat format);
std::optional<LogFormat> logFormatFromString(const QString &text);
QLatin1String toString(LogLevel level);
std::optional<LogLevel> logLevelFromString(const QString &text);

// One access-log line, '\n' included.
QByteArray formatAccessRecord(const AccessRecord &record, LogFormat format);
// One event-log line, '\n' included: "TIME LEVEL MESSAGE" (control characters of the message
// escaped as \xHH) or {"time":…,"level":…,"message":…}.
QByteArray formatEventLine(qint64 timeMs, LogLevel level, const QString &message, LogFormat format);

} // namespace SeaCat
