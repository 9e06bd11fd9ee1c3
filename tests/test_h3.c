/* test_h3.c: the little of HTTP/3 a WebTransport session needs (`proto/h3.c`):
 * varints at every length boundary, whole and a byte at a time; a stream's
 * frames cut anywhere, grease skipped, a kept frame over its bound refused from
 * its head; SETTINGS as Chromium 156 sends them (read off a real session) and
 * every way one is refused (twice, HTTP/2's, a boolean over 1, cut, too many);
 * the relay's control stream read back; extended CONNECTs encoded by nghttp3
 * and the status each gets (200 with a pass in the path, 404, 405, 414, 501,
 * 400), malformed ones refused; QPACK bombs (a dynamic reference, a post-base
 * one, fields past the bound); every answer decoded by nghttp3; libricochet's
 * side: its CONNECT one the relay answers 200 with the pass in its path, each
 * answer's status read back, answers without a status, with it after a field or
 * twice, of four digits or letters, or referring to a dynamic table refused; a
 * datagram's quarter stream ID */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#include "proto/h3.h"
#include "tests/support/h3_block.h"

static void varints(void **state)
{
    (void)state;
    const uint64_t v[] = {0, 1, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, H3_VARINT_MAX};
    const size_t len[] = {1, 1, 1, 2, 2, 4, 4, 8, 8};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t b[8];
        uint64_t got = 0;
        assert_int_equal(h3_varint_put(b, v[i]), len[i]);
        assert_int_equal(h3_varint_len(v[i]), len[i]);
        assert_int_equal(h3_varint_get(b, len[i], &got), len[i]);
        assert_true(got == v[i]);
        assert_int_equal(h3_varint_get(b, len[i] - 1, &got), 0); /* cut short */
        struct h3_varint r = {0};
        size_t used;
        for (size_t k = 0; k + 1 < len[i]; k++)
            assert_int_equal(h3_varint_take(&r, b + k, 1, &used, &got), 0);
        got = 0;
        assert_int_equal(h3_varint_take(&r, b + len[i] - 1, 1, &used, &got), 1);
        assert_true(got == v[i]);
    }
}

/* A frame of type and payload into out. Returns its length. */
static size_t frame(uint8_t *out, uint64_t type, const uint8_t *p, size_t len)
{
    size_t n = h3_varint_put(out, type);
    n += h3_varint_put(out + n, len);
    memcpy(out + n, p, len);
    return n + len;
}

/* Reads stream[0..len) in pieces of step bytes: the frames' types in
 * types, the kept payloads' lengths in lens. Returns the frames read. */
static int read_all(struct h3_frames *r, const uint8_t *stream, size_t len, size_t step,
                    uint64_t *types, size_t *lens)
{
    int n = 0;
    for (size_t at = 0; at < len;) {
        size_t piece = len - at < step ? len - at : step, used;
        const uint8_t *data = stream + at;
        at += piece;
        while (piece > 0) {
            uint64_t type;
            const uint8_t *p;
            size_t plen;
            int rc = h3_frames_read(r, data, piece, &used, &type, &p, &plen);
            assert_true(rc >= 0);
            data += used;
            piece -= used;
            if (rc == 1) {
                types[n] = type;
                lens[n++] = p ? plen : 0;
            }
        }
    }
    return n;
}

static void frames(void **state)
{
    (void)state;
    uint8_t stream[9000], payload[5000];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    size_t n = frame(stream, H3_FRAME_SETTINGS, payload, 10);
    n += frame(stream + n, 0x21 + 0x1f * 7, payload, 4000); /* grease: skipped */
    n += frame(stream + n, H3_FRAME_HEADERS, payload, 300);
    n += frame(stream + n, H3_FRAME_DATA, payload, 0);
    const size_t steps[] = {1, 2, 7, 1000, sizeof stream};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        struct h3_frames r;
        uint64_t types[8];
        size_t lens[8];
        h3_frames_init(&r, H3_FRAME_SETTINGS, H3_FRAME_HEADERS, 512);
        assert_int_equal(read_all(&r, stream, n, steps[s], types, lens), 4);
        assert_true(types[0] == H3_FRAME_SETTINGS && lens[0] == 10);
        assert_true(types[1] == 0x21 + 0x1f * 7 && lens[1] == 0);
        assert_true(types[2] == H3_FRAME_HEADERS && lens[2] == 300);
        assert_true(types[3] == H3_FRAME_DATA);
        h3_frames_free(&r);
    }
    /* A kept frame over its bound is refused from its head, before its bytes. */
    struct h3_frames r;
    h3_frames_init(&r, H3_FRAME_HEADERS, UINT64_MAX, H3_HEADERS_PAYLOAD_MAX);
    size_t m = frame(stream, H3_FRAME_HEADERS, payload, H3_HEADERS_PAYLOAD_MAX + 1), used;
    uint64_t type;
    const uint8_t *p;
    size_t plen;
    assert_int_equal(h3_frames_read(&r, stream, 4, &used, &type, &p, &plen), H3_E_LONG);
    assert_true(m > 4);
    h3_frames_free(&r);
    assert_true(h3_frame_reserved(0x02) && h3_frame_reserved(0x09) && !h3_frame_reserved(0x07));
}

