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
 * The loop owns everything but the snapshot, which it publishes through a
 * triple buffer (sys/triple.h) every LIVE_PUBLISH_US; the HTTP thread
 * formats the newest and never touches the loop's state. */
#ifndef RICOCHET_LIVE_H
#define RICOCHET_LIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../client/lib/ricochet.h"
#include "../harness/lanes.h"
#include "../harness/params.h"
#include "../harness/spawn.h"
#include "../../proto/control.h"
#include "../../relay/core/strangers.h"
#include "../../stats/recvstats.h"
#include "../../sys/netaddr.h"

#define LIVE_SENDERS 4         /* senders per lane when the page asks for more than one */
#define LIVE_MARKS 4096        /* states kept per lane, every sender's (1024 each of four:
                                  51 s at 20 Hz) */
#define LIVE_SENDER_MARKS (LIVE_MARKS / LIVE_SENDERS) /* ... per sender, whatever their count */
#define LIVE_SEQ_APART 0x10000000u /* sender k's states from seq 1 + k * this: netsim's paired
                                      loss judges a state by its seq, and the senders of a lane
                                      must not share their losses (the lanes still do) */
#define LIVE_SEGMENTS 1024     /* a stream's segment lines kept per lane (25 s at 20 Hz) */
#define LIVE_MODELS 16         /* model changes kept for the strips */
#define LIVE_NETSIMS 4         /* IP mode: one; the proxies: one per datagram edge */
#define LIVE_WIRE_SAMPLES 256  /* a lane's wire counters, one a publish */
#define LIVE_NET_SAMPLES 512   /* netsim's counters, one a stats line */
#define LIVE_OFFERED_S 3       /* what the lanes send now: netsim's bytes in over this long */
#define LIVE_PUBLISH_US 200000 /* the snapshot's period */
#define LIVE_GUESTS 40         /* programs of the learners' own at once: a class */
#define LIVE_GUESTS_PER_ADDRESS 4 /* ... from one address (an IPv6 /64), loopback's aside
                                     (the lesson's machine is the teacher's) */
#define LIVE_GUEST_GAPS 256    /* ... the times netsim forwarded a program's states */
#define LIVE_GUEST_MARKS 256   /* ... its states kept for its strip (12.8 s at 20 Hz) */
#define LIVE_GUEST_PINGS 8     /* ... its pings on their way to the relay */
#define LIVE_GUEST_RTTS 32     /* ... the round trips of its last pings */
#define LESSON_PROG "ricochet-lesson"

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
    int senders;             /* each lane's senders to start with: 1 or LIVE_SENDERS */
};

/* Where a state is. */
enum live_status {
    LIVE_PENDING = 0, /* sent, not arrived (yet) */
    LIVE_GOT,         /* arrived */
    LIVE_LOST,        /* netsim dropped it and a lossy lane never sends it again, or it did
                         not arrive within the grace */
    LIVE_TOO_OLD      /* sequenced: arrived after a newer one, dropped by the library */
};

/* What netsim's drop log says of one state on one hop. */
struct live_hop {
    uint8_t drop;          /* enum droplog_event + 1 of its first drop; 0: none */
    uint8_t fwds;          /* copies forwarded */
    uint8_t kind;          /* enum statescan_kind of its first line, 255 a stream's, 254 no
                              line (yet) */
    int16_t peer;          /* the datagram's ENet peer id (-1: none) */
    int32_t group;         /* an unsequenced command's group (-1: none) */
    uint8_t first_lost;    /* its first copy dropped here (a datagram's, or a segment
                              carrying its frame's bytes): it came, if at all, again */
    uint32_t delay_us;     /* netsim's delay of its first forward */
    uint64_t drop_us, fwd_us; /* its first drop, its first forward (0: none) */
    uint64_t seen_us;      /* netsim's first line of it on this hop: on the downlink, when
                              the relay sent it (0: none) */
    uint32_t start, end;   /* a stream: the sequence numbers its frame took (end 0: none) */
};

