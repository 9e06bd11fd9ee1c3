/* client_poll.c: the client library over the relay's HTTP polling edge
 * (RICOCHET_TRANSPORT_POLL, mode tcp; PROTOCOL.md, "HTTP polling"), for
 * a network that lets plain HTTP requests through and nothing else.
 *
 * Two keep-alive TCP connections, both made without waiting and serviced
 * from the session's poll: one carries the GETs (one out at a time: with
 * wait=MS a long poll the relay holds until something is queued; without,
 * a short poll every interval, empty answers included), the other the
 * POSTs (the join first, whose answer is the session's id; then every
 * frame queued since the last POST in one body, so a burst of states
 * costs one request) and, when the session closes, the DELETE that is
 * leaving. The messages are the TCP edge's frames (2 bytes of length,
 * big-endian, then the message) both ways. Answers are read strictly: a
 * status line of HTTP/1.x, a Content-Length, no chunks, Connection: close
 * honoured (the next request opens a new connection). Every buffer is
 * bounded; every request has a deadline; every failure (refused, an
 * answer not HTTP, 4xx and 5xx, the session gone, no answer in time)
 * ends the session with the library's reasons, in words that say what
 * to do. */
#include "client_transports_internal.h"
#include "client_stream_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "proto/byteorder.h"

#define POLL_PATH "/poll"
#define POLL_SID_LEN 40                 /* a session id's hex digits */
#define POLL_IN_CAP (CLIENT_POLL_HEAD_MAX + CLIENT_POLL_BODY_MAX)
#define POLL_BODY_MAX (16 * 1024)       /* a POST's body: what every edge takes */
#define POLL_QUEUED_MAX (256 * 1024)    /* frames waiting to be POSTed, at most */
#define POLL_REQUEST_HEAD_MAX 256       /* a request's head */
#define POLL_WAIT_STEP_MS 100           /* a step's wait, at most: the session's timers */

/* One keep-alive connection and the request on it. */
struct poll_conn {
    struct client_stream s;    /* fd -1: none open (the next request opens one) */
    bool connecting;           /* the handshake is not done: the request waits */
    bool busy;                 /* a request is out, its answer not whole yet */
    bool close_after;          /* the answer said Connection: close */
    bool retried;              /* the request went again on a new connection */
    unsigned served;           /* answers read on this connection */
    uint64_t due_us;           /* the answer is due by then */
    uint8_t *req;              /* the request (head and body), kept to send it again */
    size_t req_len, req_cap;
    uint8_t in[POLL_IN_CAP];   /* the answer, as read */
    size_t in_len;
};

struct client_poll {
    struct poll_conn get, post;
    int ep;                    /* epoll: both connections (ricochet_fd) */
    char sid[POLL_SID_LEN + 1]; /* "": not yet (the join's answer names it) */
    bool joining;              /* the join's POST is out */
    bool deleting;             /* the DELETE is out (closing) */
    bool hung;                 /* the session is over: no request any more */
    uint32_t wait_ms;          /* a GET's wait= (0: short polling) */
    uint32_t interval_ms;      /* short polling: a GET every interval */
    uint64_t next_get_us;      /* short polling: the next GET not before */
    uint64_t get_sent_us;      /* when the GET out now left */
    uint64_t asked_us;         /* ... the GET whose answer msgs holds (client_netinfo) */
    uint64_t requests, head_bytes; /* requests sent; their heads' and answers' heads' bytes */
    uint8_t *queued;           /* frames to POST, in order */
    size_t queued_len, queued_cap;
    size_t at, have;           /* msgs[at, have): a GET's frames not yet handed out */
    struct client_batch batch;
    uint8_t msgs[CLIENT_POLL_BODY_MAX];
};

/* ---- the connections ---- */

static void poll_conn_drop(struct client_poll *t, struct poll_conn *k)
{
    if (k->s.fd >= 0) {
        epoll_ctl(t->ep, EPOLL_CTL_DEL, k->s.fd, NULL);
        close(k->s.fd);
    }
    k->s.fd = -1;
    k->s.out_len = 0;
    k->in_len = 0;
    k->served = 0;
    k->connecting = k->close_after = false;
}

/* A new connection for k, made without waiting. Returns 0, or -1 with a
 * one-line message in err. */
