/* bench_repeat.c: --repeat N. One 5-second run is one sample of a noisy
 * machine (a rerun of the README's reliable p99 at 5 % loss gave 111 ms
 * against 72): a scenario run N times is reported as the median of each
 * figure with its min-max. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

enum figure_kind {
    FIG_DOUBLE,    /* a double, reported as it is */
    FIG_DOUBLE_US, /* a double in µs, reported in ms */
    FIG_U64_US     /* a uint64_t in µs, reported in ms */
};

static const struct {
    const char *name;
    size_t offset;
    enum figure_kind kind;
} figures[BENCH_F_COUNT] = {
    [BENCH_F_LOST] = {"lost_pct", offsetof(struct bench_result, lost_pct), FIG_DOUBLE},
    [BENCH_F_P50] = {"p50_ms", offsetof(struct bench_result, p50_us), FIG_U64_US},
    [BENCH_F_P90] = {"p90_ms", offsetof(struct bench_result, p90_us), FIG_U64_US},
    [BENCH_F_P99] = {"p99_ms", offsetof(struct bench_result, p99_us), FIG_U64_US},
    [BENCH_F_P999] = {"p999_ms", offsetof(struct bench_result, p999_us), FIG_U64_US},
    [BENCH_F_MAX] = {"max_ms", offsetof(struct bench_result, max_us), FIG_U64_US},
    [BENCH_F_MEAN] = {"mean_ms", offsetof(struct bench_result, mean_us), FIG_DOUBLE_US},
    [BENCH_F_JITTER] = {"jitter_ms_measured", offsetof(struct bench_result, jitter_us),
                        FIG_DOUBLE_US},
    [BENCH_F_RELAY_CPU] = {"relay_cpu_pct", offsetof(struct bench_result, relay_cpu_pct),
                           FIG_DOUBLE},
    [BENCH_F_BENCH_CPU] = {"bench_cpu_pct", offsetof(struct bench_result, bench_cpu_pct),
                           FIG_DOUBLE},
    [BENCH_F_BYTES] = {"bytes_per_msg", offsetof(struct bench_result, bytes_per_msg),
                       FIG_DOUBLE},
    [BENCH_F_LATE99] = {"send_late_p99_ms", offsetof(struct bench_result, late_p99_us),
                        FIG_U64_US},
    [BENCH_F_RELAY_US] = {"relay_us_per_delivery", offsetof(struct bench_result,
                                                           relay_us_per_delivery), FIG_DOUBLE},
    [BENCH_F_JOIN50] = {"join_p50_ms", offsetof(struct bench_result, join_p50_us), FIG_U64_US},
    [BENCH_F_JOIN99] = {"join_p99_ms", offsetof(struct bench_result, join_p99_us), FIG_U64_US},
    [BENCH_F_REJOIN] = {"rejoin_ms", offsetof(struct bench_result, rejoin_us),
                          FIG_U64_US},
    [BENCH_F_RECOVERY] = {"recovery_ms", offsetof(struct bench_result, recovery_ms),
                          FIG_DOUBLE},
    [BENCH_F_BPS] = {"wire_bps", offsetof(struct bench_result, wire_bps), FIG_DOUBLE},
    [BENCH_F_GAP] = {"max_gap_ms", offsetof(struct bench_result, max_gap_us), FIG_U64_US},
    [BENCH_F_REDIS_CALLS] = {"redis_calls_per_relay_s",
                             offsetof(struct bench_result, redis_calls_s), FIG_DOUBLE},
    [BENCH_F_NEW_OUT] = {"new_rooms_out_ms", offsetof(struct bench_result, new_rooms_out_ms),
                         FIG_DOUBLE},
    [BENCH_F_NEW_WAIT] = {"new_room_wait_ms", offsetof(struct bench_result, new_room_wait_ms),
                          FIG_DOUBLE},
};

const char *bench_figure_name(enum bench_figure f)
{
    return f >= 0 && f < BENCH_F_COUNT ? figures[f].name : "?";
}

double bench_figure(const struct bench_result *r, enum bench_figure f)
{
    const char *field = (const char *)r + figures[f].offset;
    double d;
    uint64_t u;
    switch (figures[f].kind) {
    case FIG_DOUBLE: memcpy(&d, field, sizeof d); return d;
    case FIG_DOUBLE_US: memcpy(&d, field, sizeof d); return d / 1000.0;
    case FIG_U64_US: memcpy(&u, field, sizeof u); return (double)u / 1000.0;
    }
    return 0;
}

