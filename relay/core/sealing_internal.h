/* sealing_internal.h: sealing.c's part of struct relay and its calls: each peer's sealed
 * session, the buffers to open and seal in. Private to relay/core/: core.h includes it,
 * composing struct relay of its parts, and only sealing.c writes them. */
#ifndef RICOCHET_CORE_SEALING_INTERNAL_H
#define RICOCHET_CORE_SEALING_INTERNAL_H

/* BY_SEALING_C marks what sealing.c alone writes: const in every other
 * file in the writers check (sys/writer.h; sealing.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_SEALING_C
#define BY_SEALING_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/seal.h"

/* A sealed session's keys and counters, one per peer slot (cfg.encrypt). */
struct core_seal {
    struct seal_tx tx;       /* relay -> client, the session's down key */
    struct seal_rx rx;       /* client -> relay, the session's up key */
    uint8_t nonce[SEAL_NONCE_BYTES]; /* the client's, from its join */
    uint8_t salt[SEAL_SALT_BYTES];   /* mine */
    uint8_t proof[SEAL_PROOF_BYTES]; /* the `sealed` message's tag */
    uint64_t heard_us;       /* when something of it last opened (cfg.timeout_ms) */
};

/* Sealed sessions (cfg.encrypt): each peer's keys, and the datagram in
 * hand opened. Only sealing.c writes it: core_seal_for seals a control
 * message into sealed_out; core_unseal hands opened on as the datagram
 * in hand. */
struct core_sealing {
    BY_SEALING_C struct core_seal *seals; /* peer_cap */
    BY_SEALING_C uint8_t *opened; /* max_packet_size: the sealed datagram in hand, opened */
    BY_SEALING_C uint8_t *sealed_out; /* PROTO_CONTROL_MAX + SEAL_OVERHEAD: a message sealed */
    bool in_clear;              /* the datagram in hand was not sealed */
};

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
