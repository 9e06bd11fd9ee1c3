/* rooms_internal.h: rooms.c's part of struct relay and its calls: the rooms' table, and a
 * room's slot with the writer of each field. Private to relay/core/: core.h includes it,
 * composing struct relay of its parts, and only rooms.c writes them. */
#ifndef RICOCHET_CORE_ROOMS_INTERNAL_H
#define RICOCHET_CORE_ROOMS_INTERNAL_H

/* BY_ROOMS_C marks what rooms.c alone writes: const in every other
 * file in the writers check (sys/writer.h; rooms.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_ROOMS_C
#define BY_ROOMS_C ONLY_ITS_WRITER
#endif
/* A room's own fields are each one file's too: */
#ifndef BY_ROOM_SETTINGS_C
#define BY_ROOM_SETTINGS_C ONLY_ITS_WRITER
#endif
#ifndef BY_ROOM_STORE_C
#define BY_ROOM_STORE_C ONLY_ITS_WRITER
#endif
#ifndef BY_KEPT_C
#define BY_KEPT_C ONLY_ITS_WRITER
#endif
#ifndef BY_FLEET_HOOKS_C
#define BY_FLEET_HOOKS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"
#include "proto/room_record.h"
#include "interest_internal.h"   /* BY_INTEREST_C */
#include "state_flow_internal.h" /* BY_STATE_FLOW_C */
#include "lockstep_internal.h"   /* BY_LOCKSTEP_C */

struct core_grid; /* interest_internal.h */
struct core_kept; /* kept.c */

/* What a room's owner set (PROTOCOL.md, "Rooms with properties"). */
struct core_room_settings {
    struct proto_props props;
    uint32_t size;    /* members at most (0: the relay's bound) */
    bool unlisted;    /* left out of listings and of joins of any room */
    bool closed;      /* takes no joiners (but its players taking their places back) */
    char owner[PROTO_PLAYER_LEN + 1]; /* the player whose join made it, or the member
                                         it was handed to (core_room_hand_over): only it
                                         changes these */
};

/* What a join asks of its room: the settings of a room it makes, and
 * whether the room must exist (a fleet's parked join keeps it). */
struct core_room_ask {
    struct proto_props props;
    uint32_t size;
    bool unlisted, closed, exists;
};

/* A room's slot. rooms.c creates and frees it (every field then: zeroed);
 * while it lives each field has one writer, its mark. */
