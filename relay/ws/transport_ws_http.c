/* transport_ws_http.c: the WebSocket edge's HTTP front (see
 * transport_ws.h and docs/design.md, "Browsers"). A new connection is
 * read as HTTP/1.1: one request head of at most 8 KiB (ws_http.c reads
 * it), then
 *   - an upgrade: 101, and from then on a WebSocket and a peer of the core
 *     (transport_ws_frames.c);
 *   - GET /play, /play.js, /ricochet.js: the play page and its modules,
 *     and /tag, /tag.js: the tag game's page (it shares ricochet.js),
 *     compiled in from client/js/ (GET / is sent to /play);
 *   - POST /rtc with an SDP offer in its body: the answer of the edge that
 *     answers offers (ops->answer, given by the program through
 *     offers_to), 201; 404 on a relay without one;
 *   - GET /wt: where the relay's WebTransport sessions open, as JSON (the
 *     quic edge's ops->webtransport, given through webtransport_to); 404
 *     on a relay without one;
 *   - OPTIONS /wt or /rtc: a browser's CORS preflight, 204; every answer
 *     on those two paths names an Origin that --allow-origin names
 *     (Access-Control-Allow-Origin), so that a page of the game's own site
 *     may read them;
 *   - anything else: its error (400, 404, 405, 411, 413, 415, 426, 431),
 *     counted bad_http.
 * Every answer but the upgrade is followed by the end of the connection
 * (Connection: close). A connection not upgraded within the join timeout
 * gets 408 and is closed (counted half_open). */
#include "transport_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_http.h"

#define WS_PASS_MAX 1024 /* a ticket's pass in Authorization, bytes */

static const char *const paths[] = {"/play", "/play.js", "/ricochet.js", "/tag", "/tag.js",
                                    NULL};

/* The files of paths, in order. */
static const struct {
    const char *type;
    const char *body;
    const size_t *len;
} files[] = {
    {"text/html; charset=utf-8", ws_play_html, &ws_play_html_len},
    {"text/javascript; charset=utf-8", ws_play_js, &ws_play_js_len},
    {"text/javascript; charset=utf-8", ws_ricochet_js, &ws_ricochet_js_len},
    {"text/html; charset=utf-8", ws_tag_html, &ws_tag_html_len},
    {"text/javascript; charset=utf-8", ws_tag_js, &ws_tag_js_len},
};

/* An answer (head, then body), then the connection closed once written. */
static void answer(struct relay_ws *t, uint32_t i, const char *head, size_t head_len,
                   const char *body, size_t body_len, uint64_t now_us)
{
    if (!stream_append(&t->s, i, head, head_len) ||
        (body_len && !stream_append(&t->s, i, body, body_len)))
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
    stream_close(&t->s, i, now_us);
}

/* An error answer (or the redirect), counted bad_http if it is an error;
 * cors: its CORS header lines (ws_http_cors; NULL: none). */
static void refuse(struct relay_ws *t, uint32_t i, const struct ws_http_verdict *v,
                   const char *cors, uint64_t now_us)
{
    char out[WS_HTTP_ANSWER_MAX];
    int n = ws_http_error_answer(v, cors, out, sizeof out);
    if (v->status >= 400)
        relay_count_drop(t->relay, RELAY_DROP_BAD_HTTP);
    answer(t, i, out, n > 0 ? (size_t)n : 0, NULL, 0, now_us);
}

static void refuse_status(struct relay_ws *t, uint32_t i, int status, const char *why,
                          const char *cors, uint64_t now_us)
{
    struct ws_http_verdict v = {.route = WS_ROUTE_ERROR, .status = status, .why = why};
    refuse(t, i, &v, cors, now_us);
}

static void send_file(struct relay_ws *t, uint32_t i, const struct ws_http_request *req,
                      int file, uint64_t now_us)
{
    char head[WS_HTTP_ANSWER_MAX];
    size_t len = *files[file].len;
    int n = ws_http_head(200, files[file].type, len, NULL, head, sizeof head);
    answer(t, i, head, n > 0 ? (size_t)n : 0, files[file].body,
           req->method == WS_HTTP_HEAD ? 0 : len, now_us);
}

