/* key_guesses.h: how often one source may present a player key the relay
 * does not hold (PROTOCOL.md, "Players who come back"). A relay takes such
 * a key (it restarted, or another relay had the player), so a join is
 * also a way to try a key: a token bucket per source, KEY_GUESSES_PER_S a
 * second in bursts of KEY_GUESSES_BURST, bounds how fast. A key's 128
 * random bits make guessing hopeless anyway; the bound makes it slow too.
 *
 * A source is as the members are counted (source_key_member: an IPv4
 * address or an IPv6 /64; on loopback the address and port, each a
 * client of this machine). Sources are kept in a fixed table of slots by
 * the process's keyed hash: one finding its slot held by another takes
 * it over with a full bucket (as strangers.h's), so a collision never
 * shuts a source out. Pure: given the time; no allocation. */
#ifndef RICOCHET_KEY_GUESSES_H
#define RICOCHET_KEY_GUESSES_H

#include <stdbool.h>
#include <stdint.h>

#include "../../sys/netaddr.h"

#define KEY_GUESSES_PER_S 32   /* joins with a key the relay does not hold, a second */
#define KEY_GUESSES_BURST 128  /* ... and at once: a crowd behind one address moved at
                                  once; below the joins a source may make at all
                                  (join_cost_state.h), so that this bound is met first */
#define KEY_GUESSES_SLOTS 1024 /* sources tracked at once (a power of two) */

struct key_guesses_slot {
    uint64_t tag;     /* the source's hash; 0 = free */
    uint64_t tokens;  /* millionths of a join */
    uint64_t last_us; /* last refill */
};

struct key_guesses {
    struct key_guesses_slot slots[KEY_GUESSES_SLOTS]; /* zeroed: every slot free */
};

/* May the source of from present a key the relay does not hold now?
 * Spends one join's token when it answers true. */
bool key_guesses_may_try(struct key_guesses *g, const union netaddr *from, uint64_t now_us);

#endif
