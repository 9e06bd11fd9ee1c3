/* client_quic_conn.c: one QUIC connection of the client library
 * (client_quic.c is the transport around it; client_quic_conn_internal.h): ngtcp2
 * 0.12's client on GnuTLS, its UDP socket connected to the relay, its
 * packets in and out.
 *
 * The handshake names ALPN "ricochet" (or WebTransport's "h3", whose
 * streams and datagrams client_wt.c frames) and takes the relay's certificate
 * only if it hashes to the pin, when one is set (without one the relay is
 * not authenticated, though every byte is encrypted); each secret goes to
 * the key log, when one is asked, in SSLKEYLOGFILE's format. ngtcp2's
 * callbacks only queue what came (copied, with the time its packet was
 * read: t->in) and note what happened; nothing is sent from inside them.
 * Streams the relay opens (one per sender, the mode streams) get a reader
 * each and their credit back as they close. A packet holds datagrams
 * first, then the control stream, then my own (then WebTransport's HTTP/3
 * control stream and CONNECT), coalesced; datagrams that
 * congestion control holds back wait (CLIENT_QUIC_DGRAMS_MAX at most, the
 * oldest dropped), and those the relay acknowledged or ngtcp2 declared
 * lost are counted (their ID is the state's seq: what the sender knew). */
#include "client_transports_internal.h"
#include "client_quic_conn_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/quic_crypto.h"
#include "sys/clock.h"
#include "sys/log.h"

#define QUIC_PRIORITY                                                                   \
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:" \
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:"             \
    "+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1"

static ngtcp2_tstamp ns_of(uint64_t us)
{
    return (ngtcp2_tstamp)us * 1000u;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
    return ((struct client_quic *)ref->user_data)->conn;
}

/* ---- ngtcp2's callbacks (nothing but notes) --------------------------------------- */

static void queue_message(struct client_quic *t, uint8_t channel, uint32_t flags,
                          const uint8_t *data, size_t len)
{
    struct ricochet *c = t->c;
    if (t->draining)
        return;
    size_t need = t->in_len + sizeof(struct client_quic_queued) + len;
    if (need > CLIENT_QUIC_QUEUE_MAX || client_reserve(&t->in, &t->in_cap, need) != 0) {
        client_bad_message(c, "too many messages at once", PROTO_E_VALUE);
        return;
    }
    struct client_quic_queued q = {.at = t->read_at, .len = (uint32_t)len, .channel = channel,
                            .flags = flags};
    memcpy(t->in + t->in_len, &q, sizeof q);
    memcpy(t->in + t->in_len + sizeof q, data, len);
    t->in_len += sizeof q + len;
}

/* The reader of stream sid, past its preamble (WebTransport's); NULL: none
 * (a stream not a sender's, or its preamble still cut). It may consume
 * *data. */
static struct quicmsg_reader *reader_of(struct client_quic *t, int64_t sid,
                                        const uint8_t **data, size_t *len)
{
    if (sid == t->ctl_sid)
        return &t->control_in;
    for (size_t i = 0; i < t->n_ins; i++)
        if (t->ins[i].sid == sid)
            return t->ins[i].skip && client_wt_preamble(&t->ins[i], data, len) <= 0
                       ? NULL
                       : &t->ins[i].r;
    return NULL;
}

#define STREAMS_OUT 4 /* the control stream, my own, WebTransport's two */

/* The streams I write on, each with its bytes, in the order they are
 * written: fills o and sids (-1: not open), returns how many. */
static int streams_out(struct client_quic *t, struct quicmsg_out *o[STREAMS_OUT],
                       int64_t sids[STREAMS_OUT])
{
    o[0] = &t->control_out;
    sids[0] = t->ctl_sid;
    o[1] = &t->up_out;
    sids[1] = t->up_sid;
    return 2 + client_wt_out(t, o + 2, sids + 2);
}

/* The bytes I write on stream sid; NULL: none. */
static struct quicmsg_out *out_of(struct client_quic *t, int64_t sid)
{
    struct quicmsg_out *o[STREAMS_OUT];
    int64_t sids[STREAMS_OUT];
    int n = streams_out(t, o, sids);
    for (int i = 0; i < n; i++)
        if (sids[i] >= 0 && sids[i] == sid)
            return o[i];
    return NULL;
}

