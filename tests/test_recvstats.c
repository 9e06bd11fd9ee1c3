/* test_recvstats.c: loss, duplicates, reordering, wraparound at 2^32, RFC 3550
 * jitter against the closed form; states without a latency count as delivered,
 * outside latency and jitter */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "stats/histogram.h"
#include "stats/recvstats.h"

#define T0 1000000000ull /* an arbitrary clock origin, µs */
#define PERIOD 16667ull  /* 60 Hz */

/* Records seq as sent at T0 + seq*PERIOD and received delay_us later. */
static int rec(struct recv_stats *s, uint32_t seq, uint64_t delay_us,
               struct histogram *h)
{
    uint64_t send = T0 + (uint64_t)seq * PERIOD;
    return recv_stats_record(s, seq, send, send + delay_us, h);
}

static void fresh(void **state)
{
    (void)state;
    struct recv_stats s;
    recv_stats_reset(&s);
    assert_int_equal(recv_stats_expected(&s), 0);
    assert_int_equal(recv_stats_lost(&s), 0);
    assert_false(s.started);
}

static void in_order(void **state)
{
    (void)state;
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    recv_stats_reset(&s);
    for (uint32_t q = 10; q < 110; q++)
        assert_int_equal(rec(&s, q, 5000, h), 1);
    assert_int_equal(s.first_seq, 10);
    assert_int_equal(s.highest_seq, 109);
    assert_int_equal(s.received, 100);
    assert_int_equal(recv_stats_expected(&s), 100);
    assert_int_equal(recv_stats_lost(&s), 0);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(s.reordered, 0);
    assert_int_equal(h->total, 100);
    assert_int_equal(histogram_percentile(h, 50), 5000);
    assert_int_equal(s.latency_sum_us, 100 * 5000);
    assert_int_equal(s.latency_max_us, 5000);
    /* constant delay: no jitter at all */
    assert_true(s.jitter_us == 0.0);
    free(h);
}

static void gaps_counted(void **state)
{
    (void)state;
    struct recv_stats s;
    recv_stats_reset(&s);
    for (uint32_t q = 0; q < 1000; q++)
        if (q % 10 != 3) /* lose every tenth */
            rec(&s, q, 1000, NULL);
    rec(&s, 5000, 1000, NULL); /* a jump bigger than the window */
    assert_int_equal(recv_stats_expected(&s), 5001);
    assert_int_equal(s.received, 901);
    assert_int_equal(recv_stats_lost(&s), 5001 - 901);
    assert_int_equal(s.reordered, 0);
}

static void duplicates_counted(void **state)
{
    (void)state;
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    recv_stats_reset(&s);
    for (uint32_t q = 0; q < 100; q++) {
        assert_int_equal(rec(&s, q, 1000, h), 1);
        if (q % 4 == 0)
            assert_int_equal(rec(&s, q, 2000, h), 0); /* immediate copy */
    }
    /* a late copy of an old one, still inside the window */
    assert_int_equal(rec(&s, 50, 3000, h), 0);
    assert_int_equal(s.duplicates, 26);
    assert_int_equal(s.received, 100);
    assert_int_equal(recv_stats_lost(&s), 0);
    assert_int_equal(s.reordered, 0);
    assert_int_equal(h->total, 100); /* copies are not latency samples */
    /* a duplicate of the very first state */
    assert_int_equal(rec(&s, 0, 1000, h), 0);
    assert_int_equal(s.duplicates, 27);
    free(h);
}

static void reorder(void **state)
{
    (void)state;
    struct recv_stats s;
    recv_stats_reset(&s);
    static const uint32_t order[] = {0, 1, 3, 2, 4, 7, 5, 6, 8, 9};
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(rec(&s, order[i], 1000, NULL), 1);
    assert_int_equal(s.received, 10);
    assert_int_equal(s.reordered, 3); /* 2, 5, 6 came after a higher one */
    assert_int_equal(recv_stats_lost(&s), 0);
    assert_int_equal(s.highest_seq, 9);
    /* a gap that is filled late: lost until it arrives */
    rec(&s, 12, 1000, NULL);
    assert_int_equal(recv_stats_lost(&s), 2);
    rec(&s, 10, 1000, NULL);
    assert_int_equal(recv_stats_lost(&s), 1);
    assert_int_equal(s.reordered, 4);
    /* then a duplicate of the late one */
    assert_int_equal(rec(&s, 10, 1000, NULL), 0);
    assert_int_equal(s.duplicates, 1);
}

