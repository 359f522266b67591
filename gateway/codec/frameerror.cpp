#include "frameerror.h"

namespace SeaCat {

ErrorScope errorScope(FrameError error)
{
    switch (error) {
    case FrameError::PayloadTooLarge:
    case FrameError::InvalidStreamId:
        return ErrorScope::Connection;
    case FrameError::MalformedHeaderBlock:
        return ErrorScope::Stream;
    case FrameError::PayloadSizeMismatch:
        return ErrorScope::Frame;
    case FrameError::ErrorCount:
        break;
    }
    return ErrorScope::Connection;
}

QString toString(FrameError error)
{
    switch (error) {
    case FrameError::PayloadTooLarge:
        return QStringLiteral("payload too large");
    case FrameError::InvalidStreamId:
        return QStringLiteral("invalid stream id");
    case FrameError::PayloadSizeMismatch:
        return QStringLiteral("payload size mismatch");
    case FrameError::MalformedHeaderBlock:
        return QStringLiteral("malformed header block");
    case FrameError::ErrorCount:
        break;
    }
    return QStringLiteral("unknown error");
}

RstStatus rstStatus(StreamError error)
{
    switch (error) {
    case StreamError::EvenStreamId:
    case StreamError::StreamIdInUse:
    case StreamError::StreamIdNotIncreasing:
    case StreamError::BodyLengthMismatch:
        return RstStatus::ProtocolError;
    case StreamError::UnknownStream:
        return RstStatus::InvalidStream;
    case StreamError::DataAfterFin:
        return RstStatus::StreamAlreadyClosed;
    case StreamError::TooManyStreams:
        return RstStatus::RefusedStream;
    }
    return RstStatus::ProtocolError;
}

QString toString(StreamError error)
{
    switch (error) {
    case StreamError::EvenStreamId:
        return QStringLiteral("even stream id from a client");
    case StreamError::StreamIdInUse:
        return QStringLiteral("stream id already in use");
    case StreamError::StreamIdNotIncreasing:
        return QStringLiteral("stream id not above the last one opened");
    case StreamError::UnknownStream:
        return QStringLiteral("no such open stream");
    case StreamError::DataAfterFin:
        return QStringLiteral("DATA after FIN");
    case StreamError::TooManyStreams:
        return QStringLiteral("too many open streams");
    case StreamError::BodyLengthMismatch:
        return QStringLiteral("body length differs from its Content-Length");
    }
    return {};
}

} // namespace SeaCat
