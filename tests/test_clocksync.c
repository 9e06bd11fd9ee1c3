/* test_clocksync.c: clock offset from ping/pong: the bound holds for any split
 * of the round trip, the tightest sample is kept and an old one replaced;
 * latency corrected across clocks, left alone on one clock, not usable while
 * either offset is unknown */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/clocksync.h"

#define HOUR_US 3600000000ll

/* A ping at my time `sent` with the relay's clock = mine + true_offset,
 * taking `up` µs to the relay and `down` back. */
static int sample(struct clock_sync *c, uint64_t sent, int64_t true_offset, uint64_t up,
                  uint64_t down)
{
    return clock_sync_sample(c, sent, (uint64_t)((int64_t)(sent + up) + true_offset),
                             sent + up + down);
}

static void bound_holds_for_any_split(void **state)
{
    (void)state;
    const int64_t offsets[] = {0, 5000, -5000, 3 * HOUR_US};
    for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
        for (uint64_t up = 0; up <= 200; up += 10) {
            struct clock_sync c = {0};
            uint64_t sent = (uint64_t)(4 * HOUR_US);
            assert_int_equal(sample(&c, sent, offsets[k], up, 200 - up), 1);
            assert_true(c.valid);
            assert_int_equal(c.bound_us, 100);
            int64_t err = c.offset_us - offsets[k];
            assert_true(err >= -100 && err <= 100);
            if (up == 100)
                assert_int_equal(err, 0); /* symmetric: exact */
        }
    }
}

static void tightest_sample_kept_old_one_replaced(void **state)
{
    (void)state;
    struct clock_sync c = {0};
    uint64_t t = 1000000;
    assert_int_equal(sample(&c, t, 777, 50, 50), 1);
    assert_int_equal(c.bound_us, 50);
    assert_int_equal(sample(&c, t + 1000, 777, 10, 290), 0); /* wider: ignored */
    assert_int_equal(c.offset_us, 777);
    assert_int_equal(sample(&c, t + 2000, 777, 5, 35), 1);    /* tighter: kept */
    assert_int_equal(c.bound_us, 20);
    assert_int_equal(c.offset_us, 777 - 15);
    /* past the maximum age, the next sample replaces it whatever its width */
    assert_int_equal(sample(&c, t + 2000 + CLOCK_SYNC_MAX_AGE_US + 1, 900, 100, 100), 1);
    assert_int_equal(c.offset_us, 900);
    assert_int_equal(c.bound_us, 100);
    /* impossible samples */
    assert_int_equal(clock_sync_sample(&c, 500, 7, 400), -1);
    assert_int_equal(clock_sync_sample(&c, 500, 0, 600), -1);
}

static void latency_corrected_across_clocks(void **state)
{
    (void)state;
    /* sender's clock is 3 h ahead of mine; the relay's is 1 h behind mine */
    struct clock_sync mine = {.valid = true, .offset_us = -HOUR_US, .bound_us = 10};
    struct clock_sync snd = {.valid = true, .offset_us = -4 * HOUR_US, .bound_us = 20};
    uint64_t t_mine = (uint64_t)(10 * HOUR_US), bound = 0;
    uint64_t send = t_mine + (uint64_t)(3 * HOUR_US);
    int64_t lat = 0;
    assert_true(clock_sync_latency(&mine, &snd, send, t_mine + 500, &lat, &bound));
    assert_int_equal(lat, 500);
    assert_int_equal(bound, 30);
    /* the estimates are off by their bounds: the error stays within them */
    snd.offset_us += 20;
    mine.offset_us -= 10;
    assert_true(clock_sync_latency(&mine, &snd, send, t_mine + 500, &lat, &bound));
    assert_true(lat >= 500 - 30 && lat <= 500 + 30);
}

static void same_clock_is_left_alone(void **state)
{
    (void)state;
    struct clock_sync mine = {.valid = true, .offset_us = 3, .bound_us = 10};
    struct clock_sync snd = {.valid = true, .offset_us = -2, .bound_us = 10};
    uint64_t bound = 0;
    int64_t lat = 0;
    assert_true(clock_sync_latency(&mine, &snd, 1000, 1700, &lat, &bound));
    assert_int_equal(lat, 700);
    assert_int_equal(bound, 25); /* |difference| + both bounds */
}

/* Either offset unknown: not a usable latency (false), whatever the clocks;
 * the uncorrected figure is handed back, without a bound. */
static void unknown_offset_is_no_latency(void **state)
{
    (void)state;
    struct clock_sync known = {.valid = true, .offset_us = -HOUR_US, .bound_us = 10};
    struct clock_sync unknown = {0};
    uint64_t bound = 99;
    int64_t lat = 0;
    assert_false(clock_sync_latency(&known, &unknown, 1000, 1700, &lat, &bound));
    assert_int_equal(lat, 700);
    assert_int_equal(bound, 0);
    bound = 99;
    assert_false(clock_sync_latency(&unknown, &known, 1000, 900, &lat, &bound));
    assert_int_equal(lat, -100);
    assert_int_equal(bound, 0);
    assert_false(clock_sync_latency(&unknown, &unknown, 1000, 1700, &lat, &bound));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bound_holds_for_any_split),
        cmocka_unit_test(tightest_sample_kept_old_one_replaced),
        cmocka_unit_test(latency_corrected_across_clocks),
        cmocka_unit_test(same_clock_is_left_alone),
        cmocka_unit_test(unknown_offset_is_no_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
