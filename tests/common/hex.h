#pragma once

#include <QByteArray>

// "80 03 00 06" → bytes; spaces are for the reader only.
inline QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}
