/* target_quicclient.c: fuzzes what libricochet's QUIC transport makes of
 * what its connection hands it after the handshake (client/lib/transports/client_quic_conn.c's
 * callbacks, client/lib/transports/client_wt.c: the CONNECT's answer, the preambles of
 * WebTransport's streams, a datagram's quarter stream ID), up to the
 * messages it queues for the session (see targets.h).
 *
 * Two connections are brought up once with the relay's quic edge in this
 * process (a real handshake): one of ALPN "ricochet", one a WebTransport
 * session's ("h3"); then the edge's socket is closed and the clients'
 * connections are never read or written again. Each input gets a detached
 * session for each and the transports back where their handshake left
 * them (no stream read, nothing queued, no answer yet), then plays the
 * relay's side as ngtcp2 would hand it over, through the transport's own
 * callbacks (client_quic_callbacks): stream data on the control stream, on
 * the CONNECT's stream, on streams the relay opens (each opened before its
 * first bytes, never reused once closed), DATAGRAM payloads, streams
 * closed; and the session reading what the transport queued
 * (client_receive, as the transport's poll hands it over). A stream the
 * transport stopped reading (a frame it cannot read past: it calls
 * ngtcp2_conn_shutdown_stream_read, on a stream ngtcp2 here never saw) is
 * fed on, as a connection that failed to stop it would.
 *
 * The input: operations, each a byte: its low 3 bits the kind, bit 7 the
 * connection (0: ricochet, 1: WebTransport), bits 3..5 a stream's slot:
 *   0  bytes on the control stream (WebTransport: the session's, once its
 *      answer was 200), length from the input (past 0xef, a second byte);
 *   1  bytes on a stream the relay opened (one per slot);
 *   2  bytes on the CONNECT's stream (ricochet: the control stream);
 *   3  a DATAGRAM frame's payload;
 *   4  a stream of the relay's closed (slot 7: the control stream; 6, on
 *      WebTransport: the CONNECT's);
 *   5  canned bytes: the answer 200 or 404, a welcome, a state on each
 *      way, a sender's WebTransport preamble, HTTP/3's control stream;
 *   6  the session reads what is queued;
 *   7  the CONNECT's stream ends (FIN), with bytes.
 * Checked after each: a message queued came the way its channel says (the
 * control stream: control messages and events on channel 0, states
 * reliable; a sender's stream: states of at most PROTO_STATE_MAX bytes on
 * the sender-stream channel; a datagram: a state channel's, unsequenced),
 * none from the CONNECT's stream or a stream whose preamble is not a
 * sender's of this session; the answer's status is none, a final one
 * (100-999), unreadable or none before the end, and the session opens on
 * a 200 only. */
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

#define FQC_OPS 400
#define FQC_SLOTS 8               /* the relay's streams open at once, here */
#define FQC_T0 2000000000000ull

struct fqc_stream {
    int64_t sid;                  /* -1: none */
    uint64_t off;
};

struct fqc_conn {
    struct client_quic q;
    bool wt;
    bool session;                 /* WebTransport: the 200 came, the control stream opened */
    struct fqc_stream ins[FQC_SLOTS];
    int64_t next_uni;             /* the relay's next unidirectional stream ID */
    uint64_t ctl_off, connect_off;
    bool connect_ended;
};

static struct {
    struct relay_quic *t;
    uint16_t port;
    struct fqc_conn m[2];
    uint64_t now;
} fqc;

/* What the corpus reached, for test_fuzz_smoke. */
struct fuzz_quicclient_reach {
    unsigned long control;        /* messages queued from the control stream */
    unsigned long senders;        /* ... from senders' streams */
    unsigned long datagrams;      /* ... from datagrams */
    unsigned long sessions;       /* WebTransport answers 200 */
    unsigned long events;         /* events the sessions gave */
};
static struct fuzz_quicclient_reach fuzz_quicclient_reached;

/* ---- the connections, once ---------------------------------------------------------- */

