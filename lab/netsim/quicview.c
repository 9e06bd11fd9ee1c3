/* quicview.c: states inside a QUIC flow's packets (see quicview.h). */
#include "quicview.h"

#include <stdlib.h>
#include <string.h>

#include "proto/quicmsg.h"
#include "proto/wire.h"
#include "proto/byteorder.h"

#define QUIC_V1 0x00000001u
#define LONG_INITIAL 0
#define LONG_RETRY 3
#define SPACE_INITIAL 0
#define SPACE_APP 1
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HELLO_RANDOM_AT 6    /* type, length (3), version (2) */
#define EXT_ALPN 16
#define WT_UNI_STREAM 0x54   /* a WebTransport unidirectional stream's type */

/* A variable-length integer (RFC 9000 §16) at p[*at..n). Returns 0, or -1
 * when it runs past n. */
static int varint(const uint8_t *p, size_t n, size_t *at, uint64_t *v)
{
    if (*at >= n)
        return -1;
    size_t len = (size_t)1 << (p[*at] >> 6);
    if (len > n - *at)
        return -1;
    uint64_t x = p[*at] & 0x3f;
    for (size_t i = 1; i < len; i++)
        x = x << 8 | p[*at + i];
    *at += len;
    *v = x;
    return 0;
}

/* ---- streams --------------------------------------------------------------- */

static void name_state(const struct statescan_ref *ref, struct statescan_result *r,
                       struct statescan_ref *out)
{
    if (r->states < STATESCAN_MAX)
        out[r->states] = *ref;
    r->states++;
}

static struct quicview_stream *stream_of(struct quicview_flow *f, int side, uint64_t id)
{
    if (!f->streams && !(f->streams = calloc(QUICVIEW_STREAMS, sizeof *f->streams)))
        return NULL;
    struct quicview_stream *oldest = &f->streams[0];
    for (size_t i = 0; i < QUICVIEW_STREAMS; i++) {
        struct quicview_stream *s = &f->streams[i];
        if (s->used && s->side == side && s->id == id)
            return s;
        if (!s->used || (oldest->used && s->used_at < oldest->used_at))
            oldest = s;
    }
    memset(oldest, 0, sizeof *oldest);
    oldest->used = true;
    oldest->side = (uint8_t)side;
    oldest->id = id;
    if (f->h3) { /* WebTransport's preamble */
        bool uni = id & 2;
        oldest->lost = id == 0; /* the CONNECT's */
        oldest->pre = uni || side == 0 ? 2 : 0;
        oldest->typed = uni;
    }
    return oldest;
}

/* A whole message ending before offset end: each of its states remembered
 * (and named in this packet). */
static void stream_message(struct quicview_stream *s, uint64_t end, struct statescan_result *r,
                           struct statescan_ref *out)
{
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result got = statescan_datagram(STATESCAN_UDP, s->buf, s->need, refs);
    for (size_t i = 0; i < got.states && i < STATESCAN_MAX; i++) {
        refs[i].channel = PROTO_CHANNEL_RELIABLE;
        refs[i].kind = STATESCAN_RELIABLE;
        s->marks[s->mark_next].end = end;
        s->marks[s->mark_next].sender = refs[i].sender;
        s->marks[s->mark_next].seq = refs[i].seq;
        s->mark_next = (s->mark_next + 1) % QUICVIEW_MARKS;
        if (s->n_marks < QUICVIEW_MARKS)
            s->n_marks++;
        name_state(&refs[i], r, out);
    }
}

/* One byte of a WebTransport stream's preamble (s->pre > 0). */
static void preamble_byte(struct quicview_stream *s, uint8_t b)
{
    if (s->vleft == 0) {
        s->vleft = (uint8_t)(1u << (b >> 6));
        s->v = b & 0x3f;
    } else {
        s->v = s->v << 8 | b;
    }
    if (--s->vleft > 0)
        return;
    if (s->typed && s->v != WT_UNI_STREAM)
        s->lost = true; /* HTTP/3's control stream, QPACK's: no states */
    s->typed = false;
    s->pre--;
}

