/* netsim.c: the impairment model: loss, Gilbert-Elliott bursts, duplication,
 * corruption, a rate-limited drop-tail queue, delay with jitter from one of
 * netem's distributions, reordering with a probability, and a heap of
 * copies ordered by delivery time. Pure: no sockets, no clock, seeded
 * randomness. */
#include "netsim.h"

#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/rng.h"

#define NETSIM_MAX_DELAY_MS 3600000.0 /* one hour: enough for any experiment */
#define NETSIM_MAX_RATE_KBPS 1e9

/* One copy waiting for its delivery time. */
struct netsim_item {
    uint64_t due_us;
    uint64_t order;    /* queue order: tie-break for equal due times */
    uint64_t entry_us;
    uint64_t seq;      /* entry order within the direction; copies share it */
    uint64_t flow;
    uint32_t len;
    uint8_t dir;
    uint8_t corrupt_bit;
    long corrupt_at;   /* -1: intact */
    unsigned char bytes[];
};

/* A datagram in the bottleneck queue: it occupies the queue until the link
 * has finished sending it. */
struct netsim_slot {
    double depart_us;
    uint32_t len;
};

/* netem's correlated draw: the last value, mixed into the next one. */
struct corr {
    double last;
    bool started;
};

/* Paired loss's Gilbert-Elliott chain, stepped once per sequence number
 * (not per datagram), so every flow that carries seq k meets the same
 * state of the chain: the outcomes of the last GE_SEQ_RING numbers. */
#define GE_SEQ_RING 4096
struct ge_seq {
    bool started, bad;
    uint32_t hi;                 /* the highest number stepped */
    struct rng rng;
    uint8_t lost[GE_SEQ_RING];   /* by seq % GE_SEQ_RING, for hi - GE_SEQ_RING < seq <= hi */
};

struct netsim_direction {
    struct netsim_model m;
    struct netsim_counters c;
    uint64_t pair_key;         /* paired loss: this direction's part of each state's hash */
    struct ge_seq ge_seq;
    /* One generator per model step, so changing one setting (say jitter)
     * does not shift the random draws of another (which datagrams are lost). */
    struct rng rng_loss, rng_ge, rng_dup, rng_jitter, rng_corrupt, rng_reorder;
    struct corr loss_c, dup_c, jitter_c, corrupt_c, reorder_c;
    uint32_t reorder_count;    /* datagrams delayed since the last one sent at once */
    bool ge_bad;               /* Gilbert-Elliott chain is in the bad state */
    uint64_t next_seq;
    uint64_t max_forwarded_seq;
    uint64_t last_due_us;      /* for in-order delivery without --reorder */
    double link_free_us;       /* when the bottleneck finishes its backlog */
    struct netsim_slot *fifo;  /* ring of datagrams in the bottleneck queue */
    size_t fifo_cap, fifo_head, fifo_count;
    uint64_t fifo_bytes;
    uint64_t pending;          /* copies in the heap for this direction */
};

struct netsim {
    struct netsim_direction d[NETSIM_DIRS];
    struct netsim_item **heap; /* binary min-heap on (due_us, order) */
    size_t heap_len, heap_cap;
    uint64_t next_order;
    struct netsim_item *last;  /* handed out by netsim_next_due, freed on the next call */
};

void netsim_model_default(struct netsim_model *m)
{
    memset(m, 0, sizeof *m);
    m->jitter_dist = NETSIM_JITTER_UNIFORM;
    m->max_pending = 65536;
}

static int check_range(const char *name, double v, double lo, double hi, char *err, size_t cap)
{
    if (v >= lo && v <= hi) /* false for NaN too */
        return 0;
    snprintf(err, cap, "%s must be in [%g, %g], got %g", name, lo, hi, v);
    return -1;
}

