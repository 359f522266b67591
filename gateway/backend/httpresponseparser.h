// Incremental HTTP/1.1 response parser: bytes in any chunking → head, body pieces, end.
// Socket-free like the frame codec. Handles Content-Length, chunked and close-delimited
// bodies, bodiless responses (HEAD, 1xx, 204, 304) and skips interim 1xx responses.
#pragma once

#include "codec/frames.h"

#include <QByteArray>
#include <functional>

namespace SeaCat {

class HttpResponseParser
{
public:
    static constexpr qsizetype MaxHeadBytes = 64 * 1024; // our own limit on a response head
    static constexpr qsizetype MaxChunkLineBytes = 1024;

    struct Callbacks {
        // The names and values are views into the bytes fed: valid during the call only.
        std::function<void(int status, const HeaderList &headers)> head;
        std::function<void(const char *data, qsizetype size)> body;
        std::function<void()> complete;
    };

    HttpResponseParser(Callbacks callbacks, bool headRequest);

    // Returns false on a protocol error (then error() says why); consumes everything it can.
    bool feed(const char *data, qsizetype size);
    // The peer closed: completes a close-delimited body, else it is an error if mid-message.
    bool finishOnClose();
    QString error() const { return m_error; }
    bool isComplete() const { return m_state == State::Done; }
    bool headReceived() const { return m_headSeen; }
    // After the response: may the connection carry another request?
    bool keepAlive() const { return m_keepAlive; }

private:
    enum class State { Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailers, UntilClose, Done, Failed };
    bool parseHead(QByteArrayView head);
    bool fail(const QString &why);
    void complete();

    Callbacks m_callbacks;
    bool m_headRequest;
    State m_state = State::Head;
    QByteArray m_line; // head or chunk-size line being assembled
    qint64 m_remaining = 0;
    bool m_keepAlive = true;
    bool m_headSeen = false;
    QString m_error;
};

} // namespace SeaCat
