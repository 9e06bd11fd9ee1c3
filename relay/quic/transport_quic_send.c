/* transport_quic_send.c: the core's sends to a QUIC connection (its
 * relay_transport; PROTOCOL.md, "QUIC"), queued per connection here, then
 * put in packets by its next write (transport_quic_packets.c):
 *
 *   - control messages and a reliable state go on the control stream, the
 *     bidirectional stream the client opened, each in a frame; for a
 *     member of the mode streams a reliable state goes instead on a stream
 *     of its sender's own, which the relay opens (unidirectional) at that
 *     sender's first and ends once it was quiet QUIC_EDGE_SENDER_IDLE_US;
 *   - an unreliable state goes in a DATAGRAM frame, after the channel
 *     byte of its sender's mode; a member that batches gets the states of
 *     one channel queued together in one batch. What congestion control
 *     holds back waits for the next write, each sender's newest only
 *     (conflated, as the stream edges do while the kernel's buffer is
 *     full); past QUIC_EDGE_DGRAMS the oldest is dropped, counted. A client
 *     that takes no datagram that long gets the state on its control
 *     stream instead (late rather than never).
 *
 * Nothing here calls ngtcp2: the core calls these from inside its own
 * calls, some made from inside ngtcp2's callbacks. What a member's queues
 * hold is its backlog (transport_quic_backlog), by which the core bounds
 * them and closes a slow reader. */
#include "transport_quic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"

struct quic_conn *transport_quic_peer(struct relay_quic *t, uint32_t handle, bool closing)
{
    uint32_t i = handle - t->base; /* a handle below base wraps: out of range */
    if (i >= t->cfg.peer_cap)
        return NULL;
    struct quic_conn *c = &t->conns[i];
    return c->life.phase == QUIC_PHASE_PEER || (closing && c->life.phase == QUIC_PHASE_CLOSING) ? c : NULL;
}

uint64_t transport_quic_queued(const struct quic_conn *c)
{
    uint64_t n = c->queue.control.queued;
    for (uint32_t i = 0; i < c->queue.n_senders; i++)
        n += c->queue.senders[i].out.queued;
    return n;
}

/* Bytes of the datagrams queued to c. */
static uint64_t dgram_bytes(const struct quic_conn *c)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < c->queue.n_dgrams; i++)
        n += c->queue.dgrams[i].len;
    return n;
}

void transport_quic_backlog(void *ctx, uint32_t handle, struct relay_backlog *out)
{
    struct quic_conn *c = transport_quic_peer(ctx, handle, false);
    if (!c)
        return;
    out->bytes = transport_quic_queued(c) + dgram_bytes(c);
    out->moved_us = c->queue.moved_us;
}

void transport_quic_backlog_moved(struct quic_conn *c)
{
    c->queue.moved_us = c->edge->now_us;
}

/* Something is about to be queued to c: if nothing was, the backlog's
 * clock starts now. */
static void holding(struct relay_quic *t, struct quic_conn *c)
{
    if (c->queue.n_dgrams == 0 && transport_quic_queued(c) == 0)
        c->queue.moved_us = t->now_us;
}

static void queue_control(struct relay_quic *t, struct quic_conn *c, const uint8_t *msg,
                          size_t len)
{
    holding(t, c);
    if (quicmsg_out_frame(&c->queue.control, msg, len, 0) != 0) {
        if (t->relay)
            relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
        return;
    }
    transport_quic_mark(t, c);
}

/* ---- streams of senders' own ---- */

struct quic_sender *transport_quic_sender(struct quic_conn *c, int64_t sid)
{
    for (uint32_t i = 0; i < c->queue.n_senders; i++)
        if (c->queue.senders[i].id && c->queue.senders[i].sid == sid)
            return &c->queue.senders[i];
    return NULL;
}

