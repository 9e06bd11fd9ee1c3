/* test_interp.c: the snapshot interpolation buffer: ordering, out-of-order
 * inserts, duplicates, gaps, extrapolation limit, clock offset, jitter,
 * uint64 time wrap and uint32 sequence wrap, exact interpolation; and
 * ricochet.h's ricochet_interp_* over it, as a game calls them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "client/lib/interp.h"

#define MS 1000ull
#define PERIOD (50 * MS) /* 20 Hz */
#define LIMIT (250 * MS)
#define MAXGAP (1000 * MS)

/* A state from a sender moving +x at 20 units/s: x = seq (0.05 s apart). */
static struct ricochet_state st(uint32_t seq, uint64_t send_us)
{
    struct ricochet_state s = { 0 };
    s.seq = seq;
    s.send_us = send_us;
    s.x = (float)(seq % 1000);
    s.y = 10.0f;
    s.vx = 20.0f;
    s.vy = 0.0f;
    return s;
}

/* Pushes seq sent at send0 + k*PERIOD (k counted from seq0, wrap-safe) and
 * received delay later on a clock offset by skew. */
static int push(struct interp_buffer *b, uint32_t seq, uint32_t seq0, uint64_t send0,
                uint64_t skew, uint64_t delay)
{
    uint64_t send = send0 + (uint64_t)(uint32_t)(seq - seq0) * PERIOD;
    struct ricochet_state s = st(seq, send);
    return interp_push(b, &s, send + skew + delay);
}

static void assert_ordered(const struct interp_buffer *b)
{
    for (size_t i = 1; i < b->n; i++) {
        assert_true(proto_seq_after(b->s[i].seq, b->s[i - 1].seq));
        assert_true((int64_t)(b->s[i].send_us - b->s[i - 1].send_us) > 0);
    }
}

/* Samples b at t into *r: the kind (returned and in r->kind) and x (within
 * eps) must be as given. */
static void expect_sample(const struct interp_buffer *b, uint64_t t, struct interp_result *r,
                          enum interp_kind kind, double x, double eps)
{
    assert_int_equal(interp_sample_at(b, t, r), kind);
    assert_int_equal(r->kind, kind);
    assert_float_equal(r->x, x, eps);
}

static void empty(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    interp_init(&b, LIMIT, MAXGAP);
    assert_int_equal(interp_sample_at(&b, 12345, &r), INTERP_NONE);
    assert_int_equal(r.kind, INTERP_NONE);
    assert_false(b.have_raw);
}

static void in_order_and_exact(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint64_t t0 = 5000000, delay = 3 * MS;
    interp_init(&b, LIMIT, MAXGAP);
    for (uint32_t q = 0; q < 10; q++)
        assert_int_equal(push(&b, q, 0, t0, 0, delay), 1);
    assert_int_equal(b.n, 10);
    assert_ordered(&b);
    assert_int_equal(b.offset_us, delay);
    /* Exactly on sample 4: its position. */
    expect_sample(&b, t0 + delay + 4 * PERIOD, &r, INTERP_BETWEEN, 4.0f, 1e-6);
    /* A quarter of the way from 4 to 5. */
    expect_sample(&b, t0 + delay + 4 * PERIOD + PERIOD / 4, &r, INTERP_BETWEEN, 4.25f, 1e-5);
    assert_int_equal(r.seq_a, 4);
    assert_int_equal(r.seq_b, 5);
    assert_float_equal(r.y, 10.0f, 1e-6);
    /* Every point between 2 and 8 is on the line x = t / PERIOD. */
    for (uint64_t t = 2 * PERIOD; t <= 8 * PERIOD; t += 7 * MS) {
        interp_sample_at(&b, t0 + delay + t, &r);
        assert_float_equal(r.x, (double)t / (double)PERIOD, 1e-4);
    }
    /* Before the oldest sample: held at it. */
    expect_sample(&b, t0 + delay - 1, &r, INTERP_BEFORE, 0.0f, 1e-6);
}