static void first_arrives_late(void **state)
{
    (void)state;
    /* the stream's first state overtook by its successor: first_seq moves back */
    struct recv_stats s;
    recv_stats_reset(&s);
    rec(&s, 101, 1000, NULL);
    rec(&s, 100, 1000, NULL);
    rec(&s, 102, 1000, NULL);
    assert_int_equal(s.first_seq, 100);
    assert_int_equal(recv_stats_expected(&s), 3);
    assert_int_equal(recv_stats_lost(&s), 0);
    assert_int_equal(s.reordered, 1);
}

static void sequence_wraparound(void **state)
{
    (void)state;
    struct recv_stats s;
    recv_stats_reset(&s);
    uint32_t start = UINT32_MAX - 99;
    uint32_t q = start;
    for (int i = 0; i < 200; i++, q++) {
        if (i == 150)
            continue; /* lost, after the wrap */
        if (i == 99) { /* UINT32_MAX and 0 swap places across the wrap */
            assert_int_equal(rec(&s, 0, 1000, NULL), 1);
            assert_int_equal(rec(&s, UINT32_MAX, 1000, NULL), 1);
            i++, q++;
            continue;
        }
        rec(&s, q, 1000, NULL);
    }
    assert_int_equal(s.first_seq, start);
    assert_int_equal(s.highest_seq, (uint32_t)(start + 199));
    assert_int_equal(s.highest_seq, 99);
    assert_int_equal(recv_stats_expected(&s), 200);
    assert_int_equal(s.received, 199);
    assert_int_equal(recv_stats_lost(&s), 1);
    assert_int_equal(s.reordered, 1);
    assert_int_equal(s.duplicates, 0);
    /* a duplicate from before the wrap is still recognised */
    assert_int_equal(rec(&s, UINT32_MAX, 1000, NULL), 0);
    assert_int_equal(s.duplicates, 1);
}

static void too_old(void **state)
{
    (void)state;
    struct recv_stats s;
    recv_stats_reset(&s);
    for (uint32_t q = 0; q < 2000; q++)
        if (q != 500)
            rec(&s, q, 1000, NULL);
    uint64_t lost = recv_stats_lost(&s);
    assert_int_equal(lost, 1);
    /* 500 is now 1499 behind: more than the window, cannot judge */
    assert_int_equal(rec(&s, 500, 1000, NULL), 0);
    assert_int_equal(s.out_of_window, 1);
    assert_int_equal(s.received, 1999);
    assert_int_equal(recv_stats_lost(&s), 1);
    assert_int_equal(s.duplicates, 0);
    /* just inside the window still counts as a duplicate */
    assert_int_equal(rec(&s, 1999 - (RECV_STATS_WINDOW - 1), 1000, NULL), 0);
    assert_int_equal(s.duplicates, 1);
    /* exactly the window behind is too old */
    assert_int_equal(rec(&s, 1999 - RECV_STATS_WINDOW, 1000, NULL), 0);
    assert_int_equal(s.out_of_window, 2);
    /* a big jump forward clears the window: old seqs within it are new */
    rec(&s, 1999 + 3000, 1000, NULL);
    assert_int_equal(rec(&s, 1999 + 3000 - 10, 1000, NULL), 1);
    assert_int_equal(s.reordered, 1);
}

static void jitter_alternating(void **state)
{
    (void)state;
    /* transit alternates 10 ms, 14 ms: |D| = 4000 µs every time, so J
     * converges to 4000 from below: J_n = 4000 * (1 - (15/16)^n) */
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    recv_stats_reset(&s);
    for (uint32_t q = 0; q < 400; q++)
        rec(&s, q, q % 2 ? 14000 : 10000, h);
    assert_true(fabs(s.jitter_us - 4000.0) < 1.0);
    recv_stats_reset(&s);
    for (uint32_t q = 0; q <= 16; q++)
        rec(&s, q, q % 2 ? 14000 : 10000, NULL);
    double want = 4000.0 * (1.0 - pow(15.0 / 16.0, 16));
    assert_true(fabs(s.jitter_us - want) < 1e-6);
    /* within the histogram's 3 digits */
    assert_in_range(histogram_percentile(h, 50), 10000, 10010);
    assert_int_equal(histogram_percentile(h, 100), 14000);
    free(h);
}

