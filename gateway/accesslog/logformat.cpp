#include "logformat.h"

#include <charconv>
#include <ctime>

namespace SeaCat {

QString toString(LogFormat format)
{
    return format == LogFormat::Json ? QStringLiteral("json") : QStringLiteral("text");
}

std::optional<LogFormat> logFormatFromString(const QString &text)
{
    if (text == u"text")
        return LogFormat::Text;
    if (text == u"json")
        return LogFormat::Json;
    return std::nullopt;
}

QLatin1String toString(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug:
        return QLatin1String("debug");
    case LogLevel::Info:
        return QLatin1String("info");
    case LogLevel::Warning:
        return QLatin1String("warning");
    case LogLevel::Error:
        return QLatin1String("error");
    }
    return {};
}

std::optional<LogLevel> logLevelFromString(const QString &text)
{
    for (const LogLevel level : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error})
        if (text == toString(level))
            return level;
    return std::nullopt;
}

namespace {

constexpr char Hex[] = "0123456789abcdef";

// Runs of bytes that need no escape are appended whole: a byte at a time cost more than the
// rest of a line.
void appendEscaped(QByteArray &out, const QByteArray &bytes, bool (*mustEscape)(uchar))
{
    qsizetype plain = 0; // where the bytes not yet appended start
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const uchar u = uchar(bytes[i]);
        if (!mustEscape(u))
            continue;
        out.append(bytes.constData() + plain, i - plain);
        const char escaped[] = {'\\', 'x', Hex[u >> 4], Hex[u & 0xf]};
        out.append(escaped, 4);
        plain = i + 1;
    }
    out.append(bytes.constData() + plain, bytes.size() - plain);
}

// Decimal digits written in place: QByteArray::number() allocated a temporary for each of
// the eight or so numbers of every line.
void appendNumber(QByteArray &out, qint64 n)
{
    char buffer[24];
    const char *end = std::to_chars(buffer, buffer + sizeof buffer, n).ptr;
    out.append(buffer, end - buffer);
}

// Text fields are space-separated and the request is quoted: a space, a quote, a backslash,
// a control character or a non-ASCII byte becomes \xHH (nginx's escaping, plus the space), so
// a field is always one token and a line always one line.
void appendTextField(QByteArray &out, const QByteArray &bytes)
{
    if (bytes.isEmpty())
        out += '-';
    else
        appendEscaped(out, bytes, [](uchar u) { return u <= 0x20 || u >= 0x7f || u == '"' || u == '\\'; });
}

// A JSON string of ASCII only: quote and backslash escaped, every other code unit outside
// printable ASCII as \uXXXX. Client bytes arrive as Latin-1, so any byte survives.
void appendJsonString(QByteArray &out, QStringView text)
{
    out += '"';
    for (const QChar ch : text) {
        const char16_t u = ch.unicode();
        if (u == '"' || u == '\\') {
            out += '\\';
            out += char(u);
        } else if (u < 0x20 || u >= 0x7f) {
            const char escaped[] = {'\\', 'u', Hex[u >> 12], Hex[(u >> 8) & 0xf], Hex[(u >> 4) & 0xf], Hex[u & 0xf]};
            out.append(escaped, 6);
        } else {
            out += char(u);
        }
    }
    out += '"';
}

void appendJsonBytes(QByteArray &out, const QByteArray &bytes)
{
    if (bytes.isEmpty())
        out += "null";
    else
        appendJsonString(out, QString::fromLatin1(bytes));
}

// Seconds with millisecond precision, as nginx's $request_time.
void appendSeconds(QByteArray &out, qint64 ms)
{
    appendNumber(out, ms / 1000);
    out += '.';
    const qint64 fraction = ms % 1000;
    if (fraction >= 0 && fraction < 100)
        out += fraction < 10 ? "00" : "0";
    appendNumber(out, fraction);
}