struct relay_room {
    BY_ROOMS_C bool used;
    BY_FLEET_HOOKS_C uint64_t lease_until_us; /* its states flow while now < this (its
                                                 claim's lease); UINT64_MAX: no fleet */
    BY_ROOMS_C char name[PROTO_ROOM_MAX + 1];
    BY_ROOMS_C uint32_t n; /* members (core_room_member_add, core_room_member_drop) */
    BY_ROOMS_C uint32_t *BY_ROOMS_C members; /* ... peer handles, max_room_size of them */
    BY_STATE_FLOW_C uint64_t states_in;  /* since the room was created */
    BY_STATE_FLOW_C uint64_t states_out; /* ... copies out, one per recipient */
    BY_INTEREST_C struct core_grid *BY_INTEREST_C grid; /* a room with interest; NULL:
                                                           everyone sees everyone */
    BY_KEPT_C struct core_kept *BY_KEPT_C kept; /* the room's kept events; NULL: none yet */
    BY_LOCKSTEP_C struct core_lockstep *BY_LOCKSTEP_C lockstep; /* a lockstep room's ticks;
                                                                 NULL: a room of states */
    BY_ROOM_SETTINGS_C struct core_room_settings settings; /* its owner's say */
    BY_ROOMS_C uint64_t changed; /* (core_room_changed) the stamp of the last change of
                                    what its record holds (r->rooms.changes then) */
    BY_ROOM_STORE_C uint64_t hold_until_us; /* a room made from its record waits for its
                                               members until then, empty or not (0: none) */
    BY_ROOM_STORE_C bool restored; /* made from its record (a --room-file's, a fleet
                                      directory's), not by a join */
    /* A fleet (relay_each_changed_room): its members changed since they were
     * last given out to the directory, and the stamp of its record when it
     * was. */
    BY_ROOMS_C bool keep_members;
    BY_FLEET_HOOKS_C uint64_t kept_changed;
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

struct relay;

/* ---- rooms.c ---- */

/* Where name would go among the live rooms in name order (r->rooms.by_name):
 * the first whose name is not below it, or with after, above it. */
uint32_t core_room_rank(const struct relay *r, const char *name, bool after);

/* The live room called name, or NULL. O(log rooms). */
struct relay_room *core_room_find(const struct relay *r, const char *name);

/* A new empty room called name, with interest within radius aoi (0: none);
 * NULL if max_rooms are live (or out of memory). */
struct relay_room *core_room_create(struct relay *r, const char *name, float aoi);

/* peer joins room's members (keep_members set), or leaves them; clear
 * forgets them all at once (a room moved, a shutdown), given says a fleet
 * gave them out. */
void core_room_member_add(struct relay_room *room, uint32_t peer);
void core_room_member_drop(struct relay_room *room, uint32_t peer);
void core_room_members_clear(struct relay_room *room);
void core_room_members_given(struct relay_room *room);

/* How many members room may hold: --max-room-size, and without interest
 * at most a welcome's roster (everyone lists everyone); at most its
 * owner's size. */
uint32_t core_room_cap(const struct relay *r, const struct relay_room *room);

/* Frees an empty room's slot. */
void core_room_free(struct relay *r, struct relay_room *room);

/* What room's record holds changed (its settings, its owner, its kept
 * events; room NULL: a room made or freed): a new stamp, which a writer of
 * the records (--room-file) reads. */
void core_room_changed(struct relay *r, struct relay_room *room);

/* ---- room_settings.c ---- */

/* A join's ask of its room from m, into a (a fleet's parked join), and back
 * (a join of any room that gives no props asks its match for a room it makes). */
void core_room_ask_keep(struct core_room_ask *a, const struct proto_control *m);
void core_room_ask_give(struct proto_control *m, const struct core_room_ask *a);

/* A join's room settings checked against the relay's bounds (a size past
 * what a room of its kind may hold: bad_field). Returns 0 or the
 * relay_on_datagram code (answered, counted). */
int core_room_ask_check(struct relay *r, uint32_t peer, const struct proto_control *m,
                        uint64_t now_us);

/* May peer (its player known) join room as a new member? A closed room
 * takes only its owner. Returns 0 or the refusal's code (room_closed). */
int core_room_admits(struct relay *r, uint32_t peer, const struct relay_room *room,
                     uint64_t now_us);

/* A room just made by peer's join m: its settings from the join (as
 * core_room_ask_keep takes them), peer's player its owner. */
void core_room_settle(struct relay *r, uint32_t peer, struct relay_room *room,
                      const struct proto_control *m);

/* leaver is leaving room (still a member): if its player owns the room,
 * the member in it longest (the lowest id) owns it from now on. Returns
 * that member's peer, or UINT32_MAX (no change). */
uint32_t core_room_owner_leaves(struct relay *r, struct relay_room *room, uint32_t leaver);

/* A room made again from its record rec: its settings and owner as kept. */
void core_room_settings_restore(struct relay_room *room, const struct proto_room_record *rec);

/* A room's props replaced, and whether it takes joiners (its script's say;
 * the caller tells its members, core_room_tell). */
void core_room_set_props(struct relay_room *room, const struct proto_props *props);
void core_room_set_open(struct relay_room *room, bool open);

/* room's owner becomes heir's player (why, for the log): the one way a
 * room changes owner. */
void core_room_hand_over(struct relay *r, struct relay_room *room, uint32_t heir,
                         const char *why);

/* The room as it is into m (a welcome, a room message from the relay):
 * its owner, props, open, listed and size (core_room_cap). */
void core_room_state(const struct relay *r, const struct relay_room *room,
                     struct proto_control *m);

/* Tells every member of room the room as it is (a room message), whatever
 * its interest (the room is every member's); its record changed. */
void core_room_tell(struct relay *r, struct relay_room *room);

/* The member of room in it longest (the lowest id) but except, or
 * UINT32_MAX. */
uint32_t core_room_eldest(const struct relay *r, const struct relay_room *room, uint32_t except);

/* Is room listed for a listing or a join of any room filtering on match
 * (NULL or empty: any)? */
bool core_room_listed(const struct relay_room *room, const struct proto_props *match);

/* A room message (m, len bytes) from peer: its room's settings changed, if
 * peer's player owns the room. Refused: not a member (not_joined), not its
 * owner (not_room_owner), past the byte budget (rate_limited). Returns 0 or
 * the relay_on_datagram code. */
int core_on_room(struct relay *r, uint32_t peer, const struct proto_control *m, size_t len,
                 uint64_t now_us);

/* ---- room_store.c ---- */

/* room's record (PROTOCOL.md, "Rooms kept"): its settings, owner, radius
 * and stay events. Returns 0, or -1 (never: the record holds what a room
 * may). */
int core_room_record_take(const struct relay *r, const struct relay_room *room,
                          struct proto_room_record *rec);

/* A room called name made from rec, empty, held for its members for
 * cfg.room_hold_s from now_us: a join finds it as it was. Returns it, or
 * NULL with why: a bad name, a room of that name here, a size past what
 * this relay's rooms of its kind take, too many rooms, out of memory. */
struct relay_room *core_room_restore(struct relay *r, const char *name,
                                     const struct proto_room_record *rec, uint64_t now_us,
                                     char *why, size_t why_cap);

/* Rooms whose hold is over at now_us: an empty one ends; one with members
 * goes on, and if its owner did not come back the member in it longest
 * owns it (told to every member). */
void core_rooms_hold_due(struct relay *r, uint64_t now_us);

/* Allocates max_rooms free slots. Returns 0 or -1 (out of memory);
 * core_rooms_free frees them and every live room's. */
int core_rooms_alloc(struct relay *r);
void core_rooms_free(struct relay *r);

#endif
