/* target_http.c: fuzzes the relay's HTTP front (see targets.h): the bytes
 * as a request head (http_parse), then what the front does with a head it
 * read: its route and its answer. A head that parses lies within the
 * input and within HTTP_HEAD_MAX, parses the same from exactly its own
 * bytes and is partial one byte short; every slice it keeps lies inside
 * it; a route taken takes the request's method (and its body's rules), an
 * error's status is one the front answers, and its answer, its CORS lines
 * included, fits the front's buffer. */
#include <string.h>

#include "relay/http/http_front.h"
#include "relay/http/http_pages.h"
#include "targets.h"

static void fuzz_http_slice(const char *head, size_t len, struct http_text t)
{
    if (!t.p)
        return;
    FUZZ_CHECK(t.p >= head && t.p + t.len <= head + len);
}

/* Never called: decide only names the upgrade. */
static void fuzz_http_upgrade(void *ctx, const struct http_req *req, const char *body,
                              struct http_conn *c)
{
    (void)ctx, (void)req, (void)body, (void)c;
}

/* The relay's front: its pages, its doors, an upgrade. */
static struct http_front *fuzz_http_front(void)
{
    static struct http_front *f;
    if (!f) {
        f = http_front_new("https://game.example");
        FUZZ_CHECK(f && http_pages_add(f) == 0);
        http_front_upgrade(f, fuzz_http_upgrade);
    }
    return f;
}

static void fuzz_http_route(const struct http_req *req)
{
    struct http_verdict v;
    http_front_decide(fuzz_http_front(), req, &v);
    char out[HTTP_ANSWER_MAX], cors[HTTP_CORS_MAX];
    int c = http_cors(req, "https://game.example", cors, sizeof cors);
    FUZZ_CHECK(c >= 0 && (size_t)c == strlen(cors));
    FUZZ_CHECK(c == 0 || (req->origin.len && memcmp(cors, "Access-Control-Allow-Origin: ", 29) == 0));
    switch (v.route) {
    case HTTP_ROUTE_UPGRADE:
        FUZZ_CHECK(v.status == 101 && req->method == HTTP_GET && req->minor == 1);
        FUZZ_CHECK(http_upgrade_answer(req, out, sizeof out) > 0);
        FUZZ_CHECK(strstr(out, "Sec-WebSocket-Accept: ") != NULL);
        break;
    case HTTP_ROUTE_TAKEN:
        FUZZ_CHECK(v.taken && (v.taken->methods & (1u << req->method)) && !req->upgrade.p);
        FUZZ_CHECK(http_path_is(req->path, v.taken->path));
        FUZZ_CHECK(!v.taken->body || (req->method == HTTP_POST && req->has_length &&
                                      req->content_length > 0 &&
                                      req->content_length <= HTTP_BODY_MAX));
        break;
    case HTTP_ROUTE_PREFLIGHT:
        FUZZ_CHECK(v.status == 204 && req->method == HTTP_OPTIONS && v.taken && v.taken->cors);
        FUZZ_CHECK(http_answer_head(204, NULL, 0, cors, out, sizeof out) > 0);
        break;
    case HTTP_ROUTE_ERROR: {
        FUZZ_CHECK(v.status >= 400 && v.status < 500);
        int n = http_error_answer(&v, cors, out, sizeof out);
        FUZZ_CHECK(n > 0 && (size_t)n == strlen(out) && out[n - 1] == '\n');
        break;
    }
    }
}

int fuzz_target_http(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct http_req req;
    int n = http_parse(buf, size, &req);
    if (n <= 0) {
        FUZZ_CHECK(n == HTTP_BAD || n == HTTP_PARTIAL || n == HTTP_TOO_LONG);
        FUZZ_CHECK(n != HTTP_PARTIAL || size < HTTP_HEAD_MAX);
        return 0;
    }
    FUZZ_CHECK((size_t)n <= size && n <= HTTP_HEAD_MAX && (size_t)n == req.head_len);
    FUZZ_CHECK(memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(req.minor == 0 || req.minor == 1);
    FUZZ_CHECK(req.path.p && req.path.len >= 1 && req.path.p[0] == '/');
    struct http_text slices[] = {req.path, req.upgrade, req.connection, req.key,
                                 req.version, req.content_type, req.authorization,
                                 req.origin};
    for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++)
        fuzz_http_slice(buf, (size_t)n, slices[i]);
    fuzz_http_route(&req);
    struct http_req again;
    FUZZ_CHECK(http_parse(buf, (size_t)n, &again) == n);
    FUZZ_CHECK(http_parse(buf, (size_t)n - 1, &again) == HTTP_PARTIAL);
    return 0;
}
