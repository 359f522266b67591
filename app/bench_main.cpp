// seacat-bench: the h2load of SeaCat. Opens -c TLS sessions with the stock client profile
// (TLS 1.2, ECDHE-RSA-AES256-SHA384 only, no SNI, no ALPN, the gateway's ca.pem as the only
// trust anchor, CN = gateway name), keeps -m streams in flight on each, and reports rates,
// latencies, errors by kind and its own CPU per request.
//
// The hot loop is one thread, plain OpenSSL on non-blocking sockets and epoll: no Qt event
// loop, no per-request QObject. Frames are decoded by the project's FrameReader and built by
// its serialize(), so the bench speaks exactly what the gateway's tests speak. Frames produced
// while handling one batch of events go out in one SSL_write per connection.
//
// Modes:
//   default       -c sessions × -m streams, until -n requests or -D seconds;
//   --handshakes  a new TLS connection (full handshake, no resumption) per request;
//   --hold S      open -c sessions, greet (SeaCat PING, or with --protocol h2 the HTTP/2
//                 preface, so nghttpx can be measured the same way), print "ready N", keep
//                 them idle for S seconds, close. For memory per idle session.
#include "codec/framereader.h"
#include "codec/framewriter.h"
#include "client/seacatclient.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QUrl>

using namespace SeaCat;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

int64_t nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double cpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string opensslError()
{
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text.empty() ? std::string(std::strerror(errno)) : text;
}

enum class Protocol { SeaCat, Http2 };

struct Options {
    sockaddr_storage address{};
    socklen_t addressSize = 0;
    std::string caFile;
    std::string name;
    int sessions = 1;
    int streams = 1;
    int64_t requests = 1'000;
    double durationS = 0; // > 0: run for this long instead of -n requests
    bool handshakes = false;
    double holdS = 0; // > 0: idle-session mode
    Protocol protocol = Protocol::SeaCat;
    int connectConcurrency = 64; // connections in connect/handshake at once (hold mode)
    int timeoutMs = 10'000;      // per request and per connect + handshake
    QByteArray method = "GET";
    QByteArray host = "app";
    QByteArray path = "/";
    int64_t bodySize = 0;
    bool progress = false;
};

// What a run produced. Errors are by kind so a reader sees at once what went wrong.
struct Stats {
    int64_t started = 0;                // requests sent
    int64_t responses = 0;              // ended with DATA FIN after a SYN_REPLY
    int64_t byStatusClass[6] = {};      // [0] = status outside 100..599
    std::map<uint32_t, int64_t> resets; // RST_STREAM status → count
    int64_t connectFailures = 0;
    int64_t tlsFailures = 0;
    int64_t timeouts = 0;
    int64_t lostWithConnection = 0; // in flight when the gateway closed the connection
    int64_t protocolErrors = 0;
    int64_t handshakes = 0;
    int64_t bytesIn = 0;   // decrypted bytes received (frames)
    int64_t bytesOut = 0;  // plaintext bytes written (frames)
    int64_t bodyBytes = 0; // response DATA payload
    std::vector<uint32_t> latencyUs;
    std::vector<uint32_t> handshakeUs;
    std::string firstTlsError;
    std::string firstConnectError;

    int64_t errors() const
    {
        int64_t n = connectFailures + tlsFailures + timeouts + lostWithConnection + protocolErrors;
        for (const auto &entry : resets)
            n += entry.second;
        return n;
    }
};

class Bench;

// One TLS connection and the streams in flight on it. Lives as long as the bench; each new
// TCP connection reuses the object (reset() on the reader, fresh SSL).
class Connection final : public FrameVisitor
{
public:
    enum class State { Closed, Connecting, Handshaking, Open };

    Connection(Bench *bench, int index) : m_bench(bench), m_index(index), m_reader(this) { }
    ~Connection() override { close(); }

    State state() const { return m_state; }
    int inFlight() const { return int(m_inFlight.size()); }
    bool ready() const { return m_ready; }
    int64_t startedNs() const { return m_startNs; }
    int64_t oldestNs() const { return m_inFlight.empty() ? 0 : m_inFlight.front().startNs; }
    int64_t retryAtNs() const { return m_retryAtNs; }
    // epoll's data: the slot and which of its TCP connections, so an event still queued for a
    // connection closed in the same batch never reaches its successor.
    uint64_t tag() const { return uint64_t(m_index) << 32 | m_generation; }

