/* attack.c: connections that never become members (see attack.h). */
#include "attack.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "rtc/rtc_peer.h"
#include "sys/clock.h"
#include "sys/netaddr.h"
#include "forger.h"
#include "streams.h"

#define ATTACK_MAX 64 /* connections one attack holds */

extern char **environ;

/* One connection of an attack. */
struct conn {
    bool used, open, closed;
    int fd;                  /* a datagram socket, or -1 */
    struct streams_conn *s;  /* a stream's */
    ENetHost *host;          /* enet, silent */
    struct ricochet *c;      /* udp, silent: a member that never speaks again */
    struct rtc_peer *p;      /* webrtc, silent */
    char *answer;            /* ... its offer's answer as it comes (ANSWER_MAX), NULL: read */
    size_t answer_len;
    pid_t pid;               /* quic, silent: a gtlsclient */
};

#define ANSWER_MAX 8192

struct attack {
    enum attack_kind kind;
    const char *edge;
    uint16_t port, offers;
    unsigned per_s, max, n;
    uint64_t t0_ms;
    unsigned opened, closed;
    struct conn c[ATTACK_MAX];
};

static const char *const edges[] = {"enet", "udp", "tcp", "ws", "wss", "webrtc", "quic", "wt",
                                    "poll", NULL};

struct attack *attack_new(enum attack_kind kind, const char *edge, uint16_t port,
                          uint16_t offers, unsigned per_s, unsigned max)
{
    size_t i = 0;
    while (edges[i] && strcmp(edges[i], edge))
        i++;
    if (!edges[i])
        return NULL;
    struct attack *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    *a = (struct attack){.kind = kind, .edge = edges[i], .port = port, .offers = offers,
                         .per_s = per_s, .max = max < ATTACK_MAX ? max : ATTACK_MAX};
    return a;
}

/* A datagram socket from 127.0.0.(2 + k % 200), connected to the relay. */
static int udp_from(unsigned k, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(0x7f000002u + k % 200);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, (struct sockaddr *)&a, sizeof a);
    return fd;
}

size_t attack_quic_initial(uint8_t *b, unsigned k)
{
    size_t n = 0;
    b[n++] = 0xc0; /* long header, Initial, a 1-byte packet number */
    b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = 1;
    b[n++] = 8; /* a Destination Connection ID of 8 bytes */
    for (int i = 0; i < 8; i++)
        b[n++] = (uint8_t)(k >> (i % 4 * 8)) ^ (uint8_t)(0x5a + i);
    b[n++] = 0; /* no Source Connection ID */
    b[n++] = 0; /* no token */
    size_t len = 1200 - n - 2;
    b[n++] = (uint8_t)(0x40 | len >> 8), b[n++] = (uint8_t)len; /* its length */
    memset(b + n, 0, len); /* packet number, a payload no one opens */
    return 1200;
}

/* The half-open connection k: its first bytes, and never more. */
static void open_half(struct attack *a, struct conn *c, unsigned k)
{
    uint8_t b[1500];
    static const char http[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00}; /* a ClientHello's record */
    char from[20];
    snprintf(from, sizeof from, "127.0.0.%u", 2 + k % 200);
    c->fd = -1;
    if (!strcmp(a->edge, "enet") || !strcmp(a->edge, "udp") || !strcmp(a->edge, "quic") ||
        !strcmp(a->edge, "wt")) {
        c->fd = udp_from(k, a->port);
        size_t n = !strcmp(a->edge, "enet") ? forger_put_connect(b, 0x4a000000u + k)
                   : !strcmp(a->edge, "udp")
                       ? (size_t)snprintf((char *)b, sizeof b,
                                          "{\"type\":\"join\",\"version\":3,\"room\":\"h\","
                                          "\"name\":\"h%u\",\"mode\":\"udp\"}", k)
                       : attack_quic_initial(b, k);
        c->open = c->fd >= 0 && send(c->fd, b, n, 0) == (ssize_t)n;
    } else if (!strcmp(a->edge, "webrtc")) {
        c->open = false; /* offers: below */
    } else {
        c->s = calloc(1, sizeof *c->s);
        if (c->s && (c->s->fd = streams_connect(from, a->port)) >= 0) {
            bool plain_http = !strcmp(a->edge, "ws") || !strcmp(a->edge, "poll");
            const void *first = !strcmp(a->edge, "tcp") ? (const void *)"\x01" : plain_http ? (const void *)http : (const void *)tls;
            size_t n = !strcmp(a->edge, "tcp") ? 1 : plain_http ? sizeof http - 1 : sizeof tls;
            c->open = send(c->s->fd, first, n, MSG_NOSIGNAL) == (ssize_t)n;
        }
    }
}

/* An HTTP request on a connection of its own from `from` (NULL: any) to
 * 127.0.0.1:port, sent at once and never waited for (the test's loop must
 * not stop: its members read in it). Returns the stream, or NULL. */