static void out_of_order_insert(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint32_t order[] = { 0, 2, 1, 5, 3, 4, 7, 6 };
    interp_init(&b, LIMIT, MAXGAP);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        assert_int_equal(push(&b, order[i], 0, 1000000, 0, 10 * MS), 1);
    assert_int_equal(b.n, 8);
    assert_ordered(&b);
    for (uint32_t q = 0; q < 8; q++)
        assert_int_equal(b.s[q].seq, q);
    /* The last arrival is the raw one, even though it is not the newest. */
    assert_true(b.have_raw);
    assert_int_equal(b.raw.seq, 6);
    /* A late sample lands at its own time, not at its arrival time. */
    expect_sample(&b, 1000000 + 10 * MS + 3 * PERIOD + PERIOD / 2, &r, INTERP_BETWEEN, 3.5f,
                  1e-5);
}

static void duplicates_and_too_old(void **state)
{
    (void)state;
    struct interp_buffer b;
    interp_init(&b, LIMIT, MAXGAP);
    assert_int_equal(push(&b, 10, 10, 1000000, 0, 0), 1);
    assert_int_equal(push(&b, 10, 10, 1000000, 0, 0), 0);
    assert_int_equal(b.n, 1);
    for (uint32_t q = 11; q < 10 + INTERP_CAP + 5; q++)
        assert_int_equal(push(&b, q, 10, 1000000, 0, 0), 1);
    assert_int_equal(b.n, INTERP_CAP);
    assert_ordered(&b);
    /* Oldest kept is seq 15; seq 12 is older than everything: dropped. */
    assert_int_equal(b.s[0].seq, 15);
    assert_int_equal(push(&b, 12, 10, 1000000, 0, 0), 0);
    assert_int_equal(b.s[0].seq, 15);
    /* A hole inside the window is still fillable: make one, then fill it. */
    {
        struct interp_buffer g;
        interp_init(&g, LIMIT, MAXGAP);
        for (uint32_t q = 0; q < INTERP_CAP; q++)
            if (q != 3)
                push(&g, q, 0, 1000000, 0, 0);
        assert_int_equal(g.n, INTERP_CAP - 1);
        assert_int_equal(push(&g, 3, 0, 1000000, 0, 0), 1);
        assert_int_equal(g.n, INTERP_CAP);
        assert_ordered(&g);
    }
    assert_int_equal(b.dropped, 2);
    assert_int_equal(b.arrivals, 1 + 1 + (INTERP_CAP + 4) + 1);
}

static void gap_interpolates_across_loss(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint64_t t0 = 2000000;
    interp_init(&b, LIMIT, MAXGAP);
    /* 3, 4, 5 lost: 2 -> 6 is a 200 ms hole, under max_gap. */
    push(&b, 1, 0, t0, 0, 0);
    push(&b, 2, 0, t0, 0, 0);
    push(&b, 6, 0, t0, 0, 0);
    expect_sample(&b, t0 + 4 * PERIOD, &r, INTERP_BETWEEN, 4.0f, 1e-5);
    assert_int_equal(r.seq_a, 2);
    assert_int_equal(r.seq_b, 6);
}

static void wide_gap_is_not_glided(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint64_t t0 = 2000000;
    interp_init(&b, LIMIT, MAXGAP);
    /* 0 then 40: 2 s apart, wider than max_gap (1 s). */
    push(&b, 0, 0, t0, 0, 0);
    push(&b, 40, 0, t0, 0, 0);
    /* 100 ms after 0: extrapolated along velocity (20/s -> +2). */
    expect_sample(&b, t0 + 100 * MS, &r, INTERP_EXTRAPOLATED, 2.0f, 1e-5);
    /* 1 s after 0: frozen at the limit (250 ms -> +5). */
    expect_sample(&b, t0 + 1000 * MS, &r, INTERP_STALE, 5.0f, 1e-5);
}

