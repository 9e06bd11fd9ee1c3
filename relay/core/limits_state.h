/* limits_state.h: limits.c's part of struct relay: each peer's rate limit and byte
 * budget, the addresses kicked recently; decisions, no sends.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_LIMITS_STATE_H
#define RICOCHET_CORE_LIMITS_STATE_H

/* BY_LIMITS_C marks what limits.c alone writes: const in every other
 * file in the writers check (sys/writer.h; limits.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_LIMITS_C
#define BY_LIMITS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* A peer's rate limit and byte budget: only limits.c writes them (a
 * connection's start too, core_limits_start; peers.c zeroes a slot set
 * free). */
struct core_peer_limits {
    uint64_t tokens;         /* rate bucket, millionths of a datagram */
    uint64_t last_us;        /* last refill */
    uint64_t streak_us;      /* first drop of the current abuse streak, 0 = none */
    uint64_t last_drop_us;
    uint64_t streak_drops;
    uint64_t warned_us;      /* last rate_limited error, 0 = never */
    int64_t budget;          /* bytes it may still make the relay send into its room
                                (byte_limit, byte_burst); below 0: over, until refilled */
    uint64_t budget_us;      /* its last refill */
    uint32_t flush;          /* datagrams it may still send over its rate: a member
                                come from another relay re-sends what it held */
    uint64_t flush_until_us; /* ... until then */
};

/* A source kicked recently: connections from it are refused until
 * until_us. A small table: when full, the entry closest to expiry goes. */
struct relay_ban {
    uint64_t source;         /* relay_peer.source; 0 = free */
    uint64_t until_us;
};

#endif
