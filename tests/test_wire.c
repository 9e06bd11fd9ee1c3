/* test_wire.c: state codec: round trip, the event message (its bytes, a body of
 * 0 to 1024 whole, each refusal; a kept event's flags and key, PROTOCOL.md's
 * example byte for byte, every bad key refused), the exact bytes of PROTOCOL.md's example,
 * every rejection (short, version, type, NaN, too long), sender stamping,
 * wrap-safe sequence comparison; the mode table's names and which modes lose
 * nothing; the `streams` row (a pseudo channel up, reliable's channel down to
 * an edge with channels) and a state's sender read without decoding it */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "proto/wire.h"

static struct proto_state sample(void)
{
    struct proto_state s = {
        .sender = 0xA1B2C3D4u, .seq = 0xFFFFFFFEu, .send_us = 0x0003040506070809ull, /* < PROTO_TIME_MAX */
        .x = 12.5f, .y = -3.25f, .vx = 1e-3f, .vy = 99.0f, .heading = 3.14159f,
    };
    return s;
}

/* Field by field: the struct has padding bytes memcmp would see. */
static void assert_state_equal(const struct proto_state *a, const struct proto_state *b)
{
    assert_int_equal(a->sender, b->sender);
    assert_int_equal(a->seq, b->seq);
    assert_true(a->send_us == b->send_us);
    assert_true(a->x == b->x && a->y == b->y);
    assert_true(a->vx == b->vx && a->vy == b->vy);
    assert_true(a->heading == b->heading);
}

static void round_trip(void **state)
{
    (void)state;
    struct proto_state in = sample(), out;
    uint8_t buf[PROTO_STATE_SIZE];

    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_STATE_SIZE);
    assert_int_equal(proto_state_decode(buf, sizeof buf, &out), PROTO_OK);
    assert_state_equal(&in, &out);
}

/* The layout is the contract with other implementations: pin it. */
static void byte_layout_is_big_endian(void **state)
{
    (void)state;
    struct proto_state in = sample();
    uint8_t buf[PROTO_STATE_SIZE];
    const uint8_t head[20] = { 1, 1, 0, 0, 0xA1, 0xB2, 0xC3, 0xD4, 0xFF, 0xFF, 0xFF, 0xFE,
                               0, 3, 4, 5, 6, 7, 8, 9 };
    const uint8_t x_12_5[4] = { 0x41, 0x48, 0x00, 0x00 }; /* 12.5f */

    proto_state_encode(buf, sizeof buf, &in);
    assert_memory_equal(buf, head, sizeof head);
    assert_memory_equal(buf + 20, x_12_5, 4);
}

/* The worked example in proto/PROTOCOL.md, byte for byte. */
static void protocol_md_example(void **state)
{
    (void)state;
    struct proto_state in = { .seq = 1, .send_us = 5000000, .x = 12.5f, .y = 50,
                              .vy = -1.5f };
    const uint8_t expect[PROTO_STATE_SIZE] = {
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x4b, 0x40,
        0x41, 0x48, 0x00, 0x00, 0x42, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xbf, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t buf[PROTO_STATE_SIZE];
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_STATE_SIZE);
    assert_memory_equal(buf, expect, sizeof expect);
}

static void encode_needs_space_and_finite_values(void **state)
{
    (void)state;
    struct proto_state in = sample();
    uint8_t buf[PROTO_STATE_SIZE];

    assert_int_equal(proto_state_encode(buf, PROTO_STATE_SIZE - 1, &in), PROTO_E_SPACE);
    in.vy = NAN;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
    in.vy = INFINITY;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
    in.vy = -PROTO_VALUE_MAX;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_STATE_SIZE);
    in.vy = -1.5e6f;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
}

