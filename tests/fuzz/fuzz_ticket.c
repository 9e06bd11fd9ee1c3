/* fuzz_ticket.c: libFuzzer program for tickets and sealed messages. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_ticket(data, size);
}
