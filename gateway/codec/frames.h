// Value types of the SeaCat framing (docs/seacat-protocol.md §2–§3).
// Plain structs: the reader fills them, the writer serialises them, nothing else.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace SeaCat {

// §2.1: the 16-bit word at offset 0 of a control frame (control bit included).
enum class FrameVersion : quint16 {
    Spdy3 = 0x8003,
    Alx1 = 0x80A1,
    Sockets = 0x80B2,
    Telemetry = 0x80B5,
};

// §2.3 control frame types, per version.
namespace FrameType {
inline constexpr quint16 RstStream = 0x0003;             // SPD3
inline constexpr quint16 Ping = 0x0006;                  // SPD3
inline constexpr quint16 SynStream = 0x0001;             // ALX1
inline constexpr quint16 SynReply = 0x0002;              // ALX1
inline constexpr quint16 Csr = 0x00C1;                   // ALX1
inline constexpr quint16 CertQuery = 0x00C2;             // ALX1
inline constexpr quint16 Cert = 0x00C3;                  // ALX1
inline constexpr quint16 CsrReply = 0x00C4;              // ALX1
inline constexpr quint16 SocketsRequest = 0x0001;        // 0xB2
inline constexpr quint16 SocketsReply = 0x0002;          // 0xB2
inline constexpr quint16 TelemetryCapabilities = 0x0002; // 0xB5
inline constexpr quint16 TelemetryAck = 0x0003;          // 0xB5
} // namespace FrameType

// §2.4
namespace FrameFlag {
inline constexpr quint8 Fin = 0x01;
inline constexpr quint8 CsrNotFound = 0x80; // on CERT
inline constexpr quint8 CsrStored = 0x01;   // on CSR_REPLY
inline constexpr quint8 CsrApproved = 0x02;
inline constexpr quint8 CsrRejected = 0x04;
} // namespace FrameFlag

// §3.4 RST_STREAM status codes.
enum class RstStatus : quint32 {
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    Cancel = 5,
    InternalError = 6,
    StreamAlreadyClosed = 9,
    ConnectionTimeout = 71,
    ResponseTimeout = 72,
};

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

struct SynStream { // §3.1
    quint32 streamId = 0;
    bool fin = false;
    quint8 priority = 0; // 0..7, top 3 bits of byte 8
    QByteArray host;
    QByteArray method;
    QByteArray path;
    HeaderList headers;
};

struct SynReply { // §3.2
    quint32 streamId = 0;
    bool fin = false; // the gateway never sets it (README "Requests")
    quint16 status = 0;
    HeaderList headers;
};

struct DataFrame { // §3.3
    quint32 streamId = 0;
    bool fin = false;
    QByteArray payload;
};

struct RstStream { // §3.4
    quint32 streamId = 0;
    quint32 status = 0;
};

struct Ping { // §3.5
    quint32 id = 0;
};

struct Csr { // §3.6
    quint8 flags = 0x01;
    QByteArray der;
};

struct CertQuery { // §3.7
    quint16 queryId = 0;
    quint16 queryType = 1;
    QByteArray publicKey; // empty on authenticated connections
};

struct Cert { // §3.8
    quint16 queryId = 0;
    quint16 queryType = 1;
    bool notFound = false; // flag 0x80: rejected or revoked
    QByteArray der;        // empty = "pending"
};

struct CsrReply { // §3.9
    quint8 flags = 0;
};

struct SocketsRequest { // §3.11
    quint32 streamId = 0;
    quint8 command = 1;
    quint8 addressType = 0xFE;
    quint16 port = 0;
};

struct SocketsReply { // §3.11
    quint32 streamId = 0;
    quint8 replyCode = 0;
    quint8 reserved1 = 1;
    quint16 reserved2 = 0;
};

struct TelemetryCapabilities { // §3.12
    quint32 serial = 0;
    QByteArray blob;
};

struct TelemetryAck { // §3.12
    quint32 serial = 0;
};

} // namespace SeaCat
