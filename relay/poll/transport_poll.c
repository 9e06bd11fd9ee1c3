/* transport_poll.c: the relay's HTTP polling edge (--listen
 * poll://HOST:PORT): members that can speak nothing but HTTP requests, as
 * engine.io's polling transport does (PROTOCOL.md, "HTTP polling").
 *
 * POST /poll with a join opens a session and is answered with its id;
 * POST /poll?s=ID carries more messages; GET /poll?s=ID answers with
 * every message waiting, at once, or with wait=MS holds the request until
 * one comes or the wait ends (long polling); DELETE /poll?s=ID ends it. A
 * member is its session, not a connection: a client asks on whichever of
 * its keep-alive connections it likes, and a connection that ends takes no
 * session with it.
 *
 * What waits for a session is its backlog (relay/core/backlog.c): bytes
 * queued, and when a GET last took some, the first answer's worth taken as
 * a stream's kernel send buffer takes it. A session that stops asking is
 * closed as a stream's slow reader is (slow_reader), or once silent for
 * --timeout-ms (timeout); while its queue holds more than one answer,
 * each sender's unreliable states wait newest-only (conflated). Requests
 * that are not the protocol's are answered 4xx (counted bad_http) and the
 * connection closed; one that is not whole within --join-timeout-ms of its
 * first byte (a new connection's first request: of its accept) is answered
 * 408. */
#include "transport_poll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "sys/clock.h"
#include "relay/core/edge.h"

#define POLL_EVENTS 64 /* ready sockets read per service */

static void poll_destroy(void *ctx);

/* ---- answers ------------------------------------------------------------- */

/* A whole answer (a one-line text body, or none) to connection ci; the
 * connection ends after it unless keep. A 4xx counts bad_http, but a 429:
 * a budget spent, counted by its own reason as a 503 is. */
static void reply(struct relay_poll *t, uint32_t ci, int status, const char *cors,
                  const char *why, bool keep, uint64_t now_us)
{
    char extra[128 + HTTP_CORS_MAX];
    size_t len = why ? strlen(why) + 1 : 0;
    snprintf(extra, sizeof extra, "%s%s%s", why ? "Content-Type: text/plain\r\n" : "",
             status == 405 ? "Allow: GET, POST, DELETE, OPTIONS\r\n" : "", cors ? cors : "");
    if (status >= 400 && status < 500 && status != 429)
        poll_count(t, RELAY_DROP_BAD_HTTP);
    if (!poll_head(t, ci, status, extra, len, keep) ||
        (why && (!stream_append(&t->s, ci, why, len - 1) || !stream_append(&t->s, ci, "\n", 1))))
        poll_count(t, RELAY_DROP_SEND_FAILED);
    if (!keep)
        stream_close(&t->s, ci, now_us);
}

/* ---- GET ------------------------------------------------------------------ */

static void get(struct relay_poll *t, uint32_t ci, const struct poll_query *q,
                const char *cors, bool keep, uint64_t now_us)
{
    uint32_t si = q->slot;
    struct poll_session *s = &t->sessions[si];
    if (s->out_len || s->n_held || s->closing || q->wait_ms == 0) {
        poll_answer_now(t, ci, si, cors, keep, now_us);
        return;
    }
    if (s->waiter != POLL_NONE) /* one GET is held per session: the older one ends */
        poll_answer_held(t, si, now_us);
    struct poll_conn *c = &t->conns[ci];
    c->session = si;
    c->wait_until_us = now_us + (uint64_t)q->wait_ms * 1000;
    if (c->wait_until_us < t->wait_end_us)
        t->wait_end_us = c->wait_until_us;
    c->keep = keep;
    snprintf(c->cors, sizeof c->cors, "%s", cors);
    s->waiter = ci;
    s->asked_us = now_us;
    t->n_holding++;
}

/* ---- POST: a join, or more messages ------------------------------------------ */

/* Each frame of body (checked whole) to the core, as session si's; stops
 * if the core closes it. */
