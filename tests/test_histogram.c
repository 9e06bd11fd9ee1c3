/* test_histogram.c: percentiles within a thousandth of exact ones computed by
 * sorting; empty, max, clamping, merge, iteration */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "stats/histogram.h"
#include "stats/rng.h"

static struct histogram *new_hist(void)
{
    struct histogram *h = calloc(1, sizeof *h);
    assert_non_null(h);
    histogram_reset(h);
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the values <= it. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    if (p >= 100)
        return sorted[n - 1];
    double r = p / 100.0 * (double)n;
    size_t rank = (size_t)ceil(r - 1e-9 * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* Every reported percentile is >= the exact one and within 1/1024 above
 * it (3 significant digits), for several value distributions. */
static void check_accuracy(uint64_t *vals, size_t n)
{
    struct histogram *h = new_hist();
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        histogram_record(h, vals[i]);
        sum += (double)vals[i];
    }
    qsort(vals, n, sizeof *vals, cmp_u64);
    assert_int_equal(h->total, n);
    assert_int_equal(h->min, vals[0]);
    assert_int_equal(h->max, vals[n - 1]);
    assert_true(fabs(histogram_mean(h) - sum / (double)n) < 1e-6 * (sum / (double)n + 1));
    static const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        uint64_t exact = exact_percentile(vals, n, ps[k]);
        uint64_t got = histogram_percentile(h, ps[k]);
        if (got < exact || (double)(got - exact) > (double)exact / 1024.0) {
            print_error("p%g: exact %llu, histogram %llu\n", ps[k],
                        (unsigned long long)exact, (unsigned long long)got);
            fail();
        }
    }
    free(h);
}

static void accuracy_uniform(void **state)
{
    (void)state;
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof *v);
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < n; i++)
        v[i] = rng_below(&r, 1000000); /* 0..1 s in µs */
    check_accuracy(v, n);
    free(v);
}

static void accuracy_lognormal(void **state)
{
    (void)state;
    /* latency-like: a body around 20 ms and a long tail to minutes */
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof *v);
    struct rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)exp(log(20000.0) + 1.5 * rng_normal(&r));
    check_accuracy(v, n);
    free(v);
}

static void accuracy_small_and_wide(void **state)
{
    (void)state;
    /* values below 2048 are exact; others spread over 30 bits */
    size_t n = 50000;
    uint64_t *v = malloc(n * sizeof *v);
    struct rng r;
    rng_seed(&r, 99);
    for (size_t i = 0; i < n; i++) {
        unsigned bits = rng_below(&r, 31);
        v[i] = rng_u64(&r) & (((uint64_t)1 << bits) - 1);
    }
    check_accuracy(v, n);
    /* exactness below the first bucket's end */
    struct histogram *h = new_hist();
    for (uint64_t x = 0; x < 2048; x++)
        histogram_record(h, x);
    for (int p = 1; p <= 100; p++) {
        uint64_t want = (uint64_t)ceil(p / 100.0 * 2048) - 1;
        assert_int_equal(histogram_percentile(h, p), want);
    }
    free(h);
    free(v);
}

static void empty_histogram(void **state)
{
    (void)state;
    struct histogram *h = new_hist();
    assert_int_equal(histogram_percentile(h, 50), 0);
    assert_int_equal(histogram_percentile(h, 100), 0);
    assert_true(histogram_mean(h) == 0.0);
    uint32_t cur = 0;
    uint64_t v, c;
    assert_int_equal(histogram_next_bucket(h, &cur, &v, &c), 0);
    free(h);
}

static void one_value(void **state)
{
    (void)state;
    struct histogram *h = new_hist();
    histogram_record(h, 123456);
    /* the bucket's highest equivalent value is clipped to the true max */
    assert_int_equal(histogram_percentile(h, 0), 123456);
    assert_int_equal(histogram_percentile(h, 50), 123456);
    assert_int_equal(histogram_percentile(h, 99.9), 123456);
    assert_int_equal(histogram_percentile(h, 100), 123456);
    assert_true(histogram_mean(h) == 123456.0);
    assert_int_equal(h->min, 123456);
    histogram_reset(h);
    histogram_record(h, 0);
    assert_int_equal(h->total, 1);
    assert_int_equal(histogram_percentile(h, 100), 0);
    free(h);
}

