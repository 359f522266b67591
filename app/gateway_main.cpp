// seacat-gateway: the SeaCat gateway with its admin GUI; `--headless` (or no display) serves
// without it (servers, scripts).
#include "accesslog/accesslog.h"
#include "admin/adminapi.h"
#include "admin/adminserver.h"
#include "admin/gatewaymirror.h"
#include "admincommand.h"
#include "arrayadmin.h"
#include "configcheck.h"
#include "connectdialog.h"
#include "ctlcommand.h"
#include "gatewaycontroller.h"
#include "pki/adminauthority.h"
#include "mainwindow.h"
#include "pkiadmin.h"
#include "pki/pkiservice.h"
#include "pki/postgrespkistore.h"
#include "signalwatcher.h"
#include "systemdnotifier.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QLibraryInfo>
#include <QStandardPaths>
#include <QTimer>
#include <QScopeGuard>
#include <QTranslator>
#include <functional>
#include <memory>
#include <vector>

#include <cstdio>

using namespace SeaCat;

namespace {

void printLine(FILE *stream, const QString &line)
{
    fputs(qPrintable(line + u'\n'), stream);
    fflush(stream);
}

// The settings file the GUI saves; read at start when no --config is given.
QString defaultSettingsFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + QStringLiteral("/seacat-gateway.ini");
}

// The config file the gateway reads: --config, else the GUI's settings file when it exists.
QString configFilePath(const QCommandLineParser &parser)
{
    if (parser.isSet(QStringLiteral("config")))
        return parser.value(QStringLiteral("config"));
    const QString file = defaultSettingsFile();
    return QFileInfo::exists(file) ? file : QString();
}

// Config file first, then flags over it. Every problem is collected (FILE:LINE where it has
// one), and what could be read is kept so --check-config can go on; `file` gets the lines.
QList<ConfigProblem> buildConfig(const QCommandLineParser &parser, GatewayConfig *config, ConfigFile *file = nullptr)
{
    QList<ConfigProblem> problems;
    if (const QString path = configFilePath(parser); !path.isEmpty()) {
        ConfigFile fromFile = readConfigFile(path, &problems);
        *config = fromFile.config;
        if (file)
            *file = std::move(fromFile);
    }
    for (const char *flag : {"data-dir", "store", "listen", "port", "mode", "name", "approval", "workers", "access-log",
                             "log-format", "admin-listen", "admin-tls"}) {
        const QString key = QLatin1String(flag);
        if (parser.isSet(key))
            if (QString e = config->set(key, parser.value(key)); !e.isEmpty())
                problems.append({QString(), 0, QStringLiteral("--%1: %2").arg(key, e)});
    }
    for (const QString &backend : parser.values(QStringLiteral("backend"))) {
        const qsizetype eq = backend.indexOf(u'=');
        const QString e = eq > 0 ? config->addHost(backend.left(eq), backend.mid(eq + 1))
                                 : QStringLiteral("'%1' is not NAME=URL").arg(backend);
        if (!e.isEmpty())
            problems.append({QString(), 0, QStringLiteral("--backend: %1").arg(e)});
    }
    if (parser.isSet(QStringLiteral("allow-reserved-port")))
        config->allowReservedPort = true;
    if (config->name.isEmpty())
        config->name = GatewayConfig::defaultName();
    if (config->dataDir.isEmpty())
        config->dataDir = GatewayConfig::defaultDataDir();
    return problems;
}

