// Codec tests: the spec's §13 conformance vectors decoded whole, byte by byte, at every
// single split point and in seeded random chunks; each re-encoded byte for byte.
#include "codec/framereader.h"
#include "codec/framewriter.h"
#include "codec/vle.h"
#include "common/hex.h"
#include "common/recordingvisitor.h"

#include <QRandomGenerator>
#include <QTest>

using namespace SeaCat;

namespace {

// V13: a CSR frame whose DER starts as in the spec and is 663 bytes long.
QByteArray csrFrame()
{
    QByteArray der = hex("30 82 02 93");
    der.append(663 - der.size(), '\x5A');
    return hex("80 A1 00 C1 01 00 02 97") + der;
}

// V11 anonymous variant: a 270-byte PKCS#1 key after the 4 fixed bytes.
QByteArray anonymousCertQuery()
{
    QByteArray key = hex("30 82 01 0A 02 82 01 01 00");
    key.append(270 - key.size(), '\x11');
    return hex("80 A1 00 C2 00 00 01 12 00 01 00 01") + key;
}

QByteArray certWithDer()
{
    QByteArray der = hex("30 82 01 00");
    der.append(260 - der.size(), '\x22');
    return hex("80 A1 00 C3 00 00 01 08 00 01 00 01") + der;
}

QStringList decode(const QByteArray &wire, const QList<qsizetype> &chunks, QByteArray *reencoded = nullptr)
{
    RecordingVisitor visitor;
    FrameReader reader(&visitor);
    qsizetype pos = 0;
    for (qsizetype chunk : chunks) {
        reader.feed(wire.constData() + pos, chunk);
        pos += chunk;
    }
    if (reencoded)
        *reencoded = visitor.reencoded;
    return visitor.events;
}

} // namespace

class TestCodec : public QObject
{
    Q_OBJECT

private slots:
    void vectors_data();
    void vectors();
    void malformed_data();
    void malformed();
    void failedReaderIsSticky();
    void payloadCapIsCheckedBeforeBuffering();
    void vleBoundary();
    void vleLenientDecode();
    void writerRefusesImpossibleFrames();
    void outboundLimit();
};

