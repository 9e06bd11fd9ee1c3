/* test_quic_webtransport.c: WebTransport's HTTP/3 (ALPN h3) at the
 * relay's quic edge (in process on 127.0.0.1) from connections made by
 * hand, each counted and bounded while two members play on: a CONNECT for
 * another path or :protocol and one without WebTransport in the client's
 * SETTINGS refused (404, 501, 400); SETTINGS contradictory, a QPACK
 * encoder stream asking for a dynamic table, a header block referring to
 * one and a HEADERS frame past its bound each close their connection with
 * HTTP/3's code; a datagram for another session dropped; a session
 * answered 200 that never joins closed at the join timeout, one of the
 * connections that have not joined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "relay/core/relay.h"
#include "sys/clock.h"
#include "tests/support/h3_block.h"
#include "tests/support/quic_edge.h"

#define H3_BARES 8

/* A new stream of b's (bidirectional or not) with its first bytes. */
static int64_t h3_stream(struct bare *b, bool bidi, const uint8_t *p, size_t len)
{
    int64_t sid;
    assert_int_equal(bidi ? ngtcp2_conn_open_bidi_stream(b->q.conn, &sid, NULL)
                          : ngtcp2_conn_open_uni_stream(b->q.conn, &sid, NULL), 0);
    stream_send(b->c, &b->q, sid, p, len, false);
    return sid;
}

/* The client's control stream: its type, then SETTINGS of payload. */
static void h3_settings(struct bare *b, const uint8_t *payload, size_t len)
{
    uint8_t s[64] = {H3_STREAM_CONTROL, H3_FRAME_SETTINGS, (uint8_t)len};
    memcpy(s + 3, payload, len);
    h3_stream(b, false, s, 3 + len);
}

/* A CONNECT on the client's first bidirectional stream: its HEADERS frame
 * of fields (NULL-ended). */
static void h3_request(struct bare *b, const char *const *fields)
{
    uint8_t block[512], f[600];
    size_t n = h3_block(block, sizeof block, fields), at = 0;
    at += h3_varint_put(f, H3_FRAME_HEADERS);
    at += h3_varint_put(f + at, n);
    memcpy(f + at, block, n);
    h3_stream(b, true, f, at + n);
}

static bool all_h3_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == H3_BARES + 2; /* and the two members */
}

static bool all_h3_closed(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b;
    for (int i = 0; i < H3_BARES; i++)
        if (rv[i] == 0)
            return false;
    return e->t->slots.half_open == 0;
}

