/* transport_quic_udp_out.c: the QUIC edge's UDP datagrams out of its
 * socket, and the connections marked to write next. ngtcp2 writes each packet into a buffer of
 * the caller's: the edge gives it a slot of one queue, and the queue
 * leaves in one sendmmsg() at the end of the batch, the flush or the tick,
 * or sooner when it is full. A connection the core queued something to,
 * or that read a packet, is marked once and written in the next pass. */
#include "transport_quic.h"

#include "sys/log.h"

void transport_quic_mark(struct relay_quic *t, struct quic_conn *c)
{
    if (c->marked || c->life.phase == QUIC_PHASE_FREE)
        return;
    c->marked = true;
    t->udp.marked[t->udp.n_marked++] = c->slot;
}

struct quic_conn *transport_quic_unmark(struct relay_quic *t, uint32_t i)
{
    struct quic_conn *c = &t->conns[t->udp.marked[i]];
    c->marked = false;
    return c;
}

void transport_quic_marked_clear(struct relay_quic *t)
{
    t->udp.n_marked = 0;
}

void transport_quic_queue(struct relay_quic *t, const union netaddr *to, const uint8_t *data,
                          size_t len)
{
    if (len > QUIC_EDGE_PKT) {
        log_error("relay: quic: a datagram of %zu bytes over %d: not sent", len, QUIC_EDGE_PKT);
        return;
    }
    if (t->udp.out.n == t->udp.out.cap)
        transport_quic_out_flush(t);
    /* the packet may be in the queue's next slot already (written in place) */
    dgram_out_add(&t->udp.out, to, data, len);
    t->udp.sent_bytes += len;
}

void transport_quic_out_flush(struct relay_quic *t)
{
    unsigned failed = dgram_out_send(&t->udp.out, t->fd, "quic");
    for (unsigned i = 0; t->relay && i < failed; i++)
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
}
