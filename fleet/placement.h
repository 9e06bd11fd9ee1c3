/* placement.h: the relay loop's view of where rooms live (docs/design.md,
 * "Placement on the loop"): a cache of placements fed by the directory
 * thread's results, the joins parked while the thread answers, and the
 * lease on each room this relay serves. Placement is not decided here:
 * which relay holds a room is the directory's place script's answer
 * (fleet/scripts/place.lua, atomic in Redis), which this only remembers.
 *
 * Pure: time comes in as now_us (CLOCK_BOOTTIME µs, as the directory
 * thread's at_us: a lease must count time the machine was suspended),
 * messages in and decisions out; no I/O. A room is:
 *   here      this relay holds its claim (leased until a confirmation + lease_ms)
 *   elsewhere another relay holds it (trusted for cache_ms)
 *   asking    the directory thread was asked; joins for it are parked
 *   unknown   not in the table */
#ifndef RICOCHET_FLEET_PLACEMENT_H
#define RICOCHET_FLEET_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dirthread.h"
#include "schema.h"

struct placement_config {
    char instance[FLEET_INSTANCE_LEN + 1]; /* this run: which claims are ours */
    uint8_t hash_key[16];  /* keys the room table's hash (random per run) */
    uint32_t lease_ms;     /* a room stays served this long after its claim was confirmed */
    uint32_t cache_ms;     /* another relay's room is trusted this long */
    uint32_t park_ms;      /* a parked join is refused after this long */
    uint32_t park_max;     /* joins parked at once, >= 1 */
};

enum placement_verdict {
    PLACEMENT_HERE,        /* this relay holds the room: let the join in */
    PLACEMENT_MOVED,       /* another relay holds it: answer "moved" with the claim */
    PLACEMENT_PARKED,      /* the join waits for the directory */
    PLACEMENT_UNAVAILABLE, /* refuse, retryable: the directory cannot place it now */
    PLACEMENT_BUSY,        /* refuse, retryable: too many joins are waiting */
    PLACEMENT_FULL,        /* refuse: no relay of the fleet can take the room */
    PLACEMENT_DRAINING     /* refuse: this relay is draining */
};

/* What happens to one parked join. */
struct placement_outcome {
    uint32_t peer;
    enum placement_verdict verdict; /* HERE, MOVED, UNAVAILABLE, FULL or DRAINING */
    struct fleet_claim claim;       /* MOVED: where to */
};

/* What else a directory result asks of the loop. */
struct placement_effect {
    bool move_members;       /* move every member of claim.room to claim (epoch 0: nowhere) */
    bool release;            /* post FLEET_RELEASE of claim: placed here, nobody waits */
    bool ask;                /* post FLEET_PLACE of claim.room again, as suspect (claim.addr
                                the relay named lost): a join that lost the holder
                                waits, the answer was to another */
    struct fleet_claim claim;
};

struct placement;

/* Returns NULL if out of memory. */
struct placement *placement_create(const struct placement_config *cfg);
void placement_destroy(struct placement *p); /* NULL is fine */

/* A join for room from peer; seen_epoch is the epoch of the "moved" that
 * sent the client here (0: none): a cached placement older than that is
 * not trusted; lost, non-NULL: the client lost the relay that held the
 * room (lost: its address, "" if not named), so no cached placement is
 * trusted and the directory checks the holder.
 * Returns the verdict; MOVED fills *claim. PARKED: the peer waits for
 * placement_apply or placement_expire; *ask says the loop must post
 * FLEET_PLACE for room (nobody asked yet), with *suspect as its suspect
 * and *claim as its claim (the room, and in addr the relay named lost).
 * A peer parks once. */
enum placement_verdict placement_join(struct placement *p, const char *room, uint32_t peer,
                                      uint64_t seen_epoch, const char *lost, uint64_t now_us,
                                      struct fleet_claim *claim, bool *ask, bool *suspect);

/* peer left: its parked join, if any, is dropped. */
void placement_forget(struct placement *p, uint32_t peer);

/* Applies one directory result. The parked joins it settles go to out
 * (at most cap; the others are settled by later calls with the same
 * message, so call again while it returns cap), *e says what else to do.
 * Returns how many outcomes it wrote. */
size_t placement_apply(struct placement *p, const struct fleet_msg *m, uint64_t now_us,
                       struct placement_outcome *out, size_t cap, struct placement_effect *e);

/* Parked joins past their deadline (UNAVAILABLE outcomes, at most cap),
 * and forgets other relays' rooms past cache_ms. Call every periodic tick. */
size_t placement_expire(struct placement *p, uint64_t now_us, struct placement_outcome *out,
                        size_t cap);

/* room, served here, lost its last member: returns true with the claim to
 * release (post FLEET_RELEASE), and forgets it. */
bool placement_room_closed(struct placement *p, const char *room, struct fleet_claim *claim);

/* Until when states of room may be forwarded: for a room served here, its
 * last confirmation + lease_ms (past it the directory was unreachable that
 * long, or this relay was paused or suspended); UINT64_MAX for any other
 * room (not ours to judge). */
uint64_t placement_lease_until(const struct placement *p, const char *room);

/* From now on new rooms are refused (DRAINING); parked joins are settled
 * as DRAINING (at most cap written). */
size_t placement_drain(struct placement *p, struct placement_outcome *out, size_t cap);

/* Rooms served here, joins parked now, and whether the directory was
 * unreachable at its last word. */
uint32_t placement_rooms_here(const struct placement *p);
uint32_t placement_parked(const struct placement *p);
bool placement_unreachable(const struct placement *p);

#endif
