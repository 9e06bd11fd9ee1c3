/* transport_tcp.h: what the files of the relay's TCP stream edge share.
 * The program uses relay_tcp_ops (transport.h). A file calls only those
 * below it here:
 *   transport_tcp.c       the listening socket, connections, reading
 *                         frames, the loop's operations
 *   transport_tcp_send.c  what the core sends: frames queued per
 *                         connection, conflated while the kernel's send
 *                         buffer is full, written at the flush
 *
 * A frame is a 2-byte big-endian length, then that many bytes: one message
 * as it would travel alone in a datagram (PROTOCOL.md, "Streams (TCP)"). */
#ifndef RICOCHET_TRANSPORT_TCP_H
#define RICOCHET_TRANSPORT_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../proto/wire.h"
#include "../../sys/netaddr.h"
#include "../transport.h"

#define TCP_FRAME_MAX 65535u  /* a frame's length field */
#define TCP_CLOSE_LINGER_US 1000000u /* a closed connection's queue, written at most this long */

/* A sender's newest unreliable state, held for a connection whose socket
 * is full (conflation: a newer one from the same sender replaces it). */
struct tcp_held {
    uint32_t from;           /* the sender's handle */
    uint16_t len;
    uint8_t bytes[PROTO_STATE_MAX];
};

struct tcp_conn {
    int fd;                  /* -1: a free slot */
    union netaddr addr;
    bool closing;            /* the core closed it: write what is queued, then close */
    bool dirty;              /* in the flush list */
    bool evicting;           /* closed as a slow reader: its error may pass the bound */
    uint64_t closing_us, last_us; /* when closed by the core; last bytes read */
    uint64_t full_since_us;  /* output left unwritten since (0: none) */
    uint8_t *in;             /* 2 + the longest frame taken: at most one frame's
                                worth of partial input */
    size_t in_len;
    uint8_t *out;            /* frames to write, from out_off */
    size_t out_off, out_len, out_cap;
    struct tcp_held *held;   /* while output is left unwritten: unreliable states */
    uint32_t n_held, held_cap;
};

struct relay_tcp {
    int listen_fd, ep;       /* ep: the edge's own epoll set, the loop's descriptor */
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    struct relay *relay;     /* set while servicing, flushing, ticking */
    uint32_t base;           /* the core's handle of slot 0 */
    size_t in_cap;           /* 2 + the longest frame taken */
    size_t out_limit;        /* bytes queued to one connection, at most */
    struct tcp_conn *conns;  /* cfg.peer_cap slots */
    uint32_t *free_slots, nfree;
    uint32_t *dirty, n_dirty; /* connections with output to write, each once */
    uint32_t *flushing;      /* the list a flush works through (peer_cap) */
    bool backlog;            /* the last service left ready sockets unread */
    uint64_t read_end_us;
};

/* ---- transport_tcp_send.c ---- */

/* The core's side of transport t (a struct relay_tcp *): its sends, for
 * handles from base on. */
struct relay_transport transport_tcp_core(void *t, uint32_t base);

/* Writes what every connection has queued, without waiting; what the
 * kernel does not take stays queued (and unreliable states are conflated
 * from then on). A connection the core closed is closed once its queue is
 * written, or after TCP_CLOSE_LINGER_US. One whose peer is gone is
 * reported gone. */
void transport_tcp_flush(struct relay_tcp *t, struct relay *r, uint64_t now_us);

/* Closes connection i as a slow reader (error slow_reader with text,
 * counted); what is queued stays whole, the error after it. */
void transport_tcp_evict_slow(struct relay_tcp *t, struct relay *r, uint32_t i,
                              const char *text, uint64_t now_us);

/* Frees slot i's buffers and socket, and gives the slot back. */
void transport_tcp_conn_free(struct relay_tcp *t, uint32_t i);

/* Is output left unwritten to some connection, or one still closing? */
bool transport_tcp_pending(const struct relay_tcp *t);

#endif