static void fqc_setup(void)
{
    log_threshold = LOG_OFF;
    char err[256];
    struct relay_net_config ncfg = {.bind = "127.0.0.1", .port = 0, .peer_cap = 4,
                                    .max_packet_size = 2048, .timeout_ms = 60000,
                                    .handshake_ms = 10000, .max_half_open = 4};
    fqc.t = relay_quic_ops.create(&ncfg, err, sizeof err);
    FUZZ_CHECK(fqc.t != NULL);
    fqc.port = netaddr_port(&fqc.t->local);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 4;
    struct relay_transport tp = relay_quic_ops.core(fqc.t, 0);
    struct relay *r = relay_create(&cfg, &tp, 1);
    FUZZ_CHECK(r != NULL);
    struct ricochet *cl[2];
    for (int i = 0; i < 2; i++) {
        struct client_config ccfg = {.room = "f", .name = i ? "w" : "q",
                                     .mode = PROTO_MODE_RELIABLE, .timeout_ms = 10000};
        cl[i] = client_create_detached(&ccfg, err, sizeof err);
        FUZZ_CHECK(cl[i] != NULL);
        snprintf(cl[i]->host, sizeof cl[i]->host, "127.0.0.1");
        FUZZ_CHECK(netaddr_resolve("127.0.0.1", fqc.port, &cl[i]->relay, err, sizeof err) == 0);
        struct client_quic *q = &fqc.m[i].q;
        memset(q, 0, sizeof *q);
        q->c = cl[i];
        fqc.m[i].wt = i == 1;
        if (i == 1)
            FUZZ_CHECK(client_wt_new(q, "127.0.0.1", fqc.port, NULL) == 0);
        FUZZ_CHECK(client_quic_start(cl[i], q, &ccfg, err, sizeof err) == 0);
    }
    uint64_t until = clock_now_us() + 10000000;
    while ((!fqc.m[0].q.opened || !fqc.m[1].q.opened) && clock_now_us() < until) {
        struct pollfd p = {.fd = fqc.t->fd, .events = POLLIN};
        poll(&p, 1, 1);
        relay_quic_ops.service(fqc.t, r);
        relay_quic_ops.flush(fqc.t, r);
        for (int i = 0; i < 2; i++) {
            FUZZ_CHECK(client_quic_read(cl[i], &fqc.m[i].q, clock_now_us()) == 0);
            FUZZ_CHECK(client_quic_write(cl[i], &fqc.m[i].q) == 0);
        }
    }
    FUZZ_CHECK(fqc.m[0].q.opened && fqc.m[1].q.opened);
    relay_destroy(r);
    fqc.t->relay = NULL;
    close(fqc.t->fd);
    fqc.t->fd = -1; /* the clients' packets go nowhere; none is sent again */
    for (int i = 0; i < 2; i++) {
        fqc.m[i].q.c = NULL;
        ricochet_close(cl[i]);
    }
}

/* m's transport back where its handshake left it (client_quic_start, then
 * the handshake's on_handshake), with a new session of its own. */
static void fqc_rewind(struct fqc_conn *m, uint8_t mode)
{
    static const enum proto_mode modes[] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                            PROTO_MODE_RELIABLE, PROTO_MODE_STREAMS};
    struct client_quic *q = &m->q;
    char err[256];
    struct client_config ccfg = {.room = "f", .name = m->wt ? "w" : "q",
                                 .mode = modes[mode & 3], .timeout_ms = 10000,
                                 .no_histograms = true,
                                 .transport = RICOCHET_TRANSPORT_QUIC};
    q->c = client_create_detached(&ccfg, err, sizeof err);
    FUZZ_CHECK(q->c != NULL);
    for (size_t i = 0; i < q->n_ins; i++)
        quicmsg_reader_free(&q->ins[i].r);
    q->n_ins = 0;
    quicmsg_reader_free(&q->control_in);
    quicmsg_reader_init(&q->control_in, PROTO_CONTROL_MAX);
    q->in_len = q->in_at = 0;
    q->ctl_sid = m->wt ? -1 : 0;
    q->up_sid = -1;
    q->opened = q->closed = q->draining = false;
    q->states_in_us = 0;
    q->read_at = fqc.now;
    if (m->wt) {
        client_wt_free(q->wt);
        q->wt = NULL;
        FUZZ_CHECK(client_wt_new(q, "127.0.0.1", fqc.port, NULL) == 0);
    }
    for (int i = 0; i < FQC_SLOTS; i++)
        m->ins[i].sid = -1;
    m->session = false;
    m->next_uni = 3;
    m->ctl_off = m->connect_off = 0;
    m->connect_ended = false;
}

/* ---- the checks ---------------------------------------------------------------------- */

