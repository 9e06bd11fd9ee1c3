/* client_quic.c: the client library over QUIC (the ENet modes and
 * streams; see client_internal.h), to a relay's quic edge (PROTOCOL.md,
 * "QUIC"); the connection itself is client_quic_conn.c's.
 *
 * Once the handshake is done the session opens the control stream
 * (bidirectional, id 0) and sends its join there. A state goes the way of
 * its mode: unsequenced and sequenced in a DATAGRAM frame after their
 * channel byte, reliable on the control stream, streams on a stream of
 * the client's own (unidirectional); a mode switch is another way, as
 * over ENet's channels. What arrives is handed to the session with the
 * channel and flags of its way: the control stream's as ENet's channel 0
 * or a reliable state, a datagram's as its channel byte's row, a state on
 * a stream the relay opened for its sender on PROTO_CHANNEL_SENDER_STREAM
 * (the mode streams). TLS encrypts every byte: the relay seals nothing
 * (caps.secure).
 *
 * What the connection hears is queued by its callbacks and handed to the
 * session a message a step. The session's descriptor is an epoll set
 * holding the socket, so that a new socket (client_rebind: connection
 * migration) keeps it. What a read leaves to write, an acknowledgement
 * mostly, rides with the session's next state (hold_until), as
 * the relay's rides with its room's fan-out: half the packets. */
#include "client/lib/client_internal.h"
#include "client_quic_conn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "sys/clock.h"

/* The transport's state (c->tp): the connection and a batch being handed
 * out. */
struct quic_session {
    struct client_quic q;
    struct client_batch batch;
};

static int quic_open(struct ricochet *c, const struct client_config *cfg, char *err,
                     size_t err_cap)
{
    struct quic_session *qs = calloc(1, sizeof *qs);
    if (!qs) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = qs;
    struct client_quic *t = &qs->q;
    t->c = c;
    t->fd = t->ep = -1; /* nothing to close yet, whatever fails next */
    if (cfg->transport == RICOCHET_TRANSPORT_WEBTRANSPORT &&
        client_wt_new(t, cfg->host, cfg->port, c->ticket ? c->ticket->pass : NULL) != 0) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    if (client_quic_start(c, t, cfg, err, err_cap) != 0)
        return -1;
    t->heard_us = clock_now_us();
    return 0;
}

/* ---- what came ----------------------------------------------------------------------- */

/* The session ends with why the connection did (rv: ngtcp2's error, or
 * 0: closed), unless the relay's farewell said it first. */
static void quic_ended(struct ricochet *c, struct client_quic *t, int rv)
{
    char text[PROTO_TEXT_MAX + 1];
    const char *code = RICOCHET_END_DISCONNECTED;
    int status = client_wt_status(t);
    if (status != 0 && status != 200) {
        code = RICOCHET_END_REFUSED;
        if (status > 0)
            snprintf(text, sizeof text, "the relay refused the WebTransport session (%d)", status);
        else
            snprintf(text, sizeof text, "the relay's WebTransport answer %s",
                     status == CLIENT_WT_NO_ANSWER ? "never came" : "does not read");
    } else if (t->reset) {
        snprintf(text, sizeof text, "the relay reset the QUIC connection (it had forgotten it)");
    } else if (t->pin_failed) {
        code = RICOCHET_END_REFUSED;
        snprintf(text, sizeof text, "the relay's certificate does not match the pin");
    } else if (rv == NGTCP2_ERR_DRAINING || rv == 0) {
        ngtcp2_connection_close_error e;
        ngtcp2_conn_get_connection_close_error(t->conn, &e);
        snprintf(text, sizeof text, "the relay closed the QUIC connection (%s error %llu)",
                 e.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION ? "application"
                                                                                : "transport",
                 (unsigned long long)e.error_code);
    } else if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
        code = RICOCHET_END_TIMEOUT;
        snprintf(text, sizeof text, "the relay went silent (%s)", ngtcp2_strerror(rv));
    } else if (rv == NGTCP2_ERR_CRYPTO) {
        code = RICOCHET_END_REFUSED;
        snprintf(text, sizeof text, "the QUIC handshake failed (TLS alert %u)",
                 (unsigned)ngtcp2_conn_get_tls_alert(t->conn));
    } else {
        snprintf(text, sizeof text, "QUIC: %s", ngtcp2_strerror(rv));
    }
    t->closed = true;
    client_connection_lost(c, t->up || !strcmp(code, RICOCHET_END_TIMEOUT) ? code
                                                                      : RICOCHET_END_REFUSED,
                       text);
}

