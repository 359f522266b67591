#include "arrayadmin.h"
#include "atomicfile.h"
#include "gatewayconfig.h"
#include "pki/cabundle.h"

#include <QFile>
#include <QFileInfo>

#include <cstdio>

using namespace SeaCat;

namespace {

void say(FILE *stream, const QString &text)
{
    fputs(qPrintable(QStringLiteral("seacat-gateway array: %1\n").arg(text)), stream);
}

const char Usage[] = "usage: seacat-gateway [--data-dir D] array export-ca FILE | array import-ca FILE";

int exportCa(const QString &file, const GatewayConfig &config)
{
    if (QFileInfo::exists(file)) {
        say(stderr, QStringLiteral("%1 exists: it is never overwritten; remove it or name another file").arg(file));
        return 1;
    }
    QString error;
    const auto bundle = CaBundle::exportFrom(config.dataDir, &error);
    if (!bundle) {
        say(stderr, error);
        return 1;
    }
    if (QString e = writeFileAtomically(file, *bundle, PrivateFileMode); !e.isEmpty()) {
        say(stderr, e);
        return 1;
    }
    say(stderr, QStringLiteral("wrote %1 (mode 0600): the CA certificate AND ITS PRIVATE KEY. Whoever holds it can "
                               "issue client certificates every gateway of the array accepts. Copy it only over a "
                               "channel you trust (scp), run `seacat-gateway --data-dir DIR array import-ca FILE` on "
                               "the other gateway, then delete every copy (shred -u FILE).")
                    .arg(file));
    return 0;
}

int importCa(const QString &file, const GatewayConfig &config)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        say(stderr, QStringLiteral("cannot read %1: %2").arg(file, in.errorString()));
        return 1;
    }
    if (in.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther))
        say(stderr, QStringLiteral("warning: %1 holds a private key and is readable by other users: chmod 600 it, "
                                   "and delete it once imported")
                        .arg(file));
    constexpr qint64 MaxBundleBytes = 64 * 1024; // a certificate and a key are a few KiB
    const QByteArray bundle = in.read(MaxBundleBytes + 1);
    if (bundle.size() > MaxBundleBytes) {
        say(stderr, QStringLiteral("%1 is larger than a CA bundle can be (64 KiB)").arg(file));
        return 1;
    }
    QString message;
    switch (CaBundle::importInto(config.dataDir, bundle, &message)) {
    case CaBundle::ImportResult::Failed:
        say(stderr, message);
        return 1;
    case CaBundle::ImportResult::AlreadyThere:
        say(stdout, message);
        return 0;
    case CaBundle::ImportResult::Imported:
        say(stdout, message);
        say(stderr, QStringLiteral("delete %1 now (shred -u %1): it holds the CA's private key").arg(file));
        return 0;
    }
    return 1;
}

} // namespace

int runArrayAdmin(const QStringList &args, const GatewayConfig &config)
{
    if (args.size() == 2 && args.at(0) == u"export-ca")
        return exportCa(args.at(1), config);
    if (args.size() == 2 && args.at(0) == u"import-ca")
        return importCa(args.at(1), config);
    say(stderr, QLatin1String(Usage));
    return 2;
}
