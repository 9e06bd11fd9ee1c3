/* target_poll.c: fuzzes the relay's HTTP polling edge
 * (relay/poll/transport_poll.c, poll_session.c: the requests read on a
 * keep-alive connection, the sessions they name, the answers; see
 * targets.h).
 *
 * One edge and its core live for the whole run, on 127.0.0.1. Each input
 * is what two connections of one client send, the bytes as they come
 * (requests whole, cut, pipelined), with a few marks the target reads
 * rather than sends:
 *   $0 .. $3  the id of the session in that slot now (a well-formed id
 *             naming none, if the slot is free): a request can name the
 *             session an earlier join of the input opened
 *   $|        what came before sent, the edge turned until it is quiet
 *   $w        the same, 25 ms of turns at least (a short wait= ends)
 *   $a, $b    what follows goes on the first or the second connection
 *   $x        the current connection closed (the next use opens another)
 *   $*        the byte before, 4096 times more (requests behind a held
 *             GET past what a connection's input holds, from a short input)
 * Checked: each connection's answers are HTTP/1.1 answers one after the
 * other, of a status the edge gives, with a Content-Length but for a 204,
 * nothing after one saying Connection: close; a GET's body whole frames
 * (the core's control messages among them read as such); a join's a
 * session id. Once the input's connections are gone no GET is held, and
 * once its sessions are ended as a DELETE ends them, the core holds no
 * peer and every session is free for the next input. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/control.h"
#include "relay/core/relay.h"
#include "relay/poll/transport_poll.h"
#include "relay/settings.h"
#include "relay/transport.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "targets.h"

#define FUZZ_POLL_PEERS 4
#define FUZZ_POLL_MAX_PACKET 512
#define FUZZ_POLL_OUT_MAX (1 << 16)
#define FUZZ_POLL_QUIET_TURNS 20 /* turns of a $| at most (each 1 ms at most) */
#define FUZZ_POLL_END_TURNS 200  /* turns at the end of an input at most */
#define FUZZ_POLL_REPEAT 4096    /* bytes a $* adds: inputs past a connection's input */

struct fuzz_poll_env {
    struct relay_poll *t;
    struct relay *r;
    struct sockaddr_in at;
};

static struct fuzz_poll_env *fuzz_poll_env(void)
{
    static struct fuzz_poll_env E;
    if (E.r)
        return &E;
    log_threshold = LOG_OFF;
    char err[256];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = FUZZ_POLL_PEERS,
        .max_packet_size = FUZZ_POLL_MAX_PACKET, .timeout_ms = 10000, .handshake_ms = 10000,
        .allow_origin = "https://game.example",
    };
    E.t = relay_poll_ops.create(&ncfg, err, sizeof err);
    FUZZ_CHECK(E.t != NULL);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = FUZZ_POLL_PEERS;
    cfg.max_packet_size = FUZZ_POLL_MAX_PACKET;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.kick_ban_ms = 0; /* a kicked input must not shut the next ones out */
    struct relay_transport tp = relay_poll_ops.core(E.t, 0);
    E.r = relay_create(&cfg, &tp, 1);
    FUZZ_CHECK(E.r != NULL);
    const char *colon = strrchr(relay_poll_ops.address(E.t), ':');
    E.at = (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)atoi(colon + 1)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return &E;
}

/* One turn of the edge, as the relay's loop takes it. */
static void fuzz_poll_turn(struct fuzz_poll_env *E, int wait_ms)
{
    struct pollfd p = {.fd = relay_poll_ops.fd(E->t), .events = POLLIN};
    if (wait_ms > 0 && !relay_poll_ops.backlog(E->t))
        (void)poll(&p, 1, wait_ms);
    (void)relay_poll_ops.service(E->t, E->r);
    relay_tick(E->r, clock_now_us());
    relay_poll_ops.flush(E->t, E->r);
}

/* A client's connection and what the edge sent it. */
struct fuzz_poll_conn {
    int fd;        /* -1: none open */
    bool ended;    /* the edge ended it */
    size_t len;
    uint8_t out[FUZZ_POLL_OUT_MAX];
};

/* Reads what the edge sent c (up to its buffer); true if anything came. */
static bool fuzz_poll_read(struct fuzz_poll_conn *c)
{
    bool got = false;
    while (c->fd >= 0 && !c->ended) {
        uint8_t scratch[4096];
        uint8_t *to = c->len < FUZZ_POLL_OUT_MAX ? c->out + c->len : scratch;
        size_t room = c->len < FUZZ_POLL_OUT_MAX ? FUZZ_POLL_OUT_MAX - c->len : sizeof scratch;
        ssize_t n = recv(c->fd, to, room, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->ended = true;
            return true;
        }
        if (n < 0)
            return got;
        if (to != scratch)
            c->len += (size_t)n;
        got = true;
    }
    return got;
}

/* A status the edge answers with. */
static bool fuzz_poll_status_known(int s)
{
    return s == 200 || s == 204 || s == 400 || s == 404 || s == 405 || s == 408 ||
           s == 410 || s == 411 || s == 413 || s == 429 || s == 431 || s == 503;
}