/* Chromium 156's SETTINGS, as read off a session of the play page:
 * QPACK_MAX_TABLE_CAPACITY 65536, MAX_FIELD_SECTION_SIZE 16384,
 * QPACK_BLOCKED_STREAMS 100, H3_DATAGRAM 1, its draft 04's 1,
 * ENABLE_WEBTRANSPORT (draft 02) 1, and a grease setting. */
static const uint8_t chromium_settings[] = {
    0x01, 0x80, 0x01, 0x00, 0x00, 0x06, 0x80, 0x00, 0x40, 0x00, 0x07, 0x40, 0x64, 0x33, 0x01,
    0x80, 0xff, 0xd2, 0x77, 0x01, 0xab, 0x60, 0x37, 0x42, 0x01, 0xc0, 0x00, 0x00, 0x10, 0xdb,
    0x2a, 0x81, 0xb9, 0xc0, 0x00, 0x00, 0x00, 0xb1, 0x82, 0x4b, 0xdb};

static int settings_of(const uint8_t *p, size_t len)
{
    struct h3_settings s;
    return h3_settings_read(p, len, &s);
}

static void settings(void **state)
{
    (void)state;
    struct h3_settings s;
    assert_int_equal(h3_settings_read(chromium_settings, sizeof chromium_settings, &s), 0);
    assert_int_equal(s.count, 7);
    assert_true(s.qpack_capacity == 65536 && s.qpack_blocked == 100 &&
                s.field_section_max == 16384);
    assert_true(s.datagram && s.webtransport && !s.connect_protocol && s.wt_max_sessions_07 == 0);
    assert_true(h3_settings_webtransport(&s));
    /* none at all: nothing a session needs */
    assert_int_equal(h3_settings_read(NULL, 0, &s), 0);
    assert_false(h3_settings_webtransport(&s));
    assert_true(s.field_section_max == UINT64_MAX);
    /* WebTransport without HTTP datagrams: missing, not malformed */
    const uint8_t no_dgram[] = {0xab, 0x60, 0x37, 0x42, 0x01};
    assert_int_equal(h3_settings_read(no_dgram, sizeof no_dgram, &s), 0);
    assert_false(h3_settings_webtransport(&s));
    /* refused: given twice, HTTP/2's, a boolean over 1, cut, too many */
    const uint8_t twice[] = {0x33, 0x01, 0x33, 0x01};
    const uint8_t twice_grease[] = {0x40, 0x40, 0x00, 0x40, 0x40, 0x05};
    const uint8_t h2[] = {0x02, 0x00};
    const uint8_t h2_5[] = {0x05, 0x10};
    const uint8_t two[] = {0x33, 0x02};
    const uint8_t wt_two[] = {0xab, 0x60, 0x37, 0x42, 0x02};
    const uint8_t cut[] = {0x33};
    const uint8_t cut_value[] = {0x06, 0x80, 0x00};
    assert_int_equal(settings_of(twice, sizeof twice), H3_E_SETTINGS);
    assert_int_equal(settings_of(twice_grease, sizeof twice_grease), H3_E_SETTINGS);
    assert_int_equal(settings_of(h2, sizeof h2), H3_E_SETTINGS);
    assert_int_equal(settings_of(h2_5, sizeof h2_5), H3_E_SETTINGS);
    assert_int_equal(settings_of(two, sizeof two), H3_E_SETTINGS);
    assert_int_equal(settings_of(wt_two, sizeof wt_two), H3_E_SETTINGS);
    assert_int_equal(settings_of(cut, sizeof cut), H3_E_SETTINGS);
    assert_int_equal(settings_of(cut_value, sizeof cut_value), H3_E_SETTINGS);
    uint8_t many[2 * (H3_SETTINGS_COUNT_MAX + 1) * 2];
    size_t n = 0;
    for (unsigned i = 0; i <= H3_SETTINGS_COUNT_MAX; i++) {
        n += h3_varint_put(many + n, 0x100 + i);
        n += h3_varint_put(many + n, 0);
    }
    assert_int_equal(settings_of(many, n), H3_E_SETTINGS);
}

