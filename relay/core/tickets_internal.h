/* tickets_internal.h: tickets.c's part of struct relay and its calls: the tickets live
 * sessions hold, those used here, the wall clock. Private to relay/core/: core.h includes
 * it, composing struct relay of its parts, and only tickets.c writes them. */
#ifndef RICOCHET_CORE_TICKETS_INTERNAL_H
#define RICOCHET_CORE_TICKETS_INTERNAL_H

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

struct relay;

/* Allocates what cfg's tickets and sealing need; core_tickets_free frees
 * it, and each peer's claims still awaiting a proof. Returns 0 or -1 (out
 * of memory). */
int core_tickets_alloc(struct relay *r);
void core_tickets_free(struct relay *r);

/* A new join's ticket (m->ticket) from peer, when the relay takes tickets:
 * checked (PROTOCOL.md, Tickets), one a sealed session needs only on a
 * relay that seals, not in use by a live session, not bound to another
 * address. Returns PROTO_ERROR_NONE with the claims (the room and the name;
 * nothing is kept yet), or the code to refuse the join with and why (cap
 * bytes); *opened says whether the claims (their keys) could be read. */
enum proto_error_code core_ticket_check(struct relay *r, uint32_t peer,
                                        const struct proto_control *m,
                                        struct ticket_claims *claims, bool *opened, char *why,
                                        size_t cap);

/* Does a live session other than peer's hold the ticket of claims (a
 * member's, or an offer's session: relay_ticket_claim)? (Asked again when
 * a join the directory parked is settled: the other may have joined
 * since.) */
bool core_ticket_in_use(const struct relay *r, const struct ticket_claims *claims, uint32_t peer);

/* Whether a member's repeated join carries the ticket it joined with. */
bool core_ticket_same(const struct relay *r, uint32_t peer, const struct proto_control *m);

/* Draws peer's sealed session (cfg.encrypt) for claims and the join's
 * nonce (hex): keys from both and a fresh salt, sent in clear in a
 * `sealed` message with its tag; from here on what peer is sent is sealed.
 * With prove, the claims wait in p->ticket.unproven for the proof (the first
 * sealed join). Returns 0, or -1 out of memory (nothing drawn). */
int core_ticket_seal(struct relay *r, uint32_t peer, const struct ticket_claims *claims,
                     const char *nonce, bool prove, uint64_t now_us);

/* Sends peer its session's `sealed` message again (a repeated join, in
 * clear, before the proof), if nonce is its join's; false if not (another
 * join than the one sealed: dropped). */
bool core_ticket_resend(struct relay *r, uint32_t peer, const char *nonce);

/* The join was admitted: peer holds the ticket until it leaves, and the
 * ticket is bound to peer's address until it expires. */
void core_ticket_bind(struct relay *r, uint32_t peer, const struct ticket_claims *claims);

/* The member left, or the peer went: its ticket is free again, its
 * session's keys wiped, a proof still due forgotten. */
void core_ticket_release(struct relay *r, uint32_t peer);

#endif
