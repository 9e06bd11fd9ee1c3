/* test_http_front.c: the relay's HTTP front (`relay/http/`): its request reader
 * as pure functions (`http_request.c`) and the handshake's key
 * (`proto/websocket.c`): RFC 6455's example key and its `Sec-WebSocket-Accept`,
 * a browser's upgrade read whole, a head cut at every byte partial (never
 * malformed), every malformed head refused (bare CR or LF, folding, a NUL, a
 * repeated header, a bad length), the 8 KiB and 64-line bounds (431); its route
 * table (`http_front.c`, on a connection of the test's own): each route and
 * status (101, 200, 204, 302, 400, 404, 405, 411, 413, 415, 426), an unknown
 * path 404, a wrong method 405 with its `Allow` (404 where the path says so, as
 * `/` does), a route an edge registered reached with its request, its body
 * (waited for) and its connection, a path registered once, `/rtc` and `/wt`
 * answered 404 with their CORS lines until an edge serves them and served by
 * the first, the pages whole (`http_pages.c`), the answers' heads; the CORS
 * lines for the origins named (`*` any, case ignored, a preflight's methods and
 * headers) and none for another origin, none or a route not read across
 * origins; the close code for each way a session ends */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/websocket.h"
#include "relay/core/relay.h"
#include "relay/http/http_front.h"
#include "relay/http/http_pages.h"
#include "tests/support/fake_relay.h"

#define ORIGINS "https://game.example  http://127.0.0.1:8000"

static struct http_front *F; /* the pages, the doors, an upgrade */
static struct relay *R;      /* what the front counts */

/* ---- a connection of the test's own ---------------------------------------- */

static struct {
    char out[1 << 18];       /* what the front wrote */
    size_t len;
    bool closed;
    size_t room;             /* the longest request it was asked room for */
    int upgrades;            /* the upgrade handler's calls */
} got;

static bool got_write(struct http_conn *c, const void *bytes, size_t len)
{
    (void)c;
    assert_true(got.len + len < sizeof got.out);
    memcpy(got.out + got.len, bytes, len);
    got.len += len;
    got.out[got.len] = '\0';
    return true;
}

static void got_close(struct http_conn *c)
{
    (void)c;
    got.closed = true;
}

static bool got_room(struct http_conn *c, size_t len)
{
    (void)c;
    got.room = len;
    return true;
}

static const struct http_conn_ops got_ops = {got_write, got_close, got_room};

static union netaddr got_from;

/* Hands the front text as one connection's request so far. Returns what
 * it returned; got has what it wrote. */
static int ask_len(struct http_front *f, const char *text, size_t len)
{
    memset(&got, 0, sizeof got);
    struct http_conn c = {.ops = &got_ops, .relay = R, .from = &got_from, .now_us = 1};
    return http_front_request(f, &c, text, len);
}

static int ask(const char *text)
{
    return ask_len(F, text, strlen(text));
}

static uint64_t bad_http(void)
{
    return relay_stats(R)->drops[RELAY_DROP_BAD_HTTP];
}

static void upgrade_taken(void *ctx, const struct http_req *req, const char *body,
                          struct http_conn *c)
{
    (void)ctx, (void)req, (void)body, (void)c;
    got.upgrades++;
}

/* A door's handler in the table's tests: what it answers is the edge's. */
static void door_served(void *ctx, const struct http_req *req, const char *body,
                        struct http_conn *c)
{
    (void)ctx, (void)body;
    http_reply(c, req, 200, "text/plain", NULL, "door", 4);
}