static int poll_conn_open(struct ricochet *c, struct poll_conn *k, char *err, size_t err_cap)
{
    struct client_poll *t = c->tp;
    poll_conn_drop(t, k);
    if (client_stream_dial(c, &k->s, err, err_cap) != 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = k};
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, k->s.fd, &ev) != 0) {
        snprintf(err, err_cap, "epoll: %s", strerror(errno));
        return -1;
    }
    k->connecting = true;
    return 0;
}

/* Ends the session for a failed request (the relay's farewell, if one came,
 * says it better). */
static void poll_fail(struct ricochet *c, const char *code, const char *text)
{
    struct client_poll *t = c->tp;
    t->hung = true;
    client_connection_lost(c, code, text);
}

/* Sends k's request (as it stands in k->req): on its connection if one is
 * open, else on a new one once it is up. Returns 0, or -1 (ended). */
static int poll_conn_request(struct ricochet *c, struct poll_conn *k)
{
    char err[200];
    k->busy = true;
    k->in_len = 0;
    k->due_us = clock_now_us() + (uint64_t)c->timeout_ms * 1000u;
    if (k->s.fd < 0 || k->close_after) {
        if (poll_conn_open(c, k, err, sizeof err) != 0) {
            char text[PROTO_TEXT_MAX + 1];
            snprintf(text, sizeof text, "could not connect to the relay's polling edge: %.140s", err);
            poll_fail(c, RICOCHET_END_REFUSED, text);
            return -1;
        }
        return 0; /* sent once the connection is up */
    }
    if (k->connecting)
        return 0;
    if (client_stream_queue(&k->s, k->req, k->req_len) == 0 && client_stream_push(c, &k->s) == 0)
        return 0;
    if (k->served > 0 && !k->retried && poll_conn_open(c, k, err, sizeof err) == 0) {
        k->retried = true; /* the relay closed the idle keep-alive connection: a new one */
        return 0;
    }
    poll_fail(c, RICOCHET_END_DISCONNECTED, "the connection to the relay's polling edge failed");
    return -1;
}

/* Writes a request (method, the path's query, and body) into k->req and
 * sends it. Returns 0, or -1 (ended). */
