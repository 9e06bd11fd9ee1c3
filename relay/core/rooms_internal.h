/* rooms_internal.h: rooms.c's calls, on the rooms' table, and a room's slot
 * with the writer of each field (its part of struct relay: rooms_state.h, which
 * core.h includes). Private to relay/core/: a core file includes it when it
 * calls rooms.c, and only then. */
#ifndef RICOCHET_CORE_ROOMS_INTERNAL_H
#define RICOCHET_CORE_ROOMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms_state.h"

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

/* How many members room may hold: --max-room-size, and without interest
 * at most a welcome's roster (everyone lists everyone); at most its
 * creator's size. */
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
 * takes only its creator. Returns 0 or the refusal's code (room_closed). */
int core_room_admits(struct relay *r, uint32_t peer, const struct relay_room *room,
                     uint64_t now_us);

/* A room just made by peer's join m: its settings from the join (as
 * core_room_ask_keep takes them), peer's player its creator. */
void core_room_settle(struct relay *r, uint32_t peer, struct relay_room *room,
                      const struct proto_control *m);

/* leaver is leaving room (still a member): if its player made the room
 * (or was handed it), the member in it longest (the lowest id) changes it
 * from now on. Returns that member's peer, or UINT32_MAX (no change). */
uint32_t core_room_creator_leaves(struct relay *r, struct relay_room *room, uint32_t leaver);

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
 * peer's player made the room. Refused: not a member (not_joined), not its
 * creator (not_creator), past the byte budget (rate_limited). Returns 0 or
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
