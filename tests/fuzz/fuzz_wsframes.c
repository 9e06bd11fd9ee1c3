/* fuzz_wsframes.c: libFuzzer program for the wsframes target (target_wsframes.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_wsframes(data, size);
}
