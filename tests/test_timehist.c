/* test_timehist.c: the fixed-bucket duration histogram. A duration goes
 * to the first bucket whose bound is at or above it (a bound is
 * inclusive), past the last bound to the overflow bucket; count and sum
 * add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stats/timehist.h"

static void durations_land_in_their_buckets(void **state)
{
    (void)state;
    struct timehist h = { 0 };
    timehist_record(&h, 0);
    timehist_record(&h, 10);      /* on the first bound: still the first bucket */
    timehist_record(&h, 11);      /* just over: the second */
    timehist_record(&h, 1000000); /* on the last bound */
    timehist_record(&h, 1000001); /* over every bound */
    assert_int_equal(h.counts[0], 2);
    assert_int_equal(h.counts[1], 1);
    assert_int_equal(h.counts[TIMEHIST_BOUNDS - 1], 1);
    assert_int_equal(h.counts[TIMEHIST_BOUNDS], 1);
    assert_int_equal(h.count, 5);
    assert_int_equal(h.sum_us, 2000022);
    for (unsigned i = 1; i < TIMEHIST_BOUNDS; i++)
        assert_true(timehist_bounds_us[i] > timehist_bounds_us[i - 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_land_in_their_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
