/* clocksync.c: clock offset to the relay and corrected one-way latency
 * (see clocksync.h). */
#include "clocksync.h"

int clock_sync_sample(struct clock_sync *c, uint64_t sent_us, uint64_t relay_us,
                      uint64_t recv_us)
{
    if (recv_us < sent_us || relay_us == 0)
        return -1;
    uint64_t rtt = recv_us - sent_us;
    bool stale = c->valid && recv_us - c->at_us > CLOCK_SYNC_MAX_AGE_US;
    if (c->valid && !stale && rtt / 2 >= c->bound_us)
        return 0;
    c->valid = true;
    c->offset_us = (int64_t)(relay_us - (sent_us + rtt / 2));
    c->bound_us = (rtt + 1) / 2;
    c->at_us = recv_us;
    return 1;
}

static uint64_t abs64(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

bool clock_sync_latency(const struct clock_sync *mine, const struct clock_sync *sender,
                        uint64_t send_us, uint64_t recv_us, int64_t *latency_us,
                        uint64_t *bound_us)
{
    int64_t raw = (int64_t)(recv_us - send_us);
    *latency_us = raw;
    *bound_us = 0;
    if (!mine->valid || !sender->valid)
        return false;
    /* my clock - sender's clock = sender's offset - mine */
    int64_t diff = sender->offset_us - mine->offset_us;
    uint64_t bounds = mine->bound_us + sender->bound_us;
    if (abs64(diff) > bounds) {
        *bound_us = bounds;
        *latency_us = raw - diff;
    } else {
        *bound_us = abs64(diff) + bounds;
    }
    return true;
}
