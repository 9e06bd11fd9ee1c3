/* relay_fleet_rooms.h: the rooms a relay of a fleet makes again from the
 * record the directory kept of them (proto/FLEET.md, *place*, The record),
 * and the members each had on its last relay: they take their places back
 * in it, closed or not, and count as its members for the directory, for
 * FLEET_PLACED_HOLD_US. Every call is the loop's (relay_fleet.c). */
#ifndef RICOCHET_RELAY_FLEET_ROOMS_H
#define RICOCHET_RELAY_FLEET_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/dirthread.h"

#define FLEET_PLACED_HOLD_US 60000000 /* a room's members from its last relay, kept */

struct relay;
struct placed_room;

/* At most cap rooms (a new one past them pushes the oldest out). */
struct fleet_placed {
    struct placed_room *at;
    size_t n, cap;
};

/* Returns 0, or -1 out of memory; fleet_placed_free frees (also one that
 * failed). */
int fleet_placed_init(struct fleet_placed *p, size_t cap);
void fleet_placed_free(struct fleet_placed *p);

/* The room of m (FLEET_PLACED with its record) made again in r from the
 * record, empty and held (relay_room_restore), now_us the core's clock;
 * the members it had (m's, taken over) kept until boot_us +
 * FLEET_PLACED_HOLD_US. False, said, if the record cannot be applied (the
 * joins then make the room as a new one). */
bool fleet_placed_restore(struct fleet_placed *p, struct relay *r, struct fleet_msg *m,
                          uint64_t now_us, uint64_t boot_us);

/* Was player (PROTO_PLAYER_LEN hex digits) a member of room before it
 * was made here? */
bool fleet_placed_was_member(const struct fleet_placed *p, const char *room,
                             const char *player);

/* room's members forgotten (it ended or moved on); and those past their
 * time at boot_us. */
void fleet_placed_drop(struct fleet_placed *p, const char *room);
void fleet_placed_due(struct fleet_placed *p, uint64_t boot_us);

/* A FLEET_KEEP for room into *m: its members (n ids back to back) and
 * those it had on its last relay, each once, FLEET_KEEP_MEMBERS at most;
 * a copy of record (NULL: none). Returns false out of memory (*m empty). */
bool fleet_placed_keep(const struct fleet_placed *p, const char *room, const char *members,
                       uint32_t n, const char *record, struct fleet_msg *m);

#endif
