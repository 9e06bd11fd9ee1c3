/* transport_quic_conn.c: one QUIC connection of the relay's quic edge:
 * ngtcp2's server connection and GnuTLS's session, made only for a client
 * whose address a token proved (transport_quic.c validates it first),
 * their callbacks, its packets in and out, its timer and its end.
 *
 *   - handshake: TLS 1.3 with the edge's certificate, the ALPN choosing the
 *     application; no session tickets, so no 0-RTT. A handshake that does
 *     not complete within ngtcp2's handshake timeout (--join-timeout-ms)
 *     ends the connection, counted half_open;
 *   - the client opens the control stream (bidirectional, id 0) and may
 *     open one unidirectional stream of its own (streams mode); the
 *     transport parameters allow exactly those (MAX_STREAMS 1 each), so a
 *     stream flood is ngtcp2's STREAM_LIMIT_ERROR, counted protocol_errors;
 *   - its first message on the control stream makes the connection a peer
 *     of the core (relay_peer_connect); until then it is half-open (at
 *     most --max-half-open of them, each closed at --join-timeout-ms);
 *   - every message is relay_on_datagram with the (channel, flags) of the
 *     way it came: JSON on the control stream as control (channel 0), a
 *     state there as reliable, a state on the client's own stream on
 *     PROTO_CHANNEL_SENDER_STREAM (streams), a datagram on its channel
 *     byte's channel, unsequenced;
 *   - a path that changes (connection migration: a new address, a new
 *     port) is validated by ngtcp2 before data follows it; the peer stays
 *     the same peer of the core;
 *   - its end: the client's CONNECTION_CLOSE (left quit), ngtcp2's idle
 *     timeout (left timeout; on h3 the edge's own at --timeout-ms, ngtcp2's
 *     being longer), a protocol error (counted, closed), or the
 *     core's disconnect, which waits for the control stream's last bytes
 *     to be acknowledged (QUIC_EDGE_CLOSE_US at most) before its
 *     CONNECTION_CLOSE with the error's code. A closed connection keeps its
 *     IDs for three PTOs, answering with its close packet a few times.
 *
 * ngtcp2's calls are never made from inside its own callbacks
 * (transport_quic_in.c hands messages to the core, which queues:
 * transport_quic_send.c); packets are written after ngtcp2's call returns
 * (transport_quic_packets.c). */
#include "transport_quic.h"

#include <ngtcp2/ngtcp2_crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"

/* ---- the end of a connection ---------------------------------------------- */

/* Frees c's slot: its IDs, ngtcp2's and GnuTLS's state, its queues. */
static void conn_free(struct relay_quic *t, struct quic_conn *c)
{
    for (uint8_t i = 0; i < c->ids.n; i++)
        quic_cids_remove(&t->cids, c->ids.cid[i].data, c->ids.cid[i].datalen);
    quic_timers_set(&t->timers, c->slot, UINT64_MAX);
    if (c->conn)
        ngtcp2_conn_del(c->conn);
    if (c->tls.session) {
        transport_quic_tls_end(t, c);
        gnutls_deinit(c->tls.session);
    }
    transport_quic_out_free(c);
    transport_quic_h3_free(c);
    quicmsg_reader_free(&c->in.control);
    quicmsg_reader_free(&c->in.up);
    quic_life_free(c);
    uint32_t slot = c->slot;
    bool marked = c->marked; /* still in the list of this write pass */
    memset(c, 0, sizeof *c);
    c->slot = slot;
    c->marked = marked;
    t->slots.free[t->slots.n_free++] = slot;
}

/* c leaves the phase it was in: the core hears of a peer's end (why), a
 * half-open connection is counted. */
static void leave_phase(struct relay_quic *t, struct quic_conn *c, enum proto_left_reason why)
{
    switch (quic_life_leave(t, c)) {
    case QUIC_PHASE_PEER:
        if (quic_life_first_gone(c)) {
            t->slots.gone[t->slots.n_gone] = c->slot;
            t->slots.gone_why[t->slots.n_gone++] = (uint8_t)why;
        }
        break;
    case QUIC_PHASE_HANDSHAKE:
    case QUIC_PHASE_OPEN:
        t->own[QUIC_COUNT_HALF_OPEN]++;
        if (t->relay) /* a WebTransport session's pass, claimed at its CONNECT */
            relay_ticket_unclaim(t->relay, t->base + c->slot);
        break;
    default:
        break;
    }
}

