/* stream.h: what the relay's stream edges share (relay/tcp, relay/ws):
 * a table of connections, one per client, each with a bounded queue of
 * bytes already framed (a TCP frame's 2-byte length, or a WebSocket
 * frame), written at the loop's flush in as few calls as the kernel takes.
 *
 * A reader that keeps up never has more than a turn's frames queued. One
 * that falls behind fills its socket's send buffer; from then on, until
 * the queue is written, each sender's unreliable states wait in a table
 * of their own, the newest replacing an older one (conflated, counted
 * with relay_count_conflated), as Colyseus sends patches: a stream
 * delivers what it was given, so the relay gives it less. Control
 * messages and reliable states are always queued: what a queue holds, and
 * when the kernel last took some of it, is the edge's backlog, by which
 * the core bounds it and closes a slow reader (relay/core/backlog.c).
 *
 * An edge fills a struct stream_ops: how a message is framed into a
 * connection's queue (stream_append does the appending), how bytes are
 * written (send(), or TLS), what happens when the core closes a
 * connection and when its slot is freed. The core's callbacks (the
 * relay_transport's send_control, send_state, disconnect) are this
 * module's (stream_core). Pure of protocol: it never reads.
 *
 * Its files, stream_edge.c calling stream.c: stream.c (slots, queues,
 * conflation, the backlog), stream_edge.c (the listening socket, accept(),
 * the loop's operations every stream edge has alike). */
#ifndef RICOCHET_STREAM_H
#define RICOCHET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/errors.h"
#include "proto/wire.h"
#include "sys/netaddr.h"
#include "relay/core/edge.h"
#include "relay/core/waiting.h"
#include "relay/transport.h"

#define STREAM_CLOSE_LINGER_US 1000000u /* a closed connection's queue, written at most
                                           this long */
#define STREAM_FLUSH_AGAIN_US 2000      /* output left: the loop comes back this soon */

/* A sender's newest unreliable state, held for a connection whose socket
 * is full (conflation: a newer one from the same sender replaces it). */
struct stream_held {
    uint32_t from;           /* the sender's handle */
    uint16_t len;
    uint8_t bytes[PROTO_STATE_MAX];
};

struct stream_conn {
    int fd;                  /* -1: a free slot */
    union netaddr addr;
    bool peer;               /* a peer of the core (its handle base + slot) */
    bool closing;            /* write what is queued, then close */
    bool dirty;              /* in the flush list */
    bool shut;               /* closing, its queue written, our side shut (graceful) */
    uint64_t opened_us;      /* accepted */
    uint64_t closing_us;     /* when it started closing */
    uint64_t last_us;        /* last bytes read */
    uint64_t full_since_us;  /* output left unwritten since (0: none): states conflated */
    uint64_t took_us;        /* the network last took some of what is held: the kernel
                                took bytes of the queue, or what it had sent was
                                acknowledged; or nothing was held (the backlog's
                                moved_us) */
    uint32_t unacked;        /* the kernel's send queue (SIOCOUTQ) at the last look */
    uint8_t *out;            /* framed bytes to write, from out_off */
    size_t out_off, out_len, out_cap;
    struct stream_held *held; /* while output is left unwritten: unreliable states */
    uint32_t n_held, held_cap;
};

/* What an edge does its own way; edge is stream_edge.edge, i a slot. */
struct stream_ops {
    /* Frames message[0..len) into slot i's queue (stream_append). Returns
     * false if memory ran out (nothing queued, counted send_failed). */
    bool (*frame)(void *edge, uint32_t i, const uint8_t *msg, size_t len);
    /* Bytes the edge holds for slot i outside the queue (messages waiting
     * for a frame of its own to go first), part of its backlog. NULL:
     * none. */
    size_t (*held)(void *edge, uint32_t i);
    /* Writes as send() does (MSG_DONTWAIT): bytes taken, or -1 with errno
     * (EAGAIN: nothing now). NULL: send(). */
    ssize_t (*write)(void *edge, uint32_t i, const uint8_t *buf, size_t len);
    /* The core closes slot i's peer (why: its error code), after what is
     * queued: the edge may queue a goodbye of its own. NULL: none. */
    void (*closing)(void *edge, uint32_t i, enum proto_error_code why);
    /* Slot i is freed (its socket closed next): the edge's own part of
     * it. NULL: none. */
    void (*release)(void *edge, uint32_t i);
    /* graceful: a closing slot i's queue is written; its last bytes (a TLS
     * close_notify) before our side is shut. NULL: none. */
    void (*finish)(void *edge, uint32_t i);
};

