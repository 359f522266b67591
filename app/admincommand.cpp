#include "admincommand.h"
#include "gatewayconfig.h"
#include "pki/adminauthority.h"

#include <QDir>

#include <cstdio>

using namespace SeaCat;

namespace {

int fail(const QString &message, int code = 1)
{
    fputs(qPrintable(QStringLiteral("seacat-gateway admin: %1\n").arg(message)), stderr);
    return code;
}

const char Usage[] = "usage: seacat-gateway [--data-dir D] [--name GATEWAY] admin issue NAME DIR | admin revoke NAME"
                     " | admin list";

} // namespace

int runAdminCommand(const QStringList &args, const GatewayConfig &config)
{
    const QString verb = args.value(0);
    if (verb == u"issue" && args.size() == 3) {
        AdminAuthority::Workstation issued;
        const QString dir = QDir(args.at(2)).absolutePath();
        if (QString e = AdminAuthority::issueWorkstation(config.dataDir, config.name, args.at(1), dir, &issued);
            !e.isEmpty())
            return fail(e);
        fputs(qPrintable(QStringLiteral("issued workstation %1 (serial %2) into %3: copy that directory to the "
                                        "workstation and use it with ctl --identity %3\n")
                             .arg(issued.name, QString::fromLatin1(issued.serial), dir)),
              stdout);
        return 0;
    }
    if (verb == u"revoke" && args.size() == 2) {
        if (QString e = AdminAuthority::revokeWorkstation(config.dataDir, args.at(1)); !e.isEmpty())
            return fail(e);
        fputs(qPrintable(QStringLiteral("revoked workstation %1; a running gateway closes its connections within a "
                                        "second\n")
                             .arg(args.at(1))),
              stdout);
        return 0;
    }
    if (verb == u"list" && args.size() == 1) {
        QString error;
        const auto list = AdminAuthority::workstations(config.dataDir, &error);
        if (!list)
            return fail(error);
        for (const AdminAuthority::Workstation &w : *list)
            fputs(qPrintable(QStringLiteral("%1  %2  %3\n")
                                 .arg(w.name, -24)
                                 .arg(w.revoked ? QStringLiteral("revoked") : QStringLiteral("issued"), -8)
                                 .arg(QString::fromLatin1(w.serial))),
                  stdout);
        return 0;
    }
    return fail(QLatin1String(Usage), 2);
}
