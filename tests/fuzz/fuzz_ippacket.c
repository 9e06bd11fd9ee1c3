/* fuzz_ippacket.c: libFuzzer program for the ippacket target (target_ippacket.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_ippacket(data, size);
}
