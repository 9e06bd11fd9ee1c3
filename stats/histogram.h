/* histogram.h: log-linear latency histogram with 3 significant digits
 * (HdrHistogram's layout, written small: Debian has no HdrHistogram_c).
 *
 * Values are unsigned microseconds (or any unit) from 0 up to
 * HISTOGRAM_MAX_VALUE; larger values are clamped to it and counted in
 * `clamped`. A percentile is reported as the highest value equivalent to its
 * bucket, so it is within 0.1% of the exact value. Fixed size, no
 * allocation: callers embed or calloc it (about 100 KiB). */
#ifndef RICOCHET_HISTOGRAM_H
#define RICOCHET_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB_BUCKETS 2048 /* 2 * 10^3 rounded up to a power of two */
#define HISTOGRAM_BUCKETS 26       /* powers of two above the first bucket */
#define HISTOGRAM_MAX_VALUE (((uint64_t)1 << 36) - 1) /* ~19 hours in µs */

struct histogram {
    uint64_t total;   /* values recorded */
    uint64_t clamped; /* values above HISTOGRAM_MAX_VALUE */
    uint64_t min, max;
    double sum;       /* for the mean */
    uint32_t counts[(HISTOGRAM_BUCKETS + 1) * (HISTOGRAM_SUB_BUCKETS / 2)];
};

void histogram_reset(struct histogram *h);
void histogram_record(struct histogram *h, uint64_t value);
void histogram_record_n(struct histogram *h, uint64_t value, uint64_t n);

/* Adds src's counts into dst. */
void histogram_merge(struct histogram *dst, const struct histogram *src);

/* Value at percentile p in [0, 100]; 0 if the histogram is empty.
 * histogram_percentile(h, 100) == h->max. */
uint64_t histogram_percentile(const struct histogram *h, double p);
double histogram_mean(const struct histogram *h);

/* Iterates the non-empty buckets in value order, for CDF plots: start with
 * *cursor = 0; returns 1 and sets *value (bucket's highest equivalent
 * value) and *count, or 0 when done. */
int histogram_next_bucket(const struct histogram *h, uint32_t *cursor,
                          uint64_t *value, uint64_t *count);

#endif
