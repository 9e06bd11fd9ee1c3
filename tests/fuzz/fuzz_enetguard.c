/* fuzz_enetguard.c: libFuzzer program for the enetguard target (target_enetguard.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_enetguard(data, size);
}