/* c's connection is over with nothing to send (the client closed it,
 * ngtcp2 gave up on it): freed after three PTOs, its late packets ignored. */
static void end_quietly(struct relay_quic *t, struct quic_conn *c, enum proto_left_reason why,
                        uint64_t now_us)
{
    leave_phase(t, c, why);
    quic_life_ending(t, c, now_us, NULL, 0);
}

/* c is closed with c->last_error: its CONNECTION_CLOSE written and sent,
 * kept to answer late packets with, and freed after three PTOs. */
static void close_now(struct relay_quic *t, struct quic_conn *c, enum proto_left_reason why,
                      uint64_t now_us)
{
    leave_phase(t, c, why);
    uint8_t buf[QUIC_EDGE_PKT];
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, NULL, buf, sizeof buf,
                                                       &c->last_error, quic_ns(now_us));
    if (quic_life_ending(t, c, now_us, n > 0 ? buf : NULL, n > 0 ? (size_t)n : 0))
        transport_quic_queue(t, &c->remote, buf, (size_t)n);
}

/* What ngtcp2 said of c's packet or timer, when it is not 0. */
static void conn_error(struct relay_quic *t, struct quic_conn *c, int rv, uint64_t now_us)
{
    switch (rv) {
    case NGTCP2_ERR_DRAINING: /* the client closed */
        end_quietly(t, c, PROTO_LEFT_QUIT, now_us);
        return;
    case NGTCP2_ERR_IDLE_CLOSE: /* silent for the idle timeout: no packet (RFC 9000 10.1) */
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
        leave_phase(t, c, PROTO_LEFT_TIMEOUT);
        conn_free(t, c);
        return;
    case NGTCP2_ERR_DROP_CONN:
        leave_phase(t, c, PROTO_LEFT_QUIT);
        conn_free(t, c);
        return;
    case NGTCP2_ERR_CRYPTO: {
        uint8_t alert = ngtcp2_conn_get_tls_alert(c->conn);
        t->own[alert == GNUTLS_A_NO_APPLICATION_PROTOCOL ? QUIC_COUNT_ALPN_REFUSED
                                                      : QUIC_COUNT_TLS_FAILED]++;
        ngtcp2_connection_close_error_set_transport_error_tls_alert(&c->last_error, alert, NULL,
                                                                    0);
        break;
    }
    case NGTCP2_ERR_CALLBACK_FAILURE: /* ours: last_error says why */
        break;
    default:
        t->own[QUIC_COUNT_PROTOCOL]++;
        log_debug("relay: quic: connection %u: %s", c->slot, ngtcp2_strerror(rv));
        ngtcp2_connection_close_error_set_transport_error_liberr(&c->last_error, rv, NULL, 0);
        break;
    }
    close_now(t, c, PROTO_LEFT_QUIT, now_us);
}

/* ---- a new connection --------------------------------------------------------- */

/* The transport parameters a client gets: the two streams of the contract
 * and no more, windows for what one member sends, DATAGRAM frames of a
 * state, the relay's silence as the idle timeout, and the Retry's IDs. */
