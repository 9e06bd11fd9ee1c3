/* transport_quic_udp_out.c: the QUIC edge's UDP datagrams out of its
 * socket, and the connections marked to write next. ngtcp2 writes each packet into a buffer of
 * the caller's: the edge gives it a slot of one queue, and the queue
 * leaves in one sendmmsg() at the end of the batch, the flush or the tick,
 * or sooner when it is full. A connection the core queued something to,
 * or that read a packet, is marked once and written in the next pass. */
#include "transport_quic.h"

#include "../../sys/log.h"

void transport_quic_mark(struct relay_quic *t, struct quic_conn *c)
{
    if (c->dirty || c->phase == QUIC_PHASE_FREE)
        return;
    c->dirty = true;
    t->dirty[t->n_dirty++] = c->slot;
}

void transport_quic_queue(struct relay_quic *t, const union netaddr *to, const uint8_t *data,
                          size_t len)
{
    if (len > QUIC_EDGE_PKT) {
        log_error("relay: quic: a datagram of %zu bytes over %d: not sent", len, QUIC_EDGE_PKT);
        return;
    }
    if (t->out.n == t->out.cap)
        transport_quic_out_flush(t);
    /* the packet may be in the queue's next slot already (written in place) */
    dgram_out_add(&t->out, to, data, len);
    t->sent_bytes += len;
}

void transport_quic_out_flush(struct relay_quic *t)
{
    unsigned failed = dgram_out_send(&t->out, t->fd, "quic");
    for (unsigned i = 0; t->relay && i < failed; i++)
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
}
