/* clocksync.h: a client's estimate of its clock offset to the relay, and
 * one-way latency between two clients that each know theirs.
 *
 * Method (PROTOCOL.md, "Clock offset"): the client pings with its clock t0;
 * the relay answers with its clock r; the pong arrives at t1. Whatever the
 * split of the round trip, r was read between t0 and t1, so
 *   offset = r - (t0 + t1) / 2   (relay clock minus mine)
 * is wrong by at most (t1 - t0) / 2. The sample with the smallest round trip
 * has the smallest bound and is kept (a kept sample older than
 * CLOCK_SYNC_MAX_AGE_US gives way, so clock drift cannot pile up).
 *
 * Pure: all times are passed in, µs. */
#ifndef RICOCHET_CLOCKSYNC_H
#define RICOCHET_CLOCKSYNC_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_SYNC_MAX_AGE_US 60000000u /* 60 s */

struct clock_sync {
    bool valid;
    int64_t offset_us;  /* relay clock - my clock */
    uint64_t bound_us;  /* |error of offset_us| <= this: half the round trip */
    uint64_t at_us;     /* my clock when the kept sample arrived */
};

/* One ping/pong: sent_us and recv_us on my clock, relay_us on the relay's.
 * Returns 1 if the estimate changed, 0 if kept, -1 for an impossible
 * sample (recv before sent, or a relay clock of 0). */
int clock_sync_sample(struct clock_sync *c, uint64_t sent_us, uint64_t relay_us,
                      uint64_t recv_us);

/* One-way latency of a state sent at send_us on the sender's clock and
 * received at recv_us on mine, given both offsets to the relay, into
 * *latency_us. When they differ by more than their bounds together, the
 * clocks differ: the latency is corrected, *bound_us = the two bounds.
 * Otherwise the clocks are taken as one (same host: exactly as without
 * correction) and *bound_us = |offset difference| + both bounds.
 * Returns false while either offset is unknown: then *latency_us is
 * recv_us - send_us, right only if the two share a clock, and *bound_us = 0;
 * such a latency is not to be recorded (PROTOCOL.md, "Clock offset"). */
bool clock_sync_latency(const struct clock_sync *mine, const struct clock_sync *sender,
                        uint64_t send_us, uint64_t recv_us, int64_t *latency_us,
                        uint64_t *bound_us);

#endif