/* A stream edge's connections: what the shared part keeps. An edge's own
 * state begins with it (the loop's operations of stream_edge.c take the
 * edge's state as this). */
struct stream_edge {
    const struct stream_ops *ops;
    void *edge;              /* passed to ops */
    int ep;                  /* the edge's epoll set, the loop's descriptor: its listening
                                socket and every connection (a closing one leaves it) */
    int listen_fd;           /* stream_listen's, or -1 */
    char addr[RELAY_ADDR_MAX]; /* "ip:port" it listens on */
    bool backlog;            /* the last service left input unread */
    uint64_t read_end_us;    /* when the last service read all there was */
    uint32_t cap;            /* slots */
    struct stream_conn *conns;
    uint32_t *free_slots, nfree;
    uint32_t *dirty, n_dirty;  /* connections with output to write, each once */
    uint32_t *flushing;        /* the list a flush works through */
    struct relay *relay;       /* set while servicing, flushing, ticking */
    uint32_t base;             /* the core's handle of slot 0 */
    uint32_t waiting_max;      /* connections that have not joined, at most
                                  (--max-half-open; stream_listen sets it) */
    struct waiting waiting;    /* which connection that has not joined gives way */
    int spare_fd;              /* a descriptor held for accept() to have when none is
                                  left (stream_accept); -1 while it cannot be had */
    bool accept_paused;        /* the listening socket out of the epoll set until the next
                                  tick: no descriptor left, not even the spare */
    uint64_t fd_warned_us;     /* when running out of descriptors was last logged */
    bool graceful;             /* a closing connection, its queue written, is shut on our
                                  side and read (and what it sends dropped) until the
                                  client closes too, STREAM_CLOSE_LINGER_US at most: a
                                  socket closed with unread input would send a reset,
                                  which can beat the last bytes to the client */
    struct relay_transport core; /* the core's side (stream_core fills the callbacks) */
};

/* Allocates cap slots (all free, slot 0 first) and the epoll set.
 * Returns 0, or -1 (out of memory, or no epoll set: stream_free cleans
 * up). */
int stream_init(struct stream_edge *s, uint32_t cap, const struct stream_ops *ops, void *edge);

/* Frees every slot (ops->release first), the tables, the listening socket
 * and the epoll set. */
void stream_free(struct stream_edge *s);

/* A new connection fd from addr into a free slot, not a peer yet (last
 * read: now_us). Returns the slot, or -1 if none is free (fd untouched). */
int stream_take(struct stream_edge *s, int fd, const union netaddr *addr, uint64_t now_us);

/* Connections (in use) from addr's host. */
uint32_t stream_from_host(const struct stream_edge *s, const union netaddr *addr);

/* Frees slot i: ops->release, its socket (which leaves the epoll set with
 * it) and its buffers; the slot is free again. */
void stream_conn_free(struct stream_edge *s, uint32_t i);

/* Appends len bytes (already framed) to slot i's queue and puts it in the
 * flush list. Returns false if memory ran out. No bound is checked: the
 * core bounds what it sends by the edge's backlog. */
bool stream_append(struct stream_edge *s, uint32_t i, const void *bytes, size_t len);

/* Closes slot i once its queue is written (or after
 * STREAM_CLOSE_LINGER_US): nothing more is read from it. A peer's closing
 * is the core's (disconnect); this is for a connection that is none (an
 * answered HTTP request). */
void stream_close(struct stream_edge *s, uint32_t i, uint64_t now_us);

/* The core's side of the edge: name, peers (cap), message_max, modes and
 * secure as given in s->core, the callbacks this module's (the backlog: a
 * queue's bytes not yet written, the edge's held ones, and when the
 * kernel last took some); handles from base on. */
struct relay_transport stream_core(struct stream_edge *s, uint32_t base);

