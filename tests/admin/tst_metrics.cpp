// README "Metrics" and "sd_notify": /metrics from the real binary, read by a strict parser of
// the Prometheus text format 0.0.4, moves with real traffic; the admin listener stays on
// loopback and keeps its budget against hostile peers; the sd_notify datagrams arrive on a
// Unix datagram socket the test passes as NOTIFY_SOCKET.
#include "admin/adminserver.h"
#include "admin/metricsexposition.h"
#include "common/clienthelpers.h"
#include "common/gatewayprocess.h"
#include "common/testbackend.h"
#include "gatewayconfig.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace SeaCat;

namespace {

// A strict reader of the text exposition format 0.0.4: every line is a HELP, a TYPE or a
// sample; a family's HELP and TYPE come once, before its samples, and its samples are not
// split by another family; names and label names follow the grammar, label values use only
// the three escapes, no series appears twice. On top of the format, the project's naming
// rules: the seacat_ prefix, counters end in _total and never go negative.
struct Exposition {
    QMap<QString, double> series; // "name{a=\"1\",b=\"2\"}" (labels as written) → value
    QMap<QString, QString> types; // family → type
    QString error;                // empty when the text is valid

    double value(const QString &key) const { return series.value(key, -1); }
};

Exposition parseExposition(const QByteArray &text)
{
    Exposition result;
    static const QRegularExpression metricName(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    static const QRegularExpression labelName(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    QSet<QString> helped, finished;
    QString current; // the family whose lines are being read
    const auto fail = [&](int line, const QString &why) {
        if (result.error.isEmpty())
            result.error = QStringLiteral("line %1: %2").arg(line).arg(why);
    };
    if (!text.endsWith('\n'))
        fail(0, QStringLiteral("the text does not end with a line feed"));
    const QList<QByteArray> lines = text.split('\n');
    for (int n = 0; n < lines.size() - 1; ++n) {
        const QString line = QString::fromUtf8(lines[n]);
        const int number = n + 1;
        if (line.isEmpty()) {
            fail(number, QStringLiteral("empty line"));
            continue;
        }
        const auto enterFamily = [&](const QString &family) {
            if (family == current)
                return;
            if (finished.contains(family))
                fail(number, QStringLiteral("family %1 appears again after another family").arg(family));
            if (!current.isEmpty())
                finished.insert(current);
            current = family;
        };
        if (line.startsWith(u'#')) {
            const QStringList parts = line.split(u' ');
            if (parts.size() < 3 || (parts[1] != u"HELP" && parts[1] != u"TYPE")) {
                fail(number, QStringLiteral("a comment that is neither HELP nor TYPE: %1").arg(line));
                continue;
            }
            const QString family = parts[2];
            if (!metricName.match(family).hasMatch())
                fail(number, QStringLiteral("bad metric name %1").arg(family));
            enterFamily(family);
            if (parts[1] == u"HELP") {
                if (helped.contains(family))
                    fail(number, QStringLiteral("second HELP for %1").arg(family));
                helped.insert(family);
                const QString help = line.section(u' ', 3);
                for (qsizetype i = 0; i < help.size(); ++i)
                    if (help[i] == u'\\' && (i + 1 >= help.size() || (help[i + 1] != u'\\' && help[i + 1] != u'n')))
                        fail(number, QStringLiteral("bad escape in HELP"));
            } else {
                if (result.types.contains(family))
                    fail(number, QStringLiteral("second TYPE for %1").arg(family));
                if (parts.size() != 4 ||
                    !QStringList{"counter", "gauge", "untyped", "histogram", "summary"}.contains(parts[3]))
                    fail(number, QStringLiteral("bad TYPE line: %1").arg(line));
                if (result.series.keys().filter(QRegularExpression(QStringLiteral("^%1(\\{|$)").arg(family))).size())
                    fail(number, QStringLiteral("TYPE for %1 after its samples").arg(family));
                result.types.insert(family, parts.value(3));
            }
            continue;
        }
        // name [{labels}] value [timestamp]
        qsizetype i = 0;
        while (i < line.size() && line[i] != u'{' && line[i] != u' ')
            ++i;
        const QString name = line.left(i);
        if (!metricName.match(name).hasMatch())
            fail(number, QStringLiteral("bad metric name '%1'").arg(name));
        QStringList labels;
        QSet<QString> labelNames;
        if (i < line.size() && line[i] == u'{') {
            ++i;
            while (i < line.size() && line[i] != u'}') {
                qsizetype eq = line.indexOf(u'=', i);
                if (eq < 0) {
                    fail(number, QStringLiteral("label without '='"));
                    break;
                }
                const QString label = line.mid(i, eq - i);
                if (!labelName.match(label).hasMatch() || label.startsWith(QStringLiteral("__")))
                    fail(number, QStringLiteral("bad label name '%1'").arg(label));
                if (labelNames.contains(label))
                    fail(number, QStringLiteral("label %1 twice").arg(label));
                labelNames.insert(label);
                i = eq + 1;
                if (i >= line.size() || line[i] != u'"') {
                    fail(number, QStringLiteral("label value not quoted"));
                    break;
                }
                ++i;
                QString value;
                while (i < line.size() && line[i] != u'"') {
                    if (line[i] == u'\\') {
                        const QChar next = i + 1 < line.size() ? line[i + 1] : QChar();
                        if (next != u'\\' && next != u'"' && next != u'n')
                            fail(number, QStringLiteral("bad escape in a label value"));
                        value += next == u'n' ? QChar(u'\n') : next;
                        i += 2;
                    } else {
                        value += line[i++];
                    }
                }
                if (i >= line.size()) {
                    fail(number, QStringLiteral("unterminated label value"));
                    break;
                }
                ++i; // closing quote
                labels.append(label + QStringLiteral("=\"") + value + u'"');
                if (i < line.size() && line[i] == u',')
                    ++i;
                else if (i < line.size() && line[i] != u'}')
                    fail(number, QStringLiteral("expected ',' or '}' after a label"));
            }
            if (i >= line.size()) {
                fail(number, QStringLiteral("unterminated label set"));
                continue;
            }
            ++i; // '}'
        }
        if (i >= line.size() || line[i] != u' ') {
            fail(number, QStringLiteral("no space before the value"));
            continue;
        }
        const QStringList rest = line.mid(i + 1).split(u' ');
        if (rest.isEmpty() || rest.size() > 2) {
            fail(number, QStringLiteral("expected a value and an optional timestamp"));
            continue;
        }
        bool ok = false;
        double value = rest[0].toDouble(&ok);
        if (!ok && (rest[0] == u"+Inf" || rest[0] == u"-Inf" || rest[0] == u"NaN"))
            ok = true, value = rest[0] == u"-Inf" ? -qInf() : qInf();
        if (!ok)
            fail(number, QStringLiteral("bad value '%1'").arg(rest[0]));
        if (rest.size() == 2 && !QRegularExpression(QStringLiteral("^-?[0-9]+$")).match(rest[1]).hasMatch())
            fail(number, QStringLiteral("bad timestamp '%1'").arg(rest[1]));
        enterFamily(name);
        if (!result.types.contains(name))
            fail(number, QStringLiteral("sample of %1 without a TYPE line").arg(name));
        if (!name.startsWith(QStringLiteral("seacat_")))
            fail(number, QStringLiteral("%1 lacks the seacat_ prefix").arg(name));
        if (result.types.value(name) == u"counter" && (!name.endsWith(QStringLiteral("_total")) || value < 0))
            fail(number, QStringLiteral("counter %1 must end in _total and not be negative").arg(name));
        const QString key = labels.isEmpty() ? name : name + u'{' + labels.join(u',') + u'}';
        if (result.series.contains(key))
            fail(number, QStringLiteral("series %1 twice").arg(key));
        result.series.insert(key, value);
    }
    return result;
}

struct Scrape {
    int status = 0;
    QByteArray contentType;
    QByteArray body;
};

Scrape scrape(const QString &url)
{
    QNetworkAccessManager manager;
    QNetworkReply *reply = manager.get(QNetworkRequest(QUrl(url)));
    Scrape result;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000))
        return result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    result.body = reply->readAll();
    delete reply;
    return result;
}

// A Unix datagram socket bound to a path (or an abstract name starting with '@') that the
// test passes as NOTIFY_SOCKET, as systemd does.
class NotifySocket
{
public:
    explicit NotifySocket(const QString &name) : m_name(name.toUtf8())
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        memcpy(address.sun_path, m_name.constData(), size_t(m_name.size()));
        if (m_name.startsWith('@'))
            address.sun_path[0] = '\0';
        m_bound = ::bind(m_fd, reinterpret_cast<const sockaddr *>(&address),
                         socklen_t(offsetof(sockaddr_un, sun_path) + size_t(m_name.size()))) == 0;
    }
    ~NotifySocket()
    {
        ::close(m_fd);
        if (!m_name.startsWith('@'))
            ::unlink(m_name.constData());
    }
    bool isBound() const { return m_bound; }
    // The next datagram (after the last one returned) with `assignment` on a line of its own,
    // or "" when none came in time.
    QByteArray waitFor(const QByteArray &assignment, int timeoutMs = 20'000)
    {
        QByteArray found;
        (void)QTest::qWaitFor(
            [&] {
                char buffer[4096];
                for (ssize_t n; (n = ::recv(m_fd, buffer, sizeof buffer, 0)) > 0;)
                    m_received.append(QByteArray(buffer, qsizetype(n)));
                for (; m_seen < m_received.size() && found.isEmpty(); ++m_seen)
                    if (m_received[m_seen].split('\n').contains(assignment))
                        found = m_received[m_seen];
                return !found.isEmpty();
            },
            timeoutMs);
        return found;
    }

private:
    QByteArray m_name;
    int m_fd = -1;
    bool m_bound = false;
    QList<QByteArray> m_received;
    qsizetype m_seen = 0;
};

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void expositionIsStrict();
    void adminListenValues_data();
    void adminListenValues();
    void checkConfigChecksAdminListen();
    void metricsMoveWithTraffic();
    void adminListenerIsLoopbackOnly();
    void adminListenerBudget();
    void reloadMovesAdminListener();
    void sdNotify_data();
    void sdNotify();

private:
    QString m_curl;
};

