/* fuzz_roomrecord.c: libFuzzer program for a room's record as the relay reads it back. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_roomrecord(data, size);
}