int netsim_model_check(const struct netsim_model *m, char *err, size_t err_cap)
{
    if (check_range("loss", m->loss_pct, 0, 100, err, err_cap) ||
        check_range("ge-p", m->ge_p_pct, 0, 100, err, err_cap) ||
        check_range("ge-r", m->ge_r_pct, 0, 100, err, err_cap) ||
        check_range("ge-loss-good", m->ge_loss_good_pct, 0, 100, err, err_cap) ||
        check_range("ge-loss-bad", m->ge_loss_bad_pct, 0, 100, err, err_cap) ||
        check_range("delay", m->delay_ms, 0, NETSIM_MAX_DELAY_MS, err, err_cap) ||
        check_range("jitter", m->jitter_ms, 0, NETSIM_MAX_DELAY_MS, err, err_cap) ||
        check_range("dup", m->dup_pct, 0, 100, err, err_cap) ||
        check_range("rate-kbps", m->rate_kbps, 0, NETSIM_MAX_RATE_KBPS, err, err_cap) ||
        check_range("loss-corr", m->loss_corr_pct, 0, 100, err, err_cap) ||
        check_range("delay-corr", m->delay_corr_pct, 0, 100, err, err_cap) ||
        check_range("dup-corr", m->dup_corr_pct, 0, 100, err, err_cap) ||
        check_range("corrupt", m->corrupt_pct, 0, 100, err, err_cap) ||
        check_range("corrupt-corr", m->corrupt_corr_pct, 0, 100, err, err_cap) ||
        check_range("reorder-pct", m->reorder_pct, 0, 100, err, err_cap) ||
        check_range("reorder-corr", m->reorder_corr_pct, 0, 100, err, err_cap))
        return -1;
    if (m->jitter_dist < NETSIM_JITTER_UNIFORM || m->jitter_dist > NETSIM_JITTER_PARETONORMAL) {
        snprintf(err, err_cap, "jitter-dist must be uniform, normal, pareto or paretonormal");
        return -1;
    }
    if (m->reorder_pct > 0 && m->reorder_gap < 1) {
        snprintf(err, err_cap, "reorder-gap must be 1 or more");
        return -1;
    }
    if (m->reorder_pct > 0 && m->delay_ms <= 0) { /* as netem: nothing to send "at once" */
        snprintf(err, err_cap, "reorder-pct needs a delay (as netem's reorder)");
        return -1;
    }
    return 0;
}

struct netsim *netsim_create(const struct netsim_model models[NETSIM_DIRS], uint64_t seed)
{
    char err[128];
    for (int i = 0; i < NETSIM_DIRS; i++)
        if (netsim_model_check(&models[i], err, sizeof err) < 0)
            return NULL;
    struct netsim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return NULL;
    for (int i = 0; i < NETSIM_DIRS; i++) {
        struct netsim_direction *d = &sim->d[i];
        d->m = models[i];
        histogram_reset(&d->c.delay_us);
        /* Distinct streams from one seed; rng_seed runs splitmix64, which
         * decorrelates nearby seeds. */
        uint64_t base = seed + 0x9e3779b97f4a7c15u * (uint64_t)(i * 4 + 1);
        rng_seed(&d->rng_loss, base);
        rng_seed(&d->rng_ge, base + 0x632be59bd9b4e019u);
        rng_seed(&d->rng_dup, base + 2 * 0x632be59bd9b4e019u);
        rng_seed(&d->rng_jitter, base + 3 * 0x632be59bd9b4e019u);
        rng_seed(&d->rng_corrupt, base + 4 * 0x632be59bd9b4e019u);
        rng_seed(&d->rng_reorder, base + 5 * 0x632be59bd9b4e019u);
        rng_seed(&d->ge_seq.rng, base + 6 * 0x632be59bd9b4e019u);
        d->pair_key = rng_hash(base + 7 * 0x632be59bd9b4e019u);
    }
    return sim;
}

static bool ge_on(const struct netsim_direction *d);

int netsim_set_models(struct netsim *sim, const struct netsim_model models[NETSIM_DIRS],
                      char *err, size_t err_cap)
{
    for (int i = 0; i < NETSIM_DIRS; i++)
        if (netsim_model_check(&models[i], err, err_cap) < 0)
            return -1;
    for (int i = 0; i < NETSIM_DIRS; i++) {
        struct netsim_direction *d = &sim->d[i];
        d->m = models[i];
        if (!ge_on(d)) /* no bursts now: one going ends (the new ge-r, 0, would hold it) */
            d->ge_bad = d->ge_seq.bad = false;
    }
    return 0;
}