void TestMetrics::initTestCase()
{
    m_curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    QVERIFY2(!m_curl.isEmpty(), "curl is needed: scripts/install-deps.sh installs it");
}

// The format on a made-up snapshot, with a backend name that needs escaping.
void TestMetrics::expositionIsStrict()
{
    MetricsSnapshot snapshot;
    snapshot.counters[size_t(Counter::Responses2xx)] = 7;
    snapshot.counters[size_t(resetCounter(72, true))] = 2;
    snapshot.counters[size_t(resetCounter(4242, false))] = 1;
    snapshot.engines.sessionsByMode = {3, 1, 2};
    snapshot.engines.backends.insert(QStringLiteral("we\"ird\\name"), {4, 1, 2, 5});
    snapshot.engines.backends.insert(QStringLiteral("app"), {1, 1, 0, 0});
    snapshot.hasPki = true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    snapshot.pki.caNotAfter = now.addSecs(3600);
    snapshot.pki.serverNotAfter = now.addSecs(-10);
    snapshot.pki.pendingCsrs = 4;
    const Exposition e = parseExposition(formatMetrics(snapshot, "1.2.3", now));
    QVERIFY2(e.error.isEmpty(), qPrintable(e.error));
    QCOMPARE(e.value(QStringLiteral("seacat_requests_total{code=\"2xx\"}")), 7.0);
    QCOMPARE(e.value(QStringLiteral("seacat_stream_resets_total{direction=\"sent\",code=\"RESPONSE_TIMEOUT\"}")), 2.0);
    QCOMPARE(e.value(QStringLiteral("seacat_stream_resets_total{direction=\"received\",code=\"other\"}")), 1.0);
    QCOMPARE(e.value(QStringLiteral("seacat_sessions_open{mode=\"enrolling\"}")), 1.0);
    QCOMPARE(e.value(QStringLiteral("seacat_backend_connections_open{backend=\"we\"ird\\name\"}")), 4.0);
    QCOMPARE(e.value(QStringLiteral("seacat_backend_connect_failures_total{backend=\"we\"ird\\name\"}")), 5.0);
    QCOMPARE(e.value(QStringLiteral("seacat_certificate_expiry_seconds{certificate=\"ca\"}")), 3600.0);
    QCOMPARE(e.value(QStringLiteral("seacat_certificate_expiry_seconds{certificate=\"server\"}")), -10.0);
    QCOMPARE(e.value(QStringLiteral("seacat_csrs_pending")), 4.0);
    QCOMPARE(e.types.value(QStringLiteral("seacat_build_info")), QStringLiteral("gauge"));
    QVERIFY(e.series.contains(
        QStringLiteral("seacat_build_info{version=\"1.2.3\",qt=\"%1\"}").arg(QLatin1String(qVersion()))));

    // The parser is strict: it fails on what the format forbids.
    const QList<QByteArray> broken = {
        "# TYPE seacat_x_total counter\nseacat_x_total 1",                                    // no final line feed
        "seacat_x_total 1\n",                                                                 // no TYPE
        "# TYPE seacat_x_total counter\nseacat_x_total{a=\"\\q\"} 1\n",                       // bad escape
        "# TYPE seacat_x_total counter\nseacat_x_total 1\nseacat_x_total 2\n",                // series twice
        "# TYPE seacat_x gauge\nseacat_x 1\n# TYPE seacat_y gauge\nseacat_y 1\nseacat_x 2\n", // family split
        "# TYPE seacat_x counter\nseacat_x 1\n",                                              // counter without _total
        "# TYPE seacat_x gauge\nseacat_x{a=\"1\"} one\n",                                     // bad value
    };
    for (const QByteArray &text : broken)
        QVERIFY2(!parseExposition(text).error.isEmpty(), text.constData());
}

