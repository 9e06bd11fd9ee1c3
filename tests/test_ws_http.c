/* test_ws_http.c: the WebSocket edge's HTTP front as pure functions
 * (relay/ws/ws_http.c) and the handshake's key (proto/websocket.c): RFC
 * 6455's example key and answer, a browser's upgrade request read whole,
 * a head cut at every byte read as partial, every malformed head refused,
 * the 8 KiB bound, each route and status, the answers' heads; the CORS
 * lines for the origins named (and none for others); the close codes a
 * relay ends a session with; a server's frame heads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/websocket.h"
#include "../relay/ws/ws_http.h"

static const char *const files[] = {"/play", "/play.js", "/ricochet.js", NULL};

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

static int parse(const char *text, struct ws_http_request *req)
{
    return ws_http_parse(text, strlen(text), req);
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
    struct ws_http_request req;
    assert_int_equal(parse(browser, &req), (int)strlen(browser));
    assert_int_equal(req.method, WS_HTTP_GET);
    assert_int_equal(req.minor, 1);
    assert_true(ws_http_is(req.path, "/"));
    assert_true(ws_http_has_token(req.upgrade, "websocket"));
    assert_true(ws_http_has_token(req.connection, "upgrade"));
    assert_true(ws_http_is(req.version, "13"));
    assert_true(ws_http_is(req.key, "dGhlIHNhbXBsZSBub25jZQ=="));
    struct ws_http_verdict v;
    ws_http_decide(&req, files, &v);
    assert_int_equal(v.route, WS_ROUTE_UPGRADE);
    assert_int_equal(v.status, 101);
    char out[WS_HTTP_ANSWER_MAX];
    int n = ws_http_upgrade_answer(&req, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    assert_int_equal(ws_http_upgrade_answer(&req, out, 40), -1);
}

/* A head cut anywhere is partial, never malformed; the bytes after it
 * (a first frame sent at once) are not the head's. */
static void cut_at_every_byte(void **state)
{
    (void)state;
    struct ws_http_request req;
    size_t len = strlen(browser);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(ws_http_parse(browser, i, &req), WS_HTTP_PARTIAL);
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
    struct ws_http_request req;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], &req);
        if (rc != WS_HTTP_BAD)
            fail_msg("case %zu: %d", i, rc);
    }
    char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(ws_http_parse(nul, sizeof nul - 1, &req), WS_HTTP_BAD);
}

/* 8 KiB without the blank line, or too many lines: 431. */
static void bounded_head(void **state)
{
    (void)state;
    size_t cap = WS_HTTP_HEAD_MAX + 200;
    char *big = malloc(cap + 1);
    assert_non_null(big);
    size_t n = (size_t)snprintf(big, cap, "GET / HTTP/1.1\r\n");
    while (n + 220 < cap) /* 40 lines of 210 bytes: long lines, not many */
        n += (size_t)snprintf(big + n, cap - n, "X-Pad: %0200zu\r\n", n);
    struct ws_http_request req;
    assert_int_equal(ws_http_parse(big, n, &req), WS_HTTP_TOO_LONG);
    assert_int_equal(ws_http_parse(big, WS_HTTP_HEAD_MAX - 1, &req), WS_HTTP_PARTIAL);
    /* many short lines, well under 8 KiB */
    n = (size_t)snprintf(big, cap, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < WS_HTTP_HEADERS_MAX + 1; i++)
        n += (size_t)snprintf(big + n, cap - n, "A: b\r\n");
    n += (size_t)snprintf(big + n, cap - n, "\r\n");
    assert_int_equal(ws_http_parse(big, n, &req), WS_HTTP_TOO_LONG);
    free(big);
}