static int on_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t offset,
                          const uint8_t *data, size_t len, void *ud, void *sud)
{
    struct client_quic *t = ud;
    (void)offset, (void)sud;
    ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
    ngtcp2_conn_extend_max_offset(conn, len);
    if (t->wt && sid == 0) { /* the CONNECT's stream */
        client_wt_answer(t, data, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN);
        return 0;
    }
    struct quicmsg_reader *r = reader_of(t, sid, &data, &len);
    if (r && sid != t->ctl_sid)
        t->states_in_us = t->read_at; /* a sender's stream: reliable states */
    while (r && len > 0) {
        const uint8_t *msg;
        size_t used, n;
        int rc = quicmsg_read(r, data, len, &used, &msg, &n);
        if (rc < 0) { /* the stream cannot be read past it */
            client_bad_message(t->c, "a frame the stream cannot be read past", PROTO_E_VALUE);
            ngtcp2_conn_shutdown_stream_read(conn, sid, 0);
            return 0;
        }
        data += used;
        len -= used;
        if (rc == 0)
            break;
        if (sid == t->ctl_sid && (msg[0] == '{' || proto_is_event(msg, n)))
            queue_message(t, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, msg, n);
        else if (sid == t->ctl_sid) {
            t->states_in_us = t->read_at; /* a reliable state */
            queue_message(t, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, msg, n);
        } else
            queue_message(t, PROTO_CHANNEL_SENDER_STREAM, PROTO_FLAG_RELIABLE, msg, n);
    }
    return 0;
}

/* A stream the relay opened: one sender's states. */
static int on_stream_open(ngtcp2_conn *conn, int64_t sid, void *ud)
{
    struct client_quic *t = ud;
    (void)conn;
    if (ngtcp2_is_bidi_stream(sid))
        return 0;
    if (t->n_ins == t->cap_ins) {
        size_t cap = t->cap_ins ? 2 * t->cap_ins : 16;
        struct client_quic_in *more = realloc(t->ins, cap * sizeof *more);
        if (!more)
            return NGTCP2_ERR_CALLBACK_FAILURE;
        t->ins = more;
        t->cap_ins = cap;
    }
    struct client_quic_in *s = &t->ins[t->n_ins++];
    *s = (struct client_quic_in){.sid = sid, .skip = t->wt ? 2 : 0}; /* type, session */
    quicmsg_reader_init(&s->r, PROTO_STATE_MAX);
    return 0;
}

static int on_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t sid, uint64_t code,
                           void *ud, void *sud)
{
    struct client_quic *t = ud;
    (void)flags, (void)code, (void)sud;
    if (sid == t->ctl_sid || (t->wt && sid == 0)) {
        t->closed = true; /* the relay ended the session's stream (or its CONNECT's) */
        return 0;
    }
    if (sid == t->up_sid) { /* what was queued for it goes: a new one starts clean */
        t->up_sid = -1;
        quicmsg_out_free(&t->up_out);
    }
    for (size_t i = 0; i < t->n_ins; i++) {
        if (t->ins[i].sid != sid)
            continue;
        quicmsg_reader_free(&t->ins[i].r);
        t->ins[i] = t->ins[--t->n_ins];
        ngtcp2_conn_extend_max_streams_uni(conn, 1); /* the relay may open another */
        break;
    }
    return 0;
}

static int on_acked(ngtcp2_conn *conn, int64_t sid, uint64_t offset, uint64_t len, void *ud,
                    void *sud)
{
    struct client_quic *t = ud;
    (void)conn, (void)offset, (void)sud;
    struct quicmsg_out *o = out_of(t, sid);
    if (o)
        quicmsg_out_acked(o, len);
    return 0;
}

