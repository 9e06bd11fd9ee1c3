/* target_quicedge.c: fuzzes the relay's QUIC edge past the handshake (see
 * targets.h): what it makes of the bytes a client's streams and DATAGRAM
 * frames bring, through its own handling (relay/quic/transport_quic_in.c,
 * transport_quic_h3.c) into the core, and what it queues back.
 *
 * One edge on 127.0.0.1 lives for the whole run, and two connections to it,
 * each brought up once by libricochet's QUIC client (a real handshake, its
 * TLS and transport parameters): one of ALPN "ricochet", one of ALPN "h3"
 * (a browser's WebTransport). Then the edge's socket is closed: nothing more
 * comes or goes. Each input gets a core of its own and both connections
 * back where their handshake left them (no stream read, nothing queued, the
 * HTTP/3 side anew), then plays the client's side as ngtcp2 would hand it
 * to the edge: the edge's own callbacks (transport_quic_callbacks, the
 * table ngtcp2 calls) with stream data on the streams a client may open
 * (each opened before its first bytes, never reused once closed, within
 * the streams the transport parameters allow), DATAGRAM payloads, streams
 * reset or ended, time passing (the core's tick and sweep), and the client
 * reading and acknowledging what the edge queued. ngtcp2's connection itself
 * is never written nor read again, so one input leaves nothing for the next.
 *
 * The input is a config byte (the core's tick, reflect and batching of the
 * canned joins, one peer an address, no rate limit), then operations, each a byte: its low 3 bits the kind,
 * bit 7 the connection (0: ricochet, 1: h3), bits 3..6 a stream's slot:
 *   0  bytes on the control stream (ricochet: stream 0; h3: the session's,
 *      stream 4), length from the input (bytes past 0xef take a second);
 *   1  bytes on one of the client's unidirectional streams (opened if the
 *      slot has none);
 *   2  bytes on the h3 CONNECT stream (stream 0; ricochet: its control);
 *   3  a DATAGRAM frame's payload;
 *   4  a stream reset (bidirectional) or ended (unidirectional);
 *   5  canned bytes: a join, a state on each way, HTTP/3's SETTINGS, the
 *      CONNECT, the WebTransport preambles;
 *   6  time passes (the next byte, in ms): relay_tick, relay_sweep and the
 *      senders' idle streams, as the loop and the edge's tick do;
 *   7  the client reads and acknowledges what the edge queued, datagrams
 *      acknowledged or lost (an odd slot: the write held everything back,
 *      as congestion control does).
 * The client reads what is left at the end.
 *
 * Checked after every operation: the edge's counts of half-open and
 * closing connections are its connections'; a peer of the edge is one of
 * the core, a connection not yet a peer is none; a connection the edge
 * closes says why with an application code. What the client reads: every
 * message on the control stream is a control message the client decodes,
 * an event or states; a sender's stream carries its WebTransport preamble
 * (h3) then states only; a datagram is the session's quarter stream ID
 * (h3), a state channel byte, then a state or a batch of them, within the
 * size the client takes; HTTP/3's control stream is the edge's SETTINGS,
 * the CONNECT's answer a HEADERS frame of a status the edge answers. */
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include "client/lib/client_internal.h"
#include "client/lib/transports/client_quic_conn_internal.h"
#include "client/lib/client_test.h"
#include "proto/control.h"
#include "proto/h3.h"
#include "proto/quicmsg.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/quic/transport_quic.h"
#include "relay/settings.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "targets.h"

#define FQE_PEERS 4
#define FQE_MAX_PACKET 1024   /* the edge's and the core's --max-packet-size */
#define FQE_OPS 400           /* operations per input, at most */
#define FQE_UNIS 4            /* a client's unidirectional streams open at once (h3's) */
#define FQE_OUTS 8            /* server streams the client reads, per connection */
#define FQE_T0 1000000000000ull /* the input's clock starts here (µs) */

/* What the corpus made the edge do, for test_fuzz_smoke to check it is
 * reached. */
struct fuzz_quicedge_reach {
    unsigned long peers;      /* connections that became peers of the core */
    unsigned long welcomes;   /* welcomes the client read */
    unsigned long dgram_states; /* states the client read in datagrams */
    unsigned long stream_states; /* ... on streams of senders' own */
    unsigned long sessions;   /* WebTransport sessions answered 200 */
    unsigned long closes;     /* connections the edge closed (a callback failed) */
};
static struct fuzz_quicedge_reach fuzz_quicedge_reached;

