/* rooms_internal.h: rooms.c's state and calls: the rooms' table, and a room's slot with
 * the writer of each field.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_ROOMS_INTERNAL_H
#define RICOCHET_CORE_ROOMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

struct relay;
struct core_grid; /* interest_internal.h */
struct core_kept; /* kept.c */

/* A room's slot. rooms.c creates and frees it (every field then); while
 * it lives each field has one writer, named after it. */
struct relay_room {
    bool used;
    uint64_t lease_until_us; /* fleet_hooks.c: its states flow while now < this (its
                                claim's lease); UINT64_MAX: no fleet */
    char name[PROTO_ROOM_MAX + 1];
    uint32_t n;        /* members: join.c adds, peers.c takes out (and empties a room
                          at a shutdown, fleet_hooks.c a room moved) */
    uint32_t *members; /* ... peer handles, max_room_size of them */
    uint64_t states_in, states_out; /* state_flow.c: since the room was created */
    struct core_grid *grid; /* interest.c: a room with interest; NULL: everyone sees
                               everyone */
    struct core_kept *kept; /* kept.c: the room's kept events; NULL: none yet */
};

/* The rooms: only rooms.c writes the table (a room's own fields: struct
 * relay_room). */
struct core_rooms {
    struct relay_room *at;      /* max_rooms slots */
    uint32_t *by_name;          /* max_rooms: the n live rooms' indices in at, in name
                                   order (strcmp: bytewise) */
    uint32_t n;                 /* live rooms */
};

/* ---- rooms.c ---- */

/* Where name would go among the live rooms in name order (r->rooms.by_name):
 * the first whose name is not below it, or with after, above it. */
uint32_t core_room_rank(const struct relay *r, const char *name, bool after);

/* The live room called name, or NULL. O(log rooms). */
struct relay_room *core_room_find(const struct relay *r, const char *name);

/* A new empty room called name, with interest within radius aoi (0: none);
 * NULL if max_rooms are live (or out of memory). */
struct relay_room *core_room_create(struct relay *r, const char *name, float aoi);

/* How many members room may hold: --max-room-size, and without interest
 * at most a welcome's roster (everyone lists everyone). */
uint32_t core_room_cap(const struct relay *r, const struct relay_room *room);

/* Frees an empty room's slot. */
void core_room_free(struct relay *r, struct relay_room *room);

/* Allocates max_rooms free slots. Returns 0 or -1 (out of memory);
 * core_rooms_free frees them and every live room's. */
int core_rooms_alloc(struct relay *r);
void core_rooms_free(struct relay *r);

#endif
