// libFuzzer target for FrameReader. Also built without libFuzzer as a corpus
// replayer (fuzz_replay_main.cpp), so every normal test run replays the corpus.
#include "codec/framereader.h"

#include <cstddef>
#include <cstdint>

namespace {

class NullVisitor final : public SeaCat::FrameVisitor
{
public:
    void onSynStream(const SeaCat::SynStream &) override { }
    void onSynReply(const SeaCat::SynReply &) override { }
    void onData(const SeaCat::DataFrame &) override { }
    void onRstStream(const SeaCat::RstStream &) override { }
    void onPing(const SeaCat::Ping &) override { }
    void onCsr(const SeaCat::Csr &) override { }
    void onCertQuery(const SeaCat::CertQuery &) override { }
    void onCert(const SeaCat::Cert &) override { }
    void onCsrReply(const SeaCat::CsrReply &) override { }
    void onSocketsRequest(const SeaCat::SocketsRequest &) override { }
    void onSocketsReply(const SeaCat::SocketsReply &) override { }
    void onTelemetryCapabilities(const SeaCat::TelemetryCapabilities &) override { }
    void onTelemetryAck(const SeaCat::TelemetryAck &) override { }
    void onUnknownFrame(quint16, quint16, quint8, quint32) override { }
    void onError(SeaCat::FrameError, quint32, const QString &) override { }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    NullVisitor visitor;
    // The first byte chooses a chunk size, so splits are fuzzed too.
    const qsizetype chunk = size > 0 ? qsizetype(data[0] % 64) + 1 : 1;
    SeaCat::FrameReader reader(&visitor);
    const char *bytes = reinterpret_cast<const char *>(data);
    for (qsizetype pos = 0; pos < qsizetype(size); pos += chunk)
        reader.feed(bytes + pos, qMin(chunk, qsizetype(size) - pos));
    return 0;
}
