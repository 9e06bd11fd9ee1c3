/* quicview.h: the states inside a QUIC flow, for ricochet-netsim
 * --drop-log and --paired-loss (--wire quic): its packets opened with the
 * keys of RFC 9001, their frames read for ricochet's states (PROTOCOL.md,
 * "QUIC"), so the drop log names every state a QUIC packet carried, as it
 * names ENet's, and the bench's audit explains each lost or held one.
 *
 * Keys (quickeys.h). A flow's Initial packets are opened with the keys of
 * the client's Initial's Destination Connection ID (RFC 9001 §5.2, the salt of
 * version 1; after a Retry, the new ID the client's next Initial names:
 * the ID that opens it is kept). The client's Initial holds its
 * ClientHello, whose client random names the session in the key log
 * (dtlsview.h: SSLKEYLOGFILE's format, which libricochet's QUIC clients
 * write); the server's holds the ServerHello, whose cipher suite says how
 * (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or
 * TLS_CHACHA20_POLY1305_SHA256). 1-RTT packets are opened with the keys of
 * CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0 (HKDF-Expand-Label
 * "quic key", "quic iv", "quic hp"), and of the next generation ("quic
 * ku") once a packet's key phase changes. Handshake packets are passed
 * over: they carry no state. Header protection is removed, the packet
 * number decoded against the largest opened in its direction (RFC 9000
 * §A.3). A short header's Destination Connection ID has the length of the
 * Source Connection ID its receiver's long-header packets named; its fixed
 * bit may be 0 (RFC 9287: ngtcp2 greases it when the peer allows).
 *
 * Frames. A DATAGRAM frame (0x30, 0x31) is one byte naming the ENet
 * channel (1 unsequenced, 2 sequenced), then a state or a batch: each
 * state is of kind datagram on that channel (no ENet group: QUIC's
 * receiver keeps no window that discards one). A STREAM frame's bytes are
 * put in their stream's order (per stream and sending side) and cut into
 * PROTOCOL.md's frames (2 bytes of length, then the message); each state
 * of a whole message is of kind reliable, channel 2, and is named in the
 * packet whose STREAM frame first carried the message's last byte and in
 * every later packet whose STREAM frame covers that byte again (QUIC's
 * retransmission: the same stream bytes in a packet of a new number). So a
 * state lost with its packet shows again, forwarded, with the
 * retransmission. Bytes before which the flow missed some (a packet not
 * opened) cannot be framed: that stream names nothing more.
 *
 * WebTransport. A ClientHello that offers the ALPN h3 and not ricochet
 * (read from the first CRYPTO frame: a ClientHello cut across packets
 * before its ALPN is read as ricochet's) makes the flow a WebTransport
 * session's (PROTOCOL.md, "WebTransport"): a datagram's quarter stream ID
 * is skipped before its channel byte; the CONNECT's stream (0) is passed
 * over; a bidirectional stream the client sends on begins with two
 * varints (the signal 0x41, the session's ID) and the server's side of it
 * with none; a unidirectional stream is read only if its type is
 * WebTransport's (0x54), its session's ID skipped (HTTP/3's control
 * stream and QPACK's are passed over).
 *
 * Everything read is bounded by the datagram; nothing from the network is
 * trusted: a packet that does not open is counted (unread) and passed
 * over. Pure but for reading the key log. */
#ifndef RICOCHET_QUICVIEW_H
#define RICOCHET_QUICVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtlsview.h"
#include "quickeys.h"
#include "statescan.h"

#define QUICVIEW_CID_MAX 20
#define QUICVIEW_STREAMS 32        /* streams remembered a flow (the least recent goes) */
#define QUICVIEW_MARKS 256         /* states remembered a stream, to name again */
#define QUICVIEW_MESSAGE_MAX 1200  /* longer messages (control) are skipped, not read */

/* A stream's bytes, in order, cut into frames. */
struct quicview_stream {
    bool used, lost;       /* lost: bytes missed, nothing is framed any more (or a stream
                              WebTransport's session does not carry states on) */
    uint8_t pre;           /* WebTransport: varints before its frames still to skip */
    bool typed;            /* ... the first of them its type, which must be 0x54 */
    uint8_t vleft;         /* ... bytes left of the one in hand (0: its first byte next) */
    uint64_t v;
    uint8_t side;          /* 0: the client sends it, 1: the server */
    uint64_t id, next;     /* the stream's ID; the offset after the last byte read */
    uint64_t used_at;      /* the flow's packet count when last read (the least recent goes) */
    uint8_t head[2], head_have;
    uint32_t need, have;   /* the current message's length and bytes so far */
    uint8_t buf[QUICVIEW_MESSAGE_MAX];
    struct {
        uint64_t end;      /* the offset after its message's last byte */
        uint32_t sender, seq;
    } marks[QUICVIEW_MARKS];
    uint32_t n_marks, mark_next;
};

/* One flow: zeroed to start, fed each datagram of both directions;
 * quicview_flow_free frees what it allocated. */
struct quicview_flow {
    bool initial_keyed;
    struct quickeys initial[2];        /* [0] what the client writes, [1] the server */
    uint64_t largest[2][2];            /* [space: 0 Initial, 1 1-RTT][side]: largest opened */
    bool seen[2][2];
    uint8_t scid_len[2];               /* each side's Source Connection ID's length */
    bool have_scid[2];
    uint8_t client_random[DTLSVIEW_RANDOM];
    bool have_random;
    uint16_t suite;                    /* the ServerHello's (0: not seen) */
    bool h3;                           /* the ClientHello offered h3, not ricochet */
    bool keyed;                        /* app below holds the 1-RTT keys */
    struct quickeys app[2];
    uint8_t phase[2];                  /* the key phase app[side] opens */
    struct quickeys prev[2];           /* the generation before app's (after a key update) */
    bool have_prev[2];
    struct quicview_stream *streams;   /* QUICVIEW_STREAMS, at the first STREAM frame */
    uint64_t packets;                  /* packets opened */
    uint64_t unread;                   /* packets not opened (no key, a bad tag, too short) */
};

/* One datagram of the flow, sent by the client (from_client) or the
 * server (the relay). k: the clients' key log (NULL: 1-RTT packets stay
 * unread). Fills out[0..min(states, STATESCAN_MAX)) as statescan_datagram
 * does; result .malformed when a packet or frame does not read, .peer -1.
 * The same datagram read again names the same states (netsim reads one
 * for each thing it does to it); reading one for the first time must be in
 * the order the sender sent them. */
struct statescan_result quicview_datagram(struct quicview_flow *f, struct dtlsview_keylog *k,
                                          bool from_client, const uint8_t *buf, size_t len,
                                          struct statescan_ref out[STATESCAN_MAX]);

/* Frees the flow's streams (f stays usable as new). */
void quicview_flow_free(struct quicview_flow *f);

/* Is this datagram a client's first, a QUIC version 1 Initial (--wire auto)? */
bool quicview_is_initial(const uint8_t *buf, size_t len);

#endif
