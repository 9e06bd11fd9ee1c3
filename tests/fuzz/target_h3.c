/* target_h3.c: fuzzes proto/h3.c, what the quic edge reads of a
 * WebTransport client's HTTP/3 (see targets.h). The first byte picks what
 * the rest is:
 *   0  a stream of frames (SETTINGS and HEADERS kept): read whole and a
 *      few bytes at a time (the cuts from the input), the same frames
 *      either way, no kept payload over its bound;
 *   1  a SETTINGS frame's payload: read or refused, never more settings
 *      than the bound;
 *   2  a CONNECT's header block, decoded by nghttp3's QPACK decoder
 *      without a dynamic table: refused, or a request whose fields are
 *      NUL-terminated within their bounds and whose status is one the
 *      edge answers (whose answer encodes); the same block read as an
 *      answer, as libricochet reads the relay's: a status of three digits,
 *      or refused;
 *   3  a datagram's quarter stream ID, and varints a byte at a time read
 *      as they read whole. */
#include <string.h>

#include "proto/h3.h"
#include "targets.h"

#define H3_FUZZ_FRAMES 64

struct h3_seen {
    uint64_t type[H3_FUZZ_FRAMES];
    size_t len[H3_FUZZ_FRAMES];
    int n;
    int rc;                   /* the reader's error, 0: none */
};

/* Reads d[0..len) in pieces of step bytes (0: whole). */
static void h3_fuzz_read(const uint8_t *d, size_t len, size_t step, struct h3_seen *s)
{
    struct h3_frames r;
    h3_frames_init(&r, H3_FRAME_SETTINGS, H3_FRAME_HEADERS, 256);
    memset(s, 0, sizeof *s);
    for (size_t at = 0; at < len && !s->rc && s->n < H3_FUZZ_FRAMES;) {
        size_t piece = step && len - at > step ? step : len - at, used;
        const uint8_t *p = d + at;
        at += piece;
        while (piece > 0 && !s->rc && s->n < H3_FUZZ_FRAMES) {
            uint64_t type;
            const uint8_t *payload;
            size_t plen;
            int rc = h3_frames_read(&r, p, piece, &used, &type, &payload, &plen);
            FUZZ_CHECK(used <= piece);
            p += used;
            piece -= used;
            if (rc < 0) {
                s->rc = rc;
            } else if (rc == 1) {
                FUZZ_CHECK(!payload || plen <= 256);
                s->type[s->n] = type;
                s->len[s->n++] = plen;
            } else {
                FUZZ_CHECK(piece == 0);
            }
        }
    }
    h3_frames_free(&r);
}

static void h3_fuzz_frames(const uint8_t *d, size_t len)
{
    struct h3_seen whole, cut;
    h3_fuzz_read(d, len, 0, &whole);
    h3_fuzz_read(d, len, 1 + (len ? d[0] % 7 : 0), &cut);
    FUZZ_CHECK(whole.rc == cut.rc);
    int n = whole.n < cut.n ? whole.n : cut.n;
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(whole.type[i] == cut.type[i] && whole.len[i] == cut.len[i]);
}

static void h3_fuzz_connect(const uint8_t *d, size_t len)
{
    struct h3_request req;
    if (h3_request_decode(d, len, &req) != 0)
        return;
    FUZZ_CHECK(memchr(req.method, 0, sizeof req.method) && memchr(req.path, 0, sizeof req.path));
    FUZZ_CHECK(memchr(req.authority, 0, sizeof req.authority));
    int status = h3_request_status(&req, "/wt");
    FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405 ||
               status == 414 || status == 501);
    uint8_t out[H3_RESPONSE_MAX];
    FUZZ_CHECK(h3_response(status, out) > 0);
    char pass[64];
    int n = h3_request_query(&req, "pass", pass, sizeof pass);
    FUZZ_CHECK(n < 0 || (size_t)n == strlen(pass));
}

/* The block as an answer (libricochet's side): any block, decoded or not. */
static void h3_fuzz_answer(const uint8_t *d, size_t len)
{
    int status = h3_response_status(d, len);
    FUZZ_CHECK(status < 0 || (status >= 100 && status <= 999));
}

static void h3_fuzz_varints(const uint8_t *d, size_t len)
{
    uint64_t qsid, v, w;
    const uint8_t *rest;
    size_t rest_len, used;
    if (h3_datagram_open(d, len, &qsid, &rest, &rest_len) == 0)
        FUZZ_CHECK(rest >= d && rest + rest_len == d + len && rest > d);
    for (size_t at = 0; at < len;) {
        size_t n = h3_varint_get(d + at, len - at, &v);
        if (!n)
            break;
        struct h3_varint r = {0};
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK(h3_varint_take(&r, d + at + k, 1, &used, &w) == (k + 1 == n));
        FUZZ_CHECK(v == w && v <= H3_VARINT_MAX && h3_varint_len(v) <= n);
        at += n;
    }
}

int fuzz_target_h3(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *d = data + 1;
    size_t len = size - 1;
    struct h3_settings s;
    switch (data[0] % 4) {
    case 0:
        h3_fuzz_frames(d, len);
        break;
    case 1:
        if (h3_settings_read(d, len, &s) == 0)
            FUZZ_CHECK(s.count <= H3_SETTINGS_COUNT_MAX);
        break;
    case 2:
        h3_fuzz_connect(d, len);
        h3_fuzz_answer(d, len);
        break;
    default:
        h3_fuzz_varints(d, len);
        break;
    }
    return 0;
}
