/* transport_quic_in.c: what a QUIC connection of the relay's quic edge
 * hears: ngtcp2's callbacks (PROTOCOL.md, "QUIC"). They feed the core and
 * note what happened; nothing here calls ngtcp2 but to give flow-control
 * credit back and a token, never to write.
 *
 *   - the first message on the control stream makes the connection a peer
 *     of the core (relay_peer_connect); before it, it is half-open;
 *   - every message is relay_on_datagram with the (channel, flags) of the
 *     way it came: JSON on the control stream as control (channel 0), a
 *     state there as reliable, a state on the client's own stream on
 *     PROTO_CHANNEL_SENDER_STREAM (streams), a datagram on its channel
 *     byte's channel, unsequenced;
 *   - the control stream ended (its FIN) or reset is leaving, and so is,
 *     on h3, the CONNECT's stream; a frame a stream cannot be read past
 *     closes the member (too_big, bad_state);
 *   - what the relay sent and was acknowledged frees its bytes; datagrams
 *     acknowledged and lost are counted (what the sender knew);
 *   - a path validated that differs from the peer's address is the peer
 *     moving (connection migration): the same peer of the core. */
#define BY_TRANSPORT_QUIC_IN_C /* this file writes the parts BY_TRANSPORT_QUIC_IN_C marks */
#include "transport_quic.h"

#include <ngtcp2/ngtcp2_crypto.h>
#include <string.h>

#include "sys/log.h"
#include "relay/core/source_key.h"

ngtcp2_conn *transport_quic_get_conn(ngtcp2_crypto_conn_ref *ref)
{
    return ((struct quic_conn *)ref->user_data)->conn;
}

/* ---- connection IDs ---------------------------------------------------------- */

int transport_quic_cid_add(struct relay_quic *t, struct quic_conn *c, const ngtcp2_cid *cid)
{
    if (c->ids.n == QUIC_EDGE_CIDS ||
        quic_cids_add(&t->cids, cid->data, cid->datalen, c->slot) != 0)
        return -1;
    c->ids.cid[c->ids.n++] = *cid;
    return 0;
}

static void cid_remove(struct relay_quic *t, struct quic_conn *c, const ngtcp2_cid *cid)
{
    for (uint8_t i = 0; i < c->ids.n; i++) {
        if (!ngtcp2_cid_eq(&c->ids.cid[i], cid))
            continue;
        quic_cids_remove(&t->cids, cid->data, cid->datalen);
        c->ids.cid[i] = c->ids.cid[--c->ids.n];
        return;
    }
}

/* ---- messages in -------------------------------------------------------------- */

/* Peers from the IP address of a (any port). */
static uint32_t peers_from(const struct relay_quic *t, const union netaddr *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        n += t->conns[i].life.phase == QUIC_PHASE_PEER && source_same(&t->conns[i].remote, a);
    return n;
}

/* The first message on the control stream: c becomes a peer of the core,
 * unless its address has --max-per-address peers already. Returns false
 * if it was refused (closed). */
static bool become_peer(struct relay_quic *t, struct quic_conn *c)
{
    quic_life_joined(t);
    if (t->cfg.max_per_address && peers_from(t, &c->remote) >= t->cfg.max_per_address) {
        relay_count_drop(t->relay, RELAY_DROP_PER_ADDRESS);
        /* closed at the next write, nothing queued */
        quic_life_close_begin(t, c, PROTO_ERROR_SERVER_FULL, t->now_us);
        return false;
    }
    quic_life_peered(c); /* before: a refusal calls disconnect at once */
    relay_peer_connect(t->relay, t->base + c->slot, &c->remote, t->now_us);
    return true;
}

/* One message of len bytes from c on (channel, flags), copied for the
 * core (which stamps states in place). */
static void to_core(struct relay_quic *t, struct quic_conn *c, uint8_t channel, uint32_t flags,
                    const uint8_t *msg, size_t len)
{
    size_t n = len < t->cfg.max_packet_size ? len : t->cfg.max_packet_size;
    memcpy(t->message, msg, n);
    relay_on_datagram(t->relay, t->base + c->slot, channel,
                      flags | (n < len ? RELAY_IN_TRUNCATED : 0), t->message, n, t->now_us);
}

/* A stream that cannot be read past a frame: the member is closed by the
 * core (too_big, bad_state), a connection not yet a peer by the edge. */