static struct ws_http_verdict decide(const char *text)
{
    struct ws_http_request req;
    struct ws_http_verdict v;
    int rc = parse(text, &req);
    if (rc <= 0)
        fail_msg("not a head (%d): %s", rc, text);
    ws_http_decide(&req, files, &v);
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
        enum ws_http_route route;
        int status;
    } cases[] = {
        {UPGRADE_HEAD("GET", "13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         WS_ROUTE_UPGRADE, 101},
        {UPGRADE_HEAD("GET", "8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         WS_ROUTE_ERROR, 426},
        {UPGRADE_HEAD("GET", "13", "Sec-WebSocket-Key: abc\r\n"), WS_ROUTE_ERROR, 400},
        {UPGRADE_HEAD("GET", "13", ""), WS_ROUTE_ERROR, 400},
        {UPGRADE_HEAD("POST", "13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         WS_ROUTE_ERROR, 405},
        {"GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         WS_ROUTE_ERROR, 400},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: close\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         WS_ROUTE_ERROR, 400},
        {"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", WS_ROUTE_ERROR, 400},
        {"GET /play HTTP/1.1\r\n\r\n", WS_ROUTE_FILE, 200},
        {"HEAD /ricochet.js?v=2 HTTP/1.0\r\n\r\n", WS_ROUTE_FILE, 200},
        {"GET /PLAY HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 404},
        {"DELETE /play.js HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 405},
        {"get /play HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 405},
        {"GET / HTTP/1.1\r\n\r\n", WS_ROUTE_REDIRECT, 302},
        {"GET /favicon.ico HTTP/1.1\r\n\r\n", WS_ROUTE_REDIRECT, 204},
        {"GET /nothing HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 404},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 900\r\n\r\n",
         WS_ROUTE_RTC, 201},
        {"POST /rtc HTTP/1.1\r\nContent-Type: Application/SDP; charset=utf-8\r\n"
         "Content-Length: 16384\r\n\r\n", WS_ROUTE_RTC, 201},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 16385\r\n\r\n",
         WS_ROUTE_ERROR, 413},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n\r\n", WS_ROUTE_ERROR, 411},
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nTransfer-Encoding: chunked\r\n"
         "\r\n", WS_ROUTE_ERROR, 411},
        {"POST /rtc HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n",
         WS_ROUTE_ERROR, 415},
        {"GET /rtc HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 405},
        {"OPTIONS /rtc HTTP/1.1\r\nOrigin: https://a.example\r\n\r\n", WS_ROUTE_PREFLIGHT, 204},
        {"OPTIONS /wt HTTP/1.1\r\n\r\n", WS_ROUTE_PREFLIGHT, 204},
        {"OPTIONS /play HTTP/1.1\r\n\r\n", WS_ROUTE_ERROR, 405},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ws_http_verdict v = decide(cases[i].head);
        if (v.route != cases[i].route || v.status != cases[i].status)
            fail_msg("case %zu: route %d status %d, not %d %d", i, v.route, v.status,
                     cases[i].route, cases[i].status);
    }
    struct ws_http_verdict v = decide("HEAD /ricochet.js HTTP/1.1\r\n\r\n");
    assert_int_equal(v.file, 2);
}

static void answers(void **state)
{
    (void)state;
    char out[WS_HTTP_ANSWER_MAX];
    struct ws_http_verdict v = decide("PUT /play HTTP/1.1\r\n\r\n");
    int n = ws_http_error_answer(&v, NULL, out, sizeof out);
    assert_true(n > 0 && (size_t)n == strlen(out));
    assert_non_null(strstr(out, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
    assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
    const char *body = strstr(out, "\r\n\r\n") + 4;
    char want[64];
    snprintf(want, sizeof want, "Content-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(out, want));
    v = decide(UPGRADE_HEAD("GET", "7", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    assert_true(ws_http_error_answer(&v, NULL, out, sizeof out) > 0);
    assert_non_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
    v = decide("GET / HTTP/1.1\r\n\r\n");
    assert_true(ws_http_error_answer(&v, NULL, out, sizeof out) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 302 Found\r\n"));
    assert_non_null(strstr(out, "\r\nLocation: /play\r\n"));
    assert_int_equal(ws_http_error_answer(&v, NULL, out, 60), -1);
    v = decide("GET /favicon.ico HTTP/1.1\r\n\r\n");
    assert_true(ws_http_error_answer(&v, NULL, out, sizeof out) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 204 No Content\r\n"));
    assert_null(strstr(out, "Content-Length"));
    assert_string_equal(strstr(out, "\r\n\r\n"), "\r\n\r\n"); /* no body */
    n = ws_http_head(200, "text/javascript; charset=utf-8", 1234, NULL, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n"
                             "Content-Length: 1234\r\nCache-Control: no-cache\r\n"
                             "Connection: close\r\n\r\n");
    /* GET /wt's: never stored, and said once (a second Cache-Control is
     * one more a cache must reconcile) */
    n = ws_http_head(200, "application/json", 9, "Cache-Control: no-store\r\nVary: Origin\r\n",
                     out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: 9\r\nConnection: close\r\n"
                             "Cache-Control: no-store\r\nVary: Origin\r\n\r\n");
    n = ws_http_head(204, NULL, 0, "Vary: Origin\r\n", out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "\r\nCache-Control: no-cache\r\n"));
}

/* The CORS lines of the answer to head, for the origins listed. */
static const char *cors(const char *head, const char *origins)
{
    static char out[WS_HTTP_CORS_MAX];
    struct ws_http_request req;
    assert_true(parse(head, &req) > 0);
    int n = ws_http_cors(&req, origins, out, sizeof out);
    assert_int_equal(n, (int)strlen(out));
    return out;
}

static void cors_for_origins_named(void **state)
{
    (void)state;
    const char *list = "https://game.example  http://127.0.0.1:8000";
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n", list),
                        "Access-Control-Allow-Origin: https://game.example\r\n"
                        "Vary: Origin\r\n");
    assert_string_equal(cors("POST /rtc HTTP/1.1\r\nOrigin: HTTP://127.0.0.1:8000\r\n\r\n", list),
                        "Access-Control-Allow-Origin: HTTP://127.0.0.1:8000\r\n"
                        "Vary: Origin\r\n");
    /* another origin, a prefix of one, none, or another path: nothing */
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://evil.example\r\n\r\n", list), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.exampl\r\n\r\n", list), "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\nOrigin: https://game.example.com\r\n\r\n", list),
                        "");
    assert_string_equal(cors("GET /wt HTTP/1.1\r\n\r\n", list), "");
    assert_string_equal(cors("GET /play HTTP/1.1\r\nOrigin: https://game.example\r\n\r\n", list),
                        "");
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
    /* an error answer carries them */
    char out[WS_HTTP_ANSWER_MAX];
    struct ws_http_verdict v = decide("PUT /wt HTTP/1.1\r\n\r\n");
    assert_true(ws_http_error_answer(&v, "Access-Control-Allow-Origin: *\r\n", out, sizeof out) > 0);
    assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\nAccess-Control-Allow-Origin: *\r\n"));
}

static void tokens(void **state)
{
    (void)state;
    struct ws_http_text t = {"keep-alive ,\tUpgrade", 20};
    assert_true(ws_http_has_token(t, "upgrade"));
    assert_true(ws_http_has_token(t, "KEEP-ALIVE"));
    assert_false(ws_http_has_token(t, "upgrad"));
    assert_false(ws_http_has_token((struct ws_http_text){"", 0}, "upgrade"));
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
        cmocka_unit_test(answers),
        cmocka_unit_test(cors_for_origins_named),
        cmocka_unit_test(tokens),
        cmocka_unit_test(close_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