/* One state of one of a lane's senders. */
struct live_mark {
    uint32_t seq;          /* the sender's own */
    uint8_t status;        /* enum live_status */
    uint8_t sender;        /* which of the lane's senders, 0 to n_senders - 1 */
    uint8_t cut;           /* on its way when its sender or the receiver was disconnected
                              (live_lane_cut): if lost, lost with that connection */
    uint32_t arrival;      /* the receiver's count of states when it got this one: the
                              order they came in, whoever sent them */
    uint32_t after;        /* it came (or, sequenced, was thrown away as too old) after
                              this state of its sender's, sent later: out of order (0:
                              in order) */
    uint64_t send_us;      /* intended send time */
    uint64_t recv_us;      /* arrival (0: none) */
    uint64_t changed_us;   /* the last time anything of it changed */
    int64_t latency_us;    /* one-way, from the intended send time */
    int64_t ask_wait_us;   /* HTTP polling: how long it waited for the question, the
                              GET whose answer brought it (0: the GET was out before it
                              was sent; -1: not a polling lane's, or not arrived) */
    float x, y, vx, vy, heading; /* what was sent: the true path */
    struct live_hop hop[2]; /* up (the sender's uplink), down (the receiver's downlink) */
};

/* A TCP segment line of a lane's flows. */
struct live_segment {
    uint64_t t_us;
    uint32_t start, end, delay_us;
    uint8_t dir, event;
    uint8_t who;                    /* up: which of the lane's senders' flows (down: 0) */
    char flags[16];                 /* tcpdump's letters, as the log wrote them */
};

/* A lane's two ends, for the page's endpoints and its calls (live_calls.c):
 * the relay's endpoint and the clients' sockets, and the handshakes of its
 * TCP connections as netsim logged them. */
struct live_ends {
    char relay[48];                 /* the relay's edge the lane's data goes to, ip:port */
    bool fixed;                     /* ... on the lesson's fixed port (IP mode), else one the
                                       kernel picked */
    int up_fd[LIVE_SENDERS], down_fd; /* the clients' sockets, descriptors of the lesson's */
    size_t n_hs[2];
    struct live_segment hs[2][3];   /* the handshake of sender 1's connection (0) and the
                                       receiver's (1): SYN, SYN-ACK, ACK; a new SYN anew */
};

/* A lane's figures over the window (--duration, ending --grace ago). */
struct live_figures {
    bool valid;
    double window_s, grace_s;       /* the window's length; how long a state had to arrive */
    uint64_t expected, delivered, too_old, netsim_dropped, lost_explained;
    uint64_t socket_dropped;        /* datagrams the kernel dropped at the lane's receiving
                                       socket in the window (its buffer full): not netsim */
    uint64_t host_socket_dropped;   /* ... at the relay's and netsims' sockets (every lane's) */
    uint64_t out_of_order;          /* states that came after one their sender sent later
                                       (unsequenced delivers them, sequenced: too_old) */
    uint64_t disconnected;          /* lost with a connection: on their way when their sender
                                       or the receiver was disconnected, netsim dropped none */
    uint64_t late;                  /* a lossless lane's not come within the grace, neither
                                       dropped nor cut, while its receiver still gets states */
    uint64_t behind_segment;        /* a stream's, lost (not late, not cut) behind a segment
                                       netsim dropped: its bytes wait for the copy */
    uint64_t relay_kept;            /* lost otherwise, netsim's line of it up a grace before
                                       the window's end and none down: the relay kept it */
    uint64_t segments_dropped;      /* a stream's: its segments netsim dropped in the window
                                       (TCP sent them again: netsim_dropped counts states) */
    uint64_t held;                  /* states delivered after another sender's state the
                                       relay sent before them, whose first copy netsim dropped
                                       on the downlink, although they passed netsim before
                                       that state's copy that came: held back behind another
                                       sender's loss (one ordered stream for every sender) */
    double delivered_pct, p50_ms, p99_ms, bytes_per_state;
    double max_gap_ms;              /* the longest time no state came: with several senders,
                                       every sender's dot frozen at once */
    double max_gap_sender_ms;       /* the longest between two states of one sender */
    bool asks;                      /* HTTP polling: the receiver asks for what comes */
    double ask_wait_ms, ask_wait_max_ms; /* ... a delivered state's wait for the GET that
                                       brought it: the mean, the longest */
    double head_bytes_per_state;    /* ... of bytes_per_state, the requests' and answers'
                                       HTTP heads (both clients') */
    double requests_per_state;      /* ... the requests both clients sent, a state */
    bool http;                      /* a stream's lane (TCP, WebSocket, HTTP polling): what
                                       HTTP cost it, below (a WebSocket: its upgrade) */
    unsigned clients;               /* ... its clients, whose counts these are */
    uint64_t requests_all, heads_all; /* ... HTTP requests and the bytes of their and their
                                       answers' heads since its clients connected */
    uint64_t requests_window, heads_window; /* ... in the window */
};

