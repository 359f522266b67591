// seacat-gateway: the SeaCat gateway. `--headless` serves without a GUI (servers, scripts).
#include "gatewaycontroller.h"
#include "pkiadmin.h"
#include "signalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QHostAddress>

#include <cstdio>

using namespace SeaCat;

namespace {

void printLine(FILE *stream, const QString &line)
{
    fputs(qPrintable(line + u'\n'), stream);
    fflush(stream);
}

QString levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug: return QStringLiteral("debug");
    case LogLevel::Info: return QStringLiteral("info");
    case LogLevel::Warning: return QStringLiteral("warning");
    case LogLevel::Error: return QStringLiteral("error");
    }
    return {};
}

// Config file first, then flags over it. Returns an error message or an empty string.
QString buildConfig(const QCommandLineParser &parser, GatewayConfig *config)
{
    if (parser.isSet(QStringLiteral("config"))) {
        QString error;
        auto fromFile = GatewayConfig::fromFile(parser.value(QStringLiteral("config")), &error);
        if (!fromFile)
            return error;
        *config = *fromFile;
    }
    for (const char *flag : {"data-dir", "listen", "port", "mode", "name", "approval"}) {
        const QString key = QLatin1String(flag);
        if (parser.isSet(key))
            if (QString e = config->set(key, parser.value(key)); !e.isEmpty())
                return QStringLiteral("--%1: %2").arg(key, e);
    }
    for (const QString &backend : parser.values(QStringLiteral("backend"))) {
        const qsizetype eq = backend.indexOf(u'=');
        const QString e = eq > 0 ? config->addHost(backend.left(eq), backend.mid(eq + 1))
                                 : QStringLiteral("'%1' is not NAME=URL").arg(backend);
        if (!e.isEmpty())
            return QStringLiteral("--backend: %1").arg(e);
    }
    if (parser.isSet(QStringLiteral("allow-reserved-port")))
        config->allowReservedPort = true;
    if (config->name.isEmpty())
        config->name = GatewayConfig::defaultName();
    if (config->dataDir.isEmpty())
        config->dataDir = GatewayConfig::defaultDataDir();
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("seacat-gateway"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SeaCat-compatible mobile secure gateway."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("headless"), QStringLiteral("Serve without the admin GUI.")},
        {QStringLiteral("config"), QStringLiteral("Read options from the INI <file> (flags override it)."), QStringLiteral("file")},
        {QStringLiteral("data-dir"), QStringLiteral("Keep the CA, keys and certificates in <dir>."), QStringLiteral("dir")},
        {QStringLiteral("listen"), QStringLiteral("Listen on <address> (default 0.0.0.0)."), QStringLiteral("address")},
        {QStringLiteral("port"), QStringLiteral("TCP <port>: 443 recommended, else above 1024; 0 picks a free one."), QStringLiteral("port")},
        {QStringLiteral("allow-reserved-port"), QStringLiteral("Allow a port up to 1024 other than 443.")},
        {QStringLiteral("mode"), QStringLiteral("combined (default), authorized or anonymous."), QStringLiteral("mode")},
        {QStringLiteral("name"), QStringLiteral("Gateway name, the CN of its certificate (default: host name)."), QStringLiteral("name")},
        {QStringLiteral("backend"), QStringLiteral("Route requests for host NAME (NAME.seacat) to the base URL (repeatable)."),
         QStringLiteral("NAME=URL")},
        {QStringLiteral("approval"), QStringLiteral("CSR approval: manual (default) or auto."), QStringLiteral("policy")},
        {QStringLiteral("verbose"), QStringLiteral("Log debug lines too.")},
    });
    parser.addPositionalArgument(QStringLiteral("pki"), QStringLiteral("Admin commands: pki csr list|approve ID|reject ID, "
                                                                       "pki cert list|revoke SERIAL|export SERIAL, pki ca export"),
                                 QStringLiteral("[pki ...]"));
    parser.process(app);

    GatewayConfig config;
    if (const QString error = buildConfig(parser, &config); !error.isEmpty()) {
        printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(error));
        return 2;
    }
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        if (positional.first() != u"pki") {
            printLine(stderr, QStringLiteral("seacat-gateway: unknown command '%1' (see --help)").arg(positional.first()));
            return 2;
        }
        return runPkiAdmin(positional.mid(1), config);
    }
    const bool verbose = parser.isSet(QStringLiteral("verbose"));
    if (!parser.isSet(QStringLiteral("headless")))
        printLine(stderr, QStringLiteral("seacat-gateway: the admin GUI is not part of this build yet; serving headless"));

    GatewayController controller;
    SignalWatcher signalWatcher;
    int exitCode = 0;
    bool announced = false;

    QObject::connect(&controller, &GatewayController::logMessage, &app, [verbose](LogLevel level, const QString &message) {
        if (level != LogLevel::Debug || verbose)
            printLine(stderr, QStringLiteral("%1 %2 %3").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate), levelName(level), message));
    });
    // Scripts wait for exactly this one line on stdout.
    QObject::connect(&controller, &GatewayController::listening, &app, [&announced](const QHostAddress &address, quint16 port) {
        if (announced)
            return;
        announced = true;
        const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
            ? QStringLiteral("[%1]").arg(address.toString()) : address.toString();
        printLine(stdout, QStringLiteral("listening on %1:%2").arg(host).arg(port));
    });
    QObject::connect(&controller, &GatewayController::failed, &app, [&exitCode](const QString &reason) {
        printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(reason));
        exitCode = 1;
        QCoreApplication::exit(1);
    });
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &controller, &GatewayController::stop);
    QObject::connect(&controller, &GatewayController::stopped, &app, [&exitCode] { QCoreApplication::exit(exitCode); });

    controller.start(config);
    return app.exec();
}
