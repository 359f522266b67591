// `seacat-gateway array ...`: setting up a gateway array (README "Several gateways"): moving the
// one CA from the first gateway's data directory to the others'.
#pragma once

#include <QStringList>

namespace SeaCat {
struct GatewayConfig;
}

// Returns the process exit code: 0 done, 1 failed, 2 usage.
int runArrayAdmin(const QStringList &args, const SeaCat::GatewayConfig &config);
