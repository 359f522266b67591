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
    QUrl base;                // scheme, host, port, path prefix of the backend
    QByteArray method;
    QByteArray target;        // origin-form path + query for the request line
    HeaderList headers;       // final headers, Host and framing included
    bool hasBody = false;
    qint64 contentLength = -1; // -1 with a body: sent chunked
};

struct ClientIdentity {
    QString peerAddress;
    QString clientId;         // empty when anonymous
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
    quint16 status;
    QByteArray reason;
};

// Builds the backend request for a SYN_STREAM, or the status to answer instead (400).
// `forward` holds the lower-case names of the identity headers to add.
std::variant<BackendRequest, MappingError> mapRequest(const SynStream &syn, const QUrl &base,
                                                      const ClientIdentity &client,
                                                      const QSet<QByteArray> &forward);

// The backend's response headers as the client gets them: hop-by-hop and framing headers
// dropped; Content-Length kept only when the body is delimited by it.
HeaderList mapResponseHeaders(const HeaderList &headers);

bool isHopByHop(const QByteArray &lowerName);

} // namespace SeaCat
