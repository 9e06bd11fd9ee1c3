/* transport_ws_handshake.c: a WebSocket edge's connection before its
 * upgrade (see transport_ws.h and docs/design.md, "Browsers"). A new
 * connection is read as HTTP/1.1: what it sent goes to the relay's HTTP
 * front (relay/http/http_front.h), which routes it (the play page, an
 * offer, GET /wt: whatever edges registered) and answers it through this
 * connection; the edge itself registers only the upgrade: 101, and from
 * then on a WebSocket and a peer of the core (transport_ws_frames.c).
 * Every answer but the upgrade is followed by the end of the connection
 * (Connection: close). A connection not upgraded within the join timeout
 * gets 408 and is closed (counted half_open). */
#include "transport_ws.h"

#include <stdlib.h>
#include <string.h>

/* ---- the connection, as the front sees it --------------------------------- */

static bool conn_write(struct http_conn *c, const void *bytes, size_t len)
{
    struct relay_ws *t = c->carrier;
    return stream_append(&t->s, c->slot, bytes, len);
}

static void conn_close(struct http_conn *c)
{
    struct relay_ws *t = c->carrier;
    stream_close(&t->s, c->slot, c->now_us);
}

/* Room for a request of len bytes (a body, HTTP_BODY_MAX at most). */
static bool conn_room(struct http_conn *c, size_t len)
{
    struct relay_ws *t = c->carrier;
    struct ws_conn *w = &t->conns[c->slot];
    if (w->head_cap >= len)
        return true;
    char *grown = realloc(w->head, len);
    if (!grown)
        return false;
    w->head = grown;
    w->head_cap = len;
    return true;
}

static const struct http_conn_ops conn_ops = {
    .write = conn_write,
    .close = conn_close,
    .room = conn_room,
};

/* ---- the upgrade ------------------------------------------------------------ */

void ws_handshake_upgrade(void *ctx, const struct http_req *req, const char *body,
                          struct http_conn *c)
{
    (void)ctx, (void)body;
    struct relay_ws *t = c->carrier;
    struct relay *r = c->relay;
    uint32_t i = c->slot;
    char out[HTTP_ANSWER_MAX];
    int n = http_upgrade_answer(req, out, sizeof out);
    struct ws_conn *w = &t->conns[i];
    w->head_at = req->head_len;
    if (n < 0 || !stream_append(&t->s, i, out, (size_t)n) ||
        ws_frames_start(t, r, i, c->now_us) != 0) {
        relay_count_drop(r, RELAY_DROP_SEND_FAILED);
        stream_conn_free(&t->s, i);
        return;
    }
    if (w->head_at < w->head_len) {
        ws_frames_input(t, r, i, c->now_us); /* its first frames came with the request */
    } else {
        free(w->head); /* nothing came after the head: the buffer goes */
        w->head = NULL;
        w->head_len = w->head_at = w->head_cap = 0;
    }
}

/* ---- reading ----------------------------------------------------------------- */

void ws_handshake_input(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
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
        struct http_conn hc = {.ops = &conn_ops, .carrier = t, .slot = i, .relay = r,
                               .from = &c->addr, .now_us = now_us};
        http_front_request(t->http, &hc, w->head, w->head_len);
    }
}

void ws_handshake_expire(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    relay_count_drop(r, RELAY_DROP_HALF_OPEN);
    if (!ws_io_ready(t, i)) { /* no TLS yet: nothing can be said */
        stream_conn_free(&t->s, i);
        return;
    }
    struct http_verdict v;
    http_refuse_verdict(&v, 408, "no whole request within the join timeout");
    char out[HTTP_ANSWER_MAX];
    int n = http_error_answer(&v, NULL, out, sizeof out);
    if (!stream_append(&t->s, i, out, n > 0 ? (size_t)n : 0))
        relay_count_drop(r, RELAY_DROP_SEND_FAILED);
    stream_close(&t->s, i, now_us);
}
