// libFuzzer target for the backend response parser: a broken or hostile backend must never
// crash the gateway or make it over-read.
#include "backend/httpresponseparser.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bool head = size > 0 && (data[0] & 1);
    SeaCat::HttpResponseParser parser({[](int, const SeaCat::HeaderList &) {}, [](const char *, qsizetype) {}, [] {}},
                                      head);
    const char *bytes = reinterpret_cast<const char *>(data);
    const qsizetype chunk = size > 1 ? qsizetype(data[1] % 32) + 1 : 1;
    bool ok = true;
    for (qsizetype pos = 0; ok && pos < qsizetype(size); pos += chunk)
        ok = parser.feed(bytes + pos, qMin(chunk, qsizetype(size) - pos));
    if (ok)
        parser.finishOnClose();
    return 0;
}
