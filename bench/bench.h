/* bench.h: ricochet-bench, the latency and loss benchmark.
 *
 * A run is one scenario (clients, rate, payload, impairment) in one mode:
 * the bench starts a relay (unless given one), a ricochet-netsim in between
 * when the scenario impairs the network, and N clients in one room, each
 * sending its state at a constant rate and receiving everyone else's.
 *
 * Latency is measured from the *intended* send time (k-th send of client i
 * is due at t0 + phase_i + k/rate), so a sender that falls behind adds its
 * delay to the measurement instead of hiding it (coordinated omission).
 * Only states whose intended time lies in the measurement window
 * [warm-up end, warm-up end + duration) count; sending stops at the window's
 * end, then the bench drains for a grace period.
 *
 * Impairment is given end to end, as a receiver experiences it (sender ->
 * relay -> receiver) and split over the two hops netsim sees: loss L becomes
 * p per hop with (1-p)^2 = 1-L, delay and jitter are halved per hop. */
#ifndef RICOCHET_BENCH_H
#define RICOCHET_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/audit/audit.h"
#include "lab/harness/lanes.h"
#include "lab/harness/params.h"
#include "stats/histogram.h"
#include "sys/netaddr.h"
#include "proto/wire.h"

struct netlab;

struct bench_config {
    char bin[512];           /* folder of ricochet-relay and ricochet-netsim */
    char relay[128];         /* external relay "ADDR:PORT", or "" to start one */
    long duration_ms;        /* measurement window */
    long warmup_ms;          /* sending before the window (not measured) */
    long grace_ms;           /* draining after the window */
    long setup_timeout_ms;   /* all clients joined and seeing each other */
    bool force_netsim;       /* use netsim even without impairment */
    bool reorder;            /* netsim may reorder under jitter */
    bool paired_loss;        /* netsim's --paired-loss: every run loses the same states */
    char netsim_args[256];   /* extra arguments for netsim, space-separated */
    char relay_args[256];    /* extra arguments for a relay we start */
    uint64_t seed;           /* netsim seed (0: netsim picks and prints one) */
    bool verbose;            /* progress on stderr */
    long room_size;          /* clients per room (0: all in one room) */
    long procs;              /* generator processes (1: this one); rooms are never split */
    char drop_log_dir[256];  /* keep netsim's drop log of each run here ("": a temporary
                                file, removed once read) */
    long per_host;           /* ENet clients per shared host (swarm_config.per_host) */
    bool enet_hosts;         /* ENet clients on ENet hosts, not speaking ENet's wire from
                                wire hubs (swarm_config.wire_hubs) */
    uint32_t send_grain_us;  /* swarm_config.send_grain_us */
    uint32_t join_gap_us;    /* swarm_config.create_gap_us */
    uint32_t poll_every_ms;  /* poll-short's clients ask this often */
    bool payload_check;      /* each state's payload a pattern keyed by its seq, every
                                delivered one checked (audit.payload_corrupt) */
    bool encrypt;            /* sealed sessions: the bench's relay runs with --encrypt and
                                a key of the run's, the clients with tickets it mints; a
                                session the relay does not seal fails the run */
    const char **tickets;    /* --ticket (with --relay): client i's is tickets[i]; one
                                block with the texts, free(tickets) frees it */
    size_t n_tickets;
    long pause_relay_ms;     /* the relay stopped this long a third into the window (0: no) */
    double recovered_p99_ms; /* ... and recovered once sends are on time within this
                                (also after --fleet-event kill or term) */
    long fleet;              /* relays of a fleet started for the run, sharing a directory
                                in a redis-server it starts too (0: one relay, no fleet);
                                clients join through them in turn */
    int fleet_event;         /* enum bench_fleet_event, --event-at into the window */
    long event_at_ms;
    const struct netlab *lab; /* --netsim-ip: netsim's IP mode between these namespaces,
                                the relay in one, the clients in the other (NULL: the UDP
                                proxy on loopback) */
    int tcp_relay;           /* enum bench_tcp_relay: what serves the tcp mode */
    bool fleet_sentinel;     /* the directory is a primary, its replica and three
                                sentinels (lab/harness/redislab.h), not one redis-server */
};

