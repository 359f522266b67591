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
    case FrameError::PayloadTooLarge: return QStringLiteral("payload too large");
    case FrameError::InvalidStreamId: return QStringLiteral("invalid stream id");
    case FrameError::PayloadSizeMismatch: return QStringLiteral("payload size mismatch");
    case FrameError::MalformedHeaderBlock: return QStringLiteral("malformed header block");
    case FrameError::ErrorCount: break;
    }
    return QStringLiteral("unknown error");
}

} // namespace SeaCat