/* The model's settings by the names of ricochet-netsim's options. */
#define MF(NAME, FIELD, KIND) {NAME, offsetof(struct netsim_model, FIELD), KIND}
enum field_kind { F_DOUBLE, F_U32, F_U64, F_BOOL, F_DIST };
static const struct {
    const char *name;
    size_t off;
    enum field_kind kind;
} model_fields[] = {
    MF("loss", loss_pct, F_DOUBLE), MF("loss-corr", loss_corr_pct, F_DOUBLE),
    MF("ge-p", ge_p_pct, F_DOUBLE), MF("ge-r", ge_r_pct, F_DOUBLE),
    MF("ge-loss-good", ge_loss_good_pct, F_DOUBLE), MF("ge-loss-bad", ge_loss_bad_pct, F_DOUBLE),
    MF("delay", delay_ms, F_DOUBLE), MF("jitter", jitter_ms, F_DOUBLE),
    MF("delay-corr", delay_corr_pct, F_DOUBLE), MF("jitter-dist", jitter_dist, F_DIST),
    MF("reorder", reorder, F_BOOL), MF("reorder-pct", reorder_pct, F_DOUBLE),
    MF("reorder-corr", reorder_corr_pct, F_DOUBLE), MF("reorder-gap", reorder_gap, F_U32),
    MF("dup", dup_pct, F_DOUBLE), MF("dup-corr", dup_corr_pct, F_DOUBLE),
    MF("corrupt", corrupt_pct, F_DOUBLE), MF("corrupt-corr", corrupt_corr_pct, F_DOUBLE),
    MF("rate-kbps", rate_kbps, F_DOUBLE), MF("queue-limit", queue_packets, F_U64),
    MF("queue-bytes", queue_bytes, F_U64),
};
#undef MF

const char *netsim_model_field(const struct netsim_model *m, size_t i, char *value, size_t cap)
{
    static const char *const dists[] = {"uniform", "normal", "pareto", "paretonormal"};
    if (i >= sizeof model_fields / sizeof model_fields[0])
        return NULL;
    const void *at = (const char *)m + model_fields[i].off;
    switch (model_fields[i].kind) {
    case F_DOUBLE:
        snprintf(value, cap, "%g", *(const double *)at);
        break;
    case F_U32:
        snprintf(value, cap, "%u", (unsigned)*(const uint32_t *)at);
        break;
    case F_U64:
        snprintf(value, cap, "%llu", (unsigned long long)*(const uint64_t *)at);
        break;
    case F_BOOL:
        snprintf(value, cap, "%s", *(const int *)at ? "true" : "false");
        break;
    case F_DIST: {
        int v = *(const int *)at;
        snprintf(value, cap, "%s", v >= 0 && v < 4 ? dists[v] : "?");
        break;
    }
    }
    return model_fields[i].name;
}

const struct netsim_model *netsim_model_of(const struct netsim *sim, enum netsim_dir dir)
{
    return &sim->d[dir].m;
}

void netsim_destroy(struct netsim *sim)
{
    if (!sim)
        return;
    for (size_t i = 0; i < sim->heap_len; i++)
        free(sim->heap[i]);
    free(sim->heap);
    free(sim->last);
    for (int i = 0; i < NETSIM_DIRS; i++)
        free(sim->d[i].fifo);
    free(sim);
}

/* A uniform draw in [0, 1) that depends corr_pct% on the previous one:
 * netem's correlated random number (tc-netem(8): "the next random element
 * depends CORRELATION% on the last one"). At 0 it is a fresh draw. */
