// OpenSSL's state per thread, released at a known point. No OpenSSL types here: the engine
// includes this header (tests/check_layering.sh).
#pragma once

namespace SeaCat {

// Frees the calling thread's OpenSSL state now: its error queue and its two random generators
// (EVP_RAND_CTX, ~9 KiB, created by the first key, serial or handshake on that thread).
// OpenSSL would free them in a thread-exit handler, but QThread::wait() returns before that
// handler runs, so a process that exits right after stopping the engine thread lost them
// (LeakSanitizer's libcrypto report at shutdown). Harmless to call more than once; OpenSSL
// creates the state again if the thread uses it later.
void releaseThreadCryptoState();

} // namespace SeaCat
