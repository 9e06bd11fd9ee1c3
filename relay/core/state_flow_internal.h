/* state_flow_internal.h: state_flow.c's part of struct relay and its calls: the states held
 * for the tick and when they are due. Private to relay/core/: core.h includes it, composing
 * struct relay of its parts, and only state_flow.c writes them. */
#ifndef RICOCHET_CORE_STATE_FLOW_INTERNAL_H
#define RICOCHET_CORE_STATE_FLOW_INTERNAL_H

/* BY_STATE_FLOW_C marks what state_flow.c alone writes: const in every other
 * file in the writers check (sys/writer.h; state_flow.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_STATE_FLOW_C
#define BY_STATE_FLOW_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

#define TICK_QUEUE 4096           /* states held per tick; a full queue fans out early */
#define TICK_ARENA (TICK_QUEUE * 64) /* bytes of held states (padding kept) */

/* A state held for the end of the tick (cfg.tick_us > 0), or in a world
 * for each group of receivers' end of the world's tick. */
struct relay_held {
    uint32_t peer;  /* sender's handle */
    uint32_t id;    /* sender's relay id when received: skipped if it changed */
    uint8_t mode;   /* the mode it came in (enum proto_mode): its way down */
    bool world;     /* a world's state: goes to each group of receivers in turn */
    uint16_t len;
    uint32_t seq;   /* the state's, decoded when it arrived (a world's tick keeps
                       each sender's newest) */
    uint32_t off;   /* bytes, stamped, at held_bytes + off */
    uint64_t due_us; /* a room's: the end of its tick it arrived in; a world's: when it
                        arrived (for its tick: relay_arrived's after_us) */
    uint64_t arrived_us; /* by when it arrived (relay_arrived's by_us), for its age */
    uint64_t served; /* a world's: the groups (bit g: core_world_group) it went to */
};

/* A world's receivers fan out in groups, each at its own phase of the
 * world's tick (world_tick / 5 ms groups, at most this many): the peers
 * whose handles share a word of the sight bitsets are one group, group
 * (handle / 64) mod groups. */
#define CORE_WORLD_GROUPS_MAX 64

/* What state_flow.c holds between calls: the states held for the tick
 * and when they are due. Only state_flow.c writes it (core_flow_alloc
 * included); the others read world_groups (core_world_group). */
struct core_flow {
    BY_STATE_FLOW_C struct relay_held *held; /* TICK_QUEUE states awaiting the tick's end */
    uint32_t nheld;
    BY_STATE_FLOW_C uint8_t *held_bytes; /* TICK_ARENA */
    size_t held_used;
    uint64_t tick_due_us;       /* the earliest held room state's due_us (UINT64_MAX:
                                   none) */
    uint32_t world_groups;      /* a world's groups of receivers (0: no world tick) */
    uint64_t world_due_us;      /* the next end of a world group's tick that has a held
                                   state due (UINT64_MAX: none) */
    uint64_t arrived_after_us;  /* relay_arrived: the batch's earliest arrival */
    uint64_t arrived_by_us;     /* relay_arrived: the batch's latest arrival */
    BY_STATE_FLOW_C uint32_t *by_edge; /* scratch, max_room_size: recipients grouped by edge */
};

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
