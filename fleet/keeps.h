/* keeps.h: the holder's copy of what the directory keeps of its rooms
 * (proto/FLEET.md, *keep*), the source the directory's copy is written
 * from: each held room's latest record, with the version this relay gave
 * it (raised at each change, above the version the room came with), and
 * its members. What changed is written through the directory; everything
 * is written again on a new connection (Redis may have restarted empty, or
 * a failover lost its last writes), even where the room's claim is gone;
 * a room let go while the directory did not answer is kept until its
 * record is restored. Each room counts against the operator's budget at
 * what it costs Redis (schema.h's FLEET_COST_*): a record past the budget
 * is not taken, and a relay at it takes no new room.
 *
 * The directory thread's alone: not thread-safe. */
#ifndef RICOCHET_FLEET_KEEPS_H
#define RICOCHET_FLEET_KEEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"

struct keeps;

/* budget: bytes the rooms kept may cost Redis. NULL out of memory. */
struct keeps *keeps_create(size_t budget);
void keeps_destroy(struct keeps *k); /* NULL is fine */

/* room's members (n player ids, PROTO_PLAYER_LEN hex digits each back to
 * back, malloc'd or NULL) and record (malloc'd JSON, NULL: unchanged), both
 * taken over; a record raises the room's version. A record that would take
 * the copies past the budget is not taken (freed, said once for the room:
 * the one before stays, here and in the directory); the members always
 * are. Returns false if the record was not taken. */
bool keeps_put(struct keeps *k, const char *room, char *members, uint32_t n, char *record);

/* room was placed here with the record the directory kept at version: the
 * room's next version goes above it. */
void keeps_seed(struct keeps *k, const char *room, uint64_t version);

/* room is not this relay's any more (it ended, moved or was handed over):
 * its copy goes. */
void keeps_drop(struct keeps *k, const char *room);

/* The relay let room go while the directory did not answer, under claim:
 * its copy stays, written back (a restore) where no live relay holds the
 * room and the directory keeps no newer record, then it goes. A room with
 * no record known goes at once. */
void keeps_let_go(struct keeps *k, const struct fleet_claim *claim);

/* Every copy to be written again, also where its room's claim is gone or
 * its holder dead (a new connection). */
void keeps_rewrite(struct keeps *k);

/* How many rooms wait to be written. */
size_t keeps_waiting(const struct keeps *k);

/* What the copies cost Redis, and whether it fills the budget (no new room). */
size_t keeps_bytes(const struct keeps *k);
bool keeps_full(const struct keeps *k);

/* What keeps_write did. */
enum keeps_written {
    KEEPS_WRITTEN,     /* every room waiting (or the directory said it is not ours) */
    KEEPS_UNREACHABLE, /* the directory stopped answering: err; the rest wait */
    KEEPS_REDIS_FULL   /* Redis is past its maxmemory: err; the rest wait */
};

/* Writes each room waiting through d: a held room's (held(ctx, room): its
 * claim, NULL: not this relay's any more, dropped) under its claim, one let
 * go as a restore. */
enum keeps_written keeps_write(struct keeps *k, struct directory *d,
                               const struct fleet_claim *(*held)(void *ctx, const char *room),
                               void *ctx, char *err, size_t err_cap);

#endif
