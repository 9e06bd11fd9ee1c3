/* tcpstream.c: states in a TCP stream's frames (see tcpstream.h). */
#include "tcpstream.h"
#include "proto/byteorder.h"

#include <string.h>
#include <strings.h>

/* A whole message of len bytes at msg: read as a datagram, each state found
 * with the numbers its frame took. */
static size_t message_done(struct tcpstream *s, const uint8_t *msg, uint64_t len, uint32_t end,
                           tcpstream_found_fn found, void *ctx)
{
    if (len > TCPSTREAM_MESSAGE_MAX)
        return 0;
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = statescan_datagram(STATESCAN_UDP, msg, (size_t)len, refs);
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++)
        found(ctx, &refs[i], s->frame_at, end);
    return r.states < STATESCAN_MAX ? r.states : STATESCAN_MAX;
}

/* ---- 2-byte lengths ---------------------------------------------------- */

static size_t take_frame_byte(struct tcpstream *s, uint8_t b, uint32_t n,
                              tcpstream_found_fn found, void *ctx)
{
    if (s->have == 0)
        s->frame_at = n;
    if (s->have < 2 + TCPSTREAM_MESSAGE_MAX)
        s->buf[s->have] = b;
    s->have++;
    if (s->have == 2) {
        s->len = be16_get(s->buf);
        s->lost = s->len == 0; /* no frame is empty: these are not frames */
        return 0;
    }
    if (s->have < 2 || s->have < 2 + s->len)
        return 0;
    s->have = 0;
    return message_done(s, s->buf + 2, s->len, n + 1, found, ctx);
}

/* ---- an HTTP head: a WebSocket's, then its frames; or HTTP polling's --- */

/* Does line (len bytes) start with prefix, whatever the letters' case? */
static bool line_starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(line, prefix, n) == 0;
}

/* A head's line, whole (what of it was kept): what it says of the body
 * and of an upgrade. */
static void head_line(struct tcpstream *s)
{
    const char *l = s->line;
    size_t n = s->line_len;
    if (line_starts(l, n, "HTTP/1.1 101") || line_starts(l, n, "HTTP/1.0 101") ||
        line_starts(l, n, "Upgrade:"))
        s->upgrade = true;
    else if (line_starts(l, n, "Content-Type: application/octet-stream"))
        s->binary = true;
    else if (line_starts(l, n, "Content-Length:")) {
        uint64_t v = 0;
        size_t i = strlen("Content-Length:");
        while (i < n && l[i] == ' ')
            i++;
        for (; i < n && l[i] >= '0' && l[i] <= '9' && v < UINT32_MAX; i++)
            v = v * 10 + (uint64_t)(l[i] - '0');
        s->body = v;
    }
}

/* The next head of HTTP polling's, on the same connection. */
static void head_again(struct tcpstream *s)
{
    s->framing = TCPSTREAM_HTTP_HEAD;
    s->head = 0;
    s->crlf = 0;
    s->line_len = 0;
    s->upgrade = s->binary = false;
    s->body = 0;
    s->have = 0;
}

static void take_head_byte(struct tcpstream *s, uint8_t b)
{
    static const char blank[] = "\r\n\r\n";
    s->crlf = b == (uint8_t)blank[s->crlf] ? (uint8_t)(s->crlf + 1) : (uint8_t)(b == '\r');
    if (b == '\n') {
        head_line(s);
        s->line_len = 0;
    } else if (b != '\r' && s->line_len < TCPSTREAM_LINE_MAX) {
        s->line[s->line_len++] = (char)b;
    }
    if (++s->head > TCPSTREAM_HEAD_MAX) {
        s->lost = true;
    } else if (s->crlf == 4 && s->upgrade && !s->lines) {
        s->framing = TCPSTREAM_WEBSOCKET;
    } else if (s->crlf == 4) { /* HTTP polling: its body, if it has one */
        s->lines = true;
        uint64_t body = s->binary ? s->body : 0, skip = s->binary ? 0 : s->body;
        head_again(s);
        s->body = body + skip;
        s->binary = body > 0;
        if (s->body)
            s->framing = TCPSTREAM_HTTP_BODY;
    }
}

/* A byte of a body: its 2-byte frames read when binary, passed over when
 * not (the join's answer, an error's words). */
static size_t take_frame_byte(struct tcpstream *s, uint8_t b, uint32_t n,
                              tcpstream_found_fn found, void *ctx);

static size_t take_body_byte(struct tcpstream *s, uint8_t b, uint32_t n,
                             tcpstream_found_fn found, void *ctx)
{
    size_t found_n = s->binary ? take_frame_byte(s, b, n, found, ctx) : 0;
    if (--s->body == 0)
        head_again(s);
    return found_n;
}

/* The header's length from its first two bytes: the extended length's 0, 2
 * or 8 bytes and the mask's 4 after the two. */
static uint32_t ws_header_len(const uint8_t *hdr)
{
    uint8_t len7 = hdr[1] & 0x7f;
    return 2u + (len7 == 126 ? 2u : len7 == 127 ? 8u : 0u) + (hdr[1] & 0x80 ? 4u : 0u);
}

