/* live.h: ricochet-lesson, the lesson you can watch (docs/sockets.md,
 * "Watch it"; docs/design.md, "Lanes, modes and edges"): every lane of the
 * bench's lane table (harness/lanes.h) side by side, one sender (or LIVE_SENDERS, the
 * page's choice) and one receiver each, through one network the page changes by hand, without an end. The
 * files that make it, each calling only those after it:
 *   lesson_main.c  its options, the namespaces, the signals
 *   live_run.c     live_run(): the process set (a relay with every lane's
 *                  edge; netsim in IP mode between two namespaces, or its
 *                  UDP proxy in front of each datagram edge without them,
 *                  started with harness/children.h as the bench's are),
 *                  the loop, restarts, the stop
 *   live_clients.c the lanes' clients, made in the clients' namespace,
 *                  driven by one swarm; a lost one made again alone
 *   live_http.c    the page's server, in libmicrohttpd's thread: the page
 *                  and its words (lang/), live.json, a state's bytes, PUT
 *                  /model handed to every netsim (a rate's share of what
 *                  goes through each)
 *   live_controls.c   the page's controls as netsim's model and back (pure)
 *   live_state.c   a state's hops for GET /state: what netsim did to it, and on an ordered
 *                  flow the loss it waited behind (the audit's audit_hold.h)
 *   live_log.c     netsim's drop log and stats lines, read as they grow:
 *                  what netsim did to each state, its own counters
 *   live_lanes.c   each lane's states (marks) and its figures, computed by
 *                  the bench's own code (recvstats, histogram,
 *                  harness/figures.h), and the snapshot the loop publishes
 *   live_door.c    the door for a program of the learner's own: plain UDP
 *                  and TCP on 127.0.0.1 (or an address the teacher names
 *                  for a class: a few places per address), carried through the same netsim to
 *                  the relay's udp and tcp edges, read on the way (its join,
 *                  its states, the relay's errors): a lane per program
 *   live_guests.c  a program's lane: its states as the door passed them
 *                  and netsim carried them, the round trips of its pings,
 *                  live.json's programs and /state of one of their states
 *   live_calls.c   each lane's two ends: the relay's fixed ports, the endpoints, and the system
 *                  calls both ends made (the relay's sockets read from /proc)
 *   live_client.c  requests to netsim's endpoint (sys/http_client.h)
 *   live_pcap.c    each lane's last packets on the clients' side of netsim
 *                  (a packet socket there), as a pcap file: GET /pcap
 * The loop owns everything but the snapshot, which it publishes through a
 * triple buffer (sys/triple.h) every LIVE_PUBLISH_US; the HTTP thread
 * formats the newest and never touches the loop's state, but for the
 * lanes' captures, behind a lock of their own (live_pcap.c).
 * A file with calls for the others declares them, and the parts it writes,
 * in a header beside it (live_run.h, live_clients.h, live_http.h,
 * live_controls.h, live_state.h, live_log.h, live_lanes.h, live_door.h,
 * live_door_strangers.h, live_guests.h, live_calls.h, live_client.h,
 * live_pcap.h); what
 * the loop publishes, each lane's states and figures, is live_snapshot.h's.
 * This header holds what the loop's files share: the lesson's options, its
 * netsims, and struct live, composed of the lanes' and the door's parts. */
#ifndef RICOCHET_LIVE_H
#define RICOCHET_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/harness/spawn.h"
#include "live_door.h"
#include "live_lanes.h"
#include "live_snapshot.h"

struct bench_params;
struct live_http;
struct live_pcap;
struct netlab;
struct swarm;
struct triple;

/* What the lesson runs with (lesson_main.c: its options). */
struct live_config {
    char bin[512];           /* folder of ricochet-relay and ricochet-netsim */
    char relay_args[256];    /* extra options for the relay, space-separated */
    char netsim_args[256];   /* ... for every netsim */
    uint64_t seed;           /* netsim's seed (0: netsim picks one) */
    long duration_ms;        /* the figures' window */
    long grace_ms;           /* ... ending this long ago: how long a state has to arrive */
    const struct netlab *lab; /* IP mode's namespaces, the relay in one, the clients in the
                                other (NULL: netsim's UDP proxies on loopback) */
    char door_address[64];   /* the door's address, UDP and TCP (127.0.0.1 by default) */
    int door_port;           /* ... and port (0: free ones) */
    char view_address[64];   /* the students' read-only view's address ("": none) */
    int view_port;           /* ... and port (0: a free one) */
    int senders;             /* each lane's senders to start with: 1 or LIVE_SENDERS */
};

/* One netsim of the lesson and how far its files were read. */
struct live_netsim {
    struct spawn_proc proc;
    bool started;
    const char *edge;               /* the proxy's edge (NULL: IP mode's, every one) */
    const char *wire;               /* ... and its --wire, the edge's lanes' */
    int port;                       /* the proxy's listening port (IP mode: 0) */
    char advertise[64];             /* webrtc's proxy: the address it listens on */
    char metrics[64];               /* its --metrics endpoint */
    char drop_log[128];
    long log_at, stats_at;          /* bytes of its drop log and stdout read */
    long log_size;                  /* its drop log's size at the last read */
    uint64_t log_t_us;              /* netsim's time of the newest line read */
    uint64_t started_us;            /* when its loop started (its stats lines' uptime_s 0) */
    char partial[1024];             /* the drop log's line read in part */
    char stats_partial[4096];       /* ... a stats line's */
    uint64_t last[2][5];            /* its newest stats line's counters (received, dropped,
                                       states, states lost, received bytes), per direction */
    uint64_t last_t_us;             /* ... and when netsim wrote it */
};

/* Everything of the lesson. */
struct live {
    const struct live_config *cfg;
    const struct bench_params *params;
    bool ip_mode;
    char missing[512];
    char keylog[128];               /* the WebRTC and QUIC clients' key log, netsim's --keylog */
    struct spawn_proc relay;
    bool relay_started;
    char relay_host[32];
    struct {
        const char *name;           /* a scheme: "enet", "ws" */
        uint16_t port;              /* where the relay listens for it */
    } edges[BENCH_MODES * 2];
    size_t n_edges;
    char relay_state[160], netsim_state[160];
    char incident[400];             /* the last child that died or client lost, and when */
    bool incident_restarted;        /* ... already says when everything started again */
    uint64_t retry_us;              /* the next try after a child failed */
    struct live_netsim netsims[LIVE_NETSIMS];
    size_t n_netsims;
    struct swarm *sw;
    size_t n_lanes;
    struct live_lane lanes[BENCH_MODES];
    uint64_t t0_us, generation, instance;
    struct live_net_sample net[LIVE_NET_SAMPLES];
    struct live_log_figures log;    /* the drop logs' reading, since the last publish
                                       (live_log.c) */
    uint64_t log_spent_us, log_since_us; /* ... the loop's time in it, since when */
    size_t net_n, net_at;
    size_t n_models;
    struct live_model models[LIVE_MODELS]; /* the model changes, oldest first */
    struct triple *tb;              /* struct live_snapshot */
    struct live_http *http;
    struct live_pcap *pcap;         /* each lane's last packets (IP mode; NULL: none) */
    struct live_door door;
    int senders;                    /* each lane's senders now */
    _Atomic int senders_wanted;     /* ... as the page asks (its thread sets it; the loop
                                       starts the lanes again with them) */
};

#endif
