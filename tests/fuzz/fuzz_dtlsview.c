/* fuzz_dtlsview.c: libFuzzer program for the dtlsview target (target_dtlsview.c). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_dtlsview(data, size);
}