/* The relay the bench starts for the tcp mode (--tcp-relay). */
enum bench_tcp_relay {
    BENCH_TCP_EXAMPLE,       /* examples/sockets/tcp_relay, the teaching relay (no
                                limits, no notices, no stats record) */
    BENCH_TCP_RICOCHET,      /* ricochet-relay --transport tcp (the default) */
    BENCH_TCP_COUNT
};
#define BENCH_TCP_RELAY_CHOICES "example|ricochet"


/* The window by intended send time, in buckets: how each bucket's sends
 * fared (for --pause-relay-ms: when they were on time again). */
#define BENCH_TIMELINE_BUCKET_US 50000
#define BENCH_TIMELINE_MAX 1200 /* buckets: a window of 60 s */
struct bench_timeline {
    uint64_t expected[BENCH_TIMELINE_MAX];  /* sends x their receivers */
    uint64_t delivered[BENCH_TIMELINE_MAX]; /* unique states received */
    uint64_t late[BENCH_TIMELINE_MAX];      /* ... later than recovered_p99_ms */
};

/* The strip of one receiver (the second client), as the lesson page draws
 * it: each state it expected from the others of its room in the window, at
 * its intended send time, with its one-way latency or lost. */
struct bench_mark {
    double t_s;          /* intended send time, from the window's start */
    double latency_ms;   /* one-way, from the intended send time; < 0: never arrived */
    uint32_t sender;     /* the sender's client index */
    uint32_t seq;
};
struct bench_strip {
    size_t n;
    struct bench_mark *marks; /* by sender, then seq (owned) */
};

/* When a paused relay was on time again: from the moment it went on
 * (resumed_us after the window's start) to the start of the first bucket
 * from which every bucket with sends has 99% delivered and at most 1%
 * late (its p99 within the bound). Returns that in ms (0: on time at
 * once), or -1 if the window ended first. */
double bench_recovery_ms(const struct bench_timeline *tl, uint64_t resumed_us);

#define BENCH_FLEET_MAX 8

/* What happens to a fleet during the window (--fleet-event). */
enum bench_fleet_event {
    BENCH_EVENT_NONE,
    BENCH_EVENT_KILL,        /* SIGKILL the last relay: its rooms fail over */
    BENCH_EVENT_TERM,        /* SIGTERM the last relay: it drains */
    BENCH_EVENT_PAUSE_REDIS, /* SIGSTOP the directory for 5 s */
    BENCH_EVENT_KILL_REDIS,  /* SIGKILL the directory's primary (with sentinels: a failover) */
    BENCH_EVENT_COUNT
};
#define BENCH_EVENT_CHOICES "none|kill|term|pause-redis|kill-redis"

#define BENCH_MAX_PROCS 16

/* Ground truth from netsim's final counters (datagrams, all traffic). */
struct bench_netsim_truth {
    bool valid;
    uint64_t seed;           /* the seed netsim used */
    uint64_t received[2], dropped[2], duplicated[2], reordered[2];
    double drop_pct[2];      /* per direction: dropped / received */
    double e2e_loss_pct;     /* 1 - (1-up)(1-down): what a delivery should see */
};

/* The figures --repeat reports as the median of the runs with their
 * min-max, in the unit the reports print them in. */