/* One new byte at offset at: a preamble's, a length's, or a message's. */
static void stream_byte(struct quicview_stream *s, uint8_t b, uint64_t at,
                        struct statescan_result *r, struct statescan_ref *out)
{
    if (s->pre > 0) {
        preamble_byte(s, b);
        return;
    }
    if (s->head_have < 2) {
        s->head[s->head_have++] = b;
        if (s->head_have == 2) {
            s->need = be16_get(s->head);
            s->have = 0;
            s->lost = s->need == 0; /* no frame is empty: these are not frames */
        }
        return;
    }
    if (s->have < QUICVIEW_MESSAGE_MAX)
        s->buf[s->have] = b;
    if (++s->have < s->need)
        return;
    s->head_have = 0;
    if (s->need <= QUICVIEW_MESSAGE_MAX)
        stream_message(s, at + 1, r, out);
}

/* The states remembered on s whose message ends in (from, to]. */
static void stream_again(const struct quicview_stream *s, uint64_t from, uint64_t to,
                         struct statescan_result *r, struct statescan_ref *out)
{
    for (uint32_t k = 0; k < s->n_marks; k++) {
        uint32_t i = (s->mark_next + QUICVIEW_MARKS - s->n_marks + k) % QUICVIEW_MARKS;
        if (s->marks[i].end > from && s->marks[i].end <= to) {
            struct statescan_ref ref = {.sender = s->marks[i].sender, .seq = s->marks[i].seq,
                                        .channel = PROTO_CHANNEL_RELIABLE,
                                        .kind = STATESCAN_RELIABLE};
            name_state(&ref, r, out);
        }
    }
}

/* A STREAM frame's bytes d[0..n) at offset off of stream id, sent by side. */
static void stream_frame(struct quicview_flow *f, int side, uint64_t id, uint64_t off,
                         const uint8_t *d, size_t n, struct statescan_result *r,
                         struct statescan_ref *out)
{
    struct quicview_stream *s = stream_of(f, side, id);
    if (!s || n == 0)
        return;
    s->used_at = f->packets;
    uint64_t end = off + n;
    stream_again(s, off, end < s->next ? end : s->next, r, out);
    if (s->lost || end <= s->next)
        return;
    if (off > s->next) { /* bytes before these never opened */
        s->lost = true;
        return;
    }
    for (uint64_t at = s->next; at < end && !s->lost; at++)
        stream_byte(s, d[at - off], at, r, out);
    s->next = end;
}

void quicview_flow_free(struct quicview_flow *f)
{
    free(f->streams);
    f->streams = NULL;
}

/* ---- frames ------------------------------------------------------------- */

static void datagram_frame(const struct quicview_flow *f, const uint8_t *d, size_t n,
                           struct statescan_result *r, struct statescan_ref *out)
{
    uint8_t channel;
    const uint8_t *msg;
    size_t msg_len, at = 0;
    uint64_t qsid;
    if (f->h3 && varint(d, n, &at, &qsid) != 0)
        return; /* WebTransport's: its quarter stream ID first */
    if (quicmsg_datagram_open(d + at, n - at, &channel, &msg, &msg_len) != 0)
        return;
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result got = statescan_datagram(STATESCAN_UDP, msg, msg_len, refs);
    for (size_t i = 0; i < got.states && i < STATESCAN_MAX; i++) {
        refs[i].channel = channel;
        refs[i].kind = STATESCAN_DATAGRAM;
        name_state(&refs[i], r, out);
    }
    r->malformed |= got.malformed;
}

/* Does the ClientHello d[0..n) offer the ALPN h3 and not ricochet? A
 * hello cut before its ALPN extension says no. */
