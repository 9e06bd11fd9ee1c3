/* test_transport_ws.c: the WebSocket edge in process, HTTP and frames written
 * by hand: its files and refusals, the doors it hands on, and members over its
 * frames. */
/* The WebSocket edge in process with bare TCP sockets that
 * write HTTP and frames by hand: the play page's files (GET, HEAD), the
 * redirect, 404, 405, 400, 426 and 431, each counted `bad_http` and none a
 * peer, and an offer too long for a door no edge serves here 404 (the door
 * is absent to every method); a WebRTC offer handed to the edge that answers (a stand-in) with its
 * source address, its body in a later write, the ticket from `Authorization:
 * Bearer`, a refusal as 403, 404 without one; a page of an origin
 * `--allow-origin` names reading `GET /wt`, the offer's answer and its refusal
 * with `Access-Control-Allow-Origin` naming it, its preflight (`OPTIONS /rtc`)
 * answered 204 with the methods and headers taken, another origin or none
 * getting the same answers without them, the play page and `OPTIONS /play`
 * never; a join in the upgrade's own write, another in a text frame, a state
 * across stamped with its sender's id, a ping answered; a join in three
 * fragments around a ping; unmasked, fragmented-control and unknown-opcode
 * frames closed 1002, text not UTF-8 1007 (`bad_frame`), a message over
 * `--max-packet-size` (whole or in fragments) `too_big` then 1009, a ping flood
 * `rate_limited` then 1008, a state in a text frame dropped (`wrong_channel`),
 * two other members exchanging states throughout; `--max-half-open` (3)
 * connections that have not joined, a fourth from another address taking the
 * place of the oldest of the address holding two (closed without a word), not
 * of the oldest of all; a slowloris answered 408 at the join timeout */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/http/http_pages.h"
#include "relay/settings.h"
#include "relay/transport.h"
#include "relay/ws/transport_ws.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "tests/support/edge_turn.h"

#define WAIT_MS 3000
#define MAX_PACKET 512
#define HANDSHAKE_MS 400
#define ALLOWED "https://game.example" /* an origin --allow-origin names */

struct env {
    struct http_front *http; /* the relay's HTTP front, its pages on it */
    struct relay_ws *t;
    struct relay *r;
    uint16_t port;
};

static struct env E;

static int env_open(uint32_t max_half_open)
{
    char err[256];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = 16, .max_packet_size = MAX_PACKET,
        .timeout_ms = 10000, .max_half_open = max_half_open, .handshake_ms = HANDSHAKE_MS,
    };
    E.http = http_front_new(ALLOWED " http://127.0.0.1:8000");
    if (!E.http || http_pages_add(E.http) != 0)
        return -1;
    ncfg.http = E.http;
    E.t = relay_ws_ops.create(&ncfg, err, sizeof err);
    if (!E.t) {
        fprintf(stderr, "relay_ws_ops.create: %s\n", err);
        return -1;
    }
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 16;
    cfg.max_clients = 12;
    cfg.max_packet_size = MAX_PACKET;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay_transport tp = relay_ws_ops.core(E.t, 0);
    E.r = relay_create(&cfg, &tp, 1);
    const char *colon = strrchr(relay_ws_ops.address(E.t), ':');
    E.port = (uint16_t)atoi(colon + 1);
    return E.r ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    return env_open(0);
}

static int teardown(void **state)
{
    (void)state;
    relay_destroy(E.r);
    relay_ws_ops.destroy(E.t);
    http_front_free(E.http);
    return 0;
}

static void pump(void)
{
    assert_true(edge_turn(&relay_ws_ops, E.t, E.r, 1) >= 0);
    edge_periodic(&relay_ws_ops, E.t, E.r);
}

static uint64_t drops(enum relay_drop why)
{
    return relay_stats(E.r)->drops[why];
}

/* ---- a client by hand --------------------------------------------------- */

struct client {
    int fd;
    uint8_t in[1 << 17];
    size_t len, at;          /* received; read up to at */
    bool closed;             /* the relay ended the stream */
};

/* A connection from the loopback address from ("127.0.0.x"; NULL: the
 * kernel's choice). */
