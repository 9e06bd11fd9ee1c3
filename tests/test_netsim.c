/* test_netsim.c: loss rates over 100k decisions, Gilbert-Elliott burst
 * lengths, netem's correlation (longer loss runs, smoother delays),
 * corruption (one bit, restorable), reordering with a gap, the pareto and
 * paretonormal distributions, seeded reproducibility, order with and without
 * reordering, delay bounds, duplication, rate limit and queue drops, counters
 * that add up; a model replaced while it runs (what is held keeps its time, a
 * bad one changes nothing, one without bursts ends a burst in progress);
 * paired loss: two flows of the same sequence numbers lose exactly the same
 * ones, at the rate asked, bursts too, the other direction others */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/netsim/netsim.h"

#define MS 1000u /* µs */

static struct netsim *new_sim(const struct netsim_model *up, const struct netsim_model *down,
                              uint64_t seed)
{
    struct netsim_model m[NETSIM_DIRS];
    netsim_model_default(&m[NETSIM_UP]);
    netsim_model_default(&m[NETSIM_DOWN]);
    if (up)
        m[NETSIM_UP] = *up;
    if (down)
        m[NETSIM_DOWN] = *down;
    struct netsim *sim = netsim_create(m, seed);
    assert_non_null(sim);
    return sim;
}

/* Datagram payload: its submit index, so delivery order can be checked. */
static void put_index(unsigned char *buf, uint32_t i)
{
    memcpy(buf, &i, sizeof i);
}

static uint32_t get_index(const unsigned char *buf)
{
    uint32_t i;
    memcpy(&i, buf, sizeof i);
    return i;
}

/* Delivers everything due by now_us; returns how many. */
static uint64_t drain(struct netsim *sim, uint64_t now_us)
{
    struct netsim_datagram dg;
    uint64_t n = 0;
    while (netsim_next_due(sim, now_us, &dg))
        n++;
    return n;
}

static uint64_t dropped(const struct netsim_counters *c)
{
    return c->dropped_loss + c->dropped_burst + c->dropped_queue + c->dropped_overflow;
}

/* The conservation law every direction obeys at every moment. */
static void assert_balanced(struct netsim *sim, enum netsim_dir dir)
{
    const struct netsim_counters *c = netsim_counters(sim, dir);
    assert_int_equal(c->received + c->duplicated,
                     c->forwarded + dropped(c) + c->discarded + netsim_pending(sim, dir));
    assert_int_equal(c->delay_us.total, c->forwarded);
}

static void loss_rate(void **state)
{
    (void)state;
    const double rates[] = {0, 1, 10, 50, 100};
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        struct netsim_model m;
        netsim_model_default(&m);
        m.loss_pct = rates[k];
        struct netsim *sim = new_sim(&m, NULL, 1000 + k);
        unsigned char buf[40] = {1};
        const uint32_t n = 100000;
        uint64_t queued = 0;
        for (uint32_t i = 0; i < n; i++) {
            int r = netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, i * MS);
            assert_true(r == 0 || r == 1);
            queued += (uint64_t)r;
            drain(sim, i * MS);
        }
        const struct netsim_counters *c = netsim_counters(sim, NETSIM_UP);
        assert_int_equal(c->received, n);
        assert_int_equal(c->forwarded, queued);
        assert_int_equal(c->dropped_loss + c->forwarded, n);
        double measured = 100.0 * (double)c->dropped_loss / n;
        /* Binomial stddev at 50% is 0.16 points; 0.6 is over 3.5 sigma. */
        assert_true(fabs(measured - rates[k]) < 0.6);
        if (rates[k] == 0)
            assert_int_equal(c->dropped_loss, 0);
        if (rates[k] == 100)
            assert_int_equal(c->dropped_loss, n);
        assert_int_equal(netsim_counters(sim, NETSIM_DOWN)->received, 0);
        assert_balanced(sim, NETSIM_UP);
        netsim_destroy(sim);
    }
}

