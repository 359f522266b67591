// Incremental SeaCat frame decoder: bytes in any chunking → FrameVisitor callbacks.
// Knows nothing of sockets; never reads past what it was given; never allocates more than
// the payload cap, checked as soon as the 8-byte header is complete.
#pragma once

#include "../gatewaylimits.h"
#include "framevisitor.h"

#include <QByteArray>

namespace SeaCat {

class FrameReader
{
public:
    enum class State { ReadingHeader, ReadingPayload, Failed, Stopped };

    explicit FrameReader(FrameVisitor *visitor, quint32 maxPayload = Limits::MaxInboundPayload);

    // Consumes bytes and returns how many were used: all of them, unless the reader failed
    // (connection-scoped error), after which it returns 0 until reset().
    qsizetype feed(const char *data, qsizetype size);
    qsizetype feed(const QByteArray &bytes) { return feed(bytes.constData(), bytes.size()); }

    State state() const { return m_state; }
    void reset();
    // No more callbacks, also for the rest of the bytes being fed now (a visitor that closes
    // its connection from a callback calls this).
    void stop() { m_state = State::Stopped; }
    quint32 maxPayload() const { return m_maxPayload; }

private:
    // The payload is decoded where it is: in the bytes being fed when the whole frame came in
    // one piece (no copy), else assembled in m_payload.
    void dispatch(const char *payload, qsizetype size);
    void dispatchControl(quint16 version, quint16 type, quint8 flags, const char *p, qsizetype n);
    void fail(FrameError error, const QString &detail);

    FrameVisitor *m_visitor;
    quint32 m_maxPayload;
    State m_state = State::ReadingHeader;
    char m_header[Limits::FrameHeaderSize] = {};
    qsizetype m_headerFilled = 0;
    quint32 m_length = 0;
    QByteArray m_payload;
};

} // namespace SeaCat
