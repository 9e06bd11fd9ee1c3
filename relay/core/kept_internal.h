/* kept_internal.h: kept.c's calls: a room's kept events (PROTOCOL.md,
 * "Kept events"), the newest per key in arrival order, within
 * CORE_KEPT_BYTES; replayed to each joiner after its welcome (join_cost.c).
 * Private to relay/core/: the store is the room's (struct relay_room's
 * kept), written only by kept.c. */
#ifndef RICOCHET_CORE_KEPT_INTERNAL_H
#define RICOCHET_CORE_KEPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/player.h"
#include "proto/room_record.h"
#include "proto/wire.h"

struct relay_room;

#define CORE_KEPT_BYTES PROTO_ROOM_KEPT_BYTES /* a room's kept events, each counted whole
                                               (as resent); a record holds as many */

/* Keeps a kept event for room as owner's (its sender's id) and keeper's
 * (its sender's player id, PROTO_PLAYER_LEN hex digits): bytes, len as it
 * goes out (sender stamped), e decoded from them. It replaces the room's
 * event of the same key and goes last; with an empty body it clears the
 * key. Whether the sender may is the caller's to check (core_kept_keeper).
 * Returns 0, -1 if it would take the room past CORE_KEPT_BYTES, -2 out of
 * memory (nothing changed on either). */
int core_kept_put(struct relay_room *room, uint32_t owner, const char *keeper,
                  const struct proto_event *e, const uint8_t *bytes, size_t len);

/* Is e's key kept in room? Then its keeper's player id into keeper. */
bool core_kept_keeper(const struct relay_room *room, const struct proto_event *e,
                      char keeper[PROTO_PLAYER_LEN + 1]);

/* Adds room's stay events, in order, with their keepers, to rec (a room's
 * record: the others are their senders' while they are members). Returns
 * 0, or -1 (rec full: never, as both hold the same bound). */
int core_kept_record(const struct relay_room *room, struct proto_room_record *rec);

/* Keeps rec's events in room (empty), in order, each its keeper's, sent by
 * no member (sender 0 in the store). Returns 0 or core_kept_put's code. */
int core_kept_restore(struct relay_room *room, const struct proto_room_record *rec);

/* Drops owner's kept events in room but those sent with stay: its member
 * left the room. */
void core_kept_leave(struct relay_room *room, uint32_t owner);

/* Walks room's kept events in order, each as a joiner gets it (marked
 * kept): *at 0 to start; the next one's bytes and length, and its keeper's
 * player id into keeper (NULL: not wanted), *at moved past it; false
 * after the last. A replay copies them (join_cost.c); a script reads them
 * (scripted_port.c). */
bool core_kept_next(const struct relay_room *room, size_t *at, const uint8_t **bytes,
                    size_t *len, char keeper[PROTO_PLAYER_LEN + 1]);

/* The bytes room's kept events count (the bound's measure), and the bytes
 * its store holds in memory (0 and 0: none). */
size_t core_kept_counted(const struct relay_room *room);
size_t core_kept_memory(const struct relay_room *room);

/* Frees room's store: the room ends. */
void core_kept_close(struct relay_room *room);

#endif
