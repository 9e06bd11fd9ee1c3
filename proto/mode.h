/* mode.h: the delivery modes, in one table.
 *
 * Every rule about a mode lives in proto/mode.c's table: its name, how a
 * client sends it (upstream channel and flags), how the relay forwards it
 * (downstream channel and flags), what its order is kept against, and what
 * the relay and the receiving client library filter. The relay, the client library, the
 * bot, the bench and the terminal client read it; none of them switches on
 * a mode. Adding a mode: the enum here, a row in mode.c, and a line in
 * PROTOCOL.md. Pure: no I/O. */
#ifndef RICOCHET_MODE_H
#define RICOCHET_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ENet channels. Reliable traffic never shares a channel with unreliable
 * state that ENet sequences, so a retransmission cannot stall it. */
enum proto_channel {
    PROTO_CHANNEL_CONTROL = 0,  /* JSON control messages, reliable */
    PROTO_CHANNEL_STATE = 1,    /* state: unsequenced */
    PROTO_CHANNEL_RELIABLE = 2, /* state kept in order per sender: reliable, and
                                   sequenced (sent unsequenced, ordered by seq) */
    PROTO_CHANNEL_COUNT = 3
};

/* Pseudo channel of the plain-UDP transport: no channels; the first byte
 * tells a control message ('{') from a state. */
#define PROTO_CHANNEL_DATAGRAM 255u

/* Pseudo channel of a stream transport (tcp): no channels either, every
 * message in a frame (PROTOCOL.md, "Streams"), all of them in order. */
#define PROTO_CHANNEL_STREAM 254u

/* Pseudo channel of a WebSocket (ws, wss): a stream too, every message a
 * WebSocket message (PROTOCOL.md, "WebSocket"); apart from tcp's so that
 * a receiver tells the two modes apart. */
#define PROTO_CHANNEL_WEBSOCKET 253u

/* Pseudo channel of a stream of a sender's own (QUIC's mode streams,
 * PROTOCOL.md "QUIC"): a client's states up on the one stream it opens for
 * them, each sender's states down on a stream the relay opens for that
 * sender alone. Only states travel on it. */
#define PROTO_CHANNEL_SENDER_STREAM 252u

/* Packet flags: ENet's values (the ENet code asserts it), defined only here.
 * 0 is ENet's default, unreliable sequenced. */
#define PROTO_FLAG_RELIABLE 1u
#define PROTO_FLAG_UNSEQUENCED 2u
#define PROTO_FLAGS_MASK (PROTO_FLAG_RELIABLE | PROTO_FLAG_UNSEQUENCED)

/* How a client's state travels. The order is the table's (mode.c). */
enum proto_mode {
    PROTO_MODE_UNSEQUENCED = 0,
    PROTO_MODE_SEQUENCED = 1,
    PROTO_MODE_RELIABLE = 2,
    PROTO_MODE_UDP = 3,
    PROTO_MODE_TCP = 4,
    PROTO_MODE_WS = 5,
    PROTO_MODE_STREAMS = 6,
    PROTO_MODE_COUNT = 7
};

/* What a receiver's view of one sender is ordered against. */
enum proto_order {
    PROTO_ORDER_NONE,       /* nothing: states may arrive in any order */
    PROTO_ORDER_PER_SENDER, /* never older than one already got from the same sender */
    PROTO_ORDER_PER_LINK    /* in order with every state of its mode on the relay->receiver
                               link (the reliable channel, the stream), other senders'
                               included (head-of-line blocking) */
};

/* What the client library does to a state before handing it on. */
enum proto_filter {
    PROTO_FILTER_NONE,    /* deliver every valid state */
    PROTO_FILTER_DROP_OLD /* the receiver drops a state whose seq is not after the
                             newest it delivered from that sender in any mode, counted
                             as too old (the relay forwards it) */
};

struct proto_mode_info {
    const char *name;       /* "sequenced": options, JSON, logs */
    const char *short_name; /* "seq": narrow table columns */
    char key;               /* terminal client key that switches to it; 0: none */
    bool enet;              /* false: not on an ENet channel up: plain UDP, a stream
                               (tcp, ws), a stream of the sender's own (streams); its
                               up_channel is a pseudo channel (proto_channel_bare) */
    bool in_mixed;          /* the bot's --mode mixed round-robins over these */
    uint8_t up_channel;     /* client -> relay */
    uint32_t up_flags;
    uint8_t down_channel;   /* relay -> receivers on an edge with channels (ENet); an
                               edge without them sends a bare datagram */
    uint32_t down_flags;
    enum proto_order order;
    enum proto_filter filter;
    const char *promise;    /* what the receiver gets, one line */
    bool stream;            /* carried on a byte stream in frames (no channels or
                               flags): a TCP connection (its own frames, or a
                               WebSocket's), which a network that drops IP packets
                               can impair, a UDP proxy cannot */
};

/* The row of mode; NULL when out of range. */
const struct proto_mode_info *proto_mode_info(enum proto_mode mode);

/* "unsequenced", "sequenced", "reliable", "udp", "tcp", "ws", "streams";
 * "?" when out of range. */
const char *proto_mode_name(enum proto_mode mode);

/* Does the mode deliver every state, late rather than never (a reliable
 * channel, a stream: what the network loses is sent again)? */
bool proto_mode_lossless(enum proto_mode mode);

/* Parses a mode name. Returns 0 and sets *mode, or -1. */
int proto_mode_parse(const char *name, enum proto_mode *mode);

/* The mode a client sent with (channel, flags), for the relay. Flags beyond
 * PROTO_FLAGS_MASK are ignored, and all flags on a pseudo channel
 * (proto_channel_bare). Returns 0 and sets *mode, or -1. */
int proto_mode_from_up(uint8_t channel, uint32_t flags, enum proto_mode *mode);

/* Is channel the pseudo channel of a transport without channels (plain
 * UDP's PROTO_CHANNEL_DATAGRAM, a stream's PROTO_CHANNEL_STREAM or
 * PROTO_CHANNEL_WEBSOCKET) or of a stream of a sender's own
 * (PROTO_CHANNEL_SENDER_STREAM): a row's way up that is no ENet channel?
 * On one, every message comes bare, the first byte telling a control
 * message ('{') from a state; its mode is the row's whatever the flags. */
bool proto_channel_bare(uint8_t channel);

/* The mode a receiving client got a state in, by the (channel, flags) it
 * arrived with: on a transport's pseudo channel (proto_channel_bare) that
 * transport's own mode, whatever the sender's;
 * on ENet's channels the first row going down that way (a plain-UDP
 * sender's states arrive as unsequenced). Returns 0 and sets *mode, or -1. */
int proto_mode_from_down(uint8_t channel, uint32_t flags, enum proto_mode *mode);

/* Writes the mode names joined by '|' ("unsequenced|sequenced|...") into
 * buf, followed by "|extra" when extra is not NULL. Returns buf. */
char *proto_mode_choices(char *buf, size_t cap, const char *extra);

/* Short description of an ordering domain ("per sender", ...). */
const char *proto_order_name(enum proto_order order);

#endif
