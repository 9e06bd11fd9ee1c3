/* transport_quic_send_internal.h: transport_quic_send.c's state in a QUIC
 * connection: what the core queued to it, streams and datagrams, until its
 * packets take them (transport_quic_packets.c).
 * Private to relay/quic/: transport_quic.h includes it, composing struct
 * quic_conn of its parts, and only the file named here writes them. */
#ifndef RICOCHET_QUIC_SEND_INTERNAL_H
#define RICOCHET_QUIC_SEND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/quicmsg.h"

/* A datagram waiting for its connection's next write: its message in
 * the connection's arena. */
struct quic_dgram {
    uint32_t sender;          /* the sender's relay id (its stamp): conflation */
    uint32_t off;             /* the message in dgram_bytes */
    uint16_t len;
    uint8_t channel;          /* its channel byte */
};

/* A stream of one sender's own, to a streams member. */
struct quic_sender {
    uint32_t id;              /* the sender's relay id (its stamp); 0: a free entry */
    int64_t sid;              /* -1 until opened (no stream credit yet): its opening,
                                 transport_quic_packets.c */
    uint64_t last_us;         /* a state queued last then */
    bool ended;               /* its FIN queued: the entry goes when the stream closes */
    struct quicmsg_out out;
};

/* A connection's queues (c->queue). transport_quic_send.c fills and frees
 * them; a stream's bytes (quicmsg_out) are also taken by the packets that
 * carry them (transport_quic_packets.c) and let go once acknowledged
 * (transport_quic_in.c), through quicmsg's functions. */
struct quic_queue {
    struct quicmsg_out control; /* the control stream's bytes out */
    struct quic_sender *senders; /* streams of senders' own (streams mode) */
    uint32_t n_senders, senders_cap;
    struct quic_dgram *dgrams; /* datagrams waiting, in order */
    uint32_t n_dgrams, dgrams_cap;
    uint8_t *dgram_bytes;     /* ... their messages */
    uint32_t dgram_used, dgram_bytes_cap;
    uint64_t moved_us;        /* the network last took some of its backlog (a stream's
                                 bytes or a datagram acknowledged: one written is not
                                 taken), or it was last empty (transport_quic_backlog;
                                 transport_quic_in.c tells of acknowledgements through
                                 transport_quic_backlog_moved) */
    bool member;              /* a member of a room (the core's member, at its join) */
    bool batches;             /* ... whose unreliable states go in batches */
    enum proto_mode mode;     /* ... and the mode it joined in: streams get a stream per
                                 sender */
};

#endif
