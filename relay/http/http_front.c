/* http_front.c: the relay's HTTP front (see http_front.h): the table of
 * routes, what a request gets (an upgrade, a route, its preflight, or an
 * error), the wait for a route's body, and the answers' bytes handed to
 * the connection's edge. What a route does is its handler's. */
#include "http_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/core/edge.h"

struct http_row {
    struct http_route r;
    char allow[32];          /* 405's Allow: r.methods, in order */
    http_handler fn;         /* NULL: declared, served by no edge here */
    void *ctx;
};

struct http_front {
    struct http_row rows[HTTP_ROUTES_MAX];
    size_t n;
    http_handler upgrade;    /* NULL: no edge takes an upgrade */
    const char *allow_origin;
    char cors[HTTP_CORS_MAX]; /* the CORS lines of the request being answered */
    char *scratch;           /* HTTP_SCRATCH bytes, lent to handlers */
};

/* The offer's body (WebRTC, in the manner of WHIP) and the two doors read
 * across origins, declared whether or not their edge runs here. */
static const struct http_body offer_body = {
    .type = "application/sdp",
    .no_length = "an offer comes with its Content-Length",
    .too_long = "an offer is 16384 bytes at most",
    .wrong = "an offer is application/sdp",
    .no_room = "no room for the offer now",
};

static const struct http_route doors[] = {
    {.path = "/rtc", .methods = HTTP_METHOD(POST), .why = "an offer is POSTed", .cors = true,
     .body = &offer_body, .absent = "this relay has no WebRTC edge"},
    {.path = "/wt", .methods = HTTP_METHOD(GET) | HTTP_METHOD(HEAD),
     .why = "where WebTransport sessions open is read with GET", .cors = true,
     .absent = "this relay has no WebTransport (quic) edge"},
};

/* ---- the table ---------------------------------------------------------- */

static int add(struct http_front *f, const struct http_route *r, http_handler fn, void *ctx)
{
    static const char *const names[] = {"GET", "HEAD", "POST", "OPTIONS"};
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->rows[i].r.path, r->path) == 0 && (f->rows[i].r.methods & r->methods))
            return -1;
    if (f->n == HTTP_ROUTES_MAX)
        return -1;
    struct http_row *row = &f->rows[f->n++];
    *row = (struct http_row){.r = *r, .fn = fn, .ctx = ctx};
    for (size_t m = 0; m < sizeof names / sizeof names[0]; m++)
        if (r->methods & (1u << m))
            snprintf(row->allow + strlen(row->allow), sizeof row->allow - strlen(row->allow),
                     "%s%s", row->allow[0] ? ", " : "", names[m]);
    return 0;
}

struct http_front *http_front_new(const char *allow_origin)
{
    struct http_front *f = calloc(1, sizeof *f);
    if (!f || !(f->scratch = malloc(HTTP_SCRATCH))) {
        free(f);
        return NULL;
    }
    f->allow_origin = allow_origin;
    for (size_t i = 0; i < sizeof doors / sizeof doors[0]; i++)
        add(f, &doors[i], NULL, NULL);
    return f;
}

void http_front_free(struct http_front *f)
{
    if (f)
        free(f->scratch);
    free(f);
}

int http_front_route(struct http_front *f, const struct http_route *r, http_handler fn,
                     void *ctx)
{
    return add(f, r, fn, ctx);
}

int http_front_serve(struct http_front *f, enum http_method method, const char *path,
                     http_handler fn, void *ctx)
{
    for (size_t i = 0; i < f->n; i++) {
        struct http_row *row = &f->rows[i];
        if (strcmp(row->r.path, path) != 0 || !(row->r.methods & (1u << method)))
            continue;
        if (row->fn)
            return -1;
        row->fn = fn;
        row->ctx = ctx;
        return 0;
    }
    return -1;
}

void http_front_upgrade(struct http_front *f, http_handler fn)
{
    f->upgrade = fn;
}

/* ---- what a request gets ------------------------------------------------ */

/* The row of req's path taking its method, else the path's first (NULL:
 * no route has that path). */
static const struct http_row *row_of(const struct http_front *f, const struct http_req *req)
{
    const struct http_row *first = NULL;
    for (size_t i = 0; i < f->n; i++) {
        const struct http_row *row = &f->rows[i];
        if (!http_path_is(req->path, row->r.path))
            continue;
        if (row->r.methods & (1u << req->method))
            return row;
        if (!first)
            first = row;
    }
    return first;
}

/* A body the route takes: its length given, within bounds, of its type. */
static void body_verdict(const struct http_body *b, const struct http_req *req,
                         struct http_verdict *v)
{
    if (req->chunked || !req->has_length)
        http_refuse_verdict(v, 411, b->no_length);
    else if (req->content_length > HTTP_BODY_MAX)
        http_refuse_verdict(v, 413, b->too_long);
    else if (req->content_length == 0 || !http_text_is(http_media_type(req->content_type), b->type))
        http_refuse_verdict(v, 415, b->wrong);
}

