/* h3.h: the little of HTTP/3 (RFC 9114) a WebTransport session needs
 * (draft-ietf-webtrans-http3-02, PROTOCOL.md "WebTransport"), as the
 * relay's quic edge reads and writes it on the ALPN "h3":
 *
 *   - QUIC's variable-length integers, whole or a byte at a time;
 *   - a stream's frames (type, length, payload), the payload kept only for
 *     the frames asked for (SETTINGS, HEADERS) and only up to a bound, the
 *     others skipped without a copy;
 *   - SETTINGS read (duplicates, HTTP/2's identifiers and values out of
 *     range refused) and the relay's own control stream written;
 *   - one extended CONNECT's header block decoded with nghttp3's QPACK
 *     decoder (no dynamic table: its capacity is 0), and its answer encoded
 *     with nghttp3's QPACK encoder (static table and literals only);
 *   - a WebTransport stream's preamble (its signal or type, then the
 *     session's ID) and an HTTP datagram's quarter stream ID.
 *
 * Pure: no I/O, no QUIC; every bound is a constant below. */
#ifndef RICOCHET_H3_H
#define RICOCHET_H3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H3_ALPN "h3"

/* ---- identifiers ---- */

/* Unidirectional stream types (RFC 9114 6.2, RFC 9204 4.2, WebTransport). */
#define H3_STREAM_CONTROL 0x00
#define H3_STREAM_PUSH 0x01
#define H3_STREAM_QPACK_ENCODER 0x02
#define H3_STREAM_QPACK_DECODER 0x03
#define H3_STREAM_WT_UNI 0x54        /* a WebTransport unidirectional stream */
#define H3_SIGNAL_WT_BIDI 0x41       /* a WebTransport bidirectional stream's first varint */

/* Frame types (RFC 9114 7.2). */
#define H3_FRAME_DATA 0x00
#define H3_FRAME_HEADERS 0x01
#define H3_FRAME_CANCEL_PUSH 0x03
#define H3_FRAME_SETTINGS 0x04
#define H3_FRAME_PUSH_PROMISE 0x05
#define H3_FRAME_GOAWAY 0x07
#define H3_FRAME_MAX_PUSH_ID 0x0d

/* Settings. */
#define H3_SETTING_QPACK_MAX_TABLE_CAPACITY 0x01
#define H3_SETTING_MAX_FIELD_SECTION_SIZE 0x06
#define H3_SETTING_QPACK_BLOCKED_STREAMS 0x07
#define H3_SETTING_ENABLE_CONNECT_PROTOCOL 0x08   /* RFC 9220 */
#define H3_SETTING_H3_DATAGRAM 0x33               /* RFC 9297 */
#define H3_SETTING_H3_DATAGRAM_DRAFT04 0xffd277   /* its draft 04, which Chromium also reads */
#define H3_SETTING_ENABLE_WEBTRANSPORT 0x2b603742 /* WebTransport draft 02 */
#define H3_SETTING_WT_MAX_SESSIONS_DRAFT07 0xc671706a /* draft 07 (not spoken) */

/* Error codes (RFC 9114 8.1, RFC 9204 6). */
#define H3_NO_ERROR 0x100
#define H3_GENERAL_PROTOCOL_ERROR 0x101
#define H3_STREAM_CREATION_ERROR 0x103
#define H3_CLOSED_CRITICAL_STREAM 0x104
#define H3_FRAME_UNEXPECTED 0x105
#define H3_FRAME_ERROR 0x106
#define H3_EXCESSIVE_LOAD 0x107
#define H3_ID_ERROR 0x108
#define H3_SETTINGS_ERROR 0x109
#define H3_MISSING_SETTINGS 0x10a
#define H3_REQUEST_REJECTED 0x10b
#define H3_MESSAGE_ERROR 0x10e
#define H3_QPACK_DECOMPRESSION_FAILED 0x200
#define H3_QPACK_ENCODER_STREAM_ERROR 0x201

/* ---- bounds ---- */

#define H3_VARINT_MAX ((1ull << 62) - 1)
#define H3_SETTINGS_PAYLOAD_MAX 1024 /* a SETTINGS frame's payload, at most */
#define H3_SETTINGS_COUNT_MAX 64     /* settings in one frame (duplicates are looked for) */
#define H3_HEADERS_PAYLOAD_MAX 4096  /* a HEADERS frame's payload (the header block) */
#define H3_FIELD_SECTION_MAX 8192    /* its fields decoded: each name, value and 32 (RFC
                                        9114 4.2.2); the relay's MAX_FIELD_SECTION_SIZE */
