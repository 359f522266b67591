#include "requestmapping.h"
#include "../gatewaylimits.h"
#include "httpgrammar.h"

#include <QHostAddress>
#include <QUtf8StringView>

#include <algorithm>
#include <cstring>

namespace SeaCat {

using namespace Http;

QSet<QByteArray> ForwardHeader::all()
{
    return {ForwardedFor.toLower(), ForwardedHost.toLower(), ClientId.toLower(), ClientTag.toLower()};
}

bool isHopByHop(QByteArrayView name)
{
    // §5.1 "Headers" and RFC 9110 §7.6.1; Host is set from the configuration instead.
    // Compared without a lower-case copy: this runs for every header of every request and response.
    static constexpr QByteArrayView names[] = {"connection",
                                               "keep-alive",
                                               "proxy-connection",
                                               "proxy-authenticate",
                                               "proxy-authorization",
                                               "te",
                                               "trailer",
                                               "transfer-encoding",
                                               "upgrade",
                                               "host"};
    return std::any_of(std::begin(names), std::end(names), [name](QByteArrayView hop) { return nameIs(name, hop); });
}

namespace {

// Names listed in Connection are hop-by-hop too (lower case). Names dropped anyway are left
// out, so the usual "Connection: keep-alive" leaves the set empty (and unallocated): the
// tokens are looked at as views, and only one that is kept is copied.
QSet<QByteArray> connectionTokens(const HeaderList &headers)
{
    QSet<QByteArray> tokens;
    for (const auto &[name, value] : headers) {
        if (!nameIs(name, "connection"))
            continue;
        for (qsizetype start = 0; start <= value.size();) {
            qsizetype comma = value.indexOf(',', start);
            if (comma < 0)
                comma = value.size();
            const QByteArrayView token = QByteArrayView(value).sliced(start, comma - start).trimmed();
            if (!isHopByHop(token))
                tokens.insert(token.toByteArray().toLower());
            start = comma + 1;
        }
    }
    return tokens;
}

bool dropsConnectionToken(const QSet<QByteArray> &tokens, const QByteArray &name)
{
    return !tokens.isEmpty() && tokens.contains(name.toLower());
}

QByteArray authority(const QUrl &base)
{
    const bool defaultPort = base.port() < 0 || (base.scheme() == u"http" && base.port() == 80) ||
                             (base.scheme() == u"https" && base.port() == 443);
    QByteArray host = base.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';
    return defaultPort ? host : host + ':' + QByteArray::number(base.port());
}

// Visible ASCII without '#': nothing that could end the request line or start a fragment.
bool isOriginFormTarget(const QByteArray &target)
{
    return target.startsWith('/') &&
           std::all_of(target.cbegin(), target.cend(), [](char c) { return c > ' ' && c < 0x7F && c != '#'; });
}

// RFC 3986 §3.2.2: unreserved, pct-encoded and sub-delims.
bool isRegName(const QByteArray &name)
{
    static const QByteArray allowed = QByteArrayLiteral("-._~!$&'()*+,;=");
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        if (c == '%') {
            if (i + 2 >= name.size() || !isHex(name.at(i + 1)) || !isHex(name.at(i + 2)))
                return false;
            i += 2;
        } else if (!isAlpha(c) && !isDigit(c) && !allowed.contains(c)) {
            return false;
        }
    }
    return !name.isEmpty();
}

// RFC 3986 §3.2.3: an optional ":" and up to five digits, at most 65535.
bool isPortSuffix(const QByteArray &suffix)
{
    if (suffix.isEmpty())
        return true;
    const QByteArray digits = suffix.mid(1);
    return suffix.startsWith(':') && digits.size() <= 5 && std::all_of(digits.cbegin(), digits.cend(), isDigit) &&
           digits.toInt() <= 65535;
}

} // namespace

QByteArray utf8FieldValue(const QByteArray &value)
{
    // RFC 9110 §5.5 obs-text was ISO-8859-1; a SeaCat string is UTF-8 (§2.5), and the SDKs'
    // parsers fail on anything else. Values that are valid UTF-8 already stay as they are.
    if (std::all_of(value.cbegin(), value.cend(), [](char c) { return uchar(c) < 0x80; }) ||
        QUtf8StringView(value).isValidUtf8())
        return value;
    return QString::fromLatin1(value).toUtf8();
}