/* "Bearer PASS" into pass (NUL-terminated); "" for none. Returns false for
 * another scheme or a pass too long. */
static bool bearer(struct ws_http_text auth, char pass[WS_PASS_MAX + 1])
{
    pass[0] = '\0';
    if (!auth.p)
        return true;
    if (auth.len < 7 || !ws_http_is((struct ws_http_text){auth.p, 7}, "bearer ") ||
        auth.len - 7 > WS_PASS_MAX)
        return false;
    memcpy(pass, auth.p + 7, auth.len - 7);
    pass[auth.len - 7] = '\0';
    return true;
}

/* GET /wt: where WebTransport sessions open (the port, the path, the
 * hashes of the certificates a page may trust), from the edge that takes
 * them; 404 on a relay without one. Never cached: a certificate drawn
 * again changes it. */
static void webtransport(struct relay_ws *t, uint32_t i, const struct ws_http_request *req,
                         const char *cors, uint64_t now_us)
{
    char head[WS_HTTP_ANSWER_MAX], extra[64 + WS_HTTP_CORS_MAX];
    int n = t->wt_ops && t->wt_ops->webtransport && t->wt
                ? t->wt_ops->webtransport(t->wt, t->scratch, WS_SCRATCH)
                : -1;
    if (n < 0) {
        refuse_status(t, i, 404, "this relay has no WebTransport (quic) edge", cors, now_us);
        return;
    }
    snprintf(extra, sizeof extra, "Cache-Control: no-store\r\n%s", cors);
    int h = ws_http_head(200, "application/json", (size_t)n, extra, head, sizeof head);
    answer(t, i, head, h > 0 ? (size_t)h : 0, t->scratch,
           req->method == WS_HTTP_HEAD ? 0 : (size_t)n, now_us);
}

/* POST /rtc, its body whole: the offer to the edge that answers. */
static void offer(struct relay_ws *t, struct relay *r, uint32_t i,
                  const struct ws_http_request *req, const char *cors, uint64_t now_us)
{
    char pass[WS_PASS_MAX + 1], why[PROTO_TEXT_MAX + 1] = "", head[WS_HTTP_ANSWER_MAX];
    char extra[64 + WS_HTTP_CORS_MAX];
    if (!t->answer_ops || !t->answer_ops->answer || !t->answerer) {
        refuse_status(t, i, 404, "this relay has no WebRTC edge", cors, now_us);
        return;
    }
    if (!bearer(req->authorization, pass)) {
        refuse_status(t, i, 400, "a ticket goes as Authorization: Bearer PASS", cors, now_us);
        return;
    }
    const char *body = t->conns[i].head + req->head_len;
    int n = t->answer_ops->answer(t->answerer, r, body, (size_t)req->content_length,
                                  pass[0] ? pass : NULL, &t->s.conns[i].addr, t->scratch,
                                  WS_SCRATCH, why, sizeof why);
    if (n < 0) {
        int status = n == RELAY_OFFER_TICKET ? 403 : n == RELAY_OFFER_FULL ? 503 : 400;
        relay_count_drop(r, RELAY_DROP_BAD_HTTP);
        snprintf(t->scratch, WS_SCRATCH, "%d %s: %s\n", status, ws_http_reason(status), why);
        size_t len = strlen(t->scratch);
        int h = ws_http_head(status, "text/plain; charset=utf-8", len, cors, head, sizeof head);
        answer(t, i, head, h > 0 ? (size_t)h : 0, t->scratch, len, now_us);
        return;
    }
    snprintf(extra, sizeof extra, "Location: /rtc\r\n%s", cors);
    int h = ws_http_head(201, "application/sdp", (size_t)n, extra, head, sizeof head);
    answer(t, i, head, h > 0 ? (size_t)h : 0, t->scratch, (size_t)n, now_us);
}

/* The upgrade: 101, then a WebSocket; the bytes read past the head go to
 * wslay first. */
