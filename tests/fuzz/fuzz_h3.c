/* fuzz_h3.c: libFuzzer program for WebTransport's HTTP/3 (proto/h3.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_h3(data, size);
}
