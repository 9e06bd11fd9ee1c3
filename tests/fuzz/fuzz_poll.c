/* fuzz_poll.c: libFuzzer program for the poll target (target_poll.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_poll(data, size);
}
