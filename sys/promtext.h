/* promtext.h: Prometheus' text exposition format 0.0.4, written into a
 * growing buffer: "# HELP" and "# TYPE" per family, one line per sample,
 * histograms as cumulative le buckets (in seconds) with +Inf, _sum and
 * _count. Pure: no I/O. A failed allocation marks the text failed; every
 * later call does nothing and promtext_take returns NULL. */
#ifndef RICOCHET_PROMTEXT_H
#define RICOCHET_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The content type a scraper expects for this format. */
#define PROMTEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct promtext {
    char *buf;  /* NUL-terminated once anything is written */
    size_t len; /* bytes written, NUL excluded */
    size_t cap;
    bool failed;
};

/* Appends printf-style text. */
void promtext_printf(struct promtext *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "# HELP name help" (help escaped) and "# TYPE name type", type one of
 * counter, gauge, histogram. */
void promtext_family(struct promtext *t, const char *name, const char *type,
                     const char *help);

/* One sample: name{label="value"} v, or name v when label is NULL. The
 * label value is escaped. */
void promtext_sample(struct promtext *t, const char *name, const char *label,
                     const char *value, double v);
void promtext_sample_u64(struct promtext *t, const char *name, const char *label,
                         const char *value, uint64_t v);

/* A histogram's samples from durations in microseconds: counts[i] (not
 * cumulative) fell at or under bounds_us[i], counts[n] above them all;
 * sum_us and count are the totals. Written as name_bucket{le="seconds"},
 * name_sum (seconds) and name_count, each with labels first when not NULL
 * (written as given: `direction="up"`). */
void promtext_histogram_us(struct promtext *t, const char *name, const char *labels,
                           const uint64_t *bounds_us, const uint64_t *counts, size_t n,
                           uint64_t sum_us, uint64_t count);

/* Hands the text over (the caller frees it) and its length; NULL if an
 * allocation failed (the buffer is freed then). t is empty afterwards. */
char *promtext_take(struct promtext *t, size_t *len);

#endif