void TestCodec::vectors_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("V1 client PING 1") << hex("80 03 00 06 00 00 00 04 00 00 00 01") << QStringList{"PING id=1"};
    QTest::newRow("V2 gateway PING 2") << hex("80 03 00 06 00 00 00 04 00 00 00 02") << QStringList{"PING id=2"};
    QTest::newRow("V3 SYN_STREAM GET /hello")
        << hex("80 A1 00 01 01 00 00 19 00 00 00 01 00 00 00 00 20 00 03 61 70 70 03 47 45 54 06 2F 68 65 6C 6C 6F")
        << QStringList{"SYN_STREAM id=1 fin=1 pri=1 host=app method=GET path=/hello"};
    QTest::newRow("V4 Android SYN_STREAM")
        << hex("80 A1 00 01 01 00 00 28 00 00 00 03 00 00 00 00 60 00 03 61 70 70 03 47 45 54"
               " 0A 2F 68 65 6C 6C 6F 3F 78 3D 31 06 41 63 63 65 70 74 03 2A 2F 2A")
        << QStringList{"SYN_STREAM id=3 fin=1 pri=3 host=app method=GET path=/hello?x=1 Accept:*/*"};
    QTest::newRow("V5 POST /echo")
        << hex("80 A1 00 01 00 00 00 2A 00 00 00 05 00 00 00 00 20 00 03 61 70 70 04 50 4F 53 54"
               " 05 2F 65 63 68 6F 0E 43 6F 6E 74 65 6E 74 2D 4C 65 6E 67 74 68 01 35")
        << QStringList{"SYN_STREAM id=5 fin=0 pri=1 host=app method=POST path=/echo Content-Length:5"};
    QTest::newRow("V6 DATA body FIN") << hex("00 00 00 05 01 00 00 05 48 65 6C 6C 6F")
                                      << QStringList{"DATA id=5 fin=1 len=5"};
    QTest::newRow("V7 SYN_REPLY 200")
        << hex("80 A1 00 02 00 00 00 20 00 00 00 01 00 C8 00 00 0C 43 6F 6E 74 65 6E 74 2D 54 79 70 65"
               " 0A 74 65 78 74 2F 70 6C 61 69 6E")
        << QStringList{"SYN_REPLY id=1 fin=0 status=200 Content-Type:text/plain"};
    QTest::newRow("V8 empty DATA FIN") << hex("00 00 00 01 01 00 00 00") << QStringList{"DATA id=1 fin=1 len=0"};
    QTest::newRow("V9 RST_STREAM 1/2") << hex("80 03 00 03 00 00 00 08 00 00 00 01 00 00 00 02")
                                       << QStringList{"RST_STREAM id=1 status=2"};
    QTest::newRow("V10 RST_STREAM 7/3") << hex("80 03 00 03 00 00 00 08 00 00 00 07 00 00 00 03")
                                        << QStringList{"RST_STREAM id=7 status=3"};
    QTest::newRow("V11 CERT_QUERY authenticated")
        << hex("80 A1 00 C2 00 00 00 04 00 01 00 01") << QStringList{"CERT_QUERY id=1 type=1 key=0"};
    QTest::newRow("V11 CERT_QUERY anonymous") << anonymousCertQuery() << QStringList{"CERT_QUERY id=1 type=1 key=270"};
    QTest::newRow("V12 CERT pending") << hex("80 A1 00 C3 00 00 00 04 00 01 00 01")
                                      << QStringList{"CERT id=1 type=1 notfound=0 der=0"};
    QTest::newRow("V12 CERT not found") << hex("80 A1 00 C3 80 00 00 04 00 01 00 01")
                                        << QStringList{"CERT id=1 type=1 notfound=1 der=0"};
    QTest::newRow("V12 CERT with DER") << certWithDer() << QStringList{"CERT id=1 type=1 notfound=0 der=260"};
    QTest::newRow("V13 CSR 663 bytes") << csrFrame() << QStringList{"CSR flags=1 len=663"};
    QTest::newRow("V14 CSR_REPLY stored") << hex("80 A1 00 C4 01 00 00 00") << QStringList{"CSR_REPLY flags=1"};
    QTest::newRow("V14 CSR_REPLY approved") << hex("80 A1 00 C4 03 00 00 00") << QStringList{"CSR_REPLY flags=3"};
    QTest::newRow("V14 CSR_REPLY rejected") << hex("80 A1 00 C4 04 00 00 00") << QStringList{"CSR_REPLY flags=4"};
    QTest::newRow("V15 TELEMETRY ACK") << hex("80 B5 00 03 00 00 00 04 00 00 00 01")
                                       << QStringList{"TELEMETRY_ACK serial=1"};
    QTest::newRow("V15 SOCKETS_REQUEST") << hex("80 B2 00 01 00 00 00 08 00 00 00 02 01 FE 00 16")
                                         << QStringList{"SOCKETS_REQUEST id=2 cmd=1 atype=254 port=22"};
    QTest::newRow("V15 SOCKETS_REPLY") << hex("80 B2 00 02 00 00 00 08 00 00 00 02 00 01 00 00")
                                       << QStringList{"SOCKETS_REPLY id=2 code=0"};
    QTest::newRow("TELEMETRY capabilities")
        << hex("80 B5 00 02 00 00 00 0A 00 00 00 07 61 1F 62 00 00 00") << QStringList{"TELEMETRY serial=7 blob=6"};
    QTest::newRow("V5+V6 in one read")
        << hex("80 A1 00 01 00 00 00 2A 00 00 00 05 00 00 00 00 20 00 03 61 70 70 04 50 4F 53 54"
               " 05 2F 65 63 68 6F 0E 43 6F 6E 74 65 6E 74 2D 4C 65 6E 67 74 68 01 35"
               " 00 00 00 05 01 00 00 05 48 65 6C 6C 6F 80 03 00 06 00 00 00 04 00 00 00 01")
        << QStringList{"SYN_STREAM id=5 fin=0 pri=1 host=app method=POST path=/echo Content-Length:5",
                       "DATA id=5 fin=1 len=5", "PING id=1"};
}