/* A header's value in head[0..len) (the line's name, with ": "), or NULL. */
static const char *fuzz_poll_header(const char *head, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; p && p + n <= head + len;) {
        if (memcmp(p, name, n) == 0)
            return p + n;
        p = memmem(p, (size_t)(head + len - p), "\r\n", 2);
        p = p ? p + 2 : NULL;
    }
    return NULL;
}

/* One connection's answers, one after the other. */
static void fuzz_poll_check_answers(const uint8_t *out, size_t len)
{
    static struct proto_control m;
    size_t at = 0;
    while (at < len && len < FUZZ_POLL_OUT_MAX) {
        const char *a = (const char *)out + at;
        const char *end = memmem(a, len - at, "\r\n\r\n", 4);
        if (!end)
            return; /* cut short by the end of what was read */
        size_t head = (size_t)(end + 4 - a);
        FUZZ_CHECK(head > 13 && memcmp(a, "HTTP/1.1 ", 9) == 0 && a[12] == ' ');
        int status = atoi(a + 9);
        FUZZ_CHECK(fuzz_poll_status_known(status));
        const char *cl = fuzz_poll_header(a, head, "Content-Length: ");
        FUZZ_CHECK((status == 204) == (cl == NULL));
        size_t body = cl ? strtoul(cl, NULL, 10) : 0;
        bool close = fuzz_poll_header(a, head, "Connection: close") != NULL;
        FUZZ_CHECK(status < 400 || close); /* an error ends the connection */
        if (at + head + body > len)
            return;
        const uint8_t *b = out + at + head;
        const char *type = fuzz_poll_header(a, head, "Content-Type: ");
        if (status == 200 && type && memcmp(type, "application/octet-stream", 24) == 0) {
            FUZZ_CHECK(poll_frames_count(b, body, POLL_FRAME_MAX) >= 0);
            FUZZ_CHECK(body <= POLL_ANSWER_MAX ||
                       (size_t)(2 + (b[0] << 8 | b[1])) == body); /* one frame over it */
            for (size_t f = 0; f < body;) {
                size_t n = (size_t)b[f] << 8 | b[f + 1];
                if (b[f + 2] == '{') {
                    memset(&m, 0, sizeof m);
                    FUZZ_CHECK(proto_control_decode((const char *)b + f + 2, n, &m, NULL, 0) ==
                               PROTO_OK);
                }
                f += 2 + n;
            }
        } else if (status == 200) { /* a join's: the session's id */
            FUZZ_CHECK(body == POLL_ID_LEN);
            for (size_t i = 0; i < body; i++)
                FUZZ_CHECK((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f'));
        } else if (body) {
            FUZZ_CHECK(b[body - 1] == '\n');
        }
        at += head + body;
        if (close)
            FUZZ_CHECK(at == len); /* nothing after the last answer */
    }
}

/* Connects c (non-blocking) to the edge from address from, turning the
 * edge while the handshake is on its way. */
static void fuzz_poll_connect(struct fuzz_poll_env *E, struct fuzz_poll_conn *c,
                              uint32_t from_ip)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    FUZZ_CHECK(c->fd >= 0);
    int big = 1 << 20, one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    /* each input from the next of 240 loopback addresses (TIME_WAIT), its
     * port picked by connect */
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(from_ip)};
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    FUZZ_CHECK(bind(c->fd, (const struct sockaddr *)&from, sizeof from) == 0);
    int rc = connect(c->fd, (const struct sockaddr *)&E->at, sizeof E->at), err = 0;
    if (rc != 0 && (errno == EINPROGRESS || errno == EINTR)) {
        for (int turn = 0; turn < 1000; turn++) {
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (poll(&p, 1, 1) == 1)
                break;
            fuzz_poll_turn(E, 0);
        }
        socklen_t len = sizeof err;
        rc = getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    } else if (rc != 0) {
        err = errno;
    }
    if (rc != 0) {
        fprintf(stderr, "fuzz check failed: %s:%d: connect: %s\n", __FILE__, __LINE__,
                strerror(err));
        abort();
    }
    c->ended = false;
    c->len = 0;
}

/* The connection's answers checked, then it closed. */
static void fuzz_poll_close(struct fuzz_poll_conn *c)
{
    if (c->fd < 0)
        return;
    fuzz_poll_read(c);
    fuzz_poll_check_answers(c->out, c->len);
    close(c->fd);
    c->fd = -1;
}

/* Sends buf[0..len) on c (opened first if need be), turning the edge
 * while the socket is full. */
