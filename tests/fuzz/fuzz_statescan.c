/* fuzz_statescan.c: libFuzzer program for statescan_datagram. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_statescan(data, size);
}
