/* fuzz_pollwire.c: libFuzzer program for the pollwire target (target_pollwire.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_pollwire(data, size);
}