enum fqc_way { FQC_CONTROL, FQC_SENDER, FQC_DATAGRAM, FQC_NONE };

/* The messages m's transport queued since `from`, each as the way it came. */
static void fqc_check_queued(const struct fqc_conn *m, size_t from, enum fqc_way way)
{
    const struct client_quic *q = &m->q;
    FUZZ_CHECK(q->in_len >= from);
    FUZZ_CHECK(way != FQC_NONE || q->in_len == from);
    for (size_t at = from; at < q->in_len;) {
        struct client_quic_queued h;
        FUZZ_CHECK(q->in_len - at >= sizeof h);
        memcpy(&h, q->in + at, sizeof h);
        const uint8_t *msg = q->in + at + sizeof h;
        FUZZ_CHECK(h.len >= 1 && h.len <= q->in_len - at - sizeof h);
        switch (way) {
        case FQC_CONTROL:
            FUZZ_CHECK(h.flags == PROTO_FLAG_RELIABLE && h.len <= PROTO_CONTROL_MAX);
            FUZZ_CHECK(msg[0] == '{' || proto_is_event(msg, h.len)
                           ? h.channel == PROTO_CHANNEL_CONTROL
                           : h.channel == PROTO_CHANNEL_RELIABLE);
            fuzz_quicclient_reached.control++;
            break;
        case FQC_SENDER:
            FUZZ_CHECK(h.flags == PROTO_FLAG_RELIABLE && h.len <= PROTO_STATE_MAX);
            FUZZ_CHECK(h.channel == PROTO_CHANNEL_SENDER_STREAM);
            fuzz_quicclient_reached.senders++;
            break;
        default:
            FUZZ_CHECK(h.flags == PROTO_FLAG_UNSEQUENCED && quicmsg_datagram_channel(h.channel));
            fuzz_quicclient_reached.datagrams++;
            break;
        }
        at += sizeof h + h.len;
    }
}

static void fqc_check_answer(struct fqc_conn *m)
{
    struct client_quic *q = &m->q;
    if (!m->wt)
        return;
    int status = client_wt_status(q);
    FUZZ_CHECK(status == 0 || (status >= 200 && status <= 999) || status < 0);
    FUZZ_CHECK(status != CLIENT_WT_NO_ANSWER || m->connect_ended);
    FUZZ_CHECK(q->opened == (status == 200) || (q->opened && m->session));
    if (status == 200 && !m->session) {
        /* the session's control stream, as client_wt_session opens it: the
         * next bidirectional stream */
        m->session = true;
        q->ctl_sid = 4;
        fuzz_quicclient_reached.sessions++;
    }
}

/* The session reads what was queued, as the transport's poll hands it. */
static void fqc_read(struct fqc_conn *m)
{
    struct client_quic *q = &m->q;
    for (size_t at = 0; at < q->in_len;) {
        struct client_quic_queued h;
        memcpy(&h, q->in + at, sizeof h);
        struct ricochet_event ev;
        int rc = client_receive(q->c, h.channel, h.flags, q->in + at + sizeof h, h.len,
                                fqc.now, &ev);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        fuzz_quicclient_reached.events += rc == 1;
        at += sizeof h + h.len;
    }
    q->in_len = q->in_at = 0;
}

/* ---- the relay's side ---------------------------------------------------------------- */

static void fqc_data(struct fqc_conn *m, int64_t sid, uint64_t *off, const uint8_t *p, size_t n,
                     bool fin, enum fqc_way way)
{
    struct client_quic *q = &m->q;
    size_t before = q->in_len;
    q->read_at = fqc.now;
    int rv = client_quic_callbacks.recv_stream_data(
        q->conn, fin ? NGTCP2_STREAM_DATA_FLAG_FIN : 0, sid, *off, p, n, q, NULL);
    FUZZ_CHECK(rv == 0);
    *off += n;
    fqc_check_queued(m, before, way);
    fqc_check_answer(m);
}

/* The relay's stream in slot i, opened with its next ID if it has none. */
static struct fqc_stream *fqc_in(struct fqc_conn *m, int i)
{
    struct fqc_stream *s = &m->ins[i % FQC_SLOTS];
    if (s->sid >= 0)
        return s;
    s->sid = m->next_uni;
    s->off = 0;
    m->next_uni += 4;
    FUZZ_CHECK(client_quic_callbacks.stream_open(m->q.conn, s->sid, &m->q) == 0);
    return s;
}

