#include "cryptothread.h"

#include <openssl/crypto.h>

namespace SeaCat {

void releaseThreadCryptoState()
{
    OPENSSL_thread_stop();
}

} // namespace SeaCat
