#include "framewriter.h"
#include "../gatewaylimits.h"
#include "vle.h"

#include <QtEndian>

namespace SeaCat {

FrameBuilder &FrameBuilder::beginControl(FrameVersion version, quint16 type, quint8 flags)
{
    u16(quint16(version)).u16(type).u32(quint32(flags) << 24);
    return *this;
}

FrameBuilder &FrameBuilder::beginData(quint32 streamId, quint8 flags)
{
    // §2.1: bit 31 clear marks a data frame.
    u32(streamId & 0x7FFFFFFF).u32(quint32(flags) << 24);
    return *this;
}

FrameBuilder &FrameBuilder::u8(quint8 value)
{
    m_frame.append(char(value));
    return *this;
}

FrameBuilder &FrameBuilder::u16(quint16 value)
{
    char buf[2];
    qToBigEndian(value, buf);
    m_frame.append(buf, 2);
    return *this;
}

FrameBuilder &FrameBuilder::u32(quint32 value)
{
    char buf[4];
    qToBigEndian(value, buf);
    m_frame.append(buf, 4);
    return *this;
}

FrameBuilder &FrameBuilder::bytes(const QByteArray &value)
{
    m_frame.append(value);
    return *this;
}

FrameBuilder &FrameBuilder::vle(const QByteArray &value)
{
    m_ok = Vle::append(m_frame, value) && m_ok;
    return *this;
}

FrameBuilder &FrameBuilder::headers(const HeaderList &headers)
{
    for (const auto &[name, value] : headers)
        vle(name).vle(value);
    return *this;
}

bool FrameBuilder::finish()
{
    const qsizetype length = m_frame.size() - m_start - Limits::FrameHeaderSize;
    if (!m_ok || length > 0xFFFFFF) {
        m_frame.truncate(m_start);
        return false;
    }
    // §2.1: flags in the top byte, length in the low 24 bits of the second word.
    char *header = m_frame.data() + m_start;
    header[5] = char(length >> 16);
    header[6] = char(length >> 8);
    header[7] = char(length);
    return true;
}

bool appendFrame(QByteArray &out, const SynStream &f)
{
    // §3.1: associated id 0, priority in the top 3 bits, slot 0.
    return FrameBuilder(out)
        .beginControl(FrameVersion::Alx1, FrameType::SynStream, f.fin ? FrameFlag::Fin : 0)
        .u32(f.streamId)
        .u32(0)
        .u8(quint8(f.priority << 5))
        .u8(0)
        .vle(f.host)
        .vle(f.method)
        .vle(f.path)
        .headers(f.headers)
        .finish();
}

bool appendFrame(QByteArray &out, const SynReply &f)
{
    // §3.2: status then 2 reserved bytes.
    return FrameBuilder(out)
        .beginControl(FrameVersion::Alx1, FrameType::SynReply, f.fin ? FrameFlag::Fin : 0)
        .u32(f.streamId)
        .u16(f.status)
        .u16(0)
        .headers(f.headers)
        .finish();
}

bool appendFrame(QByteArray &out, const DataFrame &f)
{
    return FrameBuilder(out).beginData(f.streamId, f.fin ? FrameFlag::Fin : 0).bytes(f.payload).finish();
}

bool appendFrame(QByteArray &out, const RstStream &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Spdy3, FrameType::RstStream, 0)
        .u32(f.streamId)
        .u32(f.status)
        .finish();
}

bool appendFrame(QByteArray &out, const Ping &f)
{
    return FrameBuilder(out).beginControl(FrameVersion::Spdy3, FrameType::Ping, 0).u32(f.id).finish();
}

bool appendFrame(QByteArray &out, const Csr &f)
{
    return FrameBuilder(out).beginControl(FrameVersion::Alx1, FrameType::Csr, f.flags).bytes(f.der).finish();
}

bool appendFrame(QByteArray &out, const CertQuery &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Alx1, FrameType::CertQuery, 0)
        .u16(f.queryId)
        .u16(f.queryType)
        .bytes(f.publicKey)
        .finish();
}

bool appendFrame(QByteArray &out, const Cert &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Alx1, FrameType::Cert, f.notFound ? FrameFlag::CsrNotFound : 0)
        .u16(f.queryId)
        .u16(f.queryType)
        .bytes(f.der)
        .finish();
}

bool appendFrame(QByteArray &out, const CsrReply &f)
{
    // §3.9: clients read only the flags; the payload stays empty.
    return FrameBuilder(out).beginControl(FrameVersion::Alx1, FrameType::CsrReply, f.flags).finish();
}

bool appendFrame(QByteArray &out, const SocketsRequest &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Sockets, FrameType::SocketsRequest, 0)
        .u32(f.streamId)
        .u8(f.command)
        .u8(f.addressType)
        .u16(f.port)
        .finish();
}

bool appendFrame(QByteArray &out, const SocketsReply &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Sockets, FrameType::SocketsReply, 0)
        .u32(f.streamId)
        .u8(f.replyCode)
        .u8(f.reserved1)
        .u16(f.reserved2)
        .finish();
}

bool appendFrame(QByteArray &out, const TelemetryCapabilities &f)
{
    return FrameBuilder(out)
        .beginControl(FrameVersion::Telemetry, FrameType::TelemetryCapabilities, 0)
        .u32(f.serial)
        .bytes(f.blob)
        .finish();
}

bool appendFrame(QByteArray &out, const TelemetryAck &f)
{
    return FrameBuilder(out).beginControl(FrameVersion::Telemetry, FrameType::TelemetryAck, 0).u32(f.serial).finish();
}

bool fitsOutbound(const QByteArray &frame)
{
    return !frame.isEmpty() && frame.size() <= Limits::MaxOutboundFrame;
}

} // namespace SeaCat
