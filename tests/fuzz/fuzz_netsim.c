/* fuzz_netsim.c: libFuzzer program for the netsim core. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_netsim(data, size);
}
