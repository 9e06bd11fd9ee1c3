/* fuzz_quicedge.c: libFuzzer program for the QUIC edge past the handshake. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_quicedge(data, size);
}