static void decode_rejections(void **state)
{
    (void)state;
    struct proto_state in = sample(), out, untouched;
    uint8_t buf[PROTO_STATE_MAX + 1] = { 0 };

    proto_state_encode(buf, sizeof buf, &in);
    memset(&out, 0x5a, sizeof out);
    untouched = out;

    assert_int_equal(proto_state_decode(buf, 0, &out), PROTO_E_SHORT);
    assert_int_equal(proto_state_decode(buf, 1, &out), PROTO_E_SHORT);
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE - 1, &out), PROTO_E_SHORT);
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_MAX + 1, &out), PROTO_E_LONG);

    /* A time the JSON roster could not echo. */
    in.send_us = PROTO_TIME_MAX + 1;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
    buf[12] = 0xff; /* send_us >= 2^56, far past PROTO_TIME_MAX */
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_VALUE);
    in.send_us = PROTO_TIME_MAX;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &in), PROTO_STATE_SIZE);

    buf[0] = 2;
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_VERSION);
    buf[0] = '{'; /* a JSON datagram on the udp transport is not a state */
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_VERSION);
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = 7;
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_TYPE);
    buf[1] = PROTO_MSG_STATE;

    /* A NaN x (exponent all ones, mantissa non-zero). */
    buf[20] = 0x7f; buf[21] = 0xc0; buf[22] = 0; buf[23] = 0;
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_VALUE);
    /* 1e30 is finite but far off any arena: a receiver could overflow on it. */
    buf[20] = 0x71; buf[21] = 0x49; buf[22] = 0xf2; buf[23] = 0xca;
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_SIZE, &out), PROTO_E_VALUE);
    assert_state_equal(&out, &untouched);
}

static void padding_is_accepted_up_to_max(void **state)
{
    (void)state;
    struct proto_state in = sample(), out;
    uint8_t buf[PROTO_STATE_MAX];

    memset(buf, 0xEE, sizeof buf);
    proto_state_encode(buf, sizeof buf, &in);
    assert_int_equal(proto_state_decode(buf, PROTO_STATE_MAX, &out), PROTO_OK);
    assert_int_equal(out.seq, in.seq);
}

static void stamp_overwrites_only_sender(void **state)
{
    (void)state;
    struct proto_state in = sample(), out;
    uint8_t buf[PROTO_STATE_SIZE];

    proto_state_encode(buf, sizeof buf, &in);
    proto_state_stamp_sender(buf, 42);
    assert_int_equal(proto_state_decode(buf, sizeof buf, &out), PROTO_OK);
    assert_int_equal(out.sender, 42);
    out.sender = in.sender;
    assert_state_equal(&in, &out);
}

static void sequence_comparison_wraps(void **state)
{
    (void)state;
    assert_true(proto_seq_after(1, 0));
    assert_false(proto_seq_after(0, 1));
    assert_false(proto_seq_after(5, 5));
    assert_true(proto_seq_after(0, 0xFFFFFFFFu));
    assert_true(proto_seq_after(10, 0xFFFFFFF0u));
    assert_false(proto_seq_after(0xFFFFFFF0u, 10));
}

static void mode_names_round_trip(void **state)
{
    (void)state;
    enum proto_mode m;
    for (int i = 0; i < PROTO_MODE_COUNT; i++) {
        assert_int_equal(proto_mode_parse(proto_mode_name((enum proto_mode)i), &m), 0);
        assert_int_equal(m, i);
    }
    assert_int_equal(proto_mode_parse("carrier-pigeon", &m), -1);
    /* what everything arrives in: a reliable channel, a stream */
    assert_true(proto_mode_lossless(PROTO_MODE_RELIABLE) && proto_mode_lossless(PROTO_MODE_TCP));
    assert_false(proto_mode_lossless(PROTO_MODE_SEQUENCED) || proto_mode_lossless(PROTO_MODE_UDP));
    assert_true(proto_mode_info(PROTO_MODE_TCP)->stream);
    assert_false(proto_mode_info(PROTO_MODE_UDP)->stream || proto_mode_info(PROTO_MODE_TCP)->enet);
    assert_string_equal(proto_mode_name(PROTO_MODE_COUNT), "?");
    assert_string_equal(proto_strerror(PROTO_E_SHORT), "too short");
}

/* streams (QUIC): reliable, ordered per sender, on a pseudo channel of its
 * own up and on its sender's stream down (whatever the flags), reliable's
 * channel and flags to a member of an edge with channels; reliable's way
 * down stays reliable's. */