static void hand_frames(struct relay_poll *t, struct relay *r, uint32_t si, uint8_t *body,
                        size_t len, uint64_t now_us)
{
    size_t at = 0;
    while (at < len && t->sessions[si].used && !t->sessions[si].closing) {
        size_t frame = (size_t)body[at] << 8 | body[at + 1];
        relay_on_datagram(r, t->base + si, PROTO_CHANNEL_STREAM, 0, body + at + 2, frame,
                          now_us);
        at += 2 + frame;
    }
}

/* Did the core refuse session si's join (closed it, or left it neither a
 * member nor waiting for one)? Then it ends: the core forgets it. */
static bool join_refused(struct relay_poll *t, struct relay *r, uint32_t si, uint64_t now_us)
{
    uint32_t peer = t->base + si;
    if (t->sessions[si].closing)
        return true;
    if (relay_peer_joined(r, peer) || relay_peer_parked(r, peer) || relay_peer_proving(r, peer))
        return false;
    relay_peer_gone(r, peer, PROTO_LEFT_QUIT, now_us);
    return true;
}

/* A join (the body's first frame) opens a session, answered with its id
 * (the welcome, or the error refusing the join, waits for a GET). */
static void join(struct relay_poll *t, struct relay *r, uint32_t ci, uint8_t *body,
                 size_t len, const char *cors, bool keep, uint64_t now_us)
{
    const union netaddr *from = &t->s.conns[ci].addr;
    if (t->cfg.max_per_address && poll_sessions_from_host(t, from) >= t->cfg.max_per_address) {
        poll_count(t, RELAY_DROP_PER_ADDRESS);
        reply(t, ci, 429, cors, "too many sessions from this address", false, now_us);
        return;
    }
    if (t->n_free == 0) {
        poll_count(t, RELAY_DROP_SERVER_FULL);
        reply(t, ci, 503, cors, "no session is free", false, now_us);
        return;
    }
    uint32_t si = t->free_sessions[--t->n_free];
    struct poll_session *s = &t->sessions[si];
    bool ready = s->ready;
    *s = (struct poll_session){.used = true, .addr = *from, .asked_us = now_us,
                               .took_us = now_us, .waiter = POLL_NONE, .ready = ready};
    randombytes_buf(s->secret, sizeof s->secret);
    if (relay_peer_connect(r, t->base + si, from, now_us) != 0 && !s->closing) {
        poll_session_free(t, si, now_us);
        reply(t, ci, 503, cors, "the relay takes no member now", false, now_us);
        return;
    }
    hand_frames(t, r, si, body, len, now_us);
    char id[POLL_ID_LEN + 1], extra[64 + HTTP_CORS_MAX];
    poll_session_id(si, s->secret, id);
    if (join_refused(t, r, si, now_us)) /* its error waits for a GET, holding no slot */
        poll_refused_keep(t, si, now_us);
    snprintf(extra, sizeof extra, "Content-Type: text/plain\r\n%s", cors);
    if (!poll_head(t, ci, 200, extra, POLL_ID_LEN, keep) ||
        !stream_append(&t->s, ci, id, POLL_ID_LEN))
        poll_count(t, RELAY_DROP_SEND_FAILED);
    if (!keep)
        stream_close(&t->s, ci, now_us);
}

static void post(struct relay_poll *t, struct relay *r, uint32_t ci, const struct poll_query *q,
                 uint8_t *body, size_t len, const char *cors, bool keep, uint64_t now_us)
{
    if (poll_frames_count(body, len, t->cfg.max_packet_size) <= 0) {
        reply(t, ci, 400, cors, "a body is frames: a 2-byte big-endian length, then the "
                                "message", false, now_us);
        return;
    }
    if (!q->has_session) {
        join(t, r, ci, body, len, cors, keep, now_us);
        return;
    }
    struct poll_session *s = &t->sessions[q->slot];
    s->asked_us = now_us;
    if (s->closing) {
        reply(t, ci, 410, cors, "the session has ended: its last messages wait for a GET",
              false, now_us);
        return;
    }
    hand_frames(t, r, q->slot, body, len, now_us);
    if (!poll_head(t, ci, 204, cors, 0, keep))
        poll_count(t, RELAY_DROP_SEND_FAILED);
    if (!keep)
        stream_close(&t->s, ci, now_us);
}

/* ---- requests ------------------------------------------------------------- */

