/* quic_life.c: a connection's life (c->life), from its handshake to its
 * end, and the slots' counts of the half-open and the closing that follow
 * it: the one writer of both, below every file that sees a connection
 * move (transport_quic_conn.c makes and ends it, transport_quic_in.c sees
 * it open and join, transport_quic_send.c sees the core close it), so that
 * calls point one way and each step is written once (see transport_quic.h). */
#define BY_QUIC_LIFE_C /* this file writes the parts BY_QUIC_LIFE_C marks */
#include "transport_quic.h"

#include <stdlib.h>
#include <string.h>

void quic_life_begin(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    c->life = (struct quic_life){.phase = QUIC_PHASE_HANDSHAKE, .since_us = now_us,
                                 .heard_us = now_us};
    t->slots.half_open++;
}

void quic_life_opened(struct quic_conn *c, uint64_t now_us)
{
    c->life.phase = QUIC_PHASE_OPEN;
    c->life.since_us = now_us;
}

void quic_life_joined(struct relay_quic *t)
{
    t->slots.half_open--;
}

void quic_life_peered(struct quic_conn *c)
{
    c->life.phase = QUIC_PHASE_PEER;
}

void quic_life_close_begin(struct relay_quic *t, struct quic_conn *c, uint64_t code,
                           uint64_t since_us)
{
    c->life.phase = QUIC_PHASE_CLOSING;
    c->life.close_code = code;
    c->life.since_us = since_us;
    t->slots.closing++;
}

void quic_life_heard(struct quic_conn *c, uint64_t now_us)
{
    c->life.heard_us = now_us;
}

enum quic_phase quic_life_leave(struct relay_quic *t, struct quic_conn *c)
{
    enum quic_phase was = (enum quic_phase)c->life.phase;
    if (was == QUIC_PHASE_HANDSHAKE || was == QUIC_PHASE_OPEN)
        t->slots.half_open--;
    else if (was == QUIC_PHASE_CLOSING)
        t->slots.closing--;
    return was;
}

bool quic_life_first_gone(struct quic_conn *c)
{
    if (c->life.gone_reported)
        return false;
    c->life.gone_reported = true;
    return true;
}

bool quic_life_ending(struct relay_quic *t, struct quic_conn *c, uint64_t now_us,
                      const uint8_t *close_pkt, size_t len)
{
    c->life.phase = QUIC_PHASE_ENDING;
    c->life.ending_us = now_us + 3 * quic_us(ngtcp2_conn_get_pto(c->conn));
    quic_timers_set(&t->timers, c->slot, c->life.ending_us);
    if (!close_pkt || len == 0 || len > UINT16_MAX || !(c->life.close_pkt = malloc(len))) {
        c->life.draining = true; /* nothing to say again */
        return false;
    }
    memcpy(c->life.close_pkt, close_pkt, len);
    c->life.close_len = (uint16_t)len;
    return true;
}

const uint8_t *quic_life_close_again(struct quic_conn *c, size_t in_len, size_t *len)
{
    if (c->life.draining || !c->life.close_pkt || c->life.close_resends >= QUIC_EDGE_CLOSE_RESENDS ||
        c->life.close_len > in_len * 3)
        return NULL;
    c->life.close_resends++;
    *len = c->life.close_len;
    return c->life.close_pkt;
}

void quic_life_free(struct quic_conn *c)
{
    free(c->life.close_pkt);
    c->life.close_pkt = NULL;
}