    bool open();
    void handle(uint32_t events);
    void flush();
    void close();
    // The connection is given up: everything in flight counts as `kind`.
    void fail(int64_t Stats::*kind, bool countConnection);
    void fillStreams();

private:
    struct Stream {
        uint32_t id;
        int64_t startNs;
        int status;
    };

    void handshake();
    void onOpen();
    void readAll();
    void sendRequest();
    void queue(const QByteArray &frame);
    void watch(uint32_t events);
    std::vector<Stream>::iterator find(uint32_t id);
    void endStream(std::vector<Stream>::iterator it);

    void onSynStream(const SynStream &) override { }
    void onSynReply(const SynReply &frame) override;
    void onData(const DataFrame &frame) override;
    void onRstStream(const RstStream &frame) override;
    void onPing(const Ping &frame) override;
    void onCsr(const Csr &) override { }
    void onCertQuery(const CertQuery &) override { }
    void onCert(const Cert &) override { }
    void onCsrReply(const CsrReply &) override { }
    void onSocketsRequest(const SocketsRequest &) override { }
    void onSocketsReply(const SocketsReply &) override { }
    void onTelemetryCapabilities(const TelemetryCapabilities &) override { }
    void onTelemetryAck(const TelemetryAck &) override { }
    void onUnknownFrame(quint16, quint16, quint8, quint32) override { }
    void onError(FrameError error, quint32 streamId, const QString &detail) override;

    Bench *m_bench;
    int m_index;
    State m_state = State::Closed;
    int m_fd = -1;
    uint32_t m_generation = 0;
    SSL *m_ssl = nullptr;
    FrameReader m_reader;
    std::string m_out;
    size_t m_outOffset = 0;
    uint32_t m_watched = 0;
    std::vector<Stream> m_inFlight; // in send order: the front is the oldest
    uint32_t m_nextStreamId = 1;
    int64_t m_startNs = 0;
    int64_t m_retryAtNs = 0;
    bool m_ready = false; // greeted (hold mode) or open
    bool m_done = false;  // handshake mode: its one request ended
    bool m_h2SettingsAcked = false;
    bool m_queuedForFlush = false;
    friend class Bench;
};

class Bench
{
public:
    Options options;
    Stats stats;
    SSL_CTX *ctx = nullptr;
    int epoll = -1;
    std::vector<std::unique_ptr<Connection>> connections;
    std::vector<Connection *> dirty; // connections with frames to flush
    QByteArray body;                 // one DATA payload chunk pattern
    int64_t issued = 0;              // tickets taken: requests started or failed connections
    int64_t deadlineNs = 0;
    bool stopping = false;

    // A ticket per request (and per failed connection, so a dead gateway ends the run).
    bool takeTicket()
    {
        if (stopping || g_interrupted)
            return false;
        if (options.durationS > 0) {
            if (nowNs() >= deadlineNs)
                return false;
        } else if (issued >= options.requests) {
            return false;
        }
        ++issued;
        return true;
    }
    bool moreWork() const
    {
        if (stopping || g_interrupted)
            return false;
        return options.durationS > 0 ? nowNs() < deadlineNs : issued < options.requests;
    }
    void markDirty(Connection *connection)
    {
        if (!connection->m_queuedForFlush) {
            connection->m_queuedForFlush = true;
            dirty.push_back(connection);
        }
    }
    void recordStatus(int status) { ++stats.byStatusClass[status >= 100 && status < 600 ? status / 100 : 0]; }
    std::vector<Connection *> reopen; // handshake mode: slots whose connection just ended

    void dispatch(const epoll_event *events, int n)
    {
        for (int i = 0; i < n; ++i) {
            Connection *connection = connections[size_t(events[i].data.u64 >> 32)].get();
            if (connection->tag() == events[i].data.u64)
                connection->handle(events[i].events);
        }
        for (size_t i = 0; i < reopen.size(); ++i)
            if (reopen[i]->state() == Connection::State::Closed && takeTicket())
                reopen[i]->open();
        reopen.clear();
        // Coalesced: everything produced while handling this batch goes out in one write each.
        for (size_t i = 0; i < dirty.size(); ++i)
            dirty[i]->flush();
        dirty.clear();
    }
    int run();
    int hold();
    void report(double wallS, double cpuS) const;
};