/* Does query q name a live session (its secret compared in constant time)? */
static bool session_named(const struct relay_poll *t, const struct poll_query *q)
{
    return q->has_session && q->slot < t->n_sessions && t->sessions[q->slot].used &&
           sodium_memcmp(t->sessions[q->slot].secret, q->secret, POLL_SECRET_BYTES) == 0;
}

/* The CORS lines of the answer to req (none unless its Origin is one
 * --allow-origin names); to a preflight, what the edge takes besides: its
 * own methods (http_cors's are the front's routes'). */
static void cors_lines(const struct relay_poll *t, const struct http_req *req, char *out,
                       size_t cap)
{
    struct http_req plain = *req;
    plain.method = HTTP_GET; /* the origin's lines alone */
    int n = http_cors(&plain, t->cfg.allow_origin, out, cap);
    if (n > 0 && req->method == HTTP_OPTIONS)
        snprintf(out + n, cap - (size_t)n,
                 "Access-Control-Allow-Methods: GET, POST, DELETE\r\n"
                 "Access-Control-Allow-Headers: Content-Type\r\n"
                 "Access-Control-Max-Age: 600\r\n");
}

/* DELETE: the client ends session si (left, reason quit), as closing a
 * TCP connection does. */
static void end_session(struct relay_poll *t, struct relay *r, uint32_t ci, uint32_t si,
                        const char *cors, bool keep, uint64_t now_us)
{
    if (!t->sessions[si].closing)
        relay_peer_gone(r, t->base + si, PROTO_LEFT_QUIT, now_us);
    poll_session_free(t, si, now_us);
    reply(t, ci, 204, cors, NULL, keep, now_us);
}

/* The request at the head of connection ci's input (its head and its
 * body, whole): answered, held, or refused. */
static void request(struct relay_poll *t, struct relay *r, uint32_t ci,
                    const struct http_req *req, uint64_t now_us)
{
    char cors[HTTP_CORS_MAX];
    bool keep = req->minor == 1 ? !http_has_token(req->connection, "close")
                                : http_has_token(req->connection, "keep-alive");
    bool delete = req->method == HTTP_OTHER && memcmp(t->conns[ci].in, "DELETE ", 7) == 0;
    cors_lines(t, req, cors, sizeof cors);
    if (!http_path_is(req->path, POLL_PATH)) {
        reply(t, ci, 404, cors, "nothing here: this edge answers /poll", false, now_us);
        return;
    }
    if (req->method == HTTP_OPTIONS) { /* a CORS preflight */
        reply(t, ci, 204, cors, NULL, keep, now_us);
        return;
    }
    if (req->method != HTTP_GET && req->method != HTTP_POST && !delete) {
        reply(t, ci, 405, cors, "/poll is read with GET, written with POST, ended with DELETE",
              false, now_us);
        return;
    }
    struct poll_query q;
    const char *why = NULL;
    if (poll_query_parse(poll_query_of(req), &q, &why) != 0) {
        reply(t, ci, 400, cors, why, false, now_us);
        return;
    }
    if ((q.has_session || req->method != HTTP_POST) && !session_named(t, &q)) {
        if (req->method == HTTP_GET && poll_refused_answer(t, ci, &q, cors, keep, now_us))
            return;
        reply(t, ci, q.has_session ? 404 : 400, cors,
              q.has_session ? "no such session" : "a GET or DELETE names its session: s=ID",
              false, now_us);
        return;
    }
    if (delete)
        end_session(t, r, ci, q.slot, cors, keep, now_us);
    else if (req->method == HTTP_GET)
        get(t, ci, &q, cors, keep, now_us);
    else
        post(t, r, ci, &q, t->conns[ci].in + req->head_len, (size_t)req->content_length, cors,
             keep, now_us);
}

/* Reads the requests whole in connection ci's input, each in turn, until
 * one is held, the connection closes or what is left is partial. */
