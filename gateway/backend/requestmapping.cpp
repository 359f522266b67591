#include "requestmapping.h"

namespace SeaCat {

QSet<QByteArray> ForwardHeader::all()
{
    return {ForwardedFor.toLower(), ForwardedHost.toLower(), ClientId.toLower(), ClientTag.toLower()};
}

bool isHopByHop(const QByteArray &lowerName)
{
    // §5.1 "Headers" and RFC 9110 §7.6.1; Host is set from the configuration instead.
    static const QSet<QByteArray> names{"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"};
    return names.contains(lowerName);
}

namespace {

// Names listed in Connection are hop-by-hop too.
QSet<QByteArray> connectionTokens(const HeaderList &headers)
{
    QSet<QByteArray> tokens;
    for (const auto &[name, value] : headers)
        if (name.toLower() == "connection")
            for (const QByteArray &token : value.split(','))
                tokens.insert(token.trimmed().toLower());
    return tokens;
}

QByteArray authority(const QUrl &base)
{
    const bool defaultPort = base.port() < 0 || (base.scheme() == u"http" && base.port() == 80)
        || (base.scheme() == u"https" && base.port() == 443);
    QByteArray host = base.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';
    return defaultPort ? host : host + ':' + QByteArray::number(base.port());
}

} // namespace

std::variant<BackendRequest, MappingError> mapRequest(const SynStream &syn, const QUrl &base,
                                                      const ClientIdentity &client,
                                                      const QSet<QByteArray> &forward)
{
    // §5.1 "Method": an HTTP token.
    if (syn.method.isEmpty() || syn.method.size() > 32
        || std::any_of(syn.method.cbegin(), syn.method.cend(), [](char c) { return c <= ' ' || c >= 127; }))
        return MappingError{400, "invalid method"};
    // §5.1 "Path": strip a #fragment; empty means "/"; anything else must be origin-form.
    QByteArray path = syn.path.left(syn.path.indexOf('#') < 0 ? syn.path.size() : syn.path.indexOf('#'));
    if (path.isEmpty())
        path = "/";
    if (!path.startsWith('/') || std::any_of(path.cbegin(), path.cend(), [](char c) { return c <= ' ' || c == 127; }))
        return MappingError{400, "the path must start with / and contain no spaces or control characters"};

    BackendRequest request;
    request.base = base;
    request.method = syn.method;
    QByteArray prefix = base.path(QUrl::FullyEncoded).toLatin1();
    if (prefix.endsWith('/'))
        prefix.chop(1);
    request.target = prefix + path;

    const QSet<QByteArray> hopByHop = connectionTokens(syn.headers);
    const QSet<QByteArray> identity = ForwardHeader::all();
    for (const auto &[rawName, rawValue] : syn.headers) {
        const QByteArray name = rawName.trimmed();
        const QByteArray lower = name.toLower();
        const QByteArray value = rawValue.trimmed();
        if (name.isEmpty() || std::any_of(name.cbegin(), name.cend(), [](char c) { return c <= ' ' || c == ':' || c >= 127; })
            || value.contains('\r') || value.contains('\n') || value.contains('\0'))
            return MappingError{400, "invalid header"};
        if (isHopByHop(lower) || hopByHop.contains(lower) || identity.contains(lower))
            continue; // incoming identity headers are stripped: only the gateway sets them
        if (lower == "content-length") {
            bool ok = false;
            const qint64 n = value.toLongLong(&ok);
            if (!ok || n < 0 || (request.contentLength >= 0 && request.contentLength != n))
                return MappingError{400, "invalid or conflicting Content-Length"};
            if (request.contentLength >= 0)
                continue; // an identical duplicate
            request.contentLength = n;
        }
        request.headers.append({name, value});
    }
    request.hasBody = !syn.fin;
    if (!request.hasBody && request.contentLength > 0)
        return MappingError{400, "Content-Length without a body"};
    if (request.hasBody && request.contentLength < 0)
        request.headers.append({QByteArrayLiteral("Transfer-Encoding"), QByteArrayLiteral("chunked")});
    request.headers.prepend({"Host", authority(base)});
    if (forward.contains(ForwardHeader::ForwardedFor.toLower()))
        request.headers.append({ForwardHeader::ForwardedFor, client.peerAddress.toLatin1()});
    if (forward.contains(ForwardHeader::ForwardedHost.toLower()))
        request.headers.append({ForwardHeader::ForwardedHost, syn.host});
    if (!client.clientId.isEmpty() && forward.contains(ForwardHeader::ClientId.toLower()))
        request.headers.append({ForwardHeader::ClientId, client.clientId.toLatin1()});
    if (!client.clientTag.isEmpty() && forward.contains(ForwardHeader::ClientTag.toLower()))
        request.headers.append({ForwardHeader::ClientTag, client.clientTag.toLatin1()});
    request.headers.append({QByteArrayLiteral("Connection"), QByteArrayLiteral("keep-alive")});
    return request;
}

HeaderList mapResponseHeaders(const HeaderList &headers)
{
    const QSet<QByteArray> hopByHop = connectionTokens(headers);
    bool chunked = false;
    for (const auto &[name, value] : headers)
        chunked = chunked || (name.toLower() == "transfer-encoding" && value.toLower().contains("chunked"));
    HeaderList out;
    for (const auto &[name, value] : headers) {
        const QByteArray lower = name.toLower();
        // README "Requests": never Transfer-Encoding towards the client; Content-Length only when exact.
        if (isHopByHop(lower) || hopByHop.contains(lower) || (chunked && lower == "content-length"))
            continue;
        out.append({name, value});
    }
    return out;
}

} // namespace SeaCat
