/* waiting.h: an edge's connections that have not joined, once its budget
 * of them (--max-half-open) is spent: which one gives way to a newcomer.
 * The oldest of the source (an IPv4 address, an IPv6 /64) holding the
 * most of them (of two as many, the one whose oldest is older), so that no
 * address keeps everyone else out. The stream edges (relay/stream/) and the quic edge use it.
 *
 * A walk: waiting_begin, waiting_add for every connection that has not
 * joined, waiting_pick. A tally of sources (source_key.h: an IPv4 address,
 * an IPv6 /64; ports left out) in an open-addressing table allocated once,
 * keyed by the process's hash, O(connections). */
#ifndef RICOCHET_WAITING_H
#define RICOCHET_WAITING_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/netaddr.h"

struct waiting_entry {
    uint64_t source;          /* its source_key (an IPv4 address, an IPv6 /64); 0: free */
    uint32_t count;           /* its connections that have not joined */
    uint32_t oldest;          /* the slot of the oldest of them */
    uint64_t oldest_us;       /* ... and when it opened */
};

struct waiting {
    struct waiting_entry *e;
    uint32_t cap;             /* a power of two, at least twice the slots */
    uint32_t n;               /* connections added since waiting_begin */
    uint32_t best;            /* the entry ahead, UINT32_MAX: none */
};

/* A tally for an edge of `slots` connections. Returns 0 or -1 (out of
 * memory). */
int waiting_init(struct waiting *w, uint32_t slots);
void waiting_free(struct waiting *w);

/* A new walk: no connection added. */
void waiting_begin(struct waiting *w);

/* Connection `slot`, from addr, opened at opened_us, has not joined. */
void waiting_add(struct waiting *w, uint32_t slot, const union netaddr *addr,
                 uint64_t opened_us);

/* The slot to give way, UINT32_MAX if none was added; *n gets how many
 * were. */
uint32_t waiting_pick(const struct waiting *w, uint32_t *n);

#endif
