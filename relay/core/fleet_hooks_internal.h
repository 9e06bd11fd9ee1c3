/* fleet_hooks_internal.h: fleet_hooks.c's calls: a fleet's say on joins: parked
 * joins, moved, rooms moved or held. Private to relay/core/: a core file
 * includes it when it calls fleet_hooks.c, and only then. */
#ifndef RICOCHET_CORE_FLEET_HOOKS_INTERNAL_H
#define RICOCHET_CORE_FLEET_HOOKS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* A valid join (for who's room, which this relay does not have): asks the
 * fleet's place hook; a parked join keeps a copy of who and m's mode. Returns true if the room may be created here; otherwise the
 * join was parked, moved or refused (*rc: the relay_on_datagram code). */
bool core_fleet_admit(struct relay *r, uint32_t peer, const struct proto_control *m,
                      const struct ticket_claims *who, uint64_t now_us, int *rc);

/* A join of any room (who's room: the prefix) while a fleet's directory
 * keeps the rooms: parked until it picks one (relay_any_settle), or
 * refused directory_unavailable if it cannot be asked. Returns 0 or the
 * relay_on_datagram code. */
int core_fleet_any(struct relay *r, uint32_t peer, const struct proto_control *m,
                   const struct ticket_claims *who, uint64_t now_us);

/* A room this relay just created: under a fleet, its lease (the fleet's
 * lease hook), else none needed. */
void core_fleet_room_created(struct relay *r, struct relay_room *room, uint64_t now_us);

/* Sends moved (room, *to) to peer and closes it (code moved). */
void core_fleet_moved(struct relay *r, uint32_t peer, const char *room,
                      const struct relay_moved_to *to);

/* Refuses a join the fleet could not place: error code, closed, counted
 * (unplaced). Returns the relay_on_datagram code. */
int core_fleet_refuse(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *why, uint64_t now_us);

#endif