static void process(struct relay_poll *t, struct relay *r, uint32_t ci, uint64_t now_us)
{
    struct poll_conn *c = &t->conns[ci];
    struct stream_conn *sc = &t->s.conns[ci];
    while (sc->fd >= 0 && !sc->closing && c->session == POLL_NONE && c->in_len > 0) {
        struct http_req req;
        if (!c->started_us)
            c->started_us = now_us;
        int n = http_parse((const char *)c->in, c->in_len, &req);
        if (n == HTTP_PARTIAL && c->in_len < HTTP_HEAD_MAX)
            return;
        if (n < 0) {
            reply(t, ci, n == HTTP_BAD ? 400 : 431, NULL,
                  n == HTTP_BAD ? "not an HTTP/1.1 request"
                                : "a request head is 8 KiB and 64 lines at most",
                  false, now_us);
            return;
        }
        size_t body = 0;
        if (req.method == HTTP_POST) {
            if (req.chunked || !req.has_length) {
                reply(t, ci, 411, NULL, "a POST comes with its Content-Length", false, now_us);
                return;
            }
            if (req.content_length > t->body_max) {
                reply(t, ci, 413, NULL, "a POST's body is too long for this relay", false,
                      now_us);
                return;
            }
            body = (size_t)req.content_length;
            if (c->in_len < req.head_len + body)
                return; /* the rest of the body to come */
        } else if (req.chunked || (req.has_length && req.content_length > 0)) {
            reply(t, ci, 400, NULL, "only a POST has a body", false, now_us);
            return;
        }
        size_t used = req.head_len + body;
        c->started_us = 0;
        request(t, r, ci, &req, now_us);
        if (sc->fd < 0)
            return;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
}

/* ---- connections ----------------------------------------------------------- */

static void poll_release(void *edge, uint32_t ci)
{
    struct relay_poll *t = edge;
    struct poll_conn *c = &t->conns[ci];
    if (c->session != POLL_NONE) /* its GET goes unanswered: the session waits on */
        poll_unhold(t, ci);
    free(c->in);
    bool again = c->again; /* the list of connections to read again skips it */
    *c = (struct poll_conn){.session = POLL_NONE, .again = again};
}

static bool poll_frame(void *edge, uint32_t i, const uint8_t *msg, size_t len)
{
    (void)edge, (void)i, (void)msg, (void)len;
    return false; /* connections are no peers: the core never sends to one */
}

static const struct stream_ops poll_stream_ops = {
    .frame = poll_frame,
    .release = poll_release,
};

/* A connection accepted (stream_accept): a slot and room for its input. */
static void take(void *edge, struct relay *r, int fd, const union netaddr *from,
                 uint64_t now_us)
{
    struct relay_poll *t = edge;
    uint8_t *in;
    int slot = stream_take_input(&t->s, r, fd, from, t->in_cap, &in, now_us);
    if (slot < 0)
        return;
    uint32_t ci = (uint32_t)slot;
    bool again = t->conns[ci].again;
    /* its first request is due within --join-timeout-ms, as any other */
    t->conns[ci] = (struct poll_conn){.in = in, .started_us = now_us, .session = POLL_NONE,
                                      .again = again};
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ci};
    if (epoll_ctl(t->s.ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        stream_conn_free(&t->s, ci);
}

/* One read of connection ci and the requests it completes. A connection
 * holding a GET is read too, to learn that it ended; one that sends more
 * than its input holds meanwhile is closed. */
static void read_conn(struct relay_poll *t, struct relay *r, uint32_t ci)
{
    struct stream_conn *sc = &t->s.conns[ci];
    struct poll_conn *c = &t->conns[ci];
    if (sc->fd < 0 || sc->closing)
        return;
    if (c->in_len == t->in_cap) {
        /* its held GET goes unanswered: what waits for the session stays for
         * its next GET, not behind this answer's Connection: close */
        if (c->session != POLL_NONE)
            poll_unhold(t, ci);
        reply(t, ci, 400, NULL, "requests sent behind a held GET overflow its input", false,
              clock_now_us());
        return;
    }
    ssize_t n = recv(sc->fd, c->in + c->in_len, t->in_cap - c->in_len, MSG_DONTWAIT);
    uint64_t now = clock_now_us();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* the client closed it: a GET held there is for nobody now */
        stream_conn_free(&t->s, ci);
        return;
    }
    c->in_len += (size_t)n;
    sc->last_us = now;
    process(t, r, ci, now);
}

/* Held GETs whose wait is over, answered empty; the next wait's end
 * found again (a walk of the connections only when one is due). */
static void end_waits(struct relay_poll *t, uint64_t now_us)
{
    if (now_us < t->wait_end_us)
        return;
    t->wait_end_us = UINT64_MAX;
    for (uint32_t ci = 0; t->n_holding && ci < t->s.cap; ci++) {
        struct poll_conn *c = &t->conns[ci];
        if (c->session != POLL_NONE && now_us >= c->wait_until_us)
            poll_answer_held(t, c->session, now_us);
        else if (c->session != POLL_NONE && c->wait_until_us < t->wait_end_us)
            t->wait_end_us = c->wait_until_us;
    }
}

/* ---- the loop's operations ---------------------------------------------------- */

static int poll_service(void *ctx, struct relay *r)
{
    struct relay_poll *t = ctx;
    t->relay = r;
    t->s.relay = r;
    t->s.backlog = false;
    struct epoll_event ev[POLL_EVENTS];
    int n = epoll_wait(t->s.ep, ev, POLL_EVENTS, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    relay_arrived(r, t->s.read_end_us, 0);
    while (t->n_again) { /* requests read behind an answered GET */
        uint32_t ci = t->again[--t->n_again];
        t->conns[ci].again = false;
        process(t, r, ci, clock_now_us());
    }
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == STREAM_LISTEN_DATA)
            stream_accept(&t->s, r, t->cfg.max_per_address * 2, take);
        else
            read_conn(t, r, (uint32_t)ev[k].data.u64);
    }
    uint64_t now = clock_now_us();
    end_waits(t, now);
    if (n == POLL_EVENTS || t->n_again)
        t->s.backlog = true;
    if (!t->s.backlog)
        t->s.read_end_us = now;
    return n;
}

