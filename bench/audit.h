/* audit.h: the bench's reconciliation with netsim's --drop-log (droplog.h).
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

#include "bench.h"

/* A client of the run: its relay id and its flows. */
struct audit_client {
    uint32_t id;
    struct bench_flow up, down;
    uint64_t socket_drops; /* datagrams the kernel dropped on its socket (full buffer) */
    size_t socket_owner;   /* the first client on the same socket (itself if alone): clients
                              sharing a socket (an ENet hub) share its drops */
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
                     struct bench_audit *a);


/* The kernel's count of datagrams it dropped on each socket fds[i] (receive
 * buffer full) into drops[i] (0 if not found): /proc/net/udp and udp6's
 * last column, matched by the socket's inode. Returns 0, or -1 if /proc
 * cannot be read. */
int audit_socket_drops(const int *fds, size_t n, uint64_t *drops);

/* The inodes of the sockets process pid holds (its /proc/PID/fd), in a new
 * array *out the caller frees. Returns the count, or -1. */
long audit_process_sockets(pid_t pid, ino_t **out);

/* The same, summed over every socket process pid holds (its /proc/PID/fd).
 * Returns 0, or -1 if /proc cannot be read. */
int audit_process_socket_drops(pid_t pid, uint64_t *drops);

/* "none", "up_fwd", "down_fwd", "up_drop", "down_drop", "held", "slow":
 * where a listed state was last seen (enum bench_audit_where). */
const char *audit_where_name(int where);

/* "127.0.0.1:5000" or "[::1]:5000", + "#peer" over ENet, into buf. */
void audit_flow_str(const struct bench_flow *f, char *buf, size_t cap);

#endif