/* The open (not ended) stream of sender id, made if there is none. */
static struct quic_sender *sender_stream(struct quic_conn *c, uint32_t id)
{
    struct quic_sender *free_one = NULL;
    for (uint32_t i = 0; i < c->queue.n_senders; i++) {
        struct quic_sender *s = &c->queue.senders[i];
        if (s->id == id && !s->ended)
            return s;
        if (!s->id && !free_one)
            free_one = s;
    }
    if (!free_one) {
        if (c->queue.n_senders == c->queue.senders_cap) {
            uint32_t cap = c->queue.senders_cap ? 2 * c->queue.senders_cap : 8;
            struct quic_sender *more;
            if (cap > QUIC_EDGE_SENDERS || !(more = realloc(c->queue.senders, cap * sizeof *more)))
                return NULL;
            c->queue.senders = more;
            c->queue.senders_cap = cap;
        }
        free_one = &c->queue.senders[c->queue.n_senders++];
    }
    *free_one = (struct quic_sender){.id = id, .sid = -1};
    quicmsg_out_init(&free_one->out);
    uint8_t preamble[16]; /* a WebTransport stream of the session: its type, its ID */
    if (c->h3 && quicmsg_out_bytes(&free_one->out, preamble,
                                   h3_wt_uni_preamble((uint64_t)c->h3->connect_sid, preamble)) != 0) {
        free_one->id = 0;
        return NULL;
    }
    return free_one;
}

static void queue_sender(struct relay_quic *t, struct quic_conn *c, uint32_t id,
                         const uint8_t *bytes, size_t len)
{
    struct quic_sender *s = id ? sender_stream(c, id) : NULL;
    if (!s) { /* no stream to be had: late rather than never */
        queue_control(t, c, bytes, len);
        return;
    }
    holding(t, c);
    if (quicmsg_out_frame(&s->out, bytes, len, 0) != 0) {
        if (t->relay)
            relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
        return;
    }
    s->last_us = t->now_us;
    transport_quic_mark(t, c);
}

void transport_quic_senders_idle(struct quic_conn *c, uint64_t now_us)
{
    for (uint32_t i = 0; i < c->queue.n_senders; i++) {
        struct quic_sender *s = &c->queue.senders[i];
        if (!s->id || s->ended || s->out.queued || now_us - s->last_us < QUIC_EDGE_SENDER_IDLE_US)
            continue;
        if (s->sid < 0) { /* never opened: nothing to end */
            quicmsg_out_free(&s->out);
            s->id = 0;
            continue;
        }
        s->ended = true;
        s->out.fin = true;
        transport_quic_mark(c->edge, c);
    }
    while (c->queue.n_senders && !c->queue.senders[c->queue.n_senders - 1].id)
        c->queue.n_senders--;
}

/* ---- datagrams ---- */

/* Does c's client take a datagram of a len-byte message (its
 * max_datagram_frame_size), and does it fit the path's packets? */
bool transport_quic_dgram_fits(const struct quic_conn *c, size_t len)
{
    const ngtcp2_transport_params *p = ngtcp2_conn_get_remote_transport_params(c->conn);
    uint8_t head[8];
    return p && len + transport_quic_h3_dgram_head(c, head) <=
                    quicmsg_datagram_room(p->max_datagram_frame_size,
                                          ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn));
}

/* Room for len more bytes in c's arena, compacting or growing it. Returns
 * 0 or -1. */
