/* audit.h: a run reconciled with netsim's --drop-log (droplog.h): the
 * bench's audit, whose line reader the lesson reads the log with too.
 *
 * Every state a receiver missed is matched to what netsim did to it: a drop
 * on the sender's uplink or on the receiver's downlink explains it; so does
 * the sequenced order (too old: filtered by the receiver; the relay drops
 * no state for being out of order), the relay shedding it as stale when it
 * fell behind (its own count bounds how many states; no receiver got it
 * and netsim sent it down to none), the receiver's socket overflowing
 * after netsim had forwarded the state (the kernel's drop count on that
 * socket bounds how many datagrams; one explains all the states netsim
 * forwarded in it), or a forward after the bench stopped listening
 * (late). Anything else is unexplained: a bug in the relay, the client, the
 * bench or netsim. In reliable mode every drop of a measured state must be
 * followed by a forward of the same state on the same flow (ENet's
 * retransmission).
 *
 * On a stream (tcp, in netsim's IP mode) and ENet's reliable channel
 * nothing is lost, only late: each state that waited for a retransmission
 * (the log's TCP segments and the frames they carried, or the reliable
 * states of one flow in order) is attributed to the dropped piece that
 * held it back (audit_hold.h), and that piece's retransmission must be in
 * the log; a stream's missed state can only be late.
 *
 * A flow is what netsim's log names: the client's endpoint and, over ENet,
 * the header's peer id, which differs by direction (the receiving host's
 * slot for the sender) and tells apart clients that share one socket.
 *
 * Pure except audit_log_read, which reads the FILE it is given, and
 * the readers of /proc (audit_kernel.c). */
#ifndef RICOCHET_AUDIT_H
#define RICOCHET_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "proto/mode.h"
#include "sys/netaddr.h"

/* One direction of one client as netsim's drop log names it. */
struct audit_flow {
    union netaddr ep; /* the client's endpoint, as netsim sees it */
    int16_t peer;     /* ENet header peer id; -1: udp (the log's "-") */
};

#define AUDIT_LIST 64 /* problem states listed per result */

/* Where a listed state was last seen in netsim's log. */
enum audit_where {
    AUDIT_WHERE_NONE = 0,  /* nowhere: netsim never read it from the sender */
    AUDIT_WHERE_UP_FWD,    /* forwarded to the relay, never towards the receiver */
    AUDIT_WHERE_DOWN_FWD,  /* forwarded to the receiver, who never got it */
    AUDIT_WHERE_UP_DROP,   /* reliable: dropped on the uplink, never forwarded (a stream:
                              held back by a drop on the uplink, never completed) */
    AUDIT_WHERE_DOWN_DROP, /* reliable: dropped on the downlink, never forwarded (a stream:
                              ... on the downlink) */
    AUDIT_WHERE_HELD,      /* held back with no dropped piece over its gap: a log that
                              misses a line */
    AUDIT_WHERE_SLOW       /* delivered late, not held back by any drop */
};

struct audit_item {
    uint32_t sender, seq;  /* relay id of the sender, its sequence number */
    uint32_t receiver;     /* relay id; 0 for an uplink drop (reliable) */
    uint8_t where;         /* enum audit_where */
    struct audit_flow sender_flow, receiver_flow; /* up / down, as in the log */
};

/* The reconciliation of the run with netsim's drop log. A missed
 * state is one a sender sent in the window that a receiver never got. */