std::optional<QString> requestHostKey(const QByteArray &host)
{
    QByteArray name;
    QByteArray suffix;
    if (host.startsWith('[')) {
        // IP-literal: IPv6 only (IPvFuture names nothing a backend table holds).
        const qsizetype end = host.indexOf(']');
        name = end > 0 ? host.mid(1, end - 1) : QByteArray();
        if (QHostAddress(QString::fromLatin1(name)).protocol() != QAbstractSocket::IPv6Protocol ||
            !std::all_of(name.cbegin(), name.cend(), [](char c) { return isHex(c) || c == ':' || c == '.'; }))
            return std::nullopt;
        suffix = host.mid(end + 1);
    } else {
        const qsizetype colon = host.indexOf(':');
        name = host.left(colon < 0 ? host.size() : colon);
        suffix = colon < 0 ? QByteArray() : host.mid(colon);
        if (!isRegName(name))
            return std::nullopt;
    }
    if (!isPortSuffix(suffix))
        return std::nullopt;
    QString key = QString::fromLatin1(name).toLower();
    if (key.endsWith(u'.'))
        key.chop(1);
    if (key.endsWith(QLatin1String(".seacat")))
        key.chop(7);
    return key;
}

std::variant<RequestRoute, MappingError> routeRequest(const SynStream &syn)
{
    // Sizes first: a 431 says what to shorten, whatever else is wrong.
    if (syn.method.size() > Limits::MaxMethodBytes || syn.host.size() > Limits::MaxHostBytes ||
        syn.path.size() > Limits::MaxPathBytes)
        return MappingError{431, "method, host or path over the gateway's limits"};
    if (syn.headers.size() > Limits::MaxRequestHeaders)
        return MappingError{431, "more than " + QByteArray::number(Limits::MaxRequestHeaders) + " header fields"};
    qsizetype headerBytes = 0;
    for (const auto &[name, value] : syn.headers)
        headerBytes += name.size() + value.size();
    if (headerBytes > Limits::MaxRequestHeaderBytes)
        return MappingError{431, "header fields over " + QByteArray::number(Limits::MaxRequestHeaderBytes) + " bytes"};

    // §5.1 "Method": an HTTP token.
    if (!isToken(syn.method))
        return MappingError{400, "invalid method"};
    const auto hostKey = requestHostKey(syn.host);
    if (!hostKey)
        return MappingError{400, "invalid host: expected a name or [IPv6] literal with an optional :port"};
    // §5.1 "Path": strip a #fragment; empty means "/"; anything else must be origin-form.
    QByteArray path = syn.path.left(syn.path.indexOf('#') < 0 ? syn.path.size() : syn.path.indexOf('#'));
    if (path.isEmpty())
        path = "/";
    if (!isOriginFormTarget(path))
        return MappingError{400, "the path must start with / and contain no spaces or control characters"};
    return RequestRoute{*hostKey, path};
}

