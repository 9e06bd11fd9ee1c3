/* fuzz_localhttp.c: libFuzzer program for what the local HTTP servers read. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_localhttp(data, size);
}
