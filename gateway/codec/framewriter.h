// Serialises frames: one value struct per frame, one builder for the bytes.
// Results larger than the outbound limit are the caller's to avoid: fitsOutbound() tells.
// appendFrame() writes a frame after whatever its buffer holds already, so that frames
// produced together leave in one write without a buffer (and a copy) each; serialize() is
// the same frame on its own.
#pragma once

#include "frames.h"

namespace SeaCat {

class FrameBuilder
{
public:
    // The frame is appended to `out`.
    explicit FrameBuilder(QByteArray &out) : m_frame(out), m_start(out.size()) { }
    FrameBuilder &beginControl(FrameVersion version, quint16 type, quint8 flags);
    FrameBuilder &beginData(quint32 streamId, quint8 flags);
    FrameBuilder &u8(quint8 value);
    FrameBuilder &u16(quint16 value);
    FrameBuilder &u32(quint32 value);
    FrameBuilder &bytes(const QByteArray &value);
    FrameBuilder &vle(const QByteArray &value);
    FrameBuilder &headers(const HeaderList &headers);
    // Patches the 24-bit length (§2.1). False, and `out` as it was, when a VLE string was
    // over 65 535 bytes or the payload over 24 bits: such a frame cannot exist on the wire.
    bool finish();

private:
    QByteArray &m_frame;
    qsizetype m_start;
    bool m_ok = true;
};

bool appendFrame(QByteArray &out, const SynStream &frame);
bool appendFrame(QByteArray &out, const SynReply &frame);
bool appendFrame(QByteArray &out, const DataFrame &frame);
bool appendFrame(QByteArray &out, const RstStream &frame);
bool appendFrame(QByteArray &out, const Ping &frame);
bool appendFrame(QByteArray &out, const Csr &frame);
bool appendFrame(QByteArray &out, const CertQuery &frame);
bool appendFrame(QByteArray &out, const Cert &frame);
bool appendFrame(QByteArray &out, const CsrReply &frame);
bool appendFrame(QByteArray &out, const SocketsRequest &frame);
bool appendFrame(QByteArray &out, const SocketsReply &frame);
bool appendFrame(QByteArray &out, const TelemetryCapabilities &frame);
bool appendFrame(QByteArray &out, const TelemetryAck &frame);

// The frame alone; empty when it cannot exist on the wire.
template<typename Frame> QByteArray serialize(const Frame &frame)
{
    QByteArray out;
    return appendFrame(out, frame) ? out : QByteArray();
}

// §2.2: the clients' receive buffer is 16 KiB, header included.
bool fitsOutbound(const QByteArray &frame);

} // namespace SeaCat