/* A client stream, as the model of ngtcp2 keeps it. */
struct fqe_stream {
    int64_t sid;              /* -1: none in this slot */
    uint64_t off;             /* bytes delivered */
};

/* A stream of the edge's the client reads: a sender's, HTTP/3's control. */
struct fqe_out {
    int64_t sid;              /* -1: free */
    struct quicmsg_reader in;
    size_t pre_at;            /* bytes of its expected preamble read */
};

struct fqe_conn {
    struct quic_conn *c;
    bool h3;
    bool dead;                /* the edge closed it: nothing more this input */
    struct fqe_stream bidi[2]; /* [0]: stream 0 (control or CONNECT), [1]: stream 4 (h3) */
    bool bidi_used[2];        /* opened once this input (never reopened) */
    struct fqe_stream uni[FQE_UNIS];
    int64_t next_uni;         /* the next client unidirectional stream ID */
    unsigned uni_credit;      /* streams the client may still open */
    /* the client's reading */
    struct quicmsg_reader ctl_in; /* its control stream */
    struct h3_frames answer_in;   /* the CONNECT's answer */
    bool answered;
    size_t h3_out_at;         /* bytes of HTTP/3's control stream read */
    int64_t next_suni;        /* the edge's next unidirectional stream ID */
    struct fqe_out outs[FQE_OUTS];
};

struct fqe_env {
    struct relay_quic *t;
    struct quic_conn *c[2];   /* [0] ALPN ricochet, [1] ALPN h3 */
    struct relay *r;
    uint64_t now;
    struct fqe_conn m[2];
};

static struct fqe_env fqe;

/* ---- the connections, once ---------------------------------------------------------- */

/* Handshakes of a ricochet and an h3 client with the edge, turned until
 * both are done (10 s at most). */
static void fqe_setup(void)
{
    log_threshold = LOG_OFF;
    char err[256];
    struct relay_net_config ncfg = {.bind = "127.0.0.1", .port = 0, .peer_cap = FQE_PEERS,
                                    .max_packet_size = FQE_MAX_PACKET, .timeout_ms = 60000,
                                    .handshake_ms = 10000, .max_half_open = FQE_PEERS};
    fqe.t = relay_quic_ops.create(&ncfg, err, sizeof err);
    FUZZ_CHECK(fqe.t != NULL);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = FQE_PEERS;
    struct relay_transport tp = relay_quic_ops.core(fqe.t, 0);
    struct relay *r = relay_create(&cfg, &tp, 1);
    FUZZ_CHECK(r != NULL);
    struct ricochet *cl[2];
    static struct client_quic q[2];
    for (int i = 0; i < 2; i++) {
        struct client_config ccfg = {.room = "f", .name = i ? "h" : "q",
                                     .mode = PROTO_MODE_RELIABLE, .timeout_ms = 10000};
        cl[i] = client_create_detached(&ccfg, err, sizeof err);
        FUZZ_CHECK(cl[i] != NULL);
        snprintf(cl[i]->host, sizeof cl[i]->host, "127.0.0.1");
        FUZZ_CHECK(netaddr_resolve("127.0.0.1", netaddr_port(&fqe.t->local), &cl[i]->relay, err,
                                   sizeof err) == 0);
        memset(&q[i], 0, sizeof q[i]);
        q[i].c = cl[i];
        q[i].alpn = i ? H3_ALPN : NULL;
        FUZZ_CHECK(client_quic_start(cl[i], &q[i], &ccfg, err, sizeof err) == 0);
    }
    uint64_t until = clock_now_us() + 10000000;
    while (fqe.t->own[QUIC_COUNT_HANDSHAKES] < 2 && clock_now_us() < until) {
        struct pollfd p = {.fd = fqe.t->fd, .events = POLLIN};
        poll(&p, 1, 1);
        relay_quic_ops.service(fqe.t, r);
        relay_quic_ops.flush(fqe.t, r);
        for (int i = 0; i < 2; i++) {
            FUZZ_CHECK(client_quic_read(cl[i], &q[i], clock_now_us()) == 0);
            FUZZ_CHECK(client_quic_write(cl[i], &q[i]) == 0);
        }
    }
    FUZZ_CHECK(fqe.t->own[QUIC_COUNT_HANDSHAKES] == 2);
    for (uint32_t s = 0; s < FQE_PEERS; s++) {
        struct quic_conn *c = &fqe.t->conns[s];
        if (c->life.phase == QUIC_PHASE_OPEN)
            fqe.c[c->app == QUIC_APP_H3] = c;
    }
    FUZZ_CHECK(fqe.c[0] && fqe.c[1] && fqe.c[0]->app == QUIC_APP_RICOCHET);
    for (int i = 0; i < 2; i++) {
        client_quic_free(&q[i]);
        ricochet_close(cl[i]);
    }
    relay_destroy(r);
    fqe.t->relay = NULL;
    close(fqe.t->fd);
    fqe.t->fd = -1; /* nothing leaves: what the edge writes is never written */
}