struct audit_result {
    bool done;               /* false: not audited (no netsim, --procs > 1, no log) */
    char skipped[96];        /* ... why not, when it should have been */
    uint64_t missed;         /* = up + down + corrupt + too_old + enet_window + overflow +
                                stale + sender_queue + relay_queue + late + unexplained */
    uint64_t up, down;       /* dropped by netsim on the sender's uplink / the receiver's
                                downlink */
    uint64_t payload_checked; /* --payload-check: delivered states whose payload was
                                checked (window states and warm-up alike) */
    uint64_t payload_corrupt; /* ... and not the sender's, byte for byte: never to happen
                                (counted whether the audit is done or not) */
    uint64_t corrupt;        /* forwarded by netsim only with a bit flipped (--corrupt), on
                                either link, and never got */
    uint64_t too_old;        /* filtered by the receiver's sequenced order */
    uint64_t enet_window;    /* forwarded, then discarded by the receiving ENet peer as
                                older than its unsequenced window (reordered across the
                                edge of a 1024-group window; netsim's log replayed) */
    uint64_t overflow;       /* forwarded, then lost in the receiver's full socket buffer
                                (at most the kernel's drop count on that socket) */
    uint64_t stale;          /* forwarded up, then shed by the relay as stale (it fell
                                behind): no receiver got it nor was it sent down to any (at
                                most relay_stale states) */
    uint64_t sender_queue;   /* never seen leaving its sender: dropped from the sender's full
                                datagram queue (QUIC's, while congestion control held it
                                back), for every receiver (at most the senders' counts) */
    uint64_t relay_queue;    /* forwarded up, never down to the receiver: dropped or replaced
                                by a newer one in the relay's queue to it (a slow reader, an
                                edge whose congestion control held it back; at most
                                relay_queued pairs) */
    uint64_t late;           /* in flight when the counting ended: arrived after it, forwarded
                                after it, or still held by netsim when it stopped */
    uint64_t unexplained;    /* a bug somewhere: listed */
    uint64_t netsim_dropped; /* (window state, receiver) pairs netsim's log shows dropped on
                                the way (sender's uplink or receiver's downlink) and never
                                forwarded there, counted from the log whether missed or not:
                                the network's loss per state. = up + down unless a state
                                netsim dropped was counted as delivered (a bug) */
    uint64_t unexplained_where[3]; /* ... by where last seen: none, up_fwd, down_fwd */
    uint64_t not_sent;       /* receivers x sends that failed (send_errors): not missed */
    uint64_t socket_drops;   /* datagrams the kernel dropped on the clients' sockets */
    uint64_t netsim_socket_drops, relay_socket_drops; /* ... on netsim's, the relay's
                                (whole run, every datagram: an overloaded host, when an
                                unexplained state was never read by them) */
    uint64_t relay_queued;   /* the relay's drops.slow_reader and its edges' conflated (whole
                                run, from its last stats record): (state, receiver) pairs it
                                never sent for a queue that was full or held back */
    uint64_t relay_stale;    /* the relay's drops.stale (whole run, from its last stats
                                record; 0 for a relay the bench did not start) */
    uint64_t state_drops;    /* reliable: netsim's drops of window states, each matched: */
    uint64_t retransmitted;  /* ... the same state forwarded on that flow later */
    uint64_t redundant;      /* ... a copy dropped after one had been forwarded */
    uint64_t unretransmitted; /* ... never forwarded on that flow: listed */
    uint64_t log_states;     /* state lines in the drop log */
    /* A reliable channel, a stream: nothing lost, only late (audit_hold.h). */
    uint64_t held;           /* (window state, receiver) pairs delivered after waiting for a
                                dropped piece's retransmission on the sender's uplink or the
                                receiver's downlink (head of line), each attributed to the
                                piece whose gap closed last */
    uint64_t held_up, held_down; /* ... by a drop on the sender's uplink (every receiver of
                                that state waits), on the receiver's downlink (that receiver
                                waits, for every sender's states behind it); both count once
                                in held */
    uint64_t held_unresolved; /* ... whose retransmission the log never shows: listed on a
                                stream (reliable: the drop is, as unretransmitted) */
    uint64_t unattributed;   /* ... with no dropped piece over the gap: listed */
    uint64_t late_unheld;    /* delivered later than the path by more than the bench's late
                                bound, yet held back by no drop: the host, not the network
                                (listed, a note) */
    uint64_t segment_drops;  /* TCP segments netsim dropped, every stream */
    size_t listed;
    struct audit_item items[AUDIT_LIST];
};

/* Audited and nothing unexplained or unretransmitted. */
bool audit_clean(const struct audit_result *a);

/* A client of the run: its relay id and its flows. */
struct audit_client {
    uint32_t id;
    struct audit_flow up, down;
    uint64_t socket_drops; /* datagrams the kernel dropped on its socket (full buffer) */
    size_t socket_owner;   /* the first client on the same socket (itself if alone): clients
                              sharing a socket (an ENet hub) share its drops */
    uint64_t queue_drops;  /* states its transport dropped before they left (QUIC's full
                              datagram queue), the whole run */
};

/* What the states seen by the run were: who sent which seq in the window,
 * who received (or filtered as too old) which. n clients in rooms of k
 * (client i is in room i / k); each sends at most cap states in the window. */
struct audit_track;

struct audit_track *audit_track_new(size_t n, size_t k, size_t cap);
void audit_track_free(struct audit_track *t);
/* Sender s sent seq in the window (its first such call fixes its base). */
void audit_track_sent(struct audit_track *t, size_t s, uint32_t seq);
/* A send of s in the window failed (no seq reached the wire). */
void audit_track_failed(struct audit_track *t, size_t s);
/* Sender s's seq left at at_us (CLOCK_MONOTONIC, as netsim's log), and
 * when it left (0: unknown). */