/* Answers the held GETs whose sessions got something this turn, then
 * writes every connection's output. */
static void poll_flush(void *ctx, struct relay *r)
{
    struct relay_poll *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    for (uint32_t k = 0; k < t->n_ready; k++) {
        uint32_t si = t->ready[k];
        t->sessions[si].ready = false;
        if (t->sessions[si].used)
            poll_answer_held(t, si, now);
    }
    t->n_ready = 0;
    stream_flush(&t->s, r, now);
}

static uint64_t poll_due(const void *ctx)
{
    const struct relay_poll *t = ctx;
    uint64_t due = stream_op_due(&t->s);
    return t->wait_end_us < due ? t->wait_end_us : due;
}

/* Every 100 ms: sessions silent for --timeout-ms (no request, none held)
 * gone (timeout), closed ones whose last messages no GET took within
 * POLL_CLOSE_LINGER_US freed; connections with a request not whole within
 * --join-timeout-ms answered 408, idle ones silent for --timeout-ms
 * closed; listening again if it stopped. */
static void poll_tick(void *ctx, struct relay *r)
{
    struct relay_poll *t = ctx;
    uint64_t now = clock_now_us(), silent = (uint64_t)t->cfg.timeout_ms * 1000;
    t->relay = r;
    t->s.relay = r;
    stream_accept_resume(&t->s);
    for (uint32_t si = 0; si < t->n_sessions; si++) {
        struct poll_session *s = &t->sessions[si];
        if (!s->used)
            continue;
        if (s->closing && now - s->closing_us > POLL_CLOSE_LINGER_US) {
            poll_session_free(t, si, now);
        } else if (!s->closing && s->waiter == POLL_NONE && now - s->asked_us >= silent) {
            relay_peer_gone(r, t->base + si, PROTO_LEFT_TIMEOUT, now);
            poll_session_free(t, si, now);
        }
    }
    for (uint32_t ci = 0; ci < t->s.cap; ci++) {
        struct stream_conn *sc = &t->s.conns[ci];
        struct poll_conn *c = &t->conns[ci];
        if (sc->fd < 0 || sc->closing || c->session != POLL_NONE)
            continue;
        if (c->started_us && now - c->started_us >= (uint64_t)t->cfg.handshake_ms * 1000)
            reply(t, ci, 408, NULL, "a request is whole within the join timeout", false, now);
        else if (!c->started_us && now - sc->last_us >= silent)
            stream_close(&t->s, ci, now);
    }
}

