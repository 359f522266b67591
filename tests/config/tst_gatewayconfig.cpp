// SPDX-License-Identifier: MIT
// GatewayConfig's INI writer (editIni / editIniFile): owned keys change, everything else in a
// hand-written file stays byte for byte, and the reader reads the result back.
#include "gatewayconfig.h"

#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace SeaCat;

Q_DECLARE_METATYPE(QList<SeaCat::IniEdit>)

class TestGatewayConfig : public QObject
{
    Q_OBJECT

private slots:
    void editIni_data();
    void editIni();
    void quotedValuesReadBack();
    void handWrittenFileSurvivesAnEdit();
    void sampleConfigKeepsThePortFallback();
};

void TestGatewayConfig::editIni_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QList<IniEdit>>("edits");
    QTest::addColumn<QByteArray>("after");

    const QByteArray hand = "# written by hand: keep me\n"
                            "[gateway]\n"
                            "name = old.example\n"
                            "; why 25 s: the carrier's NAT\n"
                            "ping-interval=25\n"
                            "\n"
                            "[limits]\n"
                            "max-streams=50\n"
                            "\n"
                            "[future]\n"
                            "x-unknown = kept as is\n";
    QTest::newRow("key changed on its line") << hand << QList<IniEdit>{{"gateway", "name", "new.example"}}
                                             << QByteArray(hand).replace("name = old.example", "name=new.example");
    QTest::newRow("missing key after its section's last key")
        << hand << QList<IniEdit>{{"gateway", "port", "8443"}, {"limits", "max-sessions", "9"}}
        << QByteArray(hand)
               .replace("ping-interval=25\n", "ping-interval=25\nport=8443\n")
               .replace("max-streams=50\n", "max-streams=50\nmax-sessions=9\n");
    QTest::newRow("missing section at the end")
        << hand << QList<IniEdit>{{"pki", "approval", "auto"}} << hand + "\n[pki]\napproval=auto\n";
    QTest::newRow("section removed with its lines")
        << QByteArray("[gateway]\nport=1\n\n[host:old]\nuri=http://old/\n\n[host:app]\nuri=http://app/\n")
        << QList<IniEdit>{{"host:old", {}, {}, true}}
        << QByteArray("[gateway]\nport=1\n\n[host:app]\nuri=http://app/\n");
    QTest::newRow("sections match without case")
        << QByteArray("[host:App]\nuri=http://a/\n[host:Old]\nuri=http://o/\n")
        << QList<IniEdit>{{"host:app", "uri", "http://b/"}, {"host:old", {}, {}, true}}
        << QByteArray("[host:App]\nuri=http://b/\n");
    QTest::newRow("key removed") << QByteArray("[gateway]\nport=1\nmode=anonymous\n")
                                 << QList<IniEdit>{{"gateway", "port", {}, true}}
                                 << QByteArray("[gateway]\nmode=anonymous\n");
    QTest::newRow("CRLF kept") << QByteArray("[gateway]\r\nport=1\r\n; c\r\n")
                               << QList<IniEdit>{{"gateway", "port", "2"}}
                               << QByteArray("[gateway]\r\nport=2\r\n; c\r\n");
    QTest::newRow("no final newline") << QByteArray("[gateway]\nport=1")
                                      << QList<IniEdit>{{"gateway", "mode", "combined"}}
                                      << QByteArray("[gateway]\nport=1\nmode=combined\n");
    QTest::newRow("empty file") << QByteArray()
                                << QList<IniEdit>{{"gateway", "port", "443"}, {"gateway", "listen", "0.0.0.0"}}
                                << QByteArray("[gateway]\nport=443\nlisten=0.0.0.0\n");
    QTest::newRow("nothing to do") << hand << QList<IniEdit>{} << hand;
}

void TestGatewayConfig::editIni()
{
    QFETCH(QByteArray, before);
    QFETCH(QList<IniEdit>, edits);
    QFETCH(QByteArray, after);
    QCOMPARE(SeaCat::editIni(before, edits), after);
}

void TestGatewayConfig::quotedValuesReadBack()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("q.ini"));
    const QStringList values{QStringLiteral("a,b"),         QStringLiteral("semi;colon"), QStringLiteral("say \"hi\""),
                             QStringLiteral("back\\slash"), QStringLiteral(" padded "),   QStringLiteral("@at"),
                             QStringLiteral("#hash"),       QStringLiteral("Brno – café")};
    QList<IniEdit> edits;
    for (int i = 0; i < values.size(); ++i)
        edits.append({QStringLiteral("s"), QStringLiteral("k%1").arg(i), values[i]});
    QVERIFY(editIniFile(path, edits).isEmpty());
    QSettings ini(path, QSettings::IniFormat);
    for (int i = 0; i < values.size(); ++i)
        QCOMPARE(ini.value(QStringLiteral("s/k%1").arg(i)).toString(), values[i]);
}

void TestGatewayConfig::handWrittenFileSurvivesAnEdit()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/hand.ini")); // the folder is created
    QVERIFY(editIniFile(path, {{"gateway", "ping-interval", "25"}}).isEmpty());
    QFile file(path);
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    QVERIFY(editIniFile(path, {{"gateway", "port", "9443"}, {"host:app", "uri", "http://127.0.0.1:8080/"}}).isEmpty());
    QCOMPARE(file.permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions()); // still 0600
    QString error;
    const auto config = GatewayConfig::fromFile(path, &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->pingIntervalMs, 25'000);
    QCOMPARE(config->port, quint16(9443));
    QCOMPARE(config->hosts.value(QStringLiteral("app")), QUrl(QStringLiteral("http://127.0.0.1:8080/")));
}

QTEST_GUILESS_MAIN(TestGatewayConfig)
// The shipped sample must read cleanly and leave the port to the built-in default, so that a
// first start without privilege still serves on 8443 (README "Choosing the port").
void TestGatewayConfig::sampleConfigKeepsThePortFallback()
{
    QString error;
    const auto config = GatewayConfig::fromFile(QStringLiteral(SEACAT_SAMPLE_CONFIG), &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->port, GatewayConfig().port);
    QVERIFY(!config->portExplicit);
}

#include "tst_gatewayconfig.moc"