static double corr_uniform(struct rng *r, struct corr *c, double corr_pct)
{
    double u = rng_uniform(r);
    if (corr_pct <= 0)
        return u;
    double rho = corr_pct / 100.0;
    if (c->started)
        u = (1.0 - rho) * u + rho * c->last;
    c->last = u;
    c->started = true;
    return u;
}

/* True with probability pct%, each draw correlated corr_pct% with the one
 * before. Draws nothing at 0 or 100, so a step that is off costs no
 * randomness. */
static bool chance_corr(struct rng *r, struct corr *c, double pct, double corr_pct)
{
    if (pct <= 0)
        return false;
    if (pct >= 100)
        return true;
    return corr_uniform(r, c, corr_pct) * 100.0 < pct;
}

static bool chance(struct rng *r, double pct)
{
    return chance_corr(r, NULL, pct, 0);
}

static bool item_before(const struct netsim_item *a, const struct netsim_item *b)
{
    if (a->due_us != b->due_us)
        return a->due_us < b->due_us;
    return a->order < b->order;
}

static int heap_push(struct netsim *sim, struct netsim_item *it)
{
    if (sim->heap_len == sim->heap_cap) {
        size_t cap = sim->heap_cap ? sim->heap_cap * 2 : 256;
        struct netsim_item **h = realloc(sim->heap, cap * sizeof *h);
        if (!h)
            return -1;
        sim->heap = h;
        sim->heap_cap = cap;
    }
    size_t i = sim->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!item_before(it, sim->heap[parent]))
            break;
        sim->heap[i] = sim->heap[parent];
        i = parent;
    }
    sim->heap[i] = it;
    return 0;
}

static struct netsim_item *heap_pop(struct netsim *sim)
{
    struct netsim_item *top = sim->heap[0];
    struct netsim_item *last = sim->heap[--sim->heap_len];
    size_t n = sim->heap_len, i = 0;
    if (n == 0)
        return top;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && item_before(sim->heap[child + 1], sim->heap[child]))
            child++;
        if (!item_before(sim->heap[child], last))
            break;
        sim->heap[i] = sim->heap[child];
        i = child;
    }
    sim->heap[i] = last;
    return top;
}

/* Forgets datagrams the bottleneck has finished sending by now_us. */
static void fifo_expire(struct netsim_direction *d, double now_us)
{
    while (d->fifo_count > 0 && d->fifo[d->fifo_head].depart_us <= now_us) {
        d->fifo_bytes -= d->fifo[d->fifo_head].len;
        d->fifo_head = (d->fifo_head + 1) % d->fifo_cap;
        d->fifo_count--;
    }
}

static int fifo_push(struct netsim_direction *d, double depart_us, uint32_t len)
{
    if (d->fifo_count == d->fifo_cap) {
        size_t cap = d->fifo_cap ? d->fifo_cap * 2 : 64;
        struct netsim_slot *f = malloc(cap * sizeof *f);
        if (!f)
            return -1;
        for (size_t i = 0; i < d->fifo_count; i++)
            f[i] = d->fifo[(d->fifo_head + i) % d->fifo_cap];
        free(d->fifo);
        d->fifo = f;
        d->fifo_cap = cap;
        d->fifo_head = 0;
    }
    d->fifo[(d->fifo_head + d->fifo_count) % d->fifo_cap] = (struct netsim_slot){depart_us, len};
    d->fifo_count++;
    d->fifo_bytes += len;
    return 0;
}

/* The standard normal quantile of p in (0, 1): Acklam's rational
 * approximation (relative error under 1.2e-9), refined by one Halley step. */