/* c back where on_handshake left it (transport_quic_conn.c's accept, then
 * transport_quic_in.c's on_handshake): open, no stream read, nothing
 * queued, HTTP/3's side anew, counted among the connections not yet peers;
 * the core it knew is gone with the last input. */
static void fqe_rewind(struct relay_quic *t, struct quic_conn *c)
{
    switch (c->life.phase) {
    case QUIC_PHASE_OPEN:
        t->slots.half_open--;
        break;
    case QUIC_PHASE_CLOSING:
        t->slots.closing--;
        break;
    case QUIC_PHASE_PEER:
        break;
    default:
        FUZZ_CHECK(!"a connection in a phase the target never leaves it in");
    }
    transport_quic_out_free(c);
    transport_quic_h3_free(c);
    quicmsg_reader_free(&c->in.control);
    quicmsg_reader_free(&c->in.up);
    quicmsg_reader_init(&c->in.control, t->cfg.max_packet_size);
    quicmsg_reader_init(&c->in.up, t->cfg.max_packet_size);
    quicmsg_out_init(&c->queue.control);
    quic_life_begin(t, c, fqe.now); /* its life anew (quic_life.c's), counted half-open */
    quic_life_opened(c, fqe.now);
    c->held_since_us = 0;
    c->queue.moved_us = 0;
    memset(&c->last_error, 0, sizeof c->last_error);
    c->in.control_sid = 0;
    c->in.up_sid = -1;
    c->in.control_open = false;
    if (c->app == QUIC_APP_H3)
        FUZZ_CHECK(transport_quic_h3_start(t, c) == 0);
}

static void fqe_model_init(struct fqe_conn *m, struct quic_conn *c)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    m->h3 = c->app == QUIC_APP_H3;
    for (int i = 0; i < 2; i++)
        m->bidi[i].sid = -1;
    for (int i = 0; i < FQE_UNIS; i++)
        m->uni[i].sid = -1;
    m->next_uni = 2;
    m->uni_credit = m->h3 ? QUIC_H3_UNIS : 1; /* the transport parameters' */
    m->next_suni = 3;
    quicmsg_reader_init(&m->ctl_in, QUICMSG_FRAME_MAX);
    h3_frames_init(&m->answer_in, H3_FRAME_HEADERS, UINT64_MAX, H3_HEADERS_PAYLOAD_MAX);
    for (int i = 0; i < FQE_OUTS; i++) {
        m->outs[i].sid = -1;
        quicmsg_reader_init(&m->outs[i].in, QUICMSG_FRAME_MAX);
    }
}

static void fqe_model_free(struct fqe_conn *m)
{
    quicmsg_reader_free(&m->ctl_in);
    h3_frames_free(&m->answer_in);
    for (int i = 0; i < FQE_OUTS; i++)
        quicmsg_reader_free(&m->outs[i].in);
}

/* ---- the checks ---------------------------------------------------------------------- */

static uint32_t fqe_handle(const struct quic_conn *c)
{
    return fqe.t->base + c->slot;
}

static void fqe_check_edge(void)
{
    unsigned open = 0, closing = 0;
    for (int i = 0; i < 2; i++) {
        const struct quic_conn *c = fqe.c[i];
        open += c->life.phase == QUIC_PHASE_OPEN;
        closing += c->life.phase == QUIC_PHASE_CLOSING;
        FUZZ_CHECK((c->h3 != NULL) == (c->app == QUIC_APP_H3));
        FUZZ_CHECK(c->queue.n_dgrams <= QUIC_EDGE_DGRAMS && c->queue.n_senders <= QUIC_EDGE_SENDERS);
        if (fqe.m[i].dead)
            continue;
        bool known = relay_peer_connected(fqe.r, fqe_handle(c));
        FUZZ_CHECK(c->life.phase == QUIC_PHASE_PEER ? known : !known);
    }
    FUZZ_CHECK(fqe.t->slots.half_open == open && fqe.t->slots.closing == closing);
}

