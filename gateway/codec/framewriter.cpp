#include "framewriter.h"
#include "../gatewaylimits.h"
#include "vle.h"

#include <QtEndian>

namespace SeaCat {

FrameBuilder &FrameBuilder::beginControl(FrameVersion version, quint16 type, quint8 flags)
{
    m_frame.clear();
    m_ok = true;
    u16(quint16(version)).u16(type).u32(quint32(flags) << 24);
    return *this;
}

FrameBuilder &FrameBuilder::beginData(quint32 streamId, quint8 flags)
{
    m_frame.clear();
    m_ok = true;
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

QByteArray FrameBuilder::finish()
{
    const qsizetype length = m_frame.size() - Limits::FrameHeaderSize;
    if (!m_ok || length > 0xFFFFFF)
        return {};
    // §2.1: flags in the top byte, length in the low 24 bits of the second word.
    m_frame[5] = char(length >> 16);
    m_frame[6] = char(length >> 8);
    m_frame[7] = char(length);
    return std::exchange(m_frame, QByteArray());
}

QByteArray serialize(const SynStream &f)
{
    // §3.1: associated id 0, priority in the top 3 bits, slot 0.
    return FrameBuilder()
        .beginControl(FrameVersion::Alx1, FrameType::SynStream, f.fin ? FrameFlag::Fin : 0)
        .u32(f.streamId).u32(0).u8(quint8(f.priority << 5)).u8(0)
        .vle(f.host).vle(f.method).vle(f.path).headers(f.headers)
        .finish();
}

QByteArray serialize(const SynReply &f)
{
    // §3.2: status then 2 reserved bytes.
    return FrameBuilder()
        .beginControl(FrameVersion::Alx1, FrameType::SynReply, f.fin ? FrameFlag::Fin : 0)
        .u32(f.streamId).u16(f.status).u16(0).headers(f.headers)
        .finish();
}

QByteArray serialize(const DataFrame &f)
{
    return FrameBuilder().beginData(f.streamId, f.fin ? FrameFlag::Fin : 0).bytes(f.payload).finish();
}

QByteArray serialize(const RstStream &f)
{
    return FrameBuilder().beginControl(FrameVersion::Spdy3, FrameType::RstStream, 0).u32(f.streamId).u32(f.status).finish();
}

QByteArray serialize(const Ping &f)
{
    return FrameBuilder().beginControl(FrameVersion::Spdy3, FrameType::Ping, 0).u32(f.id).finish();
}

QByteArray serialize(const Csr &f)
{
    return FrameBuilder().beginControl(FrameVersion::Alx1, FrameType::Csr, f.flags).bytes(f.der).finish();
}

QByteArray serialize(const CertQuery &f)
{
    return FrameBuilder()
        .beginControl(FrameVersion::Alx1, FrameType::CertQuery, 0)
        .u16(f.queryId).u16(f.queryType).bytes(f.publicKey)
        .finish();
}

QByteArray serialize(const Cert &f)
{
    return FrameBuilder()
        .beginControl(FrameVersion::Alx1, FrameType::Cert, f.notFound ? FrameFlag::CsrNotFound : 0)
        .u16(f.queryId).u16(f.queryType).bytes(f.der)
        .finish();
}

QByteArray serialize(const CsrReply &f)
{
    // §3.9: clients read only the flags; the payload stays empty.
    return FrameBuilder().beginControl(FrameVersion::Alx1, FrameType::CsrReply, f.flags).finish();
}

QByteArray serialize(const SocketsRequest &f)
{
    return FrameBuilder()
        .beginControl(FrameVersion::Sockets, FrameType::SocketsRequest, 0)
        .u32(f.streamId).u8(f.command).u8(f.addressType).u16(f.port)
        .finish();
}

QByteArray serialize(const SocketsReply &f)
{
    return FrameBuilder()
        .beginControl(FrameVersion::Sockets, FrameType::SocketsReply, 0)
        .u32(f.streamId).u8(f.replyCode).u8(f.reserved1).u16(f.reserved2)
        .finish();
}

QByteArray serialize(const TelemetryCapabilities &f)
{
    return FrameBuilder()
        .beginControl(FrameVersion::Telemetry, FrameType::TelemetryCapabilities, 0)
        .u32(f.serial).bytes(f.blob)
        .finish();
}

QByteArray serialize(const TelemetryAck &f)
{
    return FrameBuilder().beginControl(FrameVersion::Telemetry, FrameType::TelemetryAck, 0).u32(f.serial).finish();
}

bool fitsOutbound(const QByteArray &frame)
{
    return !frame.isEmpty() && frame.size() <= Limits::MaxOutboundFrame;
}

} // namespace SeaCat
