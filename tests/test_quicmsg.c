/* test_quicmsg.c: ricochet's messages inside QUIC (proto/quicmsg.c,
 * PROTOCOL.md "QUIC"): frames read from a stream cut at every byte, in
 * pieces of every size and several at once, each message whole once; a
 * frame of length 0 and one over the reader's bound refused, and refused
 * again if read past; a datagram's
 * channel byte, both state channels and no other; a stream's bytes out:
 * framed, handed out in chunks that never move until acknowledged, sent
 * and acknowledged in any cut, the bound on what is queued, a FIN's
 * place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/mode.h"
#include "proto/quicmsg.h"

/* n frames of lengths 1, 2, ..., each message's bytes its index and
 * offset, into buf. Returns the stream's length. */
static size_t frames(uint8_t *buf, int n)
{
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t len = (size_t)i + 1;
        buf[at++] = (uint8_t)(len >> 8);
        buf[at++] = (uint8_t)len;
        for (size_t k = 0; k < len; k++)
            buf[at++] = (uint8_t)(i * 7 + k);
    }
    return at;
}

/* Reads stream[0..len) in pieces of `piece` bytes; checks every message
 * against frames()'s and returns how many came. */
static int read_in_pieces(const uint8_t *stream, size_t len, size_t piece, size_t max)
{
    struct quicmsg_reader r;
    quicmsg_reader_init(&r, max);
    int got = 0;
    for (size_t at = 0; at < len;) {
        size_t n = len - at < piece ? len - at : piece;
        const uint8_t *data = stream + at;
        at += n;
        while (n > 0) {
            const uint8_t *msg;
            size_t used, mlen;
            int rc = quicmsg_read(&r, data, n, &used, &msg, &mlen);
            assert_true(rc >= 0);
            assert_true(used <= n);
            data += used;
            n -= used;
            if (rc == 1) {
                assert_int_equal(mlen, (size_t)got + 1);
                for (size_t k = 0; k < mlen; k++)
                    assert_int_equal(msg[k], (uint8_t)(got * 7 + k));
                got++;
            }
        }
    }
    assert_false(quicmsg_reader_partial(&r));
    quicmsg_reader_free(&r);
    return got;
}

static void frames_cut_anywhere(void **state)
{
    (void)state;
    uint8_t stream[8192];
    size_t len = frames(stream, 60);
    for (size_t piece = 1; piece <= len; piece = piece < 64 ? piece + 1 : piece * 2)
        assert_int_equal(read_in_pieces(stream, len, piece, 100), 60);
    assert_int_equal(read_in_pieces(stream, len, len, 100), 60);
}

static void frames_refused(void **state)
{
    (void)state;
    struct quicmsg_reader r;
    const uint8_t *msg;
    size_t used, n;
    const uint8_t empty[] = {0, 0, 'x'};
    quicmsg_reader_init(&r, 100);
    assert_int_equal(quicmsg_read(&r, empty, sizeof empty, &used, &msg, &n), QUICMSG_E_EMPTY);
    quicmsg_reader_free(&r);
    const uint8_t longer[] = {0, 101, 1, 2, 3};
    quicmsg_reader_init(&r, 100);
    assert_int_equal(quicmsg_read(&r, longer, sizeof longer, &used, &msg, &n), QUICMSG_E_LONG);
    quicmsg_reader_free(&r);
    /* the length field cut in two still refuses it, once whole */
    quicmsg_reader_init(&r, 100);
    assert_int_equal(quicmsg_read(&r, longer, 1, &used, &msg, &n), 0);
    assert_int_equal(used, 1);
    assert_true(quicmsg_reader_partial(&r));
    assert_int_equal(quicmsg_read(&r, longer + 1, 1, &used, &msg, &n), QUICMSG_E_LONG);
    /* and read again, past it (a caller that keeps reading): the same
     * refusal, nothing taken; once 1,000 more bytes than the bound were
     * copied into its 100-byte buffer */
    static uint8_t more[1200];
    assert_int_equal(quicmsg_read(&r, more, sizeof more, &used, &msg, &n), QUICMSG_E_LONG);
    assert_int_equal(used, 0);
    assert_int_equal(quicmsg_read(&r, more, sizeof more, &used, &msg, &n), QUICMSG_E_LONG);
    quicmsg_reader_free(&r);
    quicmsg_reader_init(&r, 100);
    assert_int_equal(quicmsg_read(&r, empty, sizeof empty, &used, &msg, &n), QUICMSG_E_EMPTY);
    assert_int_equal(quicmsg_read(&r, more, sizeof more, &used, &msg, &n), QUICMSG_E_EMPTY);
    assert_int_equal(used, 0);
    quicmsg_reader_free(&r);
    /* a reader's bound is clamped to what a frame can say */
    quicmsg_reader_init(&r, 1u << 20);
    assert_int_equal(r.max, QUICMSG_FRAME_MAX);
    quicmsg_reader_free(&r);
}

