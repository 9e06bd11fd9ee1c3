/* fuzz_quicview.c: libFuzzer program for the quicview target (target_quicview.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_quicview(data, size);
}