/* States, or a batch of them. */
static void fqe_check_states(const uint8_t *m, size_t n)
{
    struct proto_state s;
    if (!proto_is_batch(m, n)) {
        FUZZ_CHECK(proto_state_decode(m, n, &s) == PROTO_OK);
        return;
    }
    FUZZ_CHECK(proto_batch_check(m, n) >= 1);
    size_t at = PROTO_BATCH_HEADER, len;
    const uint8_t *e;
    while (proto_batch_next(m, n, &at, &e, &len) == 1)
        FUZZ_CHECK(proto_state_decode(e, len, &s) == PROTO_OK);
}

/* A message on the control stream, as libricochet reads it. */
static void fqe_check_control(const uint8_t *m, size_t n)
{
    static struct proto_control msg;
    FUZZ_CHECK(n >= 1);
    if (m[0] == '{') {
        char why[128];
        FUZZ_CHECK(proto_control_decode((const char *)m, n, &msg, why, sizeof why) == PROTO_OK);
        fuzz_quicedge_reached.welcomes += msg.type == PROTO_CTL_WELCOME;
    } else if (proto_is_event(m, n)) {
        struct proto_event e;
        FUZZ_CHECK(proto_event_decode(m, n, &e) == PROTO_OK);
    } else {
        fqe_check_states(m, n);
    }
}

/* ---- the client's side: its streams --------------------------------------------------- */

/* Stream data on sid as ngtcp2 hands it over: opened first (stream_open)
 * if new. Returns false once the edge closed the connection. */