static int on_datagram(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t len,
                       void *ud)
{
    struct client_quic *t = ud;
    uint8_t channel;
    const uint8_t *msg;
    size_t n;
    (void)conn, (void)flags;
    if (client_wt_dgram_open(t, &data, &len) != 0) {
        client_bad_message(t->c, "a datagram of another WebTransport session", PROTO_E_VALUE);
        return 0;
    }
    if (quicmsg_datagram_open(data, len, &channel, &msg, &n) != 0) {
        client_bad_message(t->c, "a datagram without a state channel", PROTO_E_VALUE);
        return 0;
    }
    queue_message(t, channel, PROTO_FLAG_UNSEQUENCED, msg, n);
    return 0;
}

/* A datagram's ID is the seq of the state it carries. */
static int on_datagram_acked(ngtcp2_conn *conn, uint64_t id, void *ud)
{
    (void)conn;
    struct client_quic *t = ud;
    t->dgrams_acked++;
    if (t->c->fate)
        t->c->fate(t->c->fate_ctx, t->c, (uint32_t)id, CLIENT_FATE_ACKED);
    return 0;
}

static int on_datagram_lost(ngtcp2_conn *conn, uint64_t id, void *ud)
{
    (void)conn;
    struct client_quic *t = ud;
    t->dgrams_lost++;
    if (t->c->fate)
        t->c->fate(t->c->fate_ctx, t->c, (uint32_t)id, CLIENT_FATE_LOST);
    return 0;
}

/* The relay's certificate against the pin, if one is set. */
static bool pin_holds(struct client_quic *t)
{
    if (!t->pin[0])
        return true;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(t->tls, &n);
    uint8_t md[32];
    char hex[CLIENT_PIN_HEX + 1];
    if (!certs || n == 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data, certs[0].size,
                                             md) != 0)
        return false;
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return strcmp(hex, t->pin) == 0;
}

static int on_handshake(ngtcp2_conn *conn, void *ud)
{
    struct client_quic *t = ud;
    (void)conn;
    if (!pin_holds(t)) {
        t->pin_failed = true;
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    t->opened = true;
    return 0;
}

static int on_reset(ngtcp2_conn *conn, const ngtcp2_pkt_stateless_reset *sr, void *ud)
{
    (void)conn, (void)sr;
    ((struct client_quic *)ud)->reset = true;
    return 0;
}

static int on_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t len, void *ud)
{
    (void)conn, (void)ud;
    quic_random(cid->data, len);
    cid->datalen = len;
    quic_random(token, NGTCP2_STATELESS_RESET_TOKENLEN);
    return 0;
}

const ngtcp2_callbacks client_quic_callbacks = {
    QUIC_CRYPTO_CALLBACKS,
    .client_initial = ngtcp2_crypto_client_initial_cb,
    .recv_retry = ngtcp2_crypto_recv_retry_cb,
    .handshake_completed = on_handshake,
    .recv_stream_data = on_stream_data,
    .acked_stream_data_offset = on_acked,
    .stream_open = on_stream_open,
    .stream_close = on_stream_close,
    .recv_stateless_reset = on_reset,
    .get_new_connection_id = on_new_cid,
    .recv_datagram = on_datagram,
    .ack_datagram = on_datagram_acked,
    .lost_datagram = on_datagram_lost,
};

/* ---- TLS ------------------------------------------------------------------------------ */

/* SSLKEYLOGFILE's line for one secret: its label, the client random, the
 * secret, in hex. */
static int keylog_line(gnutls_session_t session, const char *label,
                       const gnutls_datum_t *secret)
{
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    struct client_quic *t = ref->user_data;
    gnutls_datum_t crandom, srandom;
    gnutls_session_get_random(session, &crandom, &srandom);
    if (!t->keylog || crandom.size != 32)
        return 0;
    fprintf(t->keylog, "%s ", label);
    for (unsigned i = 0; i < crandom.size; i++)
        fprintf(t->keylog, "%02x", crandom.data[i]);
    fputc(' ', t->keylog);
    for (unsigned i = 0; i < secret->size; i++)
        fprintf(t->keylog, "%02x", secret->data[i]);
    fputc('\n', t->keylog);
    fflush(t->keylog);
    return 0;
}