static void gilbert_elliott_bursts(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.ge_p_pct = 1;
    m.ge_r_pct = 25;
    m.ge_loss_good_pct = 0;
    m.ge_loss_bad_pct = 100;
    struct netsim *sim = new_sim(NULL, &m, 77);
    unsigned char buf[8] = {0};
    const uint32_t n = 200000;
    uint64_t runs = 0, run_len_sum = 0, lost = 0;
    bool in_run = false;
    for (uint32_t i = 0; i < n; i++) {
        int r = netsim_submit(sim, NETSIM_DOWN, 3, buf, sizeof buf, i * MS);
        drain(sim, i * MS);
        if (r == 0) {
            lost++;
            run_len_sum++;
            if (!in_run)
                runs++;
            in_run = true;
        } else {
            in_run = false;
        }
    }
    const struct netsim_counters *c = netsim_counters(sim, NETSIM_DOWN);
    assert_int_equal(c->dropped_burst, lost);
    assert_int_equal(c->dropped_loss, 0);
    assert_int_equal(c->ge_bad_datagrams, lost); /* bad state loses everything */
    /* Every stay in the bad state is exactly one run of losses. */
    assert_int_equal(c->ge_bursts, runs);
    double mean_burst = (double)run_len_sum / (double)runs;
    assert_true(fabs(mean_burst - 1.0 / 0.25) < 0.4); /* about 5 sigma */
    double rate = (double)lost / n, expect = 1.0 / (1.0 + 25.0);
    assert_true(fabs(rate - expect) < 0.1 * expect);
    assert_balanced(sim, NETSIM_DOWN);
    netsim_destroy(sim);

    /* Partial loss in each state: the long-run rate mixes them. */
    m.ge_p_pct = 10;
    m.ge_r_pct = 30;
    m.ge_loss_good_pct = 2;
    m.ge_loss_bad_pct = 60;
    sim = new_sim(&m, NULL, 5);
    for (uint32_t i = 0; i < n; i++) {
        netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, i * MS);
        drain(sim, i * MS);
    }
    c = netsim_counters(sim, NETSIM_UP);
    double bad = 10.0 / 40.0; /* stationary share of the bad state */
    expect = (1 - bad) * 0.02 + bad * 0.60;
    rate = (double)c->dropped_burst / n;
    assert_true(fabs(rate - expect) < 0.05 * expect);
    assert_true(fabs((double)c->ge_bad_datagrams / n - bad) < 0.05 * bad);
    netsim_destroy(sim);
}

/* Records every decision and delivery of a fixed input. */
struct trace {
    int submit[5000];
    uint64_t due[12000];
    uint32_t index[12000];
    size_t n_due;
};

static void run_trace(const struct netsim_model *m, uint64_t seed, struct trace *t)
{
    struct netsim *sim = new_sim(m, m, seed);
    unsigned char buf[64];
    memset(t, 0, sizeof *t);
    for (uint32_t i = 0; i < 5000; i++) {
        put_index(buf, i);
        t->submit[i] = netsim_submit(sim, (enum netsim_dir)(i % 2), i % 7, buf, 16 + i % 48,
                                     (uint64_t)i * 500);
        struct netsim_datagram dg;
        while (netsim_next_due(sim, (uint64_t)i * 500, &dg)) {
            assert_true(t->n_due < 12000);
            t->due[t->n_due] = dg.due_us;
            t->index[t->n_due++] = get_index(dg.bytes);
        }
    }
    netsim_destroy(sim);
}

static void seeded_reproducibility(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.loss_pct = 5;
    m.ge_p_pct = 2;
    m.ge_r_pct = 30;
    m.ge_loss_bad_pct = 80;
    m.dup_pct = 3;
    m.delay_ms = 10;
    m.jitter_ms = 8;
    m.reorder = 1;
    struct trace *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);

    run_trace(&m, 42, a);
    run_trace(&m, 42, b);
    assert_memory_equal(a, b, sizeof *a);
    assert_true(a->n_due > 4000);

    run_trace(&m, 43, b);
    assert_true(memcmp(a->submit, b->submit, sizeof a->submit) != 0);
    assert_true(memcmp(a->due, b->due, sizeof a->due) != 0);

    /* Each model step has its own generator: more jitter moves delivery
     * times but does not change which datagrams are lost or duplicated. */
    m.jitter_dist = NETSIM_JITTER_NORMAL;
    m.jitter_ms = 3;
    run_trace(&m, 42, b);
    assert_memory_equal(a->submit, b->submit, sizeof a->submit);
    assert_true(memcmp(a->due, b->due, sizeof a->due) != 0);
    free(a);
    free(b);
}

/* Submits one datagram per ms for n ms with m on the up direction and
 * checks the delivery order; returns the number of late arrivals seen. */
static uint64_t order_run(const struct netsim_model *m, uint32_t n, uint64_t *counter)
{
    struct netsim *sim = new_sim(m, NULL, 9);
    unsigned char buf[4];
    uint64_t late = 0, delivered = 0;
    int64_t highest = -1;
    struct netsim_datagram dg;
    for (uint64_t t = 0; t < (uint64_t)n + 1000; t++) {
        if (t < n) {
            put_index(buf, (uint32_t)t);
            assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, t * MS), 1);
        }
        while (netsim_next_due(sim, t * MS, &dg)) {
            uint32_t i = get_index(dg.bytes);
            assert_true(dg.due_us <= t * MS);
            assert_int_equal(dg.entry_us, (uint64_t)i * MS);
            if ((int64_t)i < highest)
                late++;
            else
                highest = i;
            delivered++;
        }
    }
    assert_int_equal(delivered, n);
    assert_int_equal(netsim_pending(sim, NETSIM_UP), 0);
    assert_int_equal(netsim_next_deadline(sim), UINT64_MAX);
    *counter = netsim_counters(sim, NETSIM_UP)->reordered;
    netsim_destroy(sim);
    return late;
}

