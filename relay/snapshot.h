/* snapshot.h: what an operator may see of the relay, and the one place
 * where the loop and the HTTP thread meet (docs/design.md).
 *
 * Once per periodic tick the loop takes a snapshot (counters, gauges,
 * histograms, the busiest rooms, readiness) into the board's back buffer
 * and publishes it; the HTTP thread formats the newest published one. A
 * triple buffer: neither side ever waits on the other. Every turn the loop
 * also stores the time in the board's heartbeat word, which /healthz
 * compares with the clock. */
#ifndef RICOCHET_SNAPSHOT_H
#define RICOCHET_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "stats/timehist.h"
#include "relay/core/relay.h"

#define RELAY_BUSIEST_MAX 10 /* rooms listed on the page, the most members first */

/* Whether the relay should be sent players (/readyz). The loop owns it;
 * each snapshot copies it. */
struct relay_readiness {
    bool listening;            /* the transport is bound and served */
    bool directory_configured; /* a directory (Redis) is in use */
    bool directory_reachable;  /* its last call succeeded */
    bool draining;             /* stopping: no new players */
};

/* Ready: listening, not draining, and the directory reachable if one is
 * configured. */
bool relay_ready(const struct relay_readiness *r);

#define RELAY_SECONDS 121 /* state totals kept, one a second: the page's chart of
                             the last two minutes' rates, there as soon as it opens */

/* What the loop measures about itself. */
struct relay_loop_figures {
    struct timehist iteration; /* wall time of each turn, its wait excluded */
    uint64_t start_us;         /* the relay's start (monotonic µs) */
    /* States in and out so far at each of the last whole seconds, oldest
     * first: consecutive differences are rates per second. */
    uint64_t second_in[RELAY_SECONDS], second_out[RELAY_SECONDS];
    uint32_t seconds;          /* entries filled */
    uint64_t next_second_us;   /* when the next is due */
};

/* Pure, on every periodic tick: records the totals of st once a second
 * has passed since the last (the first at start_us). */
void relay_loop_second(struct relay_loop_figures *f, const struct relay_stats *st,
                       uint64_t now_us);

struct relay_snapshot {
    uint64_t taken_us; /* monotonic µs when taken */
    double uptime_s;
    uint32_t clients, members, rooms;
    uint32_t max_clients, max_rooms;
    uint32_t tick_us; /* 0: states are forwarded at once */
    struct relay_stats stats;
    struct relay_loop_figures loop;
    struct relay_readiness ready;
    uint32_t nbusiest;
    struct relay_room_info busiest[RELAY_BUSIEST_MAX];
};

/* Pure: fills s from the core r (created with cfg), the loop's figures
 * and readiness, at now_us. */
void relay_snapshot_take(struct relay_snapshot *s, const struct relay *r,
                         const struct relay_config *cfg, const struct relay_loop_figures *loop,
                         const struct relay_readiness *ready, uint64_t now_us);

struct relay_board;

/* A board with no snapshot yet and a heartbeat of 0. NULL when out of memory. */
struct relay_board *relay_board_create(void);
void relay_board_destroy(struct relay_board *b); /* NULL is fine */

/* The loop's side (one thread). */

/* The buffer to fill next (every field: relay_snapshot_take does). */
struct relay_snapshot *relay_board_back(struct relay_board *b);
/* Makes it the newest; never waits. */
void relay_board_publish(struct relay_board *b);
/* The loop turned at now_us (monotonic). */
void relay_board_beat(struct relay_board *b, uint64_t now_us);

/* The HTTP thread's side (one thread). */

/* The newest snapshot, NULL before the first; unchanged until the next call. */
const struct relay_snapshot *relay_board_newest(struct relay_board *b);
/* The loop's last turn (monotonic µs), 0 before the first. */
uint64_t relay_board_heartbeat(const struct relay_board *b);

#endif
