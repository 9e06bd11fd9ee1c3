/* target_quic.c: fuzzes what the QUIC edge and libricochet's QUIC
 * transport read themselves (see targets.h). The first byte picks:
 *   0  a stream's frames (quicmsg_read): the input, after a reader's bound,
 *      read in pieces whose sizes come from the input gives the same
 *      messages as read whole, each of 1..bound bytes and inside what was
 *      given, until the first framing error, which both reads meet;
 *   1  a datagram (quicmsg_datagram_open): a state channel, the message
 *      the rest of it;
 *   2  a stream's bytes out (quicmsg_out): frames of lengths from the
 *      input, handed over and acknowledged in pieces from the input, come
 *      out as they went in, every chunk freed once acknowledged;
 *   3  the edge's router (transport_quic_route) fed the rest as a datagram
 *      from a stranger whose address comes from the input: never answered
 *      with more bytes than it has, no connection kept. */
#include <netinet/in.h>
#include <unistd.h>

#include "proto/quicmsg.h"
#include "relay/quic/transport_quic.h"
#include "targets.h"

/* Reads stream[0..n) with max in pieces of the sizes `cuts` gives (a byte
 * each, 0 meaning 1; the whole rest once they run out): the messages'
 * lengths and a hash of their bytes in order, and the read's end (0: all
 * read, or its error). */
static int fuzz_quic_read(const uint8_t *stream, size_t n, size_t max, struct fuzz_input *cuts,
                          size_t *count, uint64_t *hash)
{
    struct quicmsg_reader r;
    quicmsg_reader_init(&r, max);
    int end = 0;
    *count = 0;
    *hash = 1469598103934665603ull;
    for (size_t at = 0; at < n && end == 0;) {
        size_t piece = cuts && cuts->left ? (size_t)fuzz_byte(cuts) + 1 : n - at;
        if (piece > n - at)
            piece = n - at;
        const uint8_t *p = stream + at;
        size_t left = piece;
        at += piece;
        while (left > 0) {
            const uint8_t *msg;
            size_t used, len;
            int rc = quicmsg_read(&r, p, left, &used, &msg, &len);
            FUZZ_CHECK(used <= left);
            if (rc < 0) {
                end = rc;
                break;
            }
            p += used;
            left -= used;
            if (rc == 1) {
                FUZZ_CHECK(len >= 1 && len <= r.max);
                (*count)++;
                *hash = (*hash ^ len) * 1099511628211ull;
                for (size_t k = 0; k < len; k++)
                    *hash = (*hash ^ msg[k]) * 1099511628211ull;
            }
            FUZZ_CHECK(rc == 1 || left == 0);
        }
    }
    quicmsg_reader_free(&r);
    return end;
}

static void fuzz_quic_frames(const uint8_t *p, size_t n)
{
    if (n < 2)
        return;
    size_t max = (size_t)p[0] << 8 | p[1];
    struct fuzz_input cuts = {p + 2, n - 2};
    size_t whole_n, cut_n;
    uint64_t whole_h, cut_h;
    int whole = fuzz_quic_read(p + 2, n - 2, max, NULL, &whole_n, &whole_h);
    int cut = fuzz_quic_read(p + 2, n - 2, max, &cuts, &cut_n, &cut_h);
    FUZZ_CHECK(whole == cut && whole_n == cut_n && whole_h == cut_h);
}

static void fuzz_quic_datagram(const uint8_t *p, size_t n)
{
    uint8_t channel;
    const uint8_t *msg;
    size_t len;
    int rc = quicmsg_datagram_open(p, n, &channel, &msg, &len);
    FUZZ_CHECK(rc == 0 || rc == QUICMSG_E_EMPTY || rc == QUICMSG_E_CHANNEL);
    if (rc == 0)
        FUZZ_CHECK(quicmsg_datagram_channel(channel) && msg == p + 1 && len == n - 1 &&
                   len >= 1);
}

