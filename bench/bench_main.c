/* bench_main.c: ricochet-bench. Runs a scenario (or a sweep of them) in
 * each requested mode and reports delivery, latency, jitter and cost as a
 * table, JSON, CSV and gnuplot plots. See bench.h for what is measured. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sys/options.h"
#include "sys/signals.h"
#include "bench_plan.h"
#include "bench_tickets.h"
#include "bench_lockstep.h"
#include "bench_world.h"
#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"

#define PROG BENCH_PROG

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
                         struct bench_result *results, size_t n_results,
                         const struct bench_run_info *info)
{
    bool data_on_stdout = !strcmp(c->json, "-") || !strcmp(c->csv, "-");
    bench_report_table(data_on_stdout ? stderr : stdout, results, n_results);
    fflush(stdout);
    if (c->table[0]) {
        FILE *f = open_out(c->table);
        fprintf(f, "$ %s\n%s\n\n", info->command, info->date);
        bench_report_table(f, results, n_results);
        close_out(f, c->table);
    }
    if (c->json[0]) {
        FILE *f = open_out(c->json);
        bench_report_json(f, results, n_results, info);
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

/* --aoi: one world run in each mode, then their table (on stderr when the
 * JSON goes to stdout) and JSON. */
static int run_worlds(const struct bench_options *c, const struct bench_config *cfg,
                      const struct bench_plan *p, const struct bench_run_info *info)
{
    struct bench_world_result w[BENCH_MODES];
    int failures = 0, n = 0;
    for (; n < p->n_modes && !bench_stop_requested(); n++) {
        if (!c->quiet)
            fprintf(stderr, PROG ": %s: a world of %ld clients, radius %g, field %g\n",
                    bench_mode_name(p->modes[n]), p->base.clients, c->aoi, c->field);
        failures += bench_world(cfg, &p->base, p->modes[n].mode, c->aoi, c->field, &w[n]) != 0;
    }
    bench_world_table(strcmp(c->json, "-") ? stdout : stderr, w, (size_t)n);
    if (c->json[0]) {
        FILE *f = open_out(c->json);
        bench_world_json(f, w, (size_t)n, info);
        close_out(f, c->json);
    }
    uint64_t corrupt = 0;
    for (int i = 0; i < n; i++) {
        corrupt += w[i].payload_corrupt;
        bench_world_free(&w[i]);
    }
    spawn_kill_all();
    if (bench_stop_requested())
        return 130;
    if (corrupt)
        fprintf(stderr, PROG ": PAYLOAD CHECK FAILED: %llu deliveries carried a payload that "
                        "is not their sender's\n", (unsigned long long)corrupt);
    return failures ? 1 : corrupt ? 3 : 0;
}

/* --lockstep: one run of lockstep rooms in each mode, then their table (on
 * stderr when the JSON goes to stdout) and JSON. */
static int run_lockstep(const struct bench_options *c, const struct bench_config *cfg,
                        const struct bench_plan *p, const struct bench_run_info *info)
{
    struct bench_lockstep_result l[BENCH_MODES];
    int failures = 0, n = 0;
    for (; n < p->n_modes && !bench_stop_requested(); n++) {
        if (!c->quiet)
            fprintf(stderr, PROG ": %s: %ld players in lockstep rooms of %ld at %g Hz\n",
                    bench_mode_name(p->modes[n]), p->base.clients, c->room_size,
                    p->base.rate_hz);
        failures += bench_lockstep(cfg, &p->base, p->modes[n].mode, &l[n]) != 0;
    }
    bench_lockstep_table(strcmp(c->json, "-") ? stdout : stderr, l, (size_t)n);
    if (c->json[0]) {
        FILE *f = open_out(c->json);
        bench_lockstep_json(f, l, (size_t)n, info);
        close_out(f, c->json);
    }
    for (int i = 0; i < n; i++)
        bench_lockstep_free(&l[i]);
    spawn_kill_all();
    if (bench_stop_requested())
        return 130;
    return failures ? 1 : 0;
}

/* --netsim-ip: the two namespaces, made before any thread starts (a user
 * namespace is for a single thread). Without them, one line, and the runs
 * go through the UDP proxy without the modes it cannot carry; exits 1 if
 * none is left. */
static void open_lab(struct netlab *lab, struct bench_config *cfg, struct bench_plan *plan)
{
    char err[256];
    cfg->lab = NULL;
    if (netlab_open(lab, err, sizeof err) == 0) {
        cfg->lab = lab;
        return;
    }
    cfg->force_netsim = true;
    char gone[64];
    int left = bench_plan_without_streams(plan, gone, sizeof gone);
    fprintf(stderr, PROG ": no IP mode here: %s; netsim's UDP proxy instead%s%s\n", err,
            !left ? ", which carries none of --modes" : gone[0] ? ", without " : "",
            left ? gone : "");
    if (!left)
        exit(1);
}

int main(int argc, char **argv)
{
    struct netlab lab = {.ns = {-1, -1}, .home = -1};
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
    if (c.ticket_cost) {
        struct bench_ticket_cost tc;
        if (bench_ticket_cost(20000, &tc) != 0)
            options_fail(PROG, "ticket cost: out of memory, or libsodium cannot start");
        printf("ticket cost: verify %.2f us per join (tampered %.2f, expired %.2f); sealed "
               "session keys and tag %.2f us per join; a 40-byte state sealed %.3f us, "
               "opened %.3f us; an X25519 exchange (not done) %.2f us per join\n",
               tc.verify_us, tc.tampered_us, tc.expired_us, tc.session_us, tc.seal_us,
               tc.open_us, tc.kx_us);
        return 0;
    }
    bench_options_apply(&c, &cfg, &plan);
    if (c.netsim_ip)
        open_lab(&lab, &cfg, &plan);
    signals_install(NULL, NULL, bench_request_stop);
    bench_command_line(argc, argv, command, sizeof command);
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    struct bench_run_info info = {command, date, c.floor};
    if (c.aoi > 0)
        return run_worlds(&c, &cfg, &plan, &info);
    if (c.lockstep)
        return run_lockstep(&c, &cfg, &plan, &info);

    struct bench_result *results =
        calloc(plan.n_points * (size_t)plan.n_modes, sizeof *results);
    if (!results)
        options_fail(PROG, "out of memory");
    size_t n_results = bench_plan_run(&c, &cfg, &plan, results, &failures, &unexplained);
    failures += write_reports(&c, &plan, results, n_results, &info);

    for (size_t i = 0; i < n_results; i++)
        bench_result_free(&results[i]);
    free(results);
    free(cfg.tickets);
    spawn_kill_all();
    netlab_close(&lab);
    if (bench_stop_requested()) {
        fprintf(stderr, PROG ": interrupted\n");
        return 130;
    }
    if (failures)
        return 1;
    return unexplained ? 3 : 0;
}
