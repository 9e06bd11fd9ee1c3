/* interest_internal.h: interest.c's part of struct relay and its calls: a room's grid, a
 * member's sight and position. Private to relay/core/: core.h includes it, composing struct
 * relay of its parts, and only interest.c writes them. */
#ifndef RICOCHET_CORE_INTEREST_INTERNAL_H
#define RICOCHET_CORE_INTEREST_INTERNAL_H

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

struct relay;
struct relay_room; /* rooms_internal.h */

/* Gives room interest within radius (PROTO_AOI_MIN..PROTO_AOI_MAX). Returns
 * 0, or -1 out of memory. */
int core_interest_open(struct relay *r, struct relay_room *room, float radius);

/* Frees room's grid, if it has one. */
void core_interest_close(struct relay_room *room);

/* Allocates r->spots for cfg.peer_cap peers. Returns 0 or -1 (out of
 * memory); core_spots_free frees them. */
int core_spots_alloc(struct relay *r);
void core_spots_free(struct relay *r);

/* peer joins a room with interest: it sees no one until its first state.
 * Returns 0, or -1 out of memory. */
int core_interest_join(struct relay *r, uint32_t peer);

/* peer leaves its room with interest: out of everyone's sight and the
 * grid (nothing is sent: the left notice is the caller's). */
void core_interest_leave(struct relay *r, uint32_t peer);

/* Frees peer's sight without touching the others' (its whole room goes). */
void core_interest_forget(struct relay *r, uint32_t peer);

/* peer's newest state puts it at (x, y): the grid and who sees whom
 * follow, each change told to both sides (appeared, vanished). Nothing
 * outside a room with interest. */
void core_interest_move(struct relay *r, uint32_t peer, float x, float y);

/* The handles of those who see peer, into out (room size entries).
 * Returns how many. */
size_t core_interest_seers(const struct relay *r, uint32_t peer, uint32_t *out);

/* Those who see peer among the world groups in `groups` (a mask of
 * core_world_group bits), into out. Returns how many. */
size_t core_interest_seers_in(const struct relay *r, uint32_t peer, uint64_t groups,
                              uint32_t *out);

/* Sends r->out to those who know peer is there: the members who see it in
 * a room with interest, else every other member of its room; from as
 * core_send_bytes's (peer for its own clock, UINT32_MAX for a notice). */
void core_send_out_near(struct relay *r, uint32_t peer, uint32_t from);

/* The same, and to also (UINT32_MAX: none) if it is not among them. */
void core_send_out_near_and(struct relay *r, uint32_t peer, uint32_t from, uint32_t also);

#endif
