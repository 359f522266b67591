// seacat-client: talks to a SeaCat gateway the way a mobile SeaCat client does.
//   seacat-client --gateway HOST:PORT --ca FILE [--name CN] [--cert F --key F] ping [--count N]
//   seacat-client --discover DOMAIN [--dns-server ADDR] --ca FILE ...: the gateways of an array by DNS SRV
//   seacat-client ... request [-X METHOD] [-H 'K: V']... [--data @file|-|TEXT] [-i] URL
//   seacat-client ... enroll --identity DIR [--key-type rsa|ec] [--subject 'CN=..,O=..'] [--poll-interval S]
//                   [--wait S]
//   seacat-client ... serve --identity DIR --allow-port PORT [--allow-port PORT]... [--ping-interval S]
#include "client/devicetunnels.h"
#include "client/enrolment.h"
#include "pki/x509codec.h"
#include "client/seacatclient.h"
#include "pki/clientidentity.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDnsLookup>
#include <QEventLoop>
#include <QFile>
#include <QElapsedTimer>
#include <QSet>
#include <QTimer>

#include <algorithm>
#include <functional>

#include <cstdio>
#include <unistd.h>

using namespace SeaCat;

namespace {

// Exit codes of `enroll` (README "Enrolling with seacat-client"): 1 rejected or revoked,
// 2 bad usage, 3 no decision in time (--wait) or no answer at all (--timeout).
constexpr int ExitTimedOut = 3;

[[noreturn]] void die(const QString &message, int code = 1)
{
    fputs(qPrintable(QStringLiteral("seacat-client: %1\n").arg(message)), stderr);
    fflush(stdout);
    ::exit(code);
}

void writeOut(const QByteArray &bytes)
{
    fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

// Streams a request body from a file or stdin, never holding more than the socket needs.
class BodyPump : public QObject
{
public:
    BodyPump(SeaCatClient *client, ClientStream *stream, QFile *source)
        : QObject(stream), m_client(client), m_stream(stream), m_source(source)
    {
        connect(client, &SeaCatClient::bytesWritten, this, &BodyPump::pump);
        QMetaObject::invokeMethod(this, &BodyPump::pump, Qt::QueuedConnection);
    }

private:
    void pump()
    {
        constexpr qint64 HighWater = 1024 * 1024;
        while (!m_done && m_client->bytesQueued() < HighWater) {
            const QByteArray chunk = m_source->read(64 * 1024);
            if (chunk.isEmpty()) {
                m_done = true;
                m_stream->finish();
                return;
            }
            m_stream->write(chunk);
        }
    }
    SeaCatClient *m_client;
    ClientStream *m_stream;
    QFile *m_source;
    bool m_done = false;
};

// A gateway to try: where to connect, and the name its certificate must carry.
struct Target {
    QString host;
    quint16 port = 0;
    QString name;
};

// Runs `lookup` to its end, at most `timeoutMs`.
bool resolve(QDnsLookup &lookup, int timeoutMs)
{
    QEventLoop loop;
    QObject::connect(&lookup, &QDnsLookup::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    lookup.lookup();
    loop.exec();
    return lookup.isFinished() && lookup.error() == QDnsLookup::NoError;
}

// --discover (README "Several gateways"): the _seacat._tcp SRV records of `domain`, in the order
// RFC 2782 tries them (QDnsLookup sorts by priority and orders each priority by weight). With a
// `server`, the targets' addresses are asked of it too; without, the system resolves them.
QList<Target> discover(const QString &domain, const QString &server, int timeoutMs, QString *error)
{
    QHostAddress nameserver;
    if (!server.isEmpty() && !nameserver.setAddress(server)) {
        *error = QStringLiteral("--dns-server '%1' is not an IP address").arg(server);
        return {};
    }
    QDnsLookup srv(QDnsLookup::SRV, QStringLiteral("_seacat._tcp.") + domain);
    if (!server.isEmpty())
        srv.setNameserver(nameserver);
    if (!resolve(srv, timeoutMs) || srv.serviceRecords().isEmpty()) {
        *error = QStringLiteral("no _seacat._tcp SRV records for %1: %2")
                     .arg(domain, srv.isFinished() ? srv.errorString() : QStringLiteral("no answer"));
        return {};
    }
    QList<Target> targets;
    for (const QDnsServiceRecord &record : srv.serviceRecords()) {
        Target target{record.target(), record.port(), record.target()};
        if (target.name.endsWith(u'.'))
            target.name.chop(1);
        target.host = target.name;
        if (!server.isEmpty()) {
            QDnsLookup address(QDnsLookup::A, target.name, nameserver);
            if (!resolve(address, timeoutMs) || address.hostAddressRecords().isEmpty()) {
                fprintf(stderr, "seacat-client: %s has no address at %s, skipped\n", qPrintable(target.name),
                        qPrintable(server));
                continue;
            }
            target.host = address.hostAddressRecords().first().value().toString();
        }
        targets.append(target);
    }
    if (targets.isEmpty())
        *error = QStringLiteral("no SRV target of %1 has an address").arg(domain);
    return targets;
}

// `serve` (README "Reaching a device through its session"): one session kept open, pinged so
// that it stays reachable through NAT, reopened after a loss with a growing pause; its
// SOCKETS_REQUESTs go to DeviceTunnels.
class DeviceServer : public QObject
{
public:
    DeviceServer(const SeaCatClient::Options &options, const QSet<quint16> &ports, int pingMs)
        : m_options(options), m_ports(ports), m_pingMs(pingMs)
    {
        m_pingTimer.setInterval(pingMs);
        connect(&m_pingTimer, &QTimer::timeout, this, [this] {
            // Two pings without a pong: the path is dead even if TCP has not noticed.
            if (m_unanswered >= 2)
                return lost(QStringLiteral("no answer to two pings"));
            ++m_unanswered;
            m_client->ping();
        });
    }
    void start()
    {
        m_client = new SeaCatClient(this);
        m_tunnels = new DeviceTunnels(m_client, m_ports, m_client);
        connect(m_tunnels, &DeviceTunnels::log, this,
                [](const QString &line) { fprintf(stderr, "seacat-client: %s\n", qPrintable(line)); });
        connect(m_client, &SeaCatClient::connected, this, [this] {
            m_backoffMs = 1'000;
            m_unanswered = 0;
            m_pingTimer.start();
            m_client->ping(); // a session once the gateway saw a frame
            QStringList ports;
            for (quint16 port : std::as_const(m_ports))
                ports << QString::number(port);
            std::sort(ports.begin(), ports.end());
            printf("serving port(s) %s through %s:%u\n", qPrintable(ports.join(u',')), qPrintable(m_options.host),
                   m_options.port);
            fflush(stdout);
        });
        connect(m_client, &SeaCatClient::pong, this, [this] { m_unanswered = 0; });
        connect(m_client, &SeaCatClient::disconnected, this,
                [this] { lost(QStringLiteral("the gateway closed the connection")); });
        connect(m_client, &SeaCatClient::errorOccurred, this, [this](const QString &message) { lost(message); });
        if (const QString e = m_client->connectToGateway(m_options); !e.isEmpty())
            die(e, 2);
    }

private:
    void lost(const QString &why)
    {
        if (!m_client)
            return;
        m_pingTimer.stop();
        fprintf(stderr, "seacat-client: %s; reconnecting in %d s\n", qPrintable(why), m_backoffMs / 1000);
        m_client->disconnect(this);
        m_client->deleteLater(); // its tunnels' local connections go with it
        m_client = nullptr;
        QTimer::singleShot(m_backoffMs, this, &DeviceServer::start);
        m_backoffMs = qMin(m_backoffMs * 2, 30'000);
    }

    const SeaCatClient::Options m_options;
    const QSet<quint16> m_ports;
    const int m_pingMs;
    SeaCatClient *m_client = nullptr;
    DeviceTunnels *m_tunnels = nullptr;
    QTimer m_pingTimer;
    int m_backoffMs = 1'000;
    int m_unanswered = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("seacat-client"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SeaCat client: ping a gateway or send a request through it."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("gateway"), QStringLiteral("Gateway HOST:PORT."), QStringLiteral("host:port")},
        {QStringLiteral("discover"),
         QStringLiteral("Find the gateways of DOMAIN by its _seacat._tcp SRV records and use the first that answers "
                        "(instead of --gateway)."),
         QStringLiteral("domain")},
        {QStringLiteral("dns-server"), QStringLiteral("--discover: ask this DNS server (default: the system's)."),
         QStringLiteral("address")},
        {QStringLiteral("ca"), QStringLiteral("The gateway's CA certificate (ca.pem)."), QStringLiteral("file")},
        {QStringLiteral("name"), QStringLiteral("Expected gateway certificate CN (default: HOST)."),
         QStringLiteral("cn")},
        {QStringLiteral("cert"), QStringLiteral("Client certificate (PEM)."), QStringLiteral("file")},
        {QStringLiteral("key"), QStringLiteral("Client private key (PEM)."), QStringLiteral("file")},
        {QStringLiteral("timeout"), QStringLiteral("Give up after this many seconds (default 60)."),
         QStringLiteral("seconds"), QStringLiteral("60")},
        {QStringLiteral("connect-timeout"),
         QStringLiteral("--discover: a gateway that has not completed TCP and TLS within this many seconds is given "
                        "up for the next one (default 5; the last one has what is left of --timeout)."),
         QStringLiteral("seconds"), QStringLiteral("5")},
        {QStringLiteral("count"), QStringLiteral("ping: how many pings (default 1)."), QStringLiteral("n"),
         QStringLiteral("1")},
        {{QStringLiteral("X"), QStringLiteral("request")},
         QStringLiteral("request: HTTP method."),
         QStringLiteral("method")},
        {{QStringLiteral("H"), QStringLiteral("header")},
         QStringLiteral("request: a header 'Name: value' (repeatable)."),
         QStringLiteral("header")},
        {QStringLiteral("data"), QStringLiteral("request: body, @FILE or - for stdin."), QStringLiteral("data")},
        {{QStringLiteral("i"), QStringLiteral("include")},
         QStringLiteral("request: print the status and headers first.")},
        {QStringLiteral("identity"),
         QStringLiteral("Directory with key.pem and cert.pem: enroll fills it, requests present it."),
         QStringLiteral("dir")},
        {QStringLiteral("key-type"), QStringLiteral("enroll: rsa (RSA-2048, default) or ec (P-256)."),
         QStringLiteral("type"), QStringLiteral("rsa")},
        {QStringLiteral("subject"),
         QStringLiteral("enroll: CSR subject, e.g. 'CN=device-1,O=Example' (default empty)."), QStringLiteral("dn")},
        {QStringLiteral("poll-interval"), QStringLiteral("enroll: seconds between certificate queries (default 10)."),
         QStringLiteral("seconds"), QStringLiteral("10")},
        {QStringLiteral("wait"),
         QStringLiteral("enroll: give up when the CSR is not decided within this many seconds (default 0: wait until "
                        "it is; --timeout covers only the gateway's first answer)."),
         QStringLiteral("seconds"), QStringLiteral("0")},
        {QStringLiteral("allow-port"),
         QStringLiteral("serve: a local port (on 127.0.0.1) the gateway may open tunnels to (repeatable)."),
         QStringLiteral("port")},
        {QStringLiteral("ping-interval"),
         QStringLiteral("serve: seconds between keep-alive pings (default 30, below the NATs' 120 s)."),
         QStringLiteral("seconds"), QStringLiteral("30")},
    });
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("ping | request URL | enroll | serve"));
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    const QString command = args.value(0);
    if ((command != u"ping" && command != u"request" && command != u"enroll" && command != u"serve") ||
        (command == u"request" && args.size() != 2) ||
        (command == u"enroll" && !parser.isSet(QStringLiteral("identity"))))
        die(QStringLiteral("usage: seacat-client --gateway HOST:PORT --ca FILE ping | request [-X M] [-H 'K: V'] "
                           "[--data D] [-i] URL"
                           " | enroll --identity DIR | serve --identity DIR --allow-port PORT"),
            2);
    const int timeout = parser.value(QStringLiteral("timeout")).toInt();
    const double connectSeconds = parser.value(QStringLiteral("connect-timeout")).toDouble();
    if (!(connectSeconds >= 0.1 && connectSeconds <= 3600))
        die(QStringLiteral("--connect-timeout must be 0.1 to 3600 seconds"), 2);
    QList<Target> targets;
    if (parser.isSet(QStringLiteral("discover"))) {
        QString error;
        targets = discover(parser.value(QStringLiteral("discover")), parser.value(QStringLiteral("dns-server")),
                           qMax(1, timeout) * 1000, &error);
        if (targets.isEmpty())
            die(error);
    } else {
        const QString gateway = parser.value(QStringLiteral("gateway"));
        const qsizetype colon = gateway.lastIndexOf(u':');
        bool portOk = false;
        const quint16 port = colon > 0 ? gateway.mid(colon + 1).toUShort(&portOk) : 0;
        if (portOk)
            targets.append({gateway.left(colon), port, QString()});
    }
    if (targets.isEmpty() || !parser.isSet(QStringLiteral("ca")))
        die(QStringLiteral("--gateway HOST:PORT (or --discover DOMAIN) and --ca FILE are required"), 2);

    SeaCatClient client;
    SeaCatClient::Options options;
    options.caFile = parser.value(QStringLiteral("ca"));
    options.certFile = parser.value(QStringLiteral("cert"));
    options.keyFile = parser.value(QStringLiteral("key"));
    const QString identityDir = parser.value(QStringLiteral("identity"));
    if (!identityDir.isEmpty() && command != u"enroll") {
        options.certFile = identityDir + u'/' + Enrolment::CertFile;
        options.keyFile = identityDir + u'/' + Enrolment::KeyFile;
    }
    if (command == u"serve") {
        QSet<quint16> ports;
        for (const QString &value : parser.values(QStringLiteral("allow-port"))) {
            bool ok = false;
            const uint port = value.toUInt(&ok);
            if (!ok || port == 0 || port > 65535)
                die(QStringLiteral("--allow-port '%1' is not a port from 1 to 65535").arg(value), 2);
            ports.insert(quint16(port));
        }
        if (ports.isEmpty())
            die(QStringLiteral("serve needs at least one --allow-port"), 2);
        const double pingSeconds = parser.value(QStringLiteral("ping-interval")).toDouble();
        if (!(pingSeconds >= 0.1 && pingSeconds <= 3600))
            die(QStringLiteral("--ping-interval must be 0.1 to 3600 seconds"), 2);
        // One gateway for the device's session: the first target (with --discover, the one
        // RFC 2782 tries first).
        const Target &target = targets.first();
        options.host = target.host;
        options.port = target.port;
        options.gatewayName = parser.isSet(QStringLiteral("name")) ? parser.value(QStringLiteral("name")) : target.name;
        DeviceServer server(options, ports, int(pingSeconds * 1000));
        server.start();
        return app.exec();
    }
    // The targets in order until one answers (SeaCat clients fail over the same way); once a
    // gateway has answered, an error is the end.
    qsizetype nextTarget = 0;
    bool answered = false;
    QString gateway; // HOST:PORT of the target being tried, for the output
    // A target that takes the connection but never answers (down behind a load balancer, a
    // full backlog) gives no error: without this the whole --timeout went on it.
    auto *connectTimer = new QTimer(&app);
    connectTimer->setSingleShot(true);
    connectTimer->setInterval(int(connectSeconds * 1000));
    std::function<void()> connectNext;
    QObject::connect(connectTimer, &QTimer::timeout, &app, [&] {
        if (answered)
            return;
        fprintf(stderr, "seacat-client: %s: no TLS connection within %s s; trying the next gateway\n",
                qPrintable(gateway), qPrintable(QString::number(connectSeconds)));
        client.abort();
        connectNext();
    });
    connectNext = [&] {
        const Target &target = targets.at(nextTarget++);
        options.host = target.host;
        options.port = target.port;
        options.gatewayName = parser.isSet(QStringLiteral("name")) ? parser.value(QStringLiteral("name")) : target.name;
        gateway = QStringLiteral("%1:%2").arg(target.name.isEmpty() ? target.host : target.name).arg(target.port);
        if (const QString e = client.connectToGateway(options); !e.isEmpty())
            die(e, 2);
        if (nextTarget < targets.size()) // the last one has what is left of --timeout
            connectTimer->start();
    };
    connectNext();

    bool done = false;
    QObject::connect(&client, &SeaCatClient::connected, &app, [&answered, connectTimer] {
        answered = true;
        connectTimer->stop();
    });
    QObject::connect(&client, &SeaCatClient::errorOccurred, &app, [&](const QString &message) {
        if (done)
            return;
        if (answered || nextTarget >= targets.size())
            die(message);
        fprintf(stderr, "seacat-client: %s: %s; trying the next gateway\n", qPrintable(gateway), qPrintable(message));
        connectTimer->stop();
        QTimer::singleShot(0, &app, connectNext); // not from inside the socket's own signal
    });
    QObject::connect(&client, &SeaCatClient::disconnected, &app, [&] {
        // Before it answered, the error that came with it decides (the next target, or the end).
        if (!done && answered)
            die(QStringLiteral("the gateway closed the connection"));
    });
    const int timeoutExit = command == u"enroll" ? ExitTimedOut : 1;
    auto *answerTimer = new QTimer(&app);
    answerTimer->setSingleShot(true);
    QObject::connect(answerTimer, &QTimer::timeout, &app, [timeout, timeoutExit] {
        die(QStringLiteral("no answer within %1 s").arg(timeout), timeoutExit);
    });
    answerTimer->start(timeout * 1000);

    QFile body;
    if (command == u"ping") {
        const int count = qMax(1, parser.value(QStringLiteral("count")).toInt());
        QObject::connect(&client, &SeaCatClient::connected, &app, [&client] { client.ping(); });
        QObject::connect(&client, &SeaCatClient::pong, &app, [&, count](quint32 id, qint64 us) {
            printf("PING %u from %s: time=%.3f ms\n", id, qPrintable(gateway), double(us) / 1000.0);
            fflush(stdout);
            if (int(id / 2) + 1 >= count) {
                done = true;
                client.disconnectFromGateway();
                QCoreApplication::exit(0);
            } else {
                client.ping();
            }
        });
        return app.exec();
    }

    if (command == u"enroll") {
        // §6.6: submit the CSR on an anonymous connection, then query until the certificate comes.
        QString error;
        const auto keyType = parser.value(QStringLiteral("key-type")) == u"ec" ? KeyType::EcP256 : KeyType::Rsa2048;
        KeyPtr key = Enrolment::loadOrCreateKey(identityDir, keyType, &error);
        const QByteArray csr =
            key ? Enrolment::makeCsr(key.get(), parser.value(QStringLiteral("subject")), &error) : QByteArray();
        if (csr.isEmpty())
            die(error, 2);
        const QByteArray keyBits = publicKeyBits(key.get());
        const ClientKeyId id = clientKeyIdFromKeyBytes(keyBits);
        const int pollMs = qMax(1, int(parser.value(QStringLiteral("poll-interval")).toDouble() * 1000));
        auto *pollTimer = new QTimer(&app);
        pollTimer->setSingleShot(true);
        QObject::connect(pollTimer, &QTimer::timeout, &client,
                         [&client, keyBits] { client.queryCertificate(keyBits); });
        QObject::connect(&client, &SeaCatClient::connected, &app, [&client, csr] { client.sendCsr(csr); });
        // Under manual approval an admin may take hours: once the gateway has answered, only
        // --wait limits the wait, and each poll says so on a terminal.
        const double waitSeconds = parser.value(QStringLiteral("wait")).toDouble();
        const bool tty = isatty(STDERR_FILENO);
        QElapsedTimer waiting;
        QObject::connect(&client, &SeaCatClient::csrReply, &app, [&, pollTimer](quint8 flags) {
            if (flags & 0x04)
                die(QStringLiteral("the gateway rejected the CSR of %1").arg(id.tag));
            answerTimer->stop();
            if (flags & 0x02) {
                client.queryCertificate(keyBits); // approved at once
                return;
            }
            fprintf(stderr, "CSR of %s stored, waiting for approval\n", qPrintable(id.tag));
            waiting.start();
            if (waitSeconds > 0)
                // Precise: a coarse timer may fire 5 % early, and --wait promises at least that long.
                QTimer::singleShot(int(waitSeconds * 1000), Qt::PreciseTimer, &app, [&] {
                    die(QStringLiteral("the CSR of %1 is still waiting for approval after %2 s (--wait)")
                            .arg(id.tag)
                            .arg(waitSeconds),
                        ExitTimedOut);
                });
            pollTimer->start(pollMs);
        });
        QObject::connect(&client, &SeaCatClient::certificateAnswer, &app,
                         [&, pollTimer](quint16, bool notFound, const QByteArray &der) {
                             if (notFound)
                                 die(QStringLiteral("the gateway rejected or revoked %1").arg(id.tag));
                             if (der.isEmpty()) {
                                 if (tty)
                                     fprintf(stderr, "still waiting for approval of %s (%lld s)\n", qPrintable(id.tag),
                                             waiting.elapsed() / 1000);
                                 pollTimer->start(pollMs);
                                 return;
                             }
                             if (const QString e = Enrolment::saveCertificate(identityDir, der); !e.isEmpty())
                                 die(e);
                             printf("enrolled %s\nClient ID %s\ncertificate %s/%s\n", qPrintable(id.tag),
                                    qPrintable(id.id), qPrintable(identityDir), qPrintable(Enrolment::CertFile));
                             done = true;
                             client.disconnectFromGateway();
                             QCoreApplication::exit(0);
                         });
        return app.exec();
    }

    // request
    const QUrl url(args.at(1));
    if (!url.isValid() || url.host().isEmpty())
        die(QStringLiteral("'%1' is not a URL like http://app.seacat/path").arg(args.at(1)), 2);
    HeaderList headers;
    for (const QString &header : parser.values(QStringLiteral("header"))) {
        const qsizetype c = header.indexOf(u':');
        if (c <= 0)
            die(QStringLiteral("header '%1' is not 'Name: value'").arg(header), 2);
        headers.append({header.left(c).trimmed().toUtf8(), header.mid(c + 1).trimmed().toUtf8()});
    }
    const QString data = parser.value(QStringLiteral("data"));
    QByteArray literal;
    const bool hasBody = parser.isSet(QStringLiteral("data"));
    if (hasBody) {
        if (data == u"-") {
            body.open(stdin, QIODevice::ReadOnly);
        } else if (data.startsWith(u'@')) {
            body.setFileName(data.mid(1));
            if (!body.open(QIODevice::ReadOnly))
                die(QStringLiteral("cannot read %1").arg(body.fileName()), 2);
            headers.append({QByteArrayLiteral("Content-Length"), QByteArray::number(body.size())});
        } else {
            literal = data.toUtf8();
            headers.append({QByteArrayLiteral("Content-Length"), QByteArray::number(literal.size())});
        }
    }
    const QByteArray method = parser.isSet(QStringLiteral("request")) ? parser.value(QStringLiteral("request")).toUtf8()
                                                                      : QByteArray(hasBody ? "POST" : "GET");
    const bool include = parser.isSet(QStringLiteral("include"));
    QObject::connect(&client, &SeaCatClient::connected, &app, [&] {
        ClientStream *stream = client.request(method, url, headers, hasBody);
        if (hasBody && body.isOpen()) {
            new BodyPump(&client, stream, &body);
        } else if (hasBody) {
            stream->write(literal);
            stream->finish();
        }
        QObject::connect(stream, &ClientStream::responseHead, &app, [include](int status, const HeaderList &h) {
            if (!include)
                return;
            QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + "\r\n";
            for (const auto &[name, value] : h)
                head += name + ": " + value + "\r\n";
            writeOut(head + "\r\n");
        });
        QObject::connect(stream, &ClientStream::data, &app, &writeOut);
        QObject::connect(stream, &ClientStream::finished, &app, [&] {
            done = true;
            fflush(stdout);
            client.disconnectFromGateway();
            QCoreApplication::exit(0);
        });
        QObject::connect(stream, &ClientStream::reset, &app, [](quint32 status) {
            die(QStringLiteral("the gateway reset the stream: %1").arg(rstStatusName(status)));
        });
    });
    return app.exec();
}
