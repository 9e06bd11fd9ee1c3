/* bench_world.h: ricochet-bench --aoi: one world. Every client joins one
 * room with interest (radius --aoi) on a square field (--field wide) and
 * walks it at random at WORLD_SPEED; the bench reports what interest
 * management delivers and costs.
 *
 * The audit: at each send, the sender counts the others within the radius
 * of it, each where its own latest send put it (its last intended send at
 * or before that time); a receiver counts a state as delivered within the
 * radius by the same rule, so both sides judge a pair by the same
 * positions. What the relay may deliver beyond the radius (the band up to
 * 1.2 times it, where sight holds) is counted apart; beyond the leave
 * radius nothing may arrive. A state a receiver did not get while it got
 * a newer one of the same sender counts as superseded: a world's tick
 * sends each receiver every sender's newest state of the tick. One that
 * was neither, once the last states are read, counts as left the radius
 * if the pair was apart (beyond the radius) at a later send of either: no
 * newer state of the sender was the receiver's to get (a stall packs a
 * walk apart into one tick); any other is unsettled, a loss the kernel's
 * socket drops (socket_drops) or the relay's (relay_drops) may explain. With
 * --payload each state carries the bytes to make it that long, and with
 * --payload-check every delivery's are checked, as in any other run. */
#ifndef RICOCHET_BENCH_WORLD_H
#define RICOCHET_BENCH_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define WORLD_SPEED 5.0 /* arena units (metres) per second: a running player */

struct bench_world_result {
    enum proto_mode mode;
    long clients;
    double rate_hz, radius, field;
    bool ok;
    char error[512];
    double window_s;          /* the measured window */
    uint64_t sent;            /* states intended in the window */
    uint64_t in_radius;       /* (state, receiver) pairs within the radius at the send */
    uint64_t in_radius_got;   /* ... of them delivered */
    uint64_t superseded_in_radius; /* ... of them not delivered, but a newer state of the
                                 same sender was (a world's tick conflates): newest */
    uint64_t left_radius;     /* ... neither, the pair apart at a later send of either */
    uint64_t unsettled;       /* ... neither, the pair never apart after: lost */
    uint64_t socket_drops;    /* datagrams the kernel dropped on the clients' sockets */
    uint64_t connect_retries; /* clients made anew in the setup after a failed connect */
    uint64_t delivered;       /* every delivery of a window state */
    uint64_t beyond_leave;    /* deliveries to a receiver beyond 1.2 x the radius: 0 */
    uint64_t appeared, vanished; /* notices, all clients, the whole run */
    struct histogram *latency; /* one-way, µs, every delivery of a window state */
    long payload;             /* datagram bytes, each state padded up to it (--payload) */
    uint64_t payload_checked; /* --payload-check: deliveries whose payload was checked */
    uint64_t payload_corrupt; /* ... and not their sender's byte for byte: never to happen */
    bool relay_measured;
    double relay_cpu_pct;     /* of one core, over the window */
    long relay_peak_rss_kb;
    double generator_cpu_pct; /* the bench's own process (every client), the same way */
    /* The whole run's states, counted by the clients and by the relay (its
     * last stats record; relay_counted false if it printed none): what the
     * clients sent against its states_in, what they got against its
     * states_out. On loopback they agree. */
    uint64_t generator_sent, generator_received;
    bool relay_counted;
    uint64_t relay_states_in, relay_states_out;
    uint64_t relay_drops;     /* every drop its last record counts, by any reason */
    uint64_t relay_stale;     /* ... of them states shed as stale (it fell behind) */
};

/* One world run of p->clients at p->rate_hz in mode on a relay the bench
 * starts. Returns 0, or -1 with w->error set (w->ok false). */
int bench_world(const struct bench_config *cfg, const struct bench_params *p,
                enum proto_mode mode, double radius, double field,
                struct bench_world_result *w);

/* Frees what bench_world allocated in w. */
void bench_world_free(struct bench_world_result *w);

/* The results as a table, one line each, with a header. */
void bench_world_table(FILE *f, const struct bench_world_result *w, size_t n);

/* The results as JSON: {"command", "date", "worlds": [{mode, clients, ...}]}
 * (every count of struct bench_world_result, latency percentiles in ms,
 * and the floor of info, if any, in each world's record). */
void bench_world_json(FILE *f, const struct bench_world_result *w, size_t n,
                      const struct bench_run_info *info);

#endif
