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
        {QStringLiteral("clientId"), s.clientId},
        {QStringLiteral("clientTag"), s.clientTag},
        {QStringLiteral("certificateSerial"), double(s.certificateSerial)},
        {QStringLiteral("enrollingClientTag"), s.enrollingClientTag},
        {QStringLiteral("openStreams"), s.openStreams},
        {QStringLiteral("requests"), double(s.requests)},
        {QStringLiteral("bytesIn"), double(s.bytesIn)},
        {QStringLiteral("bytesOut"), double(s.bytesOut)},
        {QStringLiteral("since"), timeToJson(s.since)},
        {QStringLiteral("lastActivity"), timeToJson(s.lastActivity)},
    };
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
    return {
        {QStringLiteral("sessionsNow"), s.sessionsNow},
        {QStringLiteral("sessionsTotal"), double(s.sessionsTotal)},
        {QStringLiteral("requests"), double(s.requests)},
        {QStringLiteral("responsesByClass"), responsesToJson(s.responsesByClass)},
        {QStringLiteral("bytesIn"), double(s.bytesIn)},
        {QStringLiteral("bytesOut"), double(s.bytesOut)},
        {QStringLiteral("backendResponses"), double(s.backendResponses)},
        {QStringLiteral("backendLatencyMsTotal"), double(s.backendLatencyMsTotal)},
        {QStringLiteral("rejectedHttpsClients"), double(s.rejectedHttpsClients)},
        {QStringLiteral("resetFloodCloses"), double(s.resetFloodCloses)},
        {QStringLiteral("glitchFloodCloses"), double(s.glitchFloodCloses)},
        {QStringLiteral("refusedCsrs"), double(s.refusedCsrs)},
        {QStringLiteral("strayBackendConnections"), double(s.strayBackendConnections)},
    };
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
