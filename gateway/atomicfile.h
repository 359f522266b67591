#pragma once

#include <QFileDevice>
#include <QString>

namespace SeaCat {

// Writes `data` to `path` through a temporary file and a rename, with `permissions` set
// before any byte is written (private keys never exist on disk with wider modes).
// Returns an empty string on success, else a message naming the file and the cause.
QString writeFileAtomically(const QString &path, const QByteArray &data, QFileDevice::Permissions permissions);

inline constexpr QFileDevice::Permissions PrivateFileMode = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
inline constexpr QFileDevice::Permissions PublicFileMode =
    PrivateFileMode | QFileDevice::ReadGroup | QFileDevice::ReadOther;

} // namespace SeaCat