// --check-config: everything the gateway would read, every problem printed; exit 0 or 2.
int checkConfig(const QCommandLineParser &parser)
{
    GatewayConfig config;
    ConfigFile file;
    QList<ConfigProblem> problems = buildConfig(parser, &config, &file);
    const QString path = configFilePath(parser);
    // A file with problems still gets the rest checked, with what could be read of it.
    checkRuntime(config, &file, path, &problems);
    // An array's database, read and not written. One that does not answer is a warning only: a
    // running gateway serves on from memory, and a reload (the unit checks first) must go through.
    if (PostgresPkiStore::isPostgresUrl(config.store) && PostgresPkiStore::checkUrl(config.store).isEmpty()) {
        bool reached = false;
        if (const QString problem = PostgresPkiStore::probe(config.store, &reached); reached && !problem.isEmpty())
            problems.append({QString(), 0, problem});
        else if (!reached)
            printLine(stderr, QStringLiteral("seacat-gateway: warning: %1; a gateway cannot start until it answers "
                                             "(a running one serves on from memory)")
                                  .arg(problem));
    }
    for (const ConfigProblem &problem : std::as_const(problems))
        printLine(stderr, formatProblem(problem));
    if (!problems.isEmpty()) {
        printLine(stderr, QStringLiteral("seacat-gateway: %1 problem(s) in %2")
                              .arg(problems.size())
                              .arg(path.isEmpty() ? QStringLiteral("the command line") : path));
        return 2;
    }
    printLine(
        stdout,
        QStringLiteral(
            "%1: OK (listen %2, data directory %3, store %4, mode %5, %6 backend(s), %7 worker(s), admin listener %8)")
            .arg(path.isEmpty() ? QStringLiteral("no config file, defaults and flags") : path,
                 formatEndpoint(config.listenAddress, config.port), config.dataDir, PkiService::storeName(config.store),
                 toString(config.mode))
            .arg(config.hosts.size())
            .arg(config.workers)
            .arg(!config.adminEnabled ? QStringLiteral("off")
                 : config.adminNeedsTls()
                     ? formatEndpoint(config.adminAddress, config.adminPort) + QStringLiteral(" with mutual TLS")
                     : formatEndpoint(config.adminAddress, config.adminPort)));
    return 0;
}

using Log = std::function<void(LogLevel, const QString &)>;

// README "Metrics": the admin listener opens before the gateway port. An address the admin
// chose must work (false: exit 1); the default one only warns, so a second gateway on the
// machine still serves.
// README "Admin over the network": off loopback (or with admin-tls=on) the admin listener takes
// mutual TLS with the admin CA and admits the workstations of its registry. False: it cannot.
bool secureAdminListener(AdminServer &admin, const GatewayConfig &config, const Log &log)
{
    if (!config.adminEnabled || !config.adminNeedsTls() || admin.hasTls())
        return true;
    QString error;
    const auto identity = AdminAuthority::loadOrCreate(config.dataDir, config.name, &error);
    if (!identity) {
        log(LogLevel::Error, QStringLiteral("admin listener: %1").arg(error));
        return false;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificate(identity->server);
    tls.setPrivateKey(identity->serverKey);
    tls.setCaCertificates({identity->ca});
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    admin.setTls(tls, [dataDir = config.dataDir](const QSslCertificate &peer) {
        return AdminAuthority::isAdmitted(dataDir, peer);
    });
    log(LogLevel::Info, QStringLiteral("admin listener: mutual TLS with the admin CA %1/%2/ca.pem")
                            .arg(config.dataDir, AdminAuthority::Directory));
    return true;
}

bool openAdminListener(AdminServer &admin, const GatewayConfig &config, const Log &log)
{
    if (!config.adminEnabled)
        return true;
    if (!secureAdminListener(admin, config, log))
        return false;
    QString error;
    if (admin.listen(config.adminAddress, config.adminPort, &error)) {
        log(LogLevel::Info, QStringLiteral("admin listener on %1: /metrics, /api/v1/")
                                .arg(formatEndpoint(admin.serverAddress(), admin.serverPort())));
        return true;
    }
    if (config.adminListenExplicit) {
        log(LogLevel::Error, error); // through the log: one JSON object per line with --log-format json
        return false;
    }
    log(LogLevel::Warning,
        QStringLiteral("%1; serving without it (set admin-listen to another address, or off)").arg(error));
    return true;
}

// SIGHUP: a changed admin-listen moves the admin listener (the new one first) or closes it.
void reloadAdminListener(AdminServer &admin, GatewayConfig &running, const GatewayConfig &next, const Log &log)
{
    if (next.adminEnabled == running.adminEnabled && next.adminAddress == running.adminAddress &&
        next.adminPort == running.adminPort)
        return;
    if (!secureAdminListener(admin, next, log)) {
        log(LogLevel::Error, QStringLiteral("reload: the admin listener stays where it was"));
        return;
    }
    if (!next.adminEnabled) {
        admin.close();
        log(LogLevel::Info, QStringLiteral("admin listener closed (admin-listen=off)"));
    } else if (QString error; admin.listen(next.adminAddress, next.adminPort, &error)) {
        log(LogLevel::Info,
            QStringLiteral("admin listener now on %1").arg(formatEndpoint(admin.serverAddress(), admin.serverPort())));
    } else {
        log(LogLevel::Error, QStringLiteral("reload: %1; the admin listener stays where it was").arg(error));
        return;
    }
    running.adminEnabled = next.adminEnabled;
    running.adminAddress = next.adminAddress;
    running.adminPort = next.adminPort;
}

// Qt's xcb platform plugin takes "-name X" and "--name X" (its WM_CLASS option) out of argv
// before QCommandLineParser runs, so the gateway name would be dropped silently in GUI mode on
// X11 (QT64-NOTES §6). The plugin leaves "--name=X" alone: both spellings are joined into that
// form before QApplication sees the arguments. Everything after "--" is left as it is.
std::vector<QByteArray> joinNameOption(int argc, char *argv[])
{
    std::vector<QByteArray> args;
    int i = 0;
    for (; i < argc && qstrcmp(argv[i], "--") != 0; ++i) {
        const QByteArray arg(argv[i]);
        if ((arg == "--name" || arg == "-name") && i + 1 < argc)
            args.push_back("--name=" + QByteArray(argv[++i]));
        else
            args.push_back(arg);
    }
    for (; i < argc; ++i)
        args.emplace_back(argv[i]);
    return args;
}

} // namespace