void TestCodec::vectors()
{
    QFETCH(QByteArray, wire);
    QFETCH(QStringList, expected);

    QByteArray reencoded;
    QCOMPARE(decode(wire, {wire.size()}, &reencoded), expected);
    QCOMPARE(reencoded.toHex(' '), wire.toHex(' '));

    QList<qsizetype> bytewise(wire.size(), 1);
    QCOMPARE(decode(wire, bytewise), expected);

    for (qsizetype split = 1; split < wire.size(); ++split)
        QVERIFY2(decode(wire, {split, wire.size() - split}) == expected,
                 qPrintable(QStringLiteral("split at %1").arg(split)));

    const quint32 seed = QRandomGenerator::global()->generate();
    QRandomGenerator random(seed);
    for (int round = 0; round < 20; ++round) {
        QList<qsizetype> chunks;
        for (qsizetype left = wire.size(); left > 0;) {
            const qsizetype chunk = qMin(left, qsizetype(random.bounded(1, 40)));
            chunks << chunk;
            left -= chunk;
        }
        QVERIFY2(decode(wire, chunks) == expected, qPrintable(QStringLiteral("random chunks, seed %1").arg(seed)));
    }
}

void TestCodec::malformed_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<QStringList>("expected");
    const QString ping = QStringLiteral("PING id=9");
    const QByteArray nextPing = hex("80 03 00 06 00 00 00 04 00 00 00 09");

    QTest::newRow("PING with 5-byte payload, then resync") << hex("80 03 00 06 00 00 00 05 00 00 00 01 FF") + nextPing
                                                           << QStringList{"ERROR payload size mismatch stream=0", ping};
    QTest::newRow("RST_STREAM with 7-byte payload") << hex("80 03 00 03 00 00 00 07 00 00 00 01 00 00 02") + nextPing
                                                    << QStringList{"ERROR payload size mismatch stream=0", ping};
    QTest::newRow("SYN_STREAM truncated VLE host")
        << hex("80 A1 00 01 01 00 00 0D 00 00 00 03 00 00 00 00 20 00 05 61 70") + nextPing
        << QStringList{"ERROR malformed header block stream=3", ping};
    QTest::newRow("SYN_STREAM long-form VLE overrun")
        << hex("80 A1 00 01 01 00 00 0D 00 00 00 03 00 00 00 00 20 00 FF 10 00") + nextPing
        << QStringList{"ERROR malformed header block stream=3", ping};
    QTest::newRow("SYN_STREAM header name without value")
        << hex("80 A1 00 01 01 00 00 13 00 00 00 03 00 00 00 00 20 00 01 61 01 62 01 2F 02 61 62") + nextPing
        << QStringList{"ERROR malformed header block stream=3", ping};
    QTest::newRow("SYN_STREAM shorter than fixed fields")
        << hex("80 A1 00 01 01 00 00 02 00 00") + nextPing << QStringList{"ERROR payload size mismatch stream=0", ping};
    QTest::newRow("SYN_REPLY truncated header block")
        << hex("80 A1 00 02 00 00 00 0A 00 00 00 01 00 C8 00 00 03 61") + nextPing
        << QStringList{"ERROR malformed header block stream=1", ping};
    QTest::newRow("CERT_QUERY too short")
        << hex("80 A1 00 C2 00 00 00 02 00 01") + nextPing << QStringList{"ERROR payload size mismatch stream=0", ping};
    QTest::newRow("empty CSR") << hex("80 A1 00 C1 01 00 00 00") + nextPing
                               << QStringList{"ERROR payload size mismatch stream=0", ping};
    QTest::newRow("unknown control frame is skipped")
        << hex("80 A1 00 A1 00 00 00 03 01 02 03") + nextPing
        << QStringList{"UNKNOWN version=80a1 type=a1 flags=0 len=3", ping};
    QTest::newRow("unknown version is skipped")
        << hex("80 B1 00 66 00 00 00 00") + nextPing << QStringList{"UNKNOWN version=80b1 type=66 flags=0 len=0", ping};
    QTest::newRow("DATA on stream 0 loses the connection")
        << hex("00 00 00 00 00 00 00 01 41") + nextPing << QStringList{"ERROR invalid stream id stream=0"};
    QTest::newRow("SYN_STREAM with bit 31 set")
        << hex("80 A1 00 01 01 00 00 0D 80 00 00 03 00 00 00 00 20 00 00 00 00") + nextPing
        << QStringList{"ERROR invalid stream id stream=0"};
    QTest::newRow("16 MiB length claim") << hex("80 03 00 06 00 FF FF FF 00 00 00 01") + nextPing
                                         << QStringList{"ERROR payload too large stream=0"};
    QTest::newRow("65 536-byte DATA claim")
        << hex("00 00 00 01 00 01 00 00") << QStringList{"ERROR payload too large stream=0"};
    QTest::newRow("truncated header") << hex("80 03 00") << QStringList{};
    QTest::newRow("truncated payload") << hex("80 03 00 06 00 00 00 04 00 00") << QStringList{};
}

