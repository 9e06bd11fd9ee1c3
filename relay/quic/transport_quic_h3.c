/* transport_quic_h3.c: a browser's WebTransport session on the quic edge
 * (ALPN "h3"; PROTOCOL.md, "WebTransport"; WebTransport over HTTP/3,
 * draft 02). HTTP/3 is spoken only as far as one session needs
 * (proto/h3.c reads and writes it):
 *
 *   - the relay's control stream carries its SETTINGS (extended CONNECT,
 *     HTTP datagrams, WebTransport; no QPACK dynamic table, so no QPACK
 *     streams of its own), opened at the connection's first write;
 *   - the client's control stream must begin with SETTINGS, given once;
 *     malformed or contradictory ones close the connection
 *     (H3_SETTINGS_ERROR), a frame where none may be too
 *     (H3_FRAME_UNEXPECTED, H3_MISSING_SETTINGS);
 *   - its QPACK encoder stream is read by nghttp3's decoder, which holds no
 *     dynamic table: any insertion, or a capacity over 0, closes the
 *     connection (QPACK_ENCODER_STREAM_ERROR); its decoder stream and
 *     streams of unknown types are read and dropped;
 *   - its first bidirectional stream is the one request: an extended
 *     CONNECT (:protocol webtransport) on QUIC_WT_PATH, whose header block
 *     (H3_HEADERS_PAYLOAD_MAX at most) QPACK decodes without a dynamic
 *     table; a ticket's pass comes in its path (?pass=PASS) and is checked
 *     by the core before the session is answered 200 (with the draft's
 *     sec-webtransport-http3-draft: draft02), or 4xx/5xx with the
 *     stream's end; no session state is kept before that, and a CONNECT
 *     read before the client's SETTINGS waits for them;
 *   - the session's streams: its first WebTransport bidirectional stream
 *     (signal 0x41, the session's ID) is the member's control stream, a
 *     WebTransport unidirectional stream (type 0x54, the session's ID) its
 *     own stream; what follows their preamble is read as on ALPN
 *     "ricochet" (transport_quic_in.c). A stream or datagram naming
 *     another session is dropped, counted.
 *
 * Nothing here calls ngtcp2: what the relay answers is queued for the next
 * write (transport_quic_packets.c). */
#include "transport_quic.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#include "proto/ticket.h"
#include "sys/log.h"

static bool client_uni(int64_t sid)
{
    return (sid & 3) == 2;
}

int transport_quic_h3_start(struct relay_quic *t, struct quic_conn *c)
{
    (void)t;
    struct quic_h3 *h = calloc(1, sizeof *h);
    uint8_t control[H3_CONTROL_MAX];
    if (!h)
        return -1;
    h->connect_sid = h->bidi_sid = h->out_sid = -1;
    h3_frames_init(&h->control_in, H3_FRAME_SETTINGS, UINT64_MAX, H3_SETTINGS_PAYLOAD_MAX);
    h3_frames_init(&h->request_in, H3_FRAME_HEADERS, UINT64_MAX, H3_HEADERS_PAYLOAD_MAX);
    quicmsg_out_init(&h->out);
    quicmsg_out_init(&h->answer);
    if (quicmsg_out_bytes(&h->out, control, h3_control_stream(control)) != 0) {
        free(h);
        return -1;
    }
    c->h3 = h;
    c->in.control_sid = -1; /* the session's first bidirectional stream, once it comes */
    return 0;
}

/* Frees what the setup alone needed (readers, the QPACK decoder, a pending
 * CONNECT); the session keeps the rest. */
static void setup_free(struct quic_h3 *h)
{
    h3_frames_free(&h->control_in);
    h3_frames_free(&h->request_in);
    free(h->pending);
    h->pending = NULL;
    if (h->qpack)
        nghttp3_qpack_decoder_del(h->qpack);
    h->qpack = NULL;
}

void transport_quic_h3_free(struct quic_conn *c)
{
    if (!c->h3)
        return;
    setup_free(c->h3);
    quicmsg_out_free(&c->h3->out);
    quicmsg_out_free(&c->h3->answer);
    free(c->h3);
    c->h3 = NULL;
}

void transport_quic_h3_open(struct quic_conn *c)
{
    if (c->h3 && c->h3->out_sid < 0 && ngtcp2_conn_get_handshake_completed(c->conn) &&
        ngtcp2_conn_open_uni_stream(c->conn, &c->h3->out_sid, NULL) != 0)
        c->h3->out_sid = -1; /* no credit yet: at a later write */
}

