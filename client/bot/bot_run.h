/* bot_run.h: ricochet-bot's bots and their run: each bot's path (a
 * Lissajous curve drawn from the seed), what it saw of every sender, the
 * per-mode totals, and the loop (connect, join, send at intended times,
 * drain) on the swarm driver (swarm.h). */
#ifndef RICOCHET_BOT_RUN_H
#define RICOCHET_BOT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/histogram.h"
#include "client/lib/ricochet.h"
#include "client/swarm/swarm.h"
#include "bot_options.h"
#include "bot_progress.h"

/* What a bot sent in one session: as id, sequence numbers [first_seq, end_seq). */
struct membership {
    uint32_t id;
    uint32_t first_seq, end_seq;
    uint64_t sent;
};

/* What a bot learned about one sender in one of its own sessions (welcomes:
 * after a udp rejoin, e.g. when the relay restarted, ids start again and id
 * 2 may be another bot, or the same bot with a fresh sequence). Snapshotted
 * when the sender leaves, read from the client's member table otherwise. */
struct seen {
    uint32_t id;
    uint32_t session;      /* the receiver's welcome it was seen under, from 1 */
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool left;
    struct ricochet_stats stats;
    bool started;          /* a state came: first_seq is set */
    uint32_t first_seq;    /* the first state's sequence number */
    uint64_t lat_bound_us; /* largest error bound of its states' latency (clock offsets) */
};

struct bot {
    struct ricochet *c;
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    uint32_t id;
    bool dead;
    char dead_why[PROTO_TEXT_MAX + PROTO_CODE_MAX + 64]; /* ricochet_end_reason() */
    uint64_t sent;
    uint64_t send_failed;
    uint64_t next_send_us;  /* intended time of the next state */
    uint64_t offset_us;     /* this bot's phase within a period */
    uint64_t errors;        /* error events from the relay */
    uint32_t moves;         /* a fleet: relays it moved to (moved or rejoin) */
    uint64_t next_event_us; /* intended time of the next event (--events) */
    uint64_t events_sent, events_failed; /* sent; refused by the library (not joined) */
    uint64_t events_received; /* from the others */
    uint64_t throttled;     /* errors throttled: the relay held my messages back */
    /* Lissajous path */
    double ax, ay, wx, wy, px, py;
    struct seen *seen;
    size_t n_seen, cap_seen;
    uint32_t session;       /* welcomes so far: a udp rejoin starts another */
    struct membership *ms;  /* one per welcome: what this bot sent as which id */
    size_t n_ms, cap_ms;
};

/* Per-mode aggregates: counts by the mode each sender joined with, latency
 * by the mode each state arrived in (bots never switch modes). */
struct mode_agg {
    struct histogram *lat;
    uint64_t pairs, expected, received, lost, duplicates, reordered, too_old;
};

/* Every bot's figures together. */
struct bot_totals {
    struct mode_agg agg[PROTO_MODE_COUNT];
    uint64_t lat_bound_max_us; /* largest latency error bound of any state */
};

/* Delivery figures for one (receiver, sender) pair. For a sender in this
 * process the truth is what it sent; otherwise the sequence numbers seen. */
struct pair_fig {
    uint64_t expected, received, lost;
    double delivery; /* percent */
};

/* The bots of this process and what waiting on them needs. */
struct bot_run {
    volatile sig_atomic_t *stop; /* set by a signal: stop sending */
    struct bot_totals totals;
    const struct bot_options *o;
    uint64_t seed;
    struct bot *bots;
    size_t n;
    struct swarm *sw;     /* the clients */
    struct bot_progress *progress; /* --interval reports, or NULL */
    uint64_t start_us;    /* first intended send */
    uint64_t sent_end_us; /* sending stopped */
};

/* Copies names, modes and stats of b's current members into b->seen. */
void bot_seen_refresh(struct bot *b);

/* Delivery figures of one (receiver, sender) pair among n bots. */
struct pair_fig bot_pair_figures(const struct bot *bots, size_t n, const struct seen *s);

/* Adds every (receiver, sender) pair into t's per-mode aggregates. */
void bot_aggregate(struct bot *bots, size_t n, struct bot_totals *t);

/* Allocates sw->n bots and the per-mode histograms. Returns 0 or -1
 * (printed). bot_run_free frees what it and the run allocated. */
int bot_run_alloc(struct bot_run *sw);
void bot_run_free(struct bot_run *sw);

/* Creates every bot's client (connecting starts). Returns 0 or -1 (printed). */
int bot_run_connect(struct bot_run *sw);

/* Waits until every bot has joined, then lets the roster notices settle.
 * Returns 0, or -1 (printed) if one could not join or a signal came. */
int bot_run_join(struct bot_run *sw);

/* Sends until --duration, a signal or no bot left, then drains. */
void bot_run_send(struct bot_run *sw);

#endif