static int frame_error(struct relay_quic *t, struct quic_conn *c, int err)
{
    if (c->life.phase == QUIC_PHASE_PEER) {
        uint32_t peer = t->base + c->slot;
        if (err == QUICMSG_E_LONG)
            relay_peer_too_big(t->relay, peer, QUICMSG_FRAME_MAX, t->cfg.max_packet_size, true,
                               t->now_us);
        else
            relay_peer_evict(t->relay, peer, PROTO_ERROR_BAD_STATE,
                             "a frame of length 0 on a stream: it cannot be read past", t->now_us);
        return 0;
    }
    t->own[QUIC_COUNT_PROTOCOL]++;
    ngtcp2_connection_close_error_set_application_error(&c->last_error, PROTO_ERROR_BAD_STATE,
                                                        NULL, 0);
    return NGTCP2_ERR_CALLBACK_FAILURE;
}

/* A message on the control stream (control) or the client's own. */
static void stream_message(struct relay_quic *t, struct quic_conn *c, bool control,
                           const uint8_t *msg, size_t len)
{
    bool json = msg[0] == '{';
    if (c->life.phase == QUIC_PHASE_OPEN && !control) {
        t->own[QUIC_COUNT_STRAY]++; /* the join comes first, on the control stream */
        return;
    }
    if (c->life.phase == QUIC_PHASE_OPEN && !become_peer(t, c))
        return;
    if (c->life.phase != QUIC_PHASE_PEER) {
        relay_count_drop(t->relay, RELAY_DROP_CLOSED);
        return;
    }
    if (control) /* a control message or an event on channel 0's way, a state reliable */
        to_core(t, c, json || proto_is_event(msg, len) ? PROTO_CHANNEL_CONTROL
                                                       : PROTO_CHANNEL_RELIABLE,
                PROTO_FLAG_RELIABLE, msg, len);
    else if (json || proto_is_event(msg, len))
        t->own[QUIC_COUNT_STRAY]++; /* only states travel on a sender's stream */
    else
        to_core(t, c, PROTO_CHANNEL_SENDER_STREAM, PROTO_FLAG_RELIABLE, msg, len);
}

/* The client ended the session's stream (the control stream, or on h3
 * the CONNECT's): a peer's end is leaving (left quit), its connection
 * closed at once with no error. */
static int session_ended(struct quic_conn *c, const char *stream)
{
    log_debug("relay: quic: connection %u: the client ended its %s", c->slot, stream);
    c->in.control_open = false;
    if (c->life.phase != QUIC_PHASE_PEER)
        return 0;
    ngtcp2_connection_close_error_set_application_error(&c->last_error, PROTO_ERROR_NONE, NULL,
                                                        0);
    return NGTCP2_ERR_CALLBACK_FAILURE; /* closed once read_pkt returns */
}

static int on_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t offset,
                          const uint8_t *data, size_t len, void *ud, void *sud)
{
    struct quic_conn *c = ud;
    struct relay_quic *t = c->edge;
    (void)offset, (void)sud;
    /* the client's FIN: ngtcp2 closes a stream only once both sides have
     * ended it, and the relay never ends its side of these two */
    bool fin = flags & NGTCP2_STREAM_DATA_FLAG_FIN;
    ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
    ngtcp2_conn_extend_max_offset(conn, len);
    if (c->app == QUIC_APP_H3) { /* HTTP/3's own, or a WebTransport stream's preamble */
        size_t skip;
        bool session = c->h3 && sid == c->h3->connect_sid && c->h3->session == QUIC_H3S_OPEN;
        int rc = transport_quic_h3_stream(t, c, sid, data, len, &skip);
        if (rc == 0 && fin && session)
            return session_ended(c, "CONNECT's stream");
        if (rc <= 0)
            return rc;
        data += skip;
        len -= skip;
    }
    bool control = c->in.control_open && sid == c->in.control_sid;
    struct quicmsg_reader *r = control ? &c->in.control : sid == c->in.up_sid ? &c->in.up : NULL;
    if (!r)
        return 0; /* no stream of the contract: read and dropped */
    while (len > 0 && (c->life.phase == QUIC_PHASE_OPEN || c->life.phase == QUIC_PHASE_PEER)) {
        const uint8_t *msg;
        size_t used, n;
        int rc = quicmsg_read(r, data, len, &used, &msg, &n);
        if (rc < 0)
            return frame_error(t, c, rc);
        data += used;
        len -= used;
        if (rc == 1)
            stream_message(t, c, control, msg, n);
    }
    return fin && control ? session_ended(c, "control stream") : 0;
}

