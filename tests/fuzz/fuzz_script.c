/* fuzz_script.c: libFuzzer program for room scripts on the relay core. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_script(data, size);
}