/* The relay's control stream: its type, then a SETTINGS frame that reads
 * back as what a WebTransport client needs. */
static void control_stream(void **state)
{
    (void)state;
    uint8_t out[H3_CONTROL_MAX];
    size_t n = h3_control_stream(out), at = 0, used;
    uint64_t v, len;
    assert_true(n > 3 && n <= H3_CONTROL_MAX);
    at += h3_varint_get(out, n, &v);
    assert_true(v == H3_STREAM_CONTROL);
    at += h3_varint_get(out + at, n - at, &v);
    assert_true(v == H3_FRAME_SETTINGS);
    at += (used = h3_varint_get(out + at, n - at, &len));
    assert_true(used > 0 && at + len == n);
    struct h3_settings s;
    assert_int_equal(h3_settings_read(out + at, (size_t)len, &s), 0);
    assert_true(s.connect_protocol && s.datagram && s.webtransport);
    assert_true(s.qpack_capacity == 0 && s.field_section_max == H3_FIELD_SECTION_MAX);
}

/* ---- the CONNECT ---- */

/* The status a request of fields gets (or the decoder's error). */
static int status_of(const char *const *fields, struct h3_request *req)
{
    uint8_t b[H3_HEADERS_PAYLOAD_MAX * 2];
    int rc = h3_request_decode(b, h3_block(b, sizeof b, fields), req);
    return rc ? rc : h3_request_status(req, "/wt");
}

#define CONNECT(path, protocol) \
    ":method", "CONNECT", ":scheme", "https", ":authority", "127.0.0.1:4433", ":path", path, \
        ":protocol", protocol

static void requests(void **state)
{
    (void)state;
    struct h3_request req;
    char pass[64];
    /* as Chromium sends it */
    const char *const chromium[] = {CONNECT("/wt?pass=abc_-12&x=1", "webtransport"),
                                    "sec-webtransport-http3-draft02", "1", "origin",
                                    "http://127.0.0.1:8080", "user-agent", "Chromium", NULL};
    assert_int_equal(status_of(chromium, &req), 200);
    assert_true(req.draft02);
    assert_string_equal(req.authority, "127.0.0.1:4433");
    assert_int_equal(h3_request_query(&req, "pass", pass, sizeof pass), 7);
    assert_string_equal(pass, "abc_-12");
    assert_int_equal(h3_request_query(&req, "x", pass, sizeof pass), 1);
    assert_int_equal(h3_request_query(&req, "pas", pass, sizeof pass), -1);
    assert_int_equal(h3_request_query(&req, "pass", pass, 4), -1); /* longer than kept */
    const char *const plain[] = {CONNECT("/wt", "webtransport"), NULL};
    assert_int_equal(status_of(plain, &req), 200);
    assert_false(req.draft02);
    assert_int_equal(h3_request_query(&req, "pass", pass, sizeof pass), -1);
    /* another path, method, protocol; malformed */
    const char *const other_path[] = {CONNECT("/wtx", "webtransport"), NULL};
    const char *const root[] = {CONNECT("/", "webtransport"), NULL};
    const char *const ws[] = {CONNECT("/wt", "websocket"), NULL};
    const char *const get[] = {":method", "GET", ":scheme", "https", ":authority", "a",
                               ":path", "/wt", NULL};
    const char *const classic[] = {":method", "CONNECT", ":authority", "a:1", NULL};
    const char *const http[] = {":method", "CONNECT", ":scheme", "http", ":authority", "a",
                                ":path", "/wt", ":protocol", "webtransport", NULL};
    assert_int_equal(status_of(other_path, &req), 404);
    assert_int_equal(status_of(root, &req), 404);
    assert_int_equal(status_of(ws, &req), 501);
    assert_int_equal(status_of(get, &req), 405);
    assert_int_equal(status_of(classic, &req), 501);
    assert_int_equal(status_of(http, &req), 400);
    const char *const after[] = {"user-agent", "x", CONNECT("/wt", "webtransport"), NULL};
    const char *const twice[] = {CONNECT("/wt", "webtransport"), ":path", "/wt", NULL};
    const char *const upper[] = {CONNECT("/wt", "webtransport"), "User-Agent", "x", NULL};
    const char *const unknown[] = {CONNECT("/wt", "webtransport"), ":status", "200", NULL};
    assert_int_equal(status_of(after, &req), H3_E_MESSAGE);
    assert_int_equal(status_of(twice, &req), H3_E_MESSAGE);
    assert_int_equal(status_of(upper, &req), H3_E_MESSAGE);
    assert_int_equal(status_of(unknown, &req), H3_E_MESSAGE);
    /* a path longer than kept: 414 */
    static char longpath[H3_PATH_MAX + 10];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    const char *const too_long[] = {CONNECT(longpath, "webtransport"), NULL};
    assert_int_equal(status_of(too_long, &req), 414);
}

