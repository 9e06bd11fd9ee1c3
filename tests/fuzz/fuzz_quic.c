/* fuzz_quic.c: libFuzzer program for what the QUIC edge reads itself. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_quic(data, size);
}