void TestMetrics::adminListenValues_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("enabled");
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("port");
    QTest::newRow("address and port") << "127.0.0.1:9100" << true << true << "127.0.0.1" << 9100;
    QTest::newRow("port alone stays on loopback") << "9100" << true << true << "127.0.0.1" << 9100;
    QTest::newRow("IPv6 in brackets") << "[::1]:9100" << true << true << "::1" << 9100;
    QTest::newRow("off") << "off" << true << false << "" << 0;
    QTest::newRow("IPv6 without brackets") << "::1:9100" << false << false << "" << 0;
    QTest::newRow("host name") << "localhost:9100" << false << false << "" << 0;
    QTest::newRow("port too large") << "127.0.0.1:65536" << false << false << "" << 0;
    QTest::newRow("no port") << "127.0.0.1:" << false << false << "" << 0;
}

void TestMetrics::adminListenValues()
{
    QFETCH(QString, value);
    QFETCH(bool, valid);
    QFETCH(bool, enabled);
    QFETCH(QString, address);
    QFETCH(int, port);
    GatewayConfig config;
    QCOMPARE(config.adminAddress, QHostAddress(QHostAddress::LocalHost)); // the default
    const QString error = config.set(QStringLiteral("admin-listen"), value);
    QCOMPARE(error.isEmpty(), valid);
    if (!valid) {
        QVERIFY2(error.contains(QStringLiteral("[::1]:9543")), qPrintable(error)); // names the forms
        return;
    }
    QCOMPARE(config.adminEnabled, enabled);
    if (enabled) {
        QCOMPARE(config.adminAddress, QHostAddress(address));
        QCOMPARE(int(config.adminPort), port);
    }
}