/* c is closed for an HTTP/3 error code, counted at counter. */
static int h3_close(struct relay_quic *t, struct quic_conn *c, uint64_t code, int counter)
{
    t->own[counter]++;
    ngtcp2_connection_close_error_set_application_error(&c->last_error, code, NULL, 0);
    return NGTCP2_ERR_CALLBACK_FAILURE;
}

/* ---- a stream's frames ---- */

/* What one complete frame of a stream goes to (its payload only for the
 * types h3_frames_read keeps): returns 0, or <0 once c is closed. */
typedef int frame_handler(struct relay_quic *t, struct quic_conn *c, uint64_t type,
                          const uint8_t *payload, size_t plen);

/* A stream's bytes as frames through its reader in, each to on_frame,
 * while reading(c->h3) holds (a frame may end it); a frame over the
 * reader's bound closes c counted at too_long, a malformed one counted as
 * an HTTP/3 error. Returns 0, or <0 once c is closed. */
static int read_frames(struct relay_quic *t, struct quic_conn *c, struct h3_frames *in,
                       const uint8_t *data, size_t len, bool (*reading)(const struct quic_h3 *),
                       int too_long, frame_handler *on_frame)
{
    struct quic_h3 *h = c->h3;
    while (len > 0 && reading(h)) {
        uint64_t type;
        const uint8_t *payload;
        size_t used, plen;
        int rc = h3_frames_read(in, data, len, &used, &type, &payload, &plen);
        if (rc == H3_E_LONG)
            return h3_close(t, c, H3_EXCESSIVE_LOAD, too_long);
        if (rc < 0)
            return h3_close(t, c, H3_EXCESSIVE_LOAD, QUIC_COUNT_WT_H3_ERRORS);
        data += used;
        len -= used;
        if (rc == 0)
            break;
        rc = on_frame(t, c, type, payload, plen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the CONNECT ---- */

/* The CONNECT answered with status: 200 opens the session. */
static void answer(struct relay_quic *t, struct quic_conn *c, int status)
{
    struct quic_h3 *h = c->h3;
    uint8_t frame[H3_RESPONSE_MAX];
    size_t n = h3_response(status, frame);
    if (n == 0 || quicmsg_out_bytes(&h->answer, frame, n) != 0)
        status = 500; /* out of memory: the stream ends without an answer */
    h->answer.fin = status != 200;
    h->session = status == 200 ? QUIC_H3S_OPEN : QUIC_H3S_REFUSED;
    t->own[status == 200 ? QUIC_COUNT_WT_SESSIONS : QUIC_COUNT_WT_REFUSED]++;
    if (status == 200)
        setup_free(h);
    transport_quic_mark(t, c);
}

/* req, the client's SETTINGS read: the status it gets, and a ticket's pass
 * checked (and claimed by the session) before a 200. */
static void decide(struct relay_quic *t, struct quic_conn *c, const struct h3_request *req)
{
    struct quic_h3 *h = c->h3;
    int status = h3_request_status(req, QUIC_WT_PATH);
    if (status == 200 && !h3_settings_webtransport(&h->settings)) {
        t->own[QUIC_COUNT_WT_SETTINGS]++; /* no HTTP datagrams, or not WebTransport */
        status = 400;
    }
    char pass[TICKET_PASS_TEXT_MAX + 1];
    int plen = h3_request_query(req, "pass", pass, sizeof pass);
    if (status == 200 && t->relay) {
        char why[160];
        if (relay_ticket_precheck(t->relay, plen > 0 ? pass : NULL, t->now_us, NULL, why,
                                  sizeof why) != PROTO_ERROR_NONE)
            status = 403;
        else
            relay_ticket_claim(t->relay, plen > 0 ? pass : NULL, t->base + c->slot);
    }
    answer(t, c, status);
}

/* A HEADERS frame on the CONNECT's stream. */
static int request(struct relay_quic *t, struct quic_conn *c, const uint8_t *p, size_t len)
{
    struct quic_h3 *h = c->h3;
    struct h3_request req;
    int rc = h3_request_decode(p, len, &req);
    if (rc == H3_E_QPACK || rc == H3_E_FIELDS)
        return h3_close(t, c, rc == H3_E_QPACK ? H3_QPACK_DECOMPRESSION_FAILED
                                               : H3_EXCESSIVE_LOAD, QUIC_COUNT_WT_QPACK);
    if (rc != 0) { /* malformed: 400 (RFC 9114 4.1.2 allows the answer) */
        answer(t, c, rc == H3_E_MESSAGE ? 400 : 500);
        return 0;
    }
    if (h->settings_in) {
        decide(t, c, &req);
        return 0;
    }
    if (!(h->pending = malloc(sizeof *h->pending))) /* its SETTINGS may be on their way */
        return h3_close(t, c, H3_EXCESSIVE_LOAD, QUIC_COUNT_WT_H3_ERRORS);
    *h->pending = req;
    h->session = QUIC_H3S_PENDING;
    return 0;
}

/* A frame of the CONNECT's stream: the first HEADERS is the request. */
static int request_frame(struct relay_quic *t, struct quic_conn *c, uint64_t type,
                         const uint8_t *payload, size_t plen)
{
    if (type == H3_FRAME_HEADERS)
        return request(t, c, payload, plen);
    if (type == H3_FRAME_DATA || type == H3_FRAME_SETTINGS || type == H3_FRAME_GOAWAY ||
        type == H3_FRAME_MAX_PUSH_ID || type == H3_FRAME_CANCEL_PUSH ||
        type == H3_FRAME_PUSH_PROMISE || h3_frame_reserved(type))
        return h3_close(t, c, H3_FRAME_UNEXPECTED, QUIC_COUNT_WT_H3_ERRORS);
    return 0;
}

static bool request_unread(const struct quic_h3 *h)
{
    return h->session == QUIC_H3S_NONE;
}

/* The CONNECT's stream: frames until the request is read; after it, read
 * and dropped (draft 02 sends nothing more). */
static int request_stream(struct relay_quic *t, struct quic_conn *c, const uint8_t *data,
                          size_t len)
{
    return read_frames(t, c, &c->h3->request_in, data, len, request_unread,
                       QUIC_COUNT_WT_QPACK, request_frame);
}

/* ---- the client's control and QPACK streams ---- */

static int settings(struct relay_quic *t, struct quic_conn *c, const uint8_t *p, size_t len)
{
    struct quic_h3 *h = c->h3;
    if (h3_settings_read(p, len, &h->settings) != 0)
        return h3_close(t, c, H3_SETTINGS_ERROR, QUIC_COUNT_WT_SETTINGS);
    h->settings_in = true;
    const struct h3_settings *v = &h->settings;
    log_debug("relay: quic: connection %u: h3 SETTINGS: %u, extended CONNECT %d, datagrams %d, "
              "WebTransport draft 02 %d, draft 07's sessions %llu, QPACK table %llu",
              c->slot, v->count, v->connect_protocol, v->datagram, v->webtransport,
              (unsigned long long)v->wt_max_sessions_07, (unsigned long long)v->qpack_capacity);
    if (h->session == QUIC_H3S_PENDING) {
        struct h3_request *req = h->pending;
        h->pending = NULL;
        h->session = QUIC_H3S_NONE;
        decide(t, c, req);
        free(req);
    }
    return 0;
}

/* A frame of the client's control stream: SETTINGS first and once. */
static int control_frame(struct relay_quic *t, struct quic_conn *c, uint64_t type,
                         const uint8_t *payload, size_t plen)
{
    struct quic_h3 *h = c->h3;
    if (!h->settings_in && type != H3_FRAME_SETTINGS)
        return h3_close(t, c, H3_MISSING_SETTINGS, QUIC_COUNT_WT_SETTINGS);
    if (type == H3_FRAME_SETTINGS && h->settings_in)
        return h3_close(t, c, H3_FRAME_UNEXPECTED, QUIC_COUNT_WT_SETTINGS); /* a second */
    if (type == H3_FRAME_SETTINGS)
        return settings(t, c, payload, plen);
    if (type == H3_FRAME_DATA || type == H3_FRAME_HEADERS || type == H3_FRAME_PUSH_PROMISE ||
        h3_frame_reserved(type))
        return h3_close(t, c, H3_FRAME_UNEXPECTED, QUIC_COUNT_WT_H3_ERRORS);
    return 0;
}

static bool session_unopened(const struct quic_h3 *h)
{
    return h->session != QUIC_H3S_OPEN; /* once open, the control stream's readers are freed */
}

static int control_stream(struct relay_quic *t, struct quic_conn *c, const uint8_t *data,
                          size_t len)
{
    return read_frames(t, c, &c->h3->control_in, data, len, session_unopened,
                       QUIC_COUNT_WT_SETTINGS, control_frame);
}

/* QPACK's encoder stream, read by a decoder without a dynamic table: the
 * only instruction it takes is a capacity of 0. */
static int encoder_stream(struct relay_quic *t, struct quic_conn *c, const uint8_t *data,
                          size_t len)
{
    struct quic_h3 *h = c->h3;
    if (h->session == QUIC_H3S_OPEN || h->session == QUIC_H3S_REFUSED)
        return 0; /* no header block will be read any more */
    if (!h->qpack &&
        nghttp3_qpack_decoder_new((nghttp3_qpack_decoder **)&h->qpack, 0, 0,
                                  nghttp3_mem_default()) != 0)
        return h3_close(t, c, H3_EXCESSIVE_LOAD, QUIC_COUNT_WT_H3_ERRORS);
    nghttp3_ssize n = nghttp3_qpack_decoder_read_encoder(h->qpack, data, len);
    if (n < 0 || (size_t)n != len)
        return h3_close(t, c, H3_QPACK_ENCODER_STREAM_ERROR, QUIC_COUNT_WT_QPACK);
    return 0;
}

/* ---- streams ---- */

static struct quic_h3_uni *uni_of(struct quic_h3 *h, int64_t sid, bool make)
{
    struct quic_h3_uni *free_one = NULL;
    for (int i = 0; i < QUIC_H3_UNIS; i++) {
        if (h->uni[i].kind != QUIC_H3U_FREE && h->uni[i].sid == sid)
            return &h->uni[i];
        if (h->uni[i].kind == QUIC_H3U_FREE && !free_one)
            free_one = &h->uni[i];
    }
    if (!make || !free_one)
        return NULL;
    *free_one = (struct quic_h3_uni){.sid = sid, .kind = QUIC_H3U_TYPE};
    return free_one;
}

/* Is a critical stream of kind already there (another than u)? */
static bool given(const struct quic_h3 *h, const struct quic_h3_uni *u, uint8_t kind)
{
    for (int i = 0; i < QUIC_H3_UNIS; i++)
        if (&h->uni[i] != u && h->uni[i].kind == kind)
            return true;
    return false;
}

/* A unidirectional stream's type read: what the rest of it is. */
static int uni_type(struct relay_quic *t, struct quic_conn *c, struct quic_h3_uni *u,
                    uint64_t type)
{
    uint8_t kind = type == H3_STREAM_CONTROL         ? QUIC_H3U_CONTROL
                   : type == H3_STREAM_QPACK_ENCODER ? QUIC_H3U_ENCODER
                   : type == H3_STREAM_WT_UNI        ? QUIC_H3U_SESSION
                                                     : QUIC_H3U_DISCARD;
    if (type == H3_STREAM_PUSH) /* only a server pushes */
        return h3_close(t, c, H3_STREAM_CREATION_ERROR, QUIC_COUNT_WT_H3_ERRORS);
    if ((kind == QUIC_H3U_CONTROL || kind == QUIC_H3U_ENCODER) && given(c->h3, u, kind))
        return h3_close(t, c, H3_STREAM_CREATION_ERROR, QUIC_COUNT_WT_H3_ERRORS);
    u->kind = kind;
    return 0;
}

/* The preamble of a client's unidirectional stream, then its bytes:
 * returns 1 with *skip when the rest is the session's own stream. */
static int uni_stream(struct relay_quic *t, struct quic_conn *c, int64_t sid,
                      const uint8_t *data, size_t len, size_t *skip)
{
    struct quic_h3 *h = c->h3;
    struct quic_h3_uni *u = uni_of(h, sid, true);
    size_t at = 0, used;
    uint64_t v;
    if (!u)
        return 0; /* more open than the transport parameters allow: never */
    while (at < len && (u->kind == QUIC_H3U_TYPE || u->kind == QUIC_H3U_SESSION)) {
        if (!h3_varint_take(&u->v, data + at, len - at, &used, &v)) {
            at += used;
            break;
        }
        at += used;
        int rc = 0;
        if (u->kind == QUIC_H3U_TYPE)
            rc = uni_type(t, c, u, v);
        else if (h->session != QUIC_H3S_OPEN || (int64_t)v != h->connect_sid || c->in.up_sid >= 0) {
            t->own[QUIC_COUNT_WT_UNKNOWN]++;
            u->kind = QUIC_H3U_DISCARD;
        } else {
            u->kind = QUIC_H3U_OWN;
            c->in.up_sid = sid;
        }
        if (rc < 0)
            return rc;
    }
    data += at;
    len -= at;
    *skip = at;
    switch (u->kind) {
    case QUIC_H3U_CONTROL:
        return len ? control_stream(t, c, data, len) : 0;
    case QUIC_H3U_ENCODER:
        return len ? encoder_stream(t, c, data, len) : 0;
    case QUIC_H3U_OWN:
        return 1;
    default:
        return 0;
    }
}

/* A client's bidirectional stream: the first is the CONNECT's; a later one
 * beginning with the WebTransport signal and the session's ID is the
 * session's control stream. Returns 1 with *skip when the rest is. */
static int bidi_stream(struct relay_quic *t, struct quic_conn *c, int64_t sid,
                       const uint8_t *data, size_t len, size_t *skip)
{
    struct quic_h3 *h = c->h3;
    if (h->connect_sid < 0 || sid == h->connect_sid) {
        h->connect_sid = sid;
        return request_stream(t, c, data, len);
    }
    if (sid == c->in.control_sid)
        return 1;
    if (h->bidi_sid >= 0 && h->bidi_sid != sid)
        return 0; /* one preamble read at a time: a third stream is dropped */
    h->bidi_sid = sid;
    size_t at = 0, used;
    uint64_t v;
    while (at < len && h->bidi_sid == sid) {
        if (!h3_varint_take(&h->bidi_v, data + at, len - at, &used, &v)) {
            at += used;
            break;
        }
        at += used;
        if (h->bidi_step == 0 && v != H3_SIGNAL_WT_BIDI) {
            t->own[QUIC_COUNT_WT_REFUSED]++; /* a second request: not answered */
            h->bidi_sid = INT64_MAX;
        } else if (h->bidi_step++ == 1) {
            if (h->session != QUIC_H3S_OPEN || (int64_t)v != h->connect_sid ||
                c->in.control_sid >= 0) {
                t->own[QUIC_COUNT_WT_UNKNOWN]++;
                h->bidi_sid = INT64_MAX;
            } else {
                c->in.control_sid = sid;
                c->in.control_open = true;
                h->bidi_sid = -1;
            }
        }
    }
    *skip = at;
    return sid == c->in.control_sid ? 1 : 0;
}

int transport_quic_h3_stream(struct relay_quic *t, struct quic_conn *c, int64_t sid,
                             const uint8_t *data, size_t len, size_t *skip)
{
    *skip = 0;
    if (sid == c->in.up_sid)
        return 1;
    if (client_uni(sid))
        return uni_stream(t, c, sid, data, len, skip);
    if ((sid & 1) == 0)
        return bidi_stream(t, c, sid, data, len, skip);
    return 0;
}

int transport_quic_h3_closed(struct relay_quic *t, struct quic_conn *c, int64_t sid)
{
    struct quic_h3 *h = c->h3;
    if (sid == h->connect_sid && h->session == QUIC_H3S_OPEN)
        return 1; /* the session's end */
    struct quic_h3_uni *u = client_uni(sid) ? uni_of(h, sid, false) : NULL;
    if (!u)
        return 0;
    if (u->kind == QUIC_H3U_CONTROL || u->kind == QUIC_H3U_ENCODER) {
        h3_close(t, c, H3_CLOSED_CRITICAL_STREAM, QUIC_COUNT_WT_H3_ERRORS);
        return -1;
    }
    u->kind = QUIC_H3U_FREE;
    return 2; /* its credit given back */
}

int transport_quic_h3_datagram(struct relay_quic *t, struct quic_conn *c, const uint8_t *d,
                               size_t len, const uint8_t **rest, size_t *rest_len)
{
    uint64_t qsid;
    struct quic_h3 *h = c->h3;
    if (h3_datagram_open(d, len, &qsid, rest, rest_len) != 0 || h->session != QUIC_H3S_OPEN ||
        qsid * 4 != (uint64_t)h->connect_sid) {
        t->own[QUIC_COUNT_WT_UNKNOWN]++;
        return -1;
    }
    return 0;
}

size_t transport_quic_h3_dgram_head(const struct quic_conn *c, uint8_t *out)
{
    if (!c->h3 || c->h3->connect_sid < 0)
        return 0;
    return h3_varint_put(out, (uint64_t)c->h3->connect_sid / 4);
}