/* netsim's own counters over the same window, every netsim summed. */
struct live_net_figures {
    bool valid;
    double window_s;
    uint64_t received[2], dropped[2], states[2], states_lost[2];
    double kbps[2];                 /* what came in to netsim, kbit/s: what the lanes send,
                                       dropped or not */
    double drop_pct[2], state_loss_pct[2], path_loss_pct; /* path: 1 - (1-up)(1-down) of the
                                                               states' */
};

/* A model change, as netsim's drop log said it (its lines of one change
 * and both directions, "up loss=5.13; down loss=5.13"). */
struct live_model {
    uint64_t t_us;
    char text[240];
};

/* A lane as the page sees it. */
struct live_lane_snap {
    int lane;                       /* bench_lane() index */
    char state[12];                 /* "running", "starting", "missing" */
    char why[320];                  /* starting or missing: why, in words */
    size_t n_senders;
    uint32_t sender_id[LIVE_SENDERS]; /* the relay's id for each sender */
    uint32_t seq0[LIVE_SENDERS];    /* ... and its first seq */
    char up_flow[LIVE_SENDERS][48], down_flow[48]; /* the senders' and the receiver's
                                                      endpoints */
    struct live_ends ends;
    struct live_figures fig;
    size_t n_marks;
    struct live_mark marks[LIVE_MARKS];       /* oldest first */
    size_t n_segments;
    struct live_segment segments[LIVE_SEGMENTS]; /* oldest first */
};

/* One state a program sent, as the door passed it on (live_guests.c):
 * its place on the strip is the lesson's clock when the door read it, its
 * latency the time until netsim carried it to the relay (its own send_us
 * is the program's clock, not the lesson's). */
struct live_guest_mark {
    uint32_t seq;                   /* the program's own */
    uint8_t status;                 /* enum live_status: LIVE_GOT, netsim carried it up */
    uint8_t drop;                   /* enum droplog_event + 1 of netsim's drop; 0: none */
    char kind[16];                  /* netsim's word for what carried it ("plain", "stream") */
    uint64_t door_us, fwd_us, drop_us, changed_us; /* the lesson's clock (0: none) */
    uint32_t delay_us;              /* netsim's delay of it */
    float x, y, vx, vy;
    uint8_t bytes[40];              /* as the program sent them */
};

/* A program of the learner's own, through the door, as the page sees it: what the door read
 * of its bytes and what netsim's drop log said of its flow, counted since it came; its states
 * for its strip, and the round trips of its pings (the door reads a ping and the relay's
 * pong, both on the lesson's clock). */
struct live_guest_snap {
    bool tcp;
    char state[12];                 /* "joining", "joined", "gone" */
    char endpoint[48];              /* the program's address and port, as the door sees it */
    char flow[48];                  /* the door's socket for it, as netsim names the flow */
    char relay[48];                 /* where that socket sends: the relay's edge (or proxy) */
    uint32_t id;                    /* the relay's id for it (0: none yet) */
    char room[40], name[40];        /* of its join */
    uint64_t messages_up, states_up, states_down, bytes, datagrams;
    uint64_t fwd_up, dropped_up, fwd_down, dropped_down; /* netsim's: its states carried
                                       and dropped; a stream's, its states carried and its
                                       segments dropped (TCP sends them again) */
    double max_gap_ms;              /* the longest gap between its states netsim forwarded */
    char error_code[32], error_message[160]; /* the relay's last error to it */
    uint64_t error_us;
    struct live_sent {
        char hex[52];               /* a message's first 16 bytes, hex */
        size_t len;                 /* ... its length */
        bool raw;                   /* no whole message yet: a stream's first bytes */
    } sent;                         /* what the error answered: its last message no state if one
                                       went shortly before, else its last (no error: its last) */
    bool unanswered;                /* it has not joined and the relay answered none of it */
    char end[160];                  /* gone: why, in words */
    struct live_guest_mark marks[LIVE_GUEST_MARKS]; /* its last states, a ring */
    size_t marks_n, marks_at;
    double rtt_ms[LIVE_GUEST_RTTS]; /* ping to pong, as the door saw them, a ring */
    size_t rtt_n, rtt_at;
};

