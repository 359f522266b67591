// Test helper: a real engine in its worker thread on a loopback port, with its own data dir.
#pragma once

#include "gatewaycontroller.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

struct GatewayFixture {
    // Declared before the controller: its shutdown still logs into them.
    QTemporaryDir dataDir;
    QStringList log;
    std::unique_ptr<SeaCat::GatewayController> controller = std::make_unique<SeaCat::GatewayController>();

    static SeaCat::GatewayConfig defaultConfig()
    {
        SeaCat::GatewayConfig config;
        config.name = QStringLiteral("gw.test");
        config.listenAddress = QHostAddress::LocalHost;
        config.port = 0;
        config.portExplicit = true;
        return config;
    }

    GatewayFixture()
    {
        QObject::connect(controller.get(), &SeaCat::GatewayController::logMessage, controller.get(),
                         [this](SeaCat::LogLevel, const QString &line) { log << line; });
    }

    // Starts the engine; returns the port (0 on failure).
    quint16 start(SeaCat::GatewayConfig config = defaultConfig())
    {
        if (config.dataDir.isEmpty())
            config.dataDir = dataDir.path();
        QSignalSpy listening(controller.get(), &SeaCat::GatewayController::listening);
        controller->start(config);
        if (!listening.wait(20'000))
            return 0;
        return controller->port();
    }

    QString caFile() const { return dataDir.filePath(QStringLiteral("ca.pem")); }
};
