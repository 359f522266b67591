// Typed codec errors and their blast radius.
#pragma once

#include "frames.h"

#include <QString>

namespace SeaCat {

enum class FrameError {
    // §2.2 / README "Limits": the header claims more payload than the cap; the framing is lost.
    PayloadTooLarge,
    // §2.1 / §4.1: stream id 0 where a stream is required, or bit 31 set inside a payload.
    InvalidStreamId,
    // A fixed-size frame (PING, RST_STREAM, ...) has the wrong payload length, or a frame is too
    // short for its fixed fields and carries no stream id to reset. The frame is dropped.
    PayloadSizeMismatch,
    // §2.5 / §3.1: the VLE strings of a SYN_STREAM/SYN_REPLY overrun the payload or are missing.
    MalformedHeaderBlock,
    ErrorCount // sentinel, keep last
};

// Who suffers from an error: the frame alone (drop it, count it), its stream (RST_STREAM 1),
// or the whole connection (close with close_notify). Decided here, once (like nghttp2_is_fatal).
enum class ErrorScope { Frame, Stream, Connection };

ErrorScope errorScope(FrameError error);
QString toString(FrameError error);

// Errors a session finds in well-formed frames, against its stream table (§4). Each resets
// only its stream; rstStatus() picks the code, once.
enum class StreamError {
    EvenStreamId,          // §4.1: client streams are odd                        → 1 PROTOCOL_ERROR
    StreamIdInUse,         // §4.1: a SYN_STREAM reuses an open id                 → 1 PROTOCOL_ERROR
    StreamIdNotIncreasing, // SPDY/3 §2.3.2: a SYN_STREAM id not above the last one → 1 PROTOCOL_ERROR
    UnknownStream,         // §3.3: DATA for no open stream (the SDKs' answer)     → 2 INVALID_STREAM
    DataAfterFin,          // §3.3: DATA after the client's FIN                    → 9 STREAM_ALREADY_CLOSED
    TooManyStreams,        // README "Limits": over max-streams                    → 3 REFUSED_STREAM
    BodyLengthMismatch,    // README "Requests": body longer (or, once answered, shorter) than Content-Length → 1
};

RstStatus rstStatus(StreamError error);
QString toString(StreamError error);

} // namespace SeaCat