/* What the loop publishes. */
struct live_snapshot {
    uint64_t now_us;                /* the loop's clock (CLOCK_MONOTONIC, netsim's too) */
    uint64_t t0_us;                 /* the senders' first intended send */
    double rate_hz;
    int senders;                    /* each lane's senders now */
    int senders_wanted;             /* ... and as the page last asked (the lanes restart) */
    bool ip_mode;
    char missing[512];              /* lanes this machine cannot run and how to get them */
    char relay[160], netsim[160];   /* each one's state in words */
    char incident[400];             /* the last child that died or client lost, when ("" none) */
    bool relay_up, netsim_up;
    int relay_pid;                  /* the relay's process, whose sockets /calls reads (0:
                                       none) */
    uint64_t generation;            /* the lanes' start count (a restart: one more) */
    uint64_t instance;              /* when this bench started: another bench, another one */
    struct live_net_figures net;
    double offered_kbps[LIVE_NETSIMS][2]; /* what the lanes send through each netsim each way
                                       now (its kbit/s in over its last seconds; 0: not
                                       measured yet): what a rate's share is of */
    size_t n_models;
    struct live_model models[LIVE_MODELS];
    char netsim_metrics[LIVE_NETSIMS][64]; /* each netsim's endpoint */
    size_t n_netsims;
    size_t n_lanes;
    struct live_lane_snap lanes[BENCH_MODES];
    char door_udp[48], door_tcp[48];   /* where a program of one's own goes ("": none) */
    char door_relay_udp[48], door_relay_tcp[48]; /* ... and the door sends it on to */
    char door_why[200];                /* what the door does not offer here, and why */
    size_t n_guests;
    struct live_guest_snap guests[LIVE_GUESTS];
};

/* A message of a stream, read as it goes by: its 2-byte length, then its
 * bytes (a control message's whole: a welcome to a room of many carries
 * its roster, tens of kilobytes, before the door knows the program's id). */
struct live_frame_reader {
    size_t head, len, have;         /* length bytes read; the message's length; read of it */
    unsigned char msg[PROTO_CONTROL_MAX];
};

/* A program of the learner's own, as the door holds it. */
struct live_guest {
    bool used;
    struct live_guest_snap s;
    int fd;                         /* the door's socket for it, towards the relay */
    int conn;                       /* TCP: the program's connection (-1: UDP) */
    bool connected;                 /* TCP: fd's connect done */
    uint16_t target_port;           /* fd's destination port (a relay started again: another) */
    union netaddr from;             /* the program's endpoint */
    bool spoke;                     /* it has sent a byte (TCP: else silent) */
    bool welcomed;                  /* the relay welcomed it: its place is never taken */
    uint64_t born_us;               /* when it came (the oldest not joined goes first) */
    unsigned char raw[16];          /* TCP: its stream's first bytes */
    struct live_sent last, odd;     /* its last message, and its last that was no state */
    uint64_t odd_us;                /* ... when it went */
    uint64_t last_us, last_sent_us, gone_us;
    bool answered;                  /* the relay has sent it something */
    struct live_frame_reader rd[2]; /* TCP: up (the program's), down (the relay's) */
    unsigned char pend[2][16384];   /* TCP: bytes waiting for their socket: up, down */
    size_t pend_n[2];
    uint64_t fwd_t[LIVE_GUEST_GAPS]; /* when netsim forwarded its states up, a ring */
    size_t fwd_n, fwd_at;
    struct live_ping {
        double t;                   /* the ping's t, as the program sent it */
        uint64_t us;                /* when the door passed it up (0: a free place) */
    } pings[LIVE_GUEST_PINGS];
    size_t ping_at;
};

/* The door: its two sockets in the lesson's own namespace, and the
 * programs that came through it. */
