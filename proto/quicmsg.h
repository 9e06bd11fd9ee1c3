/* quicmsg.h: ricochet's messages inside a QUIC connection, as both ends
 * read and write them (PROTOCOL.md, "QUIC"):
 *
 *   - on a stream, every message in a frame, as over TCP: a 2-byte
 *     big-endian length, then the message (a state, a batch, a control
 *     message); a reader keeps at most one frame's partial bytes;
 *   - in a DATAGRAM frame (RFC 9221), one byte naming the ENet channel the
 *     state travels on (1: unsequenced, 2: sequenced), then the state or
 *     a batch of them;
 *   - what a stream has queued, kept until QUIC says it was acknowledged:
 *     QUIC resends from the sender's own bytes, so they never move while
 *     they may be sent again (chunks, freed once acknowledged whole).
 *
 * Pure: no I/O, no QUIC library; the relay's quic edge, libricochet's
 * QUIC transport and ricochet-netsim's reader of QUIC all use it. */
#ifndef RICOCHET_QUICMSG_H
#define RICOCHET_QUICMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* The ALPN a ricochet session over QUIC names (TLS's application layer
 * protocol negotiation): its length byte, then its letters. */
#define QUICMSG_ALPN "ricochet"

#define QUICMSG_FRAME_HEAD 2         /* a frame's length field */
#define QUICMSG_FRAME_MAX 65535      /* the longest message a frame carries */
#define QUICMSG_DATAGRAM_HEAD 1      /* a datagram's channel byte */
/* The longest DATAGRAM payload either end sends: the channel byte and a
 * state (padded to at most PROTO_STATE_MAX) or a batch of that size. */
#define QUICMSG_DATAGRAM_MAX (QUICMSG_DATAGRAM_HEAD + PROTO_STATE_MAX)
/* The max_datagram_frame_size both ends announce: that payload, the
 * frame's type (1 byte) and length (2 bytes as a varint). */
#define QUICMSG_DATAGRAM_FRAME_MAX (QUICMSG_DATAGRAM_MAX + 3)

/* Errors of quicmsg_read and quicmsg_datagram_open (negative). */
enum quicmsg_error {
    QUICMSG_E_EMPTY = -1,   /* a frame of length 0, or a datagram with no message */
    QUICMSG_E_LONG = -2,    /* a frame longer than the reader takes */
    QUICMSG_E_CHANNEL = -3, /* a datagram's channel byte names no state channel */
};

/* ---- reading frames ---- */

/* The reader of one stream: the partial frame in hand, nothing more. */
struct quicmsg_reader {
    size_t max;              /* the longest message taken (1..QUICMSG_FRAME_MAX) */
    uint8_t head[QUICMSG_FRAME_HEAD];
    uint8_t head_have;       /* bytes of the length field in hand */
    size_t need;             /* the message's length, once the field is whole */
    size_t have;             /* bytes of it in buf */
    uint8_t *buf;            /* max bytes, allocated when a message is cut (NULL until) */
};

/* A reader taking messages of at most max bytes (clamped to 1..65535). */
void quicmsg_reader_init(struct quicmsg_reader *r, size_t max);

/* Frees its buffer; the reader may be initialized again. */
void quicmsg_reader_free(struct quicmsg_reader *r);

/* Reads from data[0..len): *used gets the bytes consumed. Returns 1 with
 * the next whole message in *msg, *msg_len (valid until the next call: in
 * data, or in the reader's buffer), 0 once every byte is consumed without
 * completing one, or a negative enum quicmsg_error (the stream cannot be
 * read past it: called again, the same error, nothing consumed), or -4
 * when out of memory. Call again with what is left. */
int quicmsg_read(struct quicmsg_reader *r, const uint8_t *data, size_t len, size_t *used,
                 const uint8_t **msg, size_t *msg_len);

/* Does the reader hold part of a frame? */
bool quicmsg_reader_partial(const struct quicmsg_reader *r);

/* ---- datagrams ---- */

/* Is channel a state channel a datagram may name (PROTO_CHANNEL_STATE,
 * PROTO_CHANNEL_RELIABLE)? */
bool quicmsg_datagram_channel(uint8_t channel);

/* The longest message a DATAGRAM frame carries (after its channel byte),
 * within the peer's max_datagram_frame_size (max_frame; 0: it takes none)
 * and, with a short header's overhead (a connection ID of at most 20
 * bytes, a 4-byte packet number, the AEAD's 16-byte tag), within a packet
 * of path_max bytes (the path's UDP payload, 1200 until its MTU is
 * probed); at most PROTO_STATE_MAX. 0: none fits. */
size_t quicmsg_datagram_room(uint64_t max_frame, size_t path_max);

/* Reads a DATAGRAM payload: its channel into *channel, its message into
 * *msg, *msg_len (in d). Returns 0, or QUICMSG_E_EMPTY, QUICMSG_E_CHANNEL. */
int quicmsg_datagram_open(const uint8_t *d, size_t len, uint8_t *channel, const uint8_t **msg,
                          size_t *msg_len);

/* ---- what a stream keeps until it is acknowledged ---- */

#define QUICMSG_CHUNK 2048 /* bytes of a chunk (a frame may span two) */

struct quicmsg_chunk {
    struct quicmsg_chunk *next;
    size_t len;              /* bytes written in data */
    uint8_t data[QUICMSG_CHUNK];
};

/* A stream's bytes out: [acknowledged | sent, not acknowledged | unsent].
 * Bytes never move once queued; a chunk is freed once acknowledged whole. */
struct quicmsg_out {
    struct quicmsg_chunk *head, *tail;
    size_t head_acked;       /* bytes of head acknowledged */
    struct quicmsg_chunk *send; /* the chunk of the next unsent byte (NULL: none) */
    size_t send_off;         /* ... and its offset there */
    uint64_t queued;         /* bytes queued and not acknowledged (sent or not) */
    uint64_t unsent;         /* bytes not yet handed to QUIC */
    uint64_t offset;         /* the stream offset of the next byte queued */
    bool fin;                /* the stream ends after what is queued */
};

/* An empty stream out (nothing allocated). */
void quicmsg_out_init(struct quicmsg_out *o);

/* Frees every chunk. */
void quicmsg_out_free(struct quicmsg_out *o);

/* Queues msg[0..len) in a frame (1 <= len <= QUICMSG_FRAME_MAX). Returns 0,
 * or -1 if the frame would take o->queued past limit (0: no limit) or
 * memory ran out (nothing queued). */
int quicmsg_out_frame(struct quicmsg_out *o, const uint8_t *msg, size_t len, uint64_t limit);

/* Queues bytes[0..len) as they are, no frame (1 <= len): a stream's own
 * preamble (HTTP/3's stream type, a WebTransport stream's session).
 * Returns 0, or -1 when out of memory (nothing queued). */
int quicmsg_out_bytes(struct quicmsg_out *o, const uint8_t *bytes, size_t len);

/* The next unsent bytes, contiguous (within one chunk): *len of them at
 * the returned pointer; NULL with *len 0 when all is sent. */
const uint8_t *quicmsg_out_next(const struct quicmsg_out *o, size_t *len);

/* n of the bytes quicmsg_out_next gave were handed to QUIC. */
void quicmsg_out_sent(struct quicmsg_out *o, size_t n);

/* n more bytes were acknowledged, in order (QUIC reports them so); more
 * than were sent is clamped. Chunks acknowledged whole are freed. */
void quicmsg_out_acked(struct quicmsg_out *o, uint64_t n);

#endif
