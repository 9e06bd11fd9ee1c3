/* tcpstream.h: the states inside one direction of a TCP connection, as
 * netsim's IP mode sees its segments. The bytes are read in the order the
 * sender first sent them (netsim sees every segment before its model
 * decides anything), cut into the frames of PROTOCOL.md's "Streams" (2
 * bytes of length, then the message), and each message is read as a
 * datagram would be (statescan.h: a state, or a batch of them). So the drop
 * log can say which sequence numbers each state took, and the audit which
 * dropped segment held it back.
 *
 * Pure: segments in, states out through a callback; nothing allocated. */
#ifndef RICOCHET_TCPSTREAM_H
#define RICOCHET_TCPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ippacket.h"
#include "statescan.h"

/* Messages longer than this (a long control message) are skipped, not read:
 * no state or batch is longer. */
#define TCPSTREAM_MESSAGE_MAX 1200

struct tcpstream {
    bool started;       /* a SYN gave the first number */
    bool lost;          /* bytes netsim never saw (or a frame of length 0): the frames
                           cannot be found again, so no state is named from here on */
    uint32_t next;      /* the number after the newest byte seen */
    uint32_t frame_at;  /* the number of the current frame's first byte */
    uint32_t have;      /* bytes of the current frame so far, its length's included */
    uint32_t len;       /* the current message's length, once both its bytes are in */
    uint8_t buf[2 + TCPSTREAM_MESSAGE_MAX];
};

/* A state found: its sender and seq (ref), and the sequence numbers its
 * frame took, [start, end) modulo 2^32 (start: the first length byte). */
typedef void (*tcpstream_found_fn)(void *ctx, const struct statescan_ref *ref, uint32_t start,
                                   uint32_t end);

/* Feeds one segment of this direction: p as ippacket_parse read it, its
 * payload at payload. A SYN starts the stream; bytes beyond the newest seen
 * are read, a retransmission adds nothing. Calls found for each state whose
 * frame these bytes complete; returns how many. */
size_t tcpstream_segment(struct tcpstream *s, const struct ippacket *p, const uint8_t *payload,
                         tcpstream_found_fn found, void *ctx);

#endif
