/* target_http.c: fuzzes the WebSocket edge's HTTP front (see targets.h):
 * the bytes as a request head (ws_http_parse), then what the edge does
 * with a head it read: its route and its answer. A head that parses lies
 * within the input and within WS_HTTP_HEAD_MAX, parses the same from
 * exactly its own bytes and is partial one byte short; every slice it
 * keeps lies inside it; a route's status is one the edge answers, and its
 * answer, its CORS lines included, fits the edge's buffer. */
#include <string.h>

#include "../../relay/ws/ws_http.h"
#include "targets.h"

static void fuzz_http_slice(const char *head, size_t len, struct ws_http_text t)
{
    if (!t.p)
        return;
    FUZZ_CHECK(t.p >= head && t.p + t.len <= head + len);
}

static void fuzz_http_route(const struct ws_http_request *req)
{
    static const char *const files[] = {"/play", "/play.js", "/ricochet.js", NULL};
    struct ws_http_verdict v;
    ws_http_decide(req, files, &v);
    char out[WS_HTTP_ANSWER_MAX], cors[WS_HTTP_CORS_MAX];
    int c = ws_http_cors(req, "https://game.example", cors, sizeof cors);
    FUZZ_CHECK(c >= 0 && (size_t)c == strlen(cors));
    FUZZ_CHECK(c == 0 || (req->origin.len && memcmp(cors, "Access-Control-Allow-Origin: ", 29) == 0));
    switch (v.route) {
    case WS_ROUTE_UPGRADE:
        FUZZ_CHECK(v.status == 101 && req->method == WS_HTTP_GET && req->minor == 1);
        FUZZ_CHECK(ws_http_upgrade_answer(req, out, sizeof out) > 0);
        FUZZ_CHECK(strstr(out, "Sec-WebSocket-Accept: ") != NULL);
        break;
    case WS_ROUTE_FILE:
        FUZZ_CHECK(v.status == 200 && v.file >= 0 && v.file < 3);
        FUZZ_CHECK(req->method == WS_HTTP_GET || req->method == WS_HTTP_HEAD);
        break;
    case WS_ROUTE_RTC:
        FUZZ_CHECK(v.status == 201 && req->method == WS_HTTP_POST && req->has_length);
        FUZZ_CHECK(req->content_length > 0 && req->content_length <= WS_HTTP_BODY_MAX);
        break;
    case WS_ROUTE_WT:
        FUZZ_CHECK(v.status == 200 && (req->method == WS_HTTP_GET || req->method == WS_HTTP_HEAD));
        break;
    case WS_ROUTE_PREFLIGHT:
        FUZZ_CHECK(v.status == 204 && req->method == WS_HTTP_OPTIONS);
        FUZZ_CHECK(ws_http_head(204, NULL, 0, cors, out, sizeof out) > 0);
        break;
    case WS_ROUTE_REDIRECT:
    case WS_ROUTE_ERROR: {
        FUZZ_CHECK(v.status == 204 || v.status == 302 || (v.status >= 400 && v.status < 500));
        int n = ws_http_error_answer(&v, cors, out, sizeof out);
        FUZZ_CHECK(n > 0 && (size_t)n == strlen(out) && out[n - 1] == '\n');
        break;
    }
    }
}

int fuzz_target_http(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct ws_http_request req;
    int n = ws_http_parse(buf, size, &req);
    if (n <= 0) {
        FUZZ_CHECK(n == WS_HTTP_BAD || n == WS_HTTP_PARTIAL || n == WS_HTTP_TOO_LONG);
        FUZZ_CHECK(n != WS_HTTP_PARTIAL || size < WS_HTTP_HEAD_MAX);
        return 0;
    }
    FUZZ_CHECK((size_t)n <= size && n <= WS_HTTP_HEAD_MAX && (size_t)n == req.head_len);
    FUZZ_CHECK(memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(req.minor == 0 || req.minor == 1);
    FUZZ_CHECK(req.path.p && req.path.len >= 1 && req.path.p[0] == '/');
    struct ws_http_text slices[] = {req.path, req.upgrade, req.connection, req.key,
                                    req.version, req.content_type, req.authorization,
                                    req.origin};
    for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++)
        fuzz_http_slice(buf, (size_t)n, slices[i]);
    fuzz_http_route(&req);
    struct ws_http_request again;
    FUZZ_CHECK(ws_http_parse(buf, (size_t)n, &again) == n);
    FUZZ_CHECK(ws_http_parse(buf, (size_t)n - 1, &again) == WS_HTTP_PARTIAL);
    return 0;
}