static bool fqe_deliver(struct fqe_conn *m, struct fqe_stream *s, const uint8_t *p, size_t n)
{
    struct quic_conn *c = m->c;
    int rv = transport_quic_callbacks.recv_stream_data(c->conn, 0, s->sid, s->off, p, n, c,
                                                       NULL);
    s->off += n;
    if (rv == 0)
        return true;
    FUZZ_CHECK(rv == NGTCP2_ERR_CALLBACK_FAILURE);
    FUZZ_CHECK(c->last_error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
    /* ngtcp2_conn_read_pkt fails; the edge closes it (transport_quic_conn.c's
     * conn_error) and the core hears the peer is gone */
    if (c->life.phase == QUIC_PHASE_PEER)
        relay_peer_gone(fqe.r, fqe_handle(c), PROTO_LEFT_QUIT, fqe.now);
    m->dead = true;
    fuzz_quicedge_reached.closes++;
    return false;
}

static bool fqe_open(struct fqe_conn *m, struct fqe_stream *s, int64_t sid)
{
    s->sid = sid;
    s->off = 0;
    return transport_quic_callbacks.stream_open(m->c->conn, sid, m->c) == 0;
}

/* Bidirectional stream i (0: stream 0, 1: stream 4, h3 only), opened if it
 * never was; NULL if it was and is closed. */
static struct fqe_stream *fqe_bidi(struct fqe_conn *m, int i)
{
    if (!m->h3)
        i = 0; /* MAX_STREAMS 1: the control stream */
    struct fqe_stream *s = &m->bidi[i];
    if (s->sid >= 0)
        return s;
    if (m->bidi_used[i])
        return NULL;
    m->bidi_used[i] = true;
    return fqe_open(m, s, 4 * i) ? s : NULL;
}

/* The client's unidirectional stream in slot i, opened with the next ID if
 * it has none and the client has credit; NULL if not. */
static struct fqe_stream *fqe_uni(struct fqe_conn *m, int i)
{
    i %= m->h3 ? FQE_UNIS : 1;
    struct fqe_stream *s = &m->uni[i];
    if (s->sid >= 0)
        return s;
    if (m->uni_credit == 0)
        return NULL;
    m->uni_credit--;
    int64_t sid = m->next_uni;
    m->next_uni += 4;
    return fqe_open(m, s, sid) ? s : NULL;
}

/* The session's control stream: h3's second bidirectional stream, ricochet's
 * only one. */
static struct fqe_stream *fqe_control(struct fqe_conn *m)
{
    return fqe_bidi(m, 1);
}

/* The client ends or resets stream s: ngtcp2's stream_close (its credit
 * comes back as the edge gives it: ngtcp2_conn_extend_max_streams_uni). */
static void fqe_close(struct fqe_conn *m, struct fqe_stream *s)
{
    struct quic_conn *c = m->c;
    bool uni = (s->sid & 3) == 2;
    bool credit = false;
    if (uni && !m->h3)
        credit = s->sid == c->in.up_sid;
    else if (uni)
        for (int i = 0; i < QUIC_H3_UNIS; i++)
            credit |= c->h3->uni[i].sid == s->sid && c->h3->uni[i].kind != QUIC_H3U_FREE &&
                      c->h3->uni[i].kind != QUIC_H3U_CONTROL &&
                      c->h3->uni[i].kind != QUIC_H3U_ENCODER;
    int rv = uni ? transport_quic_callbacks.stream_close(c->conn, 0, s->sid, 0, c, NULL)
                 : transport_quic_callbacks.stream_reset(c->conn, s->sid, s->off, 0, c, NULL);
    s->sid = -1;
    m->uni_credit += credit && rv == 0;
    if (rv != 0) {
        FUZZ_CHECK(rv == NGTCP2_ERR_CALLBACK_FAILURE);
        FUZZ_CHECK(c->last_error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
        if (c->life.phase == QUIC_PHASE_PEER)
            relay_peer_gone(fqe.r, fqe_handle(c), PROTO_LEFT_QUIT, fqe.now);
        m->dead = true;
        fuzz_quicedge_reached.closes++;
    }
}

static void fqe_datagram(struct fqe_conn *m, const uint8_t *p, size_t n)
{
    if (n == 0)
        return; /* ngtcp2 hands over none: the relay's transport parameters' minimum */
    struct quic_conn *c = m->c;
    FUZZ_CHECK(transport_quic_callbacks.recv_datagram(c->conn, 0, p, n, c) == 0);
}

/* ---- the client's side: what it reads ---------------------------------------------- */

/* The bytes of o not yet handed over, as the edge's write hands them to
 * ngtcp2 (transport_quic_packets.c), into fn; then acknowledged, as ngtcp2
 * reports it (acked_stream_data_offset). */
static void fqe_take(struct quic_conn *c, int64_t sid, struct quicmsg_out *o,
                     void (*read_fn)(struct fqe_conn *, void *, const uint8_t *, size_t), void *ctx,
                     struct fqe_conn *m)
{
    size_t n;
    const uint8_t *p;
    while ((p = quicmsg_out_next(o, &n)) != NULL) {
        read_fn(m, ctx, p, n);
        quicmsg_out_sent(o, n);
    }
    o->fin = false; /* a FIN went with the last bytes */
    uint64_t len = o->queued, at = o->offset - o->queued;
    if (len)
        FUZZ_CHECK(transport_quic_callbacks.acked_stream_data_offset(c->conn, sid, at, len, c,
                                                                     NULL) == 0);
}

static void fqe_read_control(struct fqe_conn *m, void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    while (n > 0) {
        const uint8_t *msg;
        size_t used, len;
        int rc = quicmsg_read(&m->ctl_in, p, n, &used, &msg, &len);
        FUZZ_CHECK(rc >= 0);
        p += used;
        n -= used;
        if (rc == 1)
            fqe_check_control(msg, len);
    }
}

static void fqe_read_sender(struct fqe_conn *m, void *ctx, const uint8_t *p, size_t n)
{
    struct fqe_out *o = ctx;
    if (m->h3) { /* a WebTransport stream of the session: its type, the session's ID */
        uint8_t pre[16];
        size_t pre_n = h3_wt_uni_preamble((uint64_t)m->c->h3->connect_sid, pre);
        for (; o->pre_at < pre_n && n > 0; o->pre_at++, p++, n--)
            FUZZ_CHECK(*p == pre[o->pre_at]);
    }
    while (n > 0) {
        const uint8_t *msg;
        size_t used, len;
        int rc = quicmsg_read(&o->in, p, n, &used, &msg, &len);
        FUZZ_CHECK(rc >= 0);
        p += used;
        n -= used;
        if (rc == 1) {
            FUZZ_CHECK(msg[0] != '{' && !proto_is_event(msg, len)); /* states only */
            fqe_check_states(msg, len);
            fuzz_quicedge_reached.stream_states++;
        }
    }
}

static void fqe_read_h3_control(struct fqe_conn *m, void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    uint8_t want[H3_CONTROL_MAX];
    size_t want_n = h3_control_stream(want);
    for (; n > 0; n--, p++, m->h3_out_at++)
        FUZZ_CHECK(m->h3_out_at < want_n && *p == want[m->h3_out_at]);
}

static void fqe_read_answer(struct fqe_conn *m, void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    while (n > 0) {
        uint64_t type;
        const uint8_t *payload;
        size_t used, plen;
        int rc = h3_frames_read(&m->answer_in, p, n, &used, &type, &payload, &plen);
        FUZZ_CHECK(rc >= 0 && used <= n);
        p += used;
        n -= used;
        if (rc == 0)
            break;
        FUZZ_CHECK(type == H3_FRAME_HEADERS && !m->answered);
        int status = h3_response_status(payload, plen);
        FUZZ_CHECK(status == 200 || status == 400 || status == 403 || status == 404 ||
                   status == 405 || status == 414 || status == 500 || status == 501);
        m->answered = true;
    }
}

/* The edge's stream sid as the client reads it: its out slot. */
static struct fqe_out *fqe_out_of(struct fqe_conn *m, int64_t sid)
{
    struct fqe_out *free_one = NULL;
    for (int i = 0; i < FQE_OUTS; i++) {
        if (m->outs[i].sid == sid)
            return &m->outs[i];
        if (m->outs[i].sid < 0 && !free_one)
            free_one = &m->outs[i];
    }
    if (free_one) {
        free_one->sid = sid;
        free_one->pre_at = 0;
        quicmsg_reader_free(&free_one->in);
        quicmsg_reader_init(&free_one->in, QUICMSG_FRAME_MAX);
    }
    return free_one;
}

/* The client reads what the edge queued for it, everything acknowledged:
 * HTTP/3's control stream and the CONNECT's answer, the control stream
 * once the client opened it, senders' streams (opened here as the edge's
 * write opens them), datagrams as the write takes them. */
static void fqe_read(struct fqe_conn *m)
{
    struct quic_conn *c = m->c;
    if (m->dead || c->life.phase == QUIC_PHASE_FREE)
        return;
    struct quic_h3 *h = c->h3;
    if (h) {
        if (h->out_sid < 0) {
            h->out_sid = m->next_suni;
            m->next_suni += 4;
        }
        fqe_take(c, h->out_sid, &h->out, fqe_read_h3_control, NULL, m);
        if (h->connect_sid >= 0)
            fqe_take(c, h->connect_sid, &h->answer, fqe_read_answer, NULL, m);
    }
    if (c->in.control_open)
        fqe_take(c, c->in.control_sid, &c->queue.control, fqe_read_control, NULL, m);
    for (uint32_t i = 0; i < c->queue.n_senders; i++) {
        struct quic_sender *s = &c->queue.senders[i];
        if (!s->id)
            continue;
        if (s->sid < 0) {
            if (s->ended)
                continue;
            s->sid = m->next_suni;
            m->next_suni += 4;
        }
        struct fqe_out *o = fqe_out_of(m, s->sid);
        if (!o)
            continue;
        bool fin = s->out.fin;
        int64_t sid = s->sid;
        fqe_take(c, sid, &s->out, fqe_read_sender, o, m);
        if (fin && s->out.queued == 0) { /* ended and acknowledged: ngtcp2 closes it */
            FUZZ_CHECK(transport_quic_callbacks.stream_close(c->conn, 0, sid, 0, c, NULL) == 0);
            o->sid = -1;
        }
    }
    uint8_t payload[8 + QUICMSG_DATAGRAM_MAX], head[8];
    size_t hlen = transport_quic_h3_dgram_head(c, head);
    unsigned count;
    size_t n;
    while ((n = transport_quic_dgram_peek(c, payload, &count)) > 0) {
        FUZZ_CHECK(count >= 1 && n > hlen + QUICMSG_DATAGRAM_HEAD);
        FUZZ_CHECK(memcmp(payload, head, hlen) == 0);
        FUZZ_CHECK(quicmsg_datagram_channel(payload[hlen]));
        FUZZ_CHECK(transport_quic_dgram_fits(c, n - hlen - QUICMSG_DATAGRAM_HEAD));
        fqe_check_states(payload + hlen + QUICMSG_DATAGRAM_HEAD, n - hlen - QUICMSG_DATAGRAM_HEAD);
        fuzz_quicedge_reached.dgram_states += count;
        transport_quic_dgram_pop(c, count);
        /* what ngtcp2 says of it later: acknowledged, or lost */
        if (n & 1)
            FUZZ_CHECK(transport_quic_callbacks.ack_datagram(c->conn, 0, c) == 0);
        else
            FUZZ_CHECK(transport_quic_callbacks.lost_datagram(c->conn, 0, c) == 0);
    }
    c->held_since_us = 0; /* nothing left unwritten (transport_quic_packets) */
}

/* The client reads nothing: the edge's write left its output where it was
 * (congestion control, flow control), held as the edge's own write marks
 * it, each sender's newest datagram only from then on. */
static void fqe_held(struct fqe_conn *m)
{
    transport_quic_mark_held(m->c, fqe.now);
}

/* ---- canned bytes ---------------------------------------------------------------------- */

/* A frame of msg[0..len) into out. Returns its length. */
static size_t fqe_frame(uint8_t *out, const void *msg, size_t len)
{
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    memcpy(out + 2, msg, len);
    return len + 2;
}

/* A valid state of seq into out (PROTO_STATE_SIZE bytes). */
static size_t fqe_state(uint8_t *out, uint32_t seq, uint8_t x)
{
    struct proto_state s = {.seq = seq, .send_us = fqe.now, .x = (float)x, .y = 1.0f};
    FUZZ_CHECK(proto_state_encode(out, PROTO_STATE_MAX, &s) == PROTO_STATE_SIZE);
    return PROTO_STATE_SIZE;
}

static void fqe_canned(struct fqe_conn *m, uint8_t cfg, struct fuzz_input *in)
{
    uint8_t what = fuzz_byte(in), buf[2048];
    size_t n = 0;
    struct fqe_stream *s = NULL;
    switch (what % 8) {
    case 0: { /* a join on the control stream */
        static struct proto_control j;
        static const enum proto_mode modes[] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                                PROTO_MODE_RELIABLE, PROTO_MODE_STREAMS};
        char json[512];
        proto_control_init(&j, PROTO_CTL_JOIN);
        j.version = PROTO_VERSION;
        snprintf(j.room, sizeof j.room, "%s", what & 0x40 ? "g" : "f");
        snprintf(j.name, sizeof j.name, "%s", m->h3 ? "browser" : "native");
        j.mode = modes[(what >> 3) & 3];
        j.reflect = (cfg & 2) != 0;
        j.batch = (cfg & 4) != 0;
        int len = proto_control_encode(json, sizeof json, &j);
        FUZZ_CHECK(len > 0);
        n = fqe_frame(buf, json, (size_t)len);
        s = fqe_control(m);
        break;
    }
    case 1: /* a state on the control stream (reliable) */
        n = fqe_frame(buf, buf + 1024, fqe_state(buf + 1024, fuzz_byte(in), what));
        s = fqe_control(m);
        break;
    case 2: /* a state on the client's own stream (streams), its preamble first (h3) */
        s = fqe_uni(m, (what >> 3) & 3);
        if (s && s->off == 0 && m->h3)
            n = h3_wt_uni_preamble(0, buf);
        n += fqe_frame(buf + n, buf + 1024, fqe_state(buf + 1024, fuzz_byte(in), what));
        break;
    case 3: { /* a state in a DATAGRAM frame, the session's quarter stream ID first (h3) */
        n = m->h3 ? h3_varint_put(buf, 0) : 0;
        buf[n++] = what & 0x40 ? PROTO_CHANNEL_RELIABLE : PROTO_CHANNEL_STATE;
        n += fqe_state(buf + n, fuzz_byte(in), what);
        fqe_datagram(m, buf, n);
        return;
    }
    case 4: /* h3: the client's control stream, its SETTINGS (the relay's own do) */
        n = h3_control_stream(buf);
        s = fqe_uni(m, (what >> 3) & 3);
        break;
    case 5: /* h3: the CONNECT on stream 0 */
        n = h3_connect("127.0.0.1", what & 0x40 ? "/other" : QUIC_WT_PATH, buf, sizeof buf);
        FUZZ_CHECK(n > 0);
        s = fqe_bidi(m, 0);
        break;
    case 6: /* h3: the session's control stream's preamble (signal, session ID 0) */
        n = h3_varint_put(buf, H3_SIGNAL_WT_BIDI);
        n += h3_varint_put(buf + n, 0);
        s = fqe_bidi(m, 1);
        break;
    default: /* h3: a unidirectional stream's WebTransport preamble */
        n = h3_wt_uni_preamble(what & 0x40 ? 4 : 0, buf);
        s = fqe_uni(m, (what >> 3) & 3);
        break;
    }
    if (s && n)
        fqe_deliver(m, s, buf, n);
}

/* ---- the input ------------------------------------------------------------------------ */

static void fqe_time(uint8_t ms)
{
    fqe.now += (uint64_t)ms * 1000 + 1;
    fqe.t->now_us = fqe.now;
    relay_tick(fqe.r, fqe.now);
    relay_sweep(fqe.r, fqe.now);
    for (int i = 0; i < 2; i++)
        if (fqe.c[i]->life.phase == QUIC_PHASE_PEER) /* the edge's tick (transport_quic_sweep) */
            transport_quic_senders_idle(fqe.c[i], fqe.now);
}

static void fqe_op(uint8_t cfg, struct fuzz_input *in)
{
    uint8_t op = fuzz_byte(in);
    struct fqe_conn *m = &fqe.m[op >> 7];
    int slot = (op >> 3) & 15;
    if (m->dead && (op & 7) != 6)
        return;
    fqe.t->now_us = fqe.now;
    switch (op & 7) {
    case 0:
    case 1:
    case 2:
    case 3: {
        size_t len = fuzz_byte(in);
        if (len >= 0xf0)
            len = (len & 0x0f) << 8 | fuzz_byte(in);
        uint8_t *p = fuzz_take(in, len);
        struct fqe_stream *s = (op & 7) == 0 ? fqe_control(m)
                               : (op & 7) == 1 ? fqe_uni(m, slot)
                               : (op & 7) == 2 ? fqe_bidi(m, 0) : NULL;
        if ((op & 7) == 3)
            fqe_datagram(m, p, len);
        else if (s && !m->dead)
            fqe_deliver(m, s, p, len);
        free(p);
        break;
    }
    case 4: {
        struct fqe_stream *s = slot & 8 ? &m->uni[slot % (m->h3 ? FQE_UNIS : 1)]
                                        : &m->bidi[m->h3 ? slot & 1 : 0];
        if (s->sid >= 0)
            fqe_close(m, s);
        break;
    }
    case 5:
        fqe_canned(m, cfg, in);
        break;
    case 6:
        fqe_time(fuzz_byte(in));
        break;
    default:
        if (slot & 1)
            fqe_held(m);
        else
            fqe_read(m);
        break;
    }
}

int fuzz_target_quicedge(const uint8_t *data, size_t size)
{
    if (!fqe.t)
        fqe_setup();
    struct fuzz_input in = {data, size};
    uint8_t cfg = fuzz_byte(&in);
    struct relay_config rc;
    relay_default_config(&rc);
    rc.peer_cap = FQE_PEERS;
    rc.max_packet_size = FQE_MAX_PACKET;
    rc.tick_us = cfg & 1 ? 2000 : 0;
    if (cfg & 16)
        rc.rate_limit = rc.byte_limit = 0; /* floods pass the core */
    struct relay_transport tp = relay_quic_ops.core(fqe.t, 0);
    fqe.r = relay_create(&rc, &tp, 1);
    FUZZ_CHECK(fqe.r != NULL);
    fqe.now = FQE_T0;
    fqe.t->cfg.max_per_address = cfg & 8 ? 1 : 0; /* both clients are of 127.0.0.1 */
    fqe.t->relay = fqe.r;
    fqe.t->now_us = fqe.now;
    uint64_t sessions = fqe.t->own[QUIC_COUNT_WT_SESSIONS];
    for (int i = 0; i < 2; i++) {
        fqe_rewind(fqe.t, fqe.c[i]);
        fqe_model_init(&fqe.m[i], fqe.c[i]);
    }
    for (int k = 0; k < FQE_OPS && in.left > 0; k++) {
        unsigned peers_before = (fqe.c[0]->life.phase == QUIC_PHASE_PEER) +
                                (fqe.c[1]->life.phase == QUIC_PHASE_PEER);
        fqe_op(cfg, &in);
        unsigned peers_after = (fqe.c[0]->life.phase == QUIC_PHASE_PEER) +
                               (fqe.c[1]->life.phase == QUIC_PHASE_PEER);
        if (peers_after > peers_before)
            fuzz_quicedge_reached.peers += peers_after - peers_before;
        fqe_check_edge();
    }
    for (int i = 0; i < 2; i++) {
        fqe_read(&fqe.m[i]);
        fqe_read(&fqe.m[i]); /* what a sender's end left */
    }
    fqe_check_edge();
    fuzz_quicedge_reached.sessions += fqe.t->own[QUIC_COUNT_WT_SESSIONS] - sessions;
    for (int i = 0; i < 2; i++)
        fqe_model_free(&fqe.m[i]);
    relay_destroy(fqe.r);
    fqe.r = NULL;
    fqe.t->relay = NULL;
    return 0;
}
