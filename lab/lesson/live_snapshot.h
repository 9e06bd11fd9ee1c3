/* live_snapshot.h: what the lesson's loop publishes (live_lanes.c, with the
 * door's programs from live_door.c) and the page's thread reads
 * (live_http.c and the files it calls): each lane's states, their hops
 * through netsim, the lane's figures and netsim's. The loop's own
 * structures are live.h's; none of them is here. */
#ifndef RICOCHET_LIVE_SNAPSHOT_H
#define RICOCHET_LIVE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/harness/lanes.h"
#include "live_guests.h"

#define LIVE_SENDERS 4         /* senders per lane when the page asks for more than one */
#define LIVE_MARKS 4096        /* states kept per lane, every sender's (1024 each of four:
                                  51 s at 20 Hz) */
#define LIVE_SEGMENTS 1024     /* a stream's segment lines kept per lane (25 s at 20 Hz) */
#define LIVE_MODELS 16         /* model changes kept for the strips */
#define LIVE_NETSIMS 4         /* IP mode: one; the proxies: one per datagram edge */

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
    uint8_t unsent;        /* its sender's QUIC dropped it before it left (congestion
                              control held back its most: client_set_fate); no network
                              saw it */
    uint32_t arrival;      /* the receiver's count of states when it got this one: the
                              order they came in, whoever sent them */
    uint32_t after;        /* it came (or, sequenced, was thrown away as too old) after
                              this state of its sender's, sent later: out of order (0:
                              in order) */
    uint64_t send_us;      /* intended send time */
    uint64_t sent_us;      /* when its sender handed it over: later than intended when the
                              loop was late (a busy machine), and its grace runs from then */
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
    uint64_t sender_dropped;        /* lost, netsim dropped none: its sender's QUIC dropped it
                                       before it left (congestion control held back its most) */
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

/* How the reading of netsim's drop logs keeps pace with what netsim writes
 * (live_log.c): every lane's states are explained from them, so a reading
 * behind leaves the newest losses unexplained and the figures old. */
struct live_log_figures {
    double behind_s;                /* now less netsim's time of the newest line read, while
                                       a log holds more (0: every log read to its end) */
    double behind_max_s;            /* ... the most since the last publish */
    uint64_t unread_bytes;          /* what the logs hold past the reading, summed */
    uint64_t read_bytes;            /* read since the lesson started, every netsim's */
    double read_ms_per_s;           /* the loop's time reading them since the last publish,
                                       ms a second */
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
    struct live_log_figures log;    /* the drop logs' reading */
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

#endif
