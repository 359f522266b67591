#include "vle.h"

#include <cstring>

namespace SeaCat::Vle {

bool append(QByteArray &out, const QByteArray &value)
{
    const qsizetype n = value.size();
    if (n > MaxLength)
        return false;
    // One resize and a copy, not three or four appends: this runs for every header name and
    // value of every frame, and each QByteArray::append cost more than the bytes it copied.
    const qsizetype prefix = n <= 0xF9 ? 1 : 3;
    const qsizetype at = out.size();
    out.resize(at + prefix + n);
    char *p = out.data() + at;
    if (prefix == 1) {
        *p++ = char(n);
    } else {
        *p++ = char(0xFF);
        *p++ = char(n >> 8);
        *p++ = char(n & 0xFF);
    }
    if (n > 0)
        memcpy(p, value.constData(), size_t(n));
    return true;
}

std::optional<QByteArray> read(const char *data, qsizetype size, qsizetype &pos)
{
    if (pos >= size)
        return std::nullopt;
    qsizetype length = quint8(data[pos]);
    qsizetype next = pos + 1;
    if (length == 0xFF) {
        if (size - next < 2)
            return std::nullopt;
        length = (qsizetype(quint8(data[next])) << 8) | quint8(data[next + 1]);
        next += 2;
    }
    if (size - next < length)
        return std::nullopt;
    pos = next + length;
    return QByteArray(data + next, length);
}

} // namespace SeaCat::Vle