/* The handshake done: the control stream, and the join on it (over
 * WebTransport, the CONNECT first, and once the relay answers 200 the
 * session's stream and the join). */
static void quic_news(struct ricochet *c, struct client_quic *t)
{
    int status = client_wt_status(t);
    if (status != 0 && status != 200 && !t->closed) { /* refused: quic_ended says so */
        client_quic_goodbye(c, t); /* the relay keeps nothing of mine waiting */
        t->closed = true;
    }
    if (!t->opened || t->closed)
        return;
    t->opened = false;
    int rc = client_quic_control(t);
    if (rc < 0) {
        quic_ended(c, t, -1);
        return;
    }
    if (rc > 0)
        return; /* WebTransport: the CONNECT is out, the relay's answer next */
    t->up = true;
    if (!t->wt) { /* WebTransport's relay times the session itself, below what it says */
        const ngtcp2_transport_params *p = ngtcp2_conn_get_remote_transport_params(t->conn);
        c->relay_idle_ms = p ? (uint32_t)(p->max_idle_timeout / NGTCP2_MILLISECONDS) : 0;
    }
    client_join_now(c);
}

/* Until when what a read leaves to write (acknowledgements, mostly)
 * waits to ride with my next state, as the relay's ride with its room's
 * fan-out: while I send datagram states, one gap after the last one and
 * CLIENT_QUIC_HOLD_RIDE_US more (the gap CLIENT_QUIC_HOLD_MAX_US at most,
 * the max_ack_delay announced). Nothing waits (0) while my stream bytes
 * are unacknowledged, nor until a state goes CLIENT_QUIC_HOLD_MAX_US after
 * reliable states came: a reliable state's retransmission, mine or the
 * relay's, would wait too (control messages, pongs say, may). Nor while
 * congestion control holds datagrams back, once CLIENT_QUIC_HOLD_PKTS came
 * unacknowledged (the relay's window must not fill), past a round trip of
 * CLIENT_QUIC_HOLD_RTT_MS, or just after a move. */
static uint64_t hold_until(const struct client_quic *t)
{
    if (!t->up || !t->state_us || t->control_out.queued || t->up_out.queued || t->n_dgrams ||
        t->reads_unwritten >= CLIENT_QUIC_HOLD_PKTS)
        return 0;
    if (t->states_in_us && t->state_us < t->states_in_us + CLIENT_QUIC_HOLD_MAX_US)
        return 0;
    if (t->moved_us && t->state_us < t->moved_us + CLIENT_QUIC_HOLD_AFTER_MOVE_US)
        return 0;
    if (client_quic_rtt_ms(t) > CLIENT_QUIC_HOLD_RTT_MS) /* ngtcp2's statistics, copied: last */
        return 0;
    uint64_t gap = t->state_gap_us < CLIENT_QUIC_HOLD_MAX_US ? t->state_gap_us
                                                             : CLIENT_QUIC_HOLD_MAX_US;
    return t->state_us + gap + CLIENT_QUIC_HOLD_RIDE_US;
}

/* A datagram state sent now: the gap hold_until reads. */
static void state_sent(struct client_quic *t, uint64_t now)
{
    t->state_gap_us = t->state_us ? now - t->state_us : 0;
    t->state_us = now;
}

/* How long a step may wait: wait_ms, no later than ngtcp2's next timer,
 * or, if that is due but held (hold_until), the hold's end. */
static int step_wait_ms(const struct client_quic *t, int wait_ms)
{
    uint64_t now = clock_now_us(), expiry = ngtcp2_conn_get_expiry(t->conn) / 1000u;
    uint64_t hold = hold_until(t);
    if (expiry <= now && hold > now)
        expiry = hold;
    if (wait_ms > CLIENT_QUIC_WAIT_MAX_MS)
        wait_ms = CLIENT_QUIC_WAIT_MAX_MS;
    if (expiry <= now)
        return 0;
    uint64_t ms = (expiry - now + 999) / 1000;
    return ms < (uint64_t)wait_ms ? (int)ms : wait_ms;
}