static void fuzz_poll_send(struct fuzz_poll_env *E, struct fuzz_poll_conn *c, uint32_t from_ip,
                           const uint8_t *buf, size_t len)
{
    if (len == 0)
        return;
    if (c->fd < 0)
        fuzz_poll_connect(E, c, from_ip);
    size_t sent = 0;
    for (int turn = 0; sent < len && turn < FUZZ_POLL_END_TURNS; turn++) {
        ssize_t n = send(c->fd, buf + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return; /* the edge closed it already */
        if (sent < len) {
            fuzz_poll_turn(E, 1);
            fuzz_poll_read(c);
        }
    }
}

/* Does c hold bytes the edge's side has not taken yet (loopback may take
 * a few turns)? */
static bool fuzz_poll_unacked(const struct fuzz_poll_conn *c)
{
    int queued = 0;
    return c->fd >= 0 && !c->ended && ioctl(c->fd, SIOCOUTQ, &queued) == 0 && queued > 0;
}

/* Turns the edge until a turn brings nothing new and the edge's side took
 * all that was sent (at least min_turns,
 * QUIET_TURNS at most unless min_turns says more). */
static void fuzz_poll_settle(struct fuzz_poll_env *E, struct fuzz_poll_conn *cs, int min_turns)
{
    int most = min_turns > FUZZ_POLL_QUIET_TURNS ? min_turns : FUZZ_POLL_QUIET_TURNS;
    for (int turn = 0; turn < most; turn++) {
        fuzz_poll_turn(E, 1);
        bool got0 = fuzz_poll_read(&cs[0]), got1 = fuzz_poll_read(&cs[1]);
        bool got = got0 || got1;
        if (!got && turn + 1 >= min_turns && !relay_poll_ops.backlog(E->t) &&
            !fuzz_poll_unacked(&cs[0]) && !fuzz_poll_unacked(&cs[1]))
            return;
    }
}

int fuzz_target_poll(const uint8_t *data, size_t size)
{
    struct fuzz_poll_env *E = fuzz_poll_env();
    static struct fuzz_poll_conn cs[2];
    static uint8_t pending[1 << 15];
    static unsigned from_n;
    uint32_t from_ip = 0x7f000002u + from_n++ % 240;
    cs[0].fd = cs[1].fd = -1;
    size_t n = 0;
    int cur = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] != '$' || i + 1 == size || n + POLL_ID_LEN > sizeof pending) {
            if (n < sizeof pending)
                pending[n++] = data[i];
            continue;
        }
        uint8_t mark = data[++i];
        if (mark >= '0' && mark < '0' + FUZZ_POLL_PEERS) { /* a session's id */
            static const uint8_t none[POLL_SECRET_BYTES];
            const struct poll_session *s = &E->t->sessions[mark - '0'];
            char id[POLL_ID_LEN + 1];
            poll_session_id((uint32_t)(mark - '0'), s->used ? s->secret : none, id);
            memcpy(pending + n, id, POLL_ID_LEN);
            n += POLL_ID_LEN;
            continue;
        }
        if (mark == '*') { /* the byte before, FUZZ_POLL_REPEAT times more */
            uint8_t b = n ? pending[n - 1] : 'x';
            size_t k = sizeof pending - n < FUZZ_POLL_REPEAT ? sizeof pending - n
                                                             : FUZZ_POLL_REPEAT;
            memset(pending + n, b, k);
            n += k;
            continue;
        }
        if (mark != '|' && mark != 'w' && mark != 'a' && mark != 'b' && mark != 'x') {
            pending[n++] = '$';
            i--; /* the byte after is read as any other */
            continue;
        }
        fuzz_poll_send(E, &cs[cur], from_ip, pending, n);
        n = 0;
        if (mark == '|' || mark == 'w')
            fuzz_poll_settle(E, cs, mark == 'w' ? 25 : 2);
        else if (mark == 'x')
            fuzz_poll_close(&cs[cur]);
        else
            cur = mark - 'a';
    }
    fuzz_poll_send(E, &cs[cur], from_ip, pending, n);
    for (int k = 0; k < 2; k++)
        if (cs[k].fd >= 0)
            shutdown(cs[k].fd, SHUT_WR);
    for (int turn = 0; turn < FUZZ_POLL_END_TURNS; turn++) {
        fuzz_poll_settle(E, cs, 1);
        if ((cs[0].fd < 0 || cs[0].ended) && (cs[1].fd < 0 || cs[1].ended))
            break;
    }
    fuzz_poll_close(&cs[0]);
    fuzz_poll_close(&cs[1]);
    /* the edge lets the connections go: none holds a GET then */
    for (int turn = 0; turn < FUZZ_POLL_END_TURNS && E->t->s.nfree < E->t->s.cap; turn++)
        fuzz_poll_turn(E, 1);
    FUZZ_CHECK(E->t->s.nfree == E->t->s.cap);
    FUZZ_CHECK(E->t->n_holding == 0);
    /* the input's sessions ended as a DELETE ends them */
    uint64_t now = clock_now_us();
    for (uint32_t si = 0; si < E->t->n_sessions; si++) {
        if (!E->t->sessions[si].used)
            continue;
        if (!E->t->sessions[si].closing)
            relay_peer_gone(E->r, E->t->base + si, PROTO_LEFT_QUIT, now);
        poll_session_free(E->t, si, now);
    }
    fuzz_poll_turn(E, 0);
    FUZZ_CHECK(relay_clients(E->r) == 0); /* nothing of it kept */
    FUZZ_CHECK(E->t->n_free == E->t->n_sessions && E->t->n_holding == 0);
    return 0;
}
