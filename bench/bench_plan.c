/* bench_plan.c: runs ricochet-bench's plan: each sweep point in each mode
 * --repeat times, the modes taking turns round by round (each mode's runs
 * merged into one result, and its relay's CPU per delivery paired with
 * the first mode's round by round), a progress line per run, the audit's
 * complaints, and --break-delivery / --break-p99. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/options.h"
#include "bench_plan.h"

#define PROG BENCH_PROG

/* One line on stderr per run (k of n for --repeat). */
static void print_progress(const struct bench_plan *p, size_t v, int m, int rc,
                           const struct bench_result *r, long k, long n)
{
    char point[96] = "";
    int len = 0;
    if (p->n_values)
        len = snprintf(point, sizeof point, "%s=%g ", bench_param_name(p->swept), p->values[v]);
    if (n > 1 && len >= 0 && (size_t)len < sizeof point)
        snprintf(point + len, sizeof point - (size_t)len, "run %ld/%ld ", k + 1, n);
    if (rc != 0 && r->expected == 0) {
        fprintf(stderr, PROG ": %s%s: FAILED: %s\n", point, bench_mode_name(p->modes[m]),
                r->error);
        return;
    }
    char truth[48] = "";
    if (r->truth.valid)
        snprintf(truth, sizeof truth, " (netsim dropped %.2f%%)", r->truth.e2e_loss_pct);
    char audit[64] = "";
    const struct audit_result *a = &r->audit;
    if (a->done)
        snprintf(audit, sizeof audit, ", %llu unexplained",
                 (unsigned long long)(a->unexplained + a->unretransmitted + a->unattributed +
                                      a->held_unresolved));
    fprintf(stderr, PROG ": %s%-11s lost %6.2f%%%s%s, p50 %.1f ms, p99 %.1f ms%s%s%s%s\n",
            point, bench_mode_name(p->modes[m]), r->lost_pct, truth, audit,
            (double)r->p50_us / 1000, (double)r->p99_us / 1000, r->relay[0] ? "; relay: " : "",
            r->relay, r->ok ? "" : "; warning: ", r->ok ? "" : r->error);
}

/* Says on stderr (whatever --quiet) what a run's audit could not explain,
 * and a corrupted payload (--payload-check).
 * Returns 1 if something, else 0. */
static int report_unexplained(const struct bench_plan *p, size_t v, const struct bench_result *r)
{
    const struct audit_result *a = &r->audit;
    char point[64] = "";
    if (p->n_values)
        snprintf(point, sizeof point, " at %s=%g", bench_param_name(p->swept), p->values[v]);
    if (a->payload_corrupt) {
        fprintf(stderr, PROG ": PAYLOAD CHECK FAILED: %s%s: %llu of %llu delivered states "
                        "carried a payload that is not their sender's\n",
                bench_mode_name(bench_result_mode(r)), point,
                (unsigned long long)a->payload_corrupt, (unsigned long long)a->payload_checked);
        return 1;
    }
    if (!a->done || audit_clean(a))
        return 0;
    char overload[128] = "";
    if (a->netsim_socket_drops + a->relay_socket_drops)
        snprintf(overload, sizeof overload, "; full socket buffers at netsim and the relay "
                 "dropped %llu datagrams: an overloaded host",
                 (unsigned long long)(a->netsim_socket_drops + a->relay_socket_drops));
    fprintf(stderr, PROG ": AUDIT FAILED: %s%s: %llu of %llu lost states unexplained by "
                    "netsim's drop log, %llu drops never retransmitted, %llu late states "
                    "held back with no retransmission or no drop (listed in --json)%s\n",
            bench_mode_name(bench_result_mode(r)), point, (unsigned long long)a->unexplained,
            (unsigned long long)a->missed, (unsigned long long)a->unretransmitted,
            (unsigned long long)(a->unattributed + a->held_unresolved), overload);
    return 1;
}

/* Runs at one point of the plan round k of each mode still running (netsim
 * seed + k for round k, so the runs are independent samples): the modes
 * take turns, so that a drift of the machine falls on every mode alike.
 * runs[m][k] gets mode m's. Returns the rounds' failures' count. */