static int dgram_room(struct quic_conn *c, size_t len)
{
    if (c->queue.dgram_used + len <= c->queue.dgram_bytes_cap)
        return 0;
    uint32_t live = 0;
    for (uint32_t i = 0; i < c->queue.n_dgrams; i++)
        live += c->queue.dgrams[i].len;
    if (live + len <= c->queue.dgram_bytes_cap) {
        uint8_t *tmp = malloc(live ? live : 1), *at = tmp; /* compact, in order */
        if (!tmp)
            return -1;
        for (uint32_t i = 0; i < c->queue.n_dgrams; i++) {
            memcpy(at, c->queue.dgram_bytes + c->queue.dgrams[i].off, c->queue.dgrams[i].len);
            c->queue.dgrams[i].off = (uint32_t)(at - tmp);
            at += c->queue.dgrams[i].len;
        }
        memcpy(c->queue.dgram_bytes, tmp, live);
        free(tmp);
        c->queue.dgram_used = live;
        if (c->queue.dgram_used + len <= c->queue.dgram_bytes_cap)
            return 0;
    }
    size_t cap = c->queue.dgram_bytes_cap ? 2 * (size_t)c->queue.dgram_bytes_cap : 4096;
    while (cap < c->queue.dgram_used + len)
        cap *= 2;
    uint8_t *more = realloc(c->queue.dgram_bytes, cap);
    if (!more)
        return -1;
    c->queue.dgram_bytes = more;
    c->queue.dgram_bytes_cap = (uint32_t)cap;
    return 0;
}

/* Drops the oldest queued datagram (the queue is full). */
static void dgram_drop_oldest(struct relay_quic *t, struct quic_conn *c)
{
    transport_quic_dgram_pop(c, 1);
    t->own[QUIC_COUNT_DGRAMS_DROPPED]++;
    if (t->relay)
        relay_count_drop(t->relay, RELAY_DROP_SLOW_READER);
}

static void queue_dgram(struct relay_quic *t, struct quic_conn *c, uint32_t sender,
                        uint8_t channel, const uint8_t *bytes, size_t len)
{
    if (c->held_since_us) { /* congestion control holds them back: the newest only */
        for (uint32_t i = 0; i < c->queue.n_dgrams; i++) {
            struct quic_dgram *d = &c->queue.dgrams[i];
            if (d->sender != sender || d->channel != channel || sender == 0)
                continue;
            if (len > d->len) {
                if (dgram_room(c, len) != 0)
                    return;
                d->off = c->queue.dgram_used;
                c->queue.dgram_used += (uint32_t)len;
            }
            memcpy(c->queue.dgram_bytes + d->off, bytes, len);
            d->len = (uint16_t)len;
            if (t->relay)
                relay_count_conflated(t->relay, t->base + c->slot, 1);
            transport_quic_mark(t, c);
            return;
        }
    }
    if (c->queue.n_dgrams == QUIC_EDGE_DGRAMS)
        dgram_drop_oldest(t, c);
    if (c->queue.n_dgrams == c->queue.dgrams_cap) {
        uint32_t cap = c->queue.dgrams_cap ? 2 * c->queue.dgrams_cap : 16;
        struct quic_dgram *more = realloc(c->queue.dgrams, cap * sizeof *more);
        if (!more)
            return;
        c->queue.dgrams = more;
        c->queue.dgrams_cap = cap;
    }
    if (dgram_room(c, len) != 0)
        return;
    holding(t, c);
    c->queue.dgrams[c->queue.n_dgrams++] = (struct quic_dgram){.sender = sender, .off = c->queue.dgram_used,
                                                   .len = (uint16_t)len, .channel = channel};
    memcpy(c->queue.dgram_bytes + c->queue.dgram_used, bytes, len);
    c->queue.dgram_used += (uint32_t)len;
    transport_quic_mark(t, c);
}

