#include "adminjson.h"
#include "../portpolicy.h"

#include <QJsonArray>

namespace SeaCat {

namespace {

QJsonArray responsesToJson(const quint64 (&byClass)[6])
{
    QJsonArray array;
    for (int c = 1; c <= 5; ++c)
        array.append(double(byClass[c]));
    return array;
}

QString certificateStatus(const CertificateInfo &certificate)
{
    if (certificate.isRevoked())
        return QStringLiteral("revoked");
    return certificate.isValidNow() ? QStringLiteral("valid") : QStringLiteral("expired");
}

// The fields as named in the JSON, one table for the writer and the reader.
template<typename Value, typename Member> struct Field {
    const char *name;
    Member Value::*member;
};
constexpr Field<SessionInfo, quint64> SummaryCounters[] = {
    {"certificateSerial", &SessionInfo::certificateSerial},
    {"requests", &SessionInfo::requests},
    {"bytesIn", &SessionInfo::bytesIn},
    {"bytesOut", &SessionInfo::bytesOut},
};
constexpr Field<SessionInfo, QString> SummaryTexts[] = {
    {"clientId", &SessionInfo::clientId},
    {"clientTag", &SessionInfo::clientTag},
    {"enrollingClientTag", &SessionInfo::enrollingClientTag},
};
constexpr Field<GatewayStats, quint64> StatsCounters[] = {
    {"sessionsTotal", &GatewayStats::sessionsTotal},
    {"requests", &GatewayStats::requests},
    {"bytesIn", &GatewayStats::bytesIn},
    {"bytesOut", &GatewayStats::bytesOut},
    {"backendResponses", &GatewayStats::backendResponses},
    {"backendLatencyMsTotal", &GatewayStats::backendLatencyMsTotal},
    {"rejectedHttpsClients", &GatewayStats::rejectedHttpsClients},
    {"resetFloodCloses", &GatewayStats::resetFloodCloses},
    {"glitchFloodCloses", &GatewayStats::glitchFloodCloses},
    {"refusedCsrs", &GatewayStats::refusedCsrs},
    {"strayBackendConnections", &GatewayStats::strayBackendConnections},
};

quint64 counterFromJson(const QJsonValue &value)
{
    // Numbers only, whole and in range: anything else reads as 0.
    const double number = value.toDouble(0);
    return number >= 0 && number < 9.007199254740992e15 ? quint64(number) : 0;
}

void responsesFromJson(const QJsonValue &value, quint64 (&byClass)[6])
{
    const QJsonArray array = value.toArray();
    for (int c = 1; c <= 5 && c <= array.size(); ++c)
        byClass[c] = counterFromJson(array.at(c - 1));
}

} // namespace

QJsonValue timeToJson(const QDateTime &time)
{
    return time.isValid() ? QJsonValue(time.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

QJsonObject sessionToJson(const SessionInfo &s, SessionDetail detail)
{
    QJsonObject o{
        {QStringLiteral("id"), double(s.id)},
        {QStringLiteral("peer"), formatEndpoint(s.peerAddress, s.peerPort)},
        {QStringLiteral("openStreams"), s.openStreams},
        {QStringLiteral("since"), timeToJson(s.since)},
        {QStringLiteral("lastActivity"), timeToJson(s.lastActivity)},
    };
    for (const auto &counter : SummaryCounters)
        o.insert(QLatin1String(counter.name), double(s.*counter.member));
    for (const auto &text : SummaryTexts)
        o.insert(QLatin1String(text.name), s.*text.member);
    if (detail == SessionDetail::Summary)
        return o;
    o.insert(QStringLiteral("worker"), s.worker);
    o.insert(QStringLiteral("enrollingClientId"), s.enrollingClientId);
    o.insert(QStringLiteral("certificateSubject"), s.certificateSubject);
    o.insert(QStringLiteral("tlsProtocol"), s.tlsProtocol);
    o.insert(QStringLiteral("cipher"), s.cipher);
    o.insert(QStringLiteral("streamsTotal"), double(s.streamsTotal));
    o.insert(QStringLiteral("refusedStreams"), double(s.refusedStreams));
    o.insert(QStringLiteral("framesIn"), double(s.framesIn));
    o.insert(QStringLiteral("framesOut"), double(s.framesOut));
    o.insert(QStringLiteral("unknownFrames"), double(s.unknownFrames));
    o.insert(QStringLiteral("malformedFrames"), double(s.malformedFrames));
    o.insert(QStringLiteral("glitches"), double(s.glitches));
    o.insert(QStringLiteral("resets"), double(s.resets));
    o.insert(QStringLiteral("pingsReceived"), double(s.pingsReceived));
    o.insert(QStringLiteral("refusedCsrs"), double(s.refusedCsrs));
    o.insert(QStringLiteral("responsesByClass"), responsesToJson(s.responsesByClass));
    o.insert(QStringLiteral("backendResponses"), double(s.backendResponses));
    o.insert(QStringLiteral("backendLatencyMsTotal"), double(s.backendLatencyMsTotal));
    o.insert(QStringLiteral("recentStreams"), QJsonArray::fromStringList(s.recentStreams));
    o.insert(QStringLiteral("telemetry"), QJsonArray::fromStringList(s.telemetry));
    return o;
}

QJsonObject tunnelToJson(const TunnelInfo &tunnel)
{
    return {
        {QStringLiteral("id"), double(tunnel.id)},
        {QStringLiteral("session"), double(tunnel.sessionId)},
        {QStringLiteral("clientTag"), tunnel.clientTag},
        {QStringLiteral("port"), tunnel.devicePort},
        {QStringLiteral("listen"), formatEndpoint(tunnel.listenAddress, tunnel.listenPort)},
        {QStringLiteral("owner"), tunnel.owner},
        {QStringLiteral("created"), timeToJson(tunnel.created)},
        {QStringLiteral("lastActivity"), timeToJson(tunnel.lastActivity)},
        {QStringLiteral("connections"), tunnel.connections},
        {QStringLiteral("connectionsTotal"), double(tunnel.connectionsTotal)},
        {QStringLiteral("bytesToDevice"), double(tunnel.bytesToDevice)},
        {QStringLiteral("bytesFromDevice"), double(tunnel.bytesFromDevice)},
    };
}

QJsonObject csrToJson(const CsrInfo &c)
{
    return {
        {QStringLiteral("id"), double(c.id)},
        {QStringLiteral("state"), toString(c.state)},
        {QStringLiteral("clientId"), c.clientId},
        {QStringLiteral("clientTag"), c.clientTag},
        {QStringLiteral("subject"), c.subject},
        {QStringLiteral("keyType"), c.keyType},
        {QStringLiteral("received"), timeToJson(c.received)},
        {QStringLiteral("decided"), timeToJson(c.decided)},
    };
}

QJsonObject certificateToJson(const CertificateInfo &c)
{
    return {
        {QStringLiteral("serial"), double(c.serial)},
        {QStringLiteral("status"), certificateStatus(c)},
        {QStringLiteral("clientId"), c.clientId},
        {QStringLiteral("clientTag"), c.clientTag},
        {QStringLiteral("subject"), c.subject},
        {QStringLiteral("notBefore"), timeToJson(c.notBefore)},
        {QStringLiteral("notAfter"), timeToJson(c.notAfter)},
        {QStringLiteral("revoked"), timeToJson(c.revoked)},
    };
}

QJsonObject statsToJson(const GatewayStats &s)
{
    QJsonObject o{
        {QStringLiteral("sessionsNow"), s.sessionsNow},
        {QStringLiteral("responsesByClass"), responsesToJson(s.responsesByClass)},
    };
    for (const auto &counter : StatsCounters)
        o.insert(QLatin1String(counter.name), double(s.*counter.member));
    return o;
}

QJsonObject settingsToJson(const GatewayConfig &c)
{
    QJsonObject hosts;
    for (auto it = c.hosts.cbegin(); it != c.hosts.cend(); ++it)
        hosts.insert(it.key(), it.value().toString());
    QStringList forwardHeaders;
    for (const QByteArray &header : c.forwardHeaders)
        forwardHeaders.append(QString::fromLatin1(header));
    forwardHeaders.sort();
    return {
        {QStringLiteral("name"), c.name},
        {QStringLiteral("dataDir"), c.dataDir},
        {QStringLiteral("listen"), formatEndpoint(c.listenAddress, c.port)},
        {QStringLiteral("mode"), toString(c.mode)},
        {QStringLiteral("adminListen"),
         c.adminEnabled ? QJsonValue(formatEndpoint(c.adminAddress, c.adminPort)) : QJsonValue(QStringLiteral("off"))},
        {QStringLiteral("workers"), c.workers},
        {QStringLiteral("backends"), hosts},
        {QStringLiteral("forwardHeaders"), QJsonArray::fromStringList(forwardHeaders)},
        {QStringLiteral("approval"), c.autoApprove ? QStringLiteral("auto") : QStringLiteral("manual")},
        {QStringLiteral("certificateValidityDays"), c.certificateValidityDays},
        {QStringLiteral("renewalWindowDays"), c.renewalWindowDays},
        {QStringLiteral("serverKey"), c.ecServerKey ? QStringLiteral("ec") : QStringLiteral("rsa")},
        {QStringLiteral("accessLog"), c.accessLogPath.isEmpty() ? QStringLiteral("stderr") : c.accessLogPath},
        {QStringLiteral("logFormat"), toString(c.logFormat)},
        {QStringLiteral("limits"),
         QJsonObject{
             {QStringLiteral("maxStreams"), c.maxConcurrentStreams},
             {QStringLiteral("maxPayload"), double(c.maxInboundPayload)},
             {QStringLiteral("maxSessions"), c.maxSessions},
             {QStringLiteral("idleTimeoutMs"), c.idleTimeoutMs},
             {QStringLiteral("handshakeTimeoutMs"), c.handshakeTimeoutMs},
             {QStringLiteral("maxHandshakes"), c.maxHandshakes},
             {QStringLiteral("pingIntervalMs"), c.pingIntervalMs},
             {QStringLiteral("backendConnections"), c.backendConnections},
             {QStringLiteral("backendConnectTimeoutMs"), c.backendConnectTimeoutMs},
             {QStringLiteral("backendResponseTimeoutMs"), c.backendResponseTimeoutMs},
             {QStringLiteral("maxPendingCsrs"), c.maxPendingCsrs},
         }},
    };
}

QDateTime timeFromJson(const QJsonValue &value)
{
    QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    return time.isValid() ? time.toUTC() : QDateTime();
}

SessionInfo sessionFromJson(const QJsonObject &o)
{
    SessionInfo s;
    s.id = counterFromJson(o.value(QStringLiteral("id")));
    // "192.0.2.1:443" or "[2001:db8::1]:443", as formatEndpoint() writes it.
    const QString peer = o.value(QStringLiteral("peer")).toString();
    if (const qsizetype colon = peer.lastIndexOf(u':'); colon > 0) {
        s.peerAddress = peer.left(colon);
        if (s.peerAddress.startsWith(u'[') && s.peerAddress.endsWith(u']'))
            s.peerAddress = s.peerAddress.mid(1, s.peerAddress.size() - 2);
        s.peerPort = quint16(peer.mid(colon + 1).toUShort());
    }
    s.openStreams = o.value(QStringLiteral("openStreams")).toInt();
    s.since = timeFromJson(o.value(QStringLiteral("since")));
    s.lastActivity = timeFromJson(o.value(QStringLiteral("lastActivity")));
    for (const auto &counter : SummaryCounters)
        s.*counter.member = counterFromJson(o.value(QLatin1String(counter.name)));
    for (const auto &text : SummaryTexts)
        s.*text.member = o.value(QLatin1String(text.name)).toString();
    return s;
}

GatewayStats statsFromJson(const QJsonObject &o)
{
    GatewayStats s;
    s.sessionsNow = o.value(QStringLiteral("sessionsNow")).toInt();
    responsesFromJson(o.value(QStringLiteral("responsesByClass")), s.responsesByClass);
    for (const auto &counter : StatsCounters)
        s.*counter.member = counterFromJson(o.value(QLatin1String(counter.name)));
    return s;
}

CsrInfo csrFromJson(const QJsonObject &o)
{
    CsrInfo c;
    c.id = qint64(counterFromJson(o.value(QStringLiteral("id"))));
    const QString state = o.value(QStringLiteral("state")).toString();
    for (CsrInfo::State s : {CsrInfo::State::Pending, CsrInfo::State::Approved, CsrInfo::State::Rejected})
        if (toString(s) == state)
            c.state = s;
    c.clientId = o.value(QStringLiteral("clientId")).toString();
    c.clientTag = o.value(QStringLiteral("clientTag")).toString();
    c.subject = o.value(QStringLiteral("subject")).toString();
    c.keyType = o.value(QStringLiteral("keyType")).toString();
    c.received = timeFromJson(o.value(QStringLiteral("received")));
    c.decided = timeFromJson(o.value(QStringLiteral("decided")));
    return c;
}

CertificateInfo certificateFromJson(const QJsonObject &o)
{
    CertificateInfo c;
    c.serial = counterFromJson(o.value(QStringLiteral("serial")));
    c.clientId = o.value(QStringLiteral("clientId")).toString();
    c.clientTag = o.value(QStringLiteral("clientTag")).toString();
    c.subject = o.value(QStringLiteral("subject")).toString();
    c.notBefore = timeFromJson(o.value(QStringLiteral("notBefore")));
    c.notAfter = timeFromJson(o.value(QStringLiteral("notAfter")));
    c.revoked = timeFromJson(o.value(QStringLiteral("revoked")));
    return c;
}

bool sessionMatches(const SessionInfo &s, const QString &filter)
{
    if (filter.isEmpty())
        return true;
    for (const QString *field : {&s.peerAddress, &s.clientId, &s.clientTag, &s.certificateSubject, &s.enrollingClientId,
                                 &s.enrollingClientTag})
        if (field->contains(filter, Qt::CaseInsensitive))
            return true;
    return false;
}

} // namespace SeaCat