static int quic_tls(struct ricochet *c, struct client_quic *t, char *err, size_t err_cap)
{
    const char *name = t->alpn ? t->alpn : QUICMSG_ALPN;
    gnutls_datum_t alpn = {.data = (unsigned char *)name, .size = (unsigned)strlen(name)};
    if (gnutls_certificate_allocate_credentials(&t->cred) != 0 ||
        gnutls_init(&t->tls, GNUTLS_CLIENT) != 0 ||
        gnutls_priority_set_direct(t->tls, QUIC_PRIORITY, NULL) != 0 ||
        ngtcp2_crypto_gnutls_configure_client_session(t->tls) != 0 ||
        gnutls_credentials_set(t->tls, GNUTLS_CRD_CERTIFICATE, t->cred) != 0 ||
        gnutls_alpn_set_protocols(t->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) != 0) {
        snprintf(err, err_cap, "client: GnuTLS would not start a QUIC session");
        return -1;
    }
    struct in6_addr literal; /* a name, not an address: the server's name (SNI) */
    if (inet_pton(AF_INET, c->host, &literal) != 1 && inet_pton(AF_INET6, c->host, &literal) != 1)
        gnutls_server_name_set(t->tls, GNUTLS_NAME_DNS, c->host, strlen(c->host));
    gnutls_session_set_ptr(t->tls, &t->ref);
    if (t->keylog)
        gnutls_session_set_keylog_function(t->tls, keylog_line);
    ngtcp2_conn_set_tls_native_handle(t->conn, t->tls);
    return 0;
}

/* ---- the socket and the connection ------------------------------------------------ */

/* A UDP socket connected to the relay (a port the kernel picks), in the
 * epoll set; its local address into t->local. Returns the socket or -1. */