#define H3_PATH_MAX 1024             /* :path kept, at most */
#define H3_AUTHORITY_MAX 256         /* :authority kept */
#define H3_RESPONSE_MAX 128          /* a HEADERS frame the relay answers with, at most */
#define H3_CONNECT_MAX (H3_PATH_MAX + H3_AUTHORITY_MAX + 128) /* a CONNECT's HEADERS frame */
#define H3_HEADERS_FIELDS_MAX 16     /* fields h3_headers encodes, at most */
#define H3_CONTROL_MAX 64            /* the relay's control stream's first bytes, at most */

/* Errors (negative) of the readers. */
enum h3_error {
    H3_E_VARINT = -1,    /* unused */
    H3_E_LONG = -2,      /* a kept frame over its bound (H3_EXCESSIVE_LOAD) */
    H3_E_SETTINGS = -3,  /* SETTINGS malformed or contradictory (H3_SETTINGS_ERROR) */
    H3_E_FRAME = -4,     /* a frame's payload does not read (H3_FRAME_ERROR) */
    H3_E_QPACK = -5,     /* a header block QPACK refuses: a dynamic table reference, a
                            field too long (H3_QPACK_DECOMPRESSION_FAILED) */
    H3_E_FIELDS = -6,    /* the fields decoded past H3_FIELD_SECTION_MAX (H3_EXCESSIVE_LOAD) */
    H3_E_MESSAGE = -7,   /* a request malformed: pseudo-headers missing, repeated, after
                            a field, unknown (H3_MESSAGE_ERROR) */
    H3_E_MEMORY = -8,    /* out of memory */
};

/* ---- variable-length integers (RFC 9000 16) ---- */

/* Bytes v takes (1, 2, 4 or 8; v at most H3_VARINT_MAX). */
size_t h3_varint_len(uint64_t v);
/* Writes v at p (h3_varint_len(v) bytes). Returns the bytes written. */
size_t h3_varint_put(uint8_t *p, uint64_t v);
/* Reads one from p[0..len): returns its length with the value in *v, or 0
 * if len is short of it. */
size_t h3_varint_get(const uint8_t *p, size_t len, uint64_t *v);

/* A varint taken a byte at a time across a stream's pieces. */
struct h3_varint {
    uint8_t b[8];
    uint8_t have, need;      /* need 0: its first byte not yet seen */
};
/* Takes bytes of data[0..len) until the varint is whole: *used gets the
 * bytes taken. Returns 1 with it in *v (the reader is reset), or 0 once
 * data is spent first. */
int h3_varint_take(struct h3_varint *r, const uint8_t *data, size_t len, size_t *used,
                   uint64_t *v);

/* ---- frames on a stream ---- */

/* The frames of one stream: the one in hand, its payload buffered only when
 * its type is one the caller keeps (keep_a, keep_b; UINT64_MAX: none). */
struct h3_frames {
    struct h3_varint type_r, len_r;
    bool typed;              /* the type read */
    bool in_frame;           /* type and length read */
    uint64_t type, len, have;
    uint64_t keep_a, keep_b;
    size_t max;              /* a kept frame's payload, at most */
    uint8_t *buf;            /* max bytes, allocated at the first kept frame cut */
};

/* A reader keeping the payloads of frames of type keep_a or keep_b, each at
 * most max bytes. */
void h3_frames_init(struct h3_frames *r, uint64_t keep_a, uint64_t keep_b, size_t max);
void h3_frames_free(struct h3_frames *r);
/* Reads from data[0..len): *used gets the bytes consumed. Returns 1 with
 * the next whole frame's type in *type and, for a kept one, its payload in
 * *payload, *plen (valid until the next call; a skipped frame's *payload is
 * NULL, *plen its length); 0 once data is spent first; H3_E_LONG for a
 * kept frame over max, H3_E_MEMORY. Call again with what is left. */
int h3_frames_read(struct h3_frames *r, const uint8_t *data, size_t len, size_t *used,
                   uint64_t *type, const uint8_t **payload, size_t *plen);

/* Is type one of HTTP/2's, which HTTP/3 forbids (0x02, 0x06, 0x08, 0x09)? */
bool h3_frame_reserved(uint64_t type);

/* ---- settings ---- */

struct h3_settings {
    uint64_t qpack_capacity;      /* QPACK_MAX_TABLE_CAPACITY (default 0) */
    uint64_t qpack_blocked;       /* QPACK_BLOCKED_STREAMS (0) */
    uint64_t field_section_max;   /* MAX_FIELD_SECTION_SIZE (UINT64_MAX: unlimited) */
    bool connect_protocol;        /* ENABLE_CONNECT_PROTOCOL 1 */
    bool datagram;                /* H3_DATAGRAM 1, or its draft 04's */
    bool webtransport;            /* ENABLE_WEBTRANSPORT 1 (draft 02) */
    uint64_t wt_max_sessions_07;  /* draft 07's WEBTRANSPORT_MAX_SESSIONS (0: absent) */
    unsigned count;               /* settings read, grease included */
};