static void upgrade(struct relay_ws *t, struct relay *r, uint32_t i,
                    const struct ws_http_request *req, uint64_t now_us)
{
    char out[WS_HTTP_ANSWER_MAX];
    int n = ws_http_upgrade_answer(req, out, sizeof out);
    struct ws_conn *w = &t->conns[i];
    w->head_at = req->head_len;
    if (n < 0 || !stream_append(&t->s, i, out, (size_t)n) ||
        ws_frames_start(t, r, i, now_us) != 0) {
        relay_count_drop(r, RELAY_DROP_SEND_FAILED);
        stream_conn_free(&t->s, i);
        return;
    }
    if (w->head_at < w->head_len) {
        ws_frames_input(t, r, i, now_us); /* its first frames came with the request */
    } else {
        free(w->head); /* nothing came after the head: the buffer goes */
        w->head = NULL;
        w->head_len = w->head_at = w->head_cap = 0;
    }
}

/* The request in the connection's buffer, if whole: its answer. */
static void request(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    struct ws_http_request req;
    int n = ws_http_parse(w->head, w->head_len, &req);
    if (n == WS_HTTP_PARTIAL)
        return;
    if (n < 0) {
        refuse_status(t, i, n == WS_HTTP_TOO_LONG ? 431 : 400,
                      n == WS_HTTP_TOO_LONG ? "a request head is 8 KiB and 64 lines at most"
                                            : "not an HTTP/1.1 request",
                      NULL, now_us);
        return;
    }
    struct ws_http_verdict v;
    ws_http_decide(&req, paths, &v);
    char cors[WS_HTTP_CORS_MAX];
    ws_http_cors(&req, t->cfg.allow_origin, cors, sizeof cors);
    switch (v.route) {
    case WS_ROUTE_UPGRADE:
        upgrade(t, r, i, &req, now_us);
        return;
    case WS_ROUTE_FILE:
        send_file(t, i, &req, v.file, now_us);
        return;
    case WS_ROUTE_RTC: {
        size_t need = req.head_len + (size_t)req.content_length;
        if (w->head_len >= need) {
            offer(t, r, i, &req, cors, now_us);
        } else if (w->head_cap < need) { /* room for the body (16 KiB at most) */
            char *grown = realloc(w->head, need);
            if (!grown) {
                refuse_status(t, i, 413, "no room for the offer now", cors, now_us);
                return;
            }
            w->head = grown;
            w->head_cap = need;
        }
        return;
    }
    case WS_ROUTE_WT:
        webtransport(t, i, &req, cors, now_us);
        return;
    case WS_ROUTE_PREFLIGHT: {
        char head[WS_HTTP_ANSWER_MAX];
        int h = ws_http_head(204, NULL, 0, cors, head, sizeof head);
        answer(t, i, head, h > 0 ? (size_t)h : 0, NULL, 0, now_us);
        return;
    }
    case WS_ROUTE_REDIRECT:
    case WS_ROUTE_ERROR:
        refuse(t, i, &v, cors, now_us);
        return;
    }
}

void ws_http_input(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    struct stream_conn *c = &t->s.conns[i];
    while (c->fd >= 0 && !c->closing && !w->open && w->head_len < w->head_cap) {
        ssize_t n = ws_io_read(t, i, w->head + w->head_len, w->head_cap - w->head_len);
        if (n == -1)
            return; /* nothing now (or a TLS handshake under way) */
        if (n <= 0) { /* gone before its request was answered: nothing to say */
            stream_conn_free(&t->s, i);
            return;
        }
        w->head_len += (size_t)n;
        c->last_us = now_us;
        request(t, r, i, now_us);
    }
}

void ws_http_expire(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    relay_count_drop(r, RELAY_DROP_HALF_OPEN);
    if (!ws_io_ready(t, i)) { /* no TLS yet: nothing can be said */
        stream_conn_free(&t->s, i);
        return;
    }
    struct ws_http_verdict v = {.route = WS_ROUTE_ERROR, .status = 408,
                                .why = "no whole request within the join timeout"};
    char out[WS_HTTP_ANSWER_MAX];
    int n = ws_http_error_answer(&v, NULL, out, sizeof out);
    answer(t, i, out, n > 0 ? (size_t)n : 0, NULL, 0, now_us);
}
