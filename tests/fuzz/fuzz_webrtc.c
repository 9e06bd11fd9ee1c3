/* fuzz_webrtc.c: libFuzzer program for the WebRTC edge's readers. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_target_webrtc(data, size);
}
