/* bench_strip.c: the strip of one run (see bench.h, struct bench_strip):
 * the states the second client expected in the window, each sent one
 * recorded as it leaves, each first arrival as it comes, matched once the
 * run is measured. */
#include "run_internal.h"

#include <stdlib.h>

/* A recorded send or arrival. */
struct strip_rec {
    uint32_t sender, seq;
    uint64_t t_us;       /* a send's intended time */
    int64_t latency_us;  /* an arrival's one-way latency */
};

struct run_strip {
    struct strip_rec *sent, *got;
    size_t n_sent, n_got, cap_sent, cap_got;
};

static int push(struct strip_rec **a, size_t *n, size_t *cap, struct strip_rec r)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        struct strip_rec *b = realloc(*a, c * sizeof *b);
        if (!b)
            return -1;
        *a = b;
        *cap = c;
    }
    (*a)[(*n)++] = r;
    return 0;
}

static struct run_strip *strip_of(struct run *run)
{
    if (!run->strip)
        run->strip = calloc(1, sizeof *run->strip);
    return run->strip;
}

void run_strip_sent(struct run *run, size_t sender, uint32_t seq, uint64_t t_us)
{
    struct run_strip *s = strip_of(run);
    if (s)
        push(&s->sent, &s->n_sent, &s->cap_sent,
             (struct strip_rec){.sender = (uint32_t)sender, .seq = seq, .t_us = t_us});
}

void run_strip_got(struct run *run, size_t sender, uint32_t seq, int64_t latency_us)
{
    struct run_strip *s = strip_of(run);
    if (s)
        push(&s->got, &s->n_got, &s->cap_got,
             (struct strip_rec){.sender = (uint32_t)sender, .seq = seq, .latency_us = latency_us});
}

static int by_sender_seq(const void *a, const void *b)
{
    const struct strip_rec *x = a, *y = b;
    if (x->sender != y->sender)
        return x->sender < y->sender ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void run_strip_finish(struct run *run)
{
    struct run_strip *s = run->strip;
    struct bench_result *r = run->r;
    if (!s)
        return;
    free(r->strip.marks);
    r->strip = (struct bench_strip){.marks = calloc(s->n_sent ? s->n_sent : 1,
                                                    sizeof *r->strip.marks)};
    if (s->n_sent) /* none recorded: no array (qsort takes none) */
        qsort(s->sent, s->n_sent, sizeof *s->sent, by_sender_seq);
    if (s->n_got)
        qsort(s->got, s->n_got, sizeof *s->got, by_sender_seq);
    for (size_t i = 0, g = 0; r->strip.marks && i < s->n_sent; i++) {
        const struct strip_rec *x = &s->sent[i];
        while (g < s->n_got && by_sender_seq(&s->got[g], x) < 0)
            g++;
        bool got = g < s->n_got && by_sender_seq(&s->got[g], x) == 0;
        r->strip.marks[r->strip.n++] = (struct bench_mark){
            .t_s = (double)(x->t_us - run->win_start) / 1e6,
            .latency_ms = got ? (double)(s->got[g].latency_us > 0 ? s->got[g].latency_us : 0) / 1e3
                              : -1,
            .sender = x->sender, .seq = x->seq};
    }
    free(s->sent);
    free(s->got);
    free(s);
    run->strip = NULL;
}