size_t transport_quic_dgram_peek(struct quic_conn *c, uint8_t *out, unsigned *count)
{
    *count = 0;
    if (c->queue.n_dgrams == 0)
        return 0;
    const struct quic_dgram *d = &c->queue.dgrams[0];
    size_t head = transport_quic_h3_dgram_head(c, out); /* a session's quarter stream ID */
    out += head;
    out[0] = d->channel;
    bool batch = c->life.phase == QUIC_PHASE_PEER && c->queue.batches;
    const ngtcp2_transport_params *p = ngtcp2_conn_get_remote_transport_params(c->conn);
    size_t room = p ? quicmsg_datagram_room(p->max_datagram_frame_size,
                                            ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn))
                    : 0;
    room = room > head ? room - head : 0;
    size_t need = PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD;
    if (!batch || c->queue.n_dgrams == 1 ||
        need + d->len + PROTO_BATCH_ENTRY_HEAD + c->queue.dgrams[1].len > room ||
        c->queue.dgrams[1].channel != d->channel) {
        memcpy(out + QUICMSG_DATAGRAM_HEAD, c->queue.dgram_bytes + d->off, d->len);
        *count = 1;
        return head + QUICMSG_DATAGRAM_HEAD + d->len;
    }
    uint8_t *b = out + QUICMSG_DATAGRAM_HEAD;
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(b);
    for (uint32_t i = 0; i < c->queue.n_dgrams; i++) {
        const struct quic_dgram *e = &c->queue.dgrams[i];
        if (e->channel != d->channel ||
            proto_batch_add(b, room, &used, c->queue.dgram_bytes + e->off, e->len) !=
                PROTO_OK)
            break;
        (*count)++;
    }
    return head + QUICMSG_DATAGRAM_HEAD + used;
}

void transport_quic_dgram_pop(struct quic_conn *c, unsigned count)
{
    if (count > c->queue.n_dgrams)
        count = c->queue.n_dgrams;
    memmove(c->queue.dgrams, c->queue.dgrams + count, (c->queue.n_dgrams - count) * sizeof *c->queue.dgrams);
    c->queue.n_dgrams -= count;
    if (c->queue.n_dgrams == 0)
        c->queue.dgram_used = 0;
}

void transport_quic_out_free(struct quic_conn *c)
{
    quicmsg_out_free(&c->queue.control);
    for (uint32_t i = 0; i < c->queue.n_senders; i++)
        quicmsg_out_free(&c->queue.senders[i].out);
    free(c->queue.senders);
    free(c->queue.dgrams);
    free(c->queue.dgram_bytes);
    c->queue.senders = NULL;
    c->queue.dgrams = NULL;
    c->queue.dgram_bytes = NULL;
    c->queue.n_senders = c->queue.senders_cap = c->queue.n_dgrams = c->queue.dgrams_cap = 0;
    c->queue.dgram_used = c->queue.dgram_bytes_cap = 0;
}

/* ---- the core's calls ---- */

static void quic_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_quic *t = ctx;
    struct quic_conn *c = transport_quic_peer(t, peer, false);
    if (!c) {
        if (t->relay)
            relay_count_drop(t->relay, RELAY_DROP_SEND_CLOSING);
        return;
    }
    queue_control(t, c, (const uint8_t *)json, len);
}

static void quic_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                            uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    struct relay_quic *t = ctx;
    (void)from; /* the stamp names the sender, whose streams and datagrams go by it */
    bool reliable = (flags & PROTO_FLAG_RELIABLE) != 0;
    uint32_t sender = proto_state_sender(bytes, len);
    for (size_t i = 0; i < n; i++) {
        struct quic_conn *c = transport_quic_peer(t, peers[i], false);
        if (!c) {
            if (t->relay)
                relay_count_drop(t->relay, RELAY_DROP_SEND_CLOSING);
            continue;
        }
        if (reliable && c->queue.member && c->queue.mode == PROTO_MODE_STREAMS)
            queue_sender(t, c, sender, bytes, len);
        else if (reliable || !transport_quic_dgram_fits(c, len))
            queue_control(t, c, bytes, len);
        else
            queue_dgram(t, c, sender, quicmsg_datagram_channel(channel) ? channel
                                                                       : PROTO_CHANNEL_STATE,
                        bytes, len);
    }
}

/* A member's way down, as the core says at its join and its end. */
static void quic_member(void *ctx, uint32_t peer, const struct relay_member_way *way)
{
    struct quic_conn *c = transport_quic_peer(ctx, peer, false);
    if (!c)
        return;
    c->queue.member = way != NULL;
    c->queue.batches = way && way->batches;
    c->queue.mode = way ? way->mode : PROTO_MODE_UNSEQUENCED;
}

