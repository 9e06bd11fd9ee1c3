/* bench_main.c: ricochet-bench. Runs a scenario (or a sweep of them) in
 * each requested mode and reports delivery, latency, jitter and cost as a
 * table, JSON, CSV and gnuplot plots. See bench.h for what is measured. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sys/log.h"
#include "../sys/netaddr.h"
#include "../sys/options.h"
#include "../sys/signals.h"
#include "bench.h"
#include "../sys/spawn.h"

#define PROG "ricochet-bench"
#define MAX_SWEEP 64

struct config {
    char relay[128];
    char bin[512];
    long clients;
    long room_size;
    long procs;
    long per_host;
    double rate;
    long payload;
    double duration, warmup, grace, setup_timeout; /* seconds */
    char modes[128];
    double loss, delay, jitter;
    bool reorder;
    bool netsim;
    char netsim_args[256];
    char relay_args[256];
    char sweep[512];
    double break_delivery, break_p99;
    long seed;
    long repeat;
    char json[512], csv[512], plot[512], table[512];
    char drop_log_dir[256];
    bool quiet;
    bool datagram_limit;
    int log_level;
};

static const struct option_def options[] = {
    {"relay", OPTION_STRING, offsetof(struct config, relay), "", 0, 128, NULL,
     "use this relay ADDR:PORT ([::1]:PORT for IPv6) instead of starting one (no CPU/RSS "
     "figures)"},
    {"bin", OPTION_STRING, offsetof(struct config, bin), "", 0, 512, NULL,
     "folder of ricochet-relay and ricochet-netsim (default: next to this program)"},
    {"clients", OPTION_INT, offsetof(struct config, clients), "4", 2, 4000, NULL,
     "clients; each receives every other state of its room"},
    {"room-size", OPTION_INT, offsetof(struct config, room_size), "0", 0, 256, NULL,
     "clients per room (the last room may be smaller); 0 = all in one room"},
    {"procs", OPTION_INT, offsetof(struct config, procs), "1", 1, BENCH_MAX_PROCS, NULL,
     "generator processes, each running whole rooms; results merged exactly"},
    {"per-host", OPTION_INT, offsetof(struct config, per_host), "64", 1, 4095, NULL,
     "ENet clients sharing one socket (one ENet host) in a generator; 1 = each its own"},
    {"rate", OPTION_DOUBLE, offsetof(struct config, rate), "60", 0.1, 10000, NULL,
     "states per second per client (constant rate)"},
    {"payload", OPTION_INT, offsetof(struct config, payload), "40", 40, 1200, NULL,
     "datagram size in bytes (the 40-byte state padded up to it)"},
    {"duration", OPTION_DOUBLE, offsetof(struct config, duration), "5", 0.1, 3600, NULL,
     "measurement window per run, seconds"},
    {"warmup", OPTION_DOUBLE, offsetof(struct config, warmup), "1", 0, 600, NULL,
     "sending before the window, not measured, seconds"},
    {"grace", OPTION_DOUBLE, offsetof(struct config, grace), "2", 0, 600, NULL,
     "draining after the window (later arrivals count as lost), seconds"},
    {"setup-timeout", OPTION_DOUBLE, offsetof(struct config, setup_timeout), "10", 0.5, 600,
     NULL, "all clients joined and seeing each other within this, seconds"},
    {"modes", OPTION_STRING, offsetof(struct config, modes),
     "unsequenced,sequenced,reliable,udp", 1, 128, NULL,
     "comma-separated: unsequenced,sequenced,reliable,udp"},
    {"loss", OPTION_DOUBLE, offsetof(struct config, loss), "0", 0, 99, NULL,
     "end-to-end loss %, split over netsim's two hops"},
    {"delay", OPTION_DOUBLE, offsetof(struct config, delay), "0", 0, 10000, NULL,
     "end-to-end one-way delay ms (half per hop)"},
    {"jitter", OPTION_DOUBLE, offsetof(struct config, jitter), "0", 0, 10000, NULL,
     "end-to-end jitter ms (uniform +-half per hop)"},
    {"reorder", OPTION_BOOL, offsetof(struct config, reorder), "false", 0, 0, NULL,
     "let netsim's jitter reorder datagrams"},
    {"netsim", OPTION_BOOL, offsetof(struct config, netsim), "false", 0, 0, NULL,
     "put netsim in the path even without impairment"},
    {"netsim-args", OPTION_STRING, offsetof(struct config, netsim_args), "", 0, 256, NULL,
     "extra netsim options, e.g. \"--ge-p 1 --ge-r 30\""},
    {"relay-args", OPTION_STRING, offsetof(struct config, relay_args), "", 0, 256, NULL,
     "extra options for the relay the bench starts"},
    {"sweep", OPTION_STRING, offsetof(struct config, sweep), "", 0, 512, NULL,
     "PARAM=V1,V2,...: run the grid; PARAM is loss|delay|jitter|clients|rate|payload"},
    {"break-delivery", OPTION_DOUBLE, offsetof(struct config, break_delivery), "0", 0, 100,
     NULL, "sweep: a mode that delivers less than this % gets no larger values (0 = off)"},
    {"break-p99", OPTION_DOUBLE, offsetof(struct config, break_p99), "0", 0, 1e7, NULL,
     "sweep: a mode whose p99 exceeds this (ms) gets no larger values (0 = off)"},
    {"seed", OPTION_INT, offsetof(struct config, seed), "1", 0, 9007199254740991.0, NULL,
     "netsim seed (0 = netsim picks one)"},
    {"repeat", OPTION_INT, offsetof(struct config, repeat), "1", 1, 100, NULL,
     "run each scenario and mode this many times (netsim seeds seed, seed+1, ...) and "
     "report each figure's median with its min-max"},
    {"json", OPTION_STRING, offsetof(struct config, json), "", 0, 512, NULL,
     "write JSON results to this file (- = stdout)"},
    {"csv", OPTION_STRING, offsetof(struct config, csv), "", 0, 512, NULL,
     "write CSV results to this file (- = stdout)"},
    {"table", OPTION_STRING, offsetof(struct config, table), "", 0, 512, NULL,
     "also write the human table to this file"},
    {"drop-log-dir", OPTION_STRING, offsetof(struct config, drop_log_dir), "", 0, 256, NULL,
     "keep netsim's drop log of each run in this folder (default: a temporary file)"},
    {"plot", OPTION_STRING, offsetof(struct config, plot), "", 0, 512, NULL,
     "render latency CDFs (and sweep plots) as PNG into this folder with gnuplot"},
    {"datagram-limit", OPTION_BOOL, offsetof(struct config, datagram_limit), "false", 0, 0,
     NULL, "only measure the machine's datagram limit (one thread, loopback, 2 s) and exit"},
    {"quiet", OPTION_BOOL, offsetof(struct config, quiet), "false", 0, 0, NULL,
     "no progress lines on stderr"},
    {"log-level", OPTION_CHOICE, offsetof(struct config, log_level), "warn", 0, 0,
     "debug|info|warn|error|off", "stderr log level"},
    {0},
};