/* What a decoder without a dynamic table refuses: QPACK bombs. */
static void qpack_bounds(void **state)
{
    (void)state;
    struct h3_request req;
    /* a Required Insert Count of 1, then a dynamic table reference */
    const uint8_t dynamic[] = {0x02, 0x00, 0x80};
    assert_int_equal(h3_request_decode(dynamic, sizeof dynamic, &req), H3_E_QPACK);
    /* a post-base reference */
    const uint8_t post_base[] = {0x00, 0x00, 0x10};
    assert_int_equal(h3_request_decode(post_base, sizeof post_base, &req), H3_E_QPACK);
    /* garbage, and a block cut short */
    const uint8_t cut[] = {0x00, 0x00, 0x5f};
    assert_true(h3_request_decode(cut, sizeof cut, &req) < 0);
    /* fields past H3_FIELD_SECTION_MAX decoded (each name, value and 32) */
    static char big[1500];
    memset(big, 'x', sizeof big - 1);
    const char *const many[] = {CONNECT("/wt", "webtransport"), "a", big, "b", big, "c", big,
                                "d", big, "e", big, "f", big, NULL};
    assert_int_equal(status_of(many, &req), H3_E_FIELDS);
    /* an empty block: no method */
    const uint8_t empty[] = {0x00, 0x00};
    assert_int_equal(h3_request_decode(empty, sizeof empty, &req), 0);
    assert_int_equal(h3_request_status(&req, "/wt"), 400);
}

/* The answer decoded by nghttp3: a HEADERS frame with :status and, for
 * 200, the draft's header. */
static void answers(void **state)
{
    (void)state;
    const int statuses[] = {200, 400, 403, 404, 405, 414, 501};
    for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
        uint8_t out[H3_RESPONSE_MAX];
        size_t n = h3_response(statuses[k], out), at;
        uint64_t type, len;
        assert_true(n > 0 && n <= H3_RESPONSE_MAX);
        at = h3_varint_get(out, n, &type);
        at += h3_varint_get(out + at, n - at, &len);
        assert_true(type == H3_FRAME_HEADERS && at + len == n);
        const nghttp3_mem *mem = nghttp3_mem_default();
        nghttp3_qpack_decoder *dec;
        nghttp3_qpack_stream_context *sctx;
        assert_int_equal(nghttp3_qpack_decoder_new(&dec, 0, 0, mem), 0);
        assert_int_equal(nghttp3_qpack_stream_context_new(&sctx, 0, mem), 0);
        const uint8_t *p = out + at;
        size_t left = (size_t)len;
        char seen[256] = "";
        for (;;) {
            nghttp3_qpack_nv nv;
            uint8_t flags = 0;
            nghttp3_ssize r = nghttp3_qpack_decoder_read_request(dec, sctx, &nv, &flags, p, left, 1);
            assert_true(r >= 0);
            p += r;
            left -= (size_t)r;
            if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
                nghttp3_vec a = nghttp3_rcbuf_get_buf(nv.name), b = nghttp3_rcbuf_get_buf(nv.value);
                snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%.*s=%.*s;",
                         (int)a.len, a.base, (int)b.len, b.base);
                nghttp3_rcbuf_decref(nv.name);
                nghttp3_rcbuf_decref(nv.value);
            }
            if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL)
                break;
        }
        char want[128];
        snprintf(want, sizeof want, ":status=%d;%s", statuses[k],
                 statuses[k] == 200 ? "sec-webtransport-http3-draft=draft02;" : "");
        assert_string_equal(seen, want);
        nghttp3_qpack_stream_context_del(sctx);
        nghttp3_qpack_decoder_del(dec);
    }
}