static int on_stream_open(ngtcp2_conn *conn, int64_t sid, void *ud)
{
    struct quic_conn *c = ud;
    (void)conn;
    if (c->app != QUIC_APP_RICOCHET)
        return 0; /* h3: a stream is what its first bytes say (transport_quic_h3.c) */
    if (sid == 0)
        c->in.control_open = true;
    else if (!ngtcp2_is_bidi_stream(sid) && c->in.up_sid < 0)
        c->in.up_sid = sid;
    return 0;
}

/* A stream closed (both sides ended it, or the client reset it): the
 * control stream is the session (its end is leaving); a sender's stream
 * ended is forgotten; the client's own may be opened again. */
static int on_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t code,
                           void *ud, void *sud)
{
    struct quic_conn *c = ud;
    struct relay_quic *t = c->edge;
    (void)flags, (void)code, (void)sud;
    struct quic_sender *s;
    int h3 = c->app == QUIC_APP_H3 && c->h3 ? transport_quic_h3_closed(t, c, sid) : 0;
    if (h3 < 0)
        return NGTCP2_ERR_CALLBACK_FAILURE; /* a critical stream closed */
    if (h3 == 2)
        ngtcp2_conn_extend_max_streams_uni(conn, 1);
    if (sid == c->in.control_sid || h3 == 1) /* reset (its FIN came first), on h3 the CONNECT's */
        return session_ended(c, h3 == 1 ? "CONNECT's stream (reset)" : "control stream (reset)");
    if (sid == c->in.up_sid) {
        c->in.up_sid = -1;
        quicmsg_reader_free(&c->in.up);
        quicmsg_reader_init(&c->in.up, t->cfg.max_packet_size);
        if (c->app == QUIC_APP_RICOCHET)
            ngtcp2_conn_extend_max_streams_uni(conn, 1);
    } else if ((s = transport_quic_sender(c, sid)) != NULL) {
        quicmsg_out_free(&s->out);
        s->id = 0;
        s->sid = -1;
    }
    return 0;
}

static int on_stream_reset(ngtcp2_conn *conn, int64_t sid, uint64_t size, uint64_t code,
                           void *ud, void *sud)
{
    (void)size;
    return on_stream_close(conn, 0, sid, code, ud, sud);
}

static int on_acked(ngtcp2_conn *conn, int64_t sid, uint64_t offset, uint64_t len, void *ud,
                    void *sud)
{
    struct quic_conn *c = ud;
    (void)conn, (void)offset, (void)sud;
    struct quic_sender *s = sid == c->in.control_sid ? NULL : transport_quic_sender(c, sid);
    if (sid == c->in.control_sid)
        quicmsg_out_acked(&c->queue.control, len);
    else if (s)
        quicmsg_out_acked(&s->out, len);
    else if (c->h3 && (sid == c->h3->out_sid || sid == c->h3->connect_sid)) {
        /* HTTP/3's SETTINGS and the CONNECT's answer: nothing follows them,
         * so their chunk goes once they are acknowledged */
        struct quicmsg_out *o = sid == c->h3->out_sid ? &c->h3->out : &c->h3->answer;
        quicmsg_out_acked(o, len);
        if (o->queued == 0 && o->unsent == 0 && !o->fin)
            quicmsg_out_free(o);
    }
    c->edge->own[QUIC_COUNT_STREAM_BYTES_ACKED] += len;
    if (len)
        transport_quic_backlog_moved(c); /* the network took some of its backlog */
    return 0;
}

static int on_datagram(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t len,
                       void *ud)
{
    struct quic_conn *c = ud;
    struct relay_quic *t = c->edge;
    (void)conn, (void)flags;
    uint8_t channel;
    const uint8_t *msg;
    size_t n;
    if (c->app == QUIC_APP_H3 && transport_quic_h3_datagram(t, c, data, len, &data, &len) != 0)
        return 0; /* for no session of c: counted */
    if (c->life.phase != QUIC_PHASE_PEER ||
        quicmsg_datagram_open(data, len, &channel, &msg, &n) != 0 || msg[0] == '{') {
        t->own[QUIC_COUNT_DGRAMS_BAD]++;
        return 0;
    }
    to_core(t, c, channel, PROTO_FLAG_UNSEQUENCED, msg, n);
    return 0;
}

static int on_datagram_acked(ngtcp2_conn *conn, uint64_t id, void *ud)
{
    struct quic_conn *c = ud;
    (void)conn, (void)id;
    c->edge->own[QUIC_COUNT_DGRAMS_ACKED]++;
    transport_quic_backlog_moved(c); /* the network took some of its backlog */
    return 0;
}