static void delivery_order(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.delay_ms = 20;
    m.jitter_ms = 15;
    uint64_t counted;

    /* Without --reorder jitter never lets a datagram overtake another. */
    m.reorder = 0;
    assert_int_equal(order_run(&m, 5000, &counted), 0);
    assert_int_equal(counted, 0);

    /* With it, a datagram 1 ms younger but 15 ms faster arrives first. */
    m.reorder = 1;
    uint64_t late = order_run(&m, 5000, &counted);
    assert_true(late > 500);
    assert_int_equal(counted, late);

    /* Constant delay never reorders, even when allowed. */
    m.jitter_ms = 0;
    assert_int_equal(order_run(&m, 2000, &counted), 0);
    assert_int_equal(counted, 0);
}

static void delay_bounds(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.delay_ms = 50;
    m.jitter_ms = 10;
    m.reorder = 1; /* nothing raised to keep order: the raw distribution */
    const int dists[] = {NETSIM_JITTER_UNIFORM, NETSIM_JITTER_NORMAL, NETSIM_JITTER_PARETO,
                         NETSIM_JITTER_PARETONORMAL};
    for (int k = 0; k < 4; k++) {
        m.jitter_dist = dists[k];
        struct netsim *sim = new_sim(NULL, &m, 11);
        unsigned char buf[4] = {0};
        const uint32_t n = 50000;
        double sum = 0, sumsq = 0;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (uint32_t i = 0; i < n; i++)
            assert_int_equal(netsim_submit(sim, NETSIM_DOWN, 1, buf, sizeof buf, 1000000), 1);
        assert_int_equal(netsim_pending(sim, NETSIM_DOWN), n);
        assert_true(netsim_next_deadline(sim) >= 1000000 + 10 * MS); /* 4 sigma */
        struct netsim_datagram dg;
        uint64_t prev_due = 0, got = 0;
        while (netsim_next_due(sim, UINT64_MAX, &dg)) {
            uint64_t d = dg.due_us - dg.entry_us;
            assert_true(dg.due_us >= prev_due); /* the heap hands out in time order */
            prev_due = dg.due_us;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            sum += (double)d;
            sumsq += (double)d * (double)d;
            got++;
        }
        assert_int_equal(got, n);
        double mean = sum / n, sd = sqrt(sumsq / n - mean * mean);
        const struct netsim_counters *c = netsim_counters(sim, NETSIM_DOWN);
        assert_int_equal(c->delay_us.total, n);
        assert_true(fabs(mean - 50000) < 600); /* every distribution: mean 0 */
        if (dists[k] == NETSIM_JITTER_UNIFORM) {
            assert_true(lo >= 40000 && hi <= 60000);
            assert_true(lo < 40200 && hi > 59800); /* the whole range is used */
            assert_true(fabs(sd - 10000 / sqrt(3)) < 200);
        } else if (dists[k] == NETSIM_JITTER_NORMAL) {
            assert_true(lo >= 10000 && hi <= 90000); /* clamped at 4 sigma */
            assert_true(fabs(sd - 10000) < 300);
        } else if (dists[k] == NETSIM_JITTER_PARETO) {
            /* shape 3, standardized: never more than 0.58 sigma early, a long late tail */
            assert_true(lo >= 44200 && hi <= 90000);
            assert_true(hi > 85000);
            assert_true(sd > 6500 && sd < 8500); /* the clamp trims the tail */
        } else {
            assert_true(lo >= 10000 && hi <= 90000);
            assert_true(sd > 8000 && sd < 10500);
            assert_true(hi - 50000 > 50000 - lo); /* the pareto part leans late */
        }
        assert_true(c->delay_us.min >= lo && c->delay_us.max <= hi + hi / 1000);
        netsim_destroy(sim);
    }

    /* Jitter larger than the delay: clamped at zero, never in the past. */
    m.delay_ms = 2;
    m.jitter_ms = 5;
    m.jitter_dist = NETSIM_JITTER_UNIFORM;
    struct netsim *sim = new_sim(&m, NULL, 12);
    unsigned char buf[4] = {0};
    for (uint32_t i = 0; i < 1000; i++)
        netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, 5000000);
    struct netsim_datagram dg;
    uint64_t zero = 0;
    while (netsim_next_due(sim, UINT64_MAX, &dg)) {
        assert_true(dg.due_us >= 5000000 && dg.due_us <= 5000000 + 7 * MS);
        zero += dg.due_us == 5000000;
    }
    assert_true(zero > 200); /* 3 of 10 ms of the range are below zero */
    netsim_destroy(sim);
}

