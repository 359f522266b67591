// One access-log entry: a finished SeaCat stream or a rejected HTTPS client (README "Access
// log"). A plain value filled by the engine as the stream goes and handed to AccessLog once;
// formatting happens in the log's writer thread, so the engine only copies shared strings.
#pragma once

#include <QByteArray>
#include <QString>

namespace SeaCat {

struct AccessRecord {
    enum class Kind { Stream, RejectedHttp1, RejectedHttp2, RejectedOther };
    // How a stream ended. Rejections are always Complete.
    enum class End { Complete, Reset, ClientReset, SessionClosed };

    Kind kind = Kind::Stream;
    qint64 timeMs = 0;     // when it ended, ms since the epoch (UTC)
    quint64 sessionId = 0; // 0 for rejections
    quint32 streamId = 0;
    QString peerAddress;
    quint16 peerPort = 0;
    QString clientTag; // empty: anonymous
    // As the client sent them (not validated, not decoded): escaped when written.
    QByteArray method;
    QByteArray host;
    QByteArray path;
    int status = 0;        // 0: no status was sent
    qint64 bytesIn = -1;   // request body bytes (DATA payload); -1: not counted
    qint64 bytesOut = -1;  // response body bytes
    qint64 durationUs = 0; // from SYN_STREAM (or the rejector taking over) to the end
    qint64 backendMs = -1; // until the backend's response head; -1: no backend answer
    End end = End::Complete;
    quint32 rstCode = 0; // with Reset / ClientReset
    QByteArray error;    // a short token (README "Access log"), empty when none
};

} // namespace SeaCat
