/* live_lanes.h: a lane as the loop holds it (live_lanes.c): its senders'
 * states by key, its segments and wire counters; netsim's counters as
 * sampled; the calls that mark states, compute the figures and publish the
 * snapshot. */
#ifndef RICOCHET_LIVE_LANES_H
#define RICOCHET_LIVE_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lib/ricochet.h"
#include "lab/harness/lanes.h"
#include "stats/recvstats.h"
#include "live_snapshot.h"

struct histogram;
struct live;
struct live_snapshot;

#define LIVE_SENDER_MARKS (LIVE_MARKS / LIVE_SENDERS) /* states kept per sender, whatever
                                                         their count */
#define LIVE_SEQ_APART 0x10000000u /* sender k's states from seq 1 + k * this: netsim's paired
                                      loss judges a state by its seq, and the senders of a lane
                                      must not share their losses (the lanes still do) */
#define LIVE_WIRE_SAMPLES 256  /* a lane's wire counters, one a publish */
#define LIVE_NET_SAMPLES 512   /* netsim's counters, one a stats line */
#define LIVE_OFFERED_S 3       /* what the lanes send now: netsim's bytes in over this long */

/* A lane, as the loop holds it. */
struct live_lane {
    const struct bench_lane *def;
    int index;                      /* bench_lane() index */
    bool missing;                   /* the machine cannot run it (why says) */
    char why[320];                  /* whole: the page says it in its language */
    uint16_t port;                  /* where its clients go: its edge's, or its proxy's */
    bool clients;                   /* its clients exist (this generation's) */
    size_t n_senders;               /* ... its senders (1 or LIVE_SENDERS) */
    size_t sender[LIVE_SENDERS], receiver; /* ... their swarm indexes */
    bool running;                   /* all joined, the senders sending */
    uint8_t lost;                   /* its clients disconnected, by place (1 << sender,
                                       1 << senders: the receiver): made again alone */
    bool mending;                   /* ... made again, not all joined yet */
    uint64_t again_us;              /* ... and all joined again then (0: not since): why
                                       says so while the figures' window holds the cut */
    uint64_t mend_us;               /* ... when to make them (again, if that failed) */
    uint32_t sender_id[LIVE_SENDERS];
    char up_flow[LIVE_SENDERS][48], down_flow[48]; /* the senders' and the receiver's
                                       endpoints, as netsim names them */
    struct live_ends ends;
    uint32_t seq0[LIVE_SENDERS];    /* each sender's first seq (LIVE_SEQ_APART apart) */
    struct live_mark ring[LIVE_MARKS]; /* by its key ((seq - seq0) * n_senders + sender) %
                                          LIVE_MARKS */
    uint32_t hi;                    /* the highest key sent */
    bool any;
    uint32_t arrivals;              /* states the receiver got */
    uint64_t last_got_us;           /* ... the last one, when */
    struct recv_stats rs[LIVE_SENDERS];
    struct live_segment seg[LIVE_SEGMENTS];
    size_t seg_n, seg_at;
    uint64_t seg_drops;             /* a stream's segments netsim dropped, since it started */
    struct live_wire_sample {
        uint64_t t_us, bytes, datagrams;
        uint64_t heads, requests;   /* HTTP polling: head bytes, requests (client_netinfo) */
        uint64_t seg_drops;         /* the lane's seg_drops then */
        uint64_t sock_drops;        /* the kernel's drops at its receiver's socket, its
                                       receive buffer full */
        uint64_t host_drops;        /* ... at the relay's and netsims' sockets */
    } wire[LIVE_WIRE_SAMPLES];      /* both clients' wire counters, one a publish */
    size_t wire_n, wire_at;
    uint64_t sock_seen, sock_total; /* its receiver's socket's drops read last; every socket's
                                       since the samples started (a new socket counts anew) */
};

/* The counters of netsim's stats lines, summed over the netsims. */
struct live_net_sample {
    uint64_t t_us;
    uint64_t received[2], dropped[2], states[2], states_lost[2];
    uint64_t bytes[LIVE_NETSIMS][2]; /* each netsim's bytes in: a share is of each one's */
};
/* The lane of swarm client i, and which of its senders it is (-1: its
 * receiver) into *sender; NULL if none. */
struct live_lane *live_lane_of(struct live *lv, size_t i, int *sender);

/* The sender of the lane whose relay id is id, or -1. */
int live_lane_sender_of(const struct live_lane *l, uint32_t id);

/* The true path: where the lane's sender k of n is at t_us (the lesson's
 * clock) into s; the senders a quarter of the figure of eight apart. */
void live_path(const struct live *lv, uint64_t t_us, int k, struct ricochet_state *s);

/* The lane's sender k sent seq, intended for t_us, with what s holds. */
void live_lane_sent(struct live_lane *l, int k, uint32_t seq, uint64_t t_us,
                    const struct ricochet_state *s, uint64_t now_us);

/* The lane's receiver got (too_old: filtered) a state of sender k's;
 * asked_us: over HTTP polling, when the GET that brought it left (0:
 * another lane). */
void live_lane_got(struct live_lane *l, int k, const struct ricochet_event *ev, bool too_old,
                   uint64_t asked_us);

/* The lane's client of place role (a sender's index, n_senders or more: the
 * receiver) was disconnected at now_us: the states it had on their way (the
 * receiver: every one), late ones too, go with its connection if they never
 * come. */
void live_lane_cut(struct live_lane *l, int role, uint64_t now_us);

/* Sender k's state seq never left: its QUIC dropped it before it went
 * (congestion control held back its most, client_set_fate). */
void live_lane_unsent(struct live_lane *l, int k, uint32_t seq, uint64_t now_us);

/* The lane's pending states that will not come marked lost: a lossy
 * lane's that netsim or its sender dropped, and any older than grace_us. */
void live_lane_settle(struct live_lane *l, uint64_t grace_us, uint64_t now_us);

/* The lane's figures over [from_us, to_us) of intended send time, lat the
 * histogram to fill (the caller's, reset here). */
void live_lane_figures(struct live_lane *l, uint64_t from_us, uint64_t to_us,
                       struct histogram *lat, struct live_figures *f);

/* Does [a, b) meet [c, d), TCP sequence numbers modulo 2^32? */
bool live_ranges_meet(uint32_t a, uint32_t b, uint32_t c, uint32_t d);

/* Forgets the lane's states (its clients start again). */
void live_lane_reset(struct live_lane *l);

/* The mark of sender k's seq, if the lane still holds it. */
struct live_mark *live_lane_mark(struct live_lane *l, int k, uint32_t seq);

/* The last counters' sample at or before from_us and at or before to_us
 * into *a and *b; false unless both exist and differ. */
bool live_net_window(const struct live *lv, uint64_t from_us, uint64_t to_us,
                     struct live_net_sample *a, struct live_net_sample *b);

/* What came in to netsim k in direction d (0 up) from sample a to b,
 * kbit/s (0 if b is not later, or netsim started again between). */
double live_net_kbps(const struct live_net_sample *a, const struct live_net_sample *b,
                     size_t k, int d);

/* Marks lost what did not arrive within the grace, samples the wire
 * counters, computes each lane's figures and netsim's into the snapshot
 * to publish next (lv->tb's back slot), and returns it: the caller
 * publishes it (triple_publish), once the students' view has taken it. */
struct live_snapshot *live_lanes_snap(struct live *lv, uint64_t now_us);

#endif
