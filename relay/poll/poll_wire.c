/* poll_wire.c: the HTTP polling edge's query, session ids and frames,
 * read and written without I/O (see poll_wire.h). */
#include "poll_wire.h"

#include <string.h>

struct http_text poll_query_of(const struct http_req *req)
{
    if (!req->path.p || req->path.p[req->path.len] != '?')
        return (struct http_text){NULL, 0};
    const char *start = req->path.p + req->path.len + 1, *end = start;
    while (*end != ' ') /* http_parse saw the space that ends the target */
        end++;
    return (struct http_text){start, (size_t)(end - start)};
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A session id's text into out. Returns false unless it is POLL_ID_LEN
 * hex digits. */
static bool parse_id(const char *p, size_t len, struct poll_query *out)
{
    if (len != POLL_ID_LEN)
        return false;
    uint8_t bytes[4 + POLL_SECRET_BYTES];
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(p[i]), lo = hex_value(p[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bytes[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    out->slot = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
                bytes[3];
    memcpy(out->secret, bytes + 4, POLL_SECRET_BYTES);
    return true;
}

/* A wait's decimal milliseconds. Returns false unless 1 to 5 digits and
 * at most POLL_WAIT_MAX_MS. */
static bool parse_wait(const char *p, size_t len, uint32_t *ms)
{
    uint32_t v = 0;
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    *ms = v;
    return v <= POLL_WAIT_MAX_MS;
}

int poll_query_parse(struct http_text q, struct poll_query *out, const char **why)
{
    memset(out, 0, sizeof *out);
    bool has_wait = false;
    size_t at = 0;
    if (q.len && q.p[q.len - 1] == '&') { /* an empty pair at the end */
        *why = "the query takes s=SESSION and wait=MS only";
        return -1;
    }
    while (at < q.len) {
        const char *pair = q.p + at;
        const char *amp = memchr(pair, '&', q.len - at);
        size_t len = amp ? (size_t)(amp - pair) : q.len - at;
        at += len + (amp != NULL);
        if (len >= 2 && memcmp(pair, "s=", 2) == 0) {
            if (out->has_session || !parse_id(pair + 2, len - 2, out)) {
                *why = out->has_session ? "s= is given twice"
                                        : "s= is a session id: 40 hex digits";
                return -1;
            }
            out->has_session = true;
        } else if (len >= 5 && memcmp(pair, "wait=", 5) == 0) {
            if (has_wait || !parse_wait(pair + 5, len - 5, &out->wait_ms)) {
                *why = has_wait ? "wait= is given twice" : "wait= is milliseconds, 0 to 25000";
                return -1;
            }
            has_wait = true;
        } else {
            *why = "the query takes s=SESSION and wait=MS only";
            return -1;
        }
    }
    return 0;
}

void poll_session_id(uint32_t slot, const uint8_t secret[POLL_SECRET_BYTES],
                     char out[POLL_ID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        out[i] = digits[(slot >> (28 - 4 * i)) & 0xf];
    for (size_t i = 0; i < POLL_SECRET_BYTES; i++) {
        out[8 + 2 * i] = digits[secret[i] >> 4];
        out[9 + 2 * i] = digits[secret[i] & 0xf];
    }
    out[POLL_ID_LEN] = '\0';
}

int poll_frames_count(const uint8_t *body, size_t len, size_t max)
{
    int n = 0;
    size_t at = 0;
    while (at < len) {
        if (len - at < 2)
            return -1;
        size_t frame = (size_t)body[at] << 8 | body[at + 1];
        if (frame == 0 || frame > max || len - at - 2 < frame)
            return -1;
        at += 2 + frame;
        n++;
    }
    return n;
}

size_t poll_frames_fit(const uint8_t *buf, size_t len, size_t cap)
{
    size_t at = 0;
    while (len - at >= 2) {
        size_t next = 2 + ((size_t)buf[at] << 8 | buf[at + 1]);
        if (next > len - at || (at > 0 && at + next > cap))
            break;
        at += next;
    }
    return at;
}