static int on_datagram_lost(ngtcp2_conn *conn, uint64_t id, void *ud)
{
    (void)conn, (void)id;
    ((struct quic_conn *)ud)->edge->own[QUIC_COUNT_DGRAMS_LOST]++;
    return 0;
}

/* The handshake is done: the application by its ALPN, and a token for
 * the client's next connection (NEW_TOKEN: it skips the Retry). */
static int on_handshake(ngtcp2_conn *conn, void *ud)
{
    struct quic_conn *c = ud;
    struct relay_quic *t = c->edge;
    c->app = (uint8_t)transport_quic_tls_app(c);
    if (c->app == QUIC_APPS) {
        t->own[QUIC_COUNT_ALPN_REFUSED]++;
        ngtcp2_connection_close_error_set_transport_error_tls_alert(
            &c->last_error, GNUTLS_A_NO_APPLICATION_PROTOCOL, NULL, 0);
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    if (c->app == QUIC_APP_H3 && transport_quic_h3_start(t, c) != 0) {
        ngtcp2_connection_close_error_set_application_error(&c->last_error, H3_EXCESSIVE_LOAD,
                                                            NULL, 0);
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    quic_life_opened(c, t->now_us);
    t->own[QUIC_COUNT_HANDSHAKES]++;
    if (c->app == QUIC_APP_H3)
        log_debug("relay: quic: connection %u: h3, the client's idle timeout %llu ms", c->slot,
                  (unsigned long long)(ngtcp2_conn_get_remote_transport_params(conn)
                                           ->max_idle_timeout / NGTCP2_MILLISECONDS));
    union netaddr host = c->remote;
    netaddr_set_port(&host, 0); /* the next connection comes from another port */
    uint8_t token[NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN];
    ngtcp2_ssize n = ngtcp2_crypto_generate_regular_token(
        token, t->secret, sizeof t->secret, &host.sa, netaddr_len(&host), quic_ns(t->now_us));
    if (n > 0)
        ngtcp2_conn_submit_new_token(conn, token, (size_t)n);
    return 0;
}

/* A new path validated: the peer's address, if it changed. */
static int on_path(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path,
                   ngtcp2_path_validation_result res, void *ud)
{
    struct quic_conn *c = ud;
    union netaddr to;
    (void)conn, (void)flags;
    if (res != NGTCP2_PATH_VALIDATION_RESULT_SUCCESS ||
        netaddr_from_sockaddr(&to, path->remote.addr, path->remote.addrlen) != 0 ||
        netaddr_equal(&to, &c->remote))
        return 0;
    char was[RELAY_ADDR_MAX], now[RELAY_ADDR_MAX];
    netaddr_format(&c->remote, was, sizeof was);
    netaddr_format(&to, now, sizeof now);
    log_debug("relay: quic: connection %u moved from %s to %s", c->slot, was, now);
    c->remote = to;
    c->edge->own[QUIC_COUNT_MIGRATIONS]++;
    return 0;
}

static int on_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t len, void *ud)
{
    struct quic_conn *c = ud;
    struct relay_quic *t = c->edge;
    (void)conn;
    do {
        quic_random(cid->data, len);
        cid->datalen = len;
    } while (quic_cids_find(&t->cids, cid->data, len) >= 0);
    if (ngtcp2_crypto_generate_stateless_reset_token(token, t->secret, sizeof t->secret, cid) !=
            0 ||
        transport_quic_cid_add(t, c, cid) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    return 0;
}

static int on_cid_removed(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *ud)
{
    struct quic_conn *c = ud;
    (void)conn;
    cid_remove(c->edge, c, cid);
    return 0;
}

static int on_more_streams(ngtcp2_conn *conn, uint64_t max, void *ud)
{
    struct quic_conn *c = ud;
    (void)conn, (void)max;
    transport_quic_mark(c->edge, c); /* senders' streams waiting for credit may open */
    return 0;
}

const ngtcp2_callbacks transport_quic_callbacks = {
    QUIC_CRYPTO_CALLBACKS,
    .recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
    .handshake_completed = on_handshake,
    .recv_stream_data = on_stream_data,
    .acked_stream_data_offset = on_acked,
    .stream_open = on_stream_open,
    .stream_close = on_stream_close,
    .stream_reset = on_stream_reset,
    .extend_max_local_streams_uni = on_more_streams,
    .get_new_connection_id = on_new_cid,
    .remove_connection_id = on_cid_removed,
    .path_validation = on_path,
    .recv_datagram = on_datagram,
    .ack_datagram = on_datagram_acked,
    .lost_datagram = on_datagram_lost,
};

