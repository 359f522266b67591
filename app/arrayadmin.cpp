#include "arrayadmin.h"
#include "atomicfile.h"
#include "gatewayconfig.h"
#include "pki/cabundle.h"
#include "pkiadmin.h"
#include "pki/pkiservice.h"

#include <QHostAddress>
#include <QRegularExpression>

#include <QFile>
#include <QFileInfo>

#include <cstdio>

using namespace SeaCat;

namespace {

void say(FILE *stream, const QString &text)
{
    fputs(qPrintable(QStringLiteral("seacat-gateway array: %1\n").arg(text)), stream);
}

const char Usage[] = "usage: seacat-gateway [--data-dir D] array export-ca FILE | array import-ca FILE"
                     " | [--store URL] array srv-zone --domain DOMAIN | [--store URL] array forget NAME";

// RFC 1035 host names: labels of letters, digits and inner hyphens, at most 253 characters.
bool isHostName(const QString &name)
{
    static const QRegularExpression label(QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    const QStringList labels = name.split(u'.');
    return !name.isEmpty() && name.size() <= 253 &&
           std::all_of(labels.cbegin(), labels.cend(), [](const QString &l) { return label.match(l).hasMatch(); });
}

// One SRV record per registered gateway (RFC 2782: priority, weight, port, target), absolute
// names, for the zone of `domain`; clients find them with seacat-client --discover.
int srvZone(const QString &domainArgument, const GatewayConfig &config)
{
    const QString domain = domainArgument.endsWith(u'.') ? domainArgument.chopped(1) : domainArgument;
    if (!isHostName(domain)) {
        say(stderr, QStringLiteral("--domain '%1' is not a DNS domain (example.com)").arg(domainArgument));
        return 2;
    }
    QString error;
    const auto store = PkiService::openStore(config.store, config.dataDir, &error);
    if (!store) {
        say(stderr, error);
        return 1;
    }
    const quint64 failuresBefore = store->failures();
    const QList<GatewayRecord> gateways = store->gateways();
    if (store->failures() != failuresBefore) {
        say(stderr, QStringLiteral("cannot read the gateways: %1").arg(store->lastError()));
        return 1;
    }
    QString zone = QStringLiteral("; _seacat._tcp SRV records of %1 gateway(s) registered in %2, for the zone of %3\n"
                                  "; (priority weight port target); clients: seacat-client --discover %3\n")
                       .arg(gateways.size())
                       .arg(PkiService::storeName(config.store), domain);
    for (const GatewayRecord &g : gateways) {
        const QString target = g.name.endsWith(u'.') ? g.name.chopped(1) : g.name;
        const QString record = QStringLiteral("_seacat._tcp.%1. 300 IN SRV %2 %3 %4 %5.\n")
                                   .arg(domain)
                                   .arg(g.priority)
                                   .arg(g.weight)
                                   .arg(g.port)
                                   .arg(target);
        // A name that is no host name (an IP address, a typo) cannot be an SRV target.
        const bool hostName = isHostName(target) && QHostAddress(target).isNull();
        zone += hostName ? record : QStringLiteral("; not a host name, left out: ") + record;
    }
    fputs(qPrintable(zone), stdout);
    return 0;
}

// Gateways register at start and stay registered: one taken out of the array for good is
// removed by hand, or srv-zone would keep sending clients to it.
int forget(const QString &name, const GatewayConfig &config)
{
    QString error;
    const auto store = PkiService::openStore(config.store, config.dataDir, &error);
    if (!store) {
        say(stderr, error);
        return 1;
    }
    if (!store->forgetGateway(name)) {
        say(stderr, store->lastError());
        return 1;
    }
    (void)store->audit(cliActor(), QStringLiteral("array-forget"), name, {});
    say(stdout, QStringLiteral("%1 forgotten: array srv-zone leaves it out (regenerate the zone); a gateway of that "
                               "name registers again when it starts")
                    .arg(name));
    return 0;
}

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

int runArrayAdmin(const QStringList &args, const GatewayConfig &config, const QString &domain)
{
    if (args.size() == 1 && args.at(0) == u"srv-zone")
        return srvZone(domain, config);
    if (args.size() == 2 && args.at(0) == u"forget")
        return forget(args.at(1), config);
    if (args.size() == 2 && args.at(0) == u"export-ca")
        return exportCa(args.at(1), config);
    if (args.size() == 2 && args.at(0) == u"import-ca")
        return importCa(args.at(1), config);
    say(stderr, QLatin1String(Usage));
    return 2;
}