bool Connection::open()
{
    close();
    m_startNs = nowNs();
    m_retryAtNs = 0;
    m_done = false;
    m_ready = false;
    m_h2SettingsAcked = false;
    m_nextStreamId = 1;
    m_reader.reset();
    m_out.clear();
    m_outOffset = 0;
    const Options &o = m_bench->options;
    m_fd = ::socket(o.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        if (m_bench->stats.firstConnectError.empty())
            m_bench->stats.firstConnectError = std::strerror(errno);
        fail(&Stats::connectFailures, true);
        return false;
    }
    const int one = 1;
    setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    m_state = State::Connecting;
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&o.address), o.addressSize) != 0 && errno != EINPROGRESS) {
        if (m_bench->stats.firstConnectError.empty())
            m_bench->stats.firstConnectError = std::strerror(errno);
        fail(&Stats::connectFailures, true);
        return false;
    }
    ++m_generation;
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = tag();
    m_watched = EPOLLOUT;
    epoll_ctl(m_bench->epoll, EPOLL_CTL_ADD, m_fd, &event);
    return true;
}

void Connection::watch(uint32_t events)
{
    if (m_fd < 0 || events == m_watched)
        return;
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag();
    epoll_ctl(m_bench->epoll, EPOLL_CTL_MOD, m_fd, &event);
    m_watched = events;
}

