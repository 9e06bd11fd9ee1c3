/* audit_log.h: inside the bench's audit (audit.c reconciles, audit_log.c
 * reads): netsim's drop log indexed by (direction, flow, sender, seq), each
 * entry what netsim did to one state on one flow, and, for the ordered
 * flows (a stream, ENet's reliable channel), what a loss held back
 * (audit_hold.h). audit.h has the audit's API. */
#ifndef RICOCHET_AUDIT_LOG_H
#define RICOCHET_AUDIT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/netsim/netsim.h"
#include "audit.h"
#include "audit_hold.h"

struct audit_key {
    struct audit_flow flow;
    uint32_t sender, seq;
    uint8_t dir;
};

struct audit_entry {
    struct audit_key key;
    bool used;
    uint32_t drops, fwds;
    uint32_t exits;           /* copies still held when netsim stopped */
    uint32_t corrupts;        /* copies forwarded with a bit flipped */
    uint32_t discards;        /* fwds ENet's unsequenced window discards at the receiver */
    uint64_t first_fwd_us, last_fwd_us, last_drop_us;
    size_t first_fwd_line;    /* its line in the log: netsim's sending order, also
                               * among datagrams it sent in the same microsecond */
    uint64_t first_fwd_dgram; /* the datagram of that line (audit_log.datagrams) */
    /* an ordered flow's state (a stream's, a reliable one): audit_hold.h */
    uint32_t sent;            /* a stream's: netsim named it in its frame */
    hold_mark_id mark;        /* its mark on the flow (0: none) */
    /* a flow's own entry (dir + AUDIT_FLOW_DIR, sender and seq 0): the
     * receiving ENet peer's unsequenced window, replayed */
    uint16_t incoming;
    uint32_t *window;         /* ENET_PEER_UNSEQUENCED_WINDOW_SIZE bits, or NULL */
};

#define AUDIT_FLOW_DIR 2

struct audit_log {
    struct audit_entry *slots;
    size_t cap, used;  /* cap a power of two, used <= cap / 2 */
    size_t states;
    struct audit_holds *holds; /* the ordered flows: streams' segments, reliable states */
    /* Datagrams: a run of lines of one time, event, direction and flow is
     * one (an ENet datagram's or a udp batch's states; two datagrams of a
     * flow in one microsecond count as one). */
    uint64_t datagrams;
    char last_dgram[128];
    size_t models;     /* model lines: the model at the start and each change */
};

/* The entry of (dir, flow f, sender, seq), or NULL if the log has none. */
const struct audit_entry *audit_log_find(const struct audit_log *log, int dir,
                                         const struct audit_flow *f, uint32_t sender,
                                         uint32_t seq);

#endif
