/* test_promtext.c: the Prometheus text writer. HELP and TYPE per family,
 * escapes in help text and label values, integers exact, histograms as
 * cumulative buckets in plain-decimal seconds with +Inf, _sum and _count,
 * and a buffer that grows past its first allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sys/promtext.h"

static void families_samples_and_escapes(void **state)
{
    (void)state;
    struct promtext t = { 0 };
    promtext_family(&t, "ricochet_drops_total", "counter", "Dropped \\ datagrams\nby reason.");
    promtext_sample_u64(&t, "ricochet_drops_total", "reason", "bad\"state\\\n",
                        18446744073709551615ull);
    promtext_sample(&t, "ricochet_ready", NULL, NULL, 1);
    promtext_sample(&t, "x", NULL, NULL, 0.25);
    size_t len;
    char *text = promtext_take(&t, &len);
    assert_non_null(text);
    assert_string_equal(text,
                        "# HELP ricochet_drops_total Dropped \\\\ datagrams\\nby reason.\n"
                        "# TYPE ricochet_drops_total counter\n"
                        "ricochet_drops_total{reason=\"bad\\\"state\\\\\\n\"} "
                        "18446744073709551615\n"
                        "ricochet_ready 1\n"
                        "x 0.25\n");
    assert_int_equal(len, strlen(text));
    assert_null(t.buf); /* taken: empty again */
    free(text);
}

static void histogram_buckets_are_cumulative_seconds(void **state)
{
    (void)state;
    static const uint64_t bounds[] = { 10, 250, 1500, 1000000 };
    static const uint64_t counts[] = { 1, 2, 0, 3, 4 }; /* the last: above 1 s */
    struct promtext t = { 0 };
    promtext_histogram_us(&t, "loop_seconds", NULL, bounds, counts, 4, 2500010, 10);
    size_t len;
    char *text = promtext_take(&t, &len);
    assert_string_equal(text,
                        "loop_seconds_bucket{le=\"0.00001\"} 1\n"
                        "loop_seconds_bucket{le=\"0.00025\"} 3\n"
                        "loop_seconds_bucket{le=\"0.0015\"} 3\n"
                        "loop_seconds_bucket{le=\"1\"} 6\n"
                        "loop_seconds_bucket{le=\"+Inf\"} 10\n"
                        "loop_seconds_sum 2.50001\n"
                        "loop_seconds_count 10\n");
    free(text);
    /* With labels: before le, and on _sum and _count. */
    promtext_histogram_us(&t, "delay_seconds", "direction=\"up\"", bounds, counts, 1, 7, 10);
    text = promtext_take(&t, &len);
    assert_string_equal(text,
                        "delay_seconds_bucket{direction=\"up\",le=\"0.00001\"} 1\n"
                        "delay_seconds_bucket{direction=\"up\",le=\"+Inf\"} 10\n"
                        "delay_seconds_sum{direction=\"up\"} 0.000007\n"
                        "delay_seconds_count{direction=\"up\"} 10\n");
    free(text);
}

static void grows_past_its_first_allocation(void **state)
{
    (void)state;
    struct promtext t = { 0 };
    for (int i = 0; i < 5000; i++)
        promtext_sample_u64(&t, "ricochet_n", NULL, NULL, (uint64_t)i);
    size_t len;
    char *text = promtext_take(&t, &len);
    assert_non_null(text);
    assert_true(len > 50000);
    assert_int_equal(len, strlen(text));
    assert_non_null(strstr(text, "ricochet_n 4999\n"));
    free(text);
    /* Nothing written: an empty text, not NULL. */
    text = promtext_take(&t, &len);
    assert_non_null(text);
    assert_int_equal(len, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_samples_and_escapes),
        cmocka_unit_test(histogram_buckets_are_cumulative_seconds),
        cmocka_unit_test(grows_past_its_first_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
