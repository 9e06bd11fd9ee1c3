/* suspects.h: the rooms whose holder a client reported lost while the
 * holder's heartbeats are overdue but not yet stale (proto/FLEET.md,
 * *place*, Suspect): the directory thread asks again for each when due,
 * and gives one up (unplaced, retryable) after two stale periods.
 *
 * The directory thread's alone: not thread-safe; no I/O. */
#ifndef RICOCHET_FLEET_SUSPECTS_H
#define RICOCHET_FLEET_SUSPECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dirthread.h"

#define SUSPECTS_MAX 64     /* rooms whose reported holder is awaited at once */

struct suspect {
    struct fleet_msg m;     /* the placement asked */
    uint64_t due_ms, give_up_ms;
};

struct suspects {
    struct suspect at[SUSPECTS_MAX];
    size_t n;
};

/* room's, if awaited, is forgotten. */
void suspects_forget(struct suspects *s, const char *room);

/* m's holder is overdue: ask again after wait_ms (now_ms on the thread's
 * clock). False if it has been awaited two stale_ms already (or too many
 * are): then the join is refused, retryable, and its client asks again. */
bool suspects_await(struct suspects *s, const struct fleet_msg *m, uint64_t now_ms,
                    uint32_t wait_ms, uint32_t stale_ms);

/* A suspect due at now_ms into *m, marked in hand (its placement answers
 * it: awaited again, or forgotten); false if none is due. */
bool suspects_due(struct suspects *s, uint64_t now_ms, struct fleet_msg *m);

/* When the next is due (UINT64_MAX: none). */
uint64_t suspects_next(const struct suspects *s);

#endif
