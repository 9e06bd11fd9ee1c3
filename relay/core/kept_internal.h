/* kept_internal.h: kept.c's calls: a room's kept events (PROTOCOL.md,
 * "Kept events"), the newest per key in arrival order, within
 * CORE_KEPT_BYTES; replayed to each joiner after its welcome.
 * Private to relay/core/: the store is the room's (struct relay_room's
 * kept), written only by kept.c. */
#ifndef RICOCHET_CORE_KEPT_INTERNAL_H
#define RICOCHET_CORE_KEPT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../../proto/wire.h"

struct relay;
struct relay_room;

#define CORE_KEPT_BYTES 16384 /* a room's kept events, each counted whole (as resent) */

/* Keeps a kept event for room as owner's (its sender's id): bytes, len as
 * it goes out (sender stamped), e decoded from them. It replaces the
 * room's event of the same key and goes last; with an empty body it clears
 * the key. Returns 0, -1 if it would take the room past CORE_KEPT_BYTES,
 * -2 out of memory (nothing changed on either). */
int core_kept_put(struct relay_room *room, uint32_t owner, const struct proto_event *e,
                  const uint8_t *bytes, size_t len);

/* Drops owner's kept events in room but those sent with stay: its member
 * left the room. */
void core_kept_leave(struct relay_room *room, uint32_t owner);

/* Sends room's kept events to peer, in order, each marked kept. Returns
 * how many were queued. */
uint32_t core_kept_replay(struct relay *r, uint32_t peer, const struct relay_room *room);

/* The bytes room's kept events count (the bound's measure), and the bytes
 * its store holds in memory (0 and 0: none). */
size_t core_kept_counted(const struct relay_room *room);
size_t core_kept_memory(const struct relay_room *room);

/* Frees room's store: the room ends. */
void core_kept_close(struct relay_room *room);

#endif
