/* transport_quic_out.c: the QUIC edge's datagrams out, and the
 * connections it writes next. ngtcp2 writes each packet into a buffer of
 * the caller's: the edge gives it a slot of one queue, and the queue
 * leaves in one sendmmsg() at the end of the batch, the flush or the tick,
 * or sooner when it is full. A connection the core queued something to,
 * or that read a packet, is marked once and written in the next pass. */
#include "transport_quic.h"

#include <errno.h>
#include <string.h>

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
    if (t->nsend == QUIC_EDGE_OUT)
        transport_quic_out_flush(t);
    unsigned k = t->nsend++;
    uint8_t *copy = t->sbuf + (size_t)k * QUIC_EDGE_PKT;
    if (copy != data)
        memcpy(copy, data, len);
    t->sto[k] = *to;
    t->siov[k] = (struct iovec){.iov_base = copy, .iov_len = len};
    t->smsg[k] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &t->sto[k], .msg_namelen = netaddr_len(&t->sto[k]),
                    .msg_iov = &t->siov[k], .msg_iovlen = 1}};
    t->sent_bytes += len;
}

void transport_quic_out_flush(struct relay_quic *t)
{
    unsigned off = 0, failed = 0;
    while (t->fd >= 0 && off < t->nsend) {
        int sent = sendmmsg(t->fd, t->smsg + off, t->nsend - off, 0);
        if (sent > 0) {
            off += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            failed += t->nsend - off; /* a full socket buffer: lost, as on any network */
            break;
        }
        log_debug("relay: quic: sendmmsg: %s", strerror(errno)); /* this one refused */
        failed++;
        off++;
    }
    for (unsigned i = 0; t->relay && i < failed; i++)
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
    t->nsend = 0;
}
