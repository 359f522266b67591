// `seacat-gateway ctl ...`: administers a running gateway through its admin API
// (README "Administering a server gateway from a workstation"), locally or from a workstation.
// `pki ...` on the data directory stays the way for the same host without the API.
#pragma once

#include <QStringList>

// `arguments`: what follows "ctl". Returns the exit code: 0 done, 1 the gateway refused or
// could not be reached, 2 usage.
int runCtl(const QStringList &arguments);