/* Reads a SETTINGS frame's payload p[0..len) into *s (defaults first).
 * Returns 0, or H3_E_SETTINGS: a varint cut short, an identifier given
 * twice, one of HTTP/2's (0x02-0x05), more than H3_SETTINGS_COUNT_MAX of
 * them, or a boolean setting (ENABLE_CONNECT_PROTOCOL, H3_DATAGRAM and its
 * draft's, ENABLE_WEBTRANSPORT) over 1. */
int h3_settings_read(const uint8_t *p, size_t len, struct h3_settings *s);

/* Does a client of settings s speak what a WebTransport session of ours
 * needs (HTTP datagrams and ENABLE_WEBTRANSPORT, draft 02)? */
bool h3_settings_webtransport(const struct h3_settings *s);

/* A control stream's first bytes into out (H3_CONTROL_MAX), the relay's
 * and libricochet's alike: its type, then its SETTINGS: ENABLE_CONNECT_PROTOCOL, H3_DATAGRAM (and draft
 * 04's), ENABLE_WEBTRANSPORT, MAX_FIELD_SECTION_SIZE; no QPACK dynamic
 * table (capacity 0, the default, so no QPACK streams either). Returns the
 * length. */
size_t h3_control_stream(uint8_t *out);

/* ---- the CONNECT ---- */

struct h3_request {
    char method[16];
    char protocol[32];
    char scheme[16];
    char authority[H3_AUTHORITY_MAX];
    char path[H3_PATH_MAX];
    bool draft02;            /* sec-webtransport-http3-draft02: 1 */
    bool cut;                /* :path or :authority longer than kept: refused (414) */
};

/* Decodes a HEADERS frame's payload (a header block) p[0..len) with
 * nghttp3's QPACK decoder (capacity 0: any dynamic reference refused) into
 * *req. Returns 0, or H3_E_QPACK, H3_E_FIELDS, H3_E_MESSAGE, H3_E_MEMORY. */
int h3_request_decode(const uint8_t *p, size_t len, struct h3_request *req);

/* What the relay answers req, whose WebTransport path is path: 200 (a
 * CONNECT with :protocol webtransport, :scheme https, an :authority and
 * :path path, or path followed by '?'), 404 (another path), 405 (another
 * method), 501 (another :protocol, or a CONNECT without one), 414 (a path
 * cut), 400 (otherwise malformed). */
int h3_request_status(const struct h3_request *req, const char *path);

/* The value of query parameter name in req's path (after '?', '&'
 * separated), copied into out (cap, NUL-terminated). Returns its length,
 * or -1 (absent, or longer than cap - 1). */
int h3_request_query(const struct h3_request *req, const char *name, char *out, size_t cap);

/* A HEADERS frame of fields (name, value, ..., NULL; at most
 * H3_HEADERS_FIELDS_MAX pairs) into out (cap), QPACK encoded by nghttp3
 * without a dynamic table. Returns its length, or 0 if it does not fit
 * (or memory ran out). */
size_t h3_headers(const char *const *fields, uint8_t *out, size_t cap);

/* The relay's answer: status (and, for 200, the draft's
 * sec-webtransport-http3-draft: draft02) into out (H3_RESPONSE_MAX). */
size_t h3_response(int status, uint8_t *out);

/* A client's extended CONNECT opening a WebTransport session (draft 02)
 * at https://authority path, into out (cap: H3_CONNECT_MAX). Returns its
 * length, or 0 if it does not fit. */
size_t h3_connect(const char *authority, const char *path, uint8_t *out, size_t cap);

/* An answer's header block p[0..len) (a HEADERS frame's payload): its
 * :status (100-999), or a negative enum h3_error (H3_E_MESSAGE: no
 * :status, or a malformed one). */
int h3_response_status(const uint8_t *p, size_t len);

/* ---- WebTransport streams and datagrams ---- */

/* A WebTransport unidirectional stream's preamble for session (the
 * CONNECT stream's ID) into out (16 bytes). Returns its length. */
size_t h3_wt_uni_preamble(uint64_t session, uint8_t *out);

/* An HTTP datagram's payload d[0..len): the quarter stream ID into *qsid
 * (the CONNECT stream's ID / 4), the rest in *rest, *rest_len. Returns 0,
 * or -1 if the ID is cut short. */
int h3_datagram_open(const uint8_t *d, size_t len, uint64_t *qsid, const uint8_t **rest,
                     size_t *rest_len);

#endif