/* Writes what waits, unless it may ride with my next state: an
 * acknowledgement, mostly (hold_until). */
static int write_unless_held(struct ricochet *c, struct client_quic *t)
{
    return clock_now_us() < hold_until(t) ? 0 : client_quic_write(c, t);
}

/* Everything the socket and the timers have now. Returns 1 if messages
 * were queued, else 0 (the connection's end is told by quic_ended). */
static int quic_progress(struct ricochet *c)
{
    struct client_quic *t = c->tp;
    t->in_len = t->in_at = 0;
    if (t->closed)
        return 0;
    int rv = client_quic_read(c, t, clock_now_us());
    if (rv == 0)
        quic_news(c, t);
    if (rv == 0 && !t->closed && c->phase != PHASE_DEAD)
        rv = write_unless_held(c, t);
    if (c->phase == PHASE_DEAD)
        return 0;
    if (rv != 0 || t->closed) {
        if (t->in_at < t->in_len)
            return 1; /* what came before the end is handed out first */
        quic_ended(c, t, rv);
        return 0;
    }
    return t->in_at < t->in_len;
}

/* The next queued message handed to the session. Returns 1 with *ev, 0
 * after one that made no event, -1 if none is queued. */
static int quic_next(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_quic *t = c->tp;
    if (t->in_at >= t->in_len)
        return -1;
    struct client_quic_queued q;
    memcpy(&q, t->in + t->in_at, sizeof q);
    const uint8_t *msg = t->in + t->in_at + sizeof q;
    t->in_at += sizeof q + q.len;
    return client_receive_arrived(c, &((struct quic_session *)c->tp)->batch, msg, q.len,
                                  q.channel, q.flags, q.at, ev);
}

static void quic_wait(struct ricochet *c, int wait_ms)
{
    struct client_quic *t = c->tp;
    struct epoll_event e;
    int ms = step_wait_ms(t, wait_ms);
    if (ms > 0)
        epoll_wait(t->ep, &e, 1, ms);
}

static const struct client_reader quic_reader = {.next = quic_next, .more = quic_progress,
                                                 .wait = quic_wait};

static int quic_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    return client_read_step(c, &((struct quic_session *)c->tp)->batch, &quic_reader, wait_ms,
                            ev);
}

/* ---- sending ------------------------------------------------------------------------------ */

static bool quic_ready(const struct ricochet *c)
{
    const struct client_quic *t = c->tp;
    return t && t->conn && t->up && !t->closed;
}

/* A message in a frame on the control stream, written at once. */
static int quic_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    struct client_quic *t = c->tp;
    if (!quic_ready(c) || quicmsg_out_frame(&t->control_out, buf, len, 0) != 0)
        return -1;
    return client_quic_write(c, t) == 0 ? 0 : -1;
}

/* A datagram of the state after its channel byte, queued for the write
 * that follows (congestion control may hold it back: the oldest held goes
 * once CLIENT_QUIC_DGRAMS_MAX wait). Returns 0 or -1. */
static int queue_dgram(struct client_quic *t, uint8_t channel, const uint8_t *buf, size_t len)
{
    if (!t->dgrams && !(t->dgrams = malloc(CLIENT_QUIC_DGRAMS_MAX * sizeof *t->dgrams)))
        return -1;
    if (t->n_dgrams == CLIENT_QUIC_DGRAMS_MAX) {
        uint32_t seq = t->dgrams[0].seq; /* its state never leaves: said, as a loss is */
        memmove(t->dgrams, t->dgrams + 1, --t->n_dgrams * sizeof *t->dgrams);
        t->dgrams_dropped++;
        if (t->c->fate)
            t->c->fate(t->c->fate_ctx, t->c, seq, CLIENT_FATE_DROPPED);
    }
    struct client_quic_dgram *d = &t->dgrams[t->n_dgrams++];
    struct proto_state s;
    size_t head = client_wt_dgram_head(t, d->bytes);
    d->bytes[head] = channel;
    memcpy(d->bytes + head + QUICMSG_DATAGRAM_HEAD, buf, len);
    d->len = (uint16_t)(head + QUICMSG_DATAGRAM_HEAD + len);
    d->seq = proto_state_decode(buf, len, &s) == PROTO_OK ? s.seq : 0;
    return 0;
}

