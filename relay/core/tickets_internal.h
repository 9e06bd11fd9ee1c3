/* tickets_internal.h: tickets.c's state: the tickets live sessions hold, those
 * used here, the wall clock.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_TICKETS_INTERNAL_H
#define RICOCHET_CORE_TICKETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* Tickets used here, remembered until they expire, each bound to the IP
 * address of its first session: sets of CORE_USED_WAYS entries by ticket
 * id; a full set forgets the entry that expires first. */
#define CORE_USED_WAYS 8
struct core_used {
    uint8_t id[TICKET_ID_BYTES];
    uint64_t ip;             /* a hash of the address's IP part */
    uint64_t until_s;        /* Unix seconds; 0: a free entry */
};

/* The tickets live sessions hold: an open-addressing set of ticket ids
 * (random tags: their first bytes are the hash), 2 slots per peer. */
struct core_passes {
    uint8_t (*id)[TICKET_ID_BYTES];
    uint32_t *peer;          /* UINT32_MAX: a free slot */
    uint32_t cap;            /* a power of two */
};

/* With tickets (cfg.n_ticket_keys): those live sessions hold, those used
 * here, and the wall clock they expire by. Only tickets.c writes it
 * (relay_set_unix_time included). */
struct core_tickets {
    struct core_passes passes;
    struct core_used *used;     /* used_sets x CORE_USED_WAYS */
    uint32_t used_sets;         /* a power of two */
    uint64_t unix_s;            /* relay_set_unix_time: what tickets expire by */
};

#endif
