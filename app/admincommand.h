// `seacat-gateway admin ...` (README "Admin over the network"): the workstation certificates of
// the admin CA in the data directory. Takes effect on a running gateway at its next connection
// check (a second at most).
#pragma once

#include <QStringList>

namespace SeaCat {
struct GatewayConfig;
}

// Returns the exit code: 0 done, 1 failed, 2 usage.
int runAdminCommand(const QStringList &args, const SeaCat::GatewayConfig &config);
