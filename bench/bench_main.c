/* bench_main.c: ricochet-bench. Runs a scenario (or a sweep of them) in
 * each requested mode and reports delivery, latency, jitter and cost as a
 * table, JSON, CSV and gnuplot plots. See bench.h for what is measured. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/options.h"
#include "../sys/signals.h"
#include "bench_options.h"
#include "../sys/spawn.h"

#define PROG BENCH_PROG

/* The command line, for the JSON record. */
static void command_line(int argc, char **argv, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && used < cap - 1; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", argv[i]);
}

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
        fprintf(stderr, PROG ": %s%s: FAILED: %s\n", point, proto_mode_name(p->modes[m]),
                r->error);
        return;
    }
    char truth[48] = "";
    if (r->truth.valid)
        snprintf(truth, sizeof truth, " (netsim dropped %.2f%%)", r->truth.e2e_loss_pct);
    char audit[64] = "";
    if (r->audit.done)
        snprintf(audit, sizeof audit, ", %llu unexplained",
                 (unsigned long long)(r->audit.unexplained + r->audit.unretransmitted));
    fprintf(stderr, PROG ": %s%-11s lost %6.2f%%%s%s, p50 %.1f ms, p99 %.1f ms%s%s\n", point,
            proto_mode_name(p->modes[m]), r->lost_pct, truth, audit,
            (double)r->p50_us / 1000, (double)r->p99_us / 1000, r->ok ? "" : "; warning: ",
            r->ok ? "" : r->error);
}

/* Says on stderr (whatever --quiet) what a run's audit could not explain.
 * Returns 1 if something, else 0. */
static int report_unexplained(const struct bench_plan *p, size_t v, const struct bench_result *r)
{
    const struct bench_audit *a = &r->audit;
    if (!a->done || bench_audit_clean(a))
        return 0;
    char point[64] = "";
    if (p->n_values)
        snprintf(point, sizeof point, " at %s=%g", bench_param_name(p->swept), p->values[v]);
    char overload[128] = "";
    if (a->netsim_socket_drops + a->relay_socket_drops)
        snprintf(overload, sizeof overload, "; full socket buffers at netsim and the relay "
                 "dropped %llu datagrams: an overloaded host",
                 (unsigned long long)(a->netsim_socket_drops + a->relay_socket_drops));
    fprintf(stderr, PROG ": AUDIT FAILED: %s%s: %llu of %llu lost states unexplained by "
                    "netsim's drop log, %llu drops never retransmitted (listed in --json)%s\n",
            proto_mode_name(r->mode), point, (unsigned long long)a->unexplained,
            (unsigned long long)a->missed, (unsigned long long)a->unretransmitted, overload);
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

/* Runs every point of the plan in every mode, skipping a mode at larger
 * values once it broke the limits. Returns the number of results; counts
 * failed runs in *failures. */
static size_t run_plan(const struct bench_options *c, const struct bench_config *cfg,
                       const struct bench_plan *p, struct bench_result *results, int *failures,
                       int *unexplained)
{
    size_t n_results = 0;
    bool mode_broken[PROTO_MODE_COUNT] = {false};
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
                            proto_mode_name(p->modes[m]), bench_param_name(p->swept),
                            p->values[v]);
            }
        }
    }
    return n_results;
}

static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        options_fail(PROG, "%s: %s", path, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (f != stdout && fclose(f) != 0)
        fprintf(stderr, PROG ": error: %s: %s\n", path, strerror(errno));
}

/* The table (stdout unless JSON or CSV goes there), then each file asked
 * for. Returns the number of reports that failed. */
static int write_reports(const struct bench_options *c, const struct bench_plan *p,
                         struct bench_result *results, size_t n_results, const char *command)
{
    bool data_on_stdout = !strcmp(c->json, "-") || !strcmp(c->csv, "-");
    bench_report_table(data_on_stdout ? stderr : stdout, results, n_results);
    fflush(stdout);
    if (c->table[0]) {
        FILE *f = open_out(c->table);
        fprintf(f, "$ %s\n\n", command);
        bench_report_table(f, results, n_results);
        close_out(f, c->table);
    }
    if (c->json[0]) {
        FILE *f = open_out(c->json);
        bench_report_json(f, results, n_results, command);
        close_out(f, c->json);
    }
    if (c->csv[0]) {
        FILE *f = open_out(c->csv);
        bench_report_csv(f, results, n_results);
        close_out(f, c->csv);
    }
    if (c->plot[0]) {
        char err[256];
        struct bench_plot_opts po = {.swept = p->n_values > 1 ? p->swept : BENCH_P_NONE,
                                     .break_p99_ms = c->break_p99,
                                     .break_delivery_pct = c->break_delivery};
        if (bench_report_plot(c->plot, results, n_results, &po, err, sizeof err) != 0) {
            fprintf(stderr, PROG ": error: plot: %s\n", err);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_plan plan;
    struct bench_options c;
    struct bench_config cfg;
    char command[2048];
    int failures = 0, unexplained = 0;

    bench_options_parse(argc, argv, &c);
    if (c.datagram_limit) {
        double rate = bench_datagram_limit(2000);
        if (rate < 0) {
            fprintf(stderr, PROG ": error: datagram limit: %s\n", strerror(errno));
            return 1;
        }
        printf("datagram limit: %.0f datagrams/s of 40 bytes sent and received by one thread "
               "on loopback (sendmmsg + recvmmsg)\n", rate);
        return 0;
    }
    bench_options_apply(&c, &cfg, &plan);
    signals_install(NULL, NULL, bench_request_stop);
    command_line(argc, argv, command, sizeof command);

    struct bench_result *results =
        calloc(plan.n_points * (size_t)plan.n_modes, sizeof *results);
    if (!results)
        options_fail(PROG, "out of memory");
    size_t n_results = run_plan(&c, &cfg, &plan, results, &failures, &unexplained);
    failures += write_reports(&c, &plan, results, n_results, command);

    for (size_t i = 0; i < n_results; i++)
        bench_result_free(&results[i]);
    free(results);
    spawn_kill_all();
    if (bench_stop_requested()) {
        fprintf(stderr, PROG ": interrupted\n");
        return 130;
    }
    if (failures)
        return 1;
    return unexplained ? 3 : 0;
}