/* netem's correlation: each draw depends C% on the one before. Losses
 * come in longer runs at the same rate (50%: the mixing keeps it), and
 * successive delays differ less. */
static void netem_correlation(void **state)
{
    (void)state;
    double run_len[2], step[2];
    const double corr[] = {0, 90};
    for (int k = 0; k < 2; k++) {
        struct netsim_model m;
        netsim_model_default(&m);
        m.loss_pct = 50;
        m.loss_corr_pct = corr[k];
        struct netsim *sim = new_sim(&m, NULL, 21);
        unsigned char buf[4] = {0};
        uint64_t runs = 0, lost = 0;
        bool prev = false;
        for (uint32_t i = 0; i < 100000; i++) {
            bool gone = netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, i) == 0;
            runs += gone && !prev;
            lost += gone;
            prev = gone;
        }
        assert_true(lost > 45000 && lost < 55000);
        run_len[k] = (double)lost / (double)runs;
        netsim_destroy(sim);

        netsim_model_default(&m);
        m.delay_ms = 50;
        m.jitter_ms = 10;
        m.reorder = 1;
        m.delay_corr_pct = corr[k];
        sim = new_sim(&m, NULL, 22);
        struct netsim_datagram dg;
        double sum = 0;
        int64_t last = -1;
        for (uint32_t i = 0; i < 10000; i++) {
            put_index(buf, i);
            netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, 1000000);
        }
        /* in submit order: the draws' order */
        int64_t *delay = calloc(10000, sizeof *delay);
        while (netsim_next_due(sim, UINT64_MAX, &dg))
            delay[get_index(dg.bytes)] = (int64_t)(dg.due_us - dg.entry_us);
        for (uint32_t i = 0; i < 10000; i++) {
            if (last >= 0)
                sum += fabs((double)(delay[i] - last));
            last = delay[i];
        }
        step[k] = sum / 9999;
        free(delay);
        netsim_destroy(sim);
    }
    assert_true(run_len[0] > 1.8 && run_len[0] < 2.2); /* independent: 1 / (1 - 0.5) */
    assert_true(run_len[1] > 2 * run_len[0]);
    assert_true(step[1] < step[0] / 3);
}

/* netem's corrupt: one bit of one byte flipped, the copy still forwarded;
 * corrupt_at and corrupt_bit give the original back. */
static void corruption_model(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.corrupt_pct = 10;
    struct netsim *sim = new_sim(&m, NULL, 23);
    unsigned char buf[16];
    uint64_t bad = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        memset(buf, 0xA5, sizeof buf);
        put_index(buf, i);
        assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, i), 1);
    }
    struct netsim_datagram dg;
    while (netsim_next_due(sim, UINT64_MAX, &dg)) {
        unsigned char orig[16];
        memcpy(orig, dg.bytes, sizeof orig);
        if (dg.corrupt_at >= 0) {
            assert_true(dg.corrupt_at < 16 && dg.corrupt_bit < 8);
            orig[dg.corrupt_at] ^= (unsigned char)(1u << dg.corrupt_bit);
            bad++;
        }
        unsigned char want[16];
        memset(want, 0xA5, sizeof want);
        memcpy(want, orig, 4); /* the index, as restored */
        assert_memory_equal(orig, want, sizeof want);
    }
    assert_true(bad > 1800 && bad < 2200);
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->corrupted, bad);
    assert_balanced(sim, NETSIM_UP);
    netsim_destroy(sim);
}

/* netem's reorder P gap G: after G - 1 delayed datagrams the next goes at
 * once with probability P, and the count starts again. At 100% every Gth
 * datagram overtakes the ones held, even without --reorder. */
static void reorder_with_gap(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.delay_ms = 10;
    m.reorder_pct = 100;
    m.reorder_gap = 5;
    struct netsim *sim = new_sim(&m, NULL, 24);
    unsigned char buf[4];
    for (uint32_t i = 0; i < 1000; i++) {
        put_index(buf, i);
        netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, (uint64_t)i * 100);
    }
    struct netsim_datagram dg;
    while (netsim_next_due(sim, UINT64_MAX, &dg)) {
        uint32_t i = get_index(dg.bytes);
        bool at_once = (i + 1) % 5 == 0;
        assert_int_equal(dg.due_us - dg.entry_us, at_once ? 0 : 10 * MS);
    }
    const struct netsim_counters *c = netsim_counters(sim, NETSIM_UP);
    assert_int_equal(c->sent_at_once, 200);
    assert_true(c->reordered >= 190); /* each overtook the ones held */
    netsim_destroy(sim);

    /* gap 1, 25%: about a quarter go at once */
    m.reorder_pct = 25;
    m.reorder_gap = 1;
    sim = new_sim(&m, NULL, 25);
    for (uint32_t i = 0; i < 20000; i++)
        netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, (uint64_t)i * 100);
    uint64_t quick = netsim_counters(sim, NETSIM_UP)->sent_at_once;
    assert_true(quick > 4600 && quick < 5400);
    netsim_destroy(sim);

    /* as netem: reordering needs a delay; a gap is at least 1 */
    char err[128];
    m.delay_ms = 0;
    assert_int_equal(netsim_model_check(&m, err, sizeof err), -1);
    assert_non_null(strstr(err, "needs a delay"));
    m.delay_ms = 10;
    m.reorder_gap = 0;
    assert_int_equal(netsim_model_check(&m, err, sizeof err), -1);
}

