// One operator connection of a tunnel, carried as one gateway-initiated stream (even id) of
// the device's session (§3.11): SOCKETS_REQUEST, the device's SOCKETS_REPLY, then DATA both
// ways. Lives in the session's worker thread; its session routes the stream's frames here.
#pragma once

#include "codec/frames.h"

#include <QObject>
#include <QTcpSocket>

namespace SeaCat {

class TunnelStream;

// What a tunnel stream needs of its session. Implemented by Session.
class TunnelLink
{
public:
    // Sends SOCKETS_REQUEST for `port` on a new even stream id and routes its frames to
    // `stream`. 0 when the session takes no more streams.
    virtual quint32 openTunnelStream(TunnelStream *stream, quint16 port) = 0;
    virtual void sendTunnelData(quint32 streamId, const QByteArray &payload, bool fin) = 0;
    // RST_STREAM towards the device; the stream is forgotten.
    virtual void resetTunnelStream(quint32 streamId, RstStatus status) = 0;
    // The stream ended both ways (or was reset by the device): forgotten, nothing sent.
    virtual void tunnelStreamEnded(quint32 streamId) = 0;
    // The session's output towards the device is full: operators are not read meanwhile.
    virtual bool tunnelOutputFull() const = 0;
    // A stream's buffer towards its operator grew or shrank (the session's flow control).
    virtual void tunnelBuffersChanged() = 0;

protected:
    ~TunnelLink() = default;
};

class TunnelStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TunnelStream)

public:
    // Takes `socket` (an accepted operator connection).
    TunnelStream(QTcpSocket *socket, TunnelLink *link, QObject *parent = nullptr);
    ~TunnelStream() override;

    // Asks the device for `port`. False: the session took no stream (the socket is closed).
    bool start(quint16 port);
    quint32 streamId() const { return m_streamId; }
    bool isOpen() const { return m_open; }
    // Bytes the device sent that the operator has not taken yet.
    qint64 pendingToOperator() const;
    void setPaused(bool paused);

    // From the session: the device's frames on this stream.
    void onReply(quint8 code);
    void onData(const QByteArray &payload, bool fin);
    void onReset(quint32 status);
    // The session is going: the operator's connection is closed, nothing more is sent.
    void abandon();

signals:
    void bytesMoved(qint64 toDevice, qint64 fromDevice);
    // The device refused or failed the connection, or reset it: a line for the log.
    void failed(const QString &reason);
    void finished();

private:
    void pumpToDevice();
    void onOperatorGone();
    void finishIfDone();
    void end();

    QTcpSocket *m_socket;
    TunnelLink *m_link;
    quint32 m_streamId = 0;
    quint16 m_port = 0;
    bool m_open = false;           // SOCKETS_REPLY 0 came
    bool m_toDeviceClosed = false; // we sent FIN
    bool m_fromDeviceClosed = false;
    bool m_paused = false;
    bool m_pumpQueued = false;
    bool m_writeShut = false; // shutdown(SHUT_WR) towards the operator
    bool m_ended = false;
};

} // namespace SeaCat
