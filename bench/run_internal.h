/* run_internal.h: one benchmark run's insides, shared by the files that
 * make it (bench.h has the bench's API):
 *   bench_run.c       bench_run(): the order of things, the teardown, the audit
 *   bench_children.c  the relay and the netsim it starts, their last records
 *   bench_measure.c   this process's clients, the window, the figures
 *   bench_status.c    the run's error, progress lines and stop request
 *   bench_procs.c     --procs: the clients over several generator processes
 *   bench_fleet.c     --fleet: a directory and several relays, --fleet-event
 *   bench_network.c   where relay and clients sit (loopback, or --netsim-ip's
 *                     namespaces) and what serves the tcp mode
 *   bench_strip.c     the second client's strip (struct bench_strip) */
#ifndef RICOCHET_RUN_INTERNAL_H
#define RICOCHET_RUN_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lib/client.h"
#include "client/swarm/swarm.h"
#include "stats/recvstats.h"
#include "lab/harness/redislab.h"
#include "lab/harness/redisproc.h"
#include "lab/harness/spawn.h"
#include "lab/audit/audit.h"
#include "bench.h"
#include "bench_tickets.h"

#define START_LEAD_US 20000    /* first send this long after setup */
#define STRIP_RECEIVER 1       /* the client whose strip a run keeps (bench_strip.c) */
#define STOP_WAIT_MS 3000      /* SIGTERM -> exit deadline */

struct peer {
    struct ricochet *c;     /* the swarm's client i */
    uint32_t id;            /* its relay's id for it (a fleet: the relay it is on now) */
    bool dead;
    bool welcomed;          /* its first welcome came (join latency taken) */
    bool moving;            /* a fleet: it left its relay after the event, not welcomed yet */
    bool hit;               /* a fleet: on the relay the event killed or drained */
    uint64_t sent_window;   /* intended sends inside the window */
};

struct run {
    const struct bench_config *cfg;
    const struct bench_params *params;
    enum proto_mode mode;
    uint8_t carrier;        /* ... over this (struct bench_mode) */
    bool webrtc;            /* ... over WebRTC: the relay's ws and webrtc edges */
    struct bench_result *r;
    size_t n;
    size_t first;           /* number of this process's first client (--procs) */
    struct bench_tickets tickets; /* the clients' (--encrypt, --ticket) */
    struct peer *peers;
    struct swarm *sw;       /* drives the clients */
    size_t k;               /* room size (n: one room) */
    struct recv_stats *rs;  /* n x k: rs[receiver * k + sender's place in the room] */
    uint64_t *last_rx;      /* n x k, as rs: when the receiver last got a window state from
                               that sender (0: none yet), for the longest gap */
    int32_t *index_of_id;   /* relay id -> peer index, -1 */
    uint32_t max_id;
    uint64_t win_start, win_end;
    uint64_t delivered;
    uint64_t last_arrival_us; /* of a state from the window */
    uint64_t max_latency_us;  /* of any state received */
    struct spawn_proc relay, netsim;
    bool relay_started, netsim_started;
    bool tearing_down;      /* disconnects are expected now */
    /* the audit (audit.h), when netsim writes a drop log for us */
    struct audit_track *track;
    struct audit_client *aclients; /* n */
    char drop_log[512];     /* netsim's --drop-log ("" = none) */
    /* WebRTC and QUIC: the clients' key log netsim reads (--keylog; "" =
     * none); WebRTC: where netsim listens (the relay's --webrtc-advertise)
     * and the webrtc edge */
    char keylog[512];
    char advertise[64];
    int webrtc_port;
    uint64_t listen_end_us; /* when the bench stopped counting arrivals */
    int pause_step;         /* --pause-relay-ms: 0 to come, 1 relay stopped, 2 done */
    uint64_t pause_next_us; /* when the next step is due */
    struct histogram *join; /* client created to its first welcome, µs */
    /* --fleet (bench_fleet.c) */
    struct redisproc redis;
    bool redis_started, redis_paused;
    struct redislab lab;    /* --fleet-sentinel: the directory instead of redis */
    bool lab_started;
    long long redis_calls0; /* the directory's calls at the window's start (-1: unknown) */
    uint64_t redis_calls0_us;
    struct fleet_probes *probes; /* a directory event's joins (bench_probe.c) */
    struct spawn_proc fleet[BENCH_FLEET_MAX];
    uint16_t fleet_ports[BENCH_FLEET_MAX];
    size_t n_fleet;         /* relays started */
    uint64_t event_us;      /* when --fleet-event happened (0: not yet, or none) */
    struct run_strip *strip; /* STRIP_RECEIVER's sends and arrivals so far (bench_strip.c) */
};

/* ---- bench_status.c ---- */

/* Set by bench_request_stop(): every wait of a run gives up on it. */
extern volatile sig_atomic_t run_stop;