struct live_door {
    int udp, tcp;                   /* -1: none */
    char udp_at[48], tcp_at[48];
    char why[200];
    struct live_guest guests[LIVE_GUESTS];
    uint8_t cookie_key[16];         /* the door's cookies (live_door_strangers.c) */
    struct strangers strangers;     /* its budgets for what it answers those it holds none for */
};

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
    size_t net_n, net_at;
    size_t n_models;
    struct live_model models[LIVE_MODELS]; /* the model changes, oldest first */
    struct triple *tb;              /* struct live_snapshot */
    struct live_http *http;
    struct live_door door;
    int senders;                    /* each lane's senders now */
    _Atomic int senders_wanted;     /* ... as the page asks (its thread sets it; the loop
                                       starts the lanes again with them) */
};

/* ---- live_run.c ---- */

/* Set by SIGINT or SIGTERM (signals.h): live_run() stops everything and
 * returns. */
extern volatile sig_atomic_t live_stop;

/* Serves the lesson on 127.0.0.1:port (0: a free one) until live_stop:
 * params' rate and path (end to end) to start with; cfg->lab NULL with
 * no_lab saying why there are no namespaces (the streams' lanes are then
 * left out). Returns the exit status. */
int live_run(const struct live_config *cfg, const struct bench_params *params, int port,
             const char *no_lab);

/* ---- live_clients.c ---- */

/* "14:03:07", the wall clock's time now, into buf. */
const char *live_wall_time(char *buf, size_t cap);

/* Every lane's clients made (in lab's client namespace), adopted by one
 * swarm, joined; then their flows, the senders' ids, and one schedule for
 * every sender. Returns 0, or -1 with why on every lane (none left). */
int live_clients_start(struct live *lv, const struct netlab *lab);

/* Every lane's clients closed, the swarm with them. */
void live_clients_stop(struct live *lv);

/* A lane's lost clients made again (that lane alone: its strip says so
 * until its figures' window no longer holds the cut), a lane whose
 * clients all joined again counted afresh, the running lanes' flows read
 * again. Called every check of the loop (now: clock_now_us()). */
void live_clients_mend(struct live *lv, const struct netlab *lab, uint64_t now);

/* ---- live_lanes.c ---- */

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

/* The lane's pending states that will not come marked lost: a lossy
 * lane's that netsim dropped, and any older than grace_us. */
void live_lane_settle(struct live_lane *l, uint64_t grace_us, uint64_t now_us);

struct histogram;

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
 * counters, computes each lane's figures and netsim's, and publishes the
 * snapshot. */
void live_lanes_publish(struct live *lv, uint64_t now_us);

/* ---- live_log.c ---- */

/* Reads what each netsim wrote since the last call: its drop log's lines
 * into the lanes' marks, segments and the model changes, its stats lines
 * into lv->net. */
void live_log_read(struct live *lv, uint64_t now_us);

/* ---- live_http.c ---- */

struct live_http;

/* Serves the lesson on 127.0.0.1:port (0: a free one) from a thread of
 * its own, reading lv's snapshots (lv->tb) and handing model changes to
 * lv's netsims. Returns NULL with a one-line message in err. */
struct live_http *live_http_start(struct live *lv, int port, char *err, size_t err_cap);

/* "127.0.0.1:PORT". */
const char *live_http_address(const struct live_http *h);

/* The model the page set (every control in force once a page changed
 * one), as netsim's options (a JSON object), for a netsim that starts
 * again; "" if none was set. The loop's to call. */
void live_http_model(struct live_http *h, char *buf, size_t cap);

void live_http_stop(struct live_http *h);

/* ---- live_door.c ---- */

struct audit_line;

/* Opens the door on cfg->door_address and door_port: UDP always, TCP in
 * IP mode (netsim impairs a stream only there; lv->door.why says so).
 * Returns 0, or -1 with a one-line message in err. */
int live_door_open(struct live *lv, char *err, size_t err_cap);

/* Does the open door listen on loopback only? */
bool live_door_local(const struct live *lv);

/* ---- live_door_strangers.c ---- */

/* The door's cookie key drawn and its budgets filled; 0, or -1 (no
 * randomness). */
int live_door_strangers_init(struct live_door *d, uint64_t now_us);

/* A datagram (b, its n bytes) from a UDP endpoint of another machine that
 * the door holds no place for: true if it is a join echoing the door's
 * cookie for from (a place for it, the join passed on); otherwise answered
 * as the relay answers a stranger (a join: the door's cookie; never longer
 * than the datagram), and false. */