static int poll_send(struct ricochet *c, struct poll_conn *k, const char *method,
                     const char *query, const uint8_t *body, size_t body_len)
{
    char head[POLL_REQUEST_HEAD_MAX];
    int n = snprintf(head, sizeof head, "%s " POLL_PATH "%s HTTP/1.1\r\nHost: %s:%u\r\n%s",
                     method, query, c->host, (unsigned)c->port,
                     body_len ? "Content-Type: application/octet-stream\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof head - 40)
        return -1;
    n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n\r\n", body_len);
    if (client_reserve(&k->req, &k->req_cap, (size_t)n + body_len) != 0)
        return -1;
    memcpy(k->req, head, (size_t)n);
    if (body_len)
        memcpy(k->req + n, body, body_len);
    k->req_len = (size_t)n + body_len;
    k->retried = false;
    struct client_poll *t = c->tp;
    t->requests++;
    t->head_bytes += (uint64_t)n;
    return poll_conn_request(c, k);
}

/* The whole frames at the head of what is queued, up to a POST's body. */
static size_t poll_post_take(const struct client_poll *t)
{
    size_t at = 0;
    while (at < t->queued_len) {
        size_t len = 2 + ((size_t)t->queued[at] << 8 | t->queued[at + 1]);
        if (at + len > POLL_BODY_MAX)
            break;
        at += len;
    }
    return at;
}

/* The next POST if none is out and frames wait: the join's (to /poll) before
 * the session has an id, then the session's. */
static void poll_post_next(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    if (t->hung || t->post.busy || t->queued_len == 0 || (!t->sid[0] && t->joining))
        return;
    size_t n = poll_post_take(t);
    char query[8 + POLL_SID_LEN] = "";
    if (t->sid[0])
        snprintf(query, sizeof query, "?s=%s", t->sid);
    else
        t->joining = true;
    if (poll_send(c, &t->post, "POST", query, t->queued, n) != 0)
        return;
    memmove(t->queued, t->queued + n, t->queued_len - n);
    t->queued_len -= n;
}

/* The next GET if none is out, what the last brought is handed out and,
 * short polling, its interval has passed. */
static void poll_get_next(struct ricochet *c, uint64_t now)
{
    struct client_poll *t = c->tp;
    if (t->hung || !t->sid[0] || t->get.busy || t->at < t->have || now < t->next_get_us)
        return;
    char query[64 + POLL_SID_LEN];
    if (t->wait_ms)
        snprintf(query, sizeof query, "?s=%s&wait=%u", t->sid, (unsigned)t->wait_ms);
    else
        snprintf(query, sizeof query, "?s=%s", t->sid);
    t->get_sent_us = now;
    if (poll_send(c, &t->get, "GET", query, NULL, 0) == 0)
        t->get.due_us += (uint64_t)t->wait_ms * 1000u; /* held that long at most */
}

/* The session over for an answer that is not 2xx: words that say what
 * happened and what to do. */
static void poll_refused(struct ricochet *c, const char *method, const struct client_http_answer *a,
                         const uint8_t *body)
{
    char said[48];
    size_t n = a->body_len < sizeof said - 1 ? a->body_len : sizeof said - 1;
    for (size_t i = 0; i < n; i++)
        said[i] = body[i] >= 0x20 && body[i] < 0x7f ? (char)body[i] : ' ';
    said[n] = '\0';
    while (n > 0 && said[n - 1] == ' ')
        said[--n] = '\0';
    char text[PROTO_TEXT_MAX + 1];
    const char *code = RICOCHET_END_DISCONNECTED;
    if (a->status == 404 || a->status == 410) {
        snprintf(text, sizeof text, "the relay ended the polling session (HTTP %d on %s): "
                 "connect again", a->status, method);
    } else if (a->status == 429 || a->status == 503) {
        code = RICOCHET_END_REFUSED;
        snprintf(text, sizeof text, "the relay's polling edge refused the session (HTTP %d%s%s): "
                 "%s", a->status, n ? ", " : "", said,
                 a->status == 429 ? "too many sessions from this address; close some"
                                  : "it is full; try later or another relay");
    } else {
        snprintf(text, sizeof text, "the relay's polling edge answered %s with HTTP %d%s%s: is "
                 "the port its poll:// edge?", method, a->status, n ? ", " : "", said);
    }
    poll_fail(c, code, text);
}

/* The POST connection's answer a (body at body): the join's id, a POST's
 * or the DELETE's 204. */
static void poll_post_answered(struct ricochet *c, const struct client_http_answer *a,
                               const uint8_t *body)
{
    struct client_poll *t = c->tp;
    if (t->deleting) {
        t->hung = true; /* left: nothing more to send */
        return;
    }
    if (t->joining && !t->sid[0]) {
        bool hex = a->body_len == POLL_SID_LEN;
        for (size_t i = 0; hex && i < POLL_SID_LEN; i++)
            hex = (body[i] >= '0' && body[i] <= '9') || (body[i] >= 'a' && body[i] <= 'f') ||
                  (body[i] >= 'A' && body[i] <= 'F');
        if (a->status != 200 || !hex) {
            if (a->status / 100 == 2)
                poll_fail(c, RICOCHET_END_DISCONNECTED, "the relay's polling edge answered "
                          "the join without a session id: is the port its poll:// edge?");
            else
                poll_refused(c, "the join", a, body);
            return;
        }
        memcpy(t->sid, body, POLL_SID_LEN);
        t->sid[POLL_SID_LEN] = '\0';
        t->joining = false;
        return;
    }
    if (a->status != 204 && a->status != 200)
        poll_refused(c, "a POST", a, body);
}

/* The GET connection's answer a: its frames, checked whole, to hand out. */
static void poll_get_answered(struct ricochet *c, const struct client_http_answer *a,
                              const uint8_t *body)
{
    struct client_poll *t = c->tp;
    if (a->status != 200) {
        poll_refused(c, "a GET", a, body);
        return;
    }
    for (size_t at = 0; at < a->body_len;) {
        size_t len = at + 2 <= a->body_len ? (size_t)body[at] << 8 | body[at + 1] : 0;
        if (len == 0 || at + 2 + len > a->body_len) {
            client_bad_message(c, "a GET's body not in whole frames", PROTO_E_VALUE);
            poll_fail(c, RICOCHET_END_DISCONNECTED, "the relay's polling edge sent a body not "
                      "in frames: is the port its poll:// edge?");
            return;
        }
        at += 2 + len;
    }
    memcpy(t->msgs, body, a->body_len);
    t->asked_us = t->get_sent_us;
    t->at = 0;
    t->have = a->body_len;
    uint64_t now = clock_now_us();
    client_heard(c, now); /* an empty answer too: the relay lives (a fleet's silence check) */
    t->next_get_us = t->wait_ms ? now : now + (uint64_t)t->interval_ms * 1000u;
}

/* Services k: its handshake, its request out, its answer in. Returns 1 if
 * an answer came, 0 if none, -1 if the session ended. */
static int poll_conn_service(struct ricochet *c, struct poll_conn *k, bool is_get)
{
    struct client_poll *t = c->tp;
    if (k->s.fd < 0 || t->hung)
        return 0;
    if (k->connecting) {
        int up = client_stream_connected(c, &k->s, 0);
        if (up < 0) {
            t->hung = true;
            return -1; /* refused: the session is dead */
        }
        if (up == 0)
            return 0;
        k->connecting = false;
        if (k->busy && client_stream_queue(&k->s, k->req, k->req_len) != 0)
            return poll_fail(c, RICOCHET_END_SOCKET, "out of memory"), -1;
    }
    if (k->s.out_len > 0 && client_stream_push(c, &k->s) != 0)
        return poll_fail(c, RICOCHET_END_DISCONNECTED,
                         "the connection to the relay's polling edge failed"), -1;
    if (!k->busy)
        return 0;
    ssize_t n = read(k->s.fd, k->in + k->in_len, sizeof k->in - k->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0) {
        if (k->in_len == 0 && k->served > 0 && !k->retried) {
            /* The relay closed a keep-alive connection as the request went:
             * the request goes again, once, on a new one. */
            char err[200];
            k->retried = true;
            poll_conn_drop(t, k);
            if (poll_conn_open(c, k, err, sizeof err) == 0)
                return 0;
        }
        char text[PROTO_TEXT_MAX + 1], addr[NETADDR_STR_MAX];
        snprintf(text, sizeof text, "%s closed the polling connection (%s): is it the relay's "
                 "poll edge?", netaddr_format(&c->relay, addr, sizeof addr),
                 n == 0 ? "before its answer" : strerror(errno));
        poll_fail(c, RICOCHET_END_DISCONNECTED, text);
        return -1;
    }
    k->in_len += (size_t)n;
    c->wire.bytes_received += (uint64_t)n;
    struct client_http_answer a;
    const char *why = "";
    int whole = client_poll_answer_parse(k->in, k->in_len, &a, &why);
    if (whole == 0)
        return 0;
    if (whole < 0) {
        char addr[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "the relay at %s answered no HTTP this library reads (%s): "
                 "is the port its poll:// edge?", netaddr_format(&c->relay, addr, sizeof addr),
                 why);
        poll_fail(c, RICOCHET_END_DISCONNECTED, text);
        return -1;
    }
    if (k->in_len > a.head_len + a.body_len) {
        poll_fail(c, RICOCHET_END_DISCONNECTED, "the relay's polling edge answered more than "
                  "was asked");
        return -1;
    }
    t->head_bytes += a.head_len;
    k->busy = false;
    k->served++;
    k->close_after = a.close;
    k->in_len = 0;
    if (is_get)
        poll_get_answered(c, &a, k->in + a.head_len);
    else
        poll_post_answered(c, &a, k->in + a.head_len);
    if (a.close && k->s.fd >= 0)
        poll_conn_drop(t, k);
    return c->phase == PHASE_DEAD ? -1 : 1;
}

/* Both connections serviced, then the next requests. Returns 1 if frames
 * came to hand out, 0 if none, -1 if the session ended. */
static int poll_pump(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    size_t had = t->have - t->at;
    if (poll_conn_service(c, &t->post, false) < 0 || poll_conn_service(c, &t->get, true) < 0)
        return -1;
    uint64_t now = clock_now_us();
    const struct poll_conn *late = t->post.busy && now > t->post.due_us ? &t->post
                                   : t->get.busy && now > t->get.due_us ? &t->get : NULL;
    if (late && !t->hung) {
        char text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "the relay's polling edge did not answer a %s in %u ms",
                 late == &t->get ? "GET" : "POST",
                 (unsigned)(c->timeout_ms + (late == &t->get ? t->wait_ms : 0)));
        poll_fail(c, RICOCHET_END_TIMEOUT, text);
        return -1;
    }
    poll_post_next(c);
    poll_get_next(c, now);
    if (c->phase == PHASE_DEAD)
        return -1;
    return t->have - t->at > had ? 1 : 0;
}

