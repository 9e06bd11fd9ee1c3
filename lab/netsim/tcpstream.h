/* tcpstream.h: the states inside one direction of a TCP connection, as
 * netsim's IP mode sees its segments. The bytes are read in the order the
 * sender first sent them (netsim sees every segment before its model
 * decides anything) and cut into messages, each read as a datagram would
 * be (statescan.h: a state, or a batch of them). So the drop log can say
 * which sequence numbers each state took, and the audit which dropped
 * segment held it back.
 *
 * Three framings, told apart by a stream's first bytes and its first head:
 *   - PROTOCOL.md's "Streams (TCP)": 2 bytes of length, then the message;
 *   - a WebSocket (RFC 6455), which starts with an HTTP head ("GET " from
 *     the client, "HTTP/" from the relay) ended by an empty line: then
 *     frames, each a header of 2 to 14 bytes (the client's masked) and its
 *     payload. A binary or text message in one frame is read; control
 *     frames (ping, pong, close) and fragments are passed over;
 *   - HTTP polling (PROTOCOL.md, "HTTP polling"): requests ("GET ", "POST ",
 *     "DELETE ") or answers ("HTTP/") one after another on a keep-alive
 *     connection, none asking to upgrade: each head, then its
 *     Content-Length of body, the messages in 2-byte frames when the body
 *     is application/octet-stream (a POST's, a GET's answer).
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
#define TCPSTREAM_HEAD_MAX 8192 /* an HTTP head longer than this is no WebSocket's */
#define TCPSTREAM_WS_HEADER_MAX 14

enum tcpstream_framing {
    TCPSTREAM_UNKNOWN = 0, /* no byte yet, or too few to tell */
    TCPSTREAM_FRAMES,      /* 2-byte lengths */
    TCPSTREAM_HTTP_HEAD,   /* a WebSocket's HTTP head, up to its empty line */
    TCPSTREAM_WEBSOCKET,   /* a WebSocket's frames */
    TCPSTREAM_HTTP_BODY    /* HTTP polling: a body after its head */
};

#define TCPSTREAM_LINE_MAX 48 /* a head's line, as much of it as is kept to read */

struct tcpstream {
    bool started;       /* a SYN gave the first number */
    bool lost;          /* bytes netsim never saw (or a frame of length 0): the frames
                           cannot be found again, so no state is named from here on */
    enum tcpstream_framing framing;
    uint32_t next;      /* the number after the newest byte seen */
    uint32_t frame_at;  /* the number of the current frame's first byte */
    uint64_t have;      /* bytes of the current frame so far, its header's included */
    uint32_t header;    /* the current frame's header length, once known (2 frames: 2) */
    uint64_t len;       /* the current message's length, once its header is in */
    uint32_t head;      /* HTTP head: bytes read; the empty line's progress in crlf */
    uint8_t crlf;
    bool upgrade;       /* ... it asks for (or answers 101 to) a WebSocket */
    bool binary;        /* ... its body is application/octet-stream: 2-byte frames */
    bool lines;         /* ... a head of HTTP polling's (a WebSocket's first was not) */
    uint64_t body;      /* ... its Content-Length; in the body, bytes left */
    uint8_t line_len;   /* ... the current line's bytes kept */
    char line[TCPSTREAM_LINE_MAX];
    uint8_t first[8];   /* a stream's first bytes, until its framing is known */
    uint8_t hdr[TCPSTREAM_WS_HEADER_MAX];
    uint8_t buf[2 + TCPSTREAM_MESSAGE_MAX]; /* 2 frames: the length, then the message;
                                               WebSocket: the payload, unmasked */
};

/* A state found: its sender and seq (ref), and the sequence numbers its
 * frame took, [start, end) modulo 2^32 (start: the frame's first byte). */
typedef void (*tcpstream_found_fn)(void *ctx, const struct statescan_ref *ref, uint32_t start,
                                   uint32_t end);

/* Feeds one segment of this direction: p as ippacket_parse read it, its
 * payload at payload. A SYN starts the stream; bytes beyond the newest seen
 * are read, a retransmission adds nothing. Calls found for each state whose
 * frame these bytes complete; returns how many. */
size_t tcpstream_segment(struct tcpstream *s, const struct ippacket *p, const uint8_t *payload,
                         tcpstream_found_fn found, void *ctx);

#endif