/* A HEADERS frame's payload (its header block) in out[0..n). */
static const uint8_t *block_of(const uint8_t *out, size_t n, size_t *len)
{
    uint64_t type, l;
    size_t at = h3_varint_get(out, n, &type);
    at += h3_varint_get(out + at, n - at, &l);
    assert_true(type == H3_FRAME_HEADERS && at + l == n);
    *len = (size_t)l;
    return out + at;
}

/* libricochet's side: its CONNECT is one the relay answers 200, with the
 * pass in the path; each answer's status read back; malformed answers
 * refused. */
static void client_side(void **state)
{
    (void)state;
    uint8_t out[H3_CONNECT_MAX];
    size_t n = h3_connect("127.0.0.1:7781", "/wt?pass=abc", out, sizeof out), len;
    assert_true(n > 0);
    const uint8_t *b = block_of(out, n, &len);
    struct h3_request req;
    char pass[16];
    assert_int_equal(h3_request_decode(b, len, &req), 0);
    assert_int_equal(h3_request_status(&req, "/wt"), 200);
    assert_true(req.draft02);
    assert_int_equal(h3_request_query(&req, "pass", pass, sizeof pass), 3);
    assert_string_equal(req.authority, "127.0.0.1:7781");
    assert_int_equal(h3_connect("127.0.0.1", "/wt", out, 8), 0); /* does not fit */

    const int statuses[] = {200, 400, 403, 404, 405, 414, 501};
    for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
        uint8_t answer[H3_RESPONSE_MAX];
        n = h3_response(statuses[k], answer);
        b = block_of(answer, n, &len);
        assert_int_equal(h3_response_status(b, len), statuses[k]);
    }
    const char *const no_status[] = {"server", "x", NULL};
    const char *const after_field[] = {"server", "x", ":status", "200", NULL};
    const char *const twice[] = {":status", "200", ":status", "404", NULL};
    const char *const long_status[] = {":status", "2000", NULL};
    const char *const letters[] = {":status", "2x0", NULL};
    const char *const *bad[] = {no_status, after_field, twice, long_status, letters};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        n = h3_headers(bad[k], out, sizeof out);
        b = block_of(out, n, &len);
        assert_int_equal(h3_response_status(b, len), H3_E_MESSAGE);
    }
    const uint8_t dynamic[] = {0x02, 0x00, 0x80}; /* a reference to a table it has not */
    assert_int_equal(h3_response_status(dynamic, sizeof dynamic), H3_E_QPACK);
}

static void webtransport(void **state)
{
    (void)state;
    uint8_t out[16], d[] = {0x00, 0x01, 0xaa};
    assert_int_equal(h3_wt_uni_preamble(0, out), 3);
    assert_memory_equal(out, "\x40\x54\x00", 3);
    assert_int_equal(h3_wt_uni_preamble(4, out), 3);
    uint64_t qsid;
    const uint8_t *rest;
    size_t rest_len;
    assert_int_equal(h3_datagram_open(d, sizeof d, &qsid, &rest, &rest_len), 0);
    assert_true(qsid == 0 && rest == d + 1 && rest_len == 2);
    const uint8_t cut[] = {0x40};
    assert_int_equal(h3_datagram_open(cut, sizeof cut, &qsid, &rest, &rest_len), -1);
    assert_int_equal(h3_datagram_open(cut, 0, &qsid, &rest, &rest_len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints),       cmocka_unit_test(frames),
        cmocka_unit_test(settings),      cmocka_unit_test(control_stream),
        cmocka_unit_test(requests),      cmocka_unit_test(qpack_bounds),
        cmocka_unit_test(answers),       cmocka_unit_test(webtransport),
        cmocka_unit_test(client_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