void Connection::close()
{
    if (m_ssl) {
        if (m_state == State::Open)
            SSL_shutdown(m_ssl); // close_notify, not waited for
        SSL_free(m_ssl);
        m_ssl = nullptr;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_watched = 0;
    m_state = State::Closed;
    m_inFlight.clear();
}

void Connection::fail(int64_t Stats::*kind, bool countConnection)
{
    Stats &stats = m_bench->stats;
    if (m_inFlight.empty() && countConnection) {
        // A connection that never carried a request still costs a ticket, so a gateway that
        // refuses every connection ends a -n run instead of spinning.
        ++(stats.*kind);
        if (!m_bench->options.handshakes)
            (void)m_bench->takeTicket();
    } else {
        stats.*kind += int64_t(m_inFlight.size());
    }
    close();
    m_retryAtNs = nowNs() + 100'000'000; // 100 ms before this slot connects again
}

void Connection::handle(uint32_t events)
{
    switch (m_state) {
    case State::Closed:
        return;
    case State::Connecting: {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            if (m_bench->stats.firstConnectError.empty())
                m_bench->stats.firstConnectError = std::strerror(error ? error : ECONNREFUSED);
            fail(&Stats::connectFailures, true);
            return;
        }
        m_ssl = SSL_new(m_bench->ctx);
        SSL_set_fd(m_ssl, m_fd);
        SSL_set_connect_state(m_ssl);
        if (!m_bench->options.name.empty())
            SSL_set1_host(m_ssl, m_bench->options.name.c_str()); // CN = gateway name (§6.1); no SNI
        m_state = State::Handshaking;
        handshake();
        return;
    }
    case State::Handshaking:
        handshake();
        return;
    case State::Open:
        if (events & EPOLLOUT)
            flush();
        if (m_state == State::Open && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            readAll();
        return;
    }
}

void Connection::handshake()
{
    ERR_clear_error();
    const int result = SSL_connect(m_ssl);
    if (result == 1) {
        const int64_t tookUs = (nowNs() - m_startNs) / 1'000;
        ++m_bench->stats.handshakes;
        m_bench->stats.handshakeUs.push_back(uint32_t(std::min<int64_t>(tookUs, UINT32_MAX)));
        m_state = State::Open;
        watch(EPOLLIN);
        onOpen();
        return;
    }
    const int error = SSL_get_error(m_ssl, result);
    if (error == SSL_ERROR_WANT_READ) {
        watch(EPOLLIN);
    } else if (error == SSL_ERROR_WANT_WRITE) {
        watch(EPOLLOUT);
    } else {
        if (m_bench->stats.firstTlsError.empty())
            m_bench->stats.firstTlsError = opensslError();
        ERR_clear_error();
        fail(&Stats::tlsFailures, true);
    }
}

void Connection::onOpen()
{
    const Options &o = m_bench->options;
    if (o.holdS > 0) {
        if (o.protocol == Protocol::Http2) {
            // The client preface and an empty SETTINGS (RFC 9113 §3.4, §6.5).
            static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
            m_out.append(preface, sizeof preface - 1);
        } else {
            queue(serialize(Ping{1}));
        }
        m_bench->markDirty(this);
        return;
    }
    m_ready = true;
    fillStreams();
}

void Connection::fillStreams()
{
    if (m_state != State::Open || m_bench->options.holdS > 0)
        return;
    if (m_bench->options.handshakes) {
        // One request per connection; its ticket was taken when the connection opened.
        if (m_nextStreamId == 1)
            sendRequest();
        return;
    }
    while (int(m_inFlight.size()) < m_bench->options.streams && m_bench->takeTicket())
        sendRequest();
}

void Connection::sendRequest()
{
    const Options &o = m_bench->options;
    const uint32_t id = m_nextStreamId;
    m_nextStreamId += 2;
    HeaderList headers;
    if (o.bodySize > 0)
        headers.append({QByteArrayLiteral("Content-Length"), QByteArray::number(qint64(o.bodySize))});
    queue(serialize(SynStream{id, o.bodySize == 0, 0, o.host, o.method, o.path, headers}));
    for (int64_t sent = 0; sent < o.bodySize;) {
        const int64_t chunk = std::min<int64_t>(o.bodySize - sent, m_bench->body.size());
        sent += chunk;
        queue(serialize(DataFrame{id, sent == o.bodySize, m_bench->body.left(qsizetype(chunk))}));
    }
    m_inFlight.push_back({id, nowNs(), 0});
    ++m_bench->stats.started;
}

void Connection::queue(const QByteArray &frame)
{
    m_out.append(frame.constData(), size_t(frame.size()));
    m_bench->markDirty(this);
}

void Connection::flush()
{
    m_queuedForFlush = false;
    if (m_state != State::Open)
        return;
    while (m_outOffset < m_out.size()) {
        ERR_clear_error();
        const int n =
            SSL_write(m_ssl, m_out.data() + m_outOffset, int(std::min<size_t>(m_out.size() - m_outOffset, 1 << 20)));
        if (n > 0) {
            m_outOffset += size_t(n);
            m_bench->stats.bytesOut += n;
            continue;
        }
        const int error = SSL_get_error(m_ssl, n);
        if (error == SSL_ERROR_WANT_WRITE) {
            watch(EPOLLIN | EPOLLOUT);
            return;
        }
        if (error == SSL_ERROR_WANT_READ)
            return;
        fail(&Stats::lostWithConnection, false);
        return;
    }
    m_out.clear();
    m_outOffset = 0;
    watch(EPOLLIN);
}

void Connection::readAll()
{
    static char buffer[64 * 1024];
    for (;;) {
        ERR_clear_error();
        const int n = SSL_read(m_ssl, buffer, sizeof buffer);
        if (n > 0) {
            m_bench->stats.bytesIn += n;
            if (m_bench->options.protocol == Protocol::Http2) {
                if (!m_h2SettingsAcked) {
                    // The server's SETTINGS came: ACK it (§6.5.3) or nghttpx closes us.
                    static const char ack[] = "\0\0\0\x04\x01\0\0\0\0";
                    m_out.append(ack, sizeof ack - 1);
                    m_bench->markDirty(this);
                    m_h2SettingsAcked = true;
                    m_ready = true;
                }
                continue;
            }
            m_reader.feed(buffer, n);
            if (m_state != State::Open)
                return;
            if (m_reader.state() == FrameReader::State::Failed) {
                fail(&Stats::protocolErrors, true);
                return;
            }
            continue;
        }
        const int error = SSL_get_error(m_ssl, n);
        if (error == SSL_ERROR_WANT_READ)
            break;
        if (error == SSL_ERROR_WANT_WRITE) {
            watch(EPOLLIN | EPOLLOUT);
            break;
        }
        // close_notify or EOF: the gateway ended the session.
        if (m_done || m_bench->options.holdS > 0 || m_inFlight.empty()) {
            const bool done = m_done;
            close();
            if (done)
                m_bench->reopen.push_back(this);
            else
                m_retryAtNs = nowNs(); // the next check reconnects it if there is work left
        } else {
            fail(&Stats::lostWithConnection, false);
        }
        return;
    }
    if (m_done) {
        // Handshake mode: the one request ended; the next one gets a new connection at once.
        close();
        m_bench->reopen.push_back(this);
    }
}

std::vector<Connection::Stream>::iterator Connection::find(uint32_t id)
{
    return std::find_if(m_inFlight.begin(), m_inFlight.end(), [id](const Stream &s) { return s.id == id; });
}

void Connection::endStream(std::vector<Stream>::iterator it)
{
    m_inFlight.erase(it);
    if (m_bench->options.handshakes)
        m_done = true;
    else
        fillStreams();
}

void Connection::onSynReply(const SynReply &frame)
{
    const auto it = find(frame.streamId);
    if (it == m_inFlight.end()) {
        ++m_bench->stats.protocolErrors;
        return;
    }
    it->status = frame.status;
}

void Connection::onData(const DataFrame &frame)
{
    m_bench->stats.bodyBytes += frame.payload.size();
    if (!frame.fin)
        return;
    const auto it = find(frame.streamId);
    if (it == m_inFlight.end())
        return;
    Stats &stats = m_bench->stats;
    if (it->status == 0) {
        ++stats.protocolErrors; // FIN before any SYN_REPLY
    } else {
        ++stats.responses;
        m_bench->recordStatus(it->status);
        stats.latencyUs.push_back(uint32_t(std::min<int64_t>((nowNs() - it->startNs) / 1'000, UINT32_MAX)));
    }
    endStream(it);
}

void Connection::onRstStream(const RstStream &frame)
{
    const auto it = find(frame.streamId);
    if (it == m_inFlight.end())
        return;
    ++m_bench->stats.resets[frame.status];
    endStream(it);
}

void Connection::onPing(const Ping &frame)
{
    if (frame.id % 2 == 0) {
        queue(serialize(frame)); // a gateway ping: echo it, as Android and C# do (§3.5)
        return;
    }
    m_ready = true; // our greeting came back
}

void Connection::onError(FrameError, quint32 streamId, const QString &detail)
{
    ++m_bench->stats.protocolErrors;
    if (streamId == 0)
        std::fprintf(stderr, "seacat-bench: session %d: framing lost: %s\n", m_index, qPrintable(detail));
}

int Bench::run()
{
    const int64_t startNs = nowNs();
    const double startCpu = cpuSeconds();
    deadlineNs = startNs + int64_t(options.durationS * 1e9);
    if (options.durationS <= 0)
        stats.latencyUs.reserve(size_t(std::min<int64_t>(options.requests, 50'000'000)));
    for (int i = 0; i < options.sessions; ++i)
        connections.push_back(std::make_unique<Connection>(this, i));
    for (auto &connection : connections) {
        if (options.handshakes && !takeTicket())
            break;
        connection->open();
    }

    epoll_event events[512];
    int64_t lastCheckNs = startNs;
    int64_t lastProgressNs = startNs;
    int64_t lastProgressDone = 0;
    const int64_t timeoutNs = int64_t(options.timeoutMs) * 1'000'000;
    for (;;) {
        const int n = epoll_wait(epoll, events, 512, 50);
        dispatch(events, n);

        const int64_t now = nowNs();
        if (now - lastCheckNs >= 50'000'000 || n == 0) {
            lastCheckNs = now;
            if (options.durationS > 0 && now >= deadlineNs)
                stopping = true;
            for (auto &connection : connections) {
                Connection &c = *connection;
                const bool stuck =
                    (c.state() == Connection::State::Connecting || c.state() == Connection::State::Handshaking)
                        ? now - c.startedNs() > timeoutNs
                        : c.inFlight() > 0 && now - c.oldestNs() > timeoutNs;
                if (stuck && c.state() != Connection::State::Closed)
                    c.fail(&Stats::timeouts, c.inFlight() == 0);
                if (c.state() == Connection::State::Closed && now >= c.retryAtNs() && moreWork()) {
                    if (options.handshakes && !takeTicket())
                        continue;
                    c.open();
                }
            }
            for (size_t i = 0; i < dirty.size(); ++i)
                dirty[i]->flush();
            dirty.clear();
        }
        if (options.progress && now - lastProgressNs >= 1'000'000'000) {
            const int64_t done = stats.responses;
            std::fprintf(stderr, "\rprogress: %" PRId64 " responses, %.0f req/s, %" PRId64 " errors   ", done,
                         double(done - lastProgressDone) * 1e9 / double(now - lastProgressNs), stats.errors());
            lastProgressNs = now;
            lastProgressDone = done;
        }
        bool busy = false;
        for (const auto &connection : connections)
            busy = busy || (connection->state() != Connection::State::Closed &&
                            (connection->inFlight() > 0 || connection->state() != Connection::State::Open));
        if (stopping || g_interrupted) {
            if (options.durationS > 0 || g_interrupted)
                break; // -D: what is still in flight at the deadline is not counted
        }
        if (!moreWork() && !busy)
            break;
    }
    const double wallS = double((options.durationS > 0 ? std::min(nowNs(), deadlineNs) : nowNs()) - startNs) / 1e9;
    const double cpuS = cpuSeconds() - startCpu;
    if (options.progress)
        std::fprintf(stderr, "\n");
    for (auto &connection : connections)
        connection->close();
    report(wallS, cpuS);
    return stats.errors() == 0 && stats.responses > 0 && stats.byStatusClass[0] == 0 ? 0 : 1;
}

int Bench::hold()
{
    const int64_t startNs = nowNs();
    const int64_t timeoutNs = int64_t(options.timeoutMs) * 1'000'000;
    for (int i = 0; i < options.sessions; ++i)
        connections.push_back(std::make_unique<Connection>(this, i));
    size_t next = 0;
    epoll_event events[512];
    int ready = 0;
    // Phase 1: open and greet them all, at most connectConcurrency handshakes at once.
    for (;;) {
        int opening = 0;
        ready = 0;
        int closed = 0;
        for (size_t i = 0; i < next; ++i) {
            const Connection &c = *connections[i];
            opening += c.state() != Connection::State::Closed && !c.ready() ? 1 : 0;
            ready += c.ready() && c.state() == Connection::State::Open ? 1 : 0;
            closed += c.state() == Connection::State::Closed ? 1 : 0;
        }
        while (opening < options.connectConcurrency && next < connections.size()) {
            connections[next++]->open();
            ++opening;
        }
        if (ready + closed == int(connections.size()) && next == connections.size())
            break;
        if (g_interrupted || nowNs() - startNs > timeoutNs + int64_t(options.sessions) * 10'000'000)
            break;
        const int n = epoll_wait(epoll, events, 512, 50);
        dispatch(events, n);
        for (size_t i = 0; i < next; ++i) {
            Connection &c = *connections[i];
            if (c.state() != Connection::State::Closed && !c.ready() && nowNs() - c.startedNs() > timeoutNs)
                c.fail(&Stats::timeouts, true);
        }
    }
    std::printf("ready %d of %d sessions in %.2f s\n", ready, options.sessions, double(nowNs() - startNs) / 1e9);
    std::fflush(stdout);
    // Phase 2: idle. Still answer gateway pings and SETTINGS, count what the server closes.
    const int64_t holdUntil = nowNs() + int64_t(options.holdS * 1e9);
    while (!g_interrupted && nowNs() < holdUntil) {
        const int n = epoll_wait(epoll, events, 512, 200);
        dispatch(events, n);
    }
    int stillOpen = 0;
    for (auto &connection : connections) {
        stillOpen += connection->state() == Connection::State::Open ? 1 : 0;
        connection->close();
    }
    std::printf("held %d sessions; %d still open at the end; tls failures %" PRId64 ", connect failures %" PRId64
                ", timeouts %" PRId64 "\n",
                ready, stillOpen, stats.tlsFailures, stats.connectFailures, stats.timeouts);
    if (!stats.firstTlsError.empty())
        std::printf("first TLS error: %s\n", stats.firstTlsError.c_str());
    return ready == options.sessions && stillOpen == ready ? 0 : 1;
}

double percentile(const std::vector<uint32_t> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t index = std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())));
    return double(sorted[index]) / 1000.0;
}

void Bench::report(double wallS, double cpuS) const
{
    std::vector<uint32_t> latency = stats.latencyUs;
    std::sort(latency.begin(), latency.end());
    std::vector<uint32_t> handshake = stats.handshakeUs;
    std::sort(handshake.begin(), handshake.end());
    const double rps = wallS > 0 ? double(stats.responses) / wallS : 0;
    const double hps = wallS > 0 ? double(stats.handshakes) / wallS : 0;
    std::printf("finished in %.2f s: %" PRId64 " responses, %.1f req/s, %" PRId64 " handshakes (%.1f/s)\n", wallS,
                stats.responses, rps, stats.handshakes, hps);
    std::printf("requests: %" PRId64 " sent, %" PRId64 " answered, %" PRId64 " errors\n", stats.started,
                stats.responses, stats.errors());
    std::printf("status: 2xx %" PRId64 ", 3xx %" PRId64 ", 4xx %" PRId64 ", 5xx %" PRId64 ", 1xx %" PRId64
                ", invalid %" PRId64 "\n",
                stats.byStatusClass[2], stats.byStatusClass[3], stats.byStatusClass[4], stats.byStatusClass[5],
                stats.byStatusClass[1], stats.byStatusClass[0]);
    std::printf("errors: connect %" PRId64 ", tls %" PRId64 ", timeout %" PRId64 ", connection lost %" PRId64
                ", protocol %" PRId64,
                stats.connectFailures, stats.tlsFailures, stats.timeouts, stats.lostWithConnection,
                stats.protocolErrors);
    for (const auto &[code, count] : stats.resets)
        std::printf(", RST_STREAM %u (%s) %" PRId64, code, qPrintable(rstStatusName(code)), count);
    std::printf("\n");
    if (!stats.firstConnectError.empty())
        std::printf("first connect error: %s\n", stats.firstConnectError.c_str());
    if (!stats.firstTlsError.empty())
        std::printf("first TLS error: %s\n", stats.firstTlsError.c_str());
    std::printf("latency ms: min %.3f, p50 %.3f, p90 %.3f, p99 %.3f, max %.3f\n",
                latency.empty() ? 0 : latency.front() / 1000.0, percentile(latency, 50), percentile(latency, 90),
                percentile(latency, 99), latency.empty() ? 0 : latency.back() / 1000.0);
    if (options.handshakes)
        std::printf("connect+handshake ms: p50 %.3f, p99 %.3f\n", percentile(handshake, 50), percentile(handshake, 99));
    std::printf("bytes: %" PRId64 " in (%" PRId64 " body), %" PRId64 " out\n", stats.bytesIn, stats.bodyBytes,
                stats.bytesOut);
    const int64_t work = std::max<int64_t>(1, stats.responses);
    std::printf("bench CPU: %.3f s, %.1f us per request\n", cpuS, cpuS * 1e6 / double(work));
    // One line for scripts.
    std::printf("summary: responses=%" PRId64 " errors=%" PRId64
                " rps=%.1f hps=%.1f p50_ms=%.3f p99_ms=%.3f body_bytes=%" PRId64 " bench_cpu_us_per_req=%.1f\n",
                stats.responses, stats.errors() + stats.byStatusClass[0], rps, hps, percentile(latency, 50),
                percentile(latency, 99), stats.bodyBytes, cpuS * 1e6 / double(work));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("seacat-bench"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Load generator for a SeaCat gateway (the h2load of SeaCat)."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("gateway"), QStringLiteral("Gateway HOST:PORT (numeric or resolvable)."),
         QStringLiteral("host:port")},
        {QStringLiteral("ca"), QStringLiteral("The gateway's CA certificate (ca.pem), the only trust anchor."),
         QStringLiteral("file")},
        {QStringLiteral("name"), QStringLiteral("Expected certificate CN (default: HOST)."), QStringLiteral("cn")},
        {QStringLiteral("c"), QStringLiteral("Sessions (TLS connections) at once (default 1)."), QStringLiteral("n"),
         QStringLiteral("1")},
        {QStringLiteral("m"), QStringLiteral("Streams in flight per session (default 1)."), QStringLiteral("n"),
         QStringLiteral("1")},
        {QStringLiteral("n"), QStringLiteral("Requests in total (default 1000)."), QStringLiteral("n"),
         QStringLiteral("1000")},
        {QStringLiteral("D"), QStringLiteral("Run for this many seconds instead of -n requests."),
         QStringLiteral("seconds")},
        {QStringLiteral("handshakes"),
         QStringLiteral("A new TLS connection (full handshake, no resumption) per request.")},
        {QStringLiteral("hold"),
         QStringLiteral("Open -c sessions, greet, print 'ready', keep them idle this long, close."),
         QStringLiteral("seconds")},
        {QStringLiteral("protocol"), QStringLiteral("--hold: seacat (a PING) or h2 (ALPN h2 and the HTTP/2 preface)."),
         QStringLiteral("p"), QStringLiteral("seacat")},
        {QStringLiteral("connect-concurrency"), QStringLiteral("--hold: handshakes at once (default 64)."),
         QStringLiteral("n"), QStringLiteral("64")},
        {{QStringLiteral("X"), QStringLiteral("method")},
         QStringLiteral("Request method (default GET)."),
         QStringLiteral("method"),
         QStringLiteral("GET")},
        {QStringLiteral("body-size"), QStringLiteral("Request body bytes (sent with Content-Length)."),
         QStringLiteral("bytes"), QStringLiteral("0")},
        {QStringLiteral("timeout"), QStringLiteral("Seconds per request and per connect + handshake (default 10)."),
         QStringLiteral("seconds"), QStringLiteral("10")},
    });
    parser.addPositionalArgument(QStringLiteral("url"),
                                 QStringLiteral("http://HOST.seacat/path (default http://app.seacat/)"));
    parser.process(app);

    auto fail = [](const char *message) {
        std::fprintf(stderr, "seacat-bench: %s\n", message);
        return 2;
    };
    Bench bench;
    Options &o = bench.options;
    const QString gateway = parser.value(QStringLiteral("gateway"));
    const qsizetype colon = gateway.lastIndexOf(u':');
    if (colon <= 0 || !parser.isSet(QStringLiteral("ca")))
        return fail("--gateway HOST:PORT and --ca FILE are required");
    QString hostPart = gateway.left(colon);
    if (hostPart.startsWith(u'[') && hostPart.endsWith(u']'))
        hostPart = hostPart.mid(1, hostPart.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *resolved = nullptr;
    if (getaddrinfo(hostPart.toUtf8().constData(), gateway.mid(colon + 1).toUtf8().constData(), &hints, &resolved) !=
            0 ||
        !resolved)
        return fail("cannot resolve --gateway");
    std::memcpy(&o.address, resolved->ai_addr, resolved->ai_addrlen);
    o.addressSize = resolved->ai_addrlen;
    freeaddrinfo(resolved);
    o.caFile = parser.value(QStringLiteral("ca")).toStdString();
    o.name = (parser.isSet(QStringLiteral("name")) ? parser.value(QStringLiteral("name")) : hostPart).toStdString();

    bool ok = true;
    auto number = [&](const char *name) {
        bool good = false;
        const qint64 value = parser.value(QString::fromLatin1(name)).toLongLong(&good);
        ok = ok && good && value >= 0;
        return value;
    };
    o.sessions = int(number("c"));
    o.streams = int(number("m"));
    o.requests = number("n");
    o.bodySize = number("body-size");
    o.connectConcurrency = int(number("connect-concurrency"));
    o.timeoutMs = int(number("timeout") * 1000);
    if (parser.isSet(QStringLiteral("D")))
        o.durationS = parser.value(QStringLiteral("D")).toDouble(&ok);
    if (ok && parser.isSet(QStringLiteral("hold")))
        o.holdS = parser.value(QStringLiteral("hold")).toDouble(&ok);
    if (!ok || o.sessions < 1 || o.streams < 1 || o.connectConcurrency < 1 || o.timeoutMs < 1 || o.durationS < 0 ||
        o.holdS < 0)
        return fail("-c, -m, -n, -D, --hold, --body-size, --timeout take positive numbers");
    o.handshakes = parser.isSet(QStringLiteral("handshakes"));
    if (o.handshakes)
        o.streams = 1;
    const QString protocol = parser.value(QStringLiteral("protocol"));
    if (protocol == u"h2")
        o.protocol = Protocol::Http2;
    else if (protocol != u"seacat")
        return fail("--protocol is seacat or h2");
    if (o.protocol == Protocol::Http2 && o.holdS <= 0)
        return fail("--protocol h2 is only for --hold (use h2load for HTTP/2 load)");
    o.method = parser.value(QStringLiteral("X")).toLatin1();

    const QUrl url(parser.positionalArguments().value(0, QStringLiteral("http://app.seacat/")));
    if (!url.isValid() || url.host().isEmpty())
        return fail("the URL must look like http://HOST.seacat/path");
    // §5.1: the host goes without ".seacat"; the path keeps its query.
    QString host = url.host();
    if (host.endsWith(QLatin1String(".seacat")))
        host.chop(7);
    o.host = host.toUtf8();
    o.path = url.path(QUrl::FullyEncoded).toLatin1();
    if (o.path.isEmpty())
        o.path = "/";
    if (url.hasQuery())
        o.path += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    bench.body = QByteArray(qsizetype(Limits::MaxOutboundPayload), 'x');
    o.progress = isatty(STDERR_FILENO) != 0 && o.holdS <= 0;

    // Many sessions need many descriptors (as nginx's worker_rlimit_nofile).
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });

    // The stock client profile (§6.1).
    bench.ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(bench.ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(bench.ctx, TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(bench.ctx, "ECDHE-RSA-AES256-SHA384") != 1)
        return fail("OpenSSL does not offer ECDHE-RSA-AES256-SHA384");
    if (SSL_CTX_load_verify_locations(bench.ctx, o.caFile.c_str(), nullptr) != 1)
        return fail("cannot read --ca");
    SSL_CTX_set_verify(bench.ctx, SSL_VERIFY_PEER, nullptr);
    // Every handshake is a full one, as stock clients do: no session cache, no tickets.
    SSL_CTX_set_session_cache_mode(bench.ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(bench.ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(bench.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (o.protocol == Protocol::Http2) {
        static const unsigned char alpn[] = {2, 'h', '2'};
        SSL_CTX_set_alpn_protos(bench.ctx, alpn, sizeof alpn);
    }
    bench.epoll = epoll_create1(EPOLL_CLOEXEC);
    if (bench.epoll < 0)
        return fail("epoll_create1 failed");
    const int result = o.holdS > 0 ? bench.hold() : bench.run();
    bench.connections.clear();
    ::close(bench.epoll);
    SSL_CTX_free(bench.ctx);
    return result;
}
