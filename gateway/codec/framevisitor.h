// Receives the frames FrameReader decodes. All callbacks are synchronous, from
// inside FrameReader::feed().
#pragma once

#include "frameerror.h"
#include "frames.h"

namespace SeaCat {

class FrameVisitor
{
public:
    virtual ~FrameVisitor() = default;

    virtual void onSynStream(const SynStream &frame) = 0;
    virtual void onSynReply(const SynReply &frame) = 0;
    virtual void onData(const DataFrame &frame) = 0;
    virtual void onRstStream(const RstStream &frame) = 0;
    virtual void onPing(const Ping &frame) = 0;
    virtual void onCsr(const Csr &frame) = 0;
    virtual void onCertQuery(const CertQuery &frame) = 0;
    virtual void onCert(const Cert &frame) = 0;
    virtual void onCsrReply(const CsrReply &frame) = 0;
    virtual void onSocketsRequest(const SocketsRequest &frame) = 0;
    virtual void onSocketsReply(const SocketsReply &frame) = 0;
    virtual void onTelemetryCapabilities(const TelemetryCapabilities &frame) = 0;
    virtual void onTelemetryAck(const TelemetryAck &frame) = 0;
    // A well-framed control frame of a version/type we do not know: ignored and counted.
    virtual void onUnknownFrame(quint16 version, quint16 type, quint8 flags, quint32 length) = 0;
    // `streamId` is non-zero exactly when errorScope(error) == ErrorScope::Stream.
    virtual void onError(FrameError error, quint32 streamId, const QString &detail) = 0;
};

} // namespace SeaCat