static void negative_latency(void **state)
{
    (void)state;
    /* receive before send (clock mismatch): latency 0, jitter still sane */
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    recv_stats_reset(&s);
    assert_int_equal(recv_stats_record(&s, 1, 5000, 4000, h), 1);
    assert_int_equal(recv_stats_record(&s, 2, 6000, 5000, h), 1);
    assert_int_equal(h->max, 0);
    assert_int_equal(s.latency_max_us, 0);
    assert_true(s.jitter_us == 0.0);
    free(h);
}

static void hostile_send_times(void **state)
{
    (void)state;
    /* send_us comes off the wire: extreme values must not overflow
     * (UBSan aborts this binary if they do) nor wrap the latency sum. */
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    const uint64_t now = 1000000;
    recv_stats_reset(&s);
    assert_int_equal(recv_stats_record(&s, 1, now + 0x7fffffffffffffffull, now, h), 1);
    assert_int_equal(recv_stats_record(&s, 2, 0, now, h), 1);
    assert_int_equal(recv_stats_record(&s, 3, 0xffffffffffffffffull, now, h), 1);
    assert_int_equal(recv_stats_record(&s, 4, 0x8000000000000000ull, now, h), 1);
    for (uint32_t seq = 5; seq < 100; seq++)
        recv_stats_record(&s, seq, now - 0x7fffffffffffffffull, now, h);
    assert_true(isfinite(s.jitter_us));
    assert_true(s.latency_max_us <= HISTOGRAM_MAX_VALUE);
    assert_true(s.latency_sum_us <= 100 * (uint64_t)HISTOGRAM_MAX_VALUE);
    assert_int_equal(s.received, 99);
    free(h);
}

/* States without a usable latency (clock offsets not known yet) count for
 * delivery like any other, and stay out of the latency, its mean and the
 * jitter: the first timed state has no predecessor for the jitter. */
static void untimed(void **state)
{
    (void)state;
    struct recv_stats s;
    struct histogram *h = calloc(1, sizeof *h);
    recv_stats_reset(&s);
    assert_int_equal(recv_stats_record_untimed(&s, 10), 1);
    assert_int_equal(recv_stats_record_untimed(&s, 12), 1);
    assert_int_equal(recv_stats_record_untimed(&s, 12), 0); /* duplicate */
    assert_true(recv_stats_latency_mean(&s) == 0.0);
    assert_int_equal(rec(&s, 11, 7000, h), 1);              /* reordered, timed */
    assert_int_equal(rec(&s, 13, 9000, h), 1);
    assert_int_equal(recv_stats_record_untimed(&s, 15), 1);
    assert_int_equal(s.received, 5);
    assert_int_equal(s.no_latency, 3);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.reordered, 1);
    assert_int_equal(recv_stats_lost(&s), 1); /* 14 */
    assert_int_equal(h->total, 2);
    assert_int_equal(s.latency_sum_us, 16000);
    assert_int_equal(s.latency_max_us, 9000);
    assert_true(recv_stats_latency_mean(&s) == 8000.0);
    assert_true(s.jitter_us == 2000.0 / 16.0);
    free(h);
}

static void jumps_cannot_wrap_expected(void **state)
{
    (void)state;
    /* A hostile sender jumping almost 2^31 ahead three times: a 32-bit
     * highest - first would wrap to 1 with 4 states received. */
    struct recv_stats s;
    recv_stats_reset(&s);
    recv_stats_record(&s, 0, 0, 0, NULL);
    recv_stats_record(&s, 0x7fffffffu, 0, 0, NULL);
    recv_stats_record(&s, 0xfffffffeu, 0, 0, NULL);
    recv_stats_record(&s, 0, 0, 0, NULL); /* ahead again, past the wrap */
    assert_int_equal(s.received, 4);
    assert_true(recv_stats_expected(&s) >= s.received);
    assert_true(recv_stats_expected(&s) == 2ull * 0x7fffffffu + 3); /* 0 .. 2^32 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh),
        cmocka_unit_test(in_order),
        cmocka_unit_test(gaps_counted),
        cmocka_unit_test(duplicates_counted),
        cmocka_unit_test(reorder),
        cmocka_unit_test(first_arrives_late),
        cmocka_unit_test(sequence_wraparound),
        cmocka_unit_test(too_old),
        cmocka_unit_test(jitter_alternating),
        cmocka_unit_test(negative_latency),
        cmocka_unit_test(hostile_send_times),
        cmocka_unit_test(jumps_cannot_wrap_expected),
        cmocka_unit_test(untimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