std::variant<BackendRequest, MappingError> mapRequest(const SynStream &syn, const RequestRoute &route, const QUrl &base,
                                                      const ForwardedIdentity &client, const QSet<QByteArray> &forward)
{
    BackendRequest request;
    request.base = base;
    request.method = syn.method;
    QByteArray prefix = base.path(QUrl::FullyEncoded).toLatin1();
    if (prefix.endsWith('/'))
        prefix.chop(1);

    HeaderList headers{{"Host", authority(base)}};
    headers.reserve(syn.headers.size() + 7);
    const QSet<QByteArray> hopByHop = connectionTokens(syn.headers);
    // Built once, not per request.
    static const QSet<QByteArray> identity = ForwardHeader::all();
    static const QByteArray forwardedFor = ForwardHeader::ForwardedFor.toLower();
    static const QByteArray forwardedHost = ForwardHeader::ForwardedHost.toLower();
    static const QByteArray clientId = ForwardHeader::ClientId.toLower();
    static const QByteArray clientTag = ForwardHeader::ClientTag.toLower();
    for (const auto &[rawName, rawValue] : syn.headers) {
        const QByteArray name = rawName.trimmed();
        const QByteArray lower = name.toLower();
        QByteArray value = rawValue.trimmed();
        if (!isToken(name) || !isFieldValue(value))
            return MappingError{400, "invalid header"};
        if (isHopByHop(name) || dropsConnectionToken(hopByHop, name) || identity.contains(lower))
            continue; // incoming identity headers are stripped: only the gateway sets them
        if (lower == "content-length") {
            const auto n = parseContentLength(value);
            if (!n || (request.contentLength >= 0 && request.contentLength != *n))
                return MappingError{400, "invalid or conflicting Content-Length"};
            if (request.contentLength >= 0)
                continue; // an identical duplicate
            request.contentLength = *n;
            value = QByteArray::number(*n);
        }
        headers.append({name, value});
    }
    request.hasBody = !syn.fin;
    if (!request.hasBody && request.contentLength > 0)
        return MappingError{400, "Content-Length without a body"};
    if (request.hasBody && request.contentLength < 0)
        headers.append({QByteArrayLiteral("Transfer-Encoding"), QByteArrayLiteral("chunked")});
    if (forward.contains(forwardedFor))
        headers.append({ForwardHeader::ForwardedFor, client.peerAddress.toLatin1()});
    if (forward.contains(forwardedHost))
        headers.append({ForwardHeader::ForwardedHost, syn.host});
    if (!client.clientId.isEmpty() && forward.contains(clientId))
        headers.append({ForwardHeader::ClientId, client.clientId.toLatin1()});
    if (!client.clientTag.isEmpty() && forward.contains(clientTag))
        headers.append({ForwardHeader::ClientTag, client.clientTag.toLatin1()});
    headers.append({QByteArrayLiteral("Connection"), QByteArrayLiteral("keep-alive")});
    auto head = writeRequestHead(request.method, prefix + route.path, headers);
    if (!head)
        return MappingError{400, "invalid request head"};
    request.head = std::move(*head);
    return request;
}

std::optional<QByteArray> writeRequestHead(const QByteArray &method, const QByteArray &target,
                                           const HeaderList &headers)
{
    if (!isToken(method) || !isOriginFormTarget(target))
        return std::nullopt;
    qsizetype size = method.size() + 1 + target.size() + 11 + 2; // " ", " HTTP/1.1\r\n", "\r\n"
    for (const auto &[name, value] : headers)
        size += name.size() + 2 + value.size() + 2;
    // One allocation for the whole head, filled in place: a dozen headers made fifty appends.
    QByteArray head(size, Qt::Uninitialized);
    char *p = head.data();
    const auto put = [&p](QByteArrayView bytes) {
        if (!bytes.isEmpty())
            memcpy(p, bytes.data(), size_t(bytes.size()));
        p += bytes.size();
    };
    put(method);
    put(" ");
    put(target);
    put(" HTTP/1.1\r\n");
    for (const auto &[name, value] : headers) {
        if (!isToken(name) || !isFieldValue(value))
            return std::nullopt;
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
    put("\r\n");
    Q_ASSERT(p == head.constData() + head.size());
    return head;
}

HeaderList mapResponseHeaders(int status, const HeaderList &headers)
{
    const QSet<QByteArray> hopByHop = connectionTokens(headers);
    bool chunked = false;
    for (const auto &[name, value] : headers)
        chunked = chunked || (nameIs(name, "transfer-encoding") && value.toLower().contains("chunked"));
    HeaderList out;
    out.reserve(headers.size());
    for (const auto &[name, value] : headers) {
        // README "Requests": never Transfer-Encoding towards the client; Content-Length only when exact.
        if (isHopByHop(name) || dropsConnectionToken(hopByHop, name) ||
            ((chunked || status == 204) && nameIs(name, "content-length")))
            continue;
        out.append({name, utf8FieldValue(value)});
    }
    return out;
}

} // namespace SeaCat