static bool offers_h3(const uint8_t *d, size_t n)
{
    size_t at = HELLO_RANDOM_AT + DTLSVIEW_RANDOM;
    if (at >= n)
        return false;
    at += 1 + d[at]; /* the session ID */
    if (at + 2 > n)
        return false;
    at += 2 + ((size_t)d[at] << 8 | d[at + 1]); /* the cipher suites */
    if (at >= n)
        return false;
    at += 1 + d[at]; /* the compression methods */
    if (at + 2 > n)
        return false;
    size_t end = at + 2 + ((size_t)d[at] << 8 | d[at + 1]);
    bool h3 = false, ours = false;
    for (at += 2; at + 4 <= n && at + 4 <= end;) {
        unsigned type = (unsigned)d[at] << 8 | d[at + 1];
        size_t len = (size_t)d[at + 2] << 8 | d[at + 3];
        at += 4;
        if (at + len > n)
            break; /* cut here: what came before is read */
        for (size_t p = at + 2; type == EXT_ALPN && p < at + len && p + 1 + d[p] <= at + len;
             p += 1 + d[p]) {
            h3 |= d[p] == 2 && memcmp(d + p + 1, "h3", 2) == 0;
            ours |= d[p] == sizeof QUICMSG_ALPN - 1 &&
                    memcmp(d + p + 1, QUICMSG_ALPN, sizeof QUICMSG_ALPN - 1) == 0;
        }
        at += len;
    }
    return h3 && !ours;
}

/* A CRYPTO frame of an Initial: at offset 0, the ClientHello's random (a
 * new one: a new session) and ALPN, or the ServerHello's suite. */
static void crypto_frame(struct quicview_flow *f, int side, uint64_t off, const uint8_t *d,
                         size_t n)
{
    if (off != 0 || n < HELLO_RANDOM_AT + DTLSVIEW_RANDOM + 1)
        return;
    const uint8_t *random = d + HELLO_RANDOM_AT;
    if (side == 0 && d[0] == HS_CLIENT_HELLO &&
        (!f->have_random || memcmp(f->client_random, random, DTLSVIEW_RANDOM) != 0)) {
        memcpy(f->client_random, random, DTLSVIEW_RANDOM);
        f->have_random = true;
        f->h3 = offers_h3(d, n);
        f->keyed = false;
        f->seen[SPACE_APP][0] = f->seen[SPACE_APP][1] = false;
        f->phase[0] = f->phase[1] = 0;
        f->have_prev[0] = f->have_prev[1] = false;
        if (f->streams)
            memset(f->streams, 0, QUICVIEW_STREAMS * sizeof *f->streams);
    } else if (side == 1 && d[0] == HS_SERVER_HELLO) {
        size_t sid = HELLO_RANDOM_AT + DTLSVIEW_RANDOM;
        if (sid + 1 + d[sid] + 2 <= n)
            f->suite = (uint16_t)(d[sid + 1 + d[sid]] << 8 | d[sid + 2 + d[sid]]);
    }
}

/* How many varints follow a frame type that carries nothing else ricochet
 * reads, or -1 for a type of another shape. */
static int plain_varints(uint64_t type)
{
    switch (type) {
    case 0x04: return 3;                   /* RESET_STREAM */
    case 0x05: case 0x11: case 0x15: return 2; /* STOP_SENDING, MAX_STREAM_DATA, ... */
    case 0x10: case 0x12: case 0x13: case 0x14: case 0x16: case 0x17: case 0x19: return 1;
    case 0x00: case 0x01: case 0x1e: return 0; /* PADDING, PING, HANDSHAKE_DONE */
    default: return -1;
    }
}

/* Skips an ACK frame's fields (after its type). */
static int skip_ack(const uint8_t *p, size_t n, size_t *at, uint64_t type)
{
    uint64_t v, ranges;
    if (varint(p, n, at, &v) || varint(p, n, at, &v) || varint(p, n, at, &ranges) ||
        varint(p, n, at, &v) || ranges > n)
        return -1;
    for (uint64_t i = 0; i < 2 * ranges + (type == 0x03 ? 3 : 0); i++)
        if (varint(p, n, at, &v))
            return -1;
    return 0;
}