static uint64_t ws_payload_len(const uint8_t *hdr)
{
    uint8_t len7 = hdr[1] & 0x7f;
    if (len7 < 126)
        return len7;
    uint64_t len = 0;
    for (int i = 0; i < (len7 == 126 ? 2 : 8); i++)
        len = len << 8 | hdr[2 + i];
    return len;
}

/* A whole frame: a binary or text message in one frame is read; control
 * frames and fragments are not. */
static size_t ws_frame_done(struct tcpstream *s, uint32_t end, tcpstream_found_fn found,
                            void *ctx)
{
    uint8_t fin = s->hdr[0] & 0x80, opcode = s->hdr[0] & 0x0f;
    s->have = 0;
    if (!fin || (opcode != 1 && opcode != 2))
        return 0;
    return message_done(s, s->buf, s->len, end, found, ctx);
}

static size_t take_ws_byte(struct tcpstream *s, uint8_t b, uint32_t n, tcpstream_found_fn found,
                           void *ctx)
{
    if (s->have == 0) {
        s->frame_at = n;
        s->header = 2;
    }
    if (s->have < s->header) {
        s->hdr[s->have++] = b;
        if (s->have == 2)
            s->header = ws_header_len(s->hdr);
        if (s->have < s->header)
            return 0;
        s->len = ws_payload_len(s->hdr);
        return s->len == 0 ? ws_frame_done(s, n + 1, found, ctx) : 0;
    }
    uint64_t i = s->have++ - s->header;
    if (i < TCPSTREAM_MESSAGE_MAX) /* a client's payload is masked: unmask it */
        s->buf[i] = b ^ (s->hdr[1] & 0x80 ? s->hdr[s->header - 4 + i % 4] : 0);
    return i + 1 == s->len ? ws_frame_done(s, n + 1, found, ctx) : 0;
}

/* ---- which framing ------------------------------------------------------ */

static size_t take_byte(struct tcpstream *s, uint8_t b, uint32_t n, tcpstream_found_fn found,
                        void *ctx);

/* A stream's first bytes: an HTTP head starts "GET " (a WebSocket's or a
 * poll's), "POST " or "DELETE " (a client's) or "HTTP/" (the relay's);
 * anything else is 2-byte frames, and the bytes held so far are read
 * again as such. */
static size_t take_first_byte(struct tcpstream *s, uint8_t b, uint32_t n,
                              tcpstream_found_fn found, void *ctx)
{
    static const char *const heads[] = {"GET ", "HTTP/", "POST ", "DELETE "};
    s->first[s->head++] = b;
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        size_t len = strlen(heads[k]);
        if (s->head <= len && memcmp(s->first, heads[k], s->head) == 0) {
            if (s->head == len) { /* the head's bytes so far: its first line's */
                s->framing = TCPSTREAM_HTTP_HEAD;
                memcpy(s->line, s->first, len);
                s->line_len = (uint8_t)len;
            }
            return 0;
        }
    }
    uint8_t bytes[sizeof s->first];
    uint32_t held = s->head < sizeof bytes ? s->head : (uint32_t)sizeof bytes;
    memcpy(bytes, s->first, held);
    s->framing = TCPSTREAM_FRAMES;
    size_t found_n = 0;
    for (uint32_t i = 0; i < held && !s->lost; i++)
        found_n += take_byte(s, bytes[i], n - (held - 1 - i), found, ctx);
    return found_n;
}

static size_t take_byte(struct tcpstream *s, uint8_t b, uint32_t n, tcpstream_found_fn found,
                        void *ctx)
{
    switch (s->framing) {
    case TCPSTREAM_UNKNOWN: return take_first_byte(s, b, n, found, ctx);
    case TCPSTREAM_FRAMES: return take_frame_byte(s, b, n, found, ctx);
    case TCPSTREAM_HTTP_HEAD: take_head_byte(s, b); return 0;
    case TCPSTREAM_WEBSOCKET: return take_ws_byte(s, b, n, found, ctx);
    case TCPSTREAM_HTTP_BODY: return take_body_byte(s, b, n, found, ctx);
    }
    return 0;
}

size_t tcpstream_segment(struct tcpstream *s, const struct ippacket *p, const uint8_t *payload,
                         tcpstream_found_fn found, void *ctx)
{
    if (p->flags & IPPACKET_SYN) {
        memset(s, 0, sizeof *s);
        s->started = true;
        s->next = p->seq + 1;
        return 0;
    }
    uint32_t end = p->seq + (uint32_t)p->payload_len;
    if (!s->started || s->lost || (int32_t)(end - s->next) <= 0)
        return 0; /* before a SYN, after a gap, or nothing new */
    if ((int32_t)(p->seq - s->next) > 0) {
        s->lost = true; /* bytes before these never crossed netsim */
        return 0;
    }
    size_t n = 0;
    for (uint32_t at = s->next; at != end && !s->lost; at++)
        n += take_byte(s, payload[at - p->seq], at, found, ctx);
    s->next = end;
    return n;
}
