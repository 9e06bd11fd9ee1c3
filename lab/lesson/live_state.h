/* live_state.h: a state's hops for GET /state (live_state.c). */
#ifndef RICOCHET_LIVE_STATE_H
#define RICOCHET_LIVE_STATE_H

#include <stdint.h>
#include <stdio.h>

struct live_lane_snap;
struct live_mark;

/* t_us - t0_us in ms (negative before t0_us). */
double live_ms_since(uint64_t t_us, uint64_t t0_us);

/* Hop d (0 up, 1 down) of state m of lane s as GET /state's "hops" item:
 * netsim's lines of it, a stream's segments over its frame, and "held":
 * on an ordered flow (a stream, a reliable channel), the dropped segment
 * ("start", "end"; "at_sender": it left late) or state ("seq", "sender")
 * it waited behind, when netsim dropped it and when it crossed again
 * (ms from t0); null when nothing held it. */
void live_hop_json(FILE *f, const struct live_lane_snap *s, const struct live_mark *m, int d,
                   uint64_t t0);

#endif