/* Writes what every connection has queued, without waiting; what the
 * kernel does not take stays queued (and unreliable states are conflated
 * from then on). A closing connection is freed once its queue is written
 * (graceful: and the client closed too), or after STREAM_CLOSE_LINGER_US;
 * a peer whose socket failed is reported gone (quit) and freed. */
void stream_flush(struct stream_edge *s, struct relay *r, uint64_t now_us);

/* Is output left unwritten to some connection, or one still closing? */
bool stream_pending(const struct stream_edge *s);

/* Every 100 ms, for each peer that is not closing: gone (timeout) after
 * silent_ms without input (0: never). */
void stream_tick(struct stream_edge *s, struct relay *r, uint32_t silent_ms, uint64_t now_us);

/* ---- stream_edge.c: the listening socket, accepting, the loop's
 * operations every stream edge has alike ---- */

#define STREAM_LISTEN_DATA UINT64_MAX /* epoll data of the listening socket */
#define STREAM_ACCEPTS 32             /* connections accepted per service, at most */

/* socket(), bind(), listen() on cfg's bind address and port, in s's epoll
 * set (STREAM_LISTEN_DATA); s->addr says where; the budget of connections
 * that have not joined from cfg's max_half_open (0: a quarter of the
 * slots). Returns 0, or -1 with a one-line message in err. */
int stream_listen(struct stream_edge *s, const struct relay_net_config *cfg, char *err,
                  size_t err_cap);

/* What an edge does with a connection accepted (its socket set up for a
 * stream): a slot of its own (stream_take), or refused and closed. */
typedef void (*stream_take_fn)(void *edge, struct relay *r, int fd, const union netaddr *from,
                               uint64_t now_us);

/* A connection accepted (stream_accept, at a stream_take_fn) into a free
 * slot (stream_take), with in_cap bytes for its input in *in (the caller's
 * from then on). Returns the slot, or -1: refused, counted (server_full
 * when no slot is free, else send_failed: out of memory), its socket
 * closed and *in NULL. */
int stream_take_input(struct stream_edge *s, struct relay *r, int fd, const union netaddr *from,
                      size_t in_cap, uint8_t **in, uint64_t now_us);

/* accept(): up to STREAM_ACCEPTS connections the kernel has completed,
 * each refused at once past max_per_address from its host (0: no bound;
 * counted per_address), else handed to take once there is room for it.
 * Connections that have not joined (not members, nor a join the relay is
 * settling) have a budget of their own, s->waiting_max, never
 * --max-clients: when it is spent, or no slot is free, the oldest
 * connection of the source address that holds the most of them gives way
 * (closed without a word, counted half_open, the core told it is gone),
 * so a few addresses cannot keep everyone out. A connection for which no
 * slot can be had (every one a member's or closing) is refused
 * (server_full). Out of descriptors (EMFILE, ENFILE), accept() would
 * leave the connection queued and the listening socket ready for ever: a
 * connection that has not joined gives way as for a slot, or else the edge
 * lets its spare descriptor go, takes the connection and closes it at once
 * (server_full), then takes the spare again (logged every 10 s at most);
 * without a spare, or on an error of the listening socket,
 * it stops listening until its next tick (stream_accept_resume). Leaves
 * s->backlog set: more may wait. */
void stream_accept(struct stream_edge *s, struct relay *r, uint32_t max_per_address,
                   stream_take_fn take);

/* Listening again after stream_accept stopped for want of descriptors,
 * and the spare taken again if it can be: the edge calls it at every
 * tick. */
void stream_accept_resume(struct stream_edge *s);

/* The loop's operations (transport.h) for an edge whose state begins with
 * its struct stream_edge: its side of the core, its address, descriptor
 * and backlog; flush writes every queue; due: soon while output is left
 * unwritten; settled once every queue is written. */
struct relay_transport stream_op_core(void *edge, uint32_t base);
const char *stream_op_address(const void *edge);
int stream_op_fd(const void *edge);
bool stream_op_backlog(const void *edge);
void stream_op_flush(void *edge, struct relay *r);
uint64_t stream_op_due(const void *edge);
bool stream_op_settled(const void *edge);

#endif