void http_front_decide(const struct http_front *f, const struct http_req *req,
                       struct http_verdict *v)
{
    const struct http_row *row = row_of(f, req);
    if (req->upgrade.p) {
        http_upgrade_verdict(req, v);
        if (v->route == HTTP_ROUTE_UPGRADE && !f->upgrade)
            http_refuse_verdict(v, 400, "only Upgrade: websocket is spoken here");
    } else if (!row) {
        http_refuse_verdict(v, 404, "nothing here: the play page is /play, tag /tag, a "
                                    "WebSocket opens on any path");
    } else if (row->r.cors && req->method == HTTP_OPTIONS) {
        memset(v, 0, sizeof *v); /* what it may send is said by http_cors */
        v->route = HTTP_ROUTE_PREFLIGHT;
        v->status = 204;
    } else if (!row->fn && row->r.absent) {
        /* a door whose edge does not run here: absent to every method, so
         * that a page can ask (HEAD) which routes this relay has */
        http_refuse_verdict(v, 404, row->r.absent);
    } else if (!(row->r.methods & (1u << req->method))) {
        http_refuse_verdict(v, row->r.why ? 405 : 404,
                            row->r.why ? row->r.why
                                       : "nothing here: the play page is /play, tag /tag, a "
                                         "WebSocket opens on any path");
        v->allow = row->r.why ? row->allow : NULL;
    } else {
        memset(v, 0, sizeof *v);
        v->route = HTTP_ROUTE_TAKEN;
        if (row->r.body)
            body_verdict(row->r.body, req, v);
    }
    v->taken = row ? &row->r : NULL;
}

/* ---- answers ------------------------------------------------------------- */

/* head, then body (len 0: none), then the end of the connection. */
static void send_and_close(struct http_conn *c, const char *head, size_t head_len,
                           const char *body, size_t len)
{
    if (!c->ops->write(c, head, head_len) || (len && !c->ops->write(c, body, len)))
        relay_count_drop(c->relay, RELAY_DROP_SEND_FAILED);
    c->ops->close(c);
}

void http_reply(struct http_conn *c, const struct http_req *req, int status, const char *type,
                const char *extra, const char *body, size_t len)
{
    char head[HTTP_ANSWER_MAX], lines[128 + HTTP_CORS_MAX];
    snprintf(lines, sizeof lines, "%s%s", extra ? extra : "", c->cors ? c->cors : "");
    int h = http_answer_head(status, type, len, lines, head, sizeof head);
    if (status >= 400)
        relay_count_drop(c->relay, RELAY_DROP_BAD_HTTP);
    send_and_close(c, head, h > 0 ? (size_t)h : 0, body,
                   req && req->method == HTTP_HEAD ? 0 : len);
}

void http_refuse(struct http_conn *c, const struct http_verdict *v)
{
    char out[HTTP_ANSWER_MAX];
    int n = http_error_answer(v, c->cors, out, sizeof out);
    if (v->status >= 400)
        relay_count_drop(c->relay, RELAY_DROP_BAD_HTTP);
    send_and_close(c, out, n > 0 ? (size_t)n : 0, NULL, 0);
}

void http_refuse_status(struct http_conn *c, int status, const char *why)
{
    struct http_verdict v;
    http_refuse_verdict(&v, status, why);
    http_refuse(c, &v);
}

bool http_bearer(struct http_text auth, char pass[HTTP_PASS_MAX + 1])
{
    pass[0] = '\0';
    if (!auth.p)
        return true;
    if (auth.len < 7 || !http_text_is((struct http_text){auth.p, 7}, "bearer ") ||
        auth.len - 7 > HTTP_PASS_MAX)
        return false;
    memcpy(pass, auth.p + 7, auth.len - 7);
    pass[auth.len - 7] = '\0';
    return true;
}

/* ---- a request ------------------------------------------------------------ */

int http_front_request(struct http_front *f, struct http_conn *c, const char *buf, size_t len)
{
    struct http_req req;
    c->cors = "";
    c->scratch = f->scratch;
    int n = http_parse(buf, len, &req);
    if (n == HTTP_PARTIAL)
        return HTTP_PARTIAL;
    if (n < 0) {
        http_refuse_status(c, n == HTTP_TOO_LONG ? 431 : 400,
                           n == HTTP_TOO_LONG ? "a request head is 8 KiB and 64 lines at most"
                                              : "not an HTTP/1.1 request");
        return 0;
    }
    struct http_verdict v;
    http_front_decide(f, &req, &v);
    if (v.taken && v.taken->cors) {
        http_cors(&req, f->allow_origin, f->cors, sizeof f->cors);
        c->cors = f->cors;
    }
    if (v.route == HTTP_ROUTE_UPGRADE) {
        f->upgrade(NULL, &req, NULL, c);
        return 0;
    }
    if (v.route == HTTP_ROUTE_PREFLIGHT) {
        http_reply(c, &req, 204, NULL, NULL, NULL, 0);
        return 0;
    }
    if (v.route == HTTP_ROUTE_ERROR) {
        http_refuse(c, &v);
        return 0;
    }
    const struct http_row *row = (const struct http_row *)v.taken; /* r is its first */
    const char *body = NULL;
    if (row->r.body) {
        size_t need = req.head_len + (size_t)req.content_length;
        if (len < need) { /* room for the body (HTTP_BODY_MAX at most) */
            if (!c->ops->room(c, need)) {
                http_refuse_status(c, 413, row->r.body->no_room);
                return 0;
            }
            return HTTP_PARTIAL;
        }
        body = buf + req.head_len;
    }
    if (!row->fn)
        http_refuse_status(c, 404, row->r.absent);
    else
        row->fn(row->ctx, &req, body, c);
    return 0;
}