static void params_for(const struct relay_quic *t, const ngtcp2_pkt_hd *hd,
                       const ngtcp2_cid *odcid, const ngtcp2_cid *scid,
                       ngtcp2_transport_params *p)
{
    ngtcp2_transport_params_default(p);
    p->initial_max_streams_bidi = 1;
    p->initial_max_streams_uni = 1;
    p->initial_max_stream_data_bidi_remote = QUIC_EDGE_WINDOW;
    p->initial_max_stream_data_uni = QUIC_EDGE_WINDOW;
    p->initial_max_data = QUIC_EDGE_CONN_WINDOW;
    p->max_idle_timeout = (ngtcp2_duration)t->cfg.timeout_ms * NGTCP2_MILLISECONDS;
    /* a tick's acknowledgements wait for the member's fan-out
     * (transport_quic_packets.c): the client must not take them for lost */
    uint32_t tick_us = t->relay ? relay_tick_us(t->relay) : 0;
    if (tick_us)
        p->max_ack_delay = (tick_us + QUIC_EDGE_ACK_RIDE_US) * NGTCP2_MICROSECONDS +
                           NGTCP2_DEFAULT_MAX_ACK_DELAY;
    p->max_datagram_frame_size = QUICMSG_DATAGRAM_FRAME_MAX;
    p->active_connection_id_limit = QUIC_EDGE_CID_LIMIT;
    p->stateless_reset_token_present = 1;
    ngtcp2_crypto_generate_stateless_reset_token(p->stateless_reset_token, t->secret,
                                                 sizeof t->secret, scid);
    if (odcid) {
        p->original_dcid = *odcid;
        p->retry_scid = hd->dcid;
        p->retry_scid_present = 1;
    } else {
        p->original_dcid = hd->dcid;
    }
}

/* Is c one of the connections that have not joined: before its first
 * message, or a peer that is no member nor a join the relay is settling
 * (parked for a fleet's directory, a sealed session's proof due)? */
static bool waiting(const struct relay_quic *t, const struct quic_conn *c)
{
    uint32_t h = t->base + c->slot;
    return c->life.phase == QUIC_PHASE_HANDSHAKE || c->life.phase == QUIC_PHASE_OPEN ||
           (c->life.phase == QUIC_PHASE_PEER && t->relay &&
            !(relay_peer_joined(t->relay, h) || relay_peer_parked(t->relay, h) ||
              relay_peer_proving(t->relay, h)));
}

/* Room for one more connection: a free slot and fewer than max_half_open
 * connections that have not joined, or else one of them gives way
 * (waiting.h), freed without a word (its client's next packet gets a
 * stateless reset), counted half_open. Returns false if none can. */
static bool make_room(struct relay_quic *t, uint64_t now_us)
{
    uint32_t in_use = t->cfg.peer_cap - t->slots.n_free, members = 0;
    if (t->relay)
        members = relay_edge_members(t->relay, t->base);
    if (t->slots.n_free > 0 && in_use - (members < in_use ? members : in_use) < t->max_half_open)
        return true; /* fewer in use than the budget, members aside: no walk */
    waiting_begin(&t->slots.waiting);
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        if (waiting(t, &t->conns[i]))
            waiting_add(&t->slots.waiting, i, &t->conns[i].remote, t->conns[i].life.since_us);
    uint32_t n, i = waiting_pick(&t->slots.waiting, &n);
    if (t->slots.n_free > 0 && n < t->max_half_open)
        return true;
    if (i == UINT32_MAX)
        return false;
    char addr[RELAY_ADDR_MAX];
    log_debug("relay: quic: %u connections have not joined: closing %s's oldest", n,
              netaddr_format(&t->conns[i].remote, addr, sizeof addr));
    if (t->relay)
        relay_count_drop(t->relay, RELAY_DROP_HALF_OPEN);
    if (t->conns[i].life.phase == QUIC_PHASE_PEER) {
        t->own[QUIC_COUNT_HALF_OPEN]++;
        relay_peer_gone(t->relay, t->base + i, PROTO_LEFT_QUIT, now_us);
        quic_life_first_gone(&t->conns[i]);
    }
    leave_phase(t, &t->conns[i], PROTO_LEFT_QUIT);
    conn_free(t, &t->conns[i]);
    return true;
}