static void fuzz_quic_out(const uint8_t *p, size_t n)
{
    struct fuzz_input in = {p, n};
    struct quicmsg_out o;
    quicmsg_out_init(&o);
    uint64_t in_hash = 1469598103934665603ull, out_hash = in_hash, total = 0, sent = 0;
    while (in.left > 2) {
        size_t len = ((size_t)fuzz_byte(&in) << 4 | fuzz_byte(&in)) % 3000 + 1;
        uint8_t *msg = fuzz_take(&in, len);
        FUZZ_CHECK(quicmsg_out_frame(&o, msg, len, 0) == 0);
        uint8_t head[2] = {(uint8_t)(len >> 8), (uint8_t)len};
        for (size_t k = 0; k < 2; k++)
            in_hash = (in_hash ^ head[k]) * 1099511628211ull;
        for (size_t k = 0; k < len; k++)
            in_hash = (in_hash ^ msg[k]) * 1099511628211ull;
        total += len + 2;
        free(msg);
        size_t piece = (size_t)fuzz_byte(&in) * 7 + 1, got;
        const uint8_t *at = quicmsg_out_next(&o, &got);
        if (at && got > piece)
            got = piece;
        for (size_t k = 0; at && k < got; k++)
            out_hash = (out_hash ^ at[k]) * 1099511628211ull;
        if (at)
            quicmsg_out_sent(&o, got);
        sent += at ? got : 0;
        quicmsg_out_acked(&o, (uint64_t)fuzz_byte(&in) * 11);
        FUZZ_CHECK(o.queued <= total && o.queued >= o.unsent && o.unsent == total - sent);
    }
    size_t got;
    const uint8_t *at;
    while ((at = quicmsg_out_next(&o, &got)) != NULL) {
        for (size_t k = 0; k < got; k++)
            out_hash = (out_hash ^ at[k]) * 1099511628211ull;
        quicmsg_out_sent(&o, got);
        sent += got;
    }
    FUZZ_CHECK(sent == total && in_hash == out_hash && o.unsent == 0);
    quicmsg_out_acked(&o, UINT64_MAX);
    FUZZ_CHECK(o.queued == 0 && o.head == NULL);
    quicmsg_out_free(&o);
}

/* An edge on 127.0.0.1 that sends nothing (its socket closed), made once. */
static struct relay_quic *fuzz_quic_edge(void)
{
    static struct relay_quic *t;
    if (t)
        return t;
    struct relay_net_config cfg = {.bind = "127.0.0.1", .peer_cap = 4, .max_packet_size = 2048,
                                   .timeout_ms = 1000, .handshake_ms = 1000};
    char err[160];
    t = relay_quic_ops.create(&cfg, err, sizeof err);
    FUZZ_CHECK(t != NULL);
    close(t->fd);
    t->fd = -1; /* what it would answer is weighed, never sent */
    return t;
}

static void fuzz_quic_route(const uint8_t *p, size_t n)
{
    if (n < 3)
        return;
    struct relay_quic *t = fuzz_quic_edge();
    union netaddr from = {.v4 = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)(1024 + p[0])),
                                 .sin_addr = {htonl(0x7f000000u | (uint32_t)p[1] << 8 | p[2])}}};
    uint64_t before = t->udp.sent_bytes;
    transport_quic_route(t, p + 3, n - 3, &from);
    FUZZ_CHECK(t->udp.sent_bytes - before <= (uint64_t)(n - 3));
    FUZZ_CHECK(t->slots.n_free == t->cfg.peer_cap && t->slots.half_open == 0); /* nothing kept */
    transport_quic_out_flush(t);
}

int fuzz_target_quic(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0:
        fuzz_quic_frames(p, n);
        break;
    case 1:
        fuzz_quic_datagram(p, n);
        break;
    case 2:
        fuzz_quic_out(p, n);
        break;
    default:
        fuzz_quic_route(p, n);
        break;
    }
    return 0;
}