static const char summary[] =
    "Latency and loss benchmark: a relay (started or given), optionally netsim in between,\n"
    "N clients in one room sending at a constant rate in each mode. Reports delivery, one-way\n"
    "latency from the intended send time, RFC 3550 jitter, ENet's view, relay CPU/RSS and\n"
    "bytes per message; checks measured loss against netsim's own drop counts, and every\n"
    "missed state against netsim's drop log: exit status 3 if one is unexplained.\n"
    "example: " PROG " --loss 5 --delay 20 --jitter 10 --plot out/";

/* What to run: the base parameters, the modes, and the sweep values. */
struct plan {
    struct bench_params base;
    enum proto_mode modes[PROTO_MODE_COUNT];
    int n_modes;
    enum bench_param swept;
    double values[MAX_SWEEP];
    size_t n_values; /* 0: no sweep, one point */
    size_t n_points;
};

static int parse_modes(const char *text, enum proto_mode *modes)
{
    char buf[128];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        enum proto_mode m;
        char names[128];
        if (proto_mode_parse(tok, &m) != 0)
            options_fail(PROG, "--modes: unknown mode '%s' (%s)", tok,
                         proto_mode_choices(names, sizeof names, NULL));
        for (int i = 0; i < n; i++)
            if (modes[i] == m)
                options_fail(PROG, "--modes: '%s' given twice", tok);
        modes[n++] = m;
    }
    if (n == 0)
        options_fail(PROG, "--modes: no mode given");
    return n;
}

/* "loss=0,1,5" -> which and values. Returns the count (0: no sweep). */
static size_t parse_sweep(const char *text, const struct bench_params *base,
                          enum bench_param *which, double *values)
{
    *which = BENCH_P_NONE;
    if (!text[0])
        return 0;
    const char *eq = strchr(text, '=');
    char name[32], err[160];
    if (!eq || eq == text || (size_t)(eq - text) >= sizeof name)
        options_fail(PROG, "--sweep: want PARAM=V1,V2,... got '%s'", text);
    snprintf(name, sizeof name, "%.*s", (int)(eq - text), text);
    *which = bench_param_parse(name);
    if (*which == BENCH_P_NONE)
        options_fail(PROG, "--sweep: unknown parameter '%s' "
                     "(loss|delay|jitter|clients|rate|payload)", name);
    size_t n = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || (*end && *end != ','))
            options_fail(PROG, "--sweep: '%s' is not a list of numbers", eq + 1);
        struct bench_params tmp = *base;
        if (bench_param_set(&tmp, *which, v, err, sizeof err) != 0)
            options_fail(PROG, "--sweep: %s", err);
        if (n == MAX_SWEEP)
            options_fail(PROG, "--sweep: more than %d values in '%s'", MAX_SWEEP, eq + 1);
        values[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        options_fail(PROG, "--sweep: no values in '%s'", text);
    return n;
}