static void extrapolation_limit(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint64_t t0 = 3000000;
    interp_init(&b, LIMIT, MAXGAP);
    push(&b, 0, 0, t0, 0, 0);
    push(&b, 1, 0, t0, 0, 0);
    /* 100 ms past the newest (x = 1, vx = 20): 1 + 2 = 3. */
    expect_sample(&b, t0 + PERIOD + 100 * MS, &r, INTERP_EXTRAPOLATED, 3.0f, 1e-5);
    /* Exactly at the limit: still extrapolated, 1 + 5. */
    expect_sample(&b, t0 + PERIOD + LIMIT, &r, INTERP_EXTRAPOLATED, 6.0f, 1e-5);
    /* Just past it: stale, frozen at the limit. */
    expect_sample(&b, t0 + PERIOD + LIMIT + 1, &r, INTERP_STALE, 6.0f, 1e-5);
    /* Far beyond: stale and frozen at the limit. */
    expect_sample(&b, t0 + PERIOD + 10 * LIMIT, &r, INTERP_STALE, 6.0f, 1e-5);
    /* Limit 0: never extrapolate, hold the newest. */
    interp_init(&b, 0, MAXGAP);
    push(&b, 7, 7, t0, 0, 0);
    expect_sample(&b, t0 + 30 * MS, &r, INTERP_STALE, 7.0f, 1e-6);
}

static void clock_offset_free(void **state)
{
    (void)state;
    struct interp_buffer b, c;
    struct interp_result rb, rc;
    const uint64_t skew = 123456789012ull; /* receiver's clock is far ahead */
    interp_init(&b, LIMIT, MAXGAP);
    interp_init(&c, LIMIT, MAXGAP);
    for (uint32_t q = 0; q < 6; q++) {
        push(&b, q, 0, 1000000, 0, 20 * MS);
        push(&c, q, 0, 1000000, skew, 20 * MS);
    }
    assert_int_equal(b.offset_us, 20 * MS);
    assert_int_equal(c.offset_us, skew + 20 * MS);
    /* Same positions at the same moment relative to each receiver's clock. */
    for (uint64_t t = 0; t < 8 * PERIOD; t += 13 * MS) {
        interp_sample_at(&b, 1000000 + 20 * MS + t, &rb);
        interp_sample_at(&c, 1000000 + skew + 20 * MS + t, &rc);
        assert_int_equal(rb.kind, rc.kind);
        assert_float_equal(rb.x, rc.x, 1e-6);
    }
}

static void jitter_is_smoothed(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint64_t t0 = 9000000;
    /* Network delay jumps between 5 and 45 ms; the timeline follows the
     * sender's regular clock, with the fastest trip as offset. */
    const uint64_t delays[] = { 45, 5, 30, 12, 40, 5, 25, 44, 8, 20 };
    interp_init(&b, LIMIT, MAXGAP);
    for (uint32_t q = 0; q < 10; q++)
        push(&b, q, 0, t0, 0, delays[q] * MS);
    assert_int_equal(b.offset_us, 5 * MS);
    for (uint64_t t = 0; t <= 9 * PERIOD; t += 5 * MS) {
        expect_sample(&b, t0 + 5 * MS + t, &r, INTERP_BETWEEN, (double)t / (double)PERIOD,
                      1e-4);
    }
}

static void time_wrap(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    /* Sender times cross 2^64 between samples 4 and 5; receive times too. */
    const uint64_t t0 = UINT64_MAX - 4 * PERIOD + 1 - 7;
    const uint64_t delay = 2 * MS;
    interp_init(&b, LIMIT, MAXGAP);
    for (uint32_t q = 0; q < 8; q++)
        assert_int_equal(push(&b, q, 0, t0, 0, delay), 1);
    assert_true(b.s[7].send_us < b.s[0].send_us); /* it really wrapped */
    assert_ordered(&b);
    for (uint64_t t = 0; t <= 7 * PERIOD; t += 9 * MS) {
        expect_sample(&b, t0 + delay + t, &r, INTERP_BETWEEN, (double)t / (double)PERIOD,
                      1e-4);
    }
    expect_sample(&b, t0 + delay + 7 * PERIOD + 50 * MS, &r, INTERP_EXTRAPOLATED, 8.0f, 1e-4);
    /* Render time behind the oldest, across the wrap: before. */
    assert_int_equal(interp_sample_at(&b, t0 + delay - 10 * MS, &r), INTERP_BEFORE);
}