static void streams_mode_row(void **state)
{
    (void)state;
    const struct proto_mode_info *mi = proto_mode_info(PROTO_MODE_STREAMS);
    enum proto_mode m;
    assert_string_equal(mi->name, "streams");
    assert_true(proto_mode_lossless(PROTO_MODE_STREAMS));
    assert_int_equal(mi->order, PROTO_ORDER_PER_SENDER);
    assert_int_equal(mi->filter, PROTO_FILTER_NONE);
    assert_false(mi->enet || mi->stream || mi->in_mixed);
    assert_true(proto_channel_bare(PROTO_CHANNEL_SENDER_STREAM));
    assert_int_equal(proto_mode_from_up(PROTO_CHANNEL_SENDER_STREAM, PROTO_FLAG_RELIABLE, &m), 0);
    assert_int_equal(m, PROTO_MODE_STREAMS);
    assert_int_equal(proto_mode_from_up(PROTO_CHANNEL_SENDER_STREAM, 0, &m), 0);
    assert_int_equal(m, PROTO_MODE_STREAMS);
    assert_int_equal(proto_mode_from_down(PROTO_CHANNEL_SENDER_STREAM, 0, &m), 0);
    assert_int_equal(m, PROTO_MODE_STREAMS);
    assert_int_equal(mi->down_channel, PROTO_CHANNEL_RELIABLE);
    assert_int_equal(mi->down_flags, PROTO_FLAG_RELIABLE);
    assert_int_equal(proto_mode_from_down(PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, &m), 0);
    assert_int_equal(m, PROTO_MODE_RELIABLE);
    assert_int_equal(proto_mode_from_up(PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, &m), 0);
    assert_int_equal(m, PROTO_MODE_RELIABLE);
    /* a state's stamp read without decoding it */
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 0, .seq = 1};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    proto_state_stamp_sender(buf, 0xdeadbeefu);
    assert_int_equal(proto_state_sender(buf, sizeof buf), 0xdeadbeefu);
    assert_int_equal(proto_state_sender(buf, 7), 0);
}

/* States in, the same states out, in order; 28 of 40 bytes fill a batch's
 * 1200 bytes, the 29th does not fit and changes nothing. */
static void batch_round_trip(void **state)
{
    (void)state;
    uint8_t buf[2 * PROTO_BATCH_MAX], st[PROTO_STATE_SIZE];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(buf);
    struct proto_state s = sample();
    int n = 0;
    for (;; n++) {
        s.seq = (uint32_t)n;
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        size_t before = used;
        if (proto_batch_add(buf, sizeof buf, &used, st, sizeof st) != PROTO_OK) {
            assert_int_equal(used, before);
            break;
        }
    }
    assert_int_equal(n, (PROTO_BATCH_MAX - PROTO_BATCH_HEADER) / (2 + PROTO_STATE_SIZE));
    assert_int_equal(n, 28);
    assert_true(used <= PROTO_BATCH_MAX);
    assert_true(proto_is_batch(buf, used));
    assert_int_equal(proto_batch_check(buf, used), n);
    /* a batch is no state: an old receiver refuses it by its type */
    assert_int_equal(proto_state_decode(buf, used, &s), PROTO_E_TYPE);
    size_t at = PROTO_BATCH_HEADER, len;
    const uint8_t *entry;
    for (int i = 0; i < n; i++) {
        assert_int_equal(proto_batch_next(buf, used, &at, &entry, &len), 1);
        assert_int_equal(len, PROTO_STATE_SIZE);
        assert_int_equal(proto_state_decode(entry, len, &s), PROTO_OK);
        assert_int_equal(s.seq, (uint32_t)i);
    }
    assert_int_equal(proto_batch_next(buf, used, &at, &entry, &len), 0);
    assert_int_equal(proto_batch_add(buf, sizeof buf, &used, st, 0), PROTO_E_VALUE);
}

/* Framing that does not add up is refused whole, never read past. */
static void batch_framing_refused(void **state)
{
    (void)state;
    uint8_t buf[PROTO_BATCH_MAX + 1] = {0}, st[PROTO_STATE_SIZE] = {1, 1};
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(buf);
    assert_int_equal(proto_batch_check(buf, used), PROTO_E_SHORT); /* no entry */
    assert_int_equal(proto_batch_add(buf, sizeof buf, &used, st, sizeof st), PROTO_OK);
    assert_int_equal(proto_batch_check(buf, used), 1);
    assert_int_equal(proto_batch_check(buf, used - 1), PROTO_E_SHORT); /* entry cut */
    assert_int_equal(proto_batch_check(buf, used + 1), PROTO_E_SHORT); /* a stray byte */
    buf[used] = 0;
    buf[used + 1] = 0;
    assert_int_equal(proto_batch_check(buf, used + 2), PROTO_E_VALUE); /* empty entry */
    assert_int_equal(proto_batch_check(buf, sizeof buf), PROTO_E_LONG);
    buf[1] = PROTO_MSG_STATE;
    assert_false(proto_is_batch(buf, used));
    assert_int_equal(proto_batch_check(buf, used), PROTO_E_SHORT);
}

