// The one reader of the gateway's INI file, for start-up, SIGHUP, --check-config and the GUI:
// every problem with FILE:LINE, not only the first, and a key written twice in one section is
// an error (QSettings keeps the last one silently and splits comma lists).
#pragma once

#include "gatewayconfig.h"

#include <QHash>
#include <QList>
#include <QString>

namespace SeaCat {

struct ConfigProblem {
    QString file; // empty: not about a file (a flag, the defaults)
    int line = 0; // 0: the file as a whole
    QString message;
};
// "FILE:LINE: message", "FILE: message" or "message".
QString formatProblem(const ConfigProblem &problem);

struct ConfigFile {
    SeaCat::GatewayConfig config;
    QHash<QString, int> lines; // "section/key" (section lower-cased) → line it was read from
};

// Reads `path` over the defaults. Each line must be blank, a comment (; or #), a [section] or
// key=value; sections are [gateway], [limits], [pki] and [host:NAME] (exactly one uri=); each
// value is checked by GatewayConfig::set()/addHost(). Problems are appended; what could be read
// is returned either way (the caller refuses to serve when problems were added).
ConfigFile readConfigFile(const QString &path, QList<ConfigProblem> *problems);

} // namespace SeaCat
