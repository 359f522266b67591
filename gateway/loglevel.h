// The engine's log levels, carried with each line to the CLI and the GUI's log view.
#pragma once

#include <QMetaType>

namespace SeaCat {
enum class LogLevel { Debug, Info, Warning, Error };
} // namespace SeaCat

Q_DECLARE_METATYPE(SeaCat::LogLevel)
