// How much memory a socket keeps between uses of its buffers. Uses Qt's private API (as
// intake/tlslistener.cpp does; CMakeLists.txt pins the Qt minor version for it).
#pragma once

class QAbstractSocket;

namespace SeaCat {

// Qt keeps one emptied chunk in each buffer of a socket for its next use (16 KiB for reading,
// up to 32 KiB for writing), on a TLS socket and again on the plain socket under it, for as
// long as the connection lives: a request head written to a backend left 32 KiB behind per
// backend connection (docs/performance.md "Memory per connection"). After this, a buffer keeps
// no chunk once emptied, and the emptied chunks held now are freed. For a QSslSocket the plain
// socket under it is trimmed too, once it exists (call again after connecting).
void trimSocketBuffers(QAbstractSocket *socket);

} // namespace SeaCat
