/* transport_quic_packets.c: a QUIC connection's packets, as ngtcp2 builds
 * them from what transport_quic_send.c queued to it, each into a slot of
 * the edge's UDP queue (transport_quic_udp_out.c): in each, datagrams
 * first (the freshest states), then the control stream, then senders' streams in turn, coalesced with
 * ngtcp2's "more" flags; what congestion or flow control holds back waits
 * for the next write, and a connection whose output stays held is a slow
 * reader's sign. Streams of senders' own waiting for credit are opened
 * before a packet is begun (ngtcp2 takes no other call while one is). */
#include "transport_quic.h"

/* Streams of senders' own waiting for credit: opened while the client
 * gives some (never from inside ngtcp2's callbacks or a packet being
 * written). */
static void open_senders(struct relay_quic *t, struct quic_conn *c)
{
    for (uint32_t i = 0; i < c->queue.n_senders; i++) {
        struct quic_sender *s = &c->queue.senders[i];
        if (!s->id || s->sid >= 0 || s->ended)
            continue;
        if (ngtcp2_conn_open_uni_stream(c->conn, &s->sid, NULL) != 0) {
            s->sid = -1;
            return; /* no credit: the rest wait too, in order */
        }
        t->own[QUIC_COUNT_STREAMS_OPENED]++;
    }
}


#define BLOCKED_H3_OUT (1 + QUIC_EDGE_SENDERS)    /* the blocked mark of HTTP/3's control */
#define BLOCKED_H3_ANSWER (2 + QUIC_EDGE_SENDERS) /* ... and of the CONNECT's answer */

/* The next stream with something to write, not blocked in this write
 * (*out its queue, *fin whether its FIN goes after); -1 if none: HTTP/3's
 * own first, then the control stream, then senders' streams. */
static int64_t next_stream(struct quic_conn *c, const uint8_t *blocked, struct quicmsg_out **out)
{
    struct quic_h3 *h = c->h3;
    if (h && h->out_sid >= 0 && h->out.unsent && !blocked[BLOCKED_H3_OUT]) {
        *out = &h->out;
        return h->out_sid;
    }
    if (h && h->connect_sid >= 0 && (h->answer.unsent || h->answer.fin) &&
        !blocked[BLOCKED_H3_ANSWER]) {
        *out = &h->answer;
        return h->connect_sid;
    }
    if (c->in.control_open && c->queue.control.unsent && !blocked[0]) {
        *out = &c->queue.control;
        return c->in.control_sid;
    }
    for (uint32_t i = 0; i < c->queue.n_senders; i++) {
        struct quic_sender *s = &c->queue.senders[i];
        if (s->id && s->sid >= 0 && !blocked[i + 1] && (s->out.unsent || s->out.fin)) {
            *out = &s->out;
            return s->sid;
        }
    }
    return -1;
}

/* The blocked mark of a stream (0: control, i + 1: sender i, then
 * HTTP/3's). */
static size_t blocked_index(const struct quic_conn *c, int64_t sid)
{
    if (c->h3 && sid == c->h3->out_sid)
        return BLOCKED_H3_OUT;
    if (c->h3 && sid == c->h3->connect_sid)
        return BLOCKED_H3_ANSWER;
    for (uint32_t i = 0; sid != c->in.control_sid && i < c->queue.n_senders; i++)
        if (c->queue.senders[i].sid == sid)
            return i + 1;
    return 0;
}

/* One packet: datagrams first (the freshest), then streams, coalesced.
 * Returns its length, 0 when nothing more may be written now, or a
 * negative ngtcp2 error. */
