/* keeps.h: what the directory thread is to write of the rooms this relay
 * holds (proto/FLEET.md, *keep*): each room's members and record as the
 * loop last gave them, the latest of each room only, within
 * FLEET_KEEP_PENDING_BYTES, written through the directory when it answers.
 *
 * The directory thread's alone: not thread-safe. */
#ifndef RICOCHET_FLEET_KEEPS_H
#define RICOCHET_FLEET_KEEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"

struct keeps;

/* NULL out of memory. */
struct keeps *keeps_create(void);
void keeps_destroy(struct keeps *k); /* NULL is fine */

/* room's members (n player ids, PROTO_PLAYER_LEN hex digits each back to
 * back, malloc'd or NULL) and record (malloc'd JSON, NULL: as given
 * before), both taken over, over any not written yet for the room. A record
 * past what waits already (FLEET_KEEP_PENDING_BYTES) is dropped and said,
 * the members still go. */
void keeps_put(struct keeps *k, const char *room, char *members, uint32_t n, char *record);

/* How many rooms wait to be written. */
size_t keeps_waiting(const struct keeps *k);

/* Writes each room waiting whose claim held(ctx, room) names (NULL: not
 * this relay's any more, dropped) through d. Returns 0, or -1 with err if
 * the directory stopped answering (the rooms not written yet wait). */
int keeps_write(struct keeps *k, struct directory *d,
                const struct fleet_claim *(*held)(void *ctx, const char *room), void *ctx,
                char *err, size_t err_cap);

#endif