static struct streams_conn *request(const char *from, uint16_t port, const char *req,
                                    size_t len)
{
    struct streams_conn *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = streams_connect(from, port);
    if (s->fd < 0 || send(s->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
        streams_close(s);
        free(s);
        return NULL;
    }
    return s;
}

/* A WebRTC offer's request (one peer's offer, for every session: the relay
 * answers each as a new one), made once. */
static const char *offer_request(void)
{
    static char request[8192];
    if (request[0])
        return request;
    static const struct rtc_peer_ops none = {0};
    union netaddr self;
    char err[160];
    if (netaddr_resolve("127.0.0.1", 9, &self, err, sizeof err) != 0)
        return NULL;
    struct rtc_peer *p = rtc_peer_new(&self, &none, NULL, err, sizeof err);
    if (!p)
        return NULL;
    const char *sdp = rtc_peer_offer(p);
    snprintf(request, sizeof request,
             "POST /rtc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(sdp), sdp);
    rtc_peer_free(p);
    return request;
}

/* ---- silent: the handshake finished, then nothing ------------------------ */

static void rtc_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct conn *c = ctx;
    sendto(c->fd, data, len, 0, &to->sa, netaddr_len(to));
}

static void rtc_open(void *ctx)
{
    ((struct conn *)ctx)->open = true;
}

static void rtc_closed(void *ctx)
{
    ((struct conn *)ctx)->closed = true;
}

/* A WebRTC session up to its channels (its offer through the ws edge, its
 * checks, DTLS and SCTP driven by attack_step), never a join. */
static void open_rtc(struct attack *a, struct conn *c)
{
    static const struct rtc_peer_ops ops = {.send = rtc_send, .open = rtc_open,
                                            .closed = rtc_closed};
    c->fd = udp_from(0, 9); /* bound; its destination is the answer's candidate */
    struct sockaddr_in self;
    socklen_t sl = sizeof self;
    union netaddr me;
    char err[160];
    if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&self, &sl) != 0 ||
        netaddr_from_sockaddr(&me, (struct sockaddr *)&self, sl) != 0 ||
        !(c->p = rtc_peer_new(&me, &ops, c, err, sizeof err)))
        return;
    struct sockaddr_in none = {.sin_family = AF_UNSPEC};
    connect(c->fd, (struct sockaddr *)&none, sizeof none); /* unconnected again */
    const char *sdp = rtc_peer_offer(c->p);
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "POST /rtc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(sdp), sdp);
    c->s = request(NULL, a->offers, req, (size_t)n);
    c->answer = c->s ? calloc(1, ANSWER_MAX) : NULL;
}

/* Reads c's offer's answer as it comes; once the relay closed the
 * connection after it, the session goes on from it. */
static void answer_rtc(struct conn *c)
{
    ssize_t n;
    while ((n = recv(c->s->fd, c->answer + c->answer_len, ANSWER_MAX - 1 - c->answer_len,
                     MSG_DONTWAIT)) > 0)
        c->answer_len += (size_t)n;
    if (n < 0 && errno == EAGAIN && c->answer_len < ANSWER_MAX - 1)
        return; /* more to come */
    char err[160];
    const char *body = strstr(c->answer, "\r\n\r\n");
    if (!strncmp(c->answer, "HTTP/1.1 201", 12) && body)
        rtc_peer_answer(c->p, body + 4, strlen(body + 4), clock_now_us(), err, sizeof err);
    free(c->answer);
    c->answer = NULL;
}

/* A gtlsclient (HTTP/3, WebTransport's ALPN) whose handshake completes and
 * whose streams wait ten seconds: a QUIC connection without its first
 * message. */
static void open_quic(struct attack *a, struct conn *c)
{
    char port[8];
    snprintf(port, sizeof port, "%u", a->port);
    char *const argv[] = {"gtlsclient", "-q", "--delay-stream=10s", "--timeout=15s",
                          "127.0.0.1", port, "https://127.0.0.1/", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* not fork(): copying this process's tables (a sanitizer's shadow
     * memory among them) would stop the test's loop, its members' reading */
    c->open = posix_spawn(&c->pid, "/usr/bin/gtlsclient", &fa, NULL, argv, environ) == 0;
    posix_spawn_file_actions_destroy(&fa);
    if (!c->open)
        c->pid = 0;
}

