/* h3.c: the little of HTTP/3 a WebTransport session needs (see h3.h,
 * PROTOCOL.md "WebTransport"). QPACK is nghttp3's (Debian's 0.8): its
 * decoder and encoder on their own, each made for one header block and
 * freed after, since neither side has a dynamic table. */
#include "h3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

/* ---- variable-length integers ---- */

size_t h3_varint_len(uint64_t v)
{
    return v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
}

size_t h3_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = h3_varint_len(v);
    static const uint8_t prefix[9] = {[1] = 0x00, [2] = 0x40, [4] = 0x80, [8] = 0xc0};
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    p[0] |= prefix[n];
    return n;
}

size_t h3_varint_get(const uint8_t *p, size_t len, uint64_t *v)
{
    if (len == 0)
        return 0;
    size_t n = (size_t)1 << (p[0] >> 6);
    if (len < n)
        return 0;
    uint64_t x = p[0] & 0x3f;
    for (size_t i = 1; i < n; i++)
        x = x << 8 | p[i];
    *v = x;
    return n;
}

int h3_varint_take(struct h3_varint *r, const uint8_t *data, size_t len, size_t *used,
                   uint64_t *v)
{
    size_t at = 0;
    while (at < len) {
        if (r->need == 0)
            r->need = (uint8_t)(1u << (data[at] >> 6));
        r->b[r->have++] = data[at++];
        if (r->have == r->need) {
            h3_varint_get(r->b, r->have, v);
            r->have = r->need = 0;
            *used = at;
            return 1;
        }
    }
    *used = at;
    return 0;
}

/* ---- frames ---- */

void h3_frames_init(struct h3_frames *r, uint64_t keep_a, uint64_t keep_b, size_t max)
{
    *r = (struct h3_frames){.keep_a = keep_a, .keep_b = keep_b, .max = max};
}

void h3_frames_free(struct h3_frames *r)
{
    free(r->buf);
    r->buf = NULL;
}

bool h3_frame_reserved(uint64_t type)
{
    return type == 0x02 || type == 0x06 || type == 0x08 || type == 0x09;
}

static bool kept(const struct h3_frames *r)
{
    return r->type == r->keep_a || r->type == r->keep_b;
}

int h3_frames_read(struct h3_frames *r, const uint8_t *data, size_t len, size_t *used,
                   uint64_t *type, const uint8_t **payload, size_t *plen)
{
    size_t at = 0, n;
    if (!r->in_frame) {
        if (!r->typed) {
            if (!h3_varint_take(&r->type_r, data, len, &n, &r->type)) {
                *used = n;
                return 0;
            }
            at += n;
            r->typed = true;
        }
        if (!h3_varint_take(&r->len_r, data + at, len - at, &n, &r->len)) {
            *used = at + n;
            return 0;
        }
        at += n;
        r->typed = false;
        r->in_frame = true;
        r->have = 0;
        if (kept(r) && r->len > r->max) {
            *used = at;
            return H3_E_LONG;
        }
    }
    size_t left = len - at;
    *type = r->type;
    if (!kept(r)) { /* skipped: its bytes counted, not kept */
        uint64_t take = r->len - r->have < left ? r->len - r->have : left;
        r->have += take;
        *used = at + (size_t)take;
        if (r->have < r->len)
            return 0;
        r->in_frame = false;
        *payload = NULL;
        *plen = (size_t)r->len;
        return 1;
    }
    if (r->have == 0 && left >= r->len) { /* whole in data: no copy */
        *payload = data + at;
        *plen = (size_t)r->len;
        *used = at + (size_t)r->len;
        r->in_frame = false;
        return 1;
    }
    if (!r->buf && !(r->buf = malloc(r->max ? r->max : 1))) {
        *used = at;
        return H3_E_MEMORY;
    }
    size_t take = (size_t)(r->len - r->have) < left ? (size_t)(r->len - r->have) : left;
    memcpy(r->buf + r->have, data + at, take);
    r->have += take;
    *used = at + take;
    if (r->have < r->len)
        return 0;
    r->in_frame = false;
    *payload = r->buf;
    *plen = (size_t)r->len;
    return 1;
}

/* ---- settings ---- */

