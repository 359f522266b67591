// SeaCat request ⇄ backend HTTP mapping (README "Requests", "Backend headers"): pure functions,
// so every rule is testable without sockets.
#pragma once

#include "codec/frames.h"

#include <QSet>
#include <QUrl>
#include <optional>
#include <variant>

namespace SeaCat {

struct BackendRequest {
    QUrl base; // scheme, host, port, path prefix of the backend
    QByteArray method;
    QByteArray head; // request line and headers, from writeRequestHead()
    bool hasBody = false;
    qint64 contentLength = -1; // -1 with a body: sent chunked
};

// Who the client is, as the identity headers tell the backend.
struct ForwardedIdentity {
    QString peerAddress;
    QString clientId; // empty when anonymous
    QString clientTag;
};

// Names of the identity headers the gateway adds (each can be switched off).
namespace ForwardHeader {
inline const QByteArray ForwardedFor = QByteArrayLiteral("X-Forwarded-For");
inline const QByteArray ForwardedHost = QByteArrayLiteral("X-Forwarded-Host");
inline const QByteArray ClientId = QByteArrayLiteral("X-SeaCat-Client-Id");
inline const QByteArray ClientTag = QByteArrayLiteral("X-SeaCat-Client-Tag");
QSet<QByteArray> all(); // lower-case names
} // namespace ForwardHeader

struct MappingError {
    quint16 status; // 400, or 431 for a head over the limits
    QByteArray reason;
};

// What a SYN_STREAM asks for, checked against HTTP/1.1's grammar and the head limits
// (README "Limits") before anything is looked up.
struct RequestRoute {
    QString hostKey; // the host table key
    QByteArray path; // origin-form, fragment stripped
};
std::variant<RequestRoute, MappingError> routeRequest(const SynStream &syn);

// The host table key of a host (README "Requests": lowercase, without ":port" and a trailing
// ".seacat"), or nothing when it is not a reg-name or IP literal with an optional port
// (RFC 3986 §3.2.2-3).
std::optional<QString> requestHostKey(const QByteArray &host);

// Builds the backend request for a routed SYN_STREAM, or the status to answer instead (400).
// `forward` holds the lower-case names of the identity headers to add.
std::variant<BackendRequest, MappingError> mapRequest(const SynStream &syn, const RequestRoute &route, const QUrl &base,
                                                      const ForwardedIdentity &client, const QSet<QByteArray> &forward);

// The one writer of backend request heads: whatever produced them, it refuses a method or
// name that is not a token, a target with a CTL or space, and a value with a CTL (but HTAB),
// so nothing can end a header line or the head early.
std::optional<QByteArray> writeRequestHead(const QByteArray &method, const QByteArray &target,
                                           const HeaderList &headers);

// The backend's response headers as the client gets them: hop-by-hop and framing headers
// dropped; Content-Length kept only when the body is delimited by it.
// A 204 carries no Content-Length (RFC 9110 §8.6).
HeaderList mapResponseHeaders(int status, const HeaderList &headers);

// Any case: "Connection" and "connection" alike.
bool isHopByHop(QByteArrayView name);

// A response header value as a SeaCat string: UTF-8 as it is, anything else read as
// ISO-8859-1 (obs-text) and written as UTF-8.
QByteArray utf8FieldValue(const QByteArray &value);

} // namespace SeaCat
