/* sealing_state.h: sealing.c's part of struct relay: each peer's sealed session, the
 * buffers to open and seal in.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_SEALING_STATE_H
#define RICOCHET_CORE_SEALING_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../proto/seal.h"

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
 * hand opened. Only sealing.c writes it; control_out.c hands sealed_out
 * to core_seal_for, which seals into it. */
struct core_sealing {
    struct core_seal *seals;    /* peer_cap */
    uint8_t *opened;            /* max_packet_size: the sealed datagram in hand, opened */
    uint8_t *sealed_out;        /* PROTO_CONTROL_MAX + SEAL_OVERHEAD: a message sealed */
    bool in_clear;              /* the datagram in hand was not sealed */
};

#endif
