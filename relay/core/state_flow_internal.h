/* state_flow_internal.h: state_flow.c's calls, on the states held for the tick
 * and when they are due (its part of struct relay: state_flow_state.h, which
 * core.h includes). Private to relay/core/: a core file includes it when it
 * calls state_flow.c, and only then. */
#ifndef RICOCHET_CORE_STATE_FLOW_INTERNAL_H
#define RICOCHET_CORE_STATE_FLOW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state_flow_state.h"

struct relay;

/* A state of len bytes (admitted) from peer on channel with flags:
 * its mode told from them, decoded, stamped, its sender moved in interest,
 * then held for the tick or (unless stale) fanned out. Returns 0 or the
 * relay_on_datagram code. */
int core_on_state(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                  uint8_t *bytes, size_t len, uint64_t now_us);

/* Sends every held state (a full queue, shutdown, a room moved), but those
 * stale at now_us (0: none is); a world's to every group that has not had
 * it. Returns how many. */
size_t core_fan_out_held(struct relay *r, uint64_t now_us);

/* Fans out the held states whose tick has ended by now_us (relay_tick,
 * which settles what it decided). Returns how many went. */
size_t core_tick(struct relay *r, uint64_t now_us);

/* Sends a member's held states now, before it leaves its room (its left
 * notice follows them). */
void core_fan_out_leaver(struct relay *r, uint32_t peer);

/* peer's last state forgotten: it joins, or leaves its room. */
void core_last_forget(struct relay *r, uint32_t peer);

/* Sets up r->flow for r->cfg: nothing held, the world's groups, the
 * queue and its arena with a tick. Returns 0 or -1 (out of memory);
 * core_flow_free frees what it allocated. */
int core_flow_alloc(struct relay *r);
void core_flow_free(struct relay *r);

#endif