/* --relay ADDR:PORT or [IPv6]:PORT, checked before any run: a typo is one
 * error line, not a failed run in every mode. */
static void check_relay_addr(const char *text)
{
    union netaddr a;
    char err[256];
    if (netaddr_parse_endpoint(text, &a, err, sizeof err) != 0)
        options_fail(PROG, "--relay %s", err);
    if (netaddr_port(&a) == 0)
        options_fail(PROG, "--relay '%s': the port must be 1 to 65535", text);
}

/* The folder this program is in: the other programs are built beside it. */
static void program_folder(char *out, size_t cap)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    if (strlen(self) >= cap)
        options_fail(PROG, "program folder too long: %s (use --bin)", self);
    memcpy(out, self, strlen(self) + 1);
}

static void bench_config_from(const struct config *c, struct bench_config *cfg)
{
    bench_config_default(cfg);
    if (c->bin[0])
        snprintf(cfg->bin, sizeof cfg->bin, "%s", c->bin);
    else
        program_folder(cfg->bin, sizeof cfg->bin);
    snprintf(cfg->relay, sizeof cfg->relay, "%s", c->relay);
    cfg->duration_ms = (long)(c->duration * 1000);
    cfg->warmup_ms = (long)(c->warmup * 1000);
    cfg->grace_ms = (long)(c->grace * 1000);
    cfg->setup_timeout_ms = (long)(c->setup_timeout * 1000);
    cfg->force_netsim = c->netsim;
    cfg->reorder = c->reorder;
    snprintf(cfg->netsim_args, sizeof cfg->netsim_args, "%s", c->netsim_args);
    snprintf(cfg->relay_args, sizeof cfg->relay_args, "%s", c->relay_args);
    cfg->seed = (uint64_t)c->seed;
    cfg->verbose = c->log_level <= LOG_INFO;
    cfg->room_size = c->room_size;
    cfg->procs = c->procs;
    snprintf(cfg->drop_log_dir, sizeof cfg->drop_log_dir, "%s", c->drop_log_dir);
    cfg->per_host = c->per_host;
}

static void plan_from(const struct config *c, struct plan *p)
{
    p->base = (struct bench_params){
        .clients = c->clients,
        .rate_hz = c->rate,
        .payload = c->payload,
        .loss_pct = c->loss,
        .delay_ms = c->delay,
        .jitter_ms = c->jitter,
    };
    p->n_modes = parse_modes(c->modes, p->modes);
    p->n_values = parse_sweep(c->sweep, &p->base, &p->swept, p->values);
    p->n_points = p->n_values ? p->n_values : 1;
}

/* The command line, for the JSON record. */
static void command_line(int argc, char **argv, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && used < cap - 1; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", argv[i]);
}

/* One line on stderr per run (k of n for --repeat). */
static void print_progress(const struct plan *p, size_t v, int m, int rc,
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
static int report_unexplained(const struct plan *p, size_t v, const struct bench_result *r)
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
static int run_repeated(const struct config *c, const struct bench_config *cfg,
                        const struct plan *p, size_t v, int m,
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
static bool broke_limits(const struct config *c, int rc, const struct bench_result *r)
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
static size_t run_plan(const struct config *c, const struct bench_config *cfg,
                       const struct plan *p, struct bench_result *results, int *failures,
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
static int write_reports(const struct config *c, const struct plan *p,
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
    struct plan plan;
    struct config c;
    struct bench_config cfg;
    char command[2048];
    int failures = 0, unexplained = 0;

    memset(&c, 0, sizeof c);
    options_parse_or_exit(options, &c, argc, argv, PROG, summary);
    log_threshold = (enum log_level)c.log_level;
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
    if (c.relay[0])
        check_relay_addr(c.relay);
    if (c.drop_log_dir[0] && access(c.drop_log_dir, W_OK | X_OK) != 0)
        options_fail(PROG, "--drop-log-dir %s: %s", c.drop_log_dir, strerror(errno));
    bench_config_from(&c, &cfg);
    plan_from(&c, &plan);
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
