/* fuzz_flowscan.c: libFuzzer program for netsim reading a flow's datagrams. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_flowscan(data, size);
}