bool live_door_stranger_proven(struct live_door *d, const union netaddr *from,
                               const unsigned char *b, size_t n, uint64_t now_us);

/* Carries what is waiting, both ways, without blocking: new programs,
 * their bytes to the relay, the relay's to them. */
void live_door_step(struct live *lv, uint64_t now_us);

/* A drop log line of a program's flow into its counts; false if the flow
 * is none of theirs. */
bool live_door_log(struct live *lv, const struct audit_line *a);

/* The door and its programs into the snapshot; a program gone some
 * seconds ago, forgotten. */
void live_door_snap(struct live *lv, struct live_snapshot *s, uint64_t now_us);

void live_door_close(struct live *lv);

/* ---- live_guests.c ---- */

struct httpd_reply;

/* A state the program sent (m, len bytes, the whole) into its strip. */
void live_guest_state(struct live_guest *g, const unsigned char *m, size_t len,
                      uint64_t now_us);

/* A ping of the program's (t, its own clock) on its way up; the relay's
 * pong on its way down: a round trip, when it answers one of them. */
void live_guest_ping(struct live_guest *g, double t, uint64_t now_us);
void live_guest_pong(struct live_guest *g, double t, uint64_t now_us);

/* netsim's line a of one of the program's states on its way up into its
 * mark. */
void live_guest_hop(struct live_guest *g, const struct audit_line *a);

/* JSON text of s (escaped, quoted) into f: live.json's strings. */
void live_json_str(FILE *f, const char *s);

/* The snapshot's door and programs, as live.json's "door" and "guests":
 * each program's states changed since the cursor since. */
void live_door_json(FILE *f, const struct live_snapshot *s, uint64_t since);

/* GET /state for lane NAME when NAME is a program's ("udp" or "tcp", a
 * space, its endpoint): the state it sent as seq, as the page inspects a
 * lane's, into r. Returns false (r untouched) if NAME is no program's. */
bool live_guest_state_reply(const struct live_snapshot *s, const char *name, uint32_t seq,
                            struct httpd_reply *r);

/* ---- live_calls.c ---- */

/* The relay's fixed port for edge (IP mode: the lesson's namespace is its
 * own, so the ports are the course's: HTTP's 80 for the polling lanes),
 * or 0 for one the kernel picks. */
uint16_t live_fixed_port(const char *edge);

/* The lane's two ends, as live.json's lane "ends": the relay's endpoint and
 * port, each client's endpoint. */
void live_ends_json(FILE *f, const struct live_lane_snap *l);

/* A stream lane's figures of its own (fig->http): "segments_dropped" (netsim's, in the
 * window), "behind_segment" (its states lost behind one) and "http": its requests and heads
 * in all and in the window. */
void live_http_cost_json(FILE *f, const struct live_figures *fig);

/* GET /calls?lane=NAME: the system calls the lane's two ends made, with the
 * descriptors and ports they got (the relay's read from /proc), and its
 * connections' handshakes; JSON text (malloc'ed, the caller frees), or
 * NULL with a one-line reason and the answer's status. */
char *live_calls_text(const struct live_snapshot *s, const char *lane, unsigned *status,
                      char *why, size_t why_cap);

/* ---- live_state.c ---- */

/* t_us - t0_us in ms (negative before t0_us). */
double live_ms_since(uint64_t t_us, uint64_t t0_us);

/* Hop d (0 up, 1 down) of state m of lane s as GET /state's "hops" item:
 * netsim's lines of it, a stream's segments over its frame, and "held":
 * on an ordered flow (a stream, a reliable channel), the dropped segment
 * ("start", "end"; "at_sender": it left late) or state ("seq", "sender")
 * it waited behind, when netsim dropped it and when it crossed again
 * (ms from t0); null when nothing held it. */
void live_hop_json(FILE *f, const struct live_lane_snap *s, const struct live_mark *m, int d,
                   uint64_t t0);

/* ---- live_client.c ---- */

/* One request to endpoint ("127.0.0.1:PORT") within timeout_ms: method,
 * path, body (NULL: none). The answer's status into *status and its body
 * into out (cap bytes, NUL-terminated). Returns 0, or -1 with why in out. */
int live_client_request(const char *endpoint, const char *method, const char *path,
                        const char *body, int timeout_ms, int *status, char *out, size_t cap);

#endif
