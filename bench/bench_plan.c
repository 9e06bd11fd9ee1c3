/* bench_plan.c: runs ricochet-bench's plan: each sweep point in each mode
 * --repeat times (merged into one result), a progress line per run, the
 * audit's complaints, and --break-delivery / --break-p99. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "../sys/options.h"
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
    const struct bench_audit *a = &r->audit;
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
    const struct bench_audit *a = &r->audit;
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
    if (!a->done || bench_audit_clean(a))
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

/* Runs one point of the plan in one mode --repeat times (netsim seed + k
 * for run k, so the runs are independent samples) and merges the runs into
 * r. Returns 0, or -1 if a run failed (counted in *failures). */
static int run_repeated(const struct bench_options *c, const struct bench_config *cfg,
                        const struct bench_plan *p, size_t v, int m,
                        const struct bench_params *params, struct bench_result *r,
                        int *failures, int *unexplained)
{
    struct bench_result *runs = calloc((size_t)c->repeat, sizeof *runs);
    if (!runs)
        options_fail(PROG, "out of memory");
    int rc = 0;
    long k = 0;
    for (; k < c->repeat && (k == 0 || !bench_stop_requested()); k++) {
        struct bench_config one = *cfg;
        if (one.seed)
            one.seed += (uint64_t)k;
        int run_rc = bench_run(&one, params, p->modes[m], &runs[k]);
        if (run_rc != 0 || !runs[k].ok) {
            (*failures)++;
            rc = -1;
        }
        if (!c->quiet)
            print_progress(p, v, m, run_rc, &runs[k], k, c->repeat);
        *unexplained += report_unexplained(p, v, &runs[k]);
    }
    if (bench_merge_runs(runs, (size_t)k, r) != 0)
        fprintf(stderr, PROG ": warning: out of memory: reporting only the first run\n");
    free(runs);
    return rc;
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
    for (size_t v = 0; v < p->n_points && n_broken < p->n_modes && !bench_stop_requested();
         v++) {
        struct bench_params params = p->base;
        char err[160];
        if (p->n_values &&
            bench_param_set(&params, p->swept, p->values[v], err, sizeof err) != 0)
            options_fail(PROG, "%s", err);
        for (int m = 0; m < p->n_modes && !bench_stop_requested(); m++) {
            if (mode_broken[m])
                continue; /* found its limit at a smaller value */
            struct bench_result *r = &results[n_results++];
            int rc = run_repeated(c, cfg, p, v, m, &params, r, failures, unexplained);
            if (broke_limits(c, rc, r)) {
                mode_broken[m] = true;
                n_broken++;
                if (!c->quiet && v + 1 < p->n_points)
                    fprintf(stderr, PROG ": %s broke the limits at %s=%g; no larger values for it\n",
                            bench_mode_name(p->modes[m]), bench_param_name(p->swept),
                            p->values[v]);
            }
        }
    }
    return n_results;
}
