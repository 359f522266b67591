#include "httpresponseparser.h"
#include "httpgrammar.h"

#include <algorithm>
#include <cstring>

namespace SeaCat {

namespace {
// The blank line that ends a head, from `from` on; -1 when not there yet. A memchr per line,
// not QByteArray::indexOf or memmem: their 4-byte searches cost 3k and 1k instructions a head.
qsizetype findHeadEnd(const char *data, qsizetype size, qsizetype from)
{
    const char *const end = data + size;
    for (const char *nl = data + from; (nl = static_cast<const char *>(memchr(nl, '\n', size_t(end - nl)))); ++nl) {
        if (nl - data >= from + 3 && nl[-1] == '\r' && nl[-2] == '\n' && nl[-3] == '\r')
            return nl - 3 - data;
    }
    return -1;
}
} // namespace

HttpResponseParser::HttpResponseParser(Callbacks callbacks, bool headRequest)
    : m_callbacks(std::move(callbacks)), m_headRequest(headRequest)
{ }

bool HttpResponseParser::fail(const QString &why)
{
    m_state = State::Failed;
    m_error = why;
    return false;
}

void HttpResponseParser::complete()
{
    m_state = State::Done;
    m_callbacks.complete();
}

bool HttpResponseParser::parseHead(QByteArrayView head)
{
    // Lines are views into the head: only the names and values passed on are copied.
    qsizetype lineEnd = head.indexOf('\n');
    const QByteArrayView statusLine = (lineEnd < 0 ? head : head.first(lineEnd)).trimmed();
    // "HTTP/1.1 200 OK"
    if (!statusLine.startsWith("HTTP/1.") || statusLine.size() < 12 || statusLine[8] != ' ' ||
        (statusLine.size() > 12 && statusLine[12] != ' '))
        return fail(QStringLiteral("bad status line"));
    const QByteArrayView code = statusLine.sliced(9, 3);
    // RFC 9110 §15: three digits, 1xx to 5xx. A 101 answers an Upgrade this gateway never sends.
    if (!std::all_of(code.cbegin(), code.cend(), Http::isDigit))
        return fail(QStringLiteral("bad status code"));
    const int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status < 100 || status > 599 || status == 101)
        return fail(QStringLiteral("bad status code"));
    const bool http10 = statusLine.startsWith("HTTP/1.0");

    HeaderList headers;
    headers.reserve(16); // one allocation for a usual head
    qint64 contentLength = -1;
    bool chunked = false;
    bool connectionClose = http10, connectionKeepAlive = false;
    while (lineEnd >= 0) {
        const qsizetype lineStart = lineEnd + 1;
        lineEnd = head.indexOf('\n', lineStart);
        const QByteArrayView line = head.sliced(lineStart, (lineEnd < 0 ? head.size() : lineEnd) - lineStart).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(QStringLiteral("bad header line"));
        // RFC 9112 §5.1: no whitespace before the colon; a name is visible ASCII, a value has no
        // CTL but HTAB (a bare CR would reach clients that rebuild an HTTP/1 head).
        const QByteArrayView name = line.first(colon);
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (!std::all_of(name.cbegin(), name.cend(), [](char c) { return c > ' ' && c < 0x7F; }) ||
            !Http::isFieldValue(value))
            return fail(QStringLiteral("bad header line"));
        if (Http::nameIs(name, "content-length")) {
            const auto n = Http::parseContentLength(value);
            if (!n || (contentLength >= 0 && contentLength != *n))
                return fail(QStringLiteral("bad or conflicting Content-Length"));
            contentLength = *n;
        } else if (Http::nameIs(name, "transfer-encoding")) {
            chunked = value.size() >= 7 && value.last(7).compare("chunked", Qt::CaseInsensitive) == 0;
        } else if (Http::nameIs(name, "connection")) {
            const QByteArray tokens = value.toByteArray().toLower();
            connectionClose = connectionClose || tokens.contains("close");
            connectionKeepAlive = tokens.contains("keep-alive");
        }
        // Views into the head, which outlives the head callback (Callbacks::head): no copy each.
        headers.append(
            {QByteArray::fromRawData(name.data(), name.size()), QByteArray::fromRawData(value.data(), value.size())});
    }
    if (status < 200) {
        // Interim response (100 Continue, 103 Early Hints): skip it, the real one follows.
        m_state = State::Head;
        return true;
    }
    m_headSeen = true;
    m_keepAlive = !connectionClose || (http10 && connectionKeepAlive);
    m_callbacks.head(status, headers);
    if (m_state == State::Failed)
        return false;
    if (m_headRequest || status == 204 || status == 304) {
        complete();
    } else if (chunked) {
        m_state = State::ChunkSize;
    } else if (contentLength >= 0) {
        m_remaining = contentLength;
        m_state = State::FixedBody;
        if (m_remaining == 0)
            complete();
    } else {
        m_keepAlive = false;
        m_state = State::UntilClose;
    }
    return true;
}