static ngtcp2_ssize write_packet(struct relay_quic *t, struct quic_conn *c, uint8_t *buf,
                                 ngtcp2_path_storage *ps, uint8_t *blocked, bool *dgrams_ok,
                                 uint64_t now_us)
{
    ngtcp2_tstamp ts = quic_ns(now_us);
    uint8_t payload[8 + QUICMSG_DATAGRAM_MAX], head[8]; /* a session's quarter stream ID */
    size_t hlen = transport_quic_h3_dgram_head(c, head);
    for (;;) {
        unsigned count;
        size_t dlen = *dgrams_ok ? transport_quic_dgram_peek(c, payload, &count) : 0;
        ngtcp2_ssize nwrite, ndata = -1;
        if (dlen > 0 && !transport_quic_dgram_fits(c, dlen - hlen - QUICMSG_DATAGRAM_HEAD)) {
            transport_quic_dgram_pop(c, count); /* the path shrank (it moved): lost */
            t->own[QUIC_COUNT_DGRAMS_DROPPED]++;
            continue;
        }
        if (dlen > 0) {
            int accepted = 0;
            ngtcp2_vec v = {.base = payload, .len = dlen};
            nwrite = ngtcp2_conn_writev_datagram(c->conn, &ps->path, NULL, buf, QUIC_EDGE_PKT,
                                                 &accepted, NGTCP2_WRITE_DATAGRAM_FLAG_MORE, 0,
                                                 &v, 1, ts);
            if (accepted) /* written, not taken: its acknowledgement says that */
                transport_quic_dgram_pop(c, count);
            if (nwrite == NGTCP2_ERR_WRITE_MORE)
                continue;
            if (nwrite == NGTCP2_ERR_INVALID_ARGUMENT) { /* over what the client takes */
                transport_quic_dgram_pop(c, count);
                continue;
            }
            if (nwrite == 0 && !accepted)
                *dgrams_ok = false; /* held back: congestion control */
            return nwrite;
        }
        struct quicmsg_out *out = NULL;
        int64_t sid = next_stream(c, blocked, &out);
        size_t n = 0;
        const uint8_t *data = out ? quicmsg_out_next(out, &n) : NULL;
        uint32_t flags = sid >= 0 ? NGTCP2_WRITE_STREAM_FLAG_MORE : 0;
        if (out && out->fin && n == out->unsent)
            flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
        ngtcp2_vec v = {.base = (uint8_t *)data, .len = n};
        nwrite = ngtcp2_conn_writev_stream(c->conn, &ps->path, NULL, buf, QUIC_EDGE_PKT, &ndata,
                                           flags, sid, &v, data ? 1 : 0, ts);
        if (ndata >= 0 && out) {
            quicmsg_out_sent(out, (size_t)ndata);
            if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && out->unsent == 0)
                out->fin = false; /* the FIN went: the stream's close forgets it */
        }
        if (nwrite == NGTCP2_ERR_WRITE_MORE)
            continue;
        if (nwrite == NGTCP2_ERR_STREAM_DATA_BLOCKED || nwrite == NGTCP2_ERR_STREAM_SHUT_WR ||
            nwrite == NGTCP2_ERR_STREAM_NOT_FOUND) {
            blocked[blocked_index(c, sid)] = 1;
            continue;
        }
        return nwrite;
    }
}

/* Does c, a member while the relay holds states for a tick, hold its
 * acknowledgements for its room's next fan-out? ngtcp2 acknowledges within
 * an eighth of the round trip (a fraction of a millisecond on loopback),
 * so every state a member sends would cost a packet of its own back, and
 * the relay twice ENet's packets (bench/packets.sh); held, the
 * acknowledgement rides in the packet of the fan-out's states. A
 * retransmission waits as long, no longer than the states in it waited
 * anyway. The transport parameter max_ack_delay tells the client
 * (transport_quic_conn.c). */
bool transport_quic_holds(const struct relay_quic *t, const struct quic_conn *c)
{
    return c->life.phase == QUIC_PHASE_PEER && t->relay && relay_tick_us(t->relay);
}

void transport_quic_timer(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    uint64_t at = quic_us(ngtcp2_conn_get_expiry(c->conn));
    uint64_t due = transport_quic_holds(t, c)
                       ? relay_peer_tick_due(t->relay, t->base + c->slot, now_us) : 0;
    if (due && at < due + QUIC_EDGE_ACK_RIDE_US)
        at = due + QUIC_EDGE_ACK_RIDE_US;
    quic_timers_set(&t->timers, c->slot, at);
}

bool transport_quic_mark_held(struct quic_conn *c, uint64_t now_us)
{
    /* Output left (congestion, flow control): held since now, each
     * sender's newest datagram only from then on (transport_quic_send.c). */
    bool left = c->queue.n_dgrams > 0 || c->queue.control.unsent || (c->h3 && c->h3->out.unsent);
    for (uint32_t i = 0; !left && i < c->queue.n_senders; i++)
        left = c->queue.senders[i].out.unsent > 0;
    if (!left)
        c->held_since_us = 0;
    else if (!c->held_since_us)
        c->held_since_us = now_us;
    return left;
}

int transport_quic_packets(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    transport_quic_h3_open(c);
    open_senders(t, c);
    uint8_t blocked[3 + QUIC_EDGE_SENDERS] = {0};
    bool dgrams_ok = true;
    for (int pkts = 0; pkts < QUIC_EDGE_WRITE_PKTS; pkts++) {
        if (t->udp.out.n == t->udp.out.cap)
            transport_quic_out_flush(t);
        uint8_t *buf = dgram_out_slot(&t->udp.out);
        ngtcp2_path_storage ps;
        ngtcp2_path_storage_zero(&ps);
        ngtcp2_ssize n = write_packet(t, c, buf, &ps, blocked, &dgrams_ok, now_us);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        union netaddr to;
        if (netaddr_from_sockaddr(&to, ps.path.remote.addr, ps.path.remote.addrlen) != 0)
            to = c->remote;
        transport_quic_queue(t, &to, buf, (size_t)n);
    }
    ngtcp2_conn_update_pkt_tx_time(c->conn, quic_ns(now_us));
    bool left = transport_quic_mark_held(c, now_us);
    /* Nothing left to pace: the pacing timer just set, microseconds away,
     * is cleared (ngtcp2 clears one within a millisecond), or it would wake
     * the connection for nothing after its room's next fan-out. */
    uint64_t expiry = ngtcp2_conn_get_expiry(c->conn), now = quic_ns(now_us);
    if (!left && expiry > now && expiry <= now + NGTCP2_MILLISECONDS) {
        int rv = ngtcp2_conn_handle_expiry(c->conn, now);
        if (rv != 0)
            return rv;
    }
    transport_quic_timer(t, c, now_us);
    return 0;
}
