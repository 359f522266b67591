// Serialises frames: one value struct per frame, one builder for the bytes.
// Results larger than the outbound limit are the caller's to avoid: fitsOutbound() tells.
#pragma once

#include "frames.h"

namespace SeaCat {

class FrameBuilder
{
public:
    FrameBuilder &beginControl(FrameVersion version, quint16 type, quint8 flags);
    FrameBuilder &beginData(quint32 streamId, quint8 flags);
    FrameBuilder &u8(quint8 value);
    FrameBuilder &u16(quint16 value);
    FrameBuilder &u32(quint32 value);
    FrameBuilder &bytes(const QByteArray &value);
    FrameBuilder &vle(const QByteArray &value);
    FrameBuilder &headers(const HeaderList &headers);
    // Patches the 24-bit length (§2.1) and hands the frame out. Empty when a VLE string was
    // over 65 535 bytes or the payload over 24 bits: such a frame cannot exist on the wire.
    QByteArray finish();

private:
    QByteArray m_frame;
    bool m_ok = true;
};

QByteArray serialize(const SynStream &frame);
QByteArray serialize(const SynReply &frame);
QByteArray serialize(const DataFrame &frame);
QByteArray serialize(const RstStream &frame);
QByteArray serialize(const Ping &frame);
QByteArray serialize(const Csr &frame);
QByteArray serialize(const CertQuery &frame);
QByteArray serialize(const Cert &frame);
QByteArray serialize(const CsrReply &frame);
QByteArray serialize(const SocketsRequest &frame);
QByteArray serialize(const SocketsReply &frame);
QByteArray serialize(const TelemetryCapabilities &frame);
QByteArray serialize(const TelemetryAck &frame);

// §2.2: the clients' receive buffer is 16 KiB, header included.
bool fitsOutbound(const QByteArray &frame);

} // namespace SeaCat