// --check-config names the line of a bad admin-listen, and one that takes the gateway's port.
void TestMetrics::checkConfigChecksAdminListen()
{
    const auto check = [](const QByteArray &ini, int expectedExit, const QByteArray &expected) {
        GatewayProcess gw;
        const QString path = gw.dataDir.filePath(QStringLiteral("gw.ini"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(ini) != ini.size())
            return QStringLiteral("cannot write %1").arg(path);
        file.close();
        gw.launch({"--check-config", "--config", path, "--data-dir", gw.dataDir.filePath(QStringLiteral("data"))});
        if (!gw.waitFinished())
            return QStringLiteral("--check-config did not finish");
        const QByteArray said = gw.err + gw.out;
        if (gw.process.exitCode() != expectedExit || !said.contains(expected))
            return QStringLiteral("exit %1, expected %2 and '%3'; got:\n%4")
                .arg(gw.process.exitCode())
                .arg(expectedExit)
                .arg(QString::fromUtf8(expected), QString::fromUtf8(said));
        return QString();
    };
    QString error;
    QVERIFY2((error = check("[gateway]\nport=8443\nadmin-listen=::1:9100\n", 2,
                            "gw.ini:3: [gateway] bad value '::1:9100' for admin-listen"))
                 .isEmpty(),
             qPrintable(error));
    QVERIFY2((error = check("[gateway]\nlisten=0.0.0.0\nport=8443\nadmin-listen=127.0.0.1:8443\n", 2,
                            "gw.ini:4: admin-listen 127.0.0.1:8443 takes the gateway's own port"))
                 .isEmpty(),
             qPrintable(error));
    QVERIFY2(
        (error = check("[gateway]\nport=8443\nadmin-listen=[::1]:9100\n", 0, "admin listener [::1]:9100)")).isEmpty(),
        qPrintable(error));
    QVERIFY2((error = check("[gateway]\nport=8443\nadmin-listen=off\n", 0, "admin listener off)")).isEmpty(),
             qPrintable(error));
}

void TestMetrics::metricsMoveWithTraffic()
{
    TestBackend backend;
    QVERIFY(backend.listen());
    QTcpServer closed; // a port nothing listens on: connections to it are refused
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const QString down = QStringLiteral("down=http://127.0.0.1:%1").arg(closed.serverPort());
    closed.close();
    GatewayProcess gw;
    gw.launch(gw.defaultArgs() + QStringList{"--mode", "anonymous", "--backend", "app=" + backend.url(), "--backend",
                                             down, "--admin-listen", "0"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    const QString admin = gw.adminEndpoint();
    QVERIFY2(admin.startsWith(QStringLiteral("127.0.0.1:")), gw.err.constData());
    const QString url = QStringLiteral("http://%1/metrics").arg(admin);

    const auto read = [&url] {
        const Scrape s = scrape(url);
        Exposition e = parseExposition(s.body);
        if (s.status != 200)
            e.error = QStringLiteral("HTTP status %1").arg(s.status);
        else if (s.contentType != PrometheusContentType)
            e.error = QStringLiteral("Content-Type %1").arg(QString::fromLatin1(s.contentType));
        return e;
    };
    // The workers publish their gauges on their first tick after the port listens.
    Exposition before;
    QTRY_VERIFY2_WITH_TIMEOUT(
        (before = read()).series.contains(QStringLiteral("seacat_backend_connections_open{backend=\"app\"}")),
        qPrintable(before.error), 5'000);
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    QCOMPARE(before.value(QStringLiteral("seacat_sessions_open{mode=\"anonymous\"}")), 0.0);
    QCOMPARE(before.value(QStringLiteral("seacat_requests_total{code=\"2xx\"}")), 0.0);
    QCOMPARE(before.value(QStringLiteral("seacat_backend_connections_open{backend=\"app\"}")), 0.0);
    QVERIFY(before.value(QStringLiteral("seacat_certificate_expiry_seconds{certificate=\"ca\"}")) > 86'400.0 * 300);
    QVERIFY(before.value(QStringLiteral("seacat_certificate_expiry_seconds{certificate=\"server\"}")) > 86'400.0);
    QVERIFY(before.series.contains(QStringLiteral("seacat_build_info{version=\"%1\",qt=\"%2\"}")
                                       .arg(QStringLiteral(PROJECT_VERSION_STRING), QLatin1String(qVersion()))));

    SeaCatClient client;
    QVERIFY(connectClient(client, port, gw.caFile()));
    // A request the backend never answers holds one backend connection; /hello opens another,
    // which stays idle in the pool afterwards.
    ClientResponse hanging;
    ClientStream *stream = startRequest(client, hanging, "GET", QStringLiteral("http://app.seacat/hang"));
    QTRY_COMPARE_WITH_TIMEOUT(backend.requestLines.size(), 1, 10'000);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://app.seacat/hello")).status, 200);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://nowhere.seacat/")).status, 404);
    QCOMPARE(fetch(client, "GET", QStringLiteral("http://down.seacat/")).status, 502);
    QTRY_COMPARE_WITH_TIMEOUT(read().value(QStringLiteral("seacat_backend_connections_open{backend=\"app\"}")), 2.0,
                              5'000);
    stream->cancel(); // RST_STREAM 9 from the client: the gateway drops that backend connection
    QProcess curl;
    curl.start(m_curl, {"-sk", "--http1.1", "--max-time", "10", "-o", "/dev/null",
                        QStringLiteral("https://127.0.0.1:%1/").arg(port)});
    QVERIFY(curl.waitForFinished(15'000));

    Exposition after;
    QTRY_VERIFY2_WITH_TIMEOUT((after = read()).error.isEmpty() &&
                                  after.value(QStringLiteral("seacat_sessions_open{mode=\"anonymous\"}")) == 1.0 &&
                                  after.value(QStringLiteral("seacat_rejected_connections_total{kind=\"h1\"}")) == 1.0,
                              qPrintable(after.error), 5'000);
    QCOMPARE(after.value(QStringLiteral("seacat_requests_total{code=\"2xx\"}")), 1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_requests_total{code=\"4xx\"}")), 1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_requests_total{code=\"5xx\"}")), 1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_backend_connect_failures_total{backend=\"down\"}")), 1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_backend_connections_open{backend=\"down\"}")), 0.0);
    QCOMPARE(after.value(
                 QStringLiteral("seacat_stream_resets_total{direction=\"received\",code=\"STREAM_ALREADY_CLOSED\"}")),
             1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_sessions_opened_total")), 1.0);
    QCOMPARE(after.value(QStringLiteral("seacat_handshakes_total")), 2.0);     // the SeaCat client and curl
    QVERIFY(after.value(QStringLiteral("seacat_received_bytes_total")) > 100); // four SYN_STREAMs and a RST_STREAM
    QVERIFY(after.value(QStringLiteral("seacat_sent_bytes_total")) > 100);     // three answers
    // The reset stream's backend connection is gone; the other one waits idle in the pool.
    QTRY_COMPARE_WITH_TIMEOUT(read().value(QStringLiteral("seacat_backend_connections_open{backend=\"app\"}")), 1.0,
                              5'000);
    QCOMPARE(read().value(QStringLiteral("seacat_backend_connections_idle{backend=\"app\"}")), 1.0);
    QCOMPARE(read().value(QStringLiteral("seacat_backend_connect_failures_total{backend=\"app\"}")), 0.0);

    // Closing the session empties the gauge; the counters stay.
    client.disconnectFromGateway();
    QTRY_COMPARE_WITH_TIMEOUT(read().value(QStringLiteral("seacat_sessions_open{mode=\"anonymous\"}")), 0.0, 5'000);
    QCOMPARE(read().value(QStringLiteral("seacat_requests_total{code=\"2xx\"}")), 1.0);
    QCOMPARE(read().value(QStringLiteral("seacat_sessions_closed_total")), 1.0);
    // Anything but GET /metrics is not found.
    QCOMPARE(scrape(QStringLiteral("http://%1/").arg(admin)).status, 404);
}

// The default admin listener binds 127.0.0.1 only: read back from the kernel's socket table,
// so a non-loopback address cannot reach it whatever the machine's interfaces.
void TestMetrics::adminListenerIsLoopbackOnly()
{
    GatewayProcess gw;
    gw.launch(gw.defaultArgs());
    QVERIFY2(gw.waitListening(), gw.err.constData());
    // Default port: another gateway on this machine may hold it, which is only a warning.
    const bool bound =
        QTest::qWaitFor([&] { return gw.err.contains("admin listener on 127.0.0.1:9543: /metrics"); }, 2'000);
    QVERIFY2(bound || gw.err.contains("admin listener: cannot listen on 127.0.0.1:9543"), gw.err.constData());
    QFile tcp(QStringLiteral("/proc/%1/net/tcp").arg(gw.process.processId()));
    QVERIFY(tcp.open(QIODevice::ReadOnly));
    // local_address is hex IPv4:port; state 0A is LISTEN. Nothing may listen on 9543 off loopback.
    bool loopbackListener = false;
    for (const QByteArray &row : tcp.readAll().split('\n').mid(1)) {
        const QList<QByteArray> fields = row.simplified().split(' ');
        if (fields.size() < 4 || fields[3] != "0A" || !fields[1].endsWith(":2547"))
            continue;
        QCOMPARE(fields[1], QByteArray("0100007F:2547"));
        loopbackListener = true;
    }
    QVERIFY(!bound || loopbackListener);
    gw.process.terminate();
    QVERIFY(gw.waitFinished());

    // off: no admin listener at all; a chosen address that cannot be bound stops the gateway.
    GatewayProcess off;
    off.launch(off.defaultArgs() + QStringList{"--admin-listen", "off"});
    QVERIFY2(off.waitListening(), off.err.constData());
    QVERIFY2(!off.err.contains("admin listener"), off.err.constData());
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost));
    GatewayProcess busy;
    busy.launch(busy.defaultArgs() +
                QStringList{"--admin-listen", QStringLiteral("127.0.0.1:%1").arg(taken.serverPort())});
    QVERIFY(busy.waitFinished());
    QCOMPARE(busy.process.exitCode(), 1);
    QVERIFY2(busy.err.contains("admin listener: cannot listen on 127.0.0.1:" + QByteArray::number(taken.serverPort())),
             busy.err.constData());
    // IPv6 in brackets.
    GatewayProcess v6;
    v6.launch(v6.defaultArgs() + QStringList{"--admin-listen", "[::1]:0"});
    QVERIFY2(v6.waitListening(), v6.err.constData());
    const QString endpoint = v6.adminEndpoint();
    QVERIFY2(endpoint.startsWith(QStringLiteral("[::1]:")), v6.err.constData());
    QCOMPARE(scrape(QStringLiteral("http://%1/metrics").arg(endpoint)).status, 200);
}

// Hostile peers on the admin listener (in process, with a small budget): a silent socket is
// closed at the idle timeout, an oversized request is cut before it is answered, the oldest
// connection goes at the cap, and a scrape is answered throughout.
void TestMetrics::adminListenerBudget()
{
    const auto connectTo = [](const AdminServer &admin) {
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, admin.serverPort());
        return socket;
    };
    QString error;
    // Idle timeout: a silent socket, and half a request then nothing, are closed unanswered.
    AdminServer quick("test", {16, 300, 1024});
    QVERIFY2(quick.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    auto silent = connectTo(quick);
    auto half = connectTo(quick);
    QVERIFY(silent->waitForConnected(5'000) && half->waitForConnected(5'000));
    half->write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(silent->state(), QAbstractSocket::UnconnectedState, 5'000);
    QTRY_COMPARE_WITH_TIMEOUT(half->state(), QAbstractSocket::UnconnectedState, 5'000);
    QCOMPARE(half->bytesAvailable(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(quick.connectionCount(), 0, 5'000);

    AdminServer admin("test", {3, 30'000, 1024});
    QVERIFY2(admin.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    // A request head larger than the budget: cut before it is answered.
    auto big = connectTo(admin);
    QVERIFY(big->waitForConnected(5'000));
    big->write("GET /metrics HTTP/1.1\r\nX-Filler: " + QByteArray(4096, 'a') + "\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(big->state(), QAbstractSocket::UnconnectedState, 5'000);
    QVERIFY(!big->readAll().startsWith("HTTP/1.1 200"));
    QTRY_COMPARE_WITH_TIMEOUT(admin.connectionCount(), 0, 5'000);
    // Past the cap the oldest goes.
    std::vector<std::unique_ptr<QTcpSocket>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(connectTo(admin));
        QVERIFY(held.back()->waitForConnected(5'000));
        QTRY_COMPARE_WITH_TIMEOUT(admin.connectionCount(), qMin(i + 1, 3), 5'000);
    }
    QTRY_COMPARE_WITH_TIMEOUT(held.front()->state(), QAbstractSocket::UnconnectedState, 5'000);
    QCOMPARE(held.back()->state(), QAbstractSocket::ConnectedState);
    held.clear();
    // The budget is per request: two requests of 700 bytes on one keep-alive connection are
    // both answered.
    QTRY_COMPARE_WITH_TIMEOUT(admin.connectionCount(), 0, 5'000);
    auto keepAlive = connectTo(admin);
    QVERIFY(keepAlive->waitForConnected(5'000));
    for (int i = 0; i < 2; ++i) {
        keepAlive->write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: " + QByteArray(650, 'a') + "\r\n\r\n");
        QByteArray response;
        const auto complete = [&response] { // the head, and as many body bytes as it announces
            const qsizetype end = response.indexOf("\r\n\r\n");
            const QRegularExpression length(QStringLiteral("(?i)\r\ncontent-length: *(\\d+)"));
            const auto match = length.match(QString::fromLatin1(response.left(end)));
            return end > 0 && match.hasMatch() && response.size() - end - 4 >= match.captured(1).toLongLong();
        };
        QTRY_VERIFY_WITH_TIMEOUT((response += keepAlive->readAll(), complete()), 5'000);
        QVERIFY2(response.startsWith("HTTP/1.1 200"), response.left(200).constData());
        QCOMPARE(keepAlive->state(), QAbstractSocket::ConnectedState);
    }
}

// SIGHUP with a changed admin-listen: the new listener serves, the old one is closed; `off`
// closes it.
void TestMetrics::reloadMovesAdminListener()
{
    const auto freePort = [] {
        QTcpServer probe;
        return probe.listen(QHostAddress::LocalHost) ? probe.serverPort() : quint16(0);
    };
    const quint16 first = freePort(), second = freePort();
    QVERIFY(first && second && first != second);
    GatewayProcess gw;
    const QString ini = gw.dataDir.filePath(QStringLiteral("gw.ini"));
    const auto writeIni = [&ini](const QByteArray &adminListen) {
        QFile file(ini);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
               file.write("[gateway]\nadmin-listen=" + adminListen + "\n") > 0;
    };
    QVERIFY(writeIni("127.0.0.1:" + QByteArray::number(first)));
    gw.launch(gw.defaultArgs() + QStringList{"--config", ini});
    QVERIFY2(gw.waitListening(), gw.err.constData());
    const auto url = [](quint16 port) { return QStringLiteral("http://127.0.0.1:%1/metrics").arg(port); };
    QCOMPARE(scrape(url(first)).status, 200);

    QVERIFY(writeIni("127.0.0.1:" + QByteArray::number(second)));
    ::kill(pid_t(gw.process.processId()), SIGHUP);
    QTRY_VERIFY2_WITH_TIMEOUT(gw.err.contains("admin listener now on 127.0.0.1:" + QByteArray::number(second)),
                              gw.err.constData(), 10'000);
    QCOMPARE(scrape(url(second)).status, 200);
    QCOMPARE(scrape(url(first)).status, 0); // refused

    QVERIFY(writeIni("off"));
    ::kill(pid_t(gw.process.processId()), SIGHUP);
    QTRY_VERIFY2_WITH_TIMEOUT(gw.err.contains("admin listener closed"), gw.err.constData(), 10'000);
    QCOMPARE(scrape(url(second)).status, 0);
}

void TestMetrics::sdNotify_data()
{
    QTest::addColumn<bool>("abstract");
    QTest::newRow("socket path") << false;
    QTest::newRow("abstract socket") << true;
}

void TestMetrics::sdNotify()
{
    QFETCH(bool, abstract);
    QTemporaryDir dir;
    const QString name = abstract ? QStringLiteral("@seacat-test-notify-%1").arg(QCoreApplication::applicationPid())
                                  : dir.filePath(QStringLiteral("notify"));
    NotifySocket notify(name);
    QVERIFY(notify.isBound());
    GatewayProcess gw;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("NOTIFY_SOCKET"), name);
    gw.process.setProcessEnvironment(environment);
    gw.launch(gw.defaultArgs() + QStringList{"--admin-listen", "off"});
    const quint16 port = gw.waitListening();
    QVERIFY2(port, gw.err.constData());
    const QByteArray ready = notify.waitFor("READY=1");
    QVERIFY2(ready.contains("\nSTATUS=listening on 127.0.0.1:" + QByteArray::number(port) + ", 0 session(s)"),
             ready.isEmpty() ? gw.err.constData() : ready.constData());

    ::kill(pid_t(gw.process.processId()), SIGHUP);
    QVERIFY2(notify.waitFor("RELOADING=1").contains("\nMONOTONIC_USEC="), gw.err.constData());
    QVERIFY2(!notify.waitFor("READY=1").isEmpty(), gw.err.constData());

    ::kill(pid_t(gw.process.processId()), SIGTERM);
    QVERIFY2(!notify.waitFor("STOPPING=1").isEmpty(), gw.err.constData());
    QVERIFY(gw.waitFinished());
    QVERIFY2(gw.process.exitCode() == 0, gw.err.constData());
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
