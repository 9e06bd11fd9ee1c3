/* tickets_state.h: tickets.c's part of struct relay: the tickets live sessions hold, those
 * used here, the wall clock.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_TICKETS_STATE_H
#define RICOCHET_CORE_TICKETS_STATE_H

/* BY_TICKETS_C marks what tickets.c alone writes: const in every other
 * file in the writers check (sys/writer.h; tickets.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_TICKETS_C
#define BY_TICKETS_C ONLY_ITS_WRITER
#endif

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
    uint64_t source;         /* the source_key of the address it was used from */
    uint64_t until_s;        /* Unix seconds; 0: a free entry */
};

/* The tickets live sessions hold: an open-addressing set of ticket ids
 * (random tags: their first bytes are the hash), 2 slots per peer. */
struct core_passes {
    BY_TICKETS_C uint8_t (*id)[TICKET_ID_BYTES];
    BY_TICKETS_C uint32_t *peer; /* UINT32_MAX: a free slot */
    uint32_t cap;            /* a power of two */
};

/* With tickets (cfg.n_ticket_keys): those live sessions hold, those used
 * here, and the wall clock they expire by. Only tickets.c writes it
 * (relay_set_unix_time included). */
struct core_tickets {
    struct core_passes passes;
    BY_TICKETS_C struct core_used *used; /* used_sets x CORE_USED_WAYS */
    uint32_t used_sets;         /* a power of two */
    uint64_t unix_s;            /* relay_set_unix_time: what tickets expire by */
};

/* A peer's ticket and sealed session: only tickets.c writes them. They
 * outlast a connection's start (a claim made for an offer's session is
 * kept through its connection: relay_ticket_claim), so peers.c zeroes a
 * slot set free up to them (the last part of struct relay_peer); every
 * teardown lets them go through core_ticket_release, and relay_destroy
 * frees what is left through core_tickets_free. */
struct core_peer_ticket {
    bool held;               /* joined with a ticket, or its offer's session claimed
                                one (relay_ticket_claim, kept through its
                                connection): id is in r->tickets.passes */
    bool sealed;             /* its session's keys are drawn (r->sealing.seals[peer]):
                                what it is sent is sealed, what it sends must open */
    BY_TICKETS_C struct ticket_claims *unproven; /* a ticketed join sealed, its proof (a sealed
                                                    join) still due: the claims it is to be admitted
                                                    with; NULL otherwise */
    uint8_t id[TICKET_ID_BYTES];
};

#endif
