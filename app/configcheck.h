// Checking what the gateway would find at start beyond its INI file (README "Checking a
// configuration"); the file itself is read by readConfigFile() in gateway/configreader.h.
#pragma once

#include "configreader.h"

#include <QHash>
#include <QList>
#include <QString>

// What the gateway would find at start beyond the file: the port policy, the data directory
// (owner, permissions, writable), the CA and server key and certificate files when present,
// the certificate store (opened and a write tried, then rolled back). `file` names the lines.
void checkRuntime(const SeaCat::GatewayConfig &config, const SeaCat::ConfigFile *file, const QString &path,
                  QList<SeaCat::ConfigProblem> *problems);
