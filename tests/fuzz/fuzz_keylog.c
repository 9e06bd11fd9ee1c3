/* fuzz_keylog.c: libFuzzer program for the clients' key log as netsim reads it. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_keylog(data, size);
}