/* ---- the reader (client_step.c) ---- */

static int poll_next_frame(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_poll *t = c->tp;
    if (t->at >= t->have)
        return -1;
    const uint8_t *f = t->msgs + t->at;
    size_t len = be16_get(f); /* whole: poll_get_answered checked them */
    t->at += 2 + len;
    c->wire.dgrams_received++;
    return client_receive_arrived(c, &t->batch, f + 2, len, PROTO_CHANNEL_STREAM, 0,
                                  clock_now_us(), ev);
}

static int poll_more(struct ricochet *c)
{
    int rc = poll_pump(c);
    return rc > 0 ? 1 : rc == 0 ? 0 : -1;
}

static void poll_wait(struct ricochet *c, int wait_ms)
{
    struct client_poll *t = c->tp;
    struct pollfd p[2];
    nfds_t n = 0;
    const struct poll_conn *conns[2] = {&t->get, &t->post};
    for (int i = 0; i < 2; i++)
        if (conns[i]->s.fd >= 0)
            p[n++] = (struct pollfd){.fd = conns[i]->s.fd,
                                     .events = (short)(POLLIN | (conns[i]->connecting ||
                                                       conns[i]->s.out_len ? POLLOUT : 0))};
    int ms = wait_ms < POLL_WAIT_STEP_MS ? wait_ms : POLL_WAIT_STEP_MS;
    uint64_t now = clock_now_us();
    if (t->sid[0] && !t->get.busy && t->next_get_us > now &&
        (t->next_get_us - now) / 1000u < (uint64_t)ms)
        ms = (int)((t->next_get_us - now) / 1000u) + 1; /* the next short poll's time */
    poll(p, n, ms);
}