void audit_track_sent_at(struct audit_track *t, size_t s, uint32_t seq, uint64_t at_us);
uint64_t audit_track_when_sent(const struct audit_track *t, size_t s, uint32_t seq);
/* What receiver i's client did with one of s's window states. */
enum audit_got {
    AUDIT_GOT = 0,     /* delivered, counted */
    AUDIT_TOO_OLD,     /* filtered by the sequenced order */
    AUDIT_GOT_LATE,    /* arrived after the bench stopped counting */
    AUDIT_SLOW,        /* delivered (AUDIT_GOT too), later than the path by more than the
                          run's late bound: a lossless mode's states, each should have
                          been held back by a drop */
    AUDIT_GOTS
};
void audit_track_got(struct audit_track *t, size_t i, size_t s, uint32_t seq,
                     enum audit_got how);

/* One line of netsim's drop log (droplog.h), read: a state's, a TCP
 * segment's, a stream state's, or a model line. */
struct audit_line {
    uint64_t t_us;
    char ev[16];             /* "fwd", "loss", ..., "model" */
    int event;               /* enum droplog_event (a model line: none) */
    int dir;                 /* enum netsim_dir */
    char flow[48];           /* the client's endpoint, as written */
    union netaddr ep;        /* ... read */
    char f5[16], f6[16];     /* sender and seq as written ("-" on a segment) */
    uint32_t sender, seq;
    char kind[16];           /* statescan_kind_name, "segment" or "stream" */
    uint64_t delay_us;
    char peer[24], group[16]; /* as written: a datagram's peer and group; a segment's
                                START:END and flags; a stream state's START:END */
    uint32_t start, end;     /* a segment's or a stream state's sequence numbers */
    bool model;              /* a model line (t_us, dir only) */
};

/* Reads one line (not a comment). Returns 0, or -1 if it is not one of
 * the log's. */
int audit_line_parse(const char *line, struct audit_line *l);

/* netsim's drop log, indexed by (dir, flow, sender, seq). */
struct audit_log;

/* Reads a whole --drop-log. Returns NULL with a one-line message in err
 * (unreadable line: its number). */
struct audit_log *audit_log_read(FILE *f, char *err, size_t err_cap);
void audit_log_free(struct audit_log *log);
size_t audit_log_states(const struct audit_log *log); /* state lines read */

/* Reconciles: fills a (every field but done) from the tracked states, the
 * clients (n, as tracked), the log, the mode and a->relay_stale (the
 * caller's: the relay's count of states it shed). listen_end_us: when the
 * bench stopped receiving (netsim's clock is the same CLOCK_MONOTONIC). */
void audit_reconcile(const struct audit_track *t, const struct audit_client *clients,
                     struct audit_log *log, enum proto_mode mode, uint64_t listen_end_us,
                     struct audit_result *a);


/* The kernel's count of datagrams it dropped on each socket fds[i] (receive
 * buffer full) into drops[i] (0 if not found): /proc/net/udp and udp6's
 * last column, matched by the socket's inode. Clients of one hub share its
 * socket (consecutive in a swarm): owner[i] (owner may be NULL) is the
 * first of the run of equal fds that i is in, whose drops are the run's.
 * Returns 0, or -1 if /proc cannot be read. */
int audit_socket_drops(const int *fds, size_t n, uint64_t *drops, size_t *owner);

/* The datagrams the kernel dropped at socket fd, its receive buffer full
 * (SO_MEMINFO: the socket's own count, whatever namespace it is in), into
 * *drops. Returns 0, or -1 (not a socket, or a kernel without it). */
int audit_fd_drops(int fd, uint64_t *drops);

/* The inodes of the sockets process pid holds (its /proc/PID/fd), in a new
 * array *out the caller frees. Returns the count, or -1. */
long audit_process_sockets(pid_t pid, ino_t **out);

/* The same, summed over every socket process pid holds (its /proc/PID/fd,
 * counted in its /proc/PID/net: the process's network namespace). Returns
 * 0, or -1 if /proc cannot be read. */
int audit_process_socket_drops(pid_t pid, uint64_t *drops);

/* "none", "up_fwd", "down_fwd", "up_drop", "down_drop", "held", "slow":
 * where a listed state was last seen (enum audit_where). */
const char *audit_where_name(int where);

/* "127.0.0.1:5000" or "[::1]:5000", + "#peer" over ENet, into buf. */
void audit_flow_str(const struct audit_flow *f, char *buf, size_t cap);

#endif
