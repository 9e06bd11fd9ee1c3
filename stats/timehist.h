/* timehist.h: a histogram of durations with fixed bucket bounds, for
 * Prometheus (cumulative le buckets in seconds, a sum and a count). Small
 * and fixed size, so a snapshot copies it whole; record is a short scan.
 * For percentiles within 0.1%, see histogram.h. */
#ifndef RICOCHET_TIMEHIST_H
#define RICOCHET_TIMEHIST_H

#include <stdint.h>

#define TIMEHIST_BOUNDS 16 /* finite upper bounds; one more bucket above them */

/* The upper bounds, microseconds, increasing: 10 µs to 1 s. */
extern const uint64_t timehist_bounds_us[TIMEHIST_BOUNDS];

struct timehist {
    uint64_t counts[TIMEHIST_BOUNDS + 1]; /* per bucket, not cumulative; the
                                             last: above every bound */
    uint64_t count;  /* durations recorded */
    uint64_t sum_us; /* their sum, microseconds */
};

/* Counts one duration of us microseconds in the first bucket whose bound
 * is >= us. */
void timehist_record(struct timehist *h, uint64_t us);

#endif
