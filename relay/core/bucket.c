/* bucket.c: token buckets counted in millionths (see core.h), for each
 * peer's rate limit (rate.c) and its error budget (send.c). */
#include "core.h"

void core_bucket_refill(uint64_t *tokens, uint64_t *last_us, uint64_t now_us,
                        uint64_t rate, uint64_t cap)
{
    uint64_t elapsed = now_us > *last_us ? now_us - *last_us : 0;
    if (elapsed > 1000ull * MICRO)
        elapsed = 1000ull * MICRO; /* anything longer refills fully anyway */
    *tokens += elapsed * rate;
    if (*tokens > cap * MICRO)
        *tokens = cap * MICRO;
    if (now_us > *last_us)
        *last_us = now_us;
}