static void datagrams(void **state)
{
    (void)state;
    uint8_t d[3] = {PROTO_CHANNEL_STATE, 'a', 'b'}, ch;
    const uint8_t *msg;
    size_t n;
    assert_int_equal(quicmsg_datagram_open(d, sizeof d, &ch, &msg, &n), 0);
    assert_int_equal(ch, PROTO_CHANNEL_STATE);
    assert_int_equal(n, 2);
    assert_ptr_equal(msg, d + 1);
    d[0] = PROTO_CHANNEL_RELIABLE;
    assert_int_equal(quicmsg_datagram_open(d, sizeof d, &ch, &msg, &n), 0);
    assert_int_equal(ch, PROTO_CHANNEL_RELIABLE);
    for (int c = 0; c < 256; c++) {
        d[0] = (uint8_t)c;
        bool ok = c == PROTO_CHANNEL_STATE || c == PROTO_CHANNEL_RELIABLE;
        assert_int_equal(quicmsg_datagram_open(d, sizeof d, &ch, &msg, &n),
                         ok ? 0 : QUICMSG_E_CHANNEL);
        assert_int_equal(quicmsg_datagram_channel((uint8_t)c), ok);
    }
    assert_int_equal(quicmsg_datagram_open(d, 1, &ch, &msg, &n), QUICMSG_E_EMPTY);
    assert_int_equal(quicmsg_datagram_open(d, 0, &ch, &msg, &n), QUICMSG_E_EMPTY);
    assert_true(QUICMSG_DATAGRAM_FRAME_MAX >= QUICMSG_DATAGRAM_MAX + 3);
}

/* Everything handed out by quicmsg_out_next, cut in pieces of `piece`,
 * into out; acknowledging `ack_lag` pieces behind. Returns the bytes. */
static size_t drain(struct quicmsg_out *o, uint8_t *out, size_t piece, int ack_lag)
{
    size_t total = 0;
    size_t acks[4096];
    int n_acks = 0;
    for (;;) {
        size_t n;
        const uint8_t *p = quicmsg_out_next(o, &n);
        if (!p)
            break;
        if (n > piece)
            n = piece;
        memcpy(out + total, p, n);
        total += n;
        quicmsg_out_sent(o, n);
        acks[n_acks++] = n;
        if (n_acks > ack_lag) {
            quicmsg_out_acked(o, acks[0]);
            memmove(acks, acks + 1, (size_t)--n_acks * sizeof *acks);
        }
    }
    for (int i = 0; i < n_acks; i++)
        quicmsg_out_acked(o, acks[i]);
    return total;
}

static void stream_out(void **state)
{
    (void)state;
    uint8_t want[20000], got[20000];
    for (size_t piece = 1; piece <= 5000; piece = piece * 3 + 1) {
        for (int lag = 0; lag < 3; lag++) {
            struct quicmsg_out o;
            quicmsg_out_init(&o);
            size_t len = 0;
            for (int i = 0; i < 50; i++) { /* frames of 1..300 bytes, several chunks */
                uint8_t msg[300];
                size_t n = (size_t)(i * 37 % 300) + 1;
                for (size_t k = 0; k < n; k++)
                    msg[k] = (uint8_t)(i + k);
                assert_int_equal(quicmsg_out_frame(&o, msg, n, 0), 0);
                want[len++] = (uint8_t)(n >> 8);
                want[len++] = (uint8_t)n;
                memcpy(want + len, msg, n);
                len += n;
            }
            assert_int_equal(o.queued, len);
            assert_int_equal(o.unsent, len);
            assert_int_equal(o.offset, len);
            assert_int_equal(drain(&o, got, piece, lag), len);
            assert_memory_equal(got, want, len);
            assert_int_equal(o.queued, 0);
            assert_int_equal(o.unsent, 0);
            assert_null(o.head); /* acknowledged whole: every chunk freed */
            quicmsg_out_free(&o);
        }
    }
}

static void stream_out_bytes_stay(void **state)
{
    (void)state;
    struct quicmsg_out o;
    quicmsg_out_init(&o);
    uint8_t msg[100];
    memset(msg, 'a', sizeof msg);
    assert_int_equal(quicmsg_out_frame(&o, msg, sizeof msg, 0), 0);
    size_t n;
    const uint8_t *first = quicmsg_out_next(&o, &n);
    assert_int_equal(n, 102);
    quicmsg_out_sent(&o, n);
    /* more frames than a chunk holds: the first bytes, sent and not
     * acknowledged, stay where they were (QUIC may send them again) */
    for (int i = 0; i < 100; i++)
        assert_int_equal(quicmsg_out_frame(&o, msg, sizeof msg, 0), 0);
    assert_int_equal(first[0], 0);
    assert_int_equal(first[1], 100);
    assert_int_equal(first[2], 'a');
    assert_ptr_equal(o.head->data, first);
    /* more acknowledged than sent is clamped */
    quicmsg_out_acked(&o, 1u << 30);
    assert_int_equal(o.queued, o.unsent);
    quicmsg_out_free(&o);
}

static void stream_out_bounds(void **state)
{
    (void)state;
    struct quicmsg_out o;
    quicmsg_out_init(&o);
    uint8_t msg[QUICMSG_FRAME_MAX + 1] = {0};
    assert_int_equal(quicmsg_out_frame(&o, msg, 0, 0), -1);
    assert_int_equal(quicmsg_out_frame(&o, msg, QUICMSG_FRAME_MAX + 1, 0), -1);
    assert_int_equal(quicmsg_out_frame(&o, msg, 98, 200), 0);
    assert_int_equal(quicmsg_out_frame(&o, msg, 98, 200), 0);
    assert_int_equal(quicmsg_out_frame(&o, msg, 1, 200), -1); /* 203 > 200: nothing queued */
    assert_int_equal(o.queued, 200);
    assert_int_equal(quicmsg_out_frame(&o, msg, QUICMSG_FRAME_MAX, 0), 0);
    assert_int_equal(o.queued, 200 + 2 + QUICMSG_FRAME_MAX);
    quicmsg_out_free(&o);
    assert_int_equal(o.queued, 0);
    assert_null(o.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_cut_anywhere),
        cmocka_unit_test(frames_refused),
        cmocka_unit_test(datagrams),
        cmocka_unit_test(stream_out),
        cmocka_unit_test(stream_out_bytes_stay),
        cmocka_unit_test(stream_out_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