static void duplication_model(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.dup_pct = 5;
    struct netsim *sim = new_sim(&m, NULL, 21);
    unsigned char buf[16];
    const uint32_t n = 100000;
    uint64_t twos = 0, pairs = 0;
    for (uint32_t i = 0; i < n; i++) {
        put_index(buf, i);
        int r = netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, i * MS);
        twos += r == 2;
        struct netsim_datagram dg;
        uint32_t seen[2];
        int k = 0;
        while (netsim_next_due(sim, i * MS, &dg)) {
            assert_true(k < 2);
            assert_int_equal(dg.len, sizeof buf);
            seen[k++] = get_index(dg.bytes);
        }
        assert_int_equal(k, r);
        if (k == 2 && seen[0] == i && seen[1] == i)
            pairs++;
    }
    const struct netsim_counters *c = netsim_counters(sim, NETSIM_UP);
    assert_int_equal(c->duplicated, twos);
    assert_int_equal(pairs, twos);
    assert_int_equal(c->forwarded, n + twos);
    assert_int_equal(c->reordered, 0); /* a copy is not a reordering */
    assert_true(fabs(100.0 * (double)twos / n - 5.0) < 0.3);
    assert_balanced(sim, NETSIM_UP);
    netsim_destroy(sim);
}

static void rate_limit(void **state)
{
    (void)state;
    /* 1000 kbit/s: a 1250-byte datagram occupies the link for 10 ms. */
    struct netsim_model m;
    netsim_model_default(&m);
    m.rate_kbps = 1000;
    m.queue_packets = 10;
    struct netsim *sim = new_sim(&m, NULL, 31);
    static unsigned char buf[1250];
    const uint32_t n = 2000; /* one every 5 ms: twice what the link carries */
    uint64_t prev_due = 0, first_due = 0, delivered = 0, max_delay = 0;
    struct netsim_datagram dg;
    for (uint64_t t = 0; t < 12000; t++) {
        if (t % 5 == 0 && t / 5 < n)
            netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, t * MS);
        while (netsim_next_due(sim, t * MS, &dg)) {
            if (delivered++ == 0)
                first_due = dg.due_us;
            else
                assert_true(dg.due_us - prev_due >= 10 * MS); /* never faster than the link */
            prev_due = dg.due_us;
            uint64_t d = dg.due_us - dg.entry_us;
            max_delay = d > max_delay ? d : max_delay;
        }
    }
    const struct netsim_counters *c = netsim_counters(sim, NETSIM_UP);
    assert_int_equal(c->received, n);
    assert_int_equal(c->forwarded, delivered);
    /* Throughput: bytes over the delivery span stay at or below the rate. */
    double kbps = (double)(delivered - 1) * 1250 * 8 / (double)(prev_due - first_due) * 1000;
    assert_true(kbps <= 1000.5 && kbps > 990);
    /* The link is saturated the whole 10 s: about half gets through. */
    assert_true(delivered >= 995 && delivered <= 1012);
    assert_int_equal(c->dropped_queue, n - delivered);
    /* Queueing delay is bounded by the queue: 10 datagrams of 10 ms. */
    assert_true(max_delay <= 100 * MS + 1);
    assert_true(max_delay >= 90 * MS);
    assert_balanced(sim, NETSIM_UP);
    netsim_destroy(sim);

    /* Byte limit: 5000 bytes hold at most 4 datagrams of 1250. Under the
     * rate nothing is dropped and each waits exactly its own send time. */
    m.queue_packets = 0;
    m.queue_bytes = 5000;
    sim = new_sim(&m, NULL, 32);
    for (int i = 0; i < 6; i++)
        netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, 0);
    c = netsim_counters(sim, NETSIM_UP);
    assert_int_equal(netsim_pending(sim, NETSIM_UP), 4);
    assert_int_equal(c->dropped_queue, 2);
    assert_int_equal(netsim_next_deadline(sim), 10 * MS);
    assert_int_equal(drain(sim, 40 * MS), 4);
    for (uint64_t t = 100; t < 1100; t += 20)
        assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, buf, sizeof buf, t * MS), 1);
    while (netsim_next_due(sim, UINT64_MAX, &dg))
        assert_int_equal(dg.due_us - dg.entry_us, 10 * MS);
    assert_int_equal(c->dropped_queue, 2);
    assert_balanced(sim, NETSIM_UP);
    netsim_destroy(sim);
}