enum bench_figure {
    BENCH_F_LOST,        /* lost_pct, % */
    BENCH_F_P50,         /* latency, ms */
    BENCH_F_P90,
    BENCH_F_P99,
    BENCH_F_P999,
    BENCH_F_MAX,
    BENCH_F_MEAN,
    BENCH_F_JITTER,      /* RFC 3550, ms */
    BENCH_F_RELAY_CPU,   /* relay_cpu_pct, % of a core */
    BENCH_F_BENCH_CPU,   /* bench_cpu_pct */
    BENCH_F_BYTES,       /* bytes_per_msg */
    BENCH_F_LATE99,      /* late_p99_us: the generator's own delay, ms */
    BENCH_F_RELAY_US,    /* relay_us_per_delivery, µs */
    BENCH_F_JOIN50,      /* join_p50_us: connect to welcome (moves included), ms */
    BENCH_F_JOIN99,
    BENCH_F_REJOIN,    /* rejoin_us: a fleet event to the last client welcomed
                            again, ms */
    BENCH_F_RECOVERY,    /* recovery_ms: on time again after a relay's pause, kill or
                            drain, ms (-1: not within the window) */
    BENCH_F_BPS,         /* wire_bps, bits a second */
    BENCH_F_GAP,         /* max_gap_ms: the longest gap between two states from one sender */
    BENCH_F_REDIS_CALLS, /* redis_calls_per_relay_s: a fleet's calls of its directory */
    BENCH_F_NEW_OUT,     /* new_rooms_out_ms: a directory event to new rooms placed again */
    BENCH_F_NEW_WAIT,    /* new_room_wait_ms: the longest join of a new room after it */
    BENCH_F_COUNT
};

/* Min and max of each figure over the runs of a --repeat (runs 1: both
 * are the value). */
struct bench_spread {
    size_t runs;             /* runs the figures are over (failed ones left out) */
    size_t repeats;          /* runs made */
    double min[BENCH_F_COUNT], max[BENCH_F_COUNT];
};

/* What TCP did to recover from the network's losses in IP mode, from the
 * kernel's counters of each side's namespace over the window: [0] the
 * clients' (their streams upwards), [1] the relay's (downwards). */
enum bench_tcp_counter {
    BENCH_TCP_RETRANS,    /* segments sent again (Tcp RetransSegs) */
    BENCH_TCP_FAST,       /* fast retransmits: SACK, duplicate acknowledgements, RACK */
    BENCH_TCP_PROBES,     /* tail loss probes */
    BENCH_TCP_TIMEOUTS,   /* retransmission timeouts (RTO: 200 ms at least on Linux) */
    BENCH_TCP_COUNTERS
};
struct bench_tcp_recovery {
    bool valid;
    uint64_t n[2][BENCH_TCP_COUNTERS];
};

/* Everything one run measured. Counts cover the measurement window. */
struct bench_result {
    struct bench_params params;
    enum proto_mode mode;
    uint8_t carrier;         /* ... over this (struct bench_mode) */
    bool webrtc;             /* ... over WebRTC */
    uint32_t poll_interval_ms; /* ... short polling, a GET this often (0: not) */
    bool ok;                 /* false: the run failed; error says why */
    char error[512];

    uint64_t sent;           /* intended sends in the window */
    uint64_t send_errors;    /* client_send_state failures among them */
    uint64_t expected;       /* sent x receivers */
    uint64_t delivered;      /* unique states received */
    uint64_t duplicates, reordered, too_old;
    uint64_t clock_bound_us; /* largest error bound of a latency (clock offsets to the relay) */
    double lost_pct;         /* 100 * (expected - delivered) / expected */
    struct histogram *latency; /* one-way µs from the intended send (owned) */
    uint64_t p50_us, p90_us, p99_us, p999_us, max_us;
    double mean_us;
    struct histogram *send_late; /* µs each send left after its intended time (owned):
                                    the generator's own delay, inside every latency */
    uint64_t late_p50_us, late_p99_us;
    double jitter_us;        /* RFC 3550 J, mean over (receiver, sender) pairs */
    uint64_t jitter_pairs;   /* ... that many pairs */
    uint64_t enet_clients;   /* clients the ENet means below are over */
    double enet_rtt_ms;      /* ENet's RTT, mean over clients (0 in udp) */
    double enet_loss_pct;    /* ENet's packetLoss, mean over clients */
    uint64_t disconnects;    /* clients that lost their connection */
    uint64_t connect_retries; /* clients made anew in the setup, their connect refused or
                                left unanswered (not refused by the relay by name) */
    size_t rooms;            /* rooms the clients were split into */
    double worst_room_pct;   /* delivery of the worst room, % */
    size_t rooms_below;      /* rooms that delivered less than 99.9 % */

