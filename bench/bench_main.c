/* bench_main.c: ricochet-bench. Runs a scenario (or a sweep of them) in
 * each requested mode and reports delivery, latency, jitter and cost as a
 * table, JSON, CSV and gnuplot plots. See bench.h for what is measured. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/log.h"
#include "../proto/options.h"
#include "bench.h"
#include "spawn.h"

#define PROG "ricochet-bench"
#define MAX_SWEEP 64

struct config {
    char relay[128];
    char bin[512];
    long clients;
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
    char json[512], csv[512], plot[512], table[512];
    bool quiet;
    int log_level;
};

static const struct option_def options[] = {
    {"relay", OPTION_STRING, offsetof(struct config, relay), "", 0, 128, NULL,
     "use this relay ADDR:PORT instead of starting one (no CPU/RSS figures)"},
    {"bin", OPTION_STRING, offsetof(struct config, bin), "", 0, 512, NULL,
     "folder of ricochet-relay and ricochet-netsim (default: next to this program)"},
    {"clients", OPTION_INT, offsetof(struct config, clients), "4", 2, 1000, NULL,
     "clients in one room; each receives every other's state"},
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
    {"json", OPTION_STRING, offsetof(struct config, json), "", 0, 512, NULL,
     "write JSON results to this file (- = stdout)"},
    {"csv", OPTION_STRING, offsetof(struct config, csv), "", 0, 512, NULL,
     "write CSV results to this file (- = stdout)"},
    {"table", OPTION_STRING, offsetof(struct config, table), "", 0, 512, NULL,
     "also write the human table to this file"},
    {"plot", OPTION_STRING, offsetof(struct config, plot), "", 0, 512, NULL,
     "render latency CDFs (and sweep plots) as PNG into this folder with gnuplot"},
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
    "bytes per message; checks measured loss against netsim's own drop counts.\n"
    "example: " PROG " --loss 5 --delay 20 --jitter 10 --plot out/";

static void on_signal(int sig)
{
    (void)sig;
    bench_request_stop();
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": error: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static int parse_modes(const char *text, enum proto_mode *modes)
{
    char buf[128];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        enum proto_mode m;
        if (proto_mode_parse(tok, &m) != 0)
            die("--modes: unknown mode '%s' (unsequenced|sequenced|reliable|udp)", tok);
        for (int i = 0; i < n; i++)
            if (modes[i] == m)
                die("--modes: '%s' given twice", tok);
        modes[n++] = m;
    }
    if (n == 0)
        die("--modes: %s", "no mode given");
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
        die("--sweep: want PARAM=V1,V2,... got '%s'", text);
    snprintf(name, sizeof name, "%.*s", (int)(eq - text), text);
    *which = bench_param_parse(name);
    if (*which == BENCH_P_NONE)
        die("--sweep: unknown parameter '%s' (loss|delay|jitter|clients|rate|payload)", name);
    size_t n = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || (*end && *end != ','))
            die("--sweep: '%s' is not a list of numbers", eq + 1);
        struct bench_params tmp = *base;
        if (bench_param_set(&tmp, *which, v, err, sizeof err) != 0)
            die("--sweep: %s", err);
        if (n == MAX_SWEEP)
            die("--sweep: more than 64 values in '%s'", eq + 1);
        values[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        die("--sweep: no values in '%s'", text);
    return n;
}

static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, PROG ": error: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (f != stdout && fclose(f) != 0)
        fprintf(stderr, PROG ": error: %s: %s\n", path, strerror(errno));
}

int main(int argc, char **argv)
{
    struct config c;
    memset(&c, 0, sizeof c);
    options_parse_or_exit(options, &c, argc, argv, PROG, summary);
    log_threshold = (enum log_level)c.log_level;

    struct bench_config cfg;
    bench_config_default(&cfg);
    if (c.bin[0]) {
        snprintf(cfg.bin, sizeof cfg.bin, "%s", c.bin);
    } else {
        /* the programs are built side by side */
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len > 0) {
            self[len] = '\0';
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
            if (strlen(self) >= sizeof cfg.bin)
                die("program folder too long: %s (use --bin)", self);
            memcpy(cfg.bin, self, strlen(self) + 1);
        }
    }
    snprintf(cfg.relay, sizeof cfg.relay, "%s", c.relay);
    cfg.duration_ms = (long)(c.duration * 1000);
    cfg.warmup_ms = (long)(c.warmup * 1000);
    cfg.grace_ms = (long)(c.grace * 1000);
    cfg.setup_timeout_ms = (long)(c.setup_timeout * 1000);
    cfg.force_netsim = c.netsim;
    cfg.reorder = c.reorder;
    snprintf(cfg.netsim_args, sizeof cfg.netsim_args, "%s", c.netsim_args);
    snprintf(cfg.relay_args, sizeof cfg.relay_args, "%s", c.relay_args);
    cfg.seed = (uint64_t)c.seed;
    cfg.verbose = c.log_level <= LOG_INFO;

    struct bench_params base = {
        .clients = c.clients,
        .rate_hz = c.rate,
        .payload = c.payload,
        .loss_pct = c.loss,
        .delay_ms = c.delay,
        .jitter_ms = c.jitter,
    };
    enum proto_mode modes[PROTO_MODE_COUNT];
    int n_modes = parse_modes(c.modes, modes);
    enum bench_param swept;
    double values[MAX_SWEEP];
    size_t n_values = parse_sweep(c.sweep, &base, &swept, values);
    size_t n_points = n_values ? n_values : 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the command line, for the JSON record */
    char command[2048] = "";
    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof command - 1; i++)
        used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", i ? " " : "",
                                 argv[i]);

    struct bench_result *results = calloc(n_points * (size_t)n_modes, sizeof *results);
    if (!results)
        die("%s", "out of memory");
    size_t n_results = 0;
    int failures = 0;
    bool mode_broken[PROTO_MODE_COUNT] = {false};
    int n_broken = 0;
    for (size_t v = 0; v < n_points && n_broken < n_modes && !bench_stop_requested(); v++) {
        struct bench_params params = base;
        char err[160];
        if (n_values && bench_param_set(&params, swept, values[v], err, sizeof err) != 0)
            die("%s", err);
        for (int m = 0; m < n_modes && !bench_stop_requested(); m++) {
            if (mode_broken[m])
                continue; /* found its limit at a smaller value */
            struct bench_result *r = &results[n_results++];
            int rc = bench_run(&cfg, &params, modes[m], r);
            if (rc != 0 || !r->ok)
                failures++;
            if (!c.quiet) {
                char point[64] = "";
                if (n_values)
                    snprintf(point, sizeof point, "%s=%g ", bench_param_name(swept), values[v]);
                if (rc != 0 && r->expected == 0)
                    fprintf(stderr, PROG ": %s%s: FAILED: %s\n", point,
                            proto_mode_name(modes[m]), r->error);
                else {
                    char truth[48] = "";
                    if (r->truth.valid)
                        snprintf(truth, sizeof truth, " (netsim: %.2f%% lost)",
                                 r->truth.e2e_loss_pct);
                    fprintf(stderr,
                            PROG ": %s%-11s delivered %6.2f%%%s, p50 %.1f ms, p99 %.1f ms%s%s\n",
                            point, proto_mode_name(modes[m]), 100.0 - r->lost_pct, truth,
                            (double)r->p50_us / 1000, (double)r->p99_us / 1000,
                            r->ok ? "" : "; warning: ", r->ok ? "" : r->error);
                }
            }
            bool limits = c.break_delivery > 0 || c.break_p99 > 0;
            bool broke = (c.break_delivery > 0 && 100.0 - r->lost_pct < c.break_delivery) ||
                         (c.break_p99 > 0 && (double)r->p99_us / 1000.0 > c.break_p99) ||
                         (rc != 0 && r->expected == 0);
            if (limits && broke) {
                mode_broken[m] = true;
                n_broken++;
                if (!c.quiet && v + 1 < n_points)
                    fprintf(stderr, PROG ": %s broke the limits at %s=%g; no larger values for it\n",
                            proto_mode_name(modes[m]), bench_param_name(swept), values[v]);
            }
        }
    }

    /* the table goes to stdout unless JSON or CSV does */
    bool data_on_stdout = !strcmp(c.json, "-") || !strcmp(c.csv, "-");
    bench_report_table(data_on_stdout ? stderr : stdout, results, n_results);
    fflush(stdout);
    if (c.table[0]) {
        FILE *f = open_out(c.table);
        fprintf(f, "$ %s\n\n", command);
        bench_report_table(f, results, n_results);
        close_out(f, c.table);
    }
    if (c.json[0]) {
        FILE *f = open_out(c.json);
        bench_report_json(f, results, n_results, command);
        close_out(f, c.json);
    }
    if (c.csv[0]) {
        FILE *f = open_out(c.csv);
        bench_report_csv(f, results, n_results);
        close_out(f, c.csv);
    }
    if (c.plot[0]) {
        char err[256];
        if (bench_report_plot(c.plot, results, n_results, n_values > 1 ? swept : BENCH_P_NONE,
                              err, sizeof err) != 0) {
            fprintf(stderr, PROG ": error: plot: %s\n", err);
            failures++;
        }
    }
    for (size_t i = 0; i < n_results; i++)
        bench_result_free(&results[i]);
    free(results);
    spawn_kill_all();
    if (bench_stop_requested()) {
        fprintf(stderr, PROG ": interrupted\n");
        return 130;
    }
    return failures ? 1 : 0;
}
