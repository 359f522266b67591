// Default limits of the gateway. Each one is a decision of docs/protocol-decisions.md "Limits"
// or our own addition; the config can change them (GatewayConfig), tests hit each one.
#pragma once

#include <QtGlobal>

namespace SeaCat::Limits {

// README "Limits": clients store frame sizes in 16 bits (§2.2), so nothing legitimate is larger.
inline constexpr quint32 MaxInboundPayload = 65'535;
// §2.2: every SDK reads frames into a 16 KiB buffer, header included.
inline constexpr qsizetype MaxOutboundFrame = 16'384;
inline constexpr qsizetype FrameHeaderSize = 8;
inline constexpr qsizetype MaxOutboundPayload = MaxOutboundFrame - FrameHeaderSize;
// README "Limits": excess SYN_STREAMs are answered with RST_STREAM 3.
inline constexpr int MaxConcurrentStreams = 100;
// README "Limits" / §8: longer than the client's own 312 s so the client closes first.
inline constexpr int SessionIdleTimeoutMs = 330'000;
// README "Limits": the C-Core allows 80 s for connect + handshake; 30 s is plenty for a real peer.
inline constexpr int HandshakeTimeoutMs = 30'000;
// README "Limits": sockets before or in their TLS handshake have their own cap, never the
// listener's pending queue; at the cap the oldest is shed. Thousands, well below the fd limit
// the engine raises itself to (GatewayEngine::start).
inline constexpr int MaxHandshakes = 4'096;
// README "Limits": a real client sends its ClientHello right after connecting; a socket
// silent this long is closed well before the full handshake timeout.
inline constexpr int FirstByteTimeoutMs = 10'000;
// README "Gateway modes": `authorized` closes a connection without enrolment traffic after 30 s.
inline constexpr int AuthorizedEnrolmentGraceMs = 30'000;

// Our own: the bytes queued towards one peer (Qt's plain and encrypted buffers) before the
// session pauses its backends and stops reading from the peer; it resumes below half. The
// kernel's send buffer (megabytes, autotuned) keeps a fast client fed, so this only needs to
// cover one turn of the event loop: one frame. Every byte of it also passes OpenSSL's memory
// BIO, which keeps its largest size. Issue 8 item 3: at most 256 KiB for a session that never
// reads (165-208 KiB measured with 15 streams, 1.4-2.2 MiB with 256 KiB here). A peer that
// sends but never reads (PING flood) stalls on TCP, not in our memory.
inline constexpr qint64 MaxQueuedOutboundBytes = 16 * 1024;
// Our own: request body bytes waiting for one backend before we stop reading from the client.
inline constexpr qint64 MaxQueuedUploadBytes = 256 * 1024;
// Our own: decrypted bytes Qt may hold for one socket before it stops reading from the kernel.
inline constexpr qint64 SocketReadBufferBytes = 64 * 1024;
// Our own: how many bytes a non-SeaCat client may send before we decide what it speaks.
inline constexpr qsizetype MaxSniffBytes = 16 * 1024;
// Our own: HTTP clients speak first, right after the handshake. A peer without ALPN that stays
// silent this long is taken for a SeaCat client with nothing to say yet.
inline constexpr int SilentPeerGraceMs = 3'000;
// Issue 8 item 10: an HTTPS client that is rejected costs little and not for long. From the end
// of its handshake it has this long to send a whole request head; a client that has sent part of
// one then gets `408 Request Timeout` (a slowloris), one that sent nothing a quiet close_notify,
// an HTTP/2 one without a request a GOAWAY. With a loopback or mobile handshake that is well
// within 10 s of connecting; browsers send their head at once (nginx allows 60 s, Apache's
// mod_reqtimeout 20 s, but they serve these clients, we only refuse them).
inline constexpr int HttpRequestHeadTimeoutMs = 8'000;
// Issue 8 item 10: the whole exchange with a rejected client, answer and close included, from
// the end of its handshake; then the socket is aborted. Leaves 2 s after a 408 to take it.
inline constexpr int RejectionTimeoutMs = 10'000;
// Issue 8 item 10: a rejected HTTP/1.x client's request head. We only log its request line;
// browsers send 1-2 KiB, nginx's default header buffer is 8 KiB too. Larger → `431`.
inline constexpr qsizetype MaxHttpRequestHeadBytes = 8 * 1024;
// README "Limits": a SYN_STREAM's request head. Anything larger is refused with 431 before it
// costs a backend anything; nginx and HAProxy allow about as much.
inline constexpr int MaxRequestHeaders = 100;
inline constexpr qsizetype MaxRequestHeaderBytes = 16 * 1024; // names and values together
inline constexpr qsizetype MaxMethodBytes = 16;
inline constexpr qsizetype MaxPathBytes = 8 * 1024;
inline constexpr qsizetype MaxHostBytes = 255; // RFC 1035's longest name
// Our own: connections to one backend origin at once (in use, opening or idle); beyond it
// requests wait in a FIFO queue for backend-connect-timeout, then get 504. nginx's upstream
// keepalive and nghttpx's backend-connections-per-host make the same trade; 64 keeps a
// 100 × 10 load on a handful of reused connections instead of a connect() per request.
inline constexpr int MaxBackendConnectionsPerOrigin = 64;
// README "--workers": engine threads. More threads than cores only add switches; the bound
// keeps a typo (workers=1000) from starting a thousand threads.
inline constexpr int MaxWorkers = 64;
// README "Limits": a session that resets streams (sent or received) faster than this is closed:
// the HTTP/2 "rapid reset" attack costs backend work per reset. nghttp2's defaults.
inline constexpr int ResetBurst = 1'000;
inline constexpr int ResetsPerSecond = 33;
// README "Limits": "glitches" are frames that cost work and do nothing: unknown or gateway-only
// frames, empty DATA without FIN, DATA or RST_STREAM for no open stream, malformed frames, PINGs
// from a client that does not read. nghttp2 and HAProxy close such sessions; so do we.
inline constexpr int GlitchBurst = 1'000;
inline constexpr int GlitchesPerSecond = 33;
// Our own: a client "does not read" when our output has waited this long without the kernel
// taking a byte of it. Not merely "output is queued": the answers to the very read that
// carried a PING are queued too, and a reading client takes them within a round trip.
inline constexpr int UnreadOutputGraceMs = 1'000;
// Our own: descriptors the listener leaves free for live sessions' backends, the store and the
// admin listener: a tenth of the limit, at least this many.
inline constexpr int ReservedDescriptorsMin = 64;
// Our own: a request body that stops arriving holds a stream slot and a backend connection;
// after this long without a DATA frame the gateway gives up on it (408, or RST_STREAM 5).
inline constexpr int BodyIdleTimeoutMs = 10'000;
// Our own: answers queued towards a rejected HTTP/2 client before it is no longer read (a
// PING or SETTINGS flood from a client that never reads would otherwise grow without bound).
inline constexpr qint64 MaxRejectionOutputBytes = 64 * 1024;
// Our own: sessions at once; beyond this new TLS connections are closed right after accept.
inline constexpr int MaxSessions = 10'000;
// README "Reaching a device through its session". The framing has no per-stream window
// (§3.13), so a tunnel's device→operator direction is slowed the one way the session can: at
// this many bytes waiting for one operator connection the session stops reading from the
// device (as for a slow upload, MaxQueuedUploadBytes) and resumes below half. Other streams
// of that session wait meanwhile; no tunnel buffers more than this plus one read.
inline constexpr qint64 MaxQueuedTunnelBytes = 256 * 1024;
// Operator bytes Qt reads ahead for one tunnel connection while the session's output is full.
inline constexpr qint64 TunnelReadBufferBytes = 64 * 1024;
// Operator connections of one tunnel at once, tunnels of one session.
inline constexpr int MaxTunnelConnections = 32;
inline constexpr int MaxTunnelsPerSession = 8;
// A device that does not answer SOCKETS_REQUEST in this time never will (the C-Core connects
// to a local port at once).
inline constexpr int TunnelReplyTimeoutMs = 15'000;
// After the operator's FIN, how long the device has to end its side before a reset.
inline constexpr int TunnelLingerMs = 10'000;
// [tunnels] idle-timeout: a tunnel without a byte either way this long closes.
inline constexpr int TunnelIdleTimeoutMs = 900'000;
// Our own (README "Access log"): records waiting for the access log's writer. About 20 000
// lines, two seconds of a busy gateway on a stalled disk; beyond it lines are dropped and
// counted, never waited for (nghttpx and nginx block the worker on a slow log instead).
inline constexpr qsizetype MaxAccessLogQueueBytes = 8 * 1024 * 1024;
// Our own: what one method, host or path may put in the access log (a refused request may
// carry a 64 KiB path); the rest is cut.
inline constexpr qsizetype MaxAccessLogFieldBytes = 4 * 1024;

// README "Enrolment", issue 8 "CSR bomb". A real CSR is 0.3-2 KiB (an RSA-4096 key with a long
// subject stays below 4 KiB); anything larger is refused unparsed, with CSR_REPLY 0x04.
inline constexpr qsizetype MaxCsrBytes = 16 * 1024;
// Per session: a client sends one CSR per connection and resends after 20 s without an answer
// (§3.6), so a burst of 3 and then one per 10 s never refuses an honest client.
inline constexpr int CsrSessionBurst = 3;
inline constexpr int CsrSessionIntervalMs = 10'000;
// Gateway-wide: every CSR costs a signature check and an fsync'd write. 100 at once, then 20/s
// (72 000 an hour) is more than a launch day's onboarding and keeps the disk for everyone else.
inline constexpr int CsrGlobalBurst = 100;
inline constexpr int CsrGlobalPerSecond = 20;
// CSRs waiting for an administrator. Beyond this the list is unreadable anyway; new keys are
// refused (CSR_REPLY 0x00), nothing stored is dropped. At most 16 MiB of requests.
inline constexpr int MaxPendingCsrs = 1'000;
// The engine's SQLite connection waits this long for another writer (the admin CLI, whose
// transactions take milliseconds) and then gives up instead of stalling every session.
inline constexpr int PkiStoreBusyTimeoutMs = 10;
// The admin CLI is a one-shot process: it may wait for the gateway's writes.
inline constexpr int PkiStoreAdminBusyTimeoutMs = 5'000;
// PostgreSQL (README "Several gateways"): a statement may take the lock wait above plus this
// long (statement_timeout); PKI statements take well under a millisecond on a LAN, so this
// bounds what a slow database costs the engine thread per statement.
inline constexpr int PkiStatementWorkMs = 100;
// libpq's connect_timeout, in seconds: its minimum (1 is read as 2).
inline constexpr int PkiConnectTimeoutSeconds = 2;
// A broken database connection is reopened at most this often, so an outage costs the engine
// thread one connect attempt a second, not one per call.
inline constexpr int PkiReconnectIntervalMs = 1'000;
// After a failed store write the engine leaves the store alone this long (no new attempt, so
// no new wait) and sessions retry their deferred CSR or telemetry at this pace.
inline constexpr int PkiStoreRetryMs = 250;
// A CSR the store could not take is retried this long, then dropped unanswered: the client
// resends it by itself 20 s after sending it (§3.6).
inline constexpr int CsrRetryWindowMs = 18'000;
// README "Metrics": the admin listener serves a scraper or two and an admin's curl. Past this
// many connections the oldest is closed, so idle or slow clients cannot lock the next out.
inline constexpr int MaxAdminConnections = 16;
// An admin connection with no byte either way this long is closed (a scraper reconnects).
inline constexpr int AdminIdleTimeoutMs = 30'000;
// Request bytes an admin connection may send before it is answered: a scrape request is a
// few hundred bytes, nothing the admin listener serves takes a body this large.
inline constexpr qint64 MaxAdminRequestBytes = 64 * 1024;
// Admin API event streams at once (a GUI or two, an admin's curl): each holds one of the
// MaxAdminConnections, and each costs a copy of every update.
inline constexpr int MaxAdminEventStreams = 4;
// Bytes an event stream may have unsent: a reader this far behind (a stalled workstation)
// is closed instead of buffered without end; it reconnects and starts from a fresh snapshot.
// A snapshot of 10 000 sessions is about 3 MiB.
inline constexpr qint64 MaxAdminEventBacklogBytes = 8 * 1024 * 1024;
// Events are written at most this often, several in one write (the engine publishes every 500 ms).
inline constexpr int AdminEventFlushMs = 100;
// A comment line this often keeps an idle stream under AdminIdleTimeoutMs (and proxies awake).
inline constexpr int AdminEventKeepAliveMs = 10'000;
// Admin API requests of one peer (address): a GUI's refreshes and an admin's scripts fit many
// times over; a runaway loop gets 429 and costs the main thread (where the API answers) little,
// and leaves the other workstations their own budgets.
inline constexpr int AdminRequestBurst = 200;
inline constexpr int AdminRequestsPerSecond = 100;
// All peers together: several runaway loops still cost the main thread little.
inline constexpr int AdminRequestsAllPeersFactor = 4;
// Peers with a budget of their own; past this many the table starts afresh (the all-peers
// budget still holds).
inline constexpr int MaxAdminPeerBudgets = 1'024;
// How long a mutation waits for the engine's answer (a port bound, a session closed, a
// decision stored) before the API answers 504; the engine answers in milliseconds.
inline constexpr int AdminCommandTimeoutMs = 10'000;

} // namespace SeaCat::Limits