/* A state the way of its mode: a datagram after its channel byte, the
 * control stream (reliable), or my own stream (streams). */
static int quic_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                           const uint8_t *buf, size_t len)
{
    struct client_quic *t = c->tp;
    if (!quic_ready(c))
        return -1;
    int rc;
    if (mi->up_channel == PROTO_CHANNEL_SENDER_STREAM)
        rc = client_wt_own_stream(t) == 0 ? quicmsg_out_frame(&t->up_out, buf, len, 0) : -1;
    else if ((mi->up_flags & PROTO_FLAG_RELIABLE) || !client_quic_dgram_fits(t, len))
        rc = quicmsg_out_frame(&t->control_out, buf, len, 0);
    else if ((rc = queue_dgram(t, mi->up_channel, buf, len)) == 0)
        state_sent(t, clock_now_us());
    if (rc != 0)
        return -1;
    return client_quic_write(c, t) == 0 ? 0 : -1;
}

/* ---- closing -------------------------------------------------------------------------------- */

/* The session is dead: nothing more is read or sent. */
static void quic_hang_up(struct ricochet *c)
{
    struct client_quic *t = c->tp;
    if (t)
        t->closed = true;
}

static void quic_flush(struct ricochet *c)
{
    struct client_quic *t = c->tp;
    if (t && !t->closed && t->conn)
        write_unless_held(c, t);
}

/* Leaving: the control stream's last bytes, then CONNECTION_CLOSE (no
 * error), which the relay reads as a quit; after a hang-up (a moved, a
 * rejoin, the end) only the CONNECTION_CLOSE, unless the relay closed the
 * connection first: the relay it leaves forgets it now, not after waiting
 * for an acknowledgement or its idle timeout. */
static void quic_close(struct ricochet *c)
{
    struct client_quic *t = c->tp;
    if (!t)
        return;
    t->draining = true;
    client_quic_goodbye(c, t);
    client_quic_free(t);
    free(c->tp);
    c->tp = NULL;
}

/* ---- the rest of the operations ------------------------------------------------------------- */

static int quic_fd(const struct ricochet *c)
{
    const struct client_quic *t = c->tp;
    return t ? t->ep : -1;
}

static int quic_udp_socket(const struct ricochet *c)
{
    const struct client_quic *t = c->tp;
    return t ? t->fd : -1;
}

static void quic_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_quic *t = c->tp;
    if (!t)
        return;
    info->quic_rtt_ms = client_quic_rtt_ms(t);
    info->quic_datagrams_acked = t->dgrams_acked;
    info->quic_datagrams_lost = t->dgrams_lost;
    info->quic_datagrams_dropped = t->dgrams_dropped;
}

static uint64_t quic_silent_us(const struct ricochet *c, uint64_t now_us)
{
    const struct client_quic *t = c->tp;
    return t && t->heard_us && now_us > t->heard_us ? now_us - t->heard_us : 0;
}

/* Connection migration: a new socket (a new port), the old one closed;
 * the relay validates the new path and keeps the member. */
static int quic_rebind(struct ricochet *c)
{
    return quic_ready(c) ? client_quic_migrate(c, c->tp) : -1;
}

const struct client_transport_ops client_quic_ops = {
    .caps = {
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE) | (1u << PROTO_MODE_STREAMS),
        .channels = true,
        .control_min = 0,
        .secure = true,
        .connection = true,
    },
    .open = quic_open,
    .close = quic_close,
    .service = client_service,
    .step = quic_step,
    .ready = quic_ready,
    .send_control = quic_send_control,
    .send_state = quic_send_state,
    .hang_up = quic_hang_up,
    .flush = quic_flush,
    .fd = quic_fd,
    .netinfo = quic_netinfo,
    .silent_us = quic_silent_us,
    .socket = quic_udp_socket,
    .rebind = quic_rebind,
};