// The window's language (--lang, else the system's) and icon; the translators outlive the window.
void setUpGui(const QCommandLineParser &parser, QTranslator *translator, QTranslator *qtTranslator)
{
    const QLocale locale =
        parser.isSet(QStringLiteral("lang")) ? QLocale(parser.value(QStringLiteral("lang"))) : QLocale::system();
    QLocale::setDefault(locale);
    if (translator->load(locale, QStringLiteral("seacat"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(translator);
    if (qtTranslator->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                           QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qtTranslator);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/seacat-gateway.svg")));
}

// README "Administering a server gateway from a workstation": the window on a remote gateway's
// admin API, no engine here. Without a URL (the desktop entry) the connect dialog asks.
int attach(const QCommandLineParser &parser, bool gui)
{
    if (!gui) {
        printLine(stderr, QStringLiteral("seacat-gateway: --attach opens a window and needs a display; "
                                         "without one, use seacat-gateway ctl"));
        return 2;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        printLine(stderr, QStringLiteral("seacat-gateway: --attach takes one URL (see --help)"));
        return 2;
    }
    QTranslator translator, qtTranslator;
    setUpGui(parser, &translator, &qtTranslator);
    if (positional.isEmpty()) {
        ConnectDialog dialog;
        if (dialog.exec() != QDialog::Accepted)
            return 0;
    } else {
        QString error;
        MainWindow *window =
            ConnectDialog::openWindow(QUrl(positional.first()), parser.value(QStringLiteral("identity")), &error);
        if (!window) {
            printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(error));
            return 2;
        }
        window->show();
    }
    return QCoreApplication::exec();
}

int main(int argc, char *argv[])
{
    // The GUI needs a display; without one (servers, SSH) the same engine runs headless.
    bool headlessFlag = false, pkiCommand = false;
    for (int i = 1; i < argc; ++i) {
        headlessFlag = headlessFlag || qstrcmp(argv[i], "--headless") == 0;
        pkiCommand = pkiCommand || qstrcmp(argv[i], "pki") == 0 || qstrcmp(argv[i], "admin") == 0;
    }
    // `ctl` talks to a running gateway over its admin API and has options of its own.
    if (argc > 1 && qstrcmp(argv[1], "ctl") == 0) {
        QCoreApplication ctlApplication(argc, argv);
        return runCtl(QCoreApplication::arguments().mid(2));
    }
    const bool display = qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
                         qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
    const bool gui = !headlessFlag && !pkiCommand && display;
    // Qt's own UNIX event loop instead of GLib's, which walks a list of all open sockets on every
    // write: with thousands of sessions each new handshake got slower (3 000 sessions opened in
    // 76.5 s instead of 101.8 s; docs/performance.md). It is for the threads without sessions
    // (GUI, PKI, access log): the engine's and the workers' run on EpollEventDispatcher. An
    // admin's own QT_NO_GLIB setting stands.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    // QApplication keeps argc/argv for its lifetime: both live until main returns.
    std::vector<QByteArray> arguments = joinNameOption(argc, argv);
    std::vector<char *> argumentPointers;
    for (QByteArray &arg : arguments)
        argumentPointers.push_back(arg.data());
    argumentPointers.push_back(nullptr);
    int argumentCount = int(arguments.size());
    std::unique_ptr<QCoreApplication> application =
        gui ? std::make_unique<QApplication>(argumentCount, argumentPointers.data())
            : std::make_unique<QCoreApplication>(argumentCount, argumentPointers.data());
    QCoreApplication &app = *application;
    QCoreApplication::setApplicationName(QStringLiteral("seacat-gateway"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SeaCat-compatible mobile secure gateway."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("headless"), QStringLiteral("Serve without the admin GUI.")},
        {QStringLiteral("config"), QStringLiteral("Read options from the INI <file> (flags override it)."),
         QStringLiteral("file")},
        {QStringLiteral("data-dir"), QStringLiteral("Keep the CA, keys and certificates in <dir>."),
         QStringLiteral("dir")},
        {QStringLiteral("store"),
         QStringLiteral("Certificate store: sqlite (default, in the data directory) or a postgresql:// URL "
                        "shared by several gateways."),
         QStringLiteral("url")},
        {QStringLiteral("listen"), QStringLiteral("Listen on <address> (default 0.0.0.0)."), QStringLiteral("address")},
        {QStringLiteral("port"), QStringLiteral("TCP <port>: 443 recommended, else above 1024; 0 picks a free one."),
         QStringLiteral("port")},
        {QStringLiteral("allow-reserved-port"), QStringLiteral("Allow a port up to 1024 other than 443.")},
        {QStringLiteral("mode"), QStringLiteral("combined (default), authorized or anonymous."),
         QStringLiteral("mode")},
        {QStringLiteral("name"), QStringLiteral("Gateway name, the CN of its certificate (default: host name)."),
         QStringLiteral("name")},
        {QStringLiteral("backend"),
         QStringLiteral("Route requests for host NAME (NAME.seacat) to the base URL (repeatable)."),
         QStringLiteral("NAME=URL")},
        {QStringLiteral("approval"), QStringLiteral("CSR approval: manual (default) or auto."),
         QStringLiteral("policy")},
        {QStringLiteral("workers"),
         QStringLiteral("Engine threads, each with its own sessions (default: the number of cores)."),
         QStringLiteral("N")},
        {QStringLiteral("admin-listen"),
         QStringLiteral("Serve /metrics and the admin API on ADDRESS:PORT, [IPv6]:PORT or PORT (127.0.0.1), "
                        "or off (default 127.0.0.1:%1).")
             .arg(DefaultAdminPort),
         QStringLiteral("address")},
        {QStringLiteral("admin-tls"),
         QStringLiteral("auto (default: mutual TLS with an admin certificate unless admin-listen is loopback) or on."),
         QStringLiteral("mode")},
        {QStringLiteral("verbose"), QStringLiteral("Log debug lines too.")},
        {QStringLiteral("access-log"),
         QStringLiteral("Write the access log to <file> (default: stderr); SIGUSR1 reopens it."),
         QStringLiteral("file")},
        {QStringLiteral("log-format"), QStringLiteral("text (default) or json, for the access and the event log."),
         QStringLiteral("format")},
        {QStringLiteral("check-config"), QStringLiteral("Check the config file, flags, data directory, keys and store; "
                                                        "print every problem; exit 0 (OK) or 2.")},
        {QStringLiteral("domain"), QStringLiteral("array srv-zone: the DNS domain the SRV records are for."),
         QStringLiteral("domain")},
        {QStringLiteral("lang"), QStringLiteral("GUI language, e.g. cs or de (default: the system's)."),
         QStringLiteral("lang")},
        {QStringLiteral("attach"), QStringLiteral("Open the admin window on the gateway whose admin API is at the URL "
                                                  "given (http://127.0.0.1:9543, https://HOST:PORT); no engine runs "
                                                  "here. Without a URL: the connect dialog.")},
        {QStringLiteral("identity"),
         QStringLiteral("With --attach https://...: the workstation identity (seacat-gateway admin issue)."),
         QStringLiteral("dir")},
    });
    parser.addPositionalArgument(
        QStringLiteral("pki"),
        QStringLiteral("Admin commands on the data directory: pki csr list|approve ID|reject ID, "
                       "pki cert list|revoke SERIAL|export SERIAL, pki ca export"),
        QStringLiteral("[pki ...]"));
    parser.addPositionalArgument(QStringLiteral("array"),
                                 QStringLiteral("A gateway array's CA and DNS: array export-ca FILE, "
                                                "array import-ca FILE, array srv-zone --domain D, "
                                                "array forget NAME"),
                                 QStringLiteral("[array ...]"));
    parser.addPositionalArgument(QStringLiteral("admin"),
                                 QStringLiteral("Workstation certificates for the admin API over the network: "
                                                "admin issue NAME DIR, admin revoke NAME, admin list"),
                                 QStringLiteral("[admin ...]"));
    parser.addPositionalArgument(QStringLiteral("ctl"),
                                 QStringLiteral("A running gateway through its admin API (first argument): ctl status, "
                                                "ctl sessions, ctl port N, ctl reload, ctl pki ... (ctl --help)"),
                                 QStringLiteral("[ctl ...]"));
    // README "Running": a bad option exits 2 like a bad config (QCommandLineParser::process() exits 1).
    if (!parser.parse(QCoreApplication::arguments())) {
        printLine(stderr, QStringLiteral("seacat-gateway: %1 (see --help)").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (parser.isSet(QStringLiteral("check-config")))
        return checkConfig(parser);
    if (parser.isSet(QStringLiteral("attach")))
        return attach(parser, gui);

    GatewayConfig config;
    if (const QList<ConfigProblem> problems = buildConfig(parser, &config); !problems.isEmpty()) {
        for (const ConfigProblem &problem : problems)
            printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(formatProblem(problem)));
        return 2;
    }
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        if (positional.first() == u"admin")
            return runAdminCommand(positional.mid(1), config);
        if (positional.first() == u"array")
            return runArrayAdmin(positional.mid(1), config, parser.value(QStringLiteral("domain")));
        if (positional.first() != u"pki") {
            printLine(stderr,
                      QStringLiteral("seacat-gateway: unknown command '%1' (see --help)").arg(positional.first()));
            return 2;
        }
        return runPkiAdmin(positional.mid(1), config);
    }
    const bool verbose = parser.isSet(QStringLiteral("verbose"));
    config.debugLog = verbose; // debug lines are not even built without it
    if (!headlessFlag && !gui)
        printLine(stderr,
                  QStringLiteral("seacat-gateway: no display (DISPLAY/WAYLAND_DISPLAY unset): serving headless"));

    // Declared before the controller: the engine writes to it until the controller is gone.
    AccessLog accessLog;
    if (const QString error = accessLog.open(config.accessLogPath, config.logFormat); !error.isEmpty()) {
        printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(error));
        return 1;
    }
    GatewayController controller;
    controller.setAccessLog(&accessLog);
    const auto reopenAccessLog = [&accessLog](const std::function<void(LogLevel, const QString &)> &log) {
        if (accessLog.path().isEmpty())
            return log(LogLevel::Info, QStringLiteral("SIGUSR1: the access log goes to stderr, nothing to reopen"));
        if (const QString error = accessLog.reopen(); !error.isEmpty())
            return log(LogLevel::Error, QStringLiteral("SIGUSR1: %1; still writing to the previous file").arg(error));
        log(LogLevel::Info, QStringLiteral("SIGUSR1: reopened the access log %1").arg(accessLog.path()));
    };
    if (gui) {
        QTranslator translator, qtTranslator;
        setUpGui(parser, &translator, &qtTranslator);
        MainWindow window(&controller, config,
                          parser.isSet(QStringLiteral("config")) ? parser.value(QStringLiteral("config"))
                                                                 : defaultSettingsFile());
        window.show();
        QObject::connect(&controller, &GatewayController::listening, &app,
                         [](const QHostAddress &address, quint16 port) {
                             printLine(stdout, QStringLiteral("listening on %1").arg(formatEndpoint(address, port)));
                         });
        // SIGTERM/SIGINT end the GUI as they end the headless gateway: close_notify to every
        // session, then exit 0. A Stop from the toolbar does not quit.
        SignalWatcher guiSignals;
        QObject::connect(&guiSignals, &SignalWatcher::reopenLogsRequested, &controller, [&reopenAccessLog] {
            reopenAccessLog([](LogLevel level, const QString &message) {
                printLine(stderr, QStringLiteral("%1 %2").arg(toString(level), message));
            });
        });
        bool terminating = false;
        QObject::connect(&guiSignals, &SignalWatcher::terminationRequested, &controller, [&controller, &terminating] {
            terminating = true;
            controller.stop();
        });
        QObject::connect(&controller, &GatewayController::stopped, &app, [&terminating] {
            if (terminating)
                QCoreApplication::exit(0);
        });
        const auto guiLog = [](LogLevel, const QString &line) {
            printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(line));
        };
        AdminServer admin(QByteArrayLiteral(PROJECT_VERSION_STRING));
        // README "The admin API": the same API; settings are applied in the window, not reloaded.
        GatewayMirror mirror(&controller);
        AdminApi api(&controller, &mirror, QByteArrayLiteral(PROJECT_VERSION_STRING), guiLog);
        api.setSettings(config);
        admin.setApi(&api);
        if (!openAdminListener(admin, config, guiLog))
            return 1;
        controller.start(config);
        return app.exec();
    }
    SignalWatcher signalWatcher;
    int exitCode = 0;
    bool announced = false;

    LogFormat eventFormat = config.logFormat; // SIGHUP may change it
    const auto log = [verbose, &eventFormat](LogLevel level, const QString &message) {
        if (level != LogLevel::Debug || verbose) {
            fputs(formatEventLine(QDateTime::currentMSecsSinceEpoch(), level, message, eventFormat).constData(),
                  stderr);
            fflush(stderr);
        }
    };
    QObject::connect(&controller, &GatewayController::logMessage, &app, log);
    AdminServer admin(QByteArrayLiteral(PROJECT_VERSION_STRING));
    GatewayMirror mirror(&controller); // before start(): it sees every session
    AdminApi api(&controller, &mirror, QByteArrayLiteral(PROJECT_VERSION_STRING), log);
    api.setSettings(config);
    admin.setApi(&api);
    if (!openAdminListener(admin, config, log))
        return 1;

    // README "sd_notify": READY=1 once listening, STATUS= with the port and the sessions.
    SystemdNotifier systemd;
    QString endpoint;
    int sessionsNow = 0;
    QByteArray sentStatus;
    const auto status = [&endpoint, &sessionsNow] {
        return QStringLiteral("STATUS=listening on %1, %2 session(s)").arg(endpoint).arg(sessionsNow).toUtf8();
    };
    QObject::connect(&controller, &GatewayController::listening, &app, [&](const QHostAddress &address, quint16 port) {
        const QByteArray ready = endpoint.isEmpty() ? QByteArrayLiteral("READY=1\n") : QByteArray();
        endpoint = formatEndpoint(address, port);
        sentStatus = status();
        systemd.notify(ready + sentStatus);
    });
    QObject::connect(&controller, &GatewayController::statsUpdated, &app,
                     [&sessionsNow](const GatewayStats &stats) { sessionsNow = stats.sessionsNow; });
    // Now and then, not on every refresh: `systemctl status` shows the latest.
    QTimer statusTimer;
    statusTimer.callOnTimeout(&app, [&] {
        if (!endpoint.isEmpty() && status() != sentStatus)
            systemd.notify(sentStatus = status());
    });
    if (systemd.isActive())
        statusTimer.start(5'000);
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &app, [&systemd, &sessionsNow] {
        systemd.notify(QStringLiteral("STOPPING=1\nSTATUS=stopping: closing %1 session(s)").arg(sessionsNow).toUtf8());
    });
    // Scripts wait for exactly this one line on stdout.
    QObject::connect(&controller, &GatewayController::listening, &app,
                     [&announced](const QHostAddress &address, quint16 port) {
                         if (announced)
                             return;
                         announced = true;
                         const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                                                  ? QStringLiteral("[%1]").arg(address.toString())
                                                  : address.toString();
                         printLine(stdout, QStringLiteral("listening on %1").arg(formatEndpoint(host, port)));
                     });
    QObject::connect(&controller, &GatewayController::failed, &app,
                     [&exitCode, &eventFormat, log](const QString &reason) {
                         if (eventFormat == LogFormat::Json) // every stderr line one JSON object, this one too
                             log(LogLevel::Error, reason);
                         else
                             printLine(stderr, QStringLiteral("seacat-gateway: %1").arg(reason));
                         exitCode = 1;
                         QCoreApplication::exit(1);
                     });
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &controller, &GatewayController::stop);
    QObject::connect(&signalWatcher, &SignalWatcher::reopenLogsRequested, &controller,
                     [&reopenAccessLog, log] { reopenAccessLog(log); });
    // SIGHUP and POST /api/v1/reload: the same file and flags again, checked in full first; a
    // bad file is refused (its problems returned) and the running config keeps serving
    // (README "Reloading the configuration").
    const auto reloadConfiguration = [&, log](const QString &cause) -> QStringList {
        systemd.notifyReloading();
        // READY=1 again once the file was checked and handed to the engine, or refused.
        const auto ready = qScopeGuard([&] { systemd.notify(QByteArrayLiteral("READY=1\n") + status()); });
        const QString path = configFilePath(parser);
        log(LogLevel::Info,
            QStringLiteral("%1: reloading the configuration from %2")
                .arg(cause, path.isEmpty() ? QStringLiteral("the command line (no config file)") : path));
        GatewayConfig next;
        const QList<ConfigProblem> problems = buildConfig(parser, &next);
        if (!problems.isEmpty()) {
            QStringList lines;
            for (const ConfigProblem &problem : problems) {
                lines.append(formatProblem(problem));
                log(LogLevel::Error, QStringLiteral("reload refused: %1").arg(lines.last()));
            }
            log(LogLevel::Error, QStringLiteral("reload refused: the previous configuration keeps serving"));
            return lines;
        }
        // The logs are main()'s, not the engine's: they change here, at once.
        eventFormat = next.logFormat;
        if (next.accessLogPath != accessLog.path() || next.logFormat != accessLog.format()) {
            if (const QString error = accessLog.open(next.accessLogPath, next.logFormat); !error.isEmpty())
                log(LogLevel::Error,
                    QStringLiteral("reload: %1; the access log stays %2")
                        .arg(error, accessLog.path().isEmpty() ? QStringLiteral("on stderr") : accessLog.path()));
            else
                log(LogLevel::Info,
                    QStringLiteral("reload: access log now %1 (%2)")
                        .arg(next.accessLogPath.isEmpty() ? QStringLiteral("on stderr") : next.accessLogPath,
                             toString(next.logFormat)));
        }
        controller.reload(next);
        reloadAdminListener(admin, config, next, log);
        api.setSettings(next);
        return {};
    };
    QObject::connect(&signalWatcher, &SignalWatcher::reloadRequested, &controller,
                     [&reloadConfiguration] { reloadConfiguration(QStringLiteral("SIGHUP")); });
    api.setReload([&reloadConfiguration] { return reloadConfiguration(QStringLiteral("admin api")); });
    QObject::connect(&controller, &GatewayController::portChangeFailed, &app, [log](const QString &reason) {
        log(LogLevel::Error, QStringLiteral("reload: cannot move the listener: %1").arg(reason));
    });
    QObject::connect(&controller, &GatewayController::stopped, &app, [&exitCode] { QCoreApplication::exit(exitCode); });

    controller.start(config);
    return app.exec();
}