static int run_round(const struct bench_options *c, const struct bench_config *cfg,
                     const struct bench_plan *p, size_t v, long k, const bool *skip,
                     const struct bench_params *params, struct bench_result **runs,
                     bool *failed, int *unexplained)
{
    int failures = 0;
    for (int m = 0; m < p->n_modes && (k == 0 || !bench_stop_requested()); m++) {
        if (skip[m])
            continue;
        struct bench_config one = *cfg;
        if (one.seed)
            one.seed += (uint64_t)k;
        int run_rc = bench_run(&one, params, p->modes[m], &runs[m][k]);
        if (run_rc != 0 || !runs[m][k].ok) {
            failures++;
            failed[m] = true;
        }
        if (!c->quiet)
            print_progress(p, v, m, run_rc, &runs[m][k], k, c->repeat);
        *unexplained += report_unexplained(p, v, &runs[m][k]);
    }
    return failures;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The relay's CPU per delivered state of runs[0..n) over those of
 * first[0..n) (the plan's first mode, vs), round by round: its median and
 * range into *out, when every round measured both. */
static void pair_rounds(const struct bench_result *runs, const struct bench_result *first,
                        long n, struct bench_mode vs, struct bench_result_ratio *out)
{
    double ratio[100];
    long k = 0;
    for (; k < n && k < 100; k++) {
        if (!runs[k].relay_measured || !first[k].relay_measured || !runs[k].delivered ||
            first[k].relay_us_per_delivery <= 0)
            return;
        ratio[k] = runs[k].relay_us_per_delivery / first[k].relay_us_per_delivery;
    }
    qsort(ratio, (size_t)k, sizeof ratio[0], cmp_double);
    *out = (struct bench_result_ratio){
        .rounds = (size_t)k, .vs = vs, .min = ratio[0], .max = ratio[k - 1],
        .median = k % 2 ? ratio[k / 2] : (ratio[k / 2 - 1] + ratio[k / 2]) / 2};
}

/* Whether a run crossed --break-delivery / --break-p99 (or failed outright)
 * while such a limit is set. */
static bool broke_limits(const struct bench_options *c, int rc, const struct bench_result *r)
{
    bool limits = c->break_delivery > 0 || c->break_p99 > 0;
    bool broke = (c->break_delivery > 0 && 100.0 - r->lost_pct < c->break_delivery) ||
                 (c->break_p99 > 0 && (double)r->p99_us / 1000.0 > c->break_p99) ||
                 (rc != 0 && r->expected == 0);
    return limits && broke;
}

size_t bench_plan_run(const struct bench_options *c, const struct bench_config *cfg,
                      const struct bench_plan *p, struct bench_result *results, int *failures,
                      int *unexplained)
{
    size_t n_results = 0;
    bool mode_broken[BENCH_MODES] = {false};
    int n_broken = 0;
    struct bench_result *runs[BENCH_MODES];
    for (int m = 0; m < p->n_modes; m++)
        if (!(runs[m] = calloc((size_t)c->repeat, sizeof *runs[m])))
            options_fail(PROG, "out of memory");
    for (size_t v = 0; v < p->n_points && n_broken < p->n_modes && !bench_stop_requested();
         v++) {
        struct bench_params params = p->base;
        char err[160];
        if (p->n_values &&
            bench_param_set(&params, p->swept, p->values[v], err, sizeof err) != 0)
            options_fail(PROG, "%s", err);
        bool failed[BENCH_MODES] = {false};
        long k = 0;
        for (; k < c->repeat && (k == 0 || !bench_stop_requested()); k++)
            *failures += run_round(c, cfg, p, v, k, mode_broken, &params, runs, failed,
                                   unexplained);
        struct bench_result_ratio paired[BENCH_MODES] = {{0}};
        for (int m = 1; m < p->n_modes && k > 1; m++)
            if (!mode_broken[m] && !mode_broken[0])
                pair_rounds(runs[m], runs[0], k, p->modes[0], &paired[m]);
        for (int m = 0; m < p->n_modes; m++) {
            if (mode_broken[m])
                continue; /* found its limit at a smaller value */
            struct bench_result *r = &results[n_results++];
            if (bench_merge_runs(runs[m], (size_t)k, r) != 0)
                fprintf(stderr, PROG ": warning: out of memory: reporting only the first run\n");
            r->relay_ratio = paired[m];
            memset(runs[m], 0, (size_t)c->repeat * sizeof *runs[m]);
            if (broke_limits(c, failed[m] ? -1 : 0, r)) {
                mode_broken[m] = true;
                n_broken++;
                if (!c->quiet && v + 1 < p->n_points)
                    fprintf(stderr, PROG ": %s broke the limits at %s=%g; no larger values for it\n",
                            bench_mode_name(p->modes[m]), bench_param_name(p->swept),
                            p->values[v]);
            }
        }
    }
    for (int m = 0; m < p->n_modes; m++)
        free(runs[m]);
    return n_results;
}