void TestCodec::malformed()
{
    QFETCH(QByteArray, wire);
    QFETCH(QStringList, expected);
    QCOMPARE(decode(wire, {wire.size()}), expected);
    QList<qsizetype> bytewise(wire.size(), 1);
    QCOMPARE(decode(wire, bytewise), expected);
}

void TestCodec::failedReaderIsSticky()
{
    RecordingVisitor visitor;
    FrameReader reader(&visitor);
    const QByteArray bad = hex("00 00 00 00 00 00 00 00");
    QCOMPARE(reader.feed(bad), 0);
    QCOMPARE(reader.state(), FrameReader::State::Failed);
    QCOMPARE(reader.feed(hex("80 03 00 06 00 00 00 04 00 00 00 01")), 0);
    QCOMPARE(visitor.events.size(), 1);
    QCOMPARE(errorScope(visitor.errors.value(0)), ErrorScope::Connection);
    reader.reset();
    QCOMPARE(reader.feed(hex("80 03 00 06 00 00 00 04 00 00 00 01")), 12);
    QCOMPARE(visitor.events.last(), QStringLiteral("PING id=1"));
}

void TestCodec::payloadCapIsCheckedBeforeBuffering()
{
    RecordingVisitor visitor;
    FrameReader reader(&visitor, 100);
    QByteArray frame = hex("00 00 00 01 00 00 00 65"); // 101 bytes claimed
    QCOMPARE(reader.feed(frame), 0);
    QVERIFY(visitor.errors == QList<FrameError>{FrameError::PayloadTooLarge});

    RecordingVisitor okVisitor;
    FrameReader okReader(&okVisitor, 100);
    QByteArray exact = hex("00 00 00 01 00 00 00 64") + QByteArray(100, 'x');
    QCOMPARE(okReader.feed(exact), exact.size());
    QCOMPARE(okVisitor.events, QStringList{"DATA id=1 fin=0 len=100"});
}

void TestCodec::vleBoundary()
{
    // V16: 249 bytes → 1-byte prefix F9; 250 bytes → FF 00 FA.
    QByteArray out;
    QVERIFY(Vle::append(out, QByteArray(249, 'a')));
    QCOMPARE(out.size(), 250);
    QCOMPARE(quint8(out[0]), quint8(0xF9));
    out.clear();
    QVERIFY(Vle::append(out, QByteArray(250, 'a')));
    QCOMPARE(out.left(3), hex("FF 00 FA"));
    QCOMPARE(out.size(), 253);
    qsizetype pos = 0;
    QCOMPARE(Vle::read(out.constData(), out.size(), pos).value_or(QByteArray()), QByteArray(250, 'a'));
    QCOMPARE(pos, out.size());
    out.clear();
    QVERIFY(Vle::append(out, QByteArray()));
    QCOMPARE(out, hex("00"));
}

void TestCodec::vleLenientDecode()
{
    // §2.5: 0xFA..0xFE are literal one-byte lengths; only 0xFF means "u16 follows".
    QByteArray in = hex("FA") + QByteArray(0xFA, 'b');
    qsizetype pos = 0;
    QCOMPARE(Vle::read(in.constData(), in.size(), pos)->size(), 0xFA);
    pos = 0;
    const QByteArray truncated = hex("FF 00");
    QVERIFY(!Vle::read(truncated.constData(), truncated.size(), pos));
    QCOMPARE(pos, 0);
}

void TestCodec::writerRefusesImpossibleFrames()
{
    SynReply reply{1, false, 200, {{QByteArray(70'000, 'h'), "v"}}};
    QVERIFY(serialize(reply).isEmpty());
}

void TestCodec::outboundLimit()
{
    QVERIFY(fitsOutbound(serialize(DataFrame{1, false, QByteArray(Limits::MaxOutboundPayload, 'x')})));
    QVERIFY(!fitsOutbound(serialize(DataFrame{1, false, QByteArray(Limits::MaxOutboundPayload + 1, 'x')})));
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
