/* promtext.c: see promtext.h. */
#include "promtext.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct promtext *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *bigger = realloc(t->buf, cap);
    if (!bigger) {
        free(t->buf);
        *t = (struct promtext){ .failed = true };
        return false;
    }
    t->buf = bigger;
    t->cap = cap;
    return true;
}

/* Formats into the space left first: one pass unless the buffer must grow
 * (a scrape writes hundreds of lines). */
void promtext_printf(struct promtext *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    size_t room = t->buf ? t->cap - t->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf ? t->buf + t->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        if (!reserve(t, (size_t)n))
            return;
        va_start(ap, fmt);
        vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
    }
    t->len += (size_t)n;
}

static void put_bytes(struct promtext *t, const char *s, size_t n)
{
    if (!reserve(t, n))
        return;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* Appends s with backslash and newline escaped (and, in a label value,
 * the double quote), as the format asks; plain runs are copied whole. */
static void put_escaped(struct promtext *t, const char *s, bool quote)
{
    const char *special = quote ? "\\\n\"" : "\\\n";
    while (*s) {
        size_t run = strcspn(s, special);
        put_bytes(t, s, run);
        s += run;
        if (!*s)
            break;
        put_bytes(t, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"", 2);
        s++;
    }
}

void promtext_family(struct promtext *t, const char *name, const char *type,
                     const char *help)
{
    promtext_printf(t, "# HELP %s ", name);
    put_escaped(t, help, false);
    promtext_printf(t, "\n# TYPE %s %s\n", name, type);
}

static void put_name(struct promtext *t, const char *name, const char *label,
                     const char *value)
{
    promtext_printf(t, "%s", name);
    if (!label)
        return;
    promtext_printf(t, "{%s=\"", label);
    put_escaped(t, value, true);
    promtext_printf(t, "\"}");
}

void promtext_sample(struct promtext *t, const char *name, const char *label,
                     const char *value, double v)
{
    put_name(t, name, label, value);
    promtext_printf(t, " %.15g\n", v);
}

void promtext_sample_u64(struct promtext *t, const char *name, const char *label,
                         const char *value, uint64_t v)
{
    put_name(t, name, label, value);
    promtext_printf(t, " %" PRIu64 "\n", v);
}

/* Microseconds as seconds in plain decimal without trailing zeros:
 * 25 -> "0.000025", 1000000 -> "1". */
static void put_seconds(struct promtext *t, uint64_t us)
{
    uint64_t whole = us / 1000000u, frac = us % 1000000u;
    if (frac == 0) {
        promtext_printf(t, "%" PRIu64, whole);
        return;
    }
    int digits = 6;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    promtext_printf(t, "%" PRIu64 ".%0*" PRIu64, whole, digits, frac);
}

void promtext_histogram_us(struct promtext *t, const char *name, const char *labels,
                           const uint64_t *bounds_us, const uint64_t *counts, size_t n,
                           uint64_t sum_us, uint64_t count)
{
    const char *sep = labels ? "," : "";
    labels = labels ? labels : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < n; i++) {
        cumulative += counts[i];
        promtext_printf(t, "%s_bucket{%s%sle=\"", name, labels, sep);
        put_seconds(t, bounds_us[i]);
        promtext_printf(t, "\"} %" PRIu64 "\n", cumulative);
    }
    promtext_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, count);
    promtext_printf(t, *labels ? "%s_sum{%s} " : "%s_sum%s ", name, labels);
    put_seconds(t, sum_us);
    promtext_printf(t, *labels ? "\n%s_count{%s} %" PRIu64 "\n" : "\n%s_count%s %" PRIu64 "\n",
                    name, labels, count);
}

char *promtext_take(struct promtext *t, size_t *len)
{
    if (t->failed || !reserve(t, 0)) {
        *t = (struct promtext){ 0 };
        *len = 0;
        return NULL;
    }
    t->buf[t->len] = '\0';
    char *text = t->buf;
    *len = t->len;
    *t = (struct promtext){ 0 };
    return text;
}