static void max_and_clamp(void **state)
{
    (void)state;
    struct histogram *h = new_hist();
    histogram_record(h, HISTOGRAM_MAX_VALUE);
    assert_int_equal(h->clamped, 0);
    assert_int_equal(histogram_percentile(h, 100), HISTOGRAM_MAX_VALUE);
    histogram_record(h, HISTOGRAM_MAX_VALUE + 1);
    histogram_record(h, UINT64_MAX);
    assert_int_equal(h->clamped, 2);
    assert_int_equal(h->total, 3);
    assert_int_equal(h->max, HISTOGRAM_MAX_VALUE);
    assert_int_equal(histogram_percentile(h, 50), HISTOGRAM_MAX_VALUE);
    histogram_record_n(h, 5, 3);
    assert_int_equal(h->total, 6);
    assert_int_equal(histogram_percentile(h, 50), 5);
    assert_int_equal(histogram_percentile(h, 51), HISTOGRAM_MAX_VALUE);
    free(h);
}

static void merge(void **state)
{
    (void)state;
    struct histogram *a = new_hist(), *b = new_hist(), *all = new_hist();
    struct rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < 10000; i++) {
        uint64_t x = rng_below(&r, 5000000);
        histogram_record(i % 3 ? a : b, x);
        histogram_record(all, x);
    }
    histogram_record(b, HISTOGRAM_MAX_VALUE + 10);
    histogram_record(all, HISTOGRAM_MAX_VALUE + 10);
    struct histogram *empty = new_hist();
    histogram_merge(a, empty); /* no-op */
    histogram_merge(empty, a); /* into an empty one: min taken from src */
    assert_int_equal(empty->min, a->min);
    histogram_merge(a, b);
    assert_int_equal(a->total, all->total);
    assert_int_equal(a->clamped, 1);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_true(fabs(a->sum - all->sum) < 1.0);
    for (double p = 0; p <= 100; p += 0.5)
        assert_int_equal(histogram_percentile(a, p), histogram_percentile(all, p));
    free(a);
    free(b);
    free(all);
    free(empty);
}

static void iteration(void **state)
{
    (void)state;
    struct histogram *h = new_hist();
    histogram_record_n(h, 3, 2);
    histogram_record(h, 100000);
    histogram_record(h, 100001); /* same bucket as 100000 (width 64) */
    histogram_record(h, 5000);
    uint32_t cur = 0;
    uint64_t v, c, prev = 0, total = 0;
    int n = 0;
    while (histogram_next_bucket(h, &cur, &v, &c)) {
        assert_true(n == 0 || v > prev);
        prev = v;
        total += c;
        n++;
        if (n == 1) {
            assert_int_equal(v, 3);
            assert_int_equal(c, 2);
        }
        if (n == 2) {
            assert_true(v >= 5000 && v <= 5000 + 5);
            assert_int_equal(c, 1);
        }
        if (n == 3) {
            assert_int_equal(v, 100001); /* clipped to max */
            assert_int_equal(c, 2);
        }
    }
    assert_int_equal(n, 3);
    assert_int_equal(total, h->total);
    /* done stays done */
    assert_int_equal(histogram_next_bucket(h, &cur, &v, &c), 0);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accuracy_uniform),
        cmocka_unit_test(accuracy_lognormal),
        cmocka_unit_test(accuracy_small_and_wide),
        cmocka_unit_test(empty_histogram),
        cmocka_unit_test(one_value),
        cmocka_unit_test(max_and_clamp),
        cmocka_unit_test(merge),
        cmocka_unit_test(iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
