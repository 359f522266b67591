// Test helper: records every FrameVisitor callback as one line of text and re-serialises
// each decoded frame, so a test can compare both the meaning and the bytes.
#pragma once

#include "codec/framevisitor.h"
#include "codec/framewriter.h"

#include <QStringList>

class RecordingVisitor : public SeaCat::FrameVisitor
{
public:
    QStringList events;
    QByteArray reencoded;
    QList<SeaCat::SynReply> replies; // as decoded, header bytes untouched
    QList<SeaCat::FrameError> errors;

    void onSynStream(const SeaCat::SynStream &f) override
    {
        events << QStringLiteral("SYN_STREAM id=%1 fin=%2 pri=%3 host=%4 method=%5 path=%6%7")
                      .arg(f.streamId)
                      .arg(int(f.fin))
                      .arg(f.priority)
                      .arg(QString::fromUtf8(f.host), QString::fromUtf8(f.method), QString::fromUtf8(f.path),
                           headers(f.headers));
        reencoded += SeaCat::serialize(f);
    }
    void onSynReply(const SeaCat::SynReply &f) override
    {
        replies << f;
        events << QStringLiteral("SYN_REPLY id=%1 fin=%2 status=%3%4")
                      .arg(f.streamId)
                      .arg(int(f.fin))
                      .arg(f.status)
                      .arg(headers(f.headers));
        reencoded += SeaCat::serialize(f);
    }
    void onData(const SeaCat::DataFrame &f) override
    {
        events << QStringLiteral("DATA id=%1 fin=%2 len=%3").arg(f.streamId).arg(int(f.fin)).arg(f.payload.size());
        reencoded += SeaCat::serialize(f);
    }
    void onRstStream(const SeaCat::RstStream &f) override
    {
        events << QStringLiteral("RST_STREAM id=%1 status=%2").arg(f.streamId).arg(f.status);
        reencoded += SeaCat::serialize(f);
    }
    void onPing(const SeaCat::Ping &f) override
    {
        events << QStringLiteral("PING id=%1").arg(f.id);
        reencoded += SeaCat::serialize(f);
    }
    void onCsr(const SeaCat::Csr &f) override
    {
        events << QStringLiteral("CSR flags=%1 len=%2").arg(f.flags).arg(f.der.size());
        reencoded += SeaCat::serialize(f);
    }
    void onCertQuery(const SeaCat::CertQuery &f) override
    {
        events << QStringLiteral("CERT_QUERY id=%1 type=%2 key=%3")
                      .arg(f.queryId)
                      .arg(f.queryType)
                      .arg(f.publicKey.size());
        reencoded += SeaCat::serialize(f);
    }
    void onCert(const SeaCat::Cert &f) override
    {
        events << QStringLiteral("CERT id=%1 type=%2 notfound=%3 der=%4")
                      .arg(f.queryId)
                      .arg(f.queryType)
                      .arg(int(f.notFound))
                      .arg(f.der.size());
        reencoded += SeaCat::serialize(f);
    }
    void onCsrReply(const SeaCat::CsrReply &f) override
    {
        events << QStringLiteral("CSR_REPLY flags=%1").arg(f.flags);
        reencoded += SeaCat::serialize(f);
    }
    void onSocketsRequest(const SeaCat::SocketsRequest &f) override
    {
        events << QStringLiteral("SOCKETS_REQUEST id=%1 cmd=%2 atype=%3 port=%4")
                      .arg(f.streamId)
                      .arg(f.command)
                      .arg(f.addressType)
                      .arg(f.port);
        reencoded += SeaCat::serialize(f);
    }
    void onSocketsReply(const SeaCat::SocketsReply &f) override
    {
        events << QStringLiteral("SOCKETS_REPLY id=%1 code=%2").arg(f.streamId).arg(f.replyCode);
        reencoded += SeaCat::serialize(f);
    }
    void onTelemetryCapabilities(const SeaCat::TelemetryCapabilities &f) override
    {
        events << QStringLiteral("TELEMETRY serial=%1 blob=%2").arg(f.serial).arg(f.blob.size());
        reencoded += SeaCat::serialize(f);
    }
    void onTelemetryAck(const SeaCat::TelemetryAck &f) override
    {
        events << QStringLiteral("TELEMETRY_ACK serial=%1").arg(f.serial);
        reencoded += SeaCat::serialize(f);
    }
    void onUnknownFrame(quint16 version, quint16 type, quint8 flags, quint32 length) override
    {
        events << QStringLiteral("UNKNOWN version=%1 type=%2 flags=%3 len=%4")
                      .arg(version, 0, 16)
                      .arg(type, 0, 16)
                      .arg(flags)
                      .arg(length);
    }
    void onError(SeaCat::FrameError error, quint32 streamId, const QString &) override
    {
        errors << error;
        events << QStringLiteral("ERROR %1 stream=%2").arg(SeaCat::toString(error)).arg(streamId);
    }

private:
    static QString headers(const SeaCat::HeaderList &list)
    {
        QString out;
        for (const auto &[name, value] : list)
            out += QStringLiteral(" %1:%2").arg(QString::fromUtf8(name), QString::fromUtf8(value));
        return out;
    }
};
