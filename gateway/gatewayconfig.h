// Every option of the gateway, with the defaults of docs/protocol-decisions.md.
// Read from an INI file (README "Configuration"); command-line flags override it.
#pragma once

#include "accesslog/logformat.h"
#include "gatewaylimits.h"
#include "portpolicy.h"

#include <QHostAddress>
#include <QMap>
#include <QSet>
#include <QString>
#include <QUrl>
#include <optional>

namespace SeaCat {

struct PkiPolicy;

// README "Gateway modes".
enum class GatewayMode { Combined, Authorized, Anonymous };
QString toString(GatewayMode mode);
std::optional<GatewayMode> gatewayModeFromString(const QString &text);

struct GatewayConfig {
    QString name;    // CN of the server certificate; default: host name
    QString dataDir; // CA, server key and certificate live here
    // [gateway] store (README "Several gateways"): a postgresql:// URL shared by an array of
    // gateways; empty: pki.sqlite in the data directory.
    QString store;
    // [gateway] srv-priority, srv-weight, public-port: this gateway's DNS SRV record, registered
    // in the store (README "Several gateways", `array srv-zone`); public-port 0: the port it serves on.
    int srvPriority = 10;
    int srvWeight = 100;
    quint16 publicPort = 0;
    QHostAddress listenAddress = QHostAddress(QHostAddress::AnyIPv4);
    quint16 port = DefaultPort;
    bool portExplicit = false; // chosen by the admin: never changed silently
    bool allowReservedPort = false;
    GatewayMode mode = GatewayMode::Combined;
    QMap<QString, QUrl> hosts; // [host:NAME] uri=..., used by the backend proxy
    // [gateway] admin-listen (README "Metrics"): where /metrics is served; `off` disables it.
    bool adminEnabled = true;
    QHostAddress adminAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 adminPort = DefaultAdminPort;
    bool adminListenExplicit = false; // chosen by the admin: a failed bind is fatal
    // [gateway] admin-tls=auto|on (README "Admin over the network"): off loopback the admin
    // listener always takes mutual TLS with an admin certificate; `on` asks for it on loopback too.
    bool adminTlsForced = false;
    bool adminNeedsTls() const { return adminTlsForced || !adminAddress.isLoopback(); }
    int workers; // engine threads; default: the number of cores

    int maxConcurrentStreams = Limits::MaxConcurrentStreams;
    quint32 maxInboundPayload = Limits::MaxInboundPayload;
    int idleTimeoutMs = Limits::SessionIdleTimeoutMs;
    int handshakeTimeoutMs = Limits::HandshakeTimeoutMs;
    int firstByteTimeoutMs = Limits::FirstByteTimeoutMs;
    int maxHandshakes = Limits::MaxHandshakes;
    int authorizedGraceMs = Limits::AuthorizedEnrolmentGraceMs;
    int pingIntervalMs = 0; // gateway PINGs (even ids) for NAT keep-alive; 0 = off
    int maxSessions = Limits::MaxSessions;
    int resetBurst = Limits::ResetBurst;
    int resetsPerSecond = Limits::ResetsPerSecond;
    int glitchBurst = Limits::GlitchBurst;
    int glitchesPerSecond = Limits::GlitchesPerSecond;
    bool debugLog = false;                 // --verbose: debug lines are built at all
    QString accessLogPath;                 // [gateway] access-log=FILE (README "Access log"); empty: stderr
    LogFormat logFormat = LogFormat::Text; // [gateway] log-format: both the access and the event log
    int backendConnectTimeoutMs = 10'000;
    int bodyIdleTimeoutMs = Limits::BodyIdleTimeoutMs;
    int backendResponseTimeoutMs = 60'000;                           // §5.5: beats the clients' own 3-minute defaults
    int backendConnections = Limits::MaxBackendConnectionsPerOrigin; // per origin; beyond: FIFO queue
    // Lower-case names of the identity headers added towards backends (README "Backend headers").
    QSet<QByteArray> forwardHeaders;
    bool ecServerKey = false; // [gateway] server-key=rsa|ec (README "TLS")
    bool autoApprove = false; // [pki] approval=auto|manual (README "Enrolment")
    int certificateValidityDays = 365;
    int renewalWindowDays = 30;
    // [limits] The CSR budget (README "Enrolment", gatewaylimits.h has the reasons).
    int maxCsrBytes = int(Limits::MaxCsrBytes);
    int csrSessionBurst = Limits::CsrSessionBurst;
    int csrSessionIntervalMs = Limits::CsrSessionIntervalMs;
    int csrGlobalBurst = Limits::CsrGlobalBurst;
    int csrGlobalPerSecond = Limits::CsrGlobalPerSecond;
    int maxPendingCsrs = Limits::MaxPendingCsrs;
    // [tunnels] (README "Reaching a device through its session"): off unless the admin turns
    // them on, and then only to the device ports listed.
    bool tunnelsEnabled = false;
    QSet<quint16> tunnelPorts;
    int tunnelIdleTimeoutMs = Limits::TunnelIdleTimeoutMs;

    GatewayConfig();

    static QString defaultDataDir();
    static QString defaultName();
    // Reads an INI file over the defaults. Unknown keys and bad values are errors that name
    // the key, so a typo never silently falls back to a default.
    static std::optional<GatewayConfig> fromFile(const QString &path, QString *error);
    // Applies one "key=value" of the file's [gateway]/[limits] sections (also used by flags).
    QString set(const QString &key, const QString &value);
    // Adds a host table entry: NAME and an http(s) base URL. Returns an error or "".
    QString addHost(const QString &name, const QString &uri);
    // The PKI service's policy: approval, validity and the gateway-wide CSR budget.
    PkiPolicy pkiPolicy() const;
};

// The writer next to fromFile(): a change to one key of the INI file. An empty `key` with
// `remove` set drops the whole section.
struct IniEdit {
    QString section; // "gateway", "pki", "host:app"
    QString key;
    QString value;
    bool remove = false;
};
// Applies `edits` to INI text the way an admin would by hand: a key is changed on its own
// line, a missing key is added at the end of its section, a missing section at the end of the
// file, a removed section goes with its lines. Every other line (comments, blank lines, keys
// and sections the edits do not name) is kept byte for byte, so saving from the GUI never
// loses what was written by hand. Values are quoted where QSettings would misread them.
QByteArray editIni(const QByteArray &ini, const QList<IniEdit> &edits);
// Reads `path` (missing: empty), applies `edits`, writes it back atomically. Returns "" or
// the error naming the file.
QString editIniFile(const QString &path, const QList<IniEdit> &edits);

} // namespace SeaCat
