#include "framereader.h"
#include "vle.h"

#include <QtEndian>

namespace SeaCat {

namespace {

quint16 u16(const char *p)
{
    return qFromBigEndian<quint16>(p);
}
quint32 u32(const char *p)
{
    return qFromBigEndian<quint32>(p);
}

// Reads "name, value" VLE pairs to the end of the payload (§3.1: no count field).
bool readHeaderPairs(const char *data, qsizetype size, qsizetype pos, HeaderList &headers)
{
    while (pos < size) {
        auto name = Vle::read(data, size, pos);
        if (!name)
            return false;
        auto value = Vle::read(data, size, pos);
        if (!value)
            return false;
        headers.append({*name, *value});
    }
    return true;
}

} // namespace

FrameReader::FrameReader(FrameVisitor *visitor, quint32 maxPayload) : m_visitor(visitor), m_maxPayload(maxPayload) { }

void FrameReader::reset()
{
    m_state = State::ReadingHeader;
    m_headerFilled = 0;
    m_length = 0;
    m_payload.clear();
}

qsizetype FrameReader::feed(const char *data, qsizetype size)
{
    qsizetype pos = 0;
    while (pos < size && m_state != State::Failed && m_state != State::Stopped) {
        if (m_state == State::ReadingHeader) {
            const qsizetype take = qMin(Limits::FrameHeaderSize - m_headerFilled, size - pos);
            memcpy(m_header + m_headerFilled, data + pos, size_t(take));
            m_headerFilled += take;
            pos += take;
            if (m_headerFilled < Limits::FrameHeaderSize)
                break;
            // §2.1: length is the low 24 bits of the second word.
            m_length = u32(m_header + 4) & 0x00FFFFFF;
            if (m_length > m_maxPayload) {
                fail(FrameError::PayloadTooLarge,
                     QStringLiteral("frame claims %1 payload bytes, cap is %2").arg(m_length).arg(m_maxPayload));
                break;
            }
            m_headerFilled = 0;
            if (size - pos >= qsizetype(m_length)) {
                const char *payload = data + pos;
                pos += m_length;
                dispatch(payload, m_length);
                continue;
            }
            m_payload.clear();
            m_payload.reserve(qsizetype(m_length));
            m_state = State::ReadingPayload;
        }
        if (m_state == State::ReadingPayload) {
            const qsizetype take = qMin(qsizetype(m_length) - m_payload.size(), size - pos);
            m_payload.append(data + pos, take);
            pos += take;
            if (m_payload.size() < qsizetype(m_length))
                break;
            m_state = State::ReadingHeader;
            dispatch(m_payload.constData(), m_payload.size());
            m_payload = QByteArray(); // an idle session keeps no payload buffer
        }
    }
    return m_state == State::Failed ? 0 : pos;
}

void FrameReader::fail(FrameError error, const QString &detail)
{
    m_state = State::Failed;
    m_payload.clear();
    m_visitor->onError(error, 0, detail);
}

void FrameReader::dispatch(const char *payload, qsizetype size)
{
    const quint8 flags = quint8(m_header[4]);
    // §2.1: the most significant bit selects control vs data.
    if (quint8(m_header[0]) & 0x80) {
        dispatchControl(u16(m_header), u16(m_header + 2), flags, payload, size);
        return;
    }
    DataFrame frame;
    frame.streamId = u32(m_header) & 0x7FFFFFFF;
    if (frame.streamId == 0) {
        fail(FrameError::InvalidStreamId, QStringLiteral("DATA frame on stream 0"));
        return;
    }
    frame.fin = flags & FrameFlag::Fin;
    // An assembled payload is handed over as it is, not copied again.
    frame.payload =
        payload == m_payload.constData() ? std::exchange(m_payload, QByteArray()) : QByteArray(payload, size);
    m_visitor->onData(frame);
}

void FrameReader::dispatchControl(quint16 version, quint16 type, quint8 flags, const char *p, qsizetype n)
{
    auto sizeMismatch = [&](const char *name, const char *expected) {
        m_visitor->onError(FrameError::PayloadSizeMismatch, 0,
                           QStringLiteral("%1 payload is %2 bytes, expected %3")
                               .arg(QLatin1String(name))
                               .arg(n)
                               .arg(QLatin1String(expected)));
    };

    switch (FrameVersion(version)) {
    case FrameVersion::Spdy3:
        if (type == FrameType::RstStream) {
            // §3.4 RST_STREAM: payload is exactly 8 bytes.
            if (n != 8)
                return sizeMismatch("RST_STREAM", "8");
            m_visitor->onRstStream({u32(p) & 0x7FFFFFFF, u32(p + 4)});
            return;
        }
        if (type == FrameType::Ping) {
            // §3.5 PING: payload is exactly 4 bytes.
            if (n != 4)
                return sizeMismatch("PING", "4");
            m_visitor->onPing({u32(p)});
            return;
        }
        break;
    case FrameVersion::Alx1:
        switch (type) {
        case FrameType::SynStream: {
            // §3.1: stream id, associated id, priority, slot, then host/method/path VLEs.
            if (n < 4)
                return sizeMismatch("SYN_STREAM", "at least 10");
            SynStream frame;
            const quint32 rawId = u32(p);
            frame.streamId = rawId & 0x7FFFFFFF;
            if (rawId != frame.streamId || frame.streamId == 0) {
                fail(FrameError::InvalidStreamId, QStringLiteral("SYN_STREAM with stream id 0x%1").arg(rawId, 0, 16));
                return;
            }
            frame.fin = flags & FrameFlag::Fin;
            qsizetype pos = 10;
            std::optional<QByteArray> host, method, path;
            if (n >= 10) {
                frame.priority = quint8(p[8]) >> 5;
                host = Vle::read(p, n, pos);
                method = host ? Vle::read(p, n, pos) : std::nullopt;
                path = method ? Vle::read(p, n, pos) : std::nullopt;
            }
            if (!path || !readHeaderPairs(p, n, pos, frame.headers)) {
                m_visitor->onError(FrameError::MalformedHeaderBlock, frame.streamId,
                                   QStringLiteral("SYN_STREAM strings overrun its %1-byte payload").arg(n));
                return;
            }
            frame.host = *host;
            frame.method = *method;
            frame.path = *path;
            m_visitor->onSynStream(frame);
            return;
        }
        case FrameType::SynReply: {
            // §3.2: stream id, status, reserved, then header pairs.
            if (n < 4)
                return sizeMismatch("SYN_REPLY", "at least 8");
            SynReply frame;
            frame.streamId = u32(p) & 0x7FFFFFFF;
            if (frame.streamId == 0) {
                fail(FrameError::InvalidStreamId, QStringLiteral("SYN_REPLY on stream 0"));
                return;
            }
            frame.fin = flags & FrameFlag::Fin;
            if (n < 8 || !readHeaderPairs(p, n, 8, frame.headers)) {
                m_visitor->onError(FrameError::MalformedHeaderBlock, frame.streamId,
                                   QStringLiteral("SYN_REPLY header block overruns its %1-byte payload").arg(n));
                return;
            }
            frame.status = u16(p + 4);
            m_visitor->onSynReply(frame);
            return;
        }
        case FrameType::Csr:
            // §3.6: the payload is the DER CSR; an empty one cannot be anything.
            if (n == 0)
                return sizeMismatch("CSR", "at least 1");
            m_visitor->onCsr({flags, QByteArray(p, n)});
            return;
        case FrameType::CertQuery:
            // §3.7: query id, query type, optional public key.
            if (n < 4)
                return sizeMismatch("CERT_QUERY", "at least 4");
            m_visitor->onCertQuery({u16(p), u16(p + 2), QByteArray(p + 4, n - 4)});
            return;
        case FrameType::Cert:
            // §3.8: query id, type, optional DER.
            if (n < 4)
                return sizeMismatch("CERT", "at least 4");
            m_visitor->onCert({u16(p), u16(p + 2), bool(flags & FrameFlag::CsrNotFound), QByteArray(p + 4, n - 4)});
            return;
        case FrameType::CsrReply:
            // §3.9: only the flags matter; the payload is ignored.
            m_visitor->onCsrReply({flags});
            return;
        default:
            break;
        }
        break;
    case FrameVersion::Sockets:
        // §3.11: both SOCKETS frames have an 8-byte payload.
        if (type == FrameType::SocketsRequest || type == FrameType::SocketsReply) {
            if (n != 8)
                return sizeMismatch("SOCKETS", "8");
            const quint32 streamId = u32(p) & 0x7FFFFFFF;
            if (type == FrameType::SocketsRequest)
                m_visitor->onSocketsRequest({streamId, quint8(p[4]), quint8(p[5]), u16(p + 6)});
            else
                m_visitor->onSocketsReply({streamId, quint8(p[4]), quint8(p[5]), u16(p + 6)});
            return;
        }
        break;
    case FrameVersion::Telemetry:
        // §3.12: serial then blob (capabilities), or the serial alone (ACK).
        if (type == FrameType::TelemetryCapabilities) {
            if (n < 4)
                return sizeMismatch("TELEMETRY_CAPABILITIES", "at least 4");
            m_visitor->onTelemetryCapabilities({u32(p), QByteArray(p + 4, n - 4)});
            return;
        }
        if (type == FrameType::TelemetryAck) {
            if (n != 4)
                return sizeMismatch("TELEMETRY_ACK", "4");
            m_visitor->onTelemetryAck({u32(p)});
            return;
        }
        break;
    }
    // §2.3 / README "Unknown frames": ignored and counted by the session.
    m_visitor->onUnknownFrame(version, type, flags, quint32(n));
}

} // namespace SeaCat
