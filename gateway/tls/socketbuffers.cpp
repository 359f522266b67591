#include "socketbuffers.h"

#include <QSslSocket>
#include <QtCore/private/qiodevice_p.h>
#include <QtNetwork/private/qsslsocket_p.h>

#include <algorithm>

namespace SeaCat {

namespace {
// No emptied chunk is kept: each write or read gets a chunk the size of its bytes, freed when
// they are gone. One malloc per socket read or write is cheap next to the TLS record around it;
// a kept chunk costs its size on every connection, idle or not.
constexpr int KeptChunkBytes = 0;

void trim(QIODevice *device)
{
    auto *d = static_cast<QIODevicePrivate *>(QObjectPrivate::get(device));
    auto trimBuffer = [](QRingBuffer &buffer) {
        buffer.setChunkSize(KeptChunkBytes);
        if (buffer.isEmpty())
            buffer.clear(); // frees the chunk kept for the next use
    };
    std::for_each(d->readBuffers.begin(), d->readBuffers.end(), trimBuffer);
    std::for_each(d->writeBuffers.begin(), d->writeBuffers.end(), trimBuffer);
}
} // namespace

void trimSocketBuffers(QAbstractSocket *socket)
{
    trim(socket);
    if (auto *tls = qobject_cast<QSslSocket *>(socket))
        if (QTcpSocket *plain = static_cast<QSslSocketPrivate *>(QObjectPrivate::get(tls))->plainSocket)
            trim(plain);
}

} // namespace SeaCat
