/* sealing_internal.h: sealing.c's calls, on each peer's sealed session, the
 * buffers to open and seal in (its part of struct relay: sealing_state.h, which
 * core.h includes). Private to relay/core/: a core file includes it when it
 * calls sealing.c, and only then. */
#ifndef RICOCHET_CORE_SEALING_INTERNAL_H
#define RICOCHET_CORE_SEALING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sealing_state.h"

struct relay;
struct ticket_claims; /* proto/ticket.h */

/* With cfg.encrypt: each peer's session keys and the buffers to open and
 * seal in. Returns 0 or -1 (out of memory); core_seals_free frees them. */
int core_seals_alloc(struct relay *r);
void core_seals_free(struct relay *r);

/* Starts peer's sealed session at now_us: keys from its ticket's, the
 * client's nonce and a fresh salt, and the `sealed` message's tag
 * (r->sealing.seals[peer]; the peer is sent them next). */
void core_seal_start(struct relay *r, uint32_t peer, const struct ticket_claims *claims,
                     const uint8_t nonce[SEAL_NONCE_BYTES], uint64_t now_us);

/* Ends it: the keys wiped. */
void core_seal_stop(struct relay *r, uint32_t peer);

/* An incoming datagram of a peer: a sealed one is opened (*bytes, *len
 * then point at the message inside; sets r->sealing.in_clear false; the session
 * heard of at now_us); a clear one from a sealed session other than JSON
 * is dropped. Counted, never answered. Returns 0 or the relay_on_datagram
 * code. */
int core_unseal(struct relay *r, uint32_t peer, uint8_t **bytes, size_t *len,
                uint64_t now_us);

/* bytes for peer as they go out: sealed on lane when its session is
 * (into buf, a per-call buffer of cap bytes; buf NULL: into
 * r->sealing.sealed_out, which only this file writes), else bytes.
 * Returns the bytes and their length in *out_len, or NULL if sealing
 * failed (counted send_failed). */
const uint8_t *core_seal_for(struct relay *r, uint32_t peer, enum seal_lane lane,
                             const uint8_t *bytes, size_t len, uint8_t *buf, size_t cap,
                             size_t *out_len);

#endif