static void seq_wrap(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    const uint32_t s0 = UINT32_MAX - 2; /* ..FD FE FF 0 1 2 */
    const uint32_t order[] = { s0, s0 + 1, s0 + 3, s0 + 2, s0 + 5, s0 + 4 };
    interp_init(&b, LIMIT, MAXGAP);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(push(&b, order[i], s0, 4000000, 0, 0), 1);
    assert_ordered(&b);
    for (uint32_t k = 0; k < 6; k++)
        assert_int_equal(b.s[k].seq, (uint32_t)(s0 + k));
    /* Halfway between seq FFFFFFFF and 0. */
    interp_sample_at(&b, 4000000 + 2 * PERIOD + PERIOD / 2, &r);
    assert_int_equal(r.seq_a, UINT32_MAX);
    assert_int_equal(r.seq_b, 0);
    /* x = seq % 1000: FFFFFFFF % 1000 = 295, 0 -> 0. */
    assert_float_equal(r.x, (295.0 + 0.0) / 2, 1e-3);
    assert_int_equal(push(&b, 0, s0, 4000000, 0, 0), 0); /* duplicate across wrap */
}

static void reset_on_time_jump(void **state)
{
    (void)state;
    struct interp_buffer b;
    struct interp_result r;
    struct ricochet_state s;
    interp_init(&b, LIMIT, MAXGAP);
    push(&b, 0, 0, 1000000, 0, 0);
    push(&b, 1, 0, 1000000, 0, 0);
    /* The sender's clock jumps 2 minutes: start over, do not glide. */
    s = st(2, 1000000 + 120000000ull);
    s.x = 50;
    assert_int_equal(interp_push(&b, &s, 1000000 + 120000000ull + 10 * MS), 1);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.resets, 1);
    assert_int_equal(b.offset_us, 10 * MS);
    interp_sample_at(&b, 1000000 + 120000000ull + 10 * MS, &r);
    assert_float_equal(r.x, 50.0f, 1e-6);
    interp_clear(&b);
    assert_int_equal(b.n, 0);
    assert_false(b.have_raw);
    assert_int_equal(interp_sample_at(&b, 0, &r), INTERP_NONE);
    assert_string_equal(interp_kind_name(INTERP_STALE), "stale");
}

/* ricochet_interp_*, as a game uses it: a player's states fed as they
 * come (late, out of order, one lost), drawn 100 ms in the past. */