/* Settled once every connection's output is written and no closed session
 * keeps last messages a GET may still come for. */
static bool poll_settled(const void *ctx)
{
    const struct relay_poll *t = ctx;
    uint64_t now = clock_now_us();
    for (uint32_t si = 0; si < t->n_sessions; si++) {
        const struct poll_session *s = &t->sessions[si];
        if (s->used && s->closing && (s->out_len || s->n_held) &&
            now - s->closing_us <= POLL_CLOSE_LINGER_US)
            return false;
    }
    return stream_op_settled(&t->s);
}

/* ---- lifecycle -------------------------------------------------------------- */

static void *poll_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_poll *t = calloc(1, sizeof *t);
    if (!t || sodium_init() < 0) {
        snprintf(err, err_cap, "out of memory");
        free(t);
        return NULL;
    }
    t->cfg = relay_net_config_settled(cfg);
    t->n_sessions = t->cfg.peer_cap;
    uint32_t conn_cap = 2 * t->n_sessions + 8; /* a held GET and a POST each, and strays */
    size_t frame = t->cfg.max_packet_size < POLL_FRAME_MAX ? t->cfg.max_packet_size
                                                            : POLL_FRAME_MAX;
    t->body_max = 2 + frame > HTTP_BODY_MAX ? 2 + frame : HTTP_BODY_MAX;
    t->in_cap = HTTP_HEAD_MAX + t->body_max;
    t->sessions = calloc(t->n_sessions, sizeof *t->sessions);
    t->free_sessions = malloc(t->n_sessions * sizeof *t->free_sessions);
    t->ready = malloc(t->n_sessions * sizeof *t->ready);
    t->conns = calloc(conn_cap, sizeof *t->conns);
    t->again = malloc(conn_cap * sizeof *t->again);
    if (!t->sessions || !t->free_sessions || !t->ready || !t->conns || !t->again ||
        stream_init(&t->s, conn_cap, &poll_stream_ops, t) != 0) {
        snprintf(err, err_cap, "out of memory (or epoll_create1: %s)", strerror(errno));
        poll_destroy(t);
        return NULL;
    }
    for (uint32_t i = 0; i < t->n_sessions; i++) {
        t->sessions[i].waiter = POLL_NONE;
        t->free_sessions[i] = t->n_sessions - 1 - i; /* session 0 first */
    }
    t->n_free = t->n_sessions;
    t->wait_end_us = UINT64_MAX;
    for (uint32_t i = 0; i < conn_cap; i++)
        t->conns[i].session = POLL_NONE;
    t->s.core = (struct relay_transport){
        .name = "poll",
        .message_max = POLL_FRAME_MAX,
        .forgeable = false,
        .modes = 1u << PROTO_MODE_TCP,
        .count_at_join = true,
    };
    if (stream_listen(&t->s, cfg, err, err_cap) != 0) {
        poll_destroy(t);
        return NULL;
    }
    /* Every connection is a request's, none a member's: the budget of
     * connections is the slots; when they run out the oldest of the
     * address holding the most gives way (stream_accept). */
    t->s.waiting_max = conn_cap;
    return t;
}

static void poll_destroy(void *ctx)
{
    struct relay_poll *t = ctx;
    if (!t)
        return;
    stream_free(&t->s); /* releases every connection first */
    for (uint32_t i = 0; t->sessions && i < t->n_sessions; i++) {
        free(t->sessions[i].out);
        free(t->sessions[i].held);
    }
    free(t->sessions);
    free(t->free_sessions);
    free(t->ready);
    free(t->conns);
    free(t->again);
    free(t);
}

const struct relay_transport_ops relay_poll_ops = {
    .name = "poll",
    .stream = true,
    .create = poll_create,
    .core = poll_core,
    .address = stream_op_address,
    .fd = stream_op_fd,
    .due = poll_due,
    .service = poll_service,
    .backlog = stream_op_backlog,
    .flush = poll_flush,
    .tick = poll_tick,
    .settled = poll_settled,
    .destroy = poll_destroy,
};
