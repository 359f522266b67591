// The admin API's JSON (README "Administering a server gateway from a workstation"): one
// function per value type that crosses to the workstation. Pure, so the shapes are tested
// without a listener; times are ISO 8601 UTC with milliseconds, or null; serials and ids are
// JSON numbers (below 2^53 in every store this gateway writes).
#pragma once

#include "../gatewayconfig.h"
#include "../pki/pkitypes.h"
#include "../sessioninfo.h"
#include "../tunnel/tunnelinfo.h"

#include <QJsonObject>
#include <QJsonValue>

namespace SeaCat {

enum class SessionDetail { Summary, Full };

// Summary: what a list shows; Full adds the recent streams, the telemetry, every counter.
QJsonObject sessionToJson(const SessionInfo &session, SessionDetail detail);
QJsonObject csrToJson(const CsrInfo &csr);
QJsonObject tunnelToJson(const TunnelInfo &tunnel);
// Without the DER: exported on its own as PEM.
QJsonObject certificateToJson(const CertificateInfo &certificate);
QJsonObject statsToJson(const GatewayStats &stats);
// The options as the gateway read them (file and flags); nothing secret is in them.
QJsonObject settingsToJson(const GatewayConfig &config);
QJsonValue timeToJson(const QDateTime &time);

// The readers, for a GUI attached to a remote gateway: what the writers above wrote (a Summary
// session) comes back; a missing or mistyped field reads as empty or 0, never fails.
SessionInfo sessionFromJson(const QJsonObject &session);
GatewayStats statsFromJson(const QJsonObject &stats);
CsrInfo csrFromJson(const QJsonObject &csr);
// Without the DER, which the JSON does not carry.
CertificateInfo certificateFromJson(const QJsonObject &certificate);
QDateTime timeFromJson(const QJsonValue &time);

// Whether `filter` (case-insensitive, a substring) occurs in the session's peer address,
// client id, Client Tag, certificate subject or the id it enrols with. Empty matches all.
bool sessionMatches(const SessionInfo &session, const QString &filter);

} // namespace SeaCat