static void the_library_interface(void **state)
{
    (void)state;
    struct ricochet_interp_point at;
    struct ricochet_state s, latest;
    assert_null(ricochet_interp_new(250, 0));       /* max gap 1..3600000 ms */
    assert_null(ricochet_interp_new(250, 3600001));
    struct ricochet_interp *ip = ricochet_interp_new(250, 1000);
    assert_non_null(ip);
    assert_int_equal(ricochet_interp_at(ip, 5 * MS, &at), RICOCHET_INTERP_NONE);
    assert_int_equal(at.kind, RICOCHET_INTERP_NONE);
    assert_int_equal(ricochet_interp_latest(ip, &latest), 0);
    /* seq 0..9 sent 50 ms apart, received 30 ms later (seq 5: 80 ms), seq 4
     * lost, seq 6 before 5 */
    uint32_t order[] = { 0, 1, 2, 3, 6, 5, 7, 8, 9 };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        s = st(order[i], 1000000 + order[i] * PERIOD);
        uint64_t late = order[i] == 5 ? 80 * MS : 30 * MS;
        assert_int_equal(ricochet_interp_push(ip, &s, s.send_us + late), 1);
    }
    assert_int_equal(ricochet_interp_push(ip, &s, s.send_us + 40 * MS), 0); /* again */
    assert_int_equal(ricochet_interp_latest(ip, &latest), 1);
    assert_int_equal(latest.seq, 9);
    /* halfway between 2 and 3; across the lost 4 (3 to 5); exactly on 6 */
    uint64_t local0 = 1000000 + 30 * MS;
    assert_int_equal(ricochet_interp_at(ip, local0 + 125 * MS, &at), RICOCHET_INTERP_BETWEEN);
    assert_float_equal(at.x, 2.5, 1e-4);
    assert_int_equal(at.seq_a, 2);
    assert_int_equal(at.seq_b, 3);
    assert_int_equal(ricochet_interp_at(ip, local0 + 210 * MS, &at), RICOCHET_INTERP_BETWEEN);
    assert_float_equal(at.x, 4.2, 1e-4);
    assert_int_equal(at.seq_a, 3);
    assert_int_equal(at.seq_b, 5);
    assert_int_equal(ricochet_interp_at(ip, local0 + 300 * MS, &at), RICOCHET_INTERP_BETWEEN);
    assert_float_equal(at.x, 6, 1e-4);
    /* before the oldest, past the newest along vx (20/s), then held at 250 ms */
    assert_int_equal(ricochet_interp_at(ip, local0 - MS, &at), RICOCHET_INTERP_BEFORE);
    assert_float_equal(at.x, 0, 1e-6);
    assert_int_equal(ricochet_interp_at(ip, local0 + 550 * MS, &at),
                     RICOCHET_INTERP_EXTRAPOLATED);
    assert_float_equal(at.x, 9 + 20 * 0.1, 1e-4);
    assert_int_equal(ricochet_interp_at(ip, local0 + 2000 * MS, &at), RICOCHET_INTERP_STALE);
    assert_float_equal(at.x, 9 + 20 * 0.25, 1e-4);
    assert_string_equal(ricochet_interp_kind_name(at.kind), "stale");
    assert_string_equal(ricochet_interp_kind_name((enum ricochet_interp_kind)99), "?");
    /* cleared: nothing to draw, the limits kept */
    ricochet_interp_clear(ip);
    assert_int_equal(ricochet_interp_at(ip, local0, &at), RICOCHET_INTERP_NONE);
    assert_int_equal(ricochet_interp_latest(ip, &latest), 0);
    s = st(1, 5000000);
    assert_int_equal(ricochet_interp_push(ip, &s, 5000000), 1);
    assert_int_equal(ricochet_interp_at(ip, 5000000 + 900 * MS, &at), RICOCHET_INTERP_STALE);
    /* NULL is an error, never a crash */
    assert_int_equal(ricochet_interp_push(NULL, &s, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_interp_push(ip, NULL, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_interp_at(NULL, 0, &at), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_interp_at(ip, 0, NULL), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_interp_latest(NULL, &latest), 0);
    ricochet_interp_clear(NULL);
    ricochet_interp_free(ip);
    ricochet_interp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),
        cmocka_unit_test(in_order_and_exact),
        cmocka_unit_test(out_of_order_insert),
        cmocka_unit_test(duplicates_and_too_old),
        cmocka_unit_test(gap_interpolates_across_loss),
        cmocka_unit_test(wide_gap_is_not_glided),
        cmocka_unit_test(extrapolation_limit),
        cmocka_unit_test(clock_offset_free),
        cmocka_unit_test(jitter_is_smoothed),
        cmocka_unit_test(time_wrap),
        cmocka_unit_test(seq_wrap),
        cmocka_unit_test(reset_on_time_jump),
        cmocka_unit_test(the_library_interface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