/* A progress line on the log, with --verbose only. */
void run_log(const struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails the run: the message into run->r->error, r->ok false. Returns -1. */
int run_fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- bench_measure.c ---- */

/* Creates this process's clients (run->first, run->n) towards host:port
 * and waits until every one is joined (and, over ENet, sees all the
 * others), within --setup-timeout. Returns 0 or run_fail(). */
int run_setup_clients(struct run *run, const char *host, int port);

/* Services the clients for at most wait_us; dead ones are marked. */
void run_service(struct run *run, uint64_t wait_us);

/* Sends from t0 through the warmup and the window, drains until every
 * expected state arrived (or the grace ran out, or an unreliable mode went
 * quiet), then records the figures. Returns 0, or run_fail() if
 * interrupted. */
int run_measure(struct run *run, uint64_t t0);

/* --payload-check: is the payload of the STATE event ev, just polled from
 * client c, the pattern its seq keys (stats/pattern.h), as long as a
 * datagram of `payload` bytes made it? A corrupted one is logged (warn). */
bool run_payload_intact(const struct ricochet *c, const struct ricochet_event *ev,
                        long payload);

/* The result's counts from every client's receive statistics, then
 * bench_result_derive(). */
void run_summarize(struct run *run);

/* This process's CPU time so far (user + system), seconds: the generator's. */
double run_cpu_self_s(void);

/* The relay's CPU and memory from wall0_us (and its usage then) to now. */
void run_relay_figures(struct run *run, const struct spawn_usage *relay0, uint64_t wall0_us);

/* ---- bench_children.c ---- */

/* Starts ricochet-relay on a free port of run_relay_host() for the run's
 * transport and clients (tcp: what --tcp-relay says); *port gets it.
 * Returns 0 or run_fail(). */
int run_start_relay(struct run *run, int *port);

/* The same as relay (not run->relay), with extra arguments (NULL-ended,
 * may be NULL) before --relay-args. */
int run_start_relay_as(struct run *run, struct spawn_proc *relay, const char *const *extra,
                       int *port);

/* Starts ricochet-netsim in front of relay_host:relay_port (in IP mode:
 * between the namespaces, before the relay) with the run's per-hop
 * impairment (and a drop log for the audit); *port gets its listening port
 * (IP mode: 0). Returns 0 or run_fail(). */
int run_start_netsim(struct run *run, const char *relay_host, int relay_port, int *port);

/* --pause-relay-ms, one step at a time from the window's loop: stops the
 * relay a third into the window, lets it go on pause_relay_ms later (at
 * once with now UINT64_MAX: a run that ends early), records both in the
 * result. Returns when the next step is due, UINT64_MAX when none is. */
uint64_t run_pause_step(struct run *run, uint64_t now);

/* ---- bench_strip.c ---- */

/* A window state of sender's, intended for t_us, that STRIP_RECEIVER
 * expects; its first arrival there, latency_us after its intended time. */
void run_strip_sent(struct run *run, size_t sender, uint32_t seq, uint64_t t_us);
void run_strip_got(struct run *run, size_t sender, uint32_t seq, int64_t latency_us);

/* The marks into run->r->strip (every send, each arrived or lost), and
 * the records freed. */
void run_strip_finish(struct run *run);

/* ---- bench_probe.c ---- */

/* From a directory event (pause-redis, kill-redis) to the window's end: a
 * join every 250 ms, for a new room or (every other one) for an existing
 * room through a relay that does not hold it, each closed once welcomed
 * or refused. Call often; the first call after the event starts them. */
void run_probe_step(struct run *run, uint64_t now_us);

/* Closes what is still open and writes the figures into run->r. */
void run_probe_finish(struct run *run);

/* ---- bench_fleet.c ---- */

/* Starts a redis-server (--fleet-sentinel: a primary, its replica and
 * three sentinels) and cfg->fleet relays sharing it as their directory,
 * each advertising the port it binds; fleet_ports gets them. Returns 0 or
 * run_fail(). */
int run_start_fleet(struct run *run);

/* The relays' calls of their directory: counted from the window's start
 * (first call) to now (the second), in r->redis_calls_s per relay. */
void run_fleet_redis_calls(struct run *run, uint64_t now_us);

/* The relays' CPU seconds so far, summed over those still running. */
double run_fleet_cpu_s(const struct run *run);

/* Makes --fleet-event happen once its time in the window has come (and
 * ends a directory pause after 5 s). Call it from the measurement loop. */
void run_fleet_event(struct run *run, uint64_t now_us);

/* The relays clients join through (the first of fleet_ports): all but the
 * one a kill takes down, since a client rejoins through the relay it came
 * in by (a real fleet's entry is a name that outlives any one relay). */
size_t run_fleet_entries(const struct run *run);

/* Client i's state sent at t counts in the recovery timeline: after a kill
 * or a drain, only the rooms it hit (on time again is about them). */
bool run_fleet_in_timeline(const struct run *run, size_t i, uint64_t t);

/* The clients' connect, join and peer timeout: a kill's clients notice
 * their relay is gone as real ones would (PROTO_TIMEOUT_MS); otherwise the
 * setup's deadline (thousands of handshakes on a busy machine). */
uint32_t run_fleet_client_timeout_ms(const struct run *run);

/* Rooms whose members are not all on one relay (after the setup). */
size_t run_fleet_split_rooms(const struct run *run);

/* Stops the directory (the relays are stopped with the others). */
void run_stop_directory(struct run *run);

/* ---- bench_network.c ---- */

/* Where the relay binds and the clients reach it: 127.0.0.1, or in IP
 * mode the relay side's 198.19.0.1. */
const char *run_relay_host(const struct run *run);

/* The network namespace the relay runs in (-1: the bench's own). */
int run_relay_netns(const struct run *run);

/* ricochet-relay's --transport for the run's mode: enet, udp, tcp or ws
 * (a run over WebRTC: the ws edge, where the offers go, and a webrtc edge
 * beside it: run_relay_edges). */
const char *run_relay_transport(const struct run *run);

/* A run over WebRTC: the relay's --listen ws:// and webrtc:// edges on
 * run_relay_host() (ports the kernel picks) and, behind netsim, the
 * address its answers name (--webrtc-advertise), into args (6 at most,
 * pointing into buf). Returns how many. */
size_t run_relay_edges(struct run *run, char *buf, size_t cap, const char **args);

/* A run over WebRTC behind netsim: picks the port netsim will listen on
 * (run->advertise: the relay's answers name it). Returns 0 or run_fail(). */
int run_pick_advertise(struct run *run);


/* Does examples/sockets/tcp_relay serve this run (tcp, --tcp-relay example)? */
bool run_example_relay(const struct run *run);

/* Starts examples/sockets/tcp_relay as relay (in the relay's namespace),
 * on a port the kernel picks; *port gets it. Returns 0 or run_fail(). */
int run_start_example_relay(struct run *run, struct spawn_proc *relay, int *port);

/* The relay program that serves the run's lane when not ricochet-relay
 * ("reference-relay"), or NULL. */
const char *run_lane_program(const struct run *run);

/* Starts that program as relay (in the relay's namespace) from the bench's
 * folder of programs, on a port the kernel picks (*port gets it), with a
 * member per client and --relay-args' --tick-ms, if any. Returns 0 or
 * run_fail(). */
int run_start_lane_relay(struct run *run, struct spawn_proc *relay, int *port);

/* netsim's arguments that say where it sits, into args (4 at most): the
 * proxy's --relay HOST:PORT (written into upstream), or IP mode's two
 * namespaces. Returns how many. */
size_t run_netsim_place(const struct run *run, const char *relay_host, int relay_port,
                        char *upstream, size_t cap, const char **args);

/* Waits for a netsim just started: the proxy's listening port into *port,
 * or in IP mode its wire (*port 0). Returns 0 or run_fail(). */
int run_wait_netsim(struct run *run, int *port, int timeout_ms);

/* swarm_create, then swarm_wait_ready by deadline_us (every client joined
 * and, ENet, seeing its room), the clients' sockets made in the client
 * namespace in IP mode, those made anew after a failed connect too. Sets
 * run->sw (NULL if it could not be made) and the result's connect_retries.
 * Returns 0 or run_fail(). */
int run_swarm_start(struct run *run, const struct swarm_config *sc,
                    const struct swarm_hooks *hooks, uint64_t deadline_us);

/* How long one connect of the setup may go unanswered before its client
 * is made anew (swarm_config.connect_timeout_ms), for a setup of
 * setup_timeout_ms, of a client of mode over transport (enum
 * ricochet_transport): ENet's handshake, a third of it, 5 to 10 s, never
 * more than the whole; 0 for every other (the client's whole timeout). */
uint32_t run_connect_try_ms(long setup_timeout_ms, enum proto_mode mode, int transport);

/* A client socket's address bound to any, as netsim names it: the client
 * side's (127.0.0.1, or 198.18.0.1 in IP mode). */
void run_client_side(const struct run *run, union netaddr *ep);

/* IP mode: the TCP counters of both sides' namespaces now (struct
 * bench_tcp_recovery's). Returns 0, or -1 (not IP mode, unreadable). */
int run_tcp_counters(const struct run *run, uint64_t n[2][BENCH_TCP_COUNTERS]);

/* ---- bench_procs.c ---- */

/* The parent's side of a run with procs generator processes: forks them,
 * starts them together, measures the relay, merges their results.
 * Returns 0 or run_fail(). */
int run_procs(struct run *run, size_t procs, const char *host, int port);

#endif