/* netsim_each_pending: every pending copy, once, untouched. */
static void count_pending(void *ctx, const struct netsim_datagram *dg)
{
    uint64_t *per_dir = ctx;
    assert_true(dg->len >= 40 && dg->due_us >= dg->entry_us);
    per_dir[dg->dir]++;
}

static void counters_add_up(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.loss_pct = 3;
    m.ge_p_pct = 1;
    m.ge_r_pct = 20;
    m.ge_loss_bad_pct = 70;
    m.dup_pct = 4;
    m.delay_ms = 30;
    m.jitter_ms = 20;
    m.reorder = 1;
    m.rate_kbps = 400;
    m.queue_packets = 8;
    m.max_pending = 30;
    struct netsim *sim = new_sim(&m, &m, 41);
    static unsigned char buf[1200];
    struct netsim_datagram dg;
    uint64_t per_dir[NETSIM_DIRS] = {0};
    for (uint32_t i = 0; i < 20000; i++) {
        enum netsim_dir dir = (enum netsim_dir)(i % 3 == 0);
        netsim_submit(sim, dir, i % 5, buf, 40 + (i * 37) % 1100, (uint64_t)i * 2 * MS);
        while (netsim_next_due(sim, (uint64_t)i * 2 * MS, &dg)) {
            assert_true(dg.flow < 5);
            per_dir[dg.dir]++;
        }
        if (i % 1000 == 0) {
            assert_balanced(sim, NETSIM_UP);
            assert_balanced(sim, NETSIM_DOWN);
        }
    }
    for (int d = 0; d < NETSIM_DIRS; d++) {
        const struct netsim_counters *c = netsim_counters(sim, (enum netsim_dir)d);
        assert_int_equal(c->forwarded, per_dir[d]);
        assert_true(c->dropped_loss > 0 && c->dropped_burst > 0 && c->dropped_queue > 0);
        assert_true(c->duplicated > 0 && c->reordered > 0);
        assert_true(netsim_pending(sim, (enum netsim_dir)d) > 0);
        assert_balanced(sim, (enum netsim_dir)d);
    }
    uint64_t pending_up = netsim_pending(sim, NETSIM_UP), seen[NETSIM_DIRS] = {0};
    netsim_each_pending(sim, count_pending, seen);
    assert_int_equal(seen[NETSIM_UP], pending_up);
    assert_int_equal(seen[NETSIM_DOWN], netsim_pending(sim, NETSIM_DOWN));
    assert_int_equal(netsim_pending(sim, NETSIM_UP), pending_up); /* nothing taken out */
    netsim_discard(sim);
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->discarded, pending_up);
    assert_int_equal(netsim_pending(sim, NETSIM_UP) + netsim_pending(sim, NETSIM_DOWN), 0);
    assert_int_equal(netsim_next_due(sim, UINT64_MAX, &dg), 0);
    assert_balanced(sim, NETSIM_UP);
    assert_balanced(sim, NETSIM_DOWN);
    netsim_destroy(sim);

    /* max_pending bounds the delay line. */
    netsim_model_default(&m);
    m.delay_ms = 100;
    m.max_pending = 5;
    sim = new_sim(&m, NULL, 42);
    for (int i = 0; i < 10; i++)
        netsim_submit(sim, NETSIM_UP, 0, buf, 10, 0);
    assert_int_equal(netsim_pending(sim, NETSIM_UP), 5);
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->dropped_overflow, 5);
    assert_int_equal(drain(sim, 99 * MS), 0);
    assert_int_equal(drain(sim, 100 * MS), 5);
    assert_balanced(sim, NETSIM_UP);
    netsim_destroy(sim); /* frees nothing pending; destroy with pending is below */

    sim = new_sim(&m, NULL, 43);
    netsim_submit(sim, NETSIM_UP, 0, buf, 10, 0);
    netsim_destroy(sim); /* ASan checks the pending copy is freed */
}

/* A model replaced while the simulator runs: what comes after meets the
 * new one, what it holds keeps its delivery time; a bad model changes
 * nothing; the settings read back by the options' names. */