static const struct client_reader poll_reader = {.next = poll_next_frame, .more = poll_more,
                                                 .wait = poll_wait};

/* ---- the operations ---- */

static int poll_open(struct ricochet *c, const struct client_config *cfg, char *err,
                     size_t err_cap)
{
    (void)cfg; /* the waits are the session's (c->poll_*): a fleet's hop keeps them */
    struct client_poll *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    t->get.s.fd = t->post.s.fd = -1;
    /* a fleet's session takes a relay silent for rejoin_after for lost: an
       idle long poll is answered (empty) well before */
    t->wait_ms = c->poll_wait_ms ? client_ping_quiet_ms(c, c->poll_wait_ms) : 0;
    t->interval_ms = c->poll_interval_ms;
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    if (t->ep < 0) {
        snprintf(err, err_cap, "client: epoll: %s", strerror(errno));
        return -1;
    }
    /* Both connections now, in the caller's thread: its network namespace
     * is theirs (a harness makes its clients in another), and the GETs'
     * connection is up by the time the join's answer names the session. */
    char why[200];
    if (poll_conn_open(c, &t->post, why, sizeof why) != 0 ||
        poll_conn_open(c, &t->get, why, sizeof why) != 0) {
        snprintf(err, err_cap, "client: %s", why);
        return -1;
    }
    return 0;
}

/* Closing is leaving: what is queued and the DELETE go out on the POST
 * connection (in order, pipelined), and its answer is awaited within
 * DESTROY_WAIT_MS. */
static void poll_goodbye(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    uint64_t until = clock_now_us() + DESTROY_WAIT_MS * 1000u;
    while (!t->hung && (t->post.busy || t->queued_len > 0) && clock_now_us() < until) {
        if (poll_pump(c) < 0)
            return;
        if (t->post.busy)
            poll_wait(c, 10);
    }
    if (t->hung || t->post.busy || clock_now_us() >= until)
        return;
    char query[8 + POLL_SID_LEN];
    snprintf(query, sizeof query, "?s=%s", t->sid);
    t->deleting = true;
    if (poll_send(c, &t->post, "DELETE", query, NULL, 0) != 0)
        return;
    while (!t->hung && t->post.busy && clock_now_us() < until) {
        if (poll_conn_service(c, &t->post, false) < 0)
            return;
        if (t->post.busy)
            poll_wait(c, 10);
    }
}

