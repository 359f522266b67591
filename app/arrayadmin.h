// `seacat-gateway array ...`: setting up a gateway array (README "Several gateways"): moving the
// one CA from the first gateway's data directory to the others', and the DNS SRV records of the
// gateways registered in the shared store.
#pragma once

#include <QStringList>

namespace SeaCat {
struct GatewayConfig;
}

// Returns the process exit code: 0 done, 1 failed, 2 usage. `domain`: --domain, for srv-zone.
int runArrayAdmin(const QStringList &args, const SeaCat::GatewayConfig &config, const QString &domain);
