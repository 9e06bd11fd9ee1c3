/* sealing_state.h: sealing.c's part of struct relay: each peer's sealed session, the
 * buffers to open and seal in.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_SEALING_STATE_H
#define RICOCHET_CORE_SEALING_STATE_H

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

#endif
