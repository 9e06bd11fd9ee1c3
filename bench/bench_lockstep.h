/* bench_lockstep.h: ricochet-bench --lockstep: lockstep rooms. The clients
 * join rooms of --room-size players, each a lockstep room at --rate ticks
 * a second (the library's other defaults: an input delay of 4 ticks), and
 * each sends an input for every tick it aims at (ricochet_lockstep_aim),
 * once, when its aim moves on; the library repeats it until its frame
 * comes. An input's latency is from its send to the arrival of the
 * confirmed frame of its tick, both on the sender's clock: the input
 * delay, the relay's wait for the tick's deadline and the frame's way
 * back. A frame that holds a stand-in in the sender's slot instead (the
 * input came late) counts apart, as does one that never came. The relay's
 * CPU is measured over the window, as in every run. */
#ifndef RICOCHET_BENCH_LOCKSTEP_H
#define RICOCHET_BENCH_LOCKSTEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define BENCH_LOCKSTEP_INPUT 8 /* bytes of each input: the player's and the tick's numbers */

struct bench_lockstep_result {
    enum proto_mode mode;
    long players, room_size;
    uint32_t hz, delay;
    bool ok;
    char error[512];
    double window_s;
    uint64_t inputs;          /* inputs sent in the window */
    uint64_t confirmed;       /* ... whose frame came holding it */
    uint64_t stood_in;        /* ... whose frame came with a stand-in in its slot */
    uint64_t missing;         /* ... whose frame had not come when the run ended */
    uint64_t stepped_over;    /* ticks in the window a player's aim moved past without an
                                 input of its own (the library gives them its next) */
    uint64_t pass_gap_us;     /* the longest time between two looks at the players' aims
                                 in the window (a stalled generator steps over ticks) */
    uint64_t late_notices;    /* RICOCHET_EV_LATE heard, every player, whole run */
    uint64_t send_failed;     /* ricochet_send_input refused or failed, whole run */
    uint64_t frames;          /* frames received, every player, whole run */
    uint64_t connect_retries; /* clients made anew in the setup after a failed connect */
    struct histogram *latency; /* input sent to its confirmed frame, µs */
    bool relay_measured;
    double relay_cpu_pct;     /* of one core, over the window */
    long relay_peak_rss_kb;
    double generator_cpu_pct; /* the bench's own process, the same way */
};

/* One run of p->clients players in rooms of p->room_size at p->rate_hz
 * ticks a second, in mode, on a relay the bench starts. Returns 0, or -1
 * with l->error set (l->ok false). */
int bench_lockstep(const struct bench_config *cfg, const struct bench_params *p,
                   enum proto_mode mode, struct bench_lockstep_result *l);

/* Frees what bench_lockstep allocated in l. */
void bench_lockstep_free(struct bench_lockstep_result *l);

/* The results as a table, one line each, with a header. */
void bench_lockstep_table(FILE *f, const struct bench_lockstep_result *l, size_t n);

/* The results as JSON: {"command", "date", "lockstep": [{mode, players, ...}]}
 * (every count, the latency's p50, p99 and max in ms, the relay's CPU per
 * player, µs of it a second, and the floor of info, if any). */
void bench_lockstep_json(FILE *f, const struct bench_lockstep_result *l, size_t n,
                         const struct bench_run_info *info);

#endif