static double normal_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    double q, x;
    if (p < 1e-300)
        p = 1e-300;
    if (p < 0.02425 || p > 1 - 0.02425) {
        q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        if (p > 0.5)
            x = -x;
    } else {
        q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* A Pareto variable of shape 3 from the uniform u, moved and scaled to mean
 * 0 and standard deviation 1: (1 / (1 - u)^(1/3) - 1.5) / (sqrt(3) / 2). */
static double pareto_standard(double u)
{
    return (1.0 / cbrt(1.0 - u) - 1.5) / (sqrt(3.0) / 2.0);
}

/* The jitter, in units of --jitter, from the direction's distribution. */
static double jitter_draw(struct netsim_direction *d)
{
    double corr = d->m.delay_corr_pct, x;
    if (d->m.jitter_dist == NETSIM_JITTER_UNIFORM)
        return 2.0 * corr_uniform(&d->rng_jitter, &d->jitter_c, corr) - 1.0;
    if (d->m.jitter_dist == NETSIM_JITTER_NORMAL && corr <= 0) {
        x = rng_normal(&d->rng_jitter); /* as ever: the same draws for a seed */
    } else {
        double u = corr_uniform(&d->rng_jitter, &d->jitter_c, corr);
        if (d->m.jitter_dist == NETSIM_JITTER_NORMAL)
            x = normal_quantile(u);
        else if (d->m.jitter_dist == NETSIM_JITTER_PARETO)
            x = pareto_standard(u);
        else
            x = 0.75 * normal_quantile(u) + 0.25 * pareto_standard(u);
    }
    return x > 4 ? 4 : x < -4 ? -4 : x;
}

/* Delay of one copy in microseconds: base plus jitter, never negative. */
static double sample_delay_us(struct netsim_direction *d)
{
    double ms = d->m.delay_ms;
    if (d->m.jitter_ms > 0)
        ms += jitter_draw(d) * d->m.jitter_ms;
    return ms > 0 ? ms * 1000.0 : 0.0;
}

/* netem's reorder: after reorder_gap - 1 delayed datagrams, each one goes
 * at once with probability reorder_pct; one that does starts the count
 * again. */
static bool send_at_once(struct netsim_direction *d)
{
    if (d->m.reorder_pct <= 0)
        return false;
    if (d->reorder_count + 1 < d->m.reorder_gap ||
        !chance_corr(&d->rng_reorder, &d->reorder_c, d->m.reorder_pct, d->m.reorder_corr_pct)) {
        d->reorder_count++;
        return false;
    }
    d->reorder_count = 0;
    return true;
}

/* Puts one copy through the bottleneck and the delay line. Returns 1 if it
 * was queued, 0 if it was dropped (counted). */
static int enqueue_copy(struct netsim *sim, struct netsim_direction *d, enum netsim_dir dir,
                        uint64_t flow, uint64_t seq, const void *bytes, size_t len,
                        uint64_t now_us)
{
    if (d->m.max_pending && d->pending >= d->m.max_pending) {
        d->c.dropped_overflow++;
        return 0;
    }
    double depart = (double)now_us;
    if (d->m.rate_kbps > 0) {
        fifo_expire(d, depart);
        if ((d->m.queue_packets && d->fifo_count + 1 > d->m.queue_packets) ||
            (d->m.queue_bytes && d->fifo_bytes + len > d->m.queue_bytes)) {
            d->c.dropped_queue++;
            return 0;
        }
        double start = d->link_free_us > depart ? d->link_free_us : depart;
        double end = start + (double)len * 8000.0 / d->m.rate_kbps; /* bits / (kbit/s) in µs */
        if (fifo_push(d, end, (uint32_t)len) < 0) {
            d->c.dropped_overflow++;
            return 0;
        }
        d->link_free_us = end;
        depart = end;
    }
    bool at_once = send_at_once(d);
    uint64_t due = (uint64_t)llround(depart + (at_once ? 0.0 : sample_delay_us(d)));
    if (due < now_us)
        due = now_us;
    if (at_once) {
        d->c.sent_at_once++; /* overtakes what is held: the order rule is not for it */
    } else if (!d->m.reorder) {
        if (due < d->last_due_us)
            due = d->last_due_us;
        d->last_due_us = due;
    }
    struct netsim_item *it = malloc(sizeof *it + len);
    if (!it) {
        d->c.dropped_overflow++;
        return 0;
    }
    it->corrupt_at = -1;
    it->corrupt_bit = 0;
    it->due_us = due;
    it->order = sim->next_order++;
    it->entry_us = now_us;
    it->seq = seq;
    it->flow = flow;
    it->len = (uint32_t)len;
    it->dir = (uint8_t)dir;
    memcpy(it->bytes, bytes, len);
    if (chance_corr(&d->rng_corrupt, &d->corrupt_c, d->m.corrupt_pct, d->m.corrupt_corr_pct)) {
        it->corrupt_at = (long)rng_below(&d->rng_corrupt, (uint32_t)len);
        it->corrupt_bit = (uint8_t)rng_below(&d->rng_corrupt, 8);
        it->bytes[it->corrupt_at] ^= (unsigned char)(1u << it->corrupt_bit);
        d->c.corrupted++;
    }
    if (heap_push(sim, it) < 0) {
        free(it);
        d->c.dropped_overflow++;
        return 0;
    }
    d->pending++;
    return 1;
}

/* One step of a Gilbert-Elliott chain (bad: its state, moved): whether the
 * step loses what it carries. */
static bool ge_step(struct netsim_direction *d, struct rng *r, bool *bad)
{
    if (!*bad) {
        if (chance(r, d->m.ge_p_pct)) {
            *bad = true;
            d->c.ge_bursts++;
        }
    } else if (chance(r, d->m.ge_r_pct)) {
        *bad = false;
    }
    if (*bad)
        d->c.ge_bad_datagrams++;
    return chance(r, *bad ? d->m.ge_loss_bad_pct : d->m.ge_loss_good_pct);
}

static bool ge_on(const struct netsim_direction *d)
{
    return d->m.ge_p_pct > 0 || d->m.ge_loss_good_pct > 0;
}

/* Paired loss's bursts: the seq-stepped chain's outcome for seq (stepped
 * up to it if new; one older than the ring's numbers meets no burst). */
static bool ge_seq_lost(struct netsim_direction *d, uint32_t seq)
{
    struct ge_seq *g = &d->ge_seq;
    if (!g->started) {
        g->started = true;
        g->hi = seq - 1;
    }
    uint32_t ahead = seq - g->hi;
    if (ahead != 0 && ahead < 0x80000000u) { /* wrap-safe: seq is after hi */
        uint32_t steps = ahead > GE_SEQ_RING ? GE_SEQ_RING : ahead;
        for (uint32_t k = seq - steps + 1; k != seq + 1; k++)
            g->lost[k % GE_SEQ_RING] = ge_on(d) || g->bad ? ge_step(d, &g->rng, &g->bad) : 0;
        g->hi = seq;
    }
    return g->hi - seq < GE_SEQ_RING && g->lost[seq % GE_SEQ_RING];
}

/* Paired loss's verdict on the states of one datagram: how many the loss
 * (the hash of each seq) and the bursts (the seq-stepped chain) lose. */
static void paired_verdict(struct netsim_direction *d, const uint32_t *seqs, size_t n,
                           size_t *lost, size_t *burst)
{
    *lost = *burst = 0;
    for (size_t i = 0; i < n; i++) {
        double u = (double)(rng_hash(d->pair_key ^ seqs[i]) >> 11) * 0x1.0p-53;
        if (d->m.loss_pct > 0 && u * 100.0 < d->m.loss_pct)
            (*lost)++;
        else if (ge_seq_lost(d, seqs[i]))
            (*burst)++;
    }
    d->c.paired++;
    d->c.paired_states += n;
    d->c.paired_lost += *lost + *burst;
}

int netsim_submit(struct netsim *sim, enum netsim_dir dir, uint64_t flow, const void *bytes,
                  size_t len, uint64_t now_us)
{
    return netsim_submit_paired(sim, dir, flow, bytes, len, now_us, NULL, 0);
}

int netsim_submit_paired(struct netsim *sim, enum netsim_dir dir, uint64_t flow,
                         const void *bytes, size_t len, uint64_t now_us, const uint32_t *seqs,
                         size_t n)
{
    if (len == 0 || len > NETSIM_MAX_DATAGRAM || (unsigned)dir >= NETSIM_DIRS)
        return -1;
    struct netsim_direction *d = &sim->d[dir];
    d->c.received++;
    d->c.received_bytes += len;
    uint64_t seq = ++d->next_seq;

    bool ge_lost = false, lost;
    if (n > 0) {
        size_t by_loss, by_burst;
        paired_verdict(d, seqs, n, &by_loss, &by_burst);
        lost = by_loss > 0;
        ge_lost = by_burst > 0;
    } else {
        /* The chain moves on every datagram, lost or not, so its timing does
         * not depend on the independent loss draws. */
        if (d->ge_bad || ge_on(d))
            ge_lost = ge_step(d, &d->rng_ge, &d->ge_bad);
        lost = chance_corr(&d->rng_loss, &d->loss_c, d->m.loss_pct, d->m.loss_corr_pct);
    }
    if (lost) {
        d->c.dropped_loss++;
        return 0;
    }
    if (ge_lost) {
        d->c.dropped_burst++;
        return 0;
    }
    int copies = chance_corr(&d->rng_dup, &d->dup_c, d->m.dup_pct, d->m.dup_corr_pct) ? 2 : 1;
    d->c.duplicated += (uint64_t)(copies - 1);
    int queued = 0;
    for (int i = 0; i < copies; i++)
        queued += enqueue_copy(sim, d, dir, flow, seq, bytes, len, now_us);
    return queued;
}

int netsim_next_due(struct netsim *sim, uint64_t now_us, struct netsim_datagram *out)
{
    free(sim->last);
    sim->last = NULL;
    if (sim->heap_len == 0 || sim->heap[0]->due_us > now_us)
        return 0;
    struct netsim_item *it = heap_pop(sim);
    struct netsim_direction *d = &sim->d[it->dir];
    d->pending--;
    d->c.forwarded++;
    d->c.forwarded_bytes += it->len;
    if (it->seq < d->max_forwarded_seq)
        d->c.reordered++;
    else
        d->max_forwarded_seq = it->seq;
    histogram_record(&d->c.delay_us, it->due_us - it->entry_us);
    timehist_record(&d->c.delay, it->due_us - it->entry_us);
    out->dir = (enum netsim_dir)it->dir;
    out->flow = it->flow;
    out->entry_us = it->entry_us;
    out->due_us = it->due_us;
    out->len = it->len;
    out->bytes = it->bytes;
    out->corrupt_at = it->corrupt_at;
    out->corrupt_bit = it->corrupt_bit;
    sim->last = it;
    return 1;
}

uint64_t netsim_next_deadline(const struct netsim *sim)
{
    return sim->heap_len ? sim->heap[0]->due_us : UINT64_MAX;
}

uint64_t netsim_pending(const struct netsim *sim, enum netsim_dir dir)
{
    return sim->d[dir].pending;
}

void netsim_discard(struct netsim *sim)
{
    free(sim->last);
    sim->last = NULL;
    for (size_t i = 0; i < sim->heap_len; i++) {
        struct netsim_direction *d = &sim->d[sim->heap[i]->dir];
        d->pending--;
        d->c.discarded++;
        free(sim->heap[i]);
    }
    sim->heap_len = 0;
}

void netsim_each_pending(const struct netsim *sim,
                         void (*fn)(void *ctx, const struct netsim_datagram *dg), void *ctx)
{
    for (size_t i = 0; i < sim->heap_len; i++) {
        const struct netsim_item *it = sim->heap[i];
        struct netsim_datagram dg = {.dir = (enum netsim_dir)it->dir, .flow = it->flow,
                                     .entry_us = it->entry_us, .due_us = it->due_us,
                                     .len = it->len, .bytes = it->bytes,
                                     .corrupt_at = it->corrupt_at,
                                     .corrupt_bit = it->corrupt_bit};
        fn(ctx, &dg);
    }
}

const struct netsim_counters *netsim_counters(const struct netsim *sim, enum netsim_dir dir)
{
    return &sim->d[dir].c;
}

const char *netsim_dir_name(enum netsim_dir dir)
{
    return dir == NETSIM_UP ? "up" : "down";
}
