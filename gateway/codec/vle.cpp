#include "vle.h"

namespace SeaCat::Vle {

bool append(QByteArray &out, const QByteArray &value)
{
    const qsizetype n = value.size();
    if (n > MaxLength)
        return false;
    if (n <= 0xF9) {
        out.append(char(n));
    } else {
        out.append(char(0xFF));
        out.append(char(n >> 8));
        out.append(char(n & 0xFF));
    }
    out.append(value);
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