/* The silent connection k. */
static void open_silent(struct attack *a, struct conn *c, unsigned k)
{
    char from[20];
    snprintf(from, sizeof from, "127.0.0.%u", 2 + k % 200);
    c->fd = -1;
    if (!strcmp(a->edge, "enet")) {
        ENetAddress to = {.port = a->port};
        enet_address_set_host(&to, "127.0.0.1");
        c->host = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
        if (c->host)
            enet_host_connect(c->host, &to, PROTO_CHANNEL_COUNT, 0);
    } else if (!strcmp(a->edge, "udp")) {
        char name[16];
        snprintf(name, sizeof name, "silent%u", k);
        struct client_config cfg = {.host = "127.0.0.1", .port = a->port, .room = "silent",
                                    .name = name, .mode = PROTO_MODE_UDP, .timeout_ms = 60000};
        char err[160];
        c->c = client_create(&cfg, err, sizeof err);
    } else if (!strcmp(a->edge, "webrtc")) {
        open_rtc(a, c);
    } else if (!strcmp(a->edge, "quic") || !strcmp(a->edge, "wt")) {
        open_quic(a, c);
    } else {
        /* poll: a connection that never asks anything */
        enum streams_kind kind = !strcmp(a->edge, "tcp") || !strcmp(a->edge, "poll") ? STREAMS_TCP
                                 : !strcmp(a->edge, "ws") ? STREAMS_WS : STREAMS_WSS;
        c->s = calloc(1, sizeof *c->s);
        c->open = c->s && streams_open(c->s, kind, from, a->port) == 0;
    }
}

/* Reads what came to an open silent connection; notes its end. */
static void read_silent(struct attack *a, struct conn *c)
{
    if (c->host) {
        ENetEvent ev;
        while (enet_host_service(c->host, &ev, 0) > 0) {
            c->open |= ev.type == ENET_EVENT_TYPE_CONNECT;
            c->closed |= ev.type == ENET_EVENT_TYPE_DISCONNECT;
            if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
        }
    } else if (c->c) {
        struct ricochet_event ev;
        if (!c->open)
            while (ricochet_poll(c->c, 0, &ev) > 0)
                c->open |= ev.type == RICOCHET_EV_WELCOME; /* then never again */
    } else if (c->p && c->answer) {
        answer_rtc(c);
    } else if (c->p) {
        uint8_t b[2048];
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        ssize_t n;
        union netaddr from;
        while ((n = recvfrom(c->fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl)) > 0)
            if (netaddr_from_sockaddr(&from, (struct sockaddr *)&ss, sl) == 0)
                rtc_peer_input(c->p, &from, b, (size_t)n, clock_now_us());
        rtc_peer_timers(c->p, clock_now_us());
    } else if (c->pid > 0) {
        c->closed = waitpid(c->pid, NULL, WNOHANG) == c->pid;
        c->pid = c->closed ? 0 : c->pid;
    } else if (c->s && c->open) {
        char skip[256];
        c->closed = streams_recv(c->s, skip, sizeof skip, 0) == 0;
    }
    (void)a;
}

/* ---- the attack's steps ------------------------------------------------ */

void attack_step(struct attack *a, uint64_t now_ms)
{
    if (!a->t0_ms)
        a->t0_ms = now_ms;
    uint64_t due = (now_ms - a->t0_ms) * a->per_s / 1000 + 1;
    /* A few a step, one where each is a handshake (a silent connection's)
     * or an HTTP exchange (webrtc's offer), waited for: on a busy machine
     * the caller's members still read between them. */
    unsigned burst = a->kind == ATTACK_SILENT || !strcmp(a->edge, "webrtc") ? 1 : 4;
    for (; a->n < due && a->n < a->max && burst > 0; a->n++, burst--) {
        struct conn *c = &a->c[a->n];
        c->used = true;
        c->fd = -1;
        if (a->kind == ATTACK_SILENT) {
            open_silent(a, c, a->n);
        } else if (!strcmp(a->edge, "webrtc")) {
            const char *req = offer_request();
            char from[20]; /* 127.0.0.1's budget per address is the newcomer's */
            snprintf(from, sizeof from, "127.0.0.%u", 2 + a->n % 200);
            c->s = req ? request(from, a->offers, req, strlen(req)) : NULL;
            c->open = c->s != NULL; /* answered by the relay, never checked */
        } else {
            open_half(a, c, a->n);
        }
    }
    a->opened = a->closed = 0;
    for (unsigned i = 0; i < a->n; i++) {
        struct conn *c = &a->c[i];
        if (a->kind == ATTACK_SILENT && !c->closed)
            read_silent(a, c);
        a->opened += c->open;
        a->closed += c->open && c->closed;
    }
}

unsigned attack_opened(const struct attack *a)
{
    return a->opened;
}

unsigned attack_closed(const struct attack *a)
{
    return a->closed;
}

bool attack_sees_closes(const struct attack *a)
{
    return a->kind == ATTACK_SILENT && strcmp(a->edge, "udp") != 0;
}

void attack_free(struct attack *a)
{
    for (unsigned i = 0; a && i < a->n; i++) {
        struct conn *c = &a->c[i];
        if (c->fd >= 0)
            close(c->fd);
        if (c->s) {
            streams_close(c->s);
            free(c->s);
        }
        if (c->host)
            enet_host_destroy(c->host);
        if (c->c)
            ricochet_close(c->c);
        if (c->p)
            rtc_peer_free(c->p);
        free(c->answer);
        if (c->pid > 0) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, NULL, 0);
        }
    }
    free(a);
}
