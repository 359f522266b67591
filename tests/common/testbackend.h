// Test helper: a small real HTTP/1.1 server (keep-alive, Content-Length and chunked request
// bodies) with routes for the proxy tests. Streams both ways with backpressure, so tests of
// 50-100 MB bodies stay cheap in this process too.
#pragma once

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>
#include <functional>

class TestBackend : public QObject
{
public:
    int connectionsAccepted = 0;
    int disconnects = 0;
    int requests = 0;
    QByteArray lastRequestHead;
    QList<QByteArray> requestLines; // every request line received, in order

    TestBackend()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++connectionsAccepted;
                new Connection(this, socket);
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    quint16 port() const { return m_server.serverPort(); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(port()); }

    // The byte at `offset` of every generated body, so a receiver can check content.
    static char pattern(qint64 offset) { return char('a' + offset % 23); }

private:
    class Connection : public QObject
    {
    public:
        Connection(TestBackend *backend, QTcpSocket *socket) : QObject(socket), m_backend(backend), m_socket(socket)
        {
            socket->setReadBufferSize(256 * 1024);
            connect(socket, &QTcpSocket::readyRead, this, &Connection::onReadable);
            connect(socket, &QTcpSocket::bytesWritten, this, &Connection::pump);
            connect(socket, &QTcpSocket::disconnected, this, [this] {
                ++m_backend->disconnects;
                m_socket->deleteLater();
            });
        }

    private:
        enum class State { Head, FixedBody, ChunkSize, ChunkData, ChunkEnd, Trailer };

        void onReadable()
        {
            // While a response is still going out, requests wait (HTTP/1.1 is serial).
            while (m_socket->bytesAvailable() > 0 && m_generateLeft == 0 && !m_delayed) {
                if (m_state == State::Head) {
                    if (!m_socket->canReadLine() && m_socket->bytesAvailable() < 65536)
                        return;
                    const QByteArray line = m_socket->readLine();
                    m_head += line;
                    if (line != "\r\n")
                        continue;
                    startRequest();
                } else if (m_state == State::FixedBody || m_state == State::ChunkData) {
                    const QByteArray bytes = m_socket->read(m_bodyLeft);
                    m_bodyLeft -= bytes.size();
                    onBody(bytes);
                    if (m_bodyLeft == 0) {
                        if (m_state == State::FixedBody)
                            endRequest();
                        else
                            m_state = State::ChunkEnd;
                    }
                } else {
                    if (!m_socket->canReadLine())
                        return;
                    const QByteArray line = m_socket->readLine().trimmed();
                    if (m_state == State::ChunkEnd) {
                        m_state = State::ChunkSize;
                    } else if (m_state == State::Trailer) {
                        if (line.isEmpty())
                            endRequest();
                    } else {
                        m_bodyLeft = line.toLongLong(nullptr, 16);
                        m_state = m_bodyLeft == 0 ? State::Trailer : State::ChunkData;
                    }
                }
            }
        }

        void startRequest()
        {
            ++m_backend->requests;
            m_backend->lastRequestHead = m_head;
            const QList<QByteArray> lines = m_head.split('\n');
            m_backend->requestLines << lines.value(0).trimmed();
            const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
            m_method = requestLine.value(0);
            m_target = requestLine.value(1);
            qint64 length = 0;
            bool chunked = false;
            for (const QByteArray &l : lines) {
                const QByteArray lower = l.toLower();
                if (lower.startsWith("content-length:"))
                    length = l.mid(15).trimmed().toLongLong();
                if (lower.startsWith("transfer-encoding:") && lower.contains("chunked"))
                    chunked = true;
            }
            m_head.clear();
            respondHead();
            if (chunked) {
                m_state = State::ChunkSize;
            } else if (length > 0) {
                m_bodyLeft = length;
                m_state = State::FixedBody;
            } else {
                endRequest();
            }
        }