/* How b's connection was closed: an application's code (HTTP/3's). */
static uint64_t closed_with(const struct bare *b)
{
    ngtcp2_connection_close_error ce;
    ngtcp2_conn_get_connection_close_error(b->q.conn, &ce);
    assert_int_equal(ce.type, NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
    return ce.error_code;
}

/* States the recorded clients received, in any mode. */
static uint64_t arrived(const struct harness_rec *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        for (int m = 0; m < PROTO_MODE_COUNT; m++)
            n += r->arrived[i][m];
    return n;
}

#define WT_CONNECT(path, protocol) \
    ":method", "CONNECT", ":scheme", "https", ":authority", "127.0.0.1", ":path", path, \
        ":protocol", protocol

static void webtransport_bad_input(void **state)
{
    (void)state;
    env_open(&E, H3_BARES);
    struct harness_rec r = {.n = 2};
    r.c[0] = member(&E, "honest1", PROTO_MODE_UNSEQUENCED);
    r.c[1] = member(&E, "honest2", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, &r);
    static struct bare b[H3_BARES];
    int rv[H3_BARES] = {0};
    for (int i = 0; i < H3_BARES; i++)
        bare_open_alpn(&E, &b[i], "h3", H3_ALPN);
    assert_true(bare_pump(&E, b, H3_BARES, rv, 3000, all_h3_open));
    /* Chromium's SETTINGS; one without WebTransport; one given twice */
    static const uint8_t wt[] = {0x33, 0x01, 0xab, 0x60, 0x37, 0x42, 0x01};
    static const uint8_t no_wt[] = {0x33, 0x01};
    static const uint8_t twice[] = {0x33, 0x01, 0x33, 0x01};
    const char *const other_path[] = {WT_CONNECT("/other", "webtransport"), NULL};
    const char *const other_protocol[] = {WT_CONNECT("/wt", "websocket"), NULL};
    const char *const good[] = {WT_CONNECT("/wt", "webtransport"), NULL};
    for (int i = 0; i < H3_BARES; i++)
        h3_settings(&b[i], i == 2 ? no_wt : i == 3 ? twice : wt, i == 2 ? sizeof no_wt
                                                                 : i == 3 ? sizeof twice
                                                                          : sizeof wt);
    h3_request(&b[0], other_path);
    h3_request(&b[1], other_protocol);
    h3_request(&b[2], good);
    static const uint8_t capacity[] = {H3_STREAM_QPACK_ENCODER, 0x3f, 0xe1, 0x1f}; /* 4096 */
    h3_stream(&b[4], false, capacity, sizeof capacity);
    static const uint8_t dynamic[] = {H3_FRAME_HEADERS, 3, 0x02, 0x00, 0x80};
    h3_stream(&b[5], true, dynamic, sizeof dynamic);
    static const uint8_t long_headers[] = {H3_FRAME_HEADERS, 0x50, 0x01}; /* 4097 bytes */
    h3_stream(&b[6], true, long_headers, sizeof long_headers);
    h3_request(&b[7], good);
    pump_for(&E, NULL, 100);
    uint8_t dgram[] = {0x01, 0x01, 'x'}; /* quarter stream ID 1: no session of b[7]'s */
    uint8_t pkt[1452];
    int accepted = 0;
    ngtcp2_vec v = {.base = dgram, .len = sizeof dgram};
    ngtcp2_ssize n = ngtcp2_conn_writev_datagram(b[7].q.conn, NULL, NULL, pkt, sizeof pkt,
                                                 &accepted, 0, 1, &v, 1, clock_now_us() * 1000u);
    assert_true(n > 0 && accepted);
    assert_int_equal(send(b[7].q.fd, pkt, (size_t)n, 0), n);
    assert_true(bare_pump(&E, b, H3_BARES, rv, JOIN_MS + 3000, all_h3_closed));
    print_message("h3: %llu sessions, %llu refused, %llu settings, %llu QPACK, %llu unknown, "
                  "%llu other errors, %llu half-open\n",
                  (unsigned long long)own(&E, QUIC_COUNT_WT_SESSIONS),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_REFUSED),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_SETTINGS),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_QPACK),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_UNKNOWN),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_H3_ERRORS),
                  (unsigned long long)own(&E, QUIC_COUNT_HALF_OPEN));
    assert_int_equal(own(&E, QUIC_COUNT_WT_SESSIONS), 1);  /* b[7]: then never joined */
    assert_int_equal(own(&E, QUIC_COUNT_WT_REFUSED), 3);   /* 404, 501, 400 */
    assert_int_equal(own(&E, QUIC_COUNT_WT_SETTINGS), 2);  /* no WebTransport, twice */
    assert_int_equal(own(&E, QUIC_COUNT_WT_QPACK), 3);
    assert_int_equal(own(&E, QUIC_COUNT_WT_UNKNOWN), 1);
    assert_int_equal(closed_with(&b[3]), H3_SETTINGS_ERROR);
    assert_int_equal(closed_with(&b[4]), H3_QPACK_ENCODER_STREAM_ERROR);
    assert_int_equal(closed_with(&b[5]), H3_QPACK_DECOMPRESSION_FAILED);
    assert_int_equal(closed_with(&b[6]), H3_EXCESSIVE_LOAD);
    for (int i = 0; i < 3; i++) /* refused, then never joined: the join timeout */
        assert_int_equal(closed_with(&b[i]), PROTO_ERROR_NOT_JOINED);
    assert_int_equal(closed_with(&b[7]), PROTO_ERROR_NOT_JOINED);
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), H3_BARES);
    assert_int_equal(relay_clients(E.r), 2);
    /* the honest members play on: each gets the other's states */
    struct ricochet_state st = {.x = 1, .y = 2};
    uint64_t before = arrived(&r);
    for (int k = 0; k < 20; k++) {
        assert_int_equal(ricochet_send_state(r.c[0], &st), RICOCHET_OK);
        assert_int_equal(ricochet_send_state(r.c[1], &st), RICOCHET_OK);
        pump_for(&E, &r, 10);
    }
    pump_for(&E, &r, 200);
    assert_true(arrived(&r) >= before + 38);
    for (int i = 0; i < H3_BARES; i++)
        bare_close(&b[i]);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(webtransport_bad_input),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