static struct client *client_from(const char *from, int rcvbuf)
{
    struct client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int on = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (from) {
        assert_int_equal(inet_pton(AF_INET, from, &a.sin_addr), 1);
        assert_int_equal(bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    a.sin_port = htons(E.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    return c;
}

static struct client *client_new(int rcvbuf)
{
    return client_from(NULL, rcvbuf);
}

static void client_free(struct client *c)
{
    close(c->fd);
    free(c);
}

static void put(struct client *c, const void *bytes, size_t len)
{
    assert_int_equal(send(c->fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Pumps once and reads what came. */
static void pull(struct client *c)
{
    pump();
    while (!c->closed && c->len < sizeof c->in) {
        ssize_t n = recv(c->fd, c->in + c->len, sizeof c->in - c->len, MSG_DONTWAIT);
        if (n > 0)
            c->len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            c->closed = true;
        else
            break;
    }
}

/* An HTTP answer: everything until the relay closes. */
static const char *http(const char *request, size_t len)
{
    struct client *c = client_new(0);
    put(c, request, len);
    uint64_t end = clock_now_us() + WAIT_MS * 1000ull;
    while (!c->closed && clock_now_us() < end)
        pull(c);
    assert_true(c->closed);
    static char out[1 << 17];
    memcpy(out, c->in, c->len);
    out[c->len] = '\0';
    client_free(c);
    return out;
}

#define UPGRADE                                                                               \
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"   \
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"

/* A client frame: masked (unless mask is false) with the key 1 2 3 4. */
static size_t frame(uint8_t *out, bool fin, int op, bool mask, const void *payload, size_t n)
{
    size_t at = 0;
    out[at++] = (uint8_t)((fin ? 0x80 : 0) | op);
    uint8_t m = mask ? 0x80 : 0;
    if (n < 126) {
        out[at++] = (uint8_t)(m | n);
    } else {
        out[at++] = (uint8_t)(m | 126);
        out[at++] = (uint8_t)(n >> 8);
        out[at++] = (uint8_t)n;
    }
    static const uint8_t key[4] = {1, 2, 3, 4};
    if (mask) {
        memcpy(out + at, key, 4);
        at += 4;
    }
    for (size_t i = 0; i < n; i++)
        out[at + i] = (uint8_t)(((const uint8_t *)payload)[i] ^ (mask ? key[i % 4] : 0));
    return at + n;
}

static void send_frame(struct client *c, bool fin, int op, bool mask, const void *p, size_t n)
{
    uint8_t buf[1 << 12];
    assert_true(n + 14 <= sizeof buf);
    put(c, buf, frame(buf, fin, op, mask, p, n));
}

/* The next server frame (opcode into *op, payload copied, NUL-terminated)
 * within ms. Returns its length, -1 at the timeout, -2 once closed. */
static ssize_t next_frame(struct client *c, int *op, uint8_t *payload, size_t cap, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    for (;;) {
        size_t have = c->len - c->at;
        const uint8_t *f = c->in + c->at;
        if (have >= 2) {
            size_t n = f[1] & 0x7f, head = 2;
            if (n == 126 && have >= 4) {
                n = (size_t)f[2] << 8 | f[3];
                head = 4;
            }
            assert_false(f[1] & 0x80); /* a server's frames are never masked */
            if (n < 126 || head == 4) {
                if (have >= head + n) {
                    assert_true(n < cap);
                    *op = f[0] & 0x0f;
                    memcpy(payload, f + head, n);
                    payload[n] = 0;
                    c->at += head + n;
                    return (ssize_t)n;
                }
            }
        }
        if (c->closed)
            return -2;
        if (clock_now_us() > end)
            return -1;
        pull(c);
    }
}

/* Upgrades c: the 101 with RFC 6455's accept, anything after it kept. */
static void upgrade(struct client *c, const void *more, size_t more_len)
{
    char req[1024];
    memcpy(req, UPGRADE, sizeof UPGRADE - 1);
    if (more_len)
        memcpy(req + sizeof UPGRADE - 1, more, more_len);
    put(c, req, sizeof UPGRADE - 1 + more_len);
    uint64_t end = clock_now_us() + WAIT_MS * 1000ull;
    const uint8_t *head_end = NULL;
    while (!(head_end = memmem(c->in, c->len, "\r\n\r\n", 4)) && clock_now_us() < end)
        pull(c);
    assert_non_null(head_end);
    assert_memory_equal(c->in, "HTTP/1.1 101 ", 13);
    assert_non_null(memmem(c->in, c->len, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                           52));
    c->at = (size_t)(head_end - c->in) + 4;
}

/* Waits for a data message holding want (skipping others). */
static bool wait_message(struct client *c, const char *want, int ms)
{
    uint8_t p[1 << 16];
    int op;
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < end) {
        ssize_t n = next_frame(c, &op, p, sizeof p, 50);
        if (n == -2)
            return false;
        if (n >= 0 && (op == 1 || op == 2) && memmem(p, (size_t)n, want, strlen(want)))
            return true;
    }
    return false;
}

/* Waits for the relay's close frame; its code, or -1 without one in time. */
static int wait_close(struct client *c, int ms)
{
    uint8_t p[1 << 16];
    int op;
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < end) {
        ssize_t n = next_frame(c, &op, p, sizeof p, 50);
        if (n == -2)
            return -1;
        if (n >= 2 && op == 8)
            return p[0] << 8 | p[1];
    }
    return -1;
}

static bool closed_within(struct client *c, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (!c->closed && clock_now_us() < end)
        pull(c);
    return c->closed;
}

#define JOIN(name) "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":\"" name "\"}"

/* A client upgraded and joined (its join in a binary frame). */
static struct client *member(const char *join)
{
    struct client *c = client_new(0);
    upgrade(c, NULL, 0);
    send_frame(c, true, 2, true, join, strlen(join));
    assert_true(wait_message(c, "\"welcome\"", WAIT_MS));
    return c;
}

/* ---- the HTTP front ------------------------------------------------------ */

static void http_routes(void **state)
{
    (void)state;
    uint64_t bad = drops(RELAY_DROP_BAD_HTTP);
    const char *a = http("GET /play HTTP/1.1\r\nHost: x\r\n\r\n", 31);
    assert_non_null(strstr(a, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(a, "Content-Type: text/html; charset=utf-8\r\n"));
    const char *body = strstr(a, "\r\n\r\n") + 4;
    assert_int_equal(strlen(body), http_play_html_len);
    assert_memory_equal(body, http_play_html, http_play_html_len);
    a = http("HEAD /ricochet.js HTTP/1.1\r\n\r\n", 30);
    assert_non_null(strstr(a, "text/javascript"));
    assert_string_equal(strstr(a, "\r\n\r\n"), "\r\n\r\n"); /* no body */
    assert_int_equal(drops(RELAY_DROP_BAD_HTTP), bad);
    a = http("GET / HTTP/1.1\r\n\r\n", 18);
    assert_non_null(strstr(a, "HTTP/1.1 302 Found\r\n"));
    assert_non_null(strstr(a, "Location: /play\r\n"));
    static const struct {
        const char *request, *status;
    } errors[] = {
        {"GET /nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "},
        {"PUT /play HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "},
        {"hello there\r\n\r\n", "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
         "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         "HTTP/1.1 426 "},
        /* no webrtc edge in this relay: the door is absent, whatever the offer */
        {"POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 20000\r\n\r\n",
         "HTTP/1.1 404 "},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        a = http(errors[i].request, strlen(errors[i].request));
        if (strncmp(a, errors[i].status, strlen(errors[i].status)) != 0)
            fail_msg("%s: answered %.40s", errors[i].request, a);
    }
    /* a head that never ends within 8 KiB */
    char big[9000];
    int n = snprintf(big, sizeof big, "GET /play HTTP/1.1\r\n");
    while ((size_t)n + 110 < sizeof big)
        n += snprintf(big + n, sizeof big - (size_t)n, "X-Pad: %0100d\r\n", n);
    a = http(big, (size_t)n);
    assert_memory_equal(a, "HTTP/1.1 431 ", 13);
    assert_int_equal(drops(RELAY_DROP_BAD_HTTP), bad + 6);
    assert_int_equal(relay_clients(E.r), 0); /* none of them a peer */
}

/* A stand-in for the webrtc edge's POST /rtc route: answers "answer to "
 * + the offer, or refuses an offer that says so; notes the pass and where
 * the offer came from. */
static char fake_pass[64], fake_from[RELAY_ADDR_MAX];

static void fake_offer(void *ctx, const struct http_req *req, const char *body,
                       struct http_conn *c)
{
    (void)ctx;
    char pass[HTTP_PASS_MAX + 1], answer[64];
    assert_true(http_bearer(req->authorization, pass));
    snprintf(fake_pass, sizeof fake_pass, "%.63s", pass[0] ? pass : "(none)");
    netaddr_format(c->from, fake_from, sizeof fake_from);
    size_t len = (size_t)req->content_length;
    if (len >= 6 && memcmp(body, "refuse", 6) == 0) {
        const char *why = "403 Forbidden: no ticket\n";
        http_reply(c, req, 403, "text/plain; charset=utf-8", NULL, why, strlen(why));
        return;
    }
    int n = snprintf(answer, sizeof answer, "answer to %.*s", (int)len, body);
    http_reply(c, req, 201, "application/sdp", "Location: /rtc\r\n", answer, (size_t)n);
}

static void offers_go_to_the_answering_edge(void **state)
{
    (void)state;
    const char *post = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                       "Content-Length: 9\r\nAuthorization: Bearer PASS1\r\n\r\nv=0 offer";
    const char *a = http(post, strlen(post));
    assert_memory_equal(a, "HTTP/1.1 404 ", 13); /* no webrtc edge */
    assert_non_null(strstr(a, "this relay has no WebRTC edge"));
    static int answerer;
    assert_int_equal(http_front_serve(E.http, HTTP_POST, "/rtc", fake_offer, &answerer), 0);
    /* the body in a write of its own, after the head */
    struct client *c = client_new(0);
    const char *head = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                       "Content-Length: 9\r\nAuthorization: Bearer PASS1\r\n\r\n";
    put(c, head, strlen(head));
    for (int i = 0; i < 20; i++)
        pull(c);
    put(c, "v=0 offer", 9);
    uint64_t end = clock_now_us() + WAIT_MS * 1000ull;
    while (!c->closed && clock_now_us() < end)
        pull(c);
    c->in[c->len] = 0;
    assert_non_null(strstr((char *)c->in, "HTTP/1.1 201 Created\r\n"));
    assert_non_null(strstr((char *)c->in, "Content-Type: application/sdp\r\n"));
    assert_non_null(strstr((char *)c->in, "\r\n\r\nanswer to v=0 offer"));
    assert_string_equal(fake_pass, "PASS1");
    char from[RELAY_ADDR_MAX];
    struct sockaddr_in me;
    socklen_t me_len = sizeof me;
    assert_int_equal(getsockname(c->fd, (struct sockaddr *)&me, &me_len), 0);
    snprintf(from, sizeof from, "127.0.0.1:%u", ntohs(me.sin_port));
    assert_string_equal(fake_from, from); /* the offer's own source */
    client_free(c);
    const char *refused = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                          "Content-Length: 6\r\n\r\nrefuse";
    a = http(refused, strlen(refused));
    assert_memory_equal(a, "HTTP/1.1 403 ", 13);
    assert_non_null(strstr(a, "no ticket"));
    assert_string_equal(fake_pass, "(none)");
    /* a second edge's route on the same door: the first keeps it */
    assert_int_equal(http_front_serve(E.http, HTTP_POST, "/rtc", fake_offer, NULL), -1);
}

/* A stand-in for the quic edge's GET /wt route: where its sessions open. */
static void fake_where(void *ctx, const struct http_req *req, const char *body,
                       struct http_conn *c)
{
    (void)ctx, (void)body;
    const char *json = "{\"port\":7781,\"path\":\"/wt\",\"hashes\":[]}";
    http_reply(c, req, 200, "application/json", "Cache-Control: no-store\r\n", json,
               strlen(json));
}

/* The answer to request from origin (NULL: no Origin header). */
static const char *from_origin(const char *request, const char *origin)
{
    char req[512];
    const char *end = strstr(request, "\r\n") + 2;
    int n = snprintf(req, sizeof req, "%.*s%s%s%s%s", (int)(end - request), request,
                     origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "", end);
    return http(req, (size_t)n);
}

/* A page served from the game's own site reads GET /wt and POSTs its
 * offer to /rtc across origins: the answers name its origin in
 * Access-Control-Allow-Origin when --allow-origin names it, and a
 * preflight says what it may send; another origin gets no such line. */
static void cors_for_the_origins_named(void **state)
{
    (void)state;
    static int wt, answerer;
    uint64_t bad = drops(RELAY_DROP_BAD_HTTP);
    const char *get = "GET /wt HTTP/1.1\r\nHost: relay.example:7780\r\n\r\n";
    /* without a quic edge, the page can read why */
    const char *a = from_origin(get, ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 404 ", 13);
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: " ALLOWED "\r\n"));
    assert_int_equal(http_front_serve(E.http, HTTP_GET, "/wt", fake_where, &wt), 0);
    http_front_serve(E.http, HTTP_POST, "/rtc", fake_offer, &answerer); /* if not yet */
    a = from_origin(get, ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 200 OK\r\n", 17);
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: " ALLOWED "\r\n"));
    assert_non_null(strstr(a, "\r\nVary: Origin\r\n"));
    assert_non_null(strstr(a, "\r\n\r\n{\"port\":7781,"));
    a = from_origin(get, "http://127.0.0.1:8000");
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: http://127.0.0.1:8000\r\n"));
    static const char *const others[] = {"https://evil.example", "https://game.example.evil",
                                          "null", NULL};
    for (int k = 0; k < 4; k++) {
        a = from_origin(get, others[k]);
        assert_memory_equal(a, "HTTP/1.1 200 OK\r\n", 17); /* answered, not readable there */
        if (strstr(a, "Access-Control-"))
            fail_msg("origin %s: %s", others[k] ? others[k] : "(none)", a);
    }
    /* the preflight of a POST /rtc with its type and ticket */
    const char *pre = "OPTIONS /rtc HTTP/1.1\r\nAccess-Control-Request-Method: POST\r\n"
                      "Access-Control-Request-Headers: authorization, content-type\r\n\r\n";
    a = from_origin(pre, ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 204 No Content\r\n", 25);
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: " ALLOWED "\r\n"));
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Methods: GET, HEAD, POST\r\n"));
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Headers: Content-Type, Authorization\r\n"));
    a = from_origin(pre, "https://evil.example");
    assert_memory_equal(a, "HTTP/1.1 204 No Content\r\n", 25);
    assert_null(strstr(a, "Access-Control-"));
    /* the offer's answer, and its refusal, readable by the page */
    const char *post = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                       "Content-Length: 9\r\n\r\nv=0 offer";
    a = from_origin(post, ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 201 Created\r\n", 22);
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: " ALLOWED "\r\n"));
    const char *refused = "POST /rtc HTTP/1.1\r\nContent-Type: application/sdp\r\n"
                          "Content-Length: 6\r\n\r\nrefuse";
    a = from_origin(refused, ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 403 ", 13);
    assert_non_null(strstr(a, "\r\nAccess-Control-Allow-Origin: " ALLOWED "\r\n"));
    /* the play page is the relay's own: no CORS there, and no preflight */
    a = from_origin("GET /play HTTP/1.1\r\n\r\n", ALLOWED);
    assert_null(strstr(a, "Access-Control-"));
    a = from_origin("OPTIONS /play HTTP/1.1\r\n\r\n", ALLOWED);
    assert_memory_equal(a, "HTTP/1.1 405 ", 13);
    assert_int_equal(drops(RELAY_DROP_BAD_HTTP), bad + 3); /* the 404, the 403, the 405 */
}

/* ---- WebSocket members ----------------------------------------------------- */

/* A join sent with the upgrade request, in one write; another in a text
 * frame; a state from one reaches the other stamped with its id; a ping
 * is answered. */
static void members_and_states(void **state)
{
    (void)state;
    uint8_t first[256];
    size_t n = frame(first, true, 2, true, JOIN("early"), strlen(JOIN("early")));
    struct client *a = client_new(0);
    upgrade(a, first, n);
    assert_true(wait_message(a, "\"welcome\"", WAIT_MS));
    struct client *b = client_new(0);
    upgrade(b, NULL, 0);
    send_frame(b, true, 1, true, JOIN("texty"), strlen(JOIN("texty")));
    assert_true(wait_message(b, "\"welcome\"", WAIT_MS));
    assert_true(wait_message(a, "\"joined\"", WAIT_MS));
    assert_int_equal(relay_members(E.r), 2);

    struct proto_state s = {.seq = 7, .x = 1, .y = 2};
    uint8_t bytes[PROTO_STATE_SIZE];
    assert_int_equal(proto_state_encode(bytes, sizeof bytes, &s), PROTO_STATE_SIZE);
    send_frame(a, true, 2, true, bytes, sizeof bytes);
    uint8_t p[1 << 16];
    int op;
    ssize_t got;
    do
        got = next_frame(b, &op, p, sizeof p, WAIT_MS);
    while (got > 0 && p[0] == '{');
    assert_int_equal(got, PROTO_STATE_SIZE);
    assert_int_equal(op, 2); /* binary */
    struct proto_state back;
    assert_int_equal(proto_state_decode(p, (size_t)got, &back), 0);
    assert_int_equal(back.seq, 7);
    assert_true(back.sender != 0);
    assert_int_equal(relay_stats(E.r)->states_in_mode[PROTO_MODE_WS], 1);

    send_frame(b, true, 9, true, "hi", 2);
    do
        got = next_frame(b, &op, p, sizeof p, WAIT_MS);
    while (got >= 0 && op != 10);
    assert_int_equal(got, 2);
    assert_memory_equal(p, "hi", 2);
    client_free(a);
    client_free(b);
    for (int i = 0; i < 50 && relay_clients(E.r) > 0; i++)
        pump();
    assert_int_equal(relay_clients(E.r), 0);
}

/* A join in three fragments, a ping between them: reassembled whole. */
static void fragments_are_reassembled(void **state)
{
    (void)state;
    struct client *c = client_new(0);
    upgrade(c, NULL, 0);
    const char *join = JOIN("pieces");
    size_t len = strlen(join);
    send_frame(c, false, 2, true, join, 10);
    send_frame(c, false, 0, true, join + 10, 10);
    send_frame(c, true, 9, true, "p", 1);
    send_frame(c, true, 0, true, join + 20, len - 20);
    assert_true(wait_message(c, "\"welcome\"", WAIT_MS));
    client_free(c);
}

/* ---- bad input ------------------------------------------------------------ */

/* A state from `from` reaches `to` (the session of each goes on). */
static void still_served(struct client *from, struct client *to)
{
    struct proto_state s = {.seq = 99};
    uint8_t bytes[PROTO_STATE_SIZE];
    proto_state_encode(bytes, sizeof bytes, &s);
    send_frame(from, true, 2, true, bytes, sizeof bytes);
    uint8_t p[1 << 16];
    int op;
    ssize_t got;
    do
        got = next_frame(to, &op, p, sizeof p, WAIT_MS);
    while (got > 0 && p[0] == '{');
    assert_int_equal(got, PROTO_STATE_SIZE);
}

/* Each bad frame closes its own connection with its code, counted; two
 * honest members keep exchanging states. */
static void bad_frames_are_closed_with_their_code(void **state)
{
    (void)state;
    struct client *h1 = member(JOIN("honest1")), *h2 = member(JOIN("honest2"));
    static uint8_t big[MAX_PACKET + 1], half[MAX_PACKET / 2 + 10];
    memset(big, 0x01, sizeof big);
    memset(half, 0x01, sizeof half);
    static const uint8_t bad_utf8[] = {'{', 0xc3, 0x28, '}'};
    static const struct {
        const char *what;
        bool fin;
        int op;
        bool mask;
        const void *p;
        size_t n;
        int code;
        enum relay_drop counted;
        const char *error; /* the error message before the close, or NULL */
    } cases[] = {
        {"unmasked", true, 2, false, "x", 1, 1002, RELAY_DROP_BAD_FRAME, NULL},
        {"fragmented ping", false, 9, true, "p", 1, 1002, RELAY_DROP_BAD_FRAME, NULL},
        {"unknown opcode", true, 3, true, "x", 1, 1002, RELAY_DROP_BAD_FRAME, NULL},
        {"text not UTF-8", true, 1, true, bad_utf8, sizeof bad_utf8, 1007,
         RELAY_DROP_BAD_FRAME, NULL},
        {"too big", true, 2, true, big, sizeof big, 1009, RELAY_DROP_TOO_BIG, "too_big"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct client *c = member(JOIN("bad"));
        uint64_t before = drops(cases[i].counted);
        send_frame(c, cases[i].fin, cases[i].op, cases[i].mask, cases[i].p, cases[i].n);
        if (cases[i].error && !wait_message(c, cases[i].error, WAIT_MS))
            fail_msg("%s: no error %s", cases[i].what, cases[i].error);
        int code = wait_close(c, WAIT_MS);
        if (code != cases[i].code)
            fail_msg("%s: closed %d, not %d", cases[i].what, code, cases[i].code);
        assert_true(closed_within(c, WAIT_MS));
        assert_int_equal(drops(cases[i].counted), before + 1);
        client_free(c);
        still_served(h1, h2);
    }
    /* two fragments over the bound together */
    struct client *c = member(JOIN("frag"));
    send_frame(c, false, 2, true, half, sizeof half);
    send_frame(c, true, 0, true, half, sizeof half);
    assert_true(wait_message(c, "too_big", WAIT_MS));
    assert_int_equal(wait_close(c, WAIT_MS), 1009);
    client_free(c);
    /* a ping flood */
    c = member(JOIN("pinger"));
    for (int k = 0; k < WS_PINGS_MAX + 1; k++)
        send_frame(c, true, 9, true, "x", 1);
    assert_true(wait_message(c, "rate_limited", WAIT_MS));
    assert_int_equal(wait_close(c, WAIT_MS), 1008);
    client_free(c);
    /* a state in a text frame: dropped, the session goes on */
    c = member(JOIN("text"));
    uint64_t wrong = drops(RELAY_DROP_WRONG_CHANNEL);
    send_frame(c, true, 1, true, "\x01\x01", 2);
    for (int k = 0; k < 20; k++)
        pull(c);
    assert_int_equal(drops(RELAY_DROP_WRONG_CHANNEL), wrong + 1);
    still_served(c, h1);
    client_free(c);
    still_served(h2, h1);
    client_free(h1);
    client_free(h2);
}

/* Not upgraded: at most --max-half-open (3) at once, a newcomer taking
 * the place of the oldest of the address that holds the most (closed
 * without a word, counted): not the oldest of all, whose address holds
 * one; each left closed after the join timeout with 408, a slowloris
 * too. */
static void half_open_connections_are_bounded(void **state)
{
    (void)state;
    teardown(NULL);
    assert_int_equal(env_open(3), 0);
    uint64_t half = drops(RELAY_DROP_HALF_OPEN);
    uint64_t start = clock_now_us();
    struct client *a = client_from("127.0.0.2", 0), *b = client_from("127.0.0.3", 0);
    for (int k = 0; k < 5; k++)
        pull(a);
    struct client *c = client_from("127.0.0.3", 0);
    for (int k = 0; k < 5; k++)
        pull(a);
    struct client *d = client_from("127.0.0.1", 0);
    assert_true(closed_within(b, WAIT_MS)); /* 127.0.0.3 holds the most: its oldest */
    assert_int_equal(b->len, 0);
    assert_false(a->closed || c->closed || d->closed);
    assert_int_equal(drops(RELAY_DROP_HALF_OPEN), half + 1);
    const char *head = "GET /play HTTP/1.1\r\nX-Slow: ";
    put(a, head, strlen(head));
    while (!a->closed && clock_now_us() - start < WAIT_MS * 1000ull) {
        put(a, "z", 1); /* a header a byte at a time, never ending */
        for (int k = 0; k < 5; k++)
            pull(a);
    }
    uint64_t took_ms = (clock_now_us() - start) / 1000;
    assert_true(a->closed);
    print_message("slowloris closed after %llu ms\n", (unsigned long long)took_ms);
    assert_true(took_ms >= HANDSHAKE_MS - 50 && took_ms < HANDSHAKE_MS + 1500);
    a->in[a->len] = 0;
    assert_non_null(strstr((char *)a->in, "HTTP/1.1 408 "));
    assert_true(closed_within(c, WAIT_MS));
    assert_true(closed_within(d, WAIT_MS));
    assert_int_equal(drops(RELAY_DROP_HALF_OPEN), half + 4);
    client_free(a);
    client_free(b);
    client_free(c);
    client_free(d);
    for (int k = 0; k < 100 && E.t->half_open; k++)
        pump(); /* each gone once its client closed too */
    assert_int_equal(E.t->half_open, 0);
    struct client *e = member(JOIN("after")); /* room again */
    client_free(e);
    teardown(NULL);
    assert_int_equal(env_open(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_routes),
        cmocka_unit_test(offers_go_to_the_answering_edge),
        cmocka_unit_test(cors_for_the_origins_named),
        cmocka_unit_test(members_and_states),
        cmocka_unit_test(fragments_are_reassembled),
        cmocka_unit_test(bad_frames_are_closed_with_their_code),
        cmocka_unit_test(half_open_connections_are_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