static void fqc_datagram(struct fqc_conn *m, const uint8_t *p, size_t n)
{
    if (n == 0)
        return; /* ngtcp2 hands none over */
    size_t before = m->q.in_len;
    FUZZ_CHECK(client_quic_callbacks.recv_datagram(m->q.conn, 0, p, n, &m->q) == 0);
    fqc_check_queued(m, before, FQC_DATAGRAM);
}

static void fqc_control(struct fqc_conn *m, const uint8_t *p, size_t n)
{
    struct client_quic *q = &m->q;
    if (q->ctl_sid < 0) /* WebTransport before its 200: no such stream yet */
        return;
    fqc_data(m, q->ctl_sid, &m->ctl_off, p, n, false, FQC_CONTROL);
}

static void fqc_connect(struct fqc_conn *m, const uint8_t *p, size_t n, bool fin)
{
    if (!m->wt) {
        fqc_control(m, p, n);
        return;
    }
    if (m->connect_ended)
        return;
    m->connect_ended = fin; /* the FIN comes with these bytes */
    fqc_data(m, 0, &m->connect_off, p, n, fin, FQC_NONE);
}

static void fqc_sender(struct fqc_conn *m, int slot, const uint8_t *p, size_t n)
{
    struct fqc_stream *s = fqc_in(m, slot);
    struct client_quic *q = &m->q;
    /* a stream of another kind (WebTransport: another type, another
     * session) queues nothing */
    bool ours = false;
    for (size_t i = 0; i < q->n_ins; i++)
        if (q->ins[i].sid == s->sid)
            ours = q->ins[i].skip != CLIENT_WT_IGNORED;
    size_t before = q->in_len;
    fqc_data(m, s->sid, &s->off, p, n, false, ours ? FQC_SENDER : FQC_NONE);
    for (size_t i = 0; i < q->n_ins; i++)
        if (q->ins[i].sid == s->sid && q->ins[i].skip == CLIENT_WT_IGNORED)
            FUZZ_CHECK(q->in_len == before);
}

static void fqc_close(struct fqc_conn *m, int slot)
{
    struct client_quic *q = &m->q;
    int64_t sid;
    if (slot == 7 || (slot == 6 && m->wt)) { /* the control stream, the CONNECT's */
        sid = slot == 7 ? q->ctl_sid : 0;
        if (sid < 0 || (sid == 0 && m->connect_ended))
            return;
        m->connect_ended |= sid == 0;
    } else {
        struct fqc_stream *s = &m->ins[slot % FQC_SLOTS];
        if (s->sid < 0)
            return;
        sid = s->sid;
        s->sid = -1;
    }
    FUZZ_CHECK(client_quic_callbacks.stream_close(q->conn, 0, sid, 0, q, NULL) == 0);
    if (slot == 7 || (slot == 6 && m->wt))
        FUZZ_CHECK(q->closed); /* the relay ended the session's stream, or its CONNECT's */
    for (size_t i = 0; i < q->n_ins; i++)
        FUZZ_CHECK(q->ins[i].sid != sid);
}

static size_t fqc_frame(uint8_t *out, const void *msg, size_t len)
{
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    memcpy(out + 2, msg, len);
    return len + 2;
}

static size_t fqc_state(uint8_t *out, uint32_t sender, uint32_t seq)
{
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = 1000, .x = 1.0f};
    FUZZ_CHECK(proto_state_encode(out, PROTO_STATE_MAX, &s) == PROTO_STATE_SIZE);
    return PROTO_STATE_SIZE;
}