/* The core forgot peer: its last messages leave (the error telling why,
 * queued just before), then its CONNECTION_CLOSE names why. */
static void quic_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    struct relay_quic *t = ctx;
    struct quic_conn *c = transport_quic_peer(t, peer, false);
    if (!c)
        return;
    quic_life_close_begin(t, c, (uint64_t)why, clock_now_us());
    c->queue.n_dgrams = 0; /* unreliable states to a member who is going: none */
    c->queue.dgram_used = 0;
    transport_quic_mark(t, c);
}

/* One connection per client, its handshake binding it to its address
 * (not forgeable); TLS 1.3 encrypts every byte (secure); streams carry
 * any message in a frame (no message_max but a frame's); the ENet modes
 * and streams, a member switching between them by how it sends; a peer
 * counts against --max-clients from its join (count_at_join): before it,
 * it is one of the edge's own connections that have not joined. */
struct relay_transport transport_quic_core(void *ctx, uint32_t base)
{
    static const char *const counters[QUIC_COUNTS + 1] = {
        [QUIC_COUNT_RETRIES] = "retries",
        [QUIC_COUNT_TOKENS_BAD] = "tokens_bad",
        [QUIC_COUNT_REFUSED] = "refused",
        [QUIC_COUNT_VERSION_NEG] = "version_negotiations",
        [QUIC_COUNT_RESETS] = "stateless_resets",
        [QUIC_COUNT_UNANSWERED] = "unanswered",
        [QUIC_COUNT_NOT_QUIC] = "not_quic",
        [QUIC_COUNT_TOO_LONG] = "too_long",
        [QUIC_COUNT_HANDSHAKES] = "handshakes",
        [QUIC_COUNT_ALPN_REFUSED] = "alpn_refused",
        [QUIC_COUNT_TLS_FAILED] = "tls_failed",
        [QUIC_COUNT_HALF_OPEN] = "half_open",
        [QUIC_COUNT_PROTOCOL] = "protocol_errors",
        [QUIC_COUNT_MIGRATIONS] = "migrations",
        [QUIC_COUNT_DGRAMS_BAD] = "datagrams_bad",
        [QUIC_COUNT_DGRAMS_ACKED] = "datagrams_acked",
        [QUIC_COUNT_DGRAMS_LOST] = "datagrams_lost",
        [QUIC_COUNT_DGRAMS_DROPPED] = "datagrams_dropped",
        [QUIC_COUNT_STREAM_BYTES_ACKED] = "stream_bytes_acked",
        [QUIC_COUNT_STREAMS_OPENED] = "sender_streams",
        [QUIC_COUNT_STRAY] = "stray_messages",
        [QUIC_COUNT_CLOSED_LATE] = "closed_late",
        [QUIC_COUNT_TIMER_WAKES] = "timer_wakes",
        [QUIC_COUNT_WT_SESSIONS] = "wt_sessions",
        [QUIC_COUNT_WT_REFUSED] = "wt_refused",
        [QUIC_COUNT_WT_SETTINGS] = "wt_settings",
        [QUIC_COUNT_WT_QPACK] = "wt_qpack_refused",
        [QUIC_COUNT_WT_UNKNOWN] = "wt_unknown_session",
        [QUIC_COUNT_WT_H3_ERRORS] = "wt_h3_errors",
        [QUIC_COUNTS] = NULL,
    };
    struct relay_quic *t = ctx;
    t->base = base;
    return (struct relay_transport){
        .ctx = t,
        .name = "quic",
        .peers = t->cfg.peer_cap,
        .message_max = QUICMSG_FRAME_MAX,
        .forgeable = false,
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE) | (1u << PROTO_MODE_STREAMS),
        .count_at_join = true,
        .secure = true,
        .counters = counters,
        .send_control = quic_send_control,
        .send_state = quic_send_state,
        .disconnect = quic_disconnect,
        .backlog = transport_quic_backlog,
        .member = quic_member,
    };
}