        void respondHead()
        {
            const QUrl url(QString::fromLatin1(m_target));
            const QUrlQuery query(url);
            const QString path = url.path();
            if (path == u"/hello") {
                reply("200 OK",
                      "Content-Type: text/plain\r\nContent-Length: 5\r\nX-Backend: yes\r\nConnection: "
                      "keep-alive\r\nKeep-Alive: timeout=5",
                      "hello");
            } else if (path == u"/headers") {
                reply("200 OK",
                      "Content-Type: text/plain\r\nContent-Length: " +
                          QByteArray::number(m_backend->lastRequestHead.size()),
                      m_backend->lastRequestHead);
            } else if (path == u"/echo") {
                m_echo = true; // the body goes back as it comes, chunked
                m_socket->write(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            } else if (path == u"/big" || path == u"/chunked") {
                m_generateLeft = query.queryItemValue(QStringLiteral("bytes")).toLongLong();
                m_generated = 0;
                m_chunked = path == u"/chunked";
                m_socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
                                (m_chunked ? QByteArray("Transfer-Encoding: chunked")
                                           : "Content-Length: " + QByteArray::number(m_generateLeft)) +
                                "\r\n\r\n");
                pump();
            } else if (path == u"/stall") {
                // a head and a first piece, then silence
                m_socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
            } else if (path == u"/latin1") {
                // obs-text: an ISO-8859-1 filename, as legacy backends send it
                reply("200 OK", "Content-Length: 0\r\nContent-Disposition: attachment; filename=\"caf\xe9.txt\"", {});
            } else if (path == u"/slow") {
                // answers "slow" after ?ms=N; later requests on this connection wait meanwhile
                m_delayed = true;
                QTimer::singleShot(query.queryItemValue(QStringLiteral("ms")).toInt(), this, [this] {
                    reply("200 OK", "Content-Length: 4", "slow");
                    m_delayed = false;
                    QMetaObject::invokeMethod(this, &Connection::onReadable, Qt::QueuedConnection);
                });
            } else if (path == u"/extra") {
                // After ?ms=N answers "first", then a second response nobody asked for (HTTP/1.1
                // has none) with a body of ?stray=N bytes: in the same write, or ?gap=N ms later.
                // Later requests on this connection wait until both are out.
                m_delayed = true;
                const int gap = query.queryItemValue(QStringLiteral("gap")).toInt();
                const qsizetype strayBytes = qMax(1, query.queryItemValue(QStringLiteral("stray")).toInt());
                const QByteArray first = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst";
                const QByteArray stray = "HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(strayBytes) +
                                         "\r\n\r\n" + QByteArray(strayBytes, 'x');
                QTimer::singleShot(query.queryItemValue(QStringLiteral("ms")).toInt(), this, [this, gap, first, stray] {
                    m_socket->write(gap > 0 ? first : first + stray);
                    QTimer::singleShot(gap, this, [this, gap, stray] {
                        if (gap > 0)
                            m_socket->write(stray);
                        m_delayed = false;
                        QMetaObject::invokeMethod(this, &Connection::onReadable, Qt::QueuedConnection);
                    });
                });
            } else if (path == u"/hang") {
                // never answers
            } else if (path == u"/trickle") {
                m_socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
                auto *timer = new QTimer(this);
                connect(timer, &QTimer::timeout, this, [this] { m_socket->write("1\r\nx\r\n"); });
                timer->start(50);
            } else {
                reply("404 Not Found", "Content-Length: 0", {});
            }
        }

        void reply(const QByteArray &status, const QByteArray &headers, const QByteArray &body)
        {
            m_socket->write("HTTP/1.1 " + status + "\r\n" + headers + "\r\n\r\n" + body);
        }

        void onBody(const QByteArray &bytes)
        {
            if (m_echo && !bytes.isEmpty())
                m_socket->write(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
        }

        void endRequest()
        {
            m_state = State::Head;
            if (m_echo) {
                m_socket->write("0\r\n\r\n");
                m_echo = false;
            }
        }

        void pump()
        {
            constexpr qint64 Block = 64 * 1024;
            while (m_generateLeft > 0 && m_socket->bytesToWrite() < 1024 * 1024) {
                QByteArray block(int(qMin(Block, m_generateLeft)), Qt::Uninitialized);
                for (qsizetype i = 0; i < block.size(); ++i)
                    block[i] = TestBackend::pattern(m_generated + i);
                m_generated += block.size();
                m_generateLeft -= block.size();
                m_socket->write(m_chunked ? QByteArray::number(block.size(), 16) + "\r\n" + block + "\r\n" : block);
                if (m_generateLeft == 0 && m_chunked)
                    m_socket->write("0\r\n\r\n");
            }
            if (m_generateLeft == 0 && m_socket->bytesAvailable() > 0)
                QMetaObject::invokeMethod(this, &Connection::onReadable, Qt::QueuedConnection);
        }

        TestBackend *m_backend;
        QTcpSocket *m_socket;
        State m_state = State::Head;
        QByteArray m_head;
        QByteArray m_method;
        QByteArray m_target;
        qint64 m_bodyLeft = 0;
        qint64 m_generateLeft = 0;
        qint64 m_generated = 0;
        bool m_chunked = false;
        bool m_echo = false;
        bool m_delayed = false;
    };

    QTcpServer m_server;
};
