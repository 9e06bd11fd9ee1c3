/* fuzz_sourcekey.c: libFuzzer program for the source key of an address as the kernel fills it. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_sourcekey(data, size);
}
