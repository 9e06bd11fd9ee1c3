/* strangers.h: how often the plain-UDP relay answers endpoints that are
 * not members (PROTOCOL.md, return routability). Every reply is no longer
 * than the datagram it answers; these budgets bound how many there are.
 *
 *   - Per source (an IPv4 address, or an IPv6 /64, which one host may hold
 *     whole): STRANGERS_SOURCE_PER_S replies a second, in bursts of as many
 *     as the clients one address may have (at least STRANGERS_SOURCE_BURST),
 *     so no address can be sent much, forged or not. Where one address may
 *     be everyone (--max-per-address 0), there is no budget per source.
 *   - For all strangers together, STRANGERS_PER_S replies a second, except
 *     the cookie that answers a join: the reply that lets a newcomer in
 *     costs no shared budget, so a flood from other sources cannot take it.
 *
 * Sources are kept in a fixed table of slots, by a keyed hash (SipHash-2-4,
 * a random key): a source finding its slot held by another takes it over
 * with a full bucket, so a collision never shuts a source out, and a flood
 * from many sources can only reset buckets, within the 1x bound.
 * Pure: given the time; no allocation (the table is inside the struct). */
#ifndef RICOCHET_STRANGERS_H
#define RICOCHET_STRANGERS_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define STRANGERS_PER_S 100       /* replies a second to all strangers, cookies aside */
#define STRANGERS_SOURCE_PER_S 4  /* replies a second to one source */
#define STRANGERS_SOURCE_BURST 8  /* ... and at least this many at once */
#define STRANGERS_SLOTS 4096      /* sources tracked at once (a power of two) */

struct strangers_slot {
    uint64_t tag;     /* the source's hash; 0 = free */
    uint64_t tokens;  /* millionths of a reply */
    uint64_t last_us; /* last refill */
};

struct strangers {
    uint8_t key[16];  /* hashes sources: chosen at random by the caller */
    uint64_t source_burst; /* replies at once to one source; 0: no budget per source */
    uint64_t tokens;  /* the shared budget, millionths of a reply */
    uint64_t last_us;
    struct strangers_slot slots[STRANGERS_SLOTS];
};

/* Empties the table and fills the shared budget, as of now_us; key (16
 * random bytes) is copied. per_address: clients one address may have
 * (--max-per-address; 0 = any number: no budget per source). */
void strangers_init(struct strangers *s, const uint8_t key[16], unsigned per_address,
                    uint64_t now_us);

/* May the relay answer the stranger at `from` now? admission: the reply is
 * the cookie answering a join (no shared budget). Takes what it spends only
 * when it answers true. */
bool strangers_may_reply(struct strangers *s, const union netaddr *from, bool admission,
                         uint64_t now_us);

#endif
