#include "heaprelease.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace SeaCat {

void releaseFreeHeap(qint64 thresholdBytes)
{
#ifdef __GLIBC__
    if (qint64(mallinfo2().fordblks) > thresholdBytes)
        malloc_trim(0);
#else
    Q_UNUSED(thresholdBytes);
#endif
}

} // namespace SeaCat
