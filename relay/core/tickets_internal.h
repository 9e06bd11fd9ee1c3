/* tickets_internal.h: tickets.c's calls, on the tickets live sessions hold,
 * those used here, the wall clock (its part of struct relay: tickets_state.h,
 * which core.h includes). Private to relay/core/: a core file includes it when
 * it calls tickets.c, and only then. */
#ifndef RICOCHET_CORE_TICKETS_INTERNAL_H
#define RICOCHET_CORE_TICKETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tickets_state.h"

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