static int setting(struct h3_settings *s, uint64_t id, uint64_t v)
{
    bool boolean = id == H3_SETTING_ENABLE_CONNECT_PROTOCOL || id == H3_SETTING_H3_DATAGRAM ||
                   id == H3_SETTING_H3_DATAGRAM_DRAFT04 || id == H3_SETTING_ENABLE_WEBTRANSPORT;
    if ((id >= 0x02 && id <= 0x05) || (boolean && v > 1))
        return H3_E_SETTINGS;
    switch (id) {
    case H3_SETTING_QPACK_MAX_TABLE_CAPACITY: s->qpack_capacity = v; break;
    case H3_SETTING_QPACK_BLOCKED_STREAMS: s->qpack_blocked = v; break;
    case H3_SETTING_MAX_FIELD_SECTION_SIZE: s->field_section_max = v; break;
    case H3_SETTING_ENABLE_CONNECT_PROTOCOL: s->connect_protocol = v == 1; break;
    case H3_SETTING_H3_DATAGRAM:
    case H3_SETTING_H3_DATAGRAM_DRAFT04: s->datagram |= v == 1; break;
    case H3_SETTING_ENABLE_WEBTRANSPORT: s->webtransport = v == 1; break;
    case H3_SETTING_WT_MAX_SESSIONS_DRAFT07: s->wt_max_sessions_07 = v; break;
    default: break; /* unknown, grease: ignored (RFC 9114 7.2.4) */
    }
    return 0;
}

int h3_settings_read(const uint8_t *p, size_t len, struct h3_settings *s)
{
    uint64_t ids[H3_SETTINGS_COUNT_MAX];
    *s = (struct h3_settings){.field_section_max = UINT64_MAX};
    size_t at = 0;
    while (at < len) {
        uint64_t id, v;
        size_t a = h3_varint_get(p + at, len - at, &id);
        size_t b = a ? h3_varint_get(p + at + a, len - at - a, &v) : 0;
        if (!b || s->count == H3_SETTINGS_COUNT_MAX)
            return H3_E_SETTINGS;
        for (unsigned i = 0; i < s->count; i++)
            if (ids[i] == id)
                return H3_E_SETTINGS;
        ids[s->count++] = id;
        if (setting(s, id, v) != 0)
            return H3_E_SETTINGS;
        at += a + b;
    }
    return 0;
}

bool h3_settings_webtransport(const struct h3_settings *s)
{
    return s->datagram && s->webtransport;
}

size_t h3_control_stream(uint8_t *out)
{
    static const uint64_t ours[][2] = {
        {H3_SETTING_MAX_FIELD_SECTION_SIZE, H3_FIELD_SECTION_MAX},
        {H3_SETTING_ENABLE_CONNECT_PROTOCOL, 1},
        {H3_SETTING_H3_DATAGRAM, 1},
        {H3_SETTING_H3_DATAGRAM_DRAFT04, 1},
        {H3_SETTING_ENABLE_WEBTRANSPORT, 1},
    };
    uint8_t payload[H3_CONTROL_MAX];
    size_t n = 0, at = 0;
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
        n += h3_varint_put(payload + n, ours[i][0]);
        n += h3_varint_put(payload + n, ours[i][1]);
    }
    at += h3_varint_put(out + at, H3_STREAM_CONTROL);
    at += h3_varint_put(out + at, H3_FRAME_SETTINGS);
    at += h3_varint_put(out + at, n);
    memcpy(out + at, payload, n);
    return at + n;
}

/* ---- the CONNECT ---- */

