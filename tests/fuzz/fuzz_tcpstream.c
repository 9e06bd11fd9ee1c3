/* fuzz_tcpstream.c: libFuzzer program for the tcpstream target (target_tcpstream.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_tcpstream(data, size);
}
