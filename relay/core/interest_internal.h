/* interest_internal.h: interest.c's calls, on a room's grid, a member's sight
 * and position (its part of struct relay: interest_state.h, which core.h
 * includes). Private to relay/core/: a core file includes it when it calls
 * interest.c, and only then. */
#ifndef RICOCHET_CORE_INTEREST_INTERNAL_H
#define RICOCHET_CORE_INTEREST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interest_state.h"

struct relay;
struct relay_room; /* rooms_state.h */

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