/* Copies v[0..len) into dst (cap) if it fits; else sets *cut. */
static void keep(char *dst, size_t cap, const uint8_t *v, size_t len, bool *cut)
{
    if (len >= cap) {
        *cut = true;
        return;
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static bool is_name(const uint8_t *n, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(n, s, len) == 0;
}

/* One field of the request. seen: the pseudo-headers so far (a bit each);
 * regular: a regular field came. Returns 0 or H3_E_MESSAGE. */
static int field(struct h3_request *req, const uint8_t *n, size_t nlen, const uint8_t *v,
                 size_t vlen, unsigned *seen, bool *regular)
{
    static const char *const pseudo[] = {":method", ":scheme", ":authority", ":path",
                                         ":protocol"};
    for (size_t i = 0; i < nlen; i++)
        if (n[i] >= 'A' && n[i] <= 'Z')
            return H3_E_MESSAGE; /* field names are lower case (RFC 9114 4.2) */
    if (nlen == 0)
        return H3_E_MESSAGE;
    if (n[0] != ':') {
        *regular = true;
        if (is_name(n, nlen, "sec-webtransport-http3-draft02"))
            req->draft02 = vlen == 1 && v[0] == '1';
        return 0;
    }
    size_t i = 0;
    while (i < 5 && !is_name(n, nlen, pseudo[i]))
        i++;
    if (i == 5 || *regular || (*seen & (1u << i)))
        return H3_E_MESSAGE;
    *seen |= 1u << i;
    bool cut = false;
    switch (i) {
    case 0: keep(req->method, sizeof req->method, v, vlen, &cut); break;
    case 1: keep(req->scheme, sizeof req->scheme, v, vlen, &cut); break;
    case 2: keep(req->authority, sizeof req->authority, v, vlen, &req->cut); break;
    case 3: keep(req->path, sizeof req->path, v, vlen, &req->cut); break;
    default: keep(req->protocol, sizeof req->protocol, v, vlen, &cut); break;
    }
    if (cut) /* a method, scheme or protocol that long is none the relay takes */
        snprintf(i == 0 ? req->method : i == 1 ? req->scheme : req->protocol, 2, "?");
    return 0;
}

/* One decoded field: 0, or a negative enum h3_error (decoding stops). */
typedef int (*h3_field_fn)(void *ud, const uint8_t *name, size_t nlen, const uint8_t *value,
                           size_t vlen);

/* Decodes the header block p[0..len) with nghttp3's QPACK decoder
 * (capacity 0: any dynamic reference refused), each field to on_field,
 * the fields' sum bounded by H3_FIELD_SECTION_MAX. Returns 0, on_field's
 * error, or H3_E_QPACK, H3_E_FIELDS, H3_E_MEMORY. */
static int block_decode(const uint8_t *p, size_t len, h3_field_fn on_field, void *ud)
{
    const nghttp3_mem *mem = nghttp3_mem_default();
    nghttp3_qpack_decoder *dec = NULL;
    nghttp3_qpack_stream_context *sctx = NULL;
    int rc = H3_E_MEMORY;
    size_t section = 0;
    if (nghttp3_qpack_decoder_new(&dec, 0, 0, mem) != 0 ||
        nghttp3_qpack_stream_context_new(&sctx, 0, mem) != 0)
        goto fail;
    for (;;) {
        nghttp3_qpack_nv nv;
        uint8_t flags = 0;
        nghttp3_ssize n = nghttp3_qpack_decoder_read_request(dec, sctx, &nv, &flags, p, len, 1);
        if (n < 0) {
            rc = n == NGHTTP3_ERR_NOMEM ? H3_E_MEMORY : H3_E_QPACK;
            goto fail;
        }
        p += n;
        len -= (size_t)n;
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
            nghttp3_vec name = nghttp3_rcbuf_get_buf(nv.name);
            nghttp3_vec value = nghttp3_rcbuf_get_buf(nv.value);
            section += name.len + value.len + 32;
            int f = section > H3_FIELD_SECTION_MAX
                        ? H3_E_FIELDS
                        : on_field(ud, name.base, name.len, value.base, value.len);
            nghttp3_rcbuf_decref(nv.name);
            nghttp3_rcbuf_decref(nv.value);
            if (f != 0) {
                rc = f;
                goto fail;
            }
        }
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL)
            break;
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED || (n == 0 && !flags)) {
            rc = H3_E_QPACK; /* a dynamic table it does not have, or no progress */
            goto fail;
        }
    }
    rc = 0;
fail:
    if (sctx)
        nghttp3_qpack_stream_context_del(sctx);
    if (dec)
        nghttp3_qpack_decoder_del(dec);
    return rc;
}

struct request_fields {
    struct h3_request *req;
    unsigned seen;
    bool regular;
};

static int request_field(void *ud, const uint8_t *name, size_t nlen, const uint8_t *value,
                         size_t vlen)
{
    struct request_fields *f = ud;
    return field(f->req, name, nlen, value, vlen, &f->seen, &f->regular);
}

int h3_request_decode(const uint8_t *p, size_t len, struct h3_request *req)
{
    memset(req, 0, sizeof *req);
    struct request_fields f = {.req = req};
    return block_decode(p, len, request_field, &f);
}

/* An answer's :status (its first field, three digits) into *(int *)ud. */
static int status_field(void *ud, const uint8_t *name, size_t nlen, const uint8_t *value,
                        size_t vlen)
{
    int *status = ud;
    if (*status != 0) /* the fields after it: no other pseudo-header */
        return nlen > 0 && name[0] == ':' ? H3_E_MESSAGE : 0;
    if (!is_name(name, nlen, ":status") || vlen != 3)
        return H3_E_MESSAGE;
    for (size_t i = 0; i < 3; i++) {
        if (value[i] < '0' || value[i] > '9')
            return H3_E_MESSAGE;
        *status = *status * 10 + (value[i] - '0');
    }
    return *status >= 100 ? 0 : H3_E_MESSAGE;
}

int h3_response_status(const uint8_t *p, size_t len)
{
    int status = 0;
    int rc = block_decode(p, len, status_field, &status);
    return rc != 0 ? rc : status ? status : H3_E_MESSAGE;
}

