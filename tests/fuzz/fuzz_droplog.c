/* fuzz_droplog.c: libFuzzer program for netsim's drop log as the audit reads it. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_droplog(data, size);
}