/* Skips len bytes (a length read from the frame). */
static int skip(size_t n, size_t *at, uint64_t len)
{
    if (len > n - *at)
        return -1;
    *at += (size_t)len;
    return 0;
}

/* One frame with fields past its type at p[*at..n): STREAM, DATAGRAM or
 * CRYPTO read, the others passed over. Returns 0, or -1. */
static int frame(struct quicview_flow *f, int side, bool app, uint64_t type, const uint8_t *p,
                 size_t n, size_t *at, struct statescan_result *r, struct statescan_ref *out)
{
    uint64_t a, b, len;
    int k = plain_varints(type);
    for (int i = 0; i < k; i++)
        if (varint(p, n, at, &a))
            return -1;
    if (k >= 0)
        return 0;
    if (type >= 0x08 && type <= 0x0f) { /* STREAM */
        b = 0;
        if (varint(p, n, at, &a) || ((type & 4) && varint(p, n, at, &b)))
            return -1;
        len = n - *at;
        if ((type & 2) && (varint(p, n, at, &len) || len > n - *at))
            return -1;
        if (b + len < b || b + len > ((uint64_t)1 << 62))
            return -1;
        if (app) /* an Initial's keys are public: only 1-RTT's streams are the session's */
            stream_frame(f, side, a, b, p + *at, (size_t)len, r, out);
        return skip(n, at, len);
    }
    switch (type) {
    case 0x02: case 0x03: return skip_ack(p, n, at, type);
    case 0x06: /* CRYPTO */
        if (varint(p, n, at, &a) || varint(p, n, at, &len) || len > n - *at)
            return -1;
        if (!app)
            crypto_frame(f, side, a, p + *at, (size_t)len);
        return skip(n, at, len);
    case 0x07: return varint(p, n, at, &len) ? -1 : skip(n, at, len); /* NEW_TOKEN */
    case 0x18: /* NEW_CONNECTION_ID: sequence, retire prior to, length, ID, reset token */
        if (varint(p, n, at, &a) || varint(p, n, at, &b) || *at >= n)
            return -1;
        len = p[(*at)++];
        return len > QUICVIEW_CID_MAX ? -1 : skip(n, at, len + 16);
    case 0x1a: case 0x1b: return skip(n, at, 8); /* PATH_CHALLENGE, PATH_RESPONSE */
    case 0x1c: case 0x1d: /* CONNECTION_CLOSE */
        if (varint(p, n, at, &a) || (type == 0x1c && varint(p, n, at, &b)) ||
            varint(p, n, at, &len))
            return -1;
        return skip(n, at, len);
    case 0x30: case 0x31: /* DATAGRAM */
        len = n - *at;
        if (type == 0x31 && (varint(p, n, at, &len) || len > n - *at))
            return -1;
        if (app)
            datagram_frame(f, p + *at, (size_t)len, r, out);
        return skip(n, at, len);
    default: return -1;
    }
}

/* A packet's frames (app: a 1-RTT packet's, else an Initial's). */
static void frames(struct quicview_flow *f, int side, bool app, const uint8_t *p, size_t n,
                   struct statescan_result *r, struct statescan_ref *out)
{
    size_t at = 0;
    uint64_t type;
    while (at < n) {
        if (varint(p, n, &at, &type) || frame(f, side, app, type, p, n, &at, r, out) != 0) {
            r->malformed = 1;
            return;
        }
    }
}

/* ---- packets ------------------------------------------------------------- */

