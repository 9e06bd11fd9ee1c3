/* rooms_state.h: rooms.c's part of struct relay: the rooms' table, and a room's slot with
 * the writer of each field.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_ROOMS_STATE_H
#define RICOCHET_CORE_ROOMS_STATE_H

/* BY_ROOMS_C marks what rooms.c alone writes: const in every other
 * file in the writers check (sys/writer.h; rooms.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_ROOMS_C
#define BY_ROOMS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"
#include "proto/room_record.h"
#include "interest_state.h" /* BY_INTEREST_C */

struct core_grid; /* interest_state.h */
struct core_kept; /* kept.c */

/* What a room's creator set (PROTOCOL.md, "Rooms with properties"). */
struct core_room_settings {
    struct proto_props props;
    uint32_t size;    /* members at most (0: the relay's bound) */
    bool unlisted;    /* left out of listings and of joins of any room */
    bool closed;      /* takes no joiners (but its players taking their places back) */
    char creator[PROTO_PLAYER_LEN + 1]; /* the player whose join made it, or, once
                                           it left, the member in it longest: only
                                           it changes these */
};

/* What a join asks of its room: the settings of a room it makes, and
 * whether the room must exist (a fleet's parked join keeps it). */
struct core_room_ask {
    struct proto_props props;
    uint32_t size;
    bool unlisted, closed, exists;
};

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
    BY_INTEREST_C struct core_grid *BY_INTEREST_C grid; /* interest.c: a room with interest; NULL:
                                                           everyone sees everyone */
    struct core_kept *kept; /* kept.c: the room's kept events; NULL: none yet */
    struct core_room_settings settings; /* room_settings.c: its creator's say */
    uint64_t changed;        /* rooms.c (core_room_changed): the stamp of the last change
                                of what its record holds (r->rooms.changes then) */
    uint64_t hold_until_us;  /* room_store.c: a room made from its record waits for its
                                members until then, empty or not (0: no hold) */
    /* A fleet (fleet_hooks.c, relay_each_changed_room): its members changed
     * since they were last given out to the directory (peers.c sets it),
     * and the stamp of its record when it was. */
    bool keep_members;
    uint64_t kept_changed;
};

/* The rooms: only rooms.c writes the table (a room's own fields: struct
 * relay_room, name their writers). */
struct core_rooms {
    struct relay_room *BY_ROOMS_C at; /* max_rooms slots */
    BY_ROOMS_C uint32_t *BY_ROOMS_C by_name; /* max_rooms: the n live rooms' indices in at, in name
                                                order (strcmp: bytewise) */
    BY_ROOMS_C uint32_t n;      /* live rooms */
    BY_ROOMS_C uint64_t changes; /* changes of what the rooms' records hold, a room made or freed:
                                    each one's stamp (core_room_changed) */
    uint32_t ids_kept;          /* room_store.c: the highest sender id of the events the
                                   rooms made again from their records replay: join.c
                                   draws its new members' ids above it */
};

#endif