// "28/Nov/2026:08:32:51.123 +0000" (text) or "2026-11-28T08:32:51.123Z" (JSON), always UTC.
// gmtime_r, not QDateTime: no locale, no allocation, any thread. The text up to the second is
// kept per thread and format: a busy log writes many lines within one second, and gmtime_r
// with snprintf cost more than the rest of a line.
void appendTime(QByteArray &out, qint64 timeMs, LogFormat format)
{
    static constexpr const char *Months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct Second {
        qint64 seconds = -1;
        char text[32] = {};
        int size = 0;
    };
    thread_local Second cache[2]; // [Text, Json]
    Second &second = cache[format == LogFormat::Json];
    if (second.seconds != timeMs / 1000 || second.seconds < 0) {
        second.seconds = timeMs / 1000;
        const time_t seconds = time_t(second.seconds);
        tm t = {};
        gmtime_r(&seconds, &t);
        const int n = format == LogFormat::Json
                          ? snprintf(second.text, sizeof second.text, "%04d-%02d-%02dT%02d:%02d:%02d", t.tm_year + 1900,
                                     t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
                          : snprintf(second.text, sizeof second.text, "%02d/%s/%04d:%02d:%02d:%02d", t.tm_mday,
                                     Months[t.tm_mon % 12], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
        second.size = qBound(0, n, int(sizeof second.text) - 1);
    }
    out.append(second.text, second.size);
    const int ms = int(timeMs % 1000);
    const char fraction[] = {'.', char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10)};
    out.append(fraction, 4);
    out += format == LogFormat::Json ? "Z" : " +0000";
}

const char *endName(const AccessRecord &record)
{
    switch (record.kind) {
    case AccessRecord::Kind::RejectedHttp1:
        return "rejected-h1";
    case AccessRecord::Kind::RejectedHttp2:
        return "rejected-h2";
    case AccessRecord::Kind::RejectedOther:
        return "rejected-other";
    case AccessRecord::Kind::Stream:
        break;
    }
    switch (record.end) {
    case AccessRecord::End::Complete:
        return "complete";
    case AccessRecord::End::Reset:
        return "rst";
    case AccessRecord::End::ClientReset:
        return "client-rst";
    case AccessRecord::End::SessionClosed:
        return "session-closed";
    }
    return "";
}

bool wasReset(const AccessRecord &record)
{
    return record.end == AccessRecord::End::Reset || record.end == AccessRecord::End::ClientReset;
}

void appendNumberOrDash(QByteArray &out, qint64 n, bool known)
{
    if (known)
        appendNumber(out, n);
    else
        out += '-';
}

QByteArray textLine(const AccessRecord &r)
{
    QByteArray out;
    out.reserve(160 + r.method.size() + r.host.size() + r.path.size());
    const bool ipv6 = r.peerAddress.contains(u':'); // [::1]:443, as formatEndpoint() writes it
    if (ipv6)
        out += '[';
    appendTextField(out, r.peerAddress.toUtf8());
    out += ipv6 ? "]:" : ":";
    appendNumber(out, r.peerPort);
    out += ' ';
    if (r.kind == AccessRecord::Kind::Stream) {
        appendNumber(out, qint64(r.sessionId));
        out += '/';
        appendNumber(out, r.streamId);
    } else {
        out += '-';
    }
    out += ' ';
    appendTextField(out, r.clientTag.toUtf8());
    out += " [";
    appendTime(out, r.timeMs, LogFormat::Text);
    out += "] \"";
    appendTextField(out, r.method);
    out += ' ';
    appendTextField(out, r.host);
    out += ' ';
    appendTextField(out, r.path);
    out += "\" ";
    appendNumberOrDash(out, r.status, r.status > 0);
    out += ' ';
    appendNumberOrDash(out, r.bytesIn, r.bytesIn >= 0);
    out += ' ';
    appendNumberOrDash(out, r.bytesOut, r.bytesOut >= 0);
    out += ' ';
    appendSeconds(out, r.durationUs / 1000);
    out += ' ';
    if (r.backendMs >= 0)
        appendSeconds(out, r.backendMs);
    else
        out += '-';
    out += ' ';
    if (r.kind == AccessRecord::Kind::Stream && r.end == AccessRecord::End::Complete)
        out += '-';
    else
        out += endName(r);
    if (wasReset(r)) {
        out += '=';
        appendNumber(out, r.rstCode);
    }
    out += ' ';
    appendTextField(out, r.error);
    out += '\n';
    return out;
}

QByteArray jsonLine(const AccessRecord &r)
{
    QByteArray out;
    out.reserve(320 + r.method.size() + r.host.size() + r.path.size());
    auto key = [&out](const char *name) {
        out += out.isEmpty() ? "{\"" : ",\"";
        out += name;
        out += "\":";
    };
    auto number = [&](const char *name, qint64 n, bool known) {
        key(name);
        if (known)
            appendNumber(out, n);
        else
            out += "null";
    };
    auto seconds = [&](const char *name, qint64 ms, bool known) {
        key(name);
        if (known)
            appendSeconds(out, ms);
        else
            out += "null";
    };
    const bool stream = r.kind == AccessRecord::Kind::Stream;
    key("time");
    out += '"';
    appendTime(out, r.timeMs, LogFormat::Json);
    out += '"';
    key("type");
    out += stream ? "\"stream\"" : "\"rejected\"";
    key("peer");
    appendJsonString(out, r.peerAddress);
    number("peer_port", r.peerPort, true);
    number("session", qint64(r.sessionId), stream);
    number("stream", r.streamId, stream);
    key("client_tag");
    if (r.clientTag.isEmpty())
        out += "null";
    else
        appendJsonString(out, r.clientTag);
    key("method");
    appendJsonBytes(out, r.method);
    key("host");
    appendJsonBytes(out, r.host);
    key("path");
    appendJsonBytes(out, r.path);
    number("status", r.status, r.status > 0);
    number("bytes_in", r.bytesIn, r.bytesIn >= 0);
    number("bytes_out", r.bytesOut, r.bytesOut >= 0);
    seconds("duration", r.durationUs / 1000, true);
    seconds("backend_time", r.backendMs, r.backendMs >= 0);
    key("end");
    out += '"';
    out += endName(r);
    out += '"';
    number("rst", r.rstCode, wasReset(r));
    key("error");
    appendJsonBytes(out, r.error);
    out += "}\n";
    return out;
}

} // namespace

QByteArray formatAccessRecord(const AccessRecord &record, LogFormat format)
{
    return format == LogFormat::Json ? jsonLine(record) : textLine(record);
}

QByteArray formatEventLine(qint64 timeMs, LogLevel level, const QString &message, LogFormat format)
{
    QByteArray out;
    if (format == LogFormat::Json) {
        out += "{\"time\":\"";
        appendTime(out, timeMs, LogFormat::Json);
        out += "\",\"level\":\"";
        out += toString(level).latin1();
        out += "\",\"message\":";
        appendJsonString(out, message);
        out += "}\n";
        return out;
    }
    appendTime(out, timeMs, LogFormat::Json); // the event log's text lines keep their ISO time
    out += ' ';
    out += toString(level).latin1();
    out += ' ';
    // Messages are UTF-8 text, spaces included; only what could break the line is escaped.
    appendEscaped(out, message.toUtf8(), [](uchar u) { return u < 0x20 || u == 0x7f; });
    out += '\n';
    return out;
}

} // namespace SeaCat
