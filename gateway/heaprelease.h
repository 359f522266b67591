// Freed heap memory handed back to the system once a lot of it has piled up.
#pragma once

#include <QtGlobal>

namespace SeaCat {

// glibc returns freed memory to the system only from the top of each heap; what is freed
// between live allocations stays resident: the scratch of a burst of concurrent TLS handshakes
// (tens of KiB each), the output queued for sessions that went. When more than `thresholdBytes`
// of the heap are free, this gives the free pages back (malloc_trim); otherwise it only reads
// the allocator's counters. Called from a timer in the engine thread.
void releaseFreeHeap(qint64 thresholdBytes);

} // namespace SeaCat
