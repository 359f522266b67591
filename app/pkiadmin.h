// `seacat-gateway pki ...`: the admin CLI for headless servers. Works on the data directory's
// store, also while a gateway runs on it (that gateway notices within a second).
#pragma once

#include <QStringList>

namespace SeaCat {
struct GatewayConfig;
}

// Returns the process exit code: 0 done, 1 failed, 2 usage.
int runPkiAdmin(const QStringList &args, const SeaCat::GatewayConfig &config);
// Who the admin CLI's actions are audited as: "cli:USER".
QString cliActor();