static void model_changed_while_running(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.delay_ms = 10;
    struct netsim *sim = new_sim(&m, &m, 3);
    unsigned char buf[8] = {0};
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 1, buf, sizeof buf, 0), 1);
    struct netsim_model next[NETSIM_DIRS] = {m, m};
    next[NETSIM_UP].delay_ms = 50;
    next[NETSIM_UP].loss_pct = 100;
    char err[128];
    assert_int_equal(netsim_set_models(sim, next, err, sizeof err), 0);
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 1, buf, sizeof buf, 1 * MS), 0); /* lost */
    assert_int_equal(netsim_submit(sim, NETSIM_DOWN, 1, buf, sizeof buf, 1 * MS), 1);
    struct netsim_datagram dg;
    assert_int_equal(netsim_next_due(sim, 10 * MS, &dg), 1);
    assert_int_equal(dg.due_us, 10 * MS); /* held before the change: its time kept */
    assert_int_equal(netsim_next_due(sim, 11 * MS, &dg), 1);
    assert_int_equal(dg.dir, NETSIM_DOWN);
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->dropped_loss, 1);

    next[NETSIM_DOWN].loss_pct = 200;
    assert_int_equal(netsim_set_models(sim, next, err, sizeof err), -1);
    assert_non_null(strstr(err, "loss"));
    assert_true(netsim_model_of(sim, NETSIM_DOWN)->loss_pct == 0); /* unchanged */
    assert_true(netsim_model_of(sim, NETSIM_UP)->delay_ms == 50);

    char value[64];
    const char *name;
    size_t n = 0;
    bool saw_delay = false;
    for (; (name = netsim_model_field(netsim_model_of(sim, NETSIM_UP), n, value, sizeof value));
         n++)
        saw_delay |= !strcmp(name, "delay") && !strcmp(value, "50");
    assert_true(saw_delay && n > 10);
    assert_null(netsim_model_field(&m, n, value, sizeof value));
    netsim_destroy(sim);
}

/* A burst in progress when a model without bursts replaces the chain's
 * ends there: the new model's ge-r (0) would otherwise hold the chain in
 * its bad state, losing everything, until bursts came back. */
static void a_model_without_bursts_ends_a_burst(void **state)
{
    (void)state;
    struct netsim_model ge;
    netsim_model_default(&ge);
    ge.ge_p_pct = 100; /* bad at once */
    ge.ge_r_pct = 1;
    ge.ge_loss_bad_pct = 100; /* ricochet-netsim's default, as every model it is given has */
    struct netsim *sim = new_sim(&ge, &ge, 5);
    unsigned char buf[8] = {0};
    uint32_t seq = 1;
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 1, buf, sizeof buf, 0), 0);
    assert_int_equal(netsim_submit_paired(sim, NETSIM_DOWN, 1, buf, sizeof buf, 0, &seq, 1), 0);
    struct netsim_model plain[NETSIM_DIRS];
    netsim_model_default(&plain[NETSIM_UP]);
    plain[NETSIM_UP].ge_loss_bad_pct = 100;
    plain[NETSIM_DOWN] = plain[NETSIM_UP];
    char err[128];
    assert_int_equal(netsim_set_models(sim, plain, err, sizeof err), 0);
    for (seq = 2; seq < 50; seq++) {
        assert_int_equal(netsim_submit(sim, NETSIM_UP, 1, buf, sizeof buf, seq * MS), 1);
        assert_int_equal(netsim_submit_paired(sim, NETSIM_DOWN, 1, buf, sizeof buf, seq * MS,
                                              &seq, 1), 1);
    }
    netsim_destroy(sim);
}

/* Paired loss: two flows carrying the same sequence numbers lose exactly
 * the same ones, at about the rate asked, whatever else comes between;
 * the other direction loses others; bursts too are the same in both, a
 * run of numbers; a datagram without states draws as ever. */
