/* sealing.c: sealed sessions' keys (see sealing_internal.h; PROTOCOL.md, Sealed
 * sessions): messages opened on the way in, sealed on the way out. */
#define BY_SEALING_C /* this file writes the parts BY_SEALING_C marks */
#include "core.h"
#include "sealing_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int core_seals_alloc(struct relay *r)
{
    if (!r->cfg.encrypt)
        return 0;
    r->sealing.seals = calloc(r->cfg.peer_cap, sizeof *r->sealing.seals);
    r->sealing.opened = malloc(r->cfg.max_packet_size);
    r->sealing.sealed_out = malloc(PROTO_CONTROL_MAX + SEAL_OVERHEAD);
    return r->sealing.seals && r->sealing.opened && r->sealing.sealed_out ? 0 : -1;
}

void core_seals_free(struct relay *r)
{
    if (r->sealing.seals)
        sodium_memzero(r->sealing.seals, r->cfg.peer_cap * sizeof *r->sealing.seals);
    free(r->sealing.seals);
    free(r->sealing.opened);
    free(r->sealing.sealed_out);
}

void core_seal_start(struct relay *r, uint32_t peer, const struct ticket_claims *claims,
                     const uint8_t nonce[SEAL_NONCE_BYTES], uint64_t now_us)
{
    struct core_seal *s = &r->sealing.seals[peer];
    uint8_t key[SEAL_KEY_BYTES];
    memcpy(s->nonce, nonce, SEAL_NONCE_BYTES);
    randombytes_buf(s->salt, sizeof s->salt);
    seal_session_key(key, claims->down_key, s->nonce, s->salt);
    seal_tx_init(&s->tx, key);
    seal_session_key(key, claims->up_key, s->nonce, s->salt);
    seal_rx_init(&s->rx, key);
    sodium_memzero(key, sizeof key);
    seal_proof(s->proof, claims->down_key, s->nonce, s->salt);
    s->heard_us = now_us;
}

void core_seal_stop(struct relay *r, uint32_t peer)
{
    seal_tx_wipe(&r->sealing.seals[peer].tx);
    seal_rx_wipe(&r->sealing.seals[peer].rx);
}

static int dropped(struct relay *r, enum relay_drop why)
{
    r->stats.drops[why]++;
    return -1 - (int)why;
}

int core_unseal(struct relay *r, uint32_t peer, uint8_t **bytes, size_t *len, uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    r->sealing.in_clear = !seal_is_sealed(*bytes, *len);
    if (!r->cfg.encrypt)
        return 0;
    if (core_edge(r, peer)->secure) {
        r->sealing.in_clear = true; /* its edge encrypts: nothing of it is sealed */
        return 0;
    }
    if (r->sealing.in_clear)
        /* A join may come in clear before its proof (plain UDP repeats it
         * until the `sealed` message); control_in.c drops any other clear
         * control message. */
        return p->ticket.sealed && (*bytes)[0] != '{' ? dropped(r, RELAY_DROP_UNSEALED) : 0;
    if (!p->ticket.sealed)
        return dropped(r, RELAY_DROP_SEAL_FORGED); /* nothing could have sealed it */
    int n = seal_open(&r->sealing.seals[peer].rx, *bytes, *len, r->sealing.opened,
                      r->cfg.max_packet_size, NULL);
    if (n == SEAL_E_REPLAY)
        return dropped(r, RELAY_DROP_SEAL_REPLAYED);
    if (n < 0)
        return dropped(r, RELAY_DROP_SEAL_FORGED);
    *bytes = r->sealing.opened;
    *len = (size_t)n;
    r->sealing.seals[peer].heard_us = now_us; /* alive: only what opens says so */
    return 0;
}

const uint8_t *core_seal_for(struct relay *r, uint32_t peer, enum seal_lane lane,
                             const uint8_t *bytes, size_t len, uint8_t *buf, size_t cap,
                             size_t *out_len)
{
    if (!r->peers[peer].ticket.sealed) {
        *out_len = len;
        return bytes;
    }
    if (!buf) {
        buf = r->sealing.sealed_out;
        cap = PROTO_CONTROL_MAX + SEAL_OVERHEAD;
    }
    int n = seal_box(&r->sealing.seals[peer].tx, lane, bytes, len, buf, cap);
    if (n < 0) {
        r->stats.drops[RELAY_DROP_SEND_FAILED]++;
        return NULL;
    }
    *out_len = (size_t)n;
    return buf;
}