/* The event (PROTOCOL.md, "Event message"): its header's bytes, a body of
 * 0..1024 bytes kept whole, every refusal; the sender stamped in place. */
static void event_round_trip_and_refusals(void **state)
{
    (void)state;
    uint8_t buf[PROTO_EVENT_MAX + 8], body[PROTO_EVENT_BODY_MAX + 1];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 7 + 3);
    int n = proto_event_encode(buf, sizeof buf, 0x01020304u, body, 5);
    assert_int_equal(n, PROTO_EVENT_HEAD + 5);
    const uint8_t head[] = {1, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    assert_memory_equal(buf, head, sizeof head);
    assert_true(proto_is_event(buf, (size_t)n));
    assert_false(proto_is_batch(buf, (size_t)n));
    proto_state_stamp_sender(buf, 42);
    struct proto_event e;
    assert_int_equal(proto_event_decode(buf, (size_t)n, &e), PROTO_OK);
    assert_int_equal(e.sender, 42);
    assert_int_equal(e.to, 0x01020304u);
    assert_int_equal(e.len, 5);
    assert_memory_equal(e.body, body, 5);
    /* an empty body, and the largest */
    assert_int_equal(proto_event_encode(buf, sizeof buf, PROTO_EVENT_ROOM, NULL, 0),
                     PROTO_EVENT_HEAD);
    assert_int_equal(proto_event_decode(buf, PROTO_EVENT_HEAD, &e), PROTO_OK);
    assert_int_equal(e.len, 0);
    n = proto_event_encode(buf, sizeof buf, 7, body, PROTO_EVENT_BODY_MAX);
    assert_int_equal(n, PROTO_EVENT_MAX);
    assert_int_equal(proto_event_decode(buf, (size_t)n, &e), PROTO_OK);
    assert_memory_equal(e.body, body, PROTO_EVENT_BODY_MAX);
    /* refused: too long, no room, no body, cut short, another type */
    assert_int_equal(proto_event_encode(buf, sizeof buf, 7, body, PROTO_EVENT_BODY_MAX + 1),
                     PROTO_E_LONG);
    assert_int_equal(proto_event_encode(buf, PROTO_EVENT_HEAD + 4, 7, body, 5), PROTO_E_SPACE);
    assert_int_equal(proto_event_encode(buf, sizeof buf, 7, NULL, 5), PROTO_E_VALUE);
    assert_int_equal(proto_event_decode(buf, PROTO_EVENT_MAX + 1, &e), PROTO_E_LONG);
    assert_int_equal(proto_event_decode(buf, PROTO_EVENT_HEAD - 1, &e), PROTO_E_SHORT);
    assert_int_equal(proto_event_decode(buf, 1, &e), PROTO_E_SHORT);
    buf[1] = PROTO_MSG_STATE;
    assert_int_equal(proto_event_decode(buf, PROTO_EVENT_HEAD, &e), PROTO_E_TYPE);
    assert_false(proto_is_event(buf, PROTO_EVENT_HEAD));
    buf[0] = 2;
    assert_int_equal(proto_event_decode(buf, PROTO_EVENT_HEAD, &e), PROTO_E_VERSION);
    /* an event is no state: a state decoder refuses it by type */
    struct proto_state st;
    n = proto_event_encode(buf, sizeof buf, 0, body, 40);
    assert_int_equal(proto_state_decode(buf, (size_t)n, &st), PROTO_E_TYPE);
}

/* A kept event: flags and key length in bytes 2 and 3, the key before the
 * body (PROTOCOL.md's example byte for byte); every bad key refused both
 * ways, and key and body together within the body's bound. */