static int quic_socket(struct ricochet *c, struct client_quic *t)
{
    int fd = netaddr_udp_socket(&c->relay, SOCK_NONBLOCK | SOCK_CLOEXEC);
    socklen_t len = sizeof t->local;
    struct epoll_event ev = {.events = EPOLLIN};
    if (fd < 0 || connect(fd, &c->relay.sa, netaddr_len(&c->relay)) != 0 ||
        getsockname(fd, &t->local.sa, &len) != 0 ||
        epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static ngtcp2_path path_of(struct ricochet *c, struct client_quic *t)
{
    return (ngtcp2_path){.local = {.addr = (ngtcp2_sockaddr *)&t->local.sa,
                                   .addrlen = netaddr_len(&t->local)},
                         .remote = {.addr = (ngtcp2_sockaddr *)&c->relay.sa,
                                    .addrlen = netaddr_len(&c->relay)}};
}

static int quic_conn(struct ricochet *c, struct client_quic *t, char *err, size_t err_cap)
{
    ngtcp2_cid dcid = {.datalen = CLIENT_QUIC_CID_LEN}, scid = {.datalen = CLIENT_QUIC_CID_LEN};
    quic_random(dcid.data, dcid.datalen);
    quic_random(scid.data, scid.datalen);
    uint64_t now = clock_now_us();
    ngtcp2_settings settings;
    ngtcp2_settings_default(&settings);
    settings.initial_ts = ns_of(now);
    settings.max_tx_udp_payload_size = CLIENT_QUIC_PKT;
    settings.handshake_timeout = (ngtcp2_duration)c->timeout_ms * NGTCP2_MILLISECONDS;
    ngtcp2_transport_params p;
    ngtcp2_transport_params_default(&p);
    p.initial_max_streams_uni = CLIENT_QUIC_SENDER_STREAMS;
    p.initial_max_stream_data_uni = 64u << 10;
    p.initial_max_stream_data_bidi_local = 256u << 10; /* the control stream: rosters */
    p.initial_max_data = 1u << 20;
    p.max_idle_timeout = (ngtcp2_duration)c->timeout_ms * NGTCP2_MILLISECONDS;
    p.max_datagram_frame_size = QUICMSG_DATAGRAM_FRAME_MAX;
    if (t->wt)
        p.max_datagram_frame_size += CLIENT_WT_DATAGRAM_HEAD; /* the quarter stream ID */
    p.active_connection_id_limit = 4;
    /* acknowledgements ride with states (client_quic.c, hold_until), and
     * ngtcp2's own delay, an eighth of the round trip, comes on top: 25 ms
     * at most while anything is held (past a round trip of 200 ms nothing
     * is, and ngtcp2 alone may then wait up to this whole delay) */
    p.max_ack_delay = (CLIENT_QUIC_HOLD_MAX_US + CLIENT_QUIC_HOLD_RIDE_US) * NGTCP2_MICROSECONDS +
                      NGTCP2_DEFAULT_MAX_ACK_DELAY;
    ngtcp2_path path = path_of(c, t);
    if (ngtcp2_conn_client_new(&t->conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                               &client_quic_callbacks, &settings, &p, NULL, t) != 0) {
        snprintf(err, err_cap, "client: ngtcp2 would not start a connection");
        return -1;
    }
    return 0;
}

/* ---- writing ----------------------------------------------------------------------------- */

static void send_packet(struct ricochet *c, struct client_quic *t, const uint8_t *pkt,
                        size_t len)
{
    if (send(t->fd, pkt, len, MSG_DONTWAIT) < 0) {
        log_debug("client %s: send: %s", c->name, strerror(errno));
        return;
    }
    c->wire.bytes_sent += len;
    c->wire.dgrams_sent++;
}

/* The next stream with bytes to write, not blocked in this write (by its
 * place: blocked[STREAMS_OUT]). */
static struct quicmsg_out *next_stream(struct client_quic *t, const bool *blocked, int64_t *sid,
                                       int *at)
{
    struct quicmsg_out *o[STREAMS_OUT];
    int64_t sids[STREAMS_OUT];
    int n = streams_out(t, o, sids);
    if (!t->up)
        sids[0] = -1; /* the control stream waits for the handshake */
    for (*at = 0; *at < n; ++*at)
        if (sids[*at] >= 0 && o[*at]->unsent && !blocked[*at]) {
            *sid = sids[*at];
            return o[*at];
        }
    *sid = -1;
    return NULL;
}

/* One packet: datagrams first, then streams, coalesced. Returns its
 * length, 0 when nothing more may be written now, or a negative ngtcp2
 * error. */
static ngtcp2_ssize write_packet(struct client_quic *t, uint8_t *buf, bool *blocked,
                                 bool *dgrams_ok, ngtcp2_tstamp ts)
{
    for (;;) {
        ngtcp2_ssize nwrite, ndata = -1;
        if (*dgrams_ok && t->n_dgrams > 0 && t->up) {
            struct client_quic_dgram *d = &t->dgrams[0];
            ngtcp2_vec v = {.base = d->bytes, .len = d->len};
            int accepted = 0;
            nwrite = ngtcp2_conn_writev_datagram(t->conn, NULL, NULL, buf, CLIENT_QUIC_PKT, &accepted,
                                                 NGTCP2_WRITE_DATAGRAM_FLAG_MORE, d->seq, &v, 1,
                                                 ts);
            if (accepted || nwrite == NGTCP2_ERR_INVALID_ARGUMENT)
                memmove(t->dgrams, t->dgrams + 1, --t->n_dgrams * sizeof *t->dgrams);
            if (nwrite == NGTCP2_ERR_WRITE_MORE || nwrite == NGTCP2_ERR_INVALID_ARGUMENT)
                continue;
            if (nwrite == 0 && !accepted)
                *dgrams_ok = false;
            return nwrite;
        }
        int64_t sid;
        int at;
        struct quicmsg_out *out = next_stream(t, blocked, &sid, &at);
        size_t n = 0;
        const uint8_t *data = out ? quicmsg_out_next(out, &n) : NULL;
        ngtcp2_vec v = {.base = (uint8_t *)data, .len = n};
        nwrite = ngtcp2_conn_writev_stream(t->conn, NULL, NULL, buf, CLIENT_QUIC_PKT, &ndata,
                                           out ? NGTCP2_WRITE_STREAM_FLAG_MORE : 0, sid, &v,
                                           data ? 1 : 0, ts);
        if (ndata >= 0 && out)
            quicmsg_out_sent(out, (size_t)ndata);
        if (nwrite == NGTCP2_ERR_WRITE_MORE)
            continue;
        if (nwrite == NGTCP2_ERR_STREAM_DATA_BLOCKED || nwrite == NGTCP2_ERR_STREAM_SHUT_WR ||
            nwrite == NGTCP2_ERR_STREAM_NOT_FOUND) {
            if (!out)
                return nwrite;
            blocked[at] = true;
            continue;
        }
        return nwrite;
    }
}

/* Writes what waits (handshake, acknowledgements, streams, datagrams).
 * Returns 0, or a negative ngtcp2 error (the connection is over). */
int client_quic_write(struct ricochet *c, struct client_quic *t)
{
    if (!t->conn || t->closed)
        return 0;
    uint64_t now = clock_now_us();
    if (t->up && t->up_sid < 0 && t->up_out.unsent &&
        ngtcp2_conn_open_uni_stream(t->conn, &t->up_sid, NULL) != 0)
        t->up_sid = -1; /* no credit yet: later */
    uint8_t buf[CLIENT_QUIC_PKT];
    bool blocked[STREAMS_OUT] = {false}, dgrams_ok = true;
    for (int k = 0; k < CLIENT_QUIC_WRITE_PKTS; k++) {
        ngtcp2_ssize n = write_packet(t, buf, blocked, &dgrams_ok, ns_of(now));
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        send_packet(c, t, buf, (size_t)n);
        t->reads_unwritten = 0;
    }
    ngtcp2_conn_update_pkt_tx_time(t->conn, ns_of(now));
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* Reads what the socket holds into the connection, CLIENT_QUIC_READS_MAX
 * datagrams at most. Returns 0, or a negative ngtcp2 error. */
static int read_socket(struct ricochet *c, struct client_quic *t, uint64_t now)
{
    uint8_t buf[2048];
    ngtcp2_path path = path_of(c, t);
    for (int k = 0; k < CLIENT_QUIC_READS_MAX; k++) {
        ssize_t n = recv(t->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            return 0;
        c->wire.bytes_received += (uint64_t)n;
        c->wire.dgrams_received++;
        if (n == 0) { /* no QUIC packet (and ngtcp2 asserts against one) */
            client_bad_message(c, "an empty datagram", PROTO_E_SHORT);
            continue;
        }
        t->heard_us = now;
        t->read_at = now;
        t->reads_unwritten++;
        int rv = ngtcp2_conn_read_pkt(t->conn, &path, NULL, buf, (size_t)n, ns_of(now));
        if (rv != 0)
            return rv;
    }
    return 0;
}

int client_quic_read(struct ricochet *c, struct client_quic *t, uint64_t now)
{
    int rv = read_socket(c, t, now);
    if (rv == 0 && ngtcp2_conn_get_expiry(t->conn) <= ns_of(now))
        rv = ngtcp2_conn_handle_expiry(t->conn, ns_of(now));
    return rv;
}

int client_quic_start(struct ricochet *c, struct client_quic *t, const struct client_config *cfg,
                      char *err, size_t err_cap)
{
    t->fd = t->ep = -1;
    t->up_sid = -1;
    t->ctl_sid = t->wt ? -1 : 0; /* WebTransport's: once the session is open */
    t->ref = (ngtcp2_crypto_conn_ref){.get_conn = get_conn, .user_data = t};
    quicmsg_reader_init(&t->control_in, PROTO_CONTROL_MAX);
    if (cfg->pin)
        snprintf(t->pin, sizeof t->pin, "%s", cfg->pin);
    if (cfg->keylog && !(t->keylog = fopen(cfg->keylog, "a"))) {
        snprintf(err, err_cap, "client: key log %s: %s", cfg->keylog, strerror(errno));
        return -1;
    }
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    if (t->ep < 0 || (t->fd = quic_socket(c, t)) < 0) {
        snprintf(err, err_cap, "client: UDP socket: %s", strerror(errno));
        return -1;
    }
    return quic_conn(c, t, err, err_cap) == 0 && quic_tls(c, t, err, err_cap) == 0 ? 0 : -1;
}

int client_quic_control(struct client_quic *t)
{
    if (t->wt && client_wt_status(t) != 200)
        return client_wt_connect(t) == 0 ? 1 : -1;
    if (t->wt)
        return client_wt_session(t);
    return ngtcp2_conn_open_bidi_stream(t->conn, &t->ctl_sid, NULL) == 0 && t->ctl_sid == 0 ? 0
                                                                                         : -1;
}

bool client_quic_dgram_fits(const struct client_quic *t, size_t len)
{
    const ngtcp2_transport_params *p = ngtcp2_conn_get_remote_transport_params(t->conn);
    uint8_t head[CLIENT_WT_DATAGRAM_HEAD];
    size_t h = client_wt_dgram_head(t, head);
    size_t path = ngtcp2_conn_get_path_max_tx_udp_payload_size(t->conn);
    return p && p->max_datagram_frame_size > h && path > h &&
           len <= quicmsg_datagram_room(p->max_datagram_frame_size - h, path - h);
}

int client_quic_migrate(struct ricochet *c, struct client_quic *t)
{
    union netaddr was = t->local;
    int old = t->fd, fd = quic_socket(c, t);
    if (fd < 0)
        return -1;
    ngtcp2_path path = path_of(c, t);
    if (ngtcp2_conn_initiate_immediate_migration(t->conn, &path, ns_of(clock_now_us())) != 0) {
        epoll_ctl(t->ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        t->local = was;
        return -1;
    }
    epoll_ctl(t->ep, EPOLL_CTL_DEL, old, NULL);
    close(old);
    t->fd = fd;
    t->moved_us = clock_now_us();
    return client_quic_write(c, t) == 0 ? 0 : -1;
}

void client_quic_goodbye(struct ricochet *c, struct client_quic *t)
{
    if (!t->conn || t->fd < 0)
        return;
    uint64_t until = clock_now_us() + DESTROY_WAIT_MS * 1000u;
    while (t->up && !t->closed && t->control_out.queued && clock_now_us() < until) {
        struct epoll_event ev;
        epoll_wait(t->ep, &ev, 1, 5);
        if (client_quic_read(c, t, clock_now_us()) != 0 || client_quic_write(c, t) != 0)
            break;
    }
    if (ngtcp2_conn_is_in_draining_period(t->conn) || ngtcp2_conn_is_in_closing_period(t->conn))
        return;
    uint8_t buf[CLIENT_QUIC_PKT];
    ngtcp2_connection_close_error e;
    ngtcp2_connection_close_error_set_application_error(&e, t->wt ? H3_NO_ERROR : 0, NULL, 0);
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(t->conn, NULL, NULL, buf, sizeof buf, &e,
                                                       ns_of(clock_now_us()));
    if (n > 0)
        send_packet(c, t, buf, (size_t)n);
}

uint32_t client_quic_rtt_ms(const struct client_quic *t)
{
    ngtcp2_conn_stat st;
    if (!t->conn)
        return 0;
    ngtcp2_conn_get_conn_stat(t->conn, &st);
    return (uint32_t)(st.smoothed_rtt / NGTCP2_MILLISECONDS);
}

void client_quic_free(struct client_quic *t)
{
    if (t->conn)
        ngtcp2_conn_del(t->conn);
    if (t->tls)
        gnutls_deinit(t->tls);
    if (t->cred)
        gnutls_certificate_free_credentials(t->cred);
    if (t->keylog)
        fclose(t->keylog);
    quicmsg_reader_free(&t->control_in);
    for (size_t i = 0; i < t->n_ins; i++)
        quicmsg_reader_free(&t->ins[i].r);
    free(t->ins);
    quicmsg_out_free(&t->control_out);
    quicmsg_out_free(&t->up_out);
    free(t->dgrams);
    free(t->in);
    client_wt_free(t->wt);
    if (t->fd >= 0)
        close(t->fd);
    if (t->ep >= 0)
        close(t->ep);
}