static void poll_close(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    if (!t)
        return;
    if (t->sid[0] && !t->hung && c->phase != PHASE_DEAD)
        poll_goodbye(c);
    struct poll_conn *conns[2] = {&t->get, &t->post};
    for (int i = 0; i < 2; i++) {
        poll_conn_drop(t, conns[i]);
        free(conns[i]->s.out);
        free(conns[i]->req);
    }
    if (t->ep >= 0)
        close(t->ep);
    free(t->queued);
    free(t);
    c->tp = NULL;
}

static int poll_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    struct client_poll *t = c->tp;
    if (c->phase == PHASE_CONNECTING) {
        int up = client_stream_connected(c, &t->post.s, wait_ms < POLL_WAIT_STEP_MS
                                                            ? wait_ms : POLL_WAIT_STEP_MS);
        if (up < 0)
            t->hung = true;
        if (up <= 0)
            return 0;
        t->post.connecting = false;
        client_join_now(c); /* POSTed to /poll: its answer is the session's id */
        return 0;
    }
    return client_read_step(c, &t->batch, &poll_reader, wait_ms, ev);
}

static bool poll_ready(const struct ricochet *c)
{
    const struct client_poll *t = c->tp;
    return t && !t->hung && c->phase != PHASE_CONNECTING;
}

/* Queues one frame for the next POST (at once if none is out). Returns 0,
 * or -1 (the session is over, or too much waits: a relay that answers no
 * POST for seconds). */
static int poll_queue_frame(struct ricochet *c, const uint8_t *msg, size_t len)
{
    struct client_poll *t = c->tp;
    if (!t || t->hung || len == 0 || len > 65535)
        return -1;
    if (t->queued_len + 2 + len > POLL_QUEUED_MAX) {
        log_debug("client %s: %zu bytes wait to be POSTed: frame refused", c->name,
                  t->queued_len);
        return -1;
    }
    if (client_reserve(&t->queued, &t->queued_cap, t->queued_len + 2 + len) != 0)
        return -1;
    t->queued[t->queued_len] = (uint8_t)(len >> 8);
    t->queued[t->queued_len + 1] = (uint8_t)len;
    memcpy(t->queued + t->queued_len + 2, msg, len);
    t->queued_len += 2 + len;
    c->wire.dgrams_sent++;
    poll_post_next(c);
    return c->phase == PHASE_DEAD ? -1 : 0;
}

static void poll_hang_up(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    if (!t)
        return;
    t->hung = true;
    t->get.busy = t->post.busy = false;
    client_stream_hang_up(&t->get.s);
    client_stream_hang_up(&t->post.s);
}

static void poll_flush(struct ricochet *c)
{
    struct client_poll *t = c->tp;
    if (t && !t->hung && c->phase != PHASE_CONNECTING)
        poll_pump(c);
}

static int poll_fd(const struct ricochet *c)
{
    const struct client_poll *t = c->tp;
    return t ? t->ep : -1;
}

static int poll_socket(const struct ricochet *c)
{
    const struct client_poll *t = c->tp;
    return t ? t->get.s.fd : -1;
}

static int poll_socket_up(const struct ricochet *c)
{
    const struct client_poll *t = c->tp;
    return t ? t->post.s.fd : -1;
}

/* Every byte of both connections, heads included, is counted as it goes
 * (bytes_sent, bytes_received); here what asking costs of them, and when
 * the question went that the messages handed out now answer. */
static void poll_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_poll *t = c->tp;
    if (!t)
        return;
    info->http_requests = t->requests;
    info->http_head_bytes = t->head_bytes;
    info->poll_asked_us = t->asked_us;
}

const struct client_transport_ops client_poll_ops = {
    .caps = CLIENT_CAPS_TCP_FRAMES,
    .open = poll_open,
    .close = poll_close,
    .service = client_service,
    .step = poll_step,
    .ready = poll_ready,
    .send_control = poll_queue_frame, /* its states too: send_state NULL */
    .hang_up = poll_hang_up,
    .flush = poll_flush,
    .fd = poll_fd,
    .netinfo = poll_netinfo,
    .silent_us = client_stream_op_silent_us,
    .socket = poll_socket,
    .socket_up = poll_socket_up,
};