/* The 1-RTT keys of the flow's session, once the key log has them. */
static bool app_keys(struct quicview_flow *f, struct dtlsview_keylog *k)
{
    static const char *const labels[2] = {"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
    static const uint16_t suites[] = {QUICKEYS_AES_128_GCM, QUICKEYS_AES_256_GCM,
                                      QUICKEYS_CHACHA20};
    if (f->keyed || !f->have_random || !k)
        return f->keyed;
    uint8_t secret[2][48];
    size_t len[2];
    for (int side = 0; side < 2; side++)
        if (!(len[side] = dtlsview_keylog_secret(k, labels[side], f->client_random,
                                                 secret[side], sizeof secret[side])))
            return false;
    /* the ServerHello's suite; without it, the first whose hash fits the
     * secret (a wrong guess opens nothing: counted unread) */
    for (size_t i = 0; i < 3; i++) {
        uint16_t suite = f->suite ? f->suite : suites[i];
        if (quickeys_traffic(suite, secret[0], len[0], &f->app[0]) == 0 &&
            quickeys_traffic(suite, secret[1], len[1], &f->app[1]) == 0) {
            f->keyed = true;
            break;
        }
    }
    return f->keyed;
}

/* Opens a 1-RTT packet with side's keys of the key phase its header
 * names: the current generation's, the one before (a packet read again
 * after a key update), or the next (a key update: it becomes current). */
static long open_app(struct quicview_flow *f, int side, uint8_t *pkt, size_t pn_at, size_t n,
                     uint64_t *pn, uint8_t **plain)
{
    uint64_t largest = f->largest[SPACE_APP][side];
    bool seen = f->seen[SPACE_APP][side];
    int phase;
    /* the AEAD's tag says which keys are the packet's */
    long got = quickeys_unprotect(&f->app[side], pkt, pn_at, n, false, largest, seen, pn, plain, &phase);
    if (got >= 0)
        return got;
    if (f->have_prev[side] &&
        (got = quickeys_unprotect(&f->prev[side], pkt, pn_at, n, false, largest, seen, pn, plain,
                         &phase)) >= 0)
        return got;
    struct quickeys next;
    if (quickeys_next(&f->app[side], &next) != 0 ||
        (got = quickeys_unprotect(&next, pkt, pn_at, n, false, largest, seen, pn, plain, &phase)) < 0)
        return -1;
    f->prev[side] = f->app[side];
    f->have_prev[side] = true;
    f->app[side] = next;
    f->phase[side] = (uint8_t)phase;
    return got;
}

/* A short-header packet at pkt[0..n) (the rest of the datagram). */
static void short_packet(struct quicview_flow *f, struct dtlsview_keylog *k, int side,
                         uint8_t *pkt, size_t n, struct statescan_result *r,
                         struct statescan_ref *out)
{
    int other = !side;
    if (!f->have_scid[other] || !app_keys(f, k)) {
        f->unread++;
        return;
    }
    size_t pn_at = 1 + f->scid_len[other];
    uint64_t pn;
    uint8_t *plain;
    long got = open_app(f, side, pkt, pn_at, n, &pn, &plain);
    if (got < 0) {
        f->unread++;
        return;
    }
    if (!f->seen[SPACE_APP][side] || pn > f->largest[SPACE_APP][side])
        f->largest[SPACE_APP][side] = pn;
    f->seen[SPACE_APP][side] = true;
    f->packets++;
    frames(f, side, true, plain, (size_t)got, r, out);
}

/* An Initial packet: opened with the flow's Initial keys, or, for the
 * client's, those of its Destination Connection ID (a new one after a
 * Retry); its frames read for the hellos. */
static void initial_packet(struct quicview_flow *f, int side, uint8_t *pkt, size_t pn_at,
                           size_t end, const uint8_t *dcid, size_t dcid_len, size_t scid_len,
                           struct statescan_result *r, struct statescan_ref *out)
{
    uint64_t pn;
    uint8_t *plain;
    int phase;
    long got = -1;
    if (f->initial_keyed)
        got = quickeys_unprotect(&f->initial[side], pkt, pn_at, end, true, f->largest[SPACE_INITIAL][side],
                        f->seen[SPACE_INITIAL][side], &pn, &plain, &phase);
    struct quickeys keys[2];
    if (got < 0 && side == 0 && quickeys_initial(dcid, dcid_len, keys) == 0 &&
        (got = quickeys_unprotect(&keys[0], pkt, pn_at, end, true, 0, false, &pn, &plain, &phase)) >= 0) {
        memcpy(f->initial, keys, sizeof keys);
        f->initial_keyed = true;
        f->seen[SPACE_INITIAL][0] = f->seen[SPACE_INITIAL][1] = false;
    }
    if (got < 0) {
        f->unread++;
        return;
    }
    if (!f->seen[SPACE_INITIAL][side] || pn > f->largest[SPACE_INITIAL][side])
        f->largest[SPACE_INITIAL][side] = pn;
    f->seen[SPACE_INITIAL][side] = true;
    f->scid_len[side] = (uint8_t)scid_len;
    f->have_scid[side] = true;
    frames(f, side, false, plain, (size_t)got, r, out);
}

/* A long-header packet at pkt[0..n): its length into *used (a Retry or a
 * Version Negotiation: the rest of the datagram). Returns 0, or -1 when it
 * does not read. */
static int long_packet(struct quicview_flow *f, int side, uint8_t *pkt, size_t n, size_t *used,
                       struct statescan_result *r, struct statescan_ref *out)
{
    size_t at = 5;
    *used = n;
    if (n < 7 || be32_get(pkt + 1) != QUIC_V1)
        return be32_get(pkt + 1) == 0 && n >= 7 ? 0 : -1; /* Version Negotiation: nothing */
    size_t dcid_len = pkt[at++];
    if (dcid_len > QUICVIEW_CID_MAX || at + dcid_len >= n)
        return -1;
    const uint8_t *dcid = pkt + at;
    at += dcid_len;
    size_t scid_len = pkt[at++];
    if (scid_len > QUICVIEW_CID_MAX || at + scid_len > n)
        return -1;
    at += scid_len;
    int type = (pkt[0] >> 4) & 3;
    if (type == LONG_RETRY)
        return 0;
    uint64_t token = 0, len;
    if ((type == LONG_INITIAL && (varint(pkt, n, &at, &token) || skip(n, &at, token))) ||
        varint(pkt, n, &at, &len) || len > n - at)
        return -1;
    *used = at + (size_t)len;
    if (type == LONG_INITIAL)
        initial_packet(f, side, pkt, at, *used, dcid, dcid_len, scid_len, r, out);
    return 0;
}

struct statescan_result quicview_datagram(struct quicview_flow *f, struct dtlsview_keylog *k,
                                          bool from_client, const uint8_t *buf, size_t len,
                                          struct statescan_ref out[STATESCAN_MAX])
{
    struct statescan_result r = {.peer = -1};
    uint8_t pkt[QUICKEYS_PACKET_MAX];
    int side = from_client ? 0 : 1;
    size_t at = 0;
    while (at < len) {
        size_t n = len - at, used;
        if (n > sizeof pkt) {
            f->unread++;
            break;
        }
        memcpy(pkt, buf + at, n);
        /* a short header runs to the datagram's end; its fixed bit may be
         * 0 (RFC 9287: ngtcp2 greases it when the peer allows) */
        if (!(pkt[0] & 0x80)) {
            short_packet(f, k, side, pkt, n, &r, out);
            break;
        }
        if (long_packet(f, side, pkt, n, &used, &r, out) != 0) {
            r.malformed = 1;
            break;
        }
        at += used;
    }
    return r;
}

bool quicview_is_initial(const uint8_t *buf, size_t len)
{
    return len >= 1200 && (buf[0] & 0xf0) == 0xc0 && be32_get(buf + 1) == QUIC_V1;
}
