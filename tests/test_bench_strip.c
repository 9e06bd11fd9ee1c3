/* test_bench_strip.c: a run's strip (bench/bench_strip.c): the states the
 * strip's receiver expected, sent in any order by several senders, each
 * matched with its first arrival by sender and sequence number, in that
 * order, an arrival's latency kept and a state that never came marked lost
 * (-1); a run whose receiver got nothing in its window (a relay stopped
 * throughout) marks every state lost, and one with nothing sent has an
 * empty strip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bench/run_internal.h"

/* A run with only what the strip reads: its result and its window. */
struct strip_run {
    struct run run;
    struct bench_result r;
};

static struct strip_run *strip_run_new(void)
{
    struct strip_run *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->run.r = &s->r;
    s->run.win_start = 1000000;
    return s;
}

static void strip_run_free(struct strip_run *s)
{
    free(s->r.strip.marks);
    free(s);
}

static void matched_by_sender_and_seq(void **state)
{
    (void)state;
    struct strip_run *s = strip_run_new();
    run_strip_sent(&s->run, 2, 7, 1100000);
    run_strip_sent(&s->run, 1, 8, 1200000);
    run_strip_sent(&s->run, 1, 7, 1100000);
    run_strip_got(&s->run, 1, 7, 3000);
    run_strip_got(&s->run, 2, 7, -5); /* a clock a little off: no latency below 0 */
    run_strip_finish(&s->run);
    assert_null(s->run.strip);
    assert_int_equal(s->r.strip.n, 3);
    const struct bench_mark *m = s->r.strip.marks;
    assert_int_equal(m[0].sender, 1);
    assert_int_equal(m[0].seq, 7);
    assert_true(m[0].latency_ms == 3.0);
    assert_true(m[0].t_s > 0.0999 && m[0].t_s < 0.1001);
    assert_int_equal(m[1].sender, 1);
    assert_int_equal(m[1].seq, 8);
    assert_true(m[1].latency_ms == -1); /* never came */
    assert_int_equal(m[2].sender, 2);
    assert_true(m[2].latency_ms == 0);
    strip_run_free(s);
}

/* Nothing arrived in the window: every state lost, no arrivals to sort. */
static void nothing_arrived(void **state)
{
    (void)state;
    struct strip_run *s = strip_run_new();
    for (uint32_t seq = 1; seq <= 4; seq++)
        run_strip_sent(&s->run, 1, seq, 1000000 + seq * 50000);
    run_strip_finish(&s->run);
    assert_int_equal(s->r.strip.n, 4);
    for (size_t i = 0; i < s->r.strip.n; i++)
        assert_true(s->r.strip.marks[i].latency_ms == -1);
    strip_run_free(s);
}

/* Nothing sent: an empty strip. */
static void nothing_sent(void **state)
{
    (void)state;
    struct strip_run *s = strip_run_new();
    run_strip_got(&s->run, 1, 3, 2000);
    run_strip_finish(&s->run);
    assert_int_equal(s->r.strip.n, 0);
    strip_run_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matched_by_sender_and_seq),
        cmocka_unit_test(nothing_arrived),
        cmocka_unit_test(nothing_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