static void paired_loss_is_the_same_for_every_flow(void **state)
{
    (void)state;
    struct netsim_model m;
    netsim_model_default(&m);
    m.loss_pct = 10;
    struct netsim *sim = new_sim(&m, &m, 21);
    unsigned char buf[8] = {0};
    enum { N = 4000 };
    static bool lost[2][N], lost_down[N];
    int n_lost = 0, differ_down = 0;
    for (uint32_t seq = 1; seq <= N; seq++) {
        for (int f = 0; f < 2; f++) {
            /* flow 1 sends an acknowledgement-like datagram first: draws */
            if (f == 1 && seq % 3 == 0)
                netsim_submit_paired(sim, NETSIM_UP, 1, buf, sizeof buf, seq, NULL, 0);
            lost[f][seq - 1] = netsim_submit_paired(sim, NETSIM_UP, (uint64_t)f, buf, sizeof buf,
                                                    seq, &seq, 1) == 0;
        }
        lost_down[seq - 1] = netsim_submit_paired(sim, NETSIM_DOWN, 0, buf, sizeof buf, seq, &seq,
                                                  1) == 0;
        assert_int_equal(lost[0][seq - 1], lost[1][seq - 1]);
        n_lost += lost[0][seq - 1];
        differ_down += lost_down[seq - 1] != lost[0][seq - 1];
    }
    print_message("paired: %d of %d lost in both flows; down differs on %d\n", n_lost, N,
                  differ_down);
    assert_true(n_lost > N / 10 - 80 && n_lost < N / 10 + 80); /* 10%, within 4 sd */
    assert_true(differ_down > N / 10); /* the down hash is another */
    const struct netsim_counters *c = netsim_counters(sim, NETSIM_UP);
    assert_int_equal(c->paired_states, 2 * N);
    assert_int_equal(c->paired_lost, 2 * (uint64_t)n_lost);
    assert_int_equal(c->paired, 2 * N);
    assert_true(c->dropped_loss >= 2 * (uint64_t)n_lost); /* plus the unpaired draws' */
    netsim_destroy(sim);

    /* bursts: the chain steps per number, so both flows meet the same runs */
    netsim_model_default(&m);
    m.ge_p_pct = 2;
    m.ge_r_pct = 25;
    m.ge_loss_bad_pct = 100;
    sim = new_sim(&m, &m, 22);
    int runs = 0, burst_lost = 0;
    for (uint32_t seq = 1; seq <= N; seq++) {
        for (int f = 0; f < 2; f++)
            lost[f][seq - 1] = netsim_submit_paired(sim, NETSIM_UP, (uint64_t)f, buf, sizeof buf,
                                                    seq, &seq, 1) == 0;
        assert_int_equal(lost[0][seq - 1], lost[1][seq - 1]);
        burst_lost += lost[0][seq - 1];
        runs += lost[0][seq - 1] && (seq == 1 || !lost[0][seq - 2]);
    }
    print_message("paired bursts: %d lost in %d runs\n", burst_lost, runs);
    assert_true(runs > 20 && burst_lost > 2 * runs); /* runs of about 4 (1 / 25%) */
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->dropped_burst, 2 * (uint64_t)burst_lost);
    /* a datagram of two states: lost if either is */
    uint32_t two[2] = {N + 1, N + 2};
    bool one = netsim_submit_paired(sim, NETSIM_DOWN, 0, buf, sizeof buf, N, &two[0], 1) == 0;
    bool other = netsim_submit_paired(sim, NETSIM_DOWN, 1, buf, sizeof buf, N, &two[1], 1) == 0;
    bool both = netsim_submit_paired(sim, NETSIM_DOWN, 2, buf, sizeof buf, N, two, 2) == 0;
    assert_int_equal(both, one || other);
    netsim_destroy(sim);
}

static void bad_input(void **state)
{
    (void)state;
    struct netsim *sim = new_sim(NULL, NULL, 1);
    static unsigned char big[NETSIM_MAX_DATAGRAM + 1];
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, big, 0, 0), -1);
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, big, sizeof big, 0), -1);
    assert_int_equal(netsim_counters(sim, NETSIM_UP)->received, 0);
    assert_int_equal(netsim_submit(sim, NETSIM_UP, 0, big, NETSIM_MAX_DATAGRAM, 0), 1);
    struct netsim_datagram dg;
    assert_int_equal(netsim_next_due(sim, 0, &dg), 1);
    assert_int_equal(dg.len, NETSIM_MAX_DATAGRAM);
    netsim_destroy(sim);
    netsim_destroy(NULL);

    struct netsim_model m[NETSIM_DIRS];
    netsim_model_default(&m[0]);
    netsim_model_default(&m[1]);
    char err[128];
    assert_int_equal(netsim_model_check(&m[0], err, sizeof err), 0);
    m[1].loss_pct = 101;
    assert_int_equal(netsim_model_check(&m[1], err, sizeof err), -1);
    assert_non_null(strstr(err, "loss"));
    assert_null(netsim_create(m, 1));
    m[1].loss_pct = NAN;
    assert_null(netsim_create(m, 1));
    m[1].loss_pct = 0;
    m[1].jitter_ms = -1;
    assert_null(netsim_create(m, 1));
    m[1].jitter_ms = 0;
    m[1].jitter_dist = 7;
    assert_null(netsim_create(m, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_rate),
        cmocka_unit_test(gilbert_elliott_bursts),
        cmocka_unit_test(seeded_reproducibility),
        cmocka_unit_test(delivery_order),
        cmocka_unit_test(delay_bounds),
        cmocka_unit_test(netem_correlation),
        cmocka_unit_test(corruption_model),
        cmocka_unit_test(reorder_with_gap),
        cmocka_unit_test(duplication_model),
        cmocka_unit_test(rate_limit),
        cmocka_unit_test(counters_add_up),
        cmocka_unit_test(model_changed_while_running),
        cmocka_unit_test(a_model_without_bursts_ends_a_burst),
        cmocka_unit_test(paired_loss_is_the_same_for_every_flow),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
