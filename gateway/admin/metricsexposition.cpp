#include "metricsexposition.h"

#include <QMap>

namespace SeaCat {

namespace {

// Label values are escaped as the format says: backslash, double quote and line feed.
QByteArray label(const char *name, const QByteArray &value)
{
    QByteArray escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        if (c == '\\' || c == '"')
            escaped += '\\';
        escaped += c == '\n' ? QByteArrayLiteral("\\n") : QByteArray(1, c);
    }
    return QByteArray(name) + "=\"" + escaped + '"';
}

class Exposition
{
public:
    // Every family is written whole, HELP and TYPE first, before the next one starts.
    void family(const char *name, const char *type, const char *help)
    {
        m_name = name;
        m_text += QByteArrayLiteral("# HELP ") + name + ' ' + help + QByteArrayLiteral("\n# TYPE ") + name + ' ' +
                  type + '\n';
    }
    template<typename Number> void sample(const QByteArray &labels, Number value)
    {
        m_text += m_name;
        if (!labels.isEmpty())
            m_text += '{' + labels + '}';
        m_text += ' ' + QByteArray::number(value) + '\n';
    }
    // A counter family whose samples are a run of Counter entries, one label value each.
    void counters(const MetricsSnapshot &s, const char *labelName, Counter first,
                  std::initializer_list<const char *> values, const QByteArray &extraLabels = {})
    {
        int i = int(first);
        for (const char *value : values)
            sample(extraLabels + label(labelName, value), s.counter(Counter(i++)));
    }
    QByteArray text() const { return m_text; }

private:
    QByteArray m_text;
    QByteArray m_name;
};

// In the order of resetCodes(), then the rest.
constexpr std::initializer_list<const char *> ResetCodeNames = {
    "PROTOCOL_ERROR",        "INVALID_STREAM",     "REFUSED_STREAM",   "CANCEL", "INTERNAL_ERROR",
    "STREAM_ALREADY_CLOSED", "CONNECTION_TIMEOUT", "RESPONSE_TIMEOUT", "other"};
static_assert(ResetCodeNames.size() == resetCodes().size() + 1);
static_assert(int(Counter::ResetReceivedFirst) - int(Counter::ResetSentFirst) == int(ResetCodeNames.size()));

} // namespace

QByteArray formatMetrics(const MetricsSnapshot &s, const QByteArray &version, const QDateTime &now)
{
    Exposition out;
    out.family("seacat_build_info", "gauge", "The gateway's version; always 1.");
    out.sample(label("version", version) + ',' + label("qt", qVersion()), 1);

    out.family("seacat_sessions_open", "gauge", "SeaCat sessions open now, by mode (refreshed twice a second).");
    for (int m = 0; m < SessionModeCount; ++m)
        out.sample(label("mode", toString(SessionMode(m))), s.engines.sessionsByMode[size_t(m)]);
    out.family("seacat_sessions_opened_total", "counter",
               "SeaCat sessions opened (TLS handshake done, SeaCat framing seen).");
    out.sample({}, s.counter(Counter::SessionsOpened));
    out.family("seacat_sessions_closed_total", "counter", "SeaCat sessions closed, for any reason.");
    out.sample({}, s.counter(Counter::SessionsClosed));

    out.family("seacat_handshakes_total", "counter", "TLS handshakes completed on the gateway port.");
    out.sample({}, s.counter(Counter::HandshakesCompleted));
    out.family("seacat_handshake_failures_total", "counter",
               "Connections closed before their TLS handshake ended, by reason.");
    out.counters(s, "reason", Counter::HandshakeFailedPlaintext,
                 {"plaintext", "no_client_hello", "timeout", "shed", "peer_closed", "tls_error"});

    out.family(
        "seacat_rejected_connections_total", "counter",
        "Connections that were not SeaCat after the handshake: HTTP/1.x (h1), HTTP/2 (h2), anything else (garbage).");
    out.counters(s, "kind", Counter::RejectedHttp1, {"h1", "h2", "garbage"});

    out.family("seacat_requests_total", "counter",
               "Requests answered (SYN_REPLY sent), by status class; gateway-made answers included.");
    out.counters(s, "code", Counter::Responses1xx, {"1xx", "2xx", "3xx", "4xx", "5xx"});

    out.family("seacat_stream_resets_total", "counter",
               "RST_STREAM frames by code, sent by the gateway or received from clients.");
    out.counters(s, "code", Counter::ResetSentFirst, ResetCodeNames, label("direction", "sent") + ',');
    out.counters(s, "code", Counter::ResetReceivedFirst, ResetCodeNames, label("direction", "received") + ',');

    out.family("seacat_received_bytes_total", "counter", "Bytes of SeaCat frames received from clients (after TLS).");
    out.sample({}, s.counter(Counter::BytesIn));
    out.family("seacat_sent_bytes_total", "counter", "Bytes of SeaCat frames sent to clients (before TLS).");
    out.sample({}, s.counter(Counter::BytesOut));

    // Sorted by name, so that a scrape reads the same way every time.
    QMap<QString, BackendGauges> backends;
    for (auto it = s.engines.backends.cbegin(); it != s.engines.backends.cend(); ++it)
        backends.insert(it.key(), *it);
    const auto perBackend = [&](const char *name, const char *type, const char *help, auto value) {
        out.family(name, type, help);
        for (auto it = backends.cbegin(); it != backends.cend(); ++it)
            out.sample(label("backend", it.key().toUtf8()), value(*it));
    };
    perBackend("seacat_backend_connections_open", "gauge",
               "Backend connections counted against backend-connections: in use, opening or idle.",
               [](const BackendGauges &b) { return b.open; });
    perBackend("seacat_backend_connections_idle", "gauge", "Idle keep-alive backend connections.",
               [](const BackendGauges &b) { return b.idle; });
    perBackend("seacat_backend_requests_queued", "gauge",
               "Requests waiting for a backend connection (backend-connections reached).",
               [](const BackendGauges &b) { return b.queued; });
    perBackend("seacat_backend_connect_failures_total", "counter",
               "Backend connections that could not be opened (refused, unreachable, timed out).",
               [](const BackendGauges &b) { return b.connectFailures; });

    if (!s.hasPki)
        return out.text();
    out.family("seacat_pki_store_up", "gauge",
               "1 while the certificate store answers, 0 while it does not (CSRs wait, known clients authenticate "
               "from memory).");
    out.sample({}, s.pki.storeUp ? 1 : 0);
    out.family("seacat_csrs_pending", "gauge", "Certificate signing requests waiting for approval.");
    out.sample({}, s.pki.pendingCsrs);
    out.family("seacat_certificates_issued_total", "counter", "Client certificates in the store (issued by this CA).");
    out.sample({}, s.pki.certificatesIssued);
    out.family("seacat_certificates_revoked_total", "counter", "Client certificates revoked.");
    out.sample({}, s.pki.certificatesRevoked);
    out.family(
        "seacat_certificate_expiry_seconds", "gauge",
        "Seconds until the certificate expires (negative: expired): the gateway's CA and its TLS server certificate.");
    out.sample(label("certificate", "ca"), now.secsTo(s.pki.caNotAfter));
    out.sample(label("certificate", "server"), now.secsTo(s.pki.serverNotAfter));
    return out.text();
}

} // namespace SeaCat
