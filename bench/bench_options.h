/* bench_options.h: ricochet-bench's command line: the options, and what
 * they become: the run configuration and the plan (modes, sweep values). */
#ifndef RICOCHET_BENCH_OPTIONS_H
#define RICOCHET_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "bench.h"

#define BENCH_PROG "ricochet-bench"
#define BENCH_MAX_SWEEP 64

struct bench_options {
    char relay[128];
    char bin[512];
    long clients;
    long room_size;
    long procs;
    long per_host;
    bool enet_hosts;
    double send_grain; /* ms */
    long poll_every;   /* ms */
    double rate;
    long payload;
    double duration, warmup, grace, setup_timeout; /* seconds */
    double join_every;       /* ms */
    char modes[256];
    double loss, delay, jitter;
    bool reorder;
    bool paired_loss;
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
    double floor;       /* --floor: the machine's floor, datagrams a second (0: none) */
    bool ticket_cost;
    int log_level;
    bool encrypt;
    bool payload_check;
    char ticket[1024];
    double pause_relay_ms, recovered_p99_ms;
    long fleet;
    int fleet_event;
    double event_at;
    bool fleet_sentinel;
    double aoi, field;  /* --aoi: one world of this radius on a field this wide */
    bool lockstep;      /* lockstep rooms of --room-size at --rate ticks a second */
    bool netsim_ip;     /* netsim's IP mode between two network namespaces */
    int tcp_relay;      /* enum bench_tcp_relay */
};

/* What to run: the base parameters, the modes, and the sweep values. */
struct bench_plan {
    struct bench_params base;
    struct bench_mode modes[BENCH_MODES];
    int n_modes;
    enum bench_param swept;
    double values[BENCH_MAX_SWEEP];
    size_t n_values; /* 0: no sweep, one point */
    size_t n_points;
};

/* The options of c from argv, and the log level they set; exits 2 on
 * anything wrong (0 after --help, --version, --man). */
void bench_options_parse(int argc, char **argv, struct bench_options *c);

/* Checks what the option table cannot (--relay, --drop-log-dir, --modes,
 * --sweep; exits 2 on anything wrong) and turns c into the run
 * configuration cfg and the plan p. */
void bench_options_apply(const struct bench_options *c, struct bench_config *cfg,
                         struct bench_plan *p);

/* Takes out of the plan the modes a UDP proxy cannot carry (a stream's),
 * for a run that falls back to it from IP mode; their names, comma
 * separated, into gone (cap bytes). Returns how many are left. */
int bench_plan_without_streams(struct bench_plan *p, char *gone, size_t cap);

#endif