    bool relay_measured;     /* false with an external relay */
    double relay_cpu_s;      /* relay CPU in the window + drain */
    double relay_cpu_pct;    /* of one core */
    double relay_us_per_delivery; /* relay_cpu_s per delivered state, µs */
    struct bench_result_ratio {   /* ... over the plan's first mode's, round by round
                                     (--repeat: the modes take turns); rounds 0: none */
        size_t rounds;
        struct bench_mode vs;
        double median, min, max;
    } relay_ratio;
    long relay_peak_rss_kb;  /* VmHWM */
    uint64_t relay_drops;    /* relay's own drop counters, summed */
    double bench_cpu_pct;    /* the busiest generator process, of one core: is the bench
                                the bottleneck? */
    size_t procs;            /* generator processes (0 or 1: this one) */
    double proc_cpu_pct[BENCH_MAX_PROCS]; /* each one's CPU, of one core */

    uint64_t wire_bytes;     /* UDP payload bytes sent + received by the clients (tcp: TCP
                                payload, retransmissions included) */
    uint64_t wire_datagrams; /* ... in datagrams (tcp: segments, acknowledgements included) */
    double bytes_per_msg;    /* (wire_bytes + headers) / delivered: 28 bytes a datagram
                                (IPv4, UDP), 52 a segment (IPv4, TCP, timestamps) */
    double wire_bps;         /* (wire_bytes + headers) x 8 a second of the window, every
                                client in and out, as iperf3 counts its bit rate */

    bool with_netsim;
    double hop_loss_pct, hop_delay_ms, hop_jitter_ms; /* what netsim was given */
    uint64_t netsim_seed;
    struct bench_netsim_truth truth;
    double loss_diff_pct;    /* lost_pct - truth.e2e_loss_pct */
    struct audit_result audit; /* every missed state against netsim's drop log */

    struct bench_spread spread; /* over the runs of --repeat (bench_merge_runs) */

    double pause_ms;         /* --pause-relay-ms: how long the relay was stopped, 0: not */
    double pause_at_s;       /* ... from the window's start */
    double recovery_ms;      /* ... then on time again after this (bench_recovery_ms; -1:
                                not within the window) */
    struct bench_timeline timeline;
    struct bench_strip strip; /* the second client's states (bench_report_plot's timeline) */
    uint64_t join_p50_us, join_p99_us; /* client created to first welcome */
    size_t relays;           /* a fleet's (0: one relay, no fleet) */
    size_t split_rooms;      /* rooms whose members were not all on one relay after setup */
    uint64_t moved;          /* clients that went to another relay after the event */
    uint64_t rejoin_us;    /* the event to the last of them welcomed again (0: none) */
    double event_at_s;       /* a kill or drain: when, from the window's start (0: none);
                                recovery_ms counts from it, over the rooms it hit */
    uint64_t max_gap_us;     /* the longest time between two window states one receiver got
                                from one sender (arrival to arrival) */
    bool ip_mode;            /* through netsim's IP mode (--netsim-ip) */
    struct bench_tcp_recovery tcp; /* a stream's, in IP mode */
    char relay[48];          /* the program that served the run, if not ricochet-relay
                                ("examples/sockets/tcp_relay") */
    double redis_calls_s;    /* a fleet: calls the relays made of their directory a second,
                                per relay, in the window (to the event if it kills Redis;
                                -1: not measured) */
    /* A directory event (pause-redis, kill-redis): joins probed from it on, every
     * 250 ms, for a new room or for an existing one through a relay that does
     * not hold it. */
    uint64_t probes;         /* joins probed */
    uint64_t new_refused;    /* ... for new rooms, refused (directory_unavailable) */
    double new_rooms_out_ms; /* the event to the last new-room probe refused (0: none was) */
    double new_room_wait_ms; /* the longest a new room's probe waited for its welcome */
    uint64_t held_twice;     /* existing rooms a probe found on another relay than their
                                members': held by two relays at once */
};

void bench_config_default(struct bench_config *cfg);

/* Runs params in mode and fills r (r->latency is allocated; free with
 * bench_result_free). Returns 0, or -1 with r->ok false and r->error set. */
