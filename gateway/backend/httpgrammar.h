// HTTP/1.1's grammar (RFC 9110, RFC 9112, RFC 3986 characters), written once for what the
// gateway sends to backends and what it accepts back from them.
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <algorithm>
#include <array>
#include <optional>

namespace SeaCat::Http {

constexpr bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
constexpr bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool isHex(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool isCtl(char c)
{
    return uchar(c) < 0x20 || c == 0x7F;
}

// RFC 9110 §5.6.2. A table, not a search per character: this runs over every header name
// of every request, twice (mapping, then the head writer).
inline bool isToken(QByteArrayView text)
{
    static constexpr auto tchar = [] {
        std::array<bool, 256> table{};
        for (int c = 0; c < 256; ++c)
            table[size_t(c)] = isAlpha(char(c)) || isDigit(char(c));
        for (const char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
            table[uchar(c)] = true;
        return table;
    }();
    return !text.isEmpty() && std::all_of(text.cbegin(), text.cend(), [](char c) { return tchar[uchar(c)]; });
}

// RFC 9110 §5.5: no CTL but HTAB (obs-text is allowed and passed on): nothing in a value can
// end its line.
inline bool isFieldValue(QByteArrayView value)
{
    return std::none_of(value.cbegin(), value.cend(), [](char c) { return isCtl(c) && c != '\t'; });
}

// RFC 9110 §8.6: 1*DIGIT ("+5", " 5" and "0x5" are not lengths); at most 18 digits, so it fits.
inline std::optional<qint64> parseContentLength(QByteArrayView value)
{
    if (value.isEmpty() || value.size() > 18 || !std::all_of(value.cbegin(), value.cend(), isDigit))
        return std::nullopt;
    return value.toLongLong();
}

// Case-insensitive equality of a header name with a lower-case one, without a lower-case copy.
inline bool nameIs(QByteArrayView name, QByteArrayView lower)
{
    return name.size() == lower.size() && name.compare(lower, Qt::CaseInsensitive) == 0;
}

} // namespace SeaCat::Http