static int setup(void **state)
{
    assert_int_equal(fake_relay_setup(state), 0);
    R = make_relay(NULL);
    F = http_front_new(ORIGINS);
    if (!R || !F || http_pages_add(F) != 0)
        return -1;
    http_front_upgrade(F, upgrade_taken);
    /* /rtc served, as on a relay with a webrtc edge; /wt not (no quic edge) */
    if (http_front_serve(F, HTTP_POST, "/rtc", door_served, NULL) != 0)
        return -1;
    char err[128];
    assert_int_equal(netaddr_parse_endpoint("127.0.0.1:40001", &got_from, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    http_front_free(F);
    relay_destroy(R);
    return fake_relay_teardown(state);
}

/* ---- the reader ---------------------------------------------------------------- */

/* As Chromium sends it (RFC 6455 §1.3's key). */
static const char browser[] =
    "GET / HTTP/1.1\r\n"
    "Host: 127.0.0.1:7780\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://127.0.0.1:7780\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

static int parse(const char *text, struct http_req *req)
{
    return http_parse(text, strlen(text), req);
}

static void rfc_example_key(void **state)
{
    (void)state;
    char out[PROTO_WS_ACCEPT_LEN + 1];
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    assert_int_equal(proto_ws_accept(key, strlen(key), out), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_true(proto_ws_key_valid(key, strlen(key)));
    /* 24 characters but not 16 bytes, or not base64 */
    assert_false(proto_ws_key_valid("dGhlIHNhbXBsZSBub25jZR==", 24));
    assert_false(proto_ws_key_valid("dGhlIHNhbXBsZSBub25j!Q==", 24));
    assert_false(proto_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=", 23));
    assert_false(proto_ws_key_valid(NULL, 0));
    assert_int_equal(proto_ws_accept("short", 5, out), -1);
}

static void a_browser_upgrade(void **state)
{
    (void)state;
    struct http_req req;
    assert_int_equal(parse(browser, &req), (int)strlen(browser));
    assert_int_equal(req.method, HTTP_GET);
    assert_int_equal(req.minor, 1);
    assert_true(http_text_is(req.path, "/"));
    assert_true(http_has_token(req.upgrade, "websocket"));
    assert_true(http_has_token(req.connection, "upgrade"));
    assert_true(http_text_is(req.version, "13"));
    assert_true(http_text_is(req.key, "dGhlIHNhbXBsZSBub25jZQ=="));
    struct http_verdict v;
    http_front_decide(F, &req, &v);
    assert_int_equal(v.route, HTTP_ROUTE_UPGRADE);
    assert_int_equal(v.status, 101);
    char out[HTTP_ANSWER_MAX];
    int n = http_upgrade_answer(&req, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    assert_int_equal(http_upgrade_answer(&req, out, 40), -1);
}

/* A head cut anywhere is partial, never malformed; the bytes after it
 * (a first frame sent at once) are not the head's. */
static void cut_at_every_byte(void **state)
{
    (void)state;
    struct http_req req;
    size_t len = strlen(browser);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(http_parse(browser, i, &req), HTTP_PARTIAL);
    char more[1024];
    snprintf(more, sizeof more, "%s\x82\x85", browser);
    assert_int_equal(parse(more, &req), (int)len);
}

static void malformed_heads(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET / HTTP/1.1\n\n",                           /* bare LF */
        "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n",         /* bare CR */
        "GET  / HTTP/1.1\r\n\r\n",                      /* two spaces */
        "GET / HTTP/2.0\r\n\r\n",                       /* not 1.x */
        "GET / HTTP/1.1 \r\n\r\n",                      /* trailing space */
        "GET x HTTP/1.1\r\n\r\n",                       /* target not a path */
        "G(T / HTTP/1.1\r\n\r\n",                       /* method not a token */
        "GET / HTTP/1.1\r\n folded: line\r\n\r\n",      /* folded */
        "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET / HTTP/1.1\r\nName : space\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET / HTTP/1.1\r\nSec-WebSocket-Key: a\r\nsec-websocket-key: b\r\n\r\n",
        "GET /wt HTTP/1.1\r\nOrigin: https://a\r\norigin: https://b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",          /* a control character */
        "\r\n\r\n",
    };
    struct http_req req;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], &req);
        if (rc != HTTP_BAD)
            fail_msg("case %zu: %d", i, rc);
    }
    char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(http_parse(nul, sizeof nul - 1, &req), HTTP_BAD);
}

/* 8 KiB without the blank line, or too many lines: 431. */
static void bounded_head(void **state)
{
    (void)state;
    size_t cap = HTTP_HEAD_MAX + 200;
    char *big = malloc(cap + 1);
    assert_non_null(big);
    size_t n = (size_t)snprintf(big, cap, "GET / HTTP/1.1\r\n");
    while (n + 220 < cap) /* 40 lines of 210 bytes: long lines, not many */
        n += (size_t)snprintf(big + n, cap - n, "X-Pad: %0200zu\r\n", n);
    struct http_req req;
    assert_int_equal(http_parse(big, n, &req), HTTP_TOO_LONG);
    assert_int_equal(http_parse(big, HTTP_HEAD_MAX - 1, &req), HTTP_PARTIAL);
    /* many short lines, well under 8 KiB */
    n = (size_t)snprintf(big, cap, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP_HEADERS_MAX + 1; i++)
        n += (size_t)snprintf(big + n, cap - n, "A: b\r\n");
    n += (size_t)snprintf(big + n, cap - n, "\r\n");
    assert_int_equal(http_parse(big, n, &req), HTTP_TOO_LONG);
    free(big);
}

/* ---- the routes ------------------------------------------------------------- */

static struct http_verdict decide(const char *text)
{
    struct http_req req;
    struct http_verdict v;
    int rc = parse(text, &req);
    if (rc <= 0)
        fail_msg("not a head (%d): %s", rc, text);
    http_front_decide(F, &req, &v);
    return v;
}

#define UPGRADE_HEAD(method, version, extra)                                                 \
    method " /x HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"      \
           "Sec-WebSocket-Version: " version "\r\n" extra "\r\n"

static void routes_and_statuses(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        enum http_route_kind route;
        int status;          /* a route taken: its handler's, 0 here */
        const char *path;    /* the route of the path, if any */
    } cases[] = {
        {UPGRADE_HEAD("GET", "13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         HTTP_ROUTE_UPGRADE, 101, NULL},
        {UPGRADE_HEAD("GET", "8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         HTTP_ROUTE_ERROR, 426, NULL},
        {UPGRADE_HEAD("GET", "13", "Sec-WebSocket-Key: abc\r\n"), HTTP_ROUTE_ERROR, 400, NULL},
        {UPGRADE_HEAD("GET", "13", ""), HTTP_ROUTE_ERROR, 400, NULL},
        {UPGRADE_HEAD("POST", "13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         HTTP_ROUTE_ERROR, 405, NULL},
        {"GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         HTTP_ROUTE_ERROR, 400, "/"},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: close\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         HTTP_ROUTE_ERROR, 400, "/"},
        {"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", HTTP_ROUTE_ERROR, 400, "/"},
        {"GET /play HTTP/1.1\r\n\r\n", HTTP_ROUTE_TAKEN, 0, "/play"},
        {"HEAD /ricochet.js?v=2 HTTP/1.0\r\n\r\n", HTTP_ROUTE_TAKEN, 0, "/ricochet.js"},
        {"GET /PLAY HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, NULL},
        {"DELETE /play.js HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 405, "/play.js"},
        {"get /play HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 405, "/play"},
        {"GET / HTTP/1.1\r\n\r\n", HTTP_ROUTE_TAKEN, 0, "/"},
        {"GET /favicon.ico HTTP/1.1\r\n\r\n", HTTP_ROUTE_TAKEN, 0, "/favicon.ico"},
        {"POST / HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, "/"},
        {"GET /nothing HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, NULL},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 900\r\n\r\n",
         HTTP_ROUTE_TAKEN, 0, "/rtc"},
        {"POST /rtc HTTP/1.1\r\nContent-Type: Application/SDP; charset=utf-8\r\n"
         "Content-Length: 16384\r\n\r\n", HTTP_ROUTE_TAKEN, 0, "/rtc"},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 16385\r\n\r\n",
         HTTP_ROUTE_ERROR, 413, "/rtc"},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n\r\n", HTTP_ROUTE_ERROR, 411,
         "/rtc"},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nTransfer-Encoding: chunked\r\n"
         "\r\n", HTTP_ROUTE_ERROR, 411, "/rtc"},
        {"POST /rtc HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n",
         HTTP_ROUTE_ERROR, 415, "/rtc"},
        {"GET /rtc HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 405, "/rtc"},
        {"HEAD /rtc HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 405, "/rtc"},
        {"GET /wt HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, "/wt"}, /* no edge serves it */
        {"HEAD /wt HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, "/wt"},
        {"PUT /wt HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 404, "/wt"},
        {"OPTIONS /rtc HTTP/1.1\r\nOrigin: https://a.example\r\n\r\n", HTTP_ROUTE_PREFLIGHT, 204,
         "/rtc"},
        {"OPTIONS /wt HTTP/1.1\r\n\r\n", HTTP_ROUTE_PREFLIGHT, 204, "/wt"},
        {"OPTIONS /play HTTP/1.1\r\n\r\n", HTTP_ROUTE_ERROR, 405, "/play"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_verdict v = decide(cases[i].head);
        const char *path = v.taken ? v.taken->path : NULL;
        if (v.route != cases[i].route || v.status != cases[i].status ||
            (path == NULL) != (cases[i].path == NULL) ||
            (path && strcmp(path, cases[i].path) != 0))
            fail_msg("case %zu: route %d status %d path %s, not %d %d %s", i, v.route, v.status,
                     path ? path : "-", cases[i].route, cases[i].status,
                     cases[i].path ? cases[i].path : "-");
    }
}

/* The route table as edges fill it: an unknown path is 404; a path's
 * other method 405 with its Allow (or 404, as / answers a POST); a route
 * registered is reached with the request, its body and the connection;
 * one path and method registered once; a door served by the first edge
 * that asks, and only a declared one. */
static struct {
    int calls;
    void *ctx;
    char body[64];
    const union netaddr *from;
} reached;

static void poll_route(void *ctx, const struct http_req *req, const char *body,
                       struct http_conn *c)
{
    reached.calls++;
    reached.ctx = ctx;
    reached.from = c->from;
    snprintf(reached.body, sizeof reached.body, "%.*s", body ? (int)req->content_length : 0,
             body ? body : "");
    http_reply(c, req, 200, "text/plain", NULL, "polled", 6);
}

static void the_route_table(void **state)
{
    (void)state;
    struct http_front *f = http_front_new(NULL);
    assert_non_null(f);
    static int mine;
    static const struct http_route poll = {
        .path = "/poll", .methods = HTTP_METHOD(GET), .why = "a poll is read with GET"};
    assert_int_equal(http_front_route(f, &poll, poll_route, &mine), 0);
    assert_int_equal(http_front_route(f, &poll, poll_route, &mine), -1); /* taken */
    uint64_t bad = bad_http();
    /* an unknown path */
    assert_int_equal(ask_len(f, "GET /pol HTTP/1.1\r\n\r\n", 21), 0);
    assert_memory_equal(got.out, "HTTP/1.1 404 Not Found\r\n", 24);
    assert_true(got.closed);
    assert_int_equal(reached.calls, 0);
    /* a wrong method, as the relay answers one */
    const char *put = "PUT /poll HTTP/1.1\r\n\r\n";
    assert_int_equal(ask_len(f, put, strlen(put)), 0);
    assert_memory_equal(got.out, "HTTP/1.1 405 Method Not Allowed\r\n", 33);
    assert_non_null(strstr(got.out, "\r\nAllow: GET\r\n"));
    assert_non_null(strstr(got.out, "\r\n\r\n405 Method Not Allowed: a poll is read with GET\n"));
    assert_int_equal(bad_http(), bad + 2);
    /* the route reached, with its request and its connection */
    const char *get = "GET /poll?since=3 HTTP/1.1\r\n\r\n";
    assert_int_equal(ask_len(f, get, strlen(get)), 0);
    assert_int_equal(reached.calls, 1);
    assert_ptr_equal(reached.ctx, &mine);
    assert_ptr_equal(reached.from, &got_from);
    assert_memory_equal(got.out, "HTTP/1.1 200 OK\r\n", 17);
    assert_non_null(strstr(got.out, "\r\n\r\npolled"));
    assert_true(got.closed);
    assert_int_equal(bad_http(), bad + 2);
    /* a door: declared, 404 to every method until an edge serves it (a
     * page asks with HEAD which routes the relay has), then that edge's */
    const char *offer = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                        "Content-Length: 9\r\n\r\nv=0 offer";
    assert_int_equal(ask_len(f, offer, strlen(offer)), 0);
    assert_memory_equal(got.out, "HTTP/1.1 404 ", 13);
    assert_non_null(strstr(got.out, "this relay has no WebRTC edge"));
    const char *head_rtc = "HEAD /rtc HTTP/1.1\r\n\r\n";
    assert_int_equal(ask_len(f, head_rtc, strlen(head_rtc)), 0);
    assert_memory_equal(got.out, "HTTP/1.1 404 ", 13);
    assert_int_equal(http_front_serve(f, HTTP_POST, "/rtc", poll_route, NULL), 0);
    assert_int_equal(ask_len(f, head_rtc, strlen(head_rtc)), 0);
    assert_memory_equal(got.out, "HTTP/1.1 405 ", 13);
    assert_int_equal(http_front_serve(f, HTTP_POST, "/rtc", poll_route, &mine), -1);
    assert_int_equal(http_front_serve(f, HTTP_GET, "/rtc", poll_route, &mine), -1);
    assert_int_equal(http_front_serve(f, HTTP_POST, "/elsewhere", poll_route, &mine), -1);
    /* its body waited for: room asked, then the handler given it whole */
    size_t head = strlen(offer) - 9;
    assert_int_equal(ask_len(f, offer, head + 4), HTTP_PARTIAL);
    assert_int_equal(got.room, strlen(offer));
    assert_false(got.closed);
    assert_int_equal(ask_len(f, offer, strlen(offer)), 0);
    assert_int_equal(reached.calls, 2);
    assert_null(reached.ctx);
    assert_string_equal(reached.body, "v=0 offer");
    http_front_free(f);
}

/* ---- the answers ------------------------------------------------------------- */

static void answers(void **state)
{
    (void)state;
    char out[HTTP_ANSWER_MAX];
    struct http_verdict v = decide("PUT /play HTTP/1.1\r\n\r\n");
    int n = http_error_answer(&v, NULL, out, sizeof out);
    assert_true(n > 0 && (size_t)n == strlen(out));
    assert_non_null(strstr(out, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
    assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
    const char *body = strstr(out, "\r\n\r\n") + 4;
    char want[64];
    snprintf(want, sizeof want, "Content-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(out, want));
    v = decide(UPGRADE_HEAD("GET", "7", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    assert_true(http_error_answer(&v, NULL, out, sizeof out) > 0);
    assert_non_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
    uint64_t bad = bad_http();
    assert_int_equal(ask("GET / HTTP/1.1\r\n\r\n"), 0);
    assert_non_null(strstr(got.out, "HTTP/1.1 302 Found\r\n"));
    assert_non_null(strstr(got.out, "\r\nLocation: /play\r\n"));
    http_refuse_verdict(&v, 302, NULL);
    assert_int_equal(http_error_answer(&v, NULL, out, 60), -1);
    assert_int_equal(ask("GET /favicon.ico HTTP/1.1\r\n\r\n"), 0);
    assert_non_null(strstr(got.out, "HTTP/1.1 204 No Content\r\n"));
    assert_null(strstr(got.out, "Content-Length"));
    assert_string_equal(strstr(got.out, "\r\n\r\n"), "\r\n\r\n"); /* no body */
    assert_int_equal(bad_http(), bad); /* neither is an error */
    /* a page, whole; to HEAD its head only */
    assert_int_equal(ask("GET /play HTTP/1.1\r\n\r\n"), 0);
    assert_true(got.closed);
    body = strstr(got.out, "\r\n\r\n") + 4;
    assert_int_equal(strlen(body), http_play_html_len);
    assert_memory_equal(body, http_play_html, http_play_html_len);
    assert_int_equal(ask("HEAD /tag.js HTTP/1.1\r\n\r\n"), 0);
    snprintf(want, sizeof want, "Content-Length: %zu\r\n", http_tag_js_len);
    assert_non_null(strstr(got.out, want));
    assert_string_equal(strstr(got.out, "\r\n\r\n"), "\r\n\r\n");
    n = http_answer_head(200, "text/javascript; charset=utf-8", 1234, NULL, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n"
                             "Content-Length: 1234\r\nCache-Control: no-cache\r\n"
                             "Connection: close\r\n\r\n");
    /* GET /wt's: never stored, and said once (a second Cache-Control is
     * one more a cache must reconcile) */
    n = http_answer_head(200, "application/json", 9, "Cache-Control: no-store\r\nVary: Origin\r\n",
                         out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: 9\r\nConnection: close\r\n"
                             "Cache-Control: no-store\r\nVary: Origin\r\n\r\n");
    n = http_answer_head(204, NULL, 0, "Vary: Origin\r\n", out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "\r\nCache-Control: no-cache\r\n"));
    /* what cannot be read: 400, 431 */
    assert_int_equal(ask("hello there\r\n\r\n"), 0);
    assert_memory_equal(got.out, "HTTP/1.1 400 ", 13);
    assert_int_equal(ask("GET / HTTP/1.1\r\nHost: x"), HTTP_PARTIAL);
    assert_int_equal(got.len, 0);
    assert_int_equal(bad_http(), bad + 1);
}

/* The CORS lines of the answer to head, for the origins listed. */
static const char *cors(const char *head, const char *origins)
{
    static char out[HTTP_CORS_MAX];
    struct http_req req;
    assert_true(parse(head, &req) > 0);
    int n = http_cors(&req, origins, out, sizeof out);
    assert_int_equal(n, (int)strlen(out));
    return out;
}

static void cors_for_origins_named(void **state)
{
    (void)state;
    const char *list = ORIGINS;
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n", list),
                        "Access-Control-Allow-Origin: https://game.example\r\n"
                        "Vary: Origin\r\n");
    assert_string_equal(cors("POST /rtc HTTP/1.1\r\nOrigin: HTTP://127.0.0.1:8000\r\n\r\n", list),
                        "Access-Control-Allow-Origin: HTTP://127.0.0.1:8000\r\n"
                        "Vary: Origin\r\n");
    /* another origin, a prefix of one, none: nothing */
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://evil.example\r\n\r\n", list), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.exampl\r\n\r\n", list), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example.com\r\n\r\n", list),
                        "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\n\r\n", list), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n", ""), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n", NULL), "");
    /* a preflight names what may be sent */
    const char *pre = cors("OPTIONS /rtc HTTP/1.1\r\nOrigin: https://game.example\r\n"
                           "Access-Control-Request-Method: POST\r\n\r\n", list);
    assert_non_null(strstr(pre, "Access-Control-Allow-Origin: https://game.example\r\n"));
    assert_non_null(strstr(pre, "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"));
    assert_non_null(strstr(pre, "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"));
    /* "*": any origin, named as "*" */
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://any.example\r\n\r\n", "*"),
                        "Access-Control-Allow-Origin: *\r\n");
    /* the front: only the routes read across origins carry them, their
     * errors and a door no edge serves included */
    assert_int_equal(ask("GET /play HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n"), 0);
    assert_null(strstr(got.out, "Access-Control-"));
    assert_int_equal(ask("GET /rtc HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n"), 0);
    assert_non_null(strstr(got.out, "\r\nAllow: POST\r\n"
                                    "Access-Control-Allow-Origin: https://game.example\r\n"));
    assert_int_equal(ask("GET /wt HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n"), 0);
    assert_memory_equal(got.out, "HTTP/1.1 404 ", 13);
    assert_non_null(strstr(got.out, "Access-Control-Allow-Origin: https://game.example\r\n"));
    assert_non_null(strstr(got.out, "this relay has no WebTransport (quic) edge"));
    assert_int_equal(ask("OPTIONS /rtc HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n"), 0);
    assert_memory_equal(got.out, "HTTP/1.1 204 No Content\r\n", 25);
    assert_non_null(strstr(got.out, "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"));
    /* an upgrade goes to the edge that registered it, on any path */
    assert_int_equal(ask(UPGRADE_HEAD("GET", "13",
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")), 0);
    assert_int_equal(got.upgrades, 1);
    assert_int_equal(got.len, 0);
}

static void tokens(void **state)
{
    (void)state;
    struct http_text t = {"keep-alive ,\tUpgrade", 20};
    assert_true(http_has_token(t, "upgrade"));
    assert_true(http_has_token(t, "KEEP-ALIVE"));
    assert_false(http_has_token(t, "upgrad"));
    assert_false(http_has_token((struct http_text){"", 0}, "upgrade"));
}

static void close_codes(void **state)
{
    (void)state;
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_TOO_BIG), 1009);
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_SHUTTING_DOWN), 1001);
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_KICKED), 1008);
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_SLOW_READER), 1008);
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_ROOM_FULL), 1000);
    assert_int_equal(proto_ws_close_code(PROTO_ERROR_NONE), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_example_key),
        cmocka_unit_test(a_browser_upgrade),
        cmocka_unit_test(cut_at_every_byte),
        cmocka_unit_test(malformed_heads),
        cmocka_unit_test(bounded_head),
        cmocka_unit_test(routes_and_statuses),
        cmocka_unit_test(the_route_table),
        cmocka_unit_test(answers),
        cmocka_unit_test(cors_for_origins_named),
        cmocka_unit_test(tokens),
        cmocka_unit_test(close_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
