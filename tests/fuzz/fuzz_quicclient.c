/* fuzz_quicclient.c: libFuzzer program for libricochet's QUIC transport past the handshake. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_quicclient(data, size);
}