int h3_request_status(const struct h3_request *req, const char *path)
{
    if (!req->method[0])
        return 400;
    if (strcmp(req->method, "CONNECT") != 0)
        return 405;
    if (strcmp(req->protocol, "webtransport") != 0)
        return 501;
    if (strcmp(req->scheme, "https") != 0 || !req->authority[0] || !req->path[0])
        return req->cut ? 414 : 400;
    if (req->cut)
        return 414;
    size_t n = strlen(path);
    if (strncmp(req->path, path, n) != 0 || (req->path[n] != '\0' && req->path[n] != '?'))
        return 404;
    return 200;
}

int h3_request_query(const struct h3_request *req, const char *name, char *out, size_t cap)
{
    const char *q = strchr(req->path, '?');
    size_t nlen = strlen(name);
    while (q) {
        q++;
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            size_t v = len - nlen - 1;
            if (v + 1 > cap)
                return -1;
            memcpy(out, q + nlen + 1, v);
            out[v] = '\0';
            return (int)v;
        }
        q = end;
    }
    return -1;
}

size_t h3_headers(const char *const *fields, uint8_t *out, size_t cap)
{
    const nghttp3_mem *mem = nghttp3_mem_default();
    nghttp3_qpack_encoder *enc = NULL;
    nghttp3_buf pbuf, rbuf, ebuf;
    nghttp3_nv nva[H3_HEADERS_FIELDS_MAX];
    size_t nf = 0, n = 0;
    for (; fields[2 * nf] && nf < H3_HEADERS_FIELDS_MAX; nf++)
        nva[nf] = (nghttp3_nv){(uint8_t *)fields[2 * nf], (uint8_t *)fields[2 * nf + 1],
                               strlen(fields[2 * nf]), strlen(fields[2 * nf + 1]),
                               NGHTTP3_NV_FLAG_NONE};
    nghttp3_buf_init(&pbuf);
    nghttp3_buf_init(&rbuf);
    nghttp3_buf_init(&ebuf);
    if (fields[2 * nf] || nghttp3_qpack_encoder_new(&enc, 0, mem) != 0 ||
        nghttp3_qpack_encoder_encode(enc, &pbuf, &rbuf, &ebuf, 0, nva, nf) != 0)
        goto fail;
    size_t block = nghttp3_buf_len(&pbuf) + nghttp3_buf_len(&rbuf);
    if (nghttp3_buf_len(&ebuf) != 0 || 1 + h3_varint_len(block) + block > cap)
        goto fail; /* no dynamic table was allowed: never */
    n = h3_varint_put(out, H3_FRAME_HEADERS);
    n += h3_varint_put(out + n, block);
    memcpy(out + n, pbuf.pos, nghttp3_buf_len(&pbuf));
    n += nghttp3_buf_len(&pbuf);
    memcpy(out + n, rbuf.pos, nghttp3_buf_len(&rbuf));
    n += nghttp3_buf_len(&rbuf);
fail:
    nghttp3_buf_free(&pbuf, mem);
    nghttp3_buf_free(&rbuf, mem);
    nghttp3_buf_free(&ebuf, mem);
    if (enc)
        nghttp3_qpack_encoder_del(enc);
    return n;
}

size_t h3_response(int status, uint8_t *out)
{
    char st[8];
    snprintf(st, sizeof st, "%03d", status % 1000);
    const char *const fields[] = {":status", st, "sec-webtransport-http3-draft", "draft02", NULL};
    if (status != 200)
        return h3_headers((const char *const[]){":status", st, NULL}, out, H3_RESPONSE_MAX);
    return h3_headers(fields, out, H3_RESPONSE_MAX);
}

size_t h3_connect(const char *authority, const char *path, uint8_t *out, size_t cap)
{
    const char *const fields[] = {":method", "CONNECT", ":protocol", "webtransport",
                                  ":scheme", "https", ":authority", authority, ":path", path,
                                  "sec-webtransport-http3-draft02", "1", NULL};
    return h3_headers(fields, out, cap);
}

/* ---- WebTransport ---- */

size_t h3_wt_uni_preamble(uint64_t session, uint8_t *out)
{
    size_t n = h3_varint_put(out, H3_STREAM_WT_UNI);
    return n + h3_varint_put(out + n, session);
}

int h3_datagram_open(const uint8_t *d, size_t len, uint64_t *qsid, const uint8_t **rest,
                     size_t *rest_len)
{
    size_t n = h3_varint_get(d, len, qsid);
    if (!n)
        return -1;
    *rest = d + n;
    *rest_len = len - n;
    return 0;
}
