/* poll_wire.h: what the HTTP polling edge reads and writes, as pure
 * functions (proto/PROTOCOL.md, "HTTP polling"): the query of a request
 * to /poll (its session id, how long a GET may wait), the session id's
 * text, and the frames a body carries (each a 2-byte big-endian length,
 * then the message, as on the TCP edge). No I/O and no state: the edge
 * (transport_poll.c) reads the sockets and keeps the sessions. */
#ifndef RICOCHET_POLL_WIRE_H
#define RICOCHET_POLL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/http/http_request.h"

#define POLL_PATH "/poll"          /* the one path the edge answers */
#define POLL_SECRET_BYTES 16       /* a session id's random part: 128 bits */
#define POLL_ID_LEN (8 + 2 * POLL_SECRET_BYTES) /* its text: 8 hex digits of the slot,
                                                   then the secret in hex */
#define POLL_WAIT_MAX_MS 25000u    /* a GET's wait=, at most (engine.io's ping interval) */
#define POLL_ANSWER_MAX (64u << 10) /* a GET's answer carries this many bytes of frames at
                                       most (always at least one frame) */

/* What a request's query says. */
struct poll_query {
    bool has_session;                  /* s= given */
    uint32_t slot;                     /* the session's slot (the id's first 8 digits) */
    uint8_t secret[POLL_SECRET_BYTES]; /* ... and its secret */
    uint32_t wait_ms;                  /* wait= (0 without it), at most POLL_WAIT_MAX_MS */
};

/* The query of req's target, the bytes after '?' up to the space before
 * the HTTP version (len 0: none). req must come from http_parse, which
 * saw that space. */
struct http_text poll_query_of(const struct http_req *req);

/* Parses a query, "s=ID" and "wait=MS" in any order, separated by '&'
 * (an empty query is fine). An unknown key, a key given twice, an id not
 * POLL_ID_LEN hex digits, a wait not decimal or over POLL_WAIT_MAX_MS is
 * malformed. Returns 0, or -1 with *why one line saying which. */
int poll_query_parse(struct http_text q, struct poll_query *out, const char **why);

/* The id of the session in slot with secret, as text (POLL_ID_LEN
 * lowercase hex digits and a NUL). */
void poll_session_id(uint32_t slot, const uint8_t secret[POLL_SECRET_BYTES],
                     char out[POLL_ID_LEN + 1]);

/* How many frames body[0..len) holds, each a length of 1 to max, the
 * last one whole; -1 if a frame's length is 0 or over max, or the body
 * ends inside a frame. An empty body holds 0. */
int poll_frames_count(const uint8_t *body, size_t len, size_t max);

/* The bytes of the whole frames at the head of buf[0..len) that fit in
 * cap, but always the first frame (whatever cap); 0 if buf holds none. */
size_t poll_frames_fit(const uint8_t *buf, size_t len, size_t cap);

#endif