int transport_quic_accept(struct relay_quic *t, const ngtcp2_pkt_hd *hd, const ngtcp2_cid *odcid,
                          const union netaddr *from, uint64_t now_us)
{
    if (!make_room(t, now_us))
        return -1;
    uint32_t slot = t->slots.free[--t->slots.n_free];
    struct quic_conn *c = &t->conns[slot];
    /* every field zeroed (not assigned: its life is quic_life.c's, const
     * here), then set; marked outlives the slot */
    bool marked = c->marked;
    memset(c, 0, sizeof *c);
    c->slot = slot;
    c->edge = t;
    c->remote = *from;
    c->in.up_sid = -1;
    c->marked = marked;
    quic_life_begin(t, c, now_us);
    c->ref = (ngtcp2_crypto_conn_ref){.get_conn = transport_quic_get_conn, .user_data = c};
    quicmsg_reader_init(&c->in.control, t->cfg.max_packet_size);
    quicmsg_reader_init(&c->in.up, t->cfg.max_packet_size);
    quicmsg_out_init(&c->queue.control);

    ngtcp2_cid scid = {.datalen = QUIC_EDGE_SCID_LEN};
    do
        quic_random(scid.data, scid.datalen);
    while (quic_cids_find(&t->cids, scid.data, scid.datalen) >= 0);
    ngtcp2_settings settings;
    ngtcp2_settings_default(&settings);
    settings.initial_ts = quic_ns(now_us);
    settings.token = hd->token;
    settings.max_tx_udp_payload_size = QUIC_EDGE_PKT;
    settings.handshake_timeout = (ngtcp2_duration)t->cfg.handshake_ms * NGTCP2_MILLISECONDS;
    if (t->relay && relay_tick_us(t->relay))
        settings.ack_thresh = QUIC_EDGE_ACK_THRESH; /* a tick's packets, one acknowledgement */
    ngtcp2_transport_params params;
    params_for(t, hd, odcid, &scid, &params);
    ngtcp2_path path = {.local = {.addr = (ngtcp2_sockaddr *)&t->local.sa,
                                  .addrlen = netaddr_len(&t->local)},
                        .remote = {.addr = (ngtcp2_sockaddr *)&c->remote.sa,
                                   .addrlen = netaddr_len(&c->remote)}};
    if (ngtcp2_conn_server_new(&c->conn, &hd->scid, &scid, &path, hd->version, &transport_quic_callbacks,
                               &settings, &params, NULL, c) != 0 ||
        transport_quic_tls_session(t, c) != 0 || transport_quic_cid_add(t, c, &scid) != 0 ||
        transport_quic_cid_add(t, c, &hd->dcid) != 0) {
        quic_life_leave(t, c);
        conn_free(t, c);
        return -1;
    }
    return (int)slot;
}

/* ---- packets in, timers -------------------------------------------------------- */

void transport_quic_input(struct relay_quic *t, struct quic_conn *c, const union netaddr *from,
                          const uint8_t *pkt, size_t len, uint64_t now_us)
{
    if (c->life.phase == QUIC_PHASE_ENDING) {
        /* closing: a late packet gets the close again, a few times at most */
        size_t close_len;
        const uint8_t *close_pkt = quic_life_close_again(c, len, &close_len);
        if (close_pkt)
            transport_quic_queue(t, from, close_pkt, close_len);
        return;
    }
    ngtcp2_path path = {.local = {.addr = (ngtcp2_sockaddr *)&t->local.sa,
                                  .addrlen = netaddr_len(&t->local)},
                        .remote = {.addr = (ngtcp2_sockaddr *)&from->sa,
                                   .addrlen = netaddr_len(from)}};
    int rv = ngtcp2_conn_read_pkt(c->conn, &path, NULL, pkt, len, quic_ns(now_us));
    if (rv != 0) {
        conn_error(t, c, rv, now_us);
        return;
    }
    /* one ngtcp2 could not open counts too: a forger who saw the ID keeps
     * a session past --timeout-ms, to ngtcp2's idle timeout at most */
    quic_life_heard(c, now_us);
    if (transport_quic_holds(t, c))
        transport_quic_timer(t, c, now_us); /* its acknowledgement waits for the fan-out */
    else
        transport_quic_mark(t, c);
}

void transport_quic_expired(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    if (c->life.phase == QUIC_PHASE_ENDING) {
        if (now_us >= c->life.ending_us)
            conn_free(t, c);
        else
            quic_timers_set(&t->timers, c->slot, c->life.ending_us);
        return;
    }
    t->own[QUIC_COUNT_TIMER_WAKES]++;
    int rv = ngtcp2_conn_handle_expiry(c->conn, quic_ns(now_us));
    if (rv != 0) {
        conn_error(t, c, rv, now_us);
        return;
    }
    transport_quic_write(t, c, now_us);
}