static void set_figure(struct bench_result *r, enum bench_figure f, double v)
{
    char *field = (char *)r + figures[f].offset;
    double d = figures[f].kind == FIG_DOUBLE ? v : v * 1000.0;
    uint64_t u = (uint64_t)(v * 1000.0 + 0.5);
    if (figures[f].kind == FIG_U64_US)
        memcpy(field, &u, sizeof u);
    else
        memcpy(field, &d, sizeof d);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A run that measured something: it counts towards the medians. */
static bool measured(const struct bench_result *r)
{
    return r->expected > 0;
}

/* Each figure's median over the measured runs into out, min-max into
 * out->spread. Returns how many runs were measured. */
static size_t take_medians(const struct bench_result *runs, size_t n, struct bench_result *out)
{
    double v[n ? n : 1];
    size_t good = 0;
    for (int f = 0; f < BENCH_F_COUNT; f++) {
        good = 0;
        for (size_t i = 0; i < n; i++)
            if (measured(&runs[i]))
                v[good++] = bench_figure(&runs[i], (enum bench_figure)f);
        if (!good) {
            out->spread.min[f] = out->spread.max[f] = bench_figure(out, (enum bench_figure)f);
            continue;
        }
        qsort(v, good, sizeof v[0], by_value);
        double median = good % 2 ? v[good / 2] : (v[good / 2 - 1] + v[good / 2]) / 2;
        set_figure(out, (enum bench_figure)f, median);
        out->spread.min[f] = v[0];
        out->spread.max[f] = v[good - 1];
    }
    return good;
}

/* Counts summed, peaks as the largest, the rest (ENet's view, CPU seconds)
 * as the mean of the measured runs. */
static void pool(const struct bench_result *x, struct bench_result *out, size_t good)
{
    out->sent += x->sent;
    out->send_errors += x->send_errors;
    out->expected += x->expected;
    out->delivered += x->delivered;
    out->duplicates += x->duplicates;
    out->reordered += x->reordered;
    out->too_old += x->too_old;
    out->disconnects += x->disconnects;
    out->connect_retries += x->connect_retries;
    out->wire_bytes += x->wire_bytes;
    out->wire_datagrams += x->wire_datagrams;
    out->relay_drops += x->relay_drops;
    out->split_rooms += x->split_rooms;
    out->moved += x->moved;
    out->probes += x->probes;
    out->new_refused += x->new_refused;
    out->held_twice += x->held_twice;
    out->jitter_pairs += x->jitter_pairs;
    if (x->clock_bound_us > out->clock_bound_us)
        out->clock_bound_us = x->clock_bound_us;
    if (x->relay_peak_rss_kb > out->relay_peak_rss_kb)
        out->relay_peak_rss_kb = x->relay_peak_rss_kb;
    if (x->rooms_below > out->rooms_below)
        out->rooms_below = x->rooms_below;
    if (x->worst_room_pct < out->worst_room_pct)
        out->worst_room_pct = x->worst_room_pct;
    if (measured(x) && good) {
        out->enet_rtt_ms += x->enet_rtt_ms / (double)good;
        out->enet_loss_pct += x->enet_loss_pct / (double)good;
        out->relay_cpu_s += x->relay_cpu_s / (double)good;
        out->loss_diff_pct += x->loss_diff_pct / (double)good;
    }
    for (int side = 0; side < 2 && x->tcp.valid; side++)
        for (int k = 0; k < BENCH_TCP_COUNTERS; k++)
            out->tcp.n[side][k] += x->tcp.n[side][k];
    for (int d = 0; d < 2 && x->truth.valid; d++) {
        out->truth.received[d] += x->truth.received[d];
        out->truth.dropped[d] += x->truth.dropped[d];
        out->truth.duplicated[d] += x->truth.duplicated[d];
        out->truth.reordered[d] += x->truth.reordered[d];
    }
    if (!x->ok && out->ok) {
        out->ok = false;
        memcpy(out->error, x->error, sizeof out->error);
    }
}

/* The audits of the runs as one: every count summed, the listed states of
 * the first runs while room is left; audited only if every run was. */
static void pool_audit(const struct audit_result *x, struct audit_result *out, bool first)
{
    if (first) {
        *out = *x;
        return;
    }
    if (!x->done && out->done) {
        out->done = false;
        memcpy(out->skipped, x->skipped, sizeof out->skipped);
    }
    uint64_t *sum[] = {&out->missed, &out->up, &out->down, &out->corrupt, &out->too_old,
                       &out->enet_window, &out->overflow, &out->stale, &out->late,
                       &out->sender_queue, &out->relay_queue, &out->relay_queued,
                       &out->unexplained, &out->netsim_dropped, &out->not_sent,
                       &out->socket_drops, &out->relay_stale, &out->state_drops,
                       &out->retransmitted, &out->redundant, &out->unretransmitted,
                       &out->log_states, &out->held, &out->held_up, &out->held_down,
                       &out->held_unresolved, &out->unattributed, &out->late_unheld,
                       &out->segment_drops, &out->payload_checked,
                       &out->payload_corrupt};
    const uint64_t add[] = {x->missed, x->up, x->down, x->corrupt, x->too_old,
                            x->enet_window, x->overflow, x->stale, x->late,
                            x->sender_queue, x->relay_queue, x->relay_queued, x->unexplained,
                            x->netsim_dropped, x->not_sent, x->socket_drops, x->relay_stale,
                            x->state_drops,
                            x->retransmitted, x->redundant, x->unretransmitted,
                            x->log_states, x->held, x->held_up, x->held_down,
                            x->held_unresolved, x->unattributed, x->late_unheld,
                            x->segment_drops, x->payload_checked, x->payload_corrupt};
    for (size_t i = 0; i < sizeof add / sizeof add[0]; i++)
        *sum[i] += add[i];
    for (size_t i = 0; i < x->listed && out->listed < AUDIT_LIST; i++)
        out->items[out->listed++] = x->items[i];
}

/* What pool() adds up starts from nothing. */
static void zero_pooled(struct bench_result *out)
{
    out->sent = out->send_errors = out->expected = out->delivered = 0;
    out->duplicates = out->reordered = out->too_old = out->disconnects = 0;
    out->connect_retries = 0;
    out->wire_bytes = out->wire_datagrams = out->relay_drops = 0;
    out->jitter_pairs = out->clock_bound_us = 0;
    out->enet_rtt_ms = out->enet_loss_pct = out->relay_cpu_s = out->loss_diff_pct = 0;
    out->relay_peak_rss_kb = 0;
    out->rooms_below = 0;
    out->worst_room_pct = 100;
    out->probes = out->new_refused = out->held_twice = 0;
    memset(&out->truth.received, 0, sizeof out->truth.received);
    memset(&out->truth.dropped, 0, sizeof out->truth.dropped);
    memset(&out->truth.duplicated, 0, sizeof out->truth.duplicated);
    memset(&out->truth.reordered, 0, sizeof out->truth.reordered);
    memset(&out->tcp.n, 0, sizeof out->tcp.n);
}

/* netsim's drop rates of the pooled counts, and what they predict. */
static void truth_rates(struct bench_netsim_truth *t)
{
    for (int d = 0; d < 2; d++)
        t->drop_pct[d] =
            t->received[d] ? 100.0 * (double)t->dropped[d] / (double)t->received[d] : 0;
    t->e2e_loss_pct = 100.0 * (1.0 - (1.0 - t->drop_pct[0] / 100) * (1.0 - t->drop_pct[1] / 100));
}

int bench_merge_runs(struct bench_result *runs, size_t n, struct bench_result *out)
{
    struct histogram *lat = malloc(sizeof *lat);
    *out = runs[0];
    out->spread = (struct bench_spread){.runs = measured(&runs[0]) ? 1 : 0, .repeats = n};
    for (int f = 0; f < BENCH_F_COUNT; f++)
        out->spread.min[f] = out->spread.max[f] = bench_figure(out, (enum bench_figure)f);
    if (!lat || n < 2) {
        free(lat);
        for (size_t i = 1; i < n; i++)
            bench_result_free(&runs[i]);
        return lat || n < 2 ? 0 : -1;
    }
    histogram_reset(lat);
    out->send_late = NULL; /* runs[0]'s, freed below; its figures become medians */
    runs[0].strip = (struct bench_strip){0}; /* the first run's strip: out's now */
    size_t good = take_medians(runs, n, out);
    out->ok = true;
    zero_pooled(out);
    for (size_t i = 0; i < n; i++) {
        pool(&runs[i], out, good);
        pool_audit(&runs[i].audit, &out->audit, i == 0);
        if (runs[i].latency)
            histogram_merge(lat, runs[i].latency);
        bench_result_free(&runs[i]);
    }
    if (out->truth.valid)
        truth_rates(&out->truth);
    out->latency = lat;
    out->spread.runs = good;
    return 0;
}