bool HttpResponseParser::feed(const char *data, qsizetype size)
{
    qsizetype pos = 0;
    while (pos < size) {
        switch (m_state) {
        case State::Head: {
            const qsizetype oldSize = m_line.size();
            const qsizetype take = qMin(size - pos, MaxHeadBytes + 4 - oldSize);
            if (oldSize == 0) {
                // The usual case, a whole head in one read: parsed where it is, not copied.
                const qsizetype end = findHeadEnd(data + pos, take, 0);
                if (end >= 0) {
                    const QByteArrayView head(data + pos, end);
                    pos += end + 4;
                    if (!parseHead(head))
                        return false;
                    break;
                }
            }
            m_line.append(data + pos, take);
            const qsizetype end = findHeadEnd(m_line.constData(), m_line.size(), qMax<qsizetype>(0, oldSize - 3));
            if (end < 0) {
                if (m_line.size() > MaxHeadBytes)
                    return fail(QStringLiteral("response head over %1 bytes").arg(MaxHeadBytes));
                pos += take;
                break;
            }
            pos += end + 4 - oldSize;
            const QByteArray head = std::exchange(m_line, QByteArray());
            if (!parseHead(QByteArrayView(head).first(end)))
                return false;
            break;
        }
        case State::FixedBody: {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, size - pos));
            m_callbacks.body(data + pos, take);
            pos += take;
            m_remaining -= take;
            if (m_remaining == 0)
                complete();
            break;
        }
        case State::ChunkSize:
        case State::ChunkDataEnd:
        case State::Trailers: {
            const char *nl = static_cast<const char *>(memchr(data + pos, '\n', size_t(size - pos)));
            const qsizetype take = nl ? qsizetype(nl - (data + pos)) + 1 : size - pos;
            m_line.append(data + pos, take);
            pos += take;
            if (m_line.size() > MaxChunkLineBytes)
                return fail(QStringLiteral("chunk line too long"));
            if (!nl)
                break;
            const QByteArray line = m_line.trimmed();
            m_line.clear();
            if (m_state == State::ChunkDataEnd) {
                if (!line.isEmpty())
                    return fail(QStringLiteral("missing CRLF after chunk"));
                m_state = State::ChunkSize;
            } else if (m_state == State::Trailers) {
                if (line.isEmpty())
                    complete(); // trailers are dropped: SeaCat has no place for them
            } else {
                bool ok = false;
                const qsizetype extension = line.indexOf(';'); // chunk extensions are ignored
                const qint64 n = (extension < 0 ? line : line.left(extension)).trimmed().toLongLong(&ok, 16);
                if (!ok || n < 0)
                    return fail(QStringLiteral("bad chunk size"));
                m_remaining = n;
                m_state = n == 0 ? State::Trailers : State::ChunkData;
            }
            break;
        }
        case State::ChunkData: {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, size - pos));
            m_callbacks.body(data + pos, take);
            pos += take;
            m_remaining -= take;
            if (m_remaining == 0)
                m_state = State::ChunkDataEnd;
            break;
        }
        case State::UntilClose:
            m_callbacks.body(data + pos, size - pos);
            pos = size;
            break;
        case State::Done:
            return fail(QStringLiteral("bytes after the end of the response"));
        case State::Failed:
            return false;
        }
    }
    return m_state != State::Failed;
}

bool HttpResponseParser::finishOnClose()
{
    if (m_state == State::UntilClose) {
        complete();
        return true;
    }
    if (m_state == State::Done)
        return true;
    return fail(m_headSeen ? QStringLiteral("backend closed the connection mid-body")
                           : QStringLiteral("backend closed the connection before responding"));
}

} // namespace SeaCat