/* ---- packets out ---------------------------------------------------------------- */

void transport_quic_write(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    if (c->life.phase == QUIC_PHASE_CLOSING)
        transport_quic_closing(t, c, now_us);
    if (c->life.phase == QUIC_PHASE_FREE || c->life.phase == QUIC_PHASE_ENDING)
        return;
    int rv = transport_quic_packets(t, c, now_us);
    if (rv != 0)
        conn_error(t, c, rv, now_us);
}

void transport_quic_write_marked(struct relay_quic *t, uint64_t now_us)
{
    for (uint32_t i = 0; i < t->udp.n_marked; i++)
        transport_quic_write(t, transport_quic_unmark(t, i), now_us);
    transport_quic_marked_clear(t);
}

/* ---- the core told of ends ------------------------------------------------------------ */

void transport_quic_report_gone(struct relay_quic *t)
{
    for (uint32_t i = 0; i < t->slots.n_gone; i++)
        relay_peer_gone(t->relay, t->base + t->slots.gone[i],
                        (enum proto_left_reason)t->slots.gone_why[i], t->now_us);
    t->slots.n_gone = 0;
}

/* ---- closes ------------------------------------------------------------------------ */

void transport_quic_closing(struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    if (c->life.phase != QUIC_PHASE_CLOSING)
        return;
    /* since_us may be after now_us: a close decided inside the read or
     * the turn whose time now_us is (quic_disconnect reads the clock) is
     * not late, it has just begun */
    bool late = now_us > c->life.since_us && now_us - c->life.since_us >= QUIC_EDGE_CLOSE_US;
    if (c->queue.control.queued && !late)
        return;
    if (c->queue.control.queued)
        t->own[QUIC_COUNT_CLOSED_LATE]++;
    ngtcp2_connection_close_error_set_application_error(&c->last_error, c->life.close_code, NULL, 0);
    close_now(t, c, PROTO_LEFT_QUIT, now_us);
}

/* Has c's client been silent for --timeout-ms (or three PTOs, if longer,
 * as ngtcp2 counts its own idle timeout)? On h3 the edge keeps it:
 * ngtcp2's is QUIC_EDGE_H3_IDLE_MS longer. */
static bool silent(const struct relay_quic *t, struct quic_conn *c, uint64_t now_us)
{
    uint64_t idle_us = (uint64_t)t->cfg.timeout_ms * 1000u;
    uint64_t pto3_us = 3 * quic_us(ngtcp2_conn_get_pto(c->conn));
    if (pto3_us > idle_us)
        idle_us = pto3_us;
    return now_us > c->life.heard_us && now_us - c->life.heard_us >= idle_us;
}

void transport_quic_sweep(struct relay_quic *t, uint64_t now_us)
{
    uint64_t join = (uint64_t)t->cfg.handshake_ms * 1000u;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        struct quic_conn *c = &t->conns[i];
        switch (c->life.phase) {
        case QUIC_PHASE_OPEN: /* no message within the join timeout */
            if (join && now_us - c->life.since_us >= join) {
                ngtcp2_connection_close_error_set_application_error(
                    &c->last_error, PROTO_ERROR_NOT_JOINED, NULL, 0);
                close_now(t, c, PROTO_LEFT_TIMEOUT, now_us);
            }
            break;
        case QUIC_PHASE_PEER:
            if (c->app == QUIC_APP_H3 && silent(t, c, now_us)) {
                leave_phase(t, c, PROTO_LEFT_TIMEOUT); /* as ngtcp2's: no packet */
                conn_free(t, c);
                break;
            }
            transport_quic_senders_idle(c, now_us);
            break;
        case QUIC_PHASE_CLOSING:
            transport_quic_mark(t, c);
            break;
        default:
            break;
        }
    }
}

void transport_quic_free_all(struct relay_quic *t)
{
    for (uint32_t i = 0; t->conns && i < t->cfg.peer_cap; i++)
        if (t->conns[i].life.phase != QUIC_PHASE_FREE)
            conn_free(t, &t->conns[i]);
}