static void kept_event_round_trip_and_refusals(void **state)
{
    (void)state;
    uint8_t buf[PROTO_EVENT_MAX + 8], body[PROTO_EVENT_BODY_MAX] = {7, 2};
    int n = proto_event_encode_kept(buf, sizeof buf, "score", true, body, 2);
    assert_int_equal(buf[2], PROTO_EVENT_KEEP | PROTO_EVENT_STAY);
    n = proto_event_encode_kept(buf, sizeof buf, "score", false, body, 2);
    const uint8_t want[] = {1, 3, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 's', 'c', 'o', 'r', 'e', 7, 2};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    proto_state_stamp_sender(buf, 3);
    buf[2] |= PROTO_EVENT_KEPT; /* as a joiner gets it replayed */
    const uint8_t doc[] = {1, 3, 5, 5, 0, 0, 0, 3, 0, 0, 0, 0, 0x73, 0x63, 0x6f, 0x72, 0x65,
                           7, 2};
    assert_memory_equal(buf, doc, sizeof doc);
    struct proto_event e;
    assert_int_equal(proto_event_decode(buf, (size_t)n, &e), PROTO_OK);
    assert_int_equal(e.flags, PROTO_EVENT_KEEP | PROTO_EVENT_KEPT);
    assert_int_equal(e.key_len, 5);
    assert_memory_equal(e.key, "score", 5);
    assert_int_equal(e.len, 2);
    assert_memory_equal(e.body, body, 2);
    /* a clear: the key and no body */
    n = proto_event_encode_kept(buf, sizeof buf, "k", false, NULL, 0);
    assert_int_equal(n, PROTO_EVENT_HEAD + 1);
    assert_int_equal(proto_event_decode(buf, (size_t)n, &e), PROTO_OK);
    assert_int_equal(e.flags, PROTO_EVENT_KEEP);
    assert_int_equal(e.len, 0);
    /* the bound is the key's and the body's together */
    assert_int_equal(proto_event_encode_kept(buf, sizeof buf, "k", false, body,
                                             PROTO_EVENT_BODY_MAX - 1), PROTO_EVENT_MAX);
    assert_int_equal(proto_event_encode_kept(buf, sizeof buf, "k", false, body,
                                             PROTO_EVENT_BODY_MAX), PROTO_E_LONG);
    const char *bad[] = {"", "a b", "tab\t", "\x7f", "0123456789abcdef0123456789abcdefX", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(proto_event_key_valid(bad[i]));
        assert_int_equal(proto_event_encode_kept(buf, sizeof buf, bad[i], false, body, 1),
                         PROTO_E_VALUE);
    }
    assert_true(proto_event_key_valid("0123456789abcdef0123456789abcdef"));
    /* decoded: a key without keep, stay without keep, keep without a key,
     * a key past the message or with a space */
    const uint8_t refused[][4] = {{1, 3, 0, 1}, {1, 3, 2, 0}, {1, 3, 1, 0}, {1, 3, 1, 9},
                                  {1, 3, 1, 33}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        memset(buf, 'k', sizeof buf);
        memcpy(buf, refused[i], 4);
        assert_int_equal(proto_event_decode(buf, PROTO_EVENT_HEAD + 8, &e), PROTO_E_VALUE);
    }
    n = proto_event_encode_kept(buf, sizeof buf, "ab", false, body, 1);
    buf[PROTO_EVENT_HEAD + 1] = ' ';
    assert_int_equal(proto_event_decode(buf, (size_t)n, &e), PROTO_E_VALUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(byte_layout_is_big_endian),
        cmocka_unit_test(protocol_md_example),
        cmocka_unit_test(encode_needs_space_and_finite_values),
        cmocka_unit_test(decode_rejections),
        cmocka_unit_test(padding_is_accepted_up_to_max),
        cmocka_unit_test(stamp_overwrites_only_sender),
        cmocka_unit_test(sequence_comparison_wraps),
        cmocka_unit_test(mode_names_round_trip),
        cmocka_unit_test(streams_mode_row),
        cmocka_unit_test(batch_round_trip),
        cmocka_unit_test(batch_framing_refused),
        cmocka_unit_test(event_round_trip_and_refusals),
        cmocka_unit_test(kept_event_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
