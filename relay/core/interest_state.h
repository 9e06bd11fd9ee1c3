/* interest_state.h: interest.c's part of struct relay: a room's grid, a member's sight and
 * position.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_INTEREST_STATE_H
#define RICOCHET_CORE_INTEREST_STATE_H

/* BY_INTEREST_C marks what interest.c alone writes: const in every other
 * file in the writers check (sys/writer.h; interest.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_INTEREST_C
#define BY_INTEREST_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* A room with interest (interest.c): its members' positions in a hash grid
 * of square cells as wide as the radius (everyone within it of a member is
 * in the 3 x 3 cells around). */
struct core_grid {
    float radius;      /* members within it come into sight */
    float leave;       /* beyond it (radius x PROTO_AOI_LEAVE) they go out of sight */
    uint32_t mask;     /* buckets - 1, a power of two */
    BY_INTEREST_C uint32_t *head; /* each bucket's first peer, UINT32_MAX: none */
};

/* A member of a room with interest: its bucket, and whom it sees: a bitset
 * over peer handles, symmetric (a sees b exactly when b sees a). */
struct core_sight {
    bool placed;       /* in the grid: it sent a state */
    uint32_t bucket, prev;
    BY_INTEREST_C uint64_t *sees; /* peer_cap bits; NULL outside a room with interest */
};

/* Where the relay last saw a member of a room with interest (its newest
 * state) and the next in its bucket's list: apart from struct relay_peer,
 * one small array by handle, since a move reads those of a hundred others. */
struct core_spot {
    float x, y;
    uint32_t next;
};

#endif
