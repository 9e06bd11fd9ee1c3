/* reference.h: the reference relay's table (reference-relay, the bench's
 * yardstick: docs/benchmarks.md, "The reference relay"). Members by
 * endpoint, rooms by name, and a state's fan-out into datagrams for the
 * other members of its sender's room: what any relay of ricochet's
 * plain-UDP wire must do, and nothing more. No cookie (it trusts every
 * source: a yardstick on loopback, never a server), no limits, no timeouts,
 * no notices: a join gets a welcome with an empty roster, a ping its pong,
 * a leave forgets the member.
 *
 * Pure: no socket and no clock. reference_main.c reads datagrams with
 * recvmmsg(), hands each to reference_datagram() with the time, and at the
 * end of each read (or of each tick) sends reference_pending()'s datagrams
 * with sendmmsg(). A member that asked for batches (a join's "batch": true)
 * gets its states of one flush packed into datagrams of at most 1200 bytes,
 * as ricochet's relay packs them (proto/PROTOCOL.md, "Batches"). */
#ifndef RICOCHET_REFERENCE_H
#define RICOCHET_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

struct reference;

/* What reference_datagram() did with a datagram. */
enum reference_did {
    REFERENCE_STATE,   /* a member's state, queued for the room's other members */
    REFERENCE_CONTROL, /* a join, leave or ping, answered when it asks for it */
    REFERENCE_DROPPED  /* anything else: a stranger's state, bad JSON, a full table */
};

/* A datagram waiting to be sent: len bytes at buf, to `to`. Valid until
 * reference_sent(). */
struct reference_out {
    const union netaddr *to;
    const uint8_t *buf;
    size_t len;
};

/* What the table has done since it was made. */
struct reference_counts {
    uint64_t states;      /* members' states taken */
    uint64_t deliveries;  /* states queued to a member */
    uint64_t datagrams;   /* datagrams handed out by reference_pending() */
    uint64_t dropped;     /* datagrams refused (REFERENCE_DROPPED) */
    uint64_t members;     /* members now */
};

/* A table for at most max_members members at once (and as many rooms).
 * Returns NULL when out of memory. */
struct reference *reference_new(size_t max_members);
void reference_free(struct reference *r);

/* One datagram of len bytes from `from`, received at now_us (a pong's
 * relay_t). A state's sender field is written in buf (stamped with the
 * member's id) before it is copied out. */
enum reference_did reference_datagram(struct reference *r, const union netaddr *from,
                                      uint8_t *buf, size_t len, uint64_t now_us);

/* The datagrams queued since the last reference_sent(), in order: *n of
 * them at the returned array (NULL when none). Closes every open batch. */
const struct reference_out *reference_pending(struct reference *r, size_t *n);

/* The pending datagrams were sent (or given up): the queue starts empty. */
void reference_sent(struct reference *r);

struct reference_counts reference_counts(const struct reference *r);

#endif