static void fqc_canned(struct fqc_conn *m, struct fuzz_input *in)
{
    uint8_t what = fuzz_byte(in), buf[4096], st[PROTO_STATE_MAX];
    size_t n = 0;
    switch (what % 8) {
    case 0: /* the answer: 200, or 404 */
        n = h3_response(what & 0x40 ? 404 : 200, buf);
        FUZZ_CHECK(n > 0);
        fqc_connect(m, buf, n, false);
        break;
    case 1: { /* a welcome, then another member joined */
        static struct proto_control w;
        char json[1024];
        proto_control_init(&w, PROTO_CTL_WELCOME);
        w.id = 1;
        snprintf(w.room, sizeof w.room, "f");
        w.roster_len = 1;
        w.roster[0].id = 2;
        snprintf(w.roster[0].name, sizeof w.roster[0].name, "other");
        w.roster[0].mode = PROTO_MODE_UNSEQUENCED;
        int len = proto_control_encode(json, sizeof json, &w);
        FUZZ_CHECK(len > 0);
        n = fqc_frame(buf, json, (size_t)len);
        fqc_control(m, buf, n);
        break;
    }
    case 2: /* a reliable state on the control stream */
        n = fqc_frame(buf, st, fqc_state(st, 2, fuzz_byte(in)));
        fqc_control(m, buf, n);
        break;
    case 3: { /* a sender's stream: its preamble (WebTransport), a state */
        struct fqc_stream *s = &m->ins[((what >> 3) & 7) % FQC_SLOTS];
        bool fresh = s->sid < 0, other = m->wt && (what & 0x40);
        size_t before = m->q.in_len;
        if (m->wt && fresh)
            n = h3_wt_uni_preamble(other ? 4 : 0, buf); /* this session's, or another's */
        n += fqc_frame(buf + n, st, fqc_state(st, 2, fuzz_byte(in)));
        fqc_sender(m, (what >> 3) & 7, buf, n);
        if (fresh && other) /* another session's stream: nothing of it */
            FUZZ_CHECK(m->q.in_len == before);
        else if (fresh)
            FUZZ_CHECK(m->q.in_len > before);
        break;
    }
    case 4: /* a state in a datagram, the quarter stream ID first (WebTransport) */
        n = m->wt ? h3_varint_put(buf, 0) : 0;
        buf[n++] = what & 0x40 ? PROTO_CHANNEL_RELIABLE : PROTO_CHANNEL_STATE;
        n += fqc_state(buf + n, 2, fuzz_byte(in));
        fqc_datagram(m, buf, n);
        break;
    case 5: { /* HTTP/3's control stream of the relay's: read and dropped */
        bool fresh = m->ins[((what >> 3) & 7) % FQC_SLOTS].sid < 0;
        size_t before = m->q.in_len;
        n = h3_control_stream(buf);
        fqc_sender(m, (what >> 3) & 7, buf, n);
        if (fresh && m->wt)
            FUZZ_CHECK(m->q.in_len == before);
        break;
    }
    case 6: /* an event to the room */
        n = (size_t)proto_event_encode(st, sizeof st, 0, "hello", 5);
        proto_state_stamp_sender(st, 2);
        n = fqc_frame(buf, st, n);
        fqc_control(m, buf, n);
        break;
    default: /* the CONNECT's stream ends */
        fqc_connect(m, NULL, 0, true);
        break;
    }
}

static void fqc_op(struct fuzz_input *in)
{
    uint8_t op = fuzz_byte(in);
    struct fqc_conn *m = &fqc.m[op >> 7];
    int slot = (op >> 3) & 7;
    fqc.now += 1000;
    switch (op & 7) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 7: {
        size_t len = fuzz_byte(in);
        if (len >= 0xf0)
            len = (len & 0x0f) << 8 | fuzz_byte(in);
        uint8_t *p = fuzz_take(in, len);
        switch (op & 7) {
        case 0:
            fqc_control(m, p, len);
            break;
        case 1:
            fqc_sender(m, slot, p, len);
            break;
        case 2:
            fqc_connect(m, p, len, false);
            break;
        case 3:
            fqc_datagram(m, p, len);
            break;
        default:
            fqc_connect(m, p, len, true);
            break;
        }
        free(p);
        break;
    }
    case 4:
        fqc_close(m, slot);
        break;
    case 5:
        fqc_canned(m, in);
        break;
    default:
        fqc_read(m);
        break;
    }
}

int fuzz_target_quicclient(const uint8_t *data, size_t size)
{
    if (!fqc.t)
        fqc_setup();
    struct fuzz_input in = {data, size};
    uint8_t modes = fuzz_byte(&in);
    fqc.now = FQC_T0;
    for (int i = 0; i < 2; i++)
        fqc_rewind(&fqc.m[i], (uint8_t)(modes >> (2 * i)));
    for (int k = 0; k < FQC_OPS && in.left > 0; k++)
        fqc_op(&in);
    for (int i = 0; i < 2; i++) {
        fqc_read(&fqc.m[i]);
        ricochet_close(fqc.m[i].q.c);
        fqc.m[i].q.c = NULL;
    }
    return 0;
}
