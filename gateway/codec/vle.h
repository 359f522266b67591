// §2.5 VLE strings: 1-byte length up to 249, else 0xFF + big-endian u16.
#pragma once

#include <QByteArray>
#include <optional>

namespace SeaCat::Vle {

inline constexpr qsizetype MaxLength = 0xFFFF;

// Appends the encoded string; returns false (and appends nothing) when it is over MaxLength.
bool append(QByteArray &out, const QByteArray &value);

// Decodes one string at `pos`, advancing it. Lenient per §2.5: only 0xFF introduces a u16 length.
// nullopt when the prefix or the string overruns `end`; nothing is read past it.
std::optional<QByteArray> read(const char *data, qsizetype size, qsizetype &pos);

} // namespace SeaCat::Vle
