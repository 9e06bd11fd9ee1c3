/* fuzz_http.c: libFuzzer program for the relay's HTTP front. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_http(data, size);
}