int bench_run(const struct bench_config *cfg, const struct bench_params *params,
              struct bench_mode mode, struct bench_result *r);

/* The mode r was measured in. */
struct bench_mode bench_result_mode(const struct bench_result *r);

void bench_result_free(struct bench_result *r);

/* The figure's name in JSON and CSV ("lost_pct", "p99_ms", ...) and its
 * value in r, in that unit. */
const char *bench_figure_name(enum bench_figure f);
double bench_figure(const struct bench_result *r, enum bench_figure f);

/* Sets out to n runs of one scenario and mode (--repeat): each figure the
 * median of the runs that measured something (failed ones left out; n even:
 * the mean of the middle two), with min-max in out->spread; counts (sent,
 * delivered, netsim's, the audit's) summed; the latency histograms merged
 * (the CDFs pool every run); ok only if every run was. Takes the runs'
 * histograms (the caller frees only the array). Returns 0, or -1 when out
 * of memory (out is then runs[0], the rest freed). */
int bench_merge_runs(struct bench_result *runs, size_t n, struct bench_result *out);

/* The figures that follow from r's counts and histograms: lost %, the
 * latency percentiles, bytes per delivered state (lab/harness/figures.h, as
 * ricochet-lesson computes its lanes'), the relay's CPU per delivery, the
 * recovery. */
void bench_result_derive(struct bench_result *r);

/* Asks a running bench_run to stop early (async-signal-safe: for SIGINT
 * handlers); the run tears down its children and reports an error. */
void bench_request_stop(void);
bool bench_stop_requested(void);

/* The machine's datagram limit: 40-byte datagrams per second that one
 * thread sends (sendmmsg) and receives (recvmmsg) through loopback, over ms
 * milliseconds. Returns the rate, or -1 with errno. */
double bench_datagram_limit(long ms);

/* Parses the JSON line netsim prints at exit into t. Returns 0 or -1. */
int bench_parse_netsim(const char *text, struct bench_netsim_truth *t);

/* r's scenario in words ("4 clients, 60 Hz, ..." and netsim's per-hop
 * settings), into buf. */
void bench_result_describe(char *buf, size_t cap, const struct bench_result *r);

/* Reports over n results (one per scenario and mode). */
void bench_report_table(FILE *out, const struct bench_result *r, size_t n);
/* What a JSON report says about the run beside its results: the command
 * line (bench_command_line) and when it started ("2026-11-23 04:10 UTC");
 * either may be NULL. floor_dps: the machine's floor measured in the same
 * run (--floor), written into every record (bench_yardstick.h); 0: none. */
struct bench_run_info {
    const char *command;
    const char *date;
    double floor_dps;
};
int bench_report_json(FILE *out, const struct bench_result *r, size_t n,
                      const struct bench_run_info *info);
/* argv as one line a shell would run again: an argument with a space or a
 * shell character is single-quoted ("--relay-args '--tick-ms 50'"). */
void bench_command_line(int argc, char **argv, char *out, size_t cap);
int bench_report_csv(FILE *out, const struct bench_result *r, size_t n);
/* What the plots show besides the results. */
struct bench_plot_opts {
    enum bench_param swept;    /* x axis of the sweep plots (BENCH_P_NONE: no sweep) */
    double break_p99_ms;       /* --break-p99, drawn on p99.png (0: none) */
    double break_delivery_pct; /* --break-delivery, drawn on delivery.png (0: none) */
};

/* Writes data files, a gnuplot script and PNGs into dir (created): per
 * scenario the latency CDF and its tail over every sent state, and per
 * mode its strip (timeline_LABEL_MODE.png: each state the second client
 * expected, at its send time and latency, the lost ones marked); for a sweep
 * p99.png and delivery.png with --repeat's min-max as error bars. Returns
 * 0, or -1 with a message in err (gnuplot missing or failing). */
int bench_report_plot(const char *dir, const struct bench_result *r, size_t n,
                      const struct bench_plot_opts *opts, char *err, size_t err_cap);

#endif
