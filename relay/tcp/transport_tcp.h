/* transport_tcp.h: the relay's TCP stream edge, inside. The program uses
 * relay_tcp_ops (transport.h); its one file is transport_tcp.c (the
 * listening socket, connections, reading frames, the loop's operations),
 * and what stream edges share, a connection's queue, conflation and slow
 * readers, is relay/stream/stream.h's.
 *
 * A frame is a 2-byte big-endian length, then that many bytes: one message
 * as it would travel alone in a datagram (PROTOCOL.md, "Streams (TCP)"). */
#ifndef RICOCHET_TRANSPORT_TCP_H
#define RICOCHET_TRANSPORT_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/stream/stream.h"
#include "relay/transport.h"

#define TCP_FRAME_MAX 65535u  /* a frame's length field */

/* A connection's partial input: at most one frame's worth. */
struct tcp_input {
    uint8_t *in;             /* 2 + the longest frame taken */
    size_t in_len;
};

struct relay_tcp {
    struct stream_edge s;    /* first (stream.h): the listening socket, the epoll set, the
                                connections (cfg.peer_cap slots) and their queues */
    struct relay_net_config cfg;
    size_t in_cap;           /* 2 + the longest frame taken */
    struct tcp_input *input; /* per slot */
};

#endif
