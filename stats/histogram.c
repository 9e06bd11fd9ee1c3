/* histogram.c: HdrHistogram's log-linear layout with unit magnitude 0.
 *
 * Bucket 0 holds values 0..SUB-1 one per slot. Bucket k >= 1 holds values
 * [SUB/2 << k, SUB << k) in SUB/2 slots of width 1 << k, so every slot is
 * narrower than 1/1024 of its values: 3 significant digits. The counts array
 * stores bucket 0 in full and only the upper half of every later bucket. */
#include "histogram.h"

#include <assert.h>
#include <string.h>

#define SUB HISTOGRAM_SUB_BUCKETS
#define HALF (HISTOGRAM_SUB_BUCKETS / 2)
#define SUB_BITS 11 /* log2(SUB) */
#define COUNTS_LEN ((HISTOGRAM_BUCKETS + 1) * HALF)

_Static_assert(((uint64_t)1 << SUB_BITS) == SUB, "SUB_BITS matches SUB");
_Static_assert(sizeof(((struct histogram *)0)->counts) / sizeof(uint32_t) == COUNTS_LEN,
               "counts array size");
_Static_assert(HISTOGRAM_MAX_VALUE == ((uint64_t)SUB << (HISTOGRAM_BUCKETS - 1)) - 1,
               "largest value fits the last bucket");

static unsigned bucket_of(uint64_t v)
{
    /* bucket k is the number of bits v has beyond SUB_BITS */
    if (v < SUB)
        return 0;
    return (unsigned)(64 - __builtin_clzll(v)) - SUB_BITS;
}

static uint32_t index_of(uint64_t v)
{
    unsigned b = bucket_of(v);
    uint64_t sub = v >> b; /* in [HALF, SUB) for b >= 1 */
    return (uint32_t)(b * HALF + sub);
}

/* Lowest value counted in slot i, and the slot's width. */
static uint64_t slot_low(uint32_t i, uint64_t *width)
{
    if (i < SUB) {
        *width = 1;
        return i;
    }
    uint32_t b = i / HALF - 1;     /* i = b*HALF + sub, sub in [HALF, SUB) */
    uint64_t sub = i - b * HALF;
    *width = (uint64_t)1 << b;
    return sub << b;
}

static uint64_t slot_high(uint32_t i)
{
    uint64_t w;
    uint64_t lo = slot_low(i, &w);
    return lo + w - 1;
}

void histogram_reset(struct histogram *h)
{
    memset(h, 0, sizeof *h);
}

void histogram_record_n(struct histogram *h, uint64_t value, uint64_t n)
{
    if (n == 0)
        return;
    if (value > HISTOGRAM_MAX_VALUE) {
        value = HISTOGRAM_MAX_VALUE;
        h->clamped += n;
    }
    uint32_t i = index_of(value);
    assert(i < COUNTS_LEN);
    uint64_t c = (uint64_t)h->counts[i] + n;
    h->counts[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c; /* saturate */
    if (h->total == 0 || value < h->min)
        h->min = value;
    if (h->total == 0 || value > h->max)
        h->max = value;
    h->total += n;
    h->sum += (double)value * (double)n;
}

void histogram_record(struct histogram *h, uint64_t value)
{
    histogram_record_n(h, value, 1);
}

void histogram_merge(struct histogram *dst, const struct histogram *src)
{
    if (src->total == 0)
        return;
    for (uint32_t i = 0; i < COUNTS_LEN; i++) {
        uint64_t c = (uint64_t)dst->counts[i] + src->counts[i];
        dst->counts[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
}

uint64_t histogram_percentile(const struct histogram *h, double p)
{
    if (h->total == 0)
        return 0;
    if (!(p > 0)) /* also NaN */
        return h->min;
    if (p >= 100)
        return h->max;
    /* nearest rank: the smallest value with at least p% of values <= it */
    double r = p / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r - 1e-9 * (double)h->total)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < COUNTS_LEN; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = slot_high(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max; /* only if counts saturated */
}

double histogram_mean(const struct histogram *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}

int histogram_next_bucket(const struct histogram *h, uint32_t *cursor,
                          uint64_t *value, uint64_t *count)
{
    for (uint32_t i = *cursor; i < COUNTS_LEN; i++) {
        if (h->counts[i] == 0)
            continue;
        uint64_t v = slot_high(i);
        *value = v > h->max ? h->max : v;
        *count = h->counts[i];
        *cursor = i + 1;
        return 1;
    }
    *cursor = COUNTS_LEN;
    return 0;
}
