/* target_wsframes.c: fuzzes the relay's WebSocket edge once a connection
 * is upgraded (relay/ws/transport_ws_frames.c: wslay reading the client's
 * frames, the edge reassembling messages within --max-packet-size, and
 * what the core makes of them); see targets.h.
 *
 * One edge and its core live for the whole run, on 127.0.0.1. Each input
 * is a connection of its own: the upgrade request, then the input's bytes
 * as they come (frames, masked or not, whole or cut), then the end of the
 * client's stream. Checked: the answer is the upgrade, then frames as a
 * server writes them (no mask, no reserved bits, an opcode RFC 6455 has,
 * a control frame whole and short, a close frame's code one PROTOCOL.md
 * lists or the client's echoed, if a close frame may carry it), every text
 * message a control message the relay sends; and once
 * the client is gone, the core holds no peer of it. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/control.h"
#include "proto/websocket.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "relay/transport.h"
#include "relay/ws/transport_ws.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "targets.h"

#define FUZZ_WS_MAX_PACKET 512
#define FUZZ_WS_OUT_MAX (1 << 16)
#define FUZZ_WS_TURNS 200 /* turns of the edge at most per input (each 1 ms at most) */

static const char fuzz_ws_upgrade[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

struct fuzz_ws_env {
    struct relay_ws *t;
    struct relay *r;
    struct sockaddr_in at;
};

static struct fuzz_ws_env *fuzz_ws_env(void)
{
    static struct fuzz_ws_env E;
    if (E.r)
        return &E;
    log_threshold = LOG_OFF;
    char err[256];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = 8, .max_packet_size = FUZZ_WS_MAX_PACKET,
        .timeout_ms = 10000, .handshake_ms = 10000, .http = http_front_new(NULL),
    };
    FUZZ_CHECK(ncfg.http != NULL);
    E.t = relay_ws_ops.create(&ncfg, err, sizeof err);
    FUZZ_CHECK(E.t != NULL);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    cfg.max_packet_size = FUZZ_WS_MAX_PACKET;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.kick_ban_ms = 0; /* a kicked input must not shut the next ones out */
    struct relay_transport tp = relay_ws_ops.core(E.t, 0);
    E.r = relay_create(&cfg, &tp, 1);
    FUZZ_CHECK(E.r != NULL);
    const char *colon = strrchr(relay_ws_ops.address(E.t), ':');
    E.at = (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)atoi(colon + 1)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return &E;
}

/* One turn of the edge, as the relay's loop takes it. */
static void fuzz_ws_turn(struct fuzz_ws_env *E, int wait_ms)
{
    struct pollfd p = {.fd = relay_ws_ops.fd(E->t), .events = POLLIN};
    if (wait_ms > 0 && !relay_ws_ops.backlog(E->t))
        (void)poll(&p, 1, wait_ms);
    (void)relay_ws_ops.service(E->t, E->r);
    relay_tick(E->r, clock_now_us());
    relay_ws_ops.flush(E->t, E->r);
}

/* Reads what the edge sent fd into out (*len, up to its cap); true once the
 * edge ended the stream. */
static bool fuzz_ws_read(int fd, uint8_t *out, size_t *len)
{
    for (;;) {
        uint8_t scratch[4096];
        uint8_t *to = *len < FUZZ_WS_OUT_MAX ? out + *len : scratch;
        size_t room = *len < FUZZ_WS_OUT_MAX ? FUZZ_WS_OUT_MAX - *len : sizeof scratch;
        ssize_t n = recv(fd, to, room, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return true;
        if (n < 0)
            return false;
        if (to != scratch)
            *len += (size_t)n;
    }
}

/* A code the relay's close frame may carry: one of PROTOCOL.md's, or the
 * client's own echoed (RFC 6455 §5.5.1), which must be one a close frame
 * may carry on the wire (§7.4: never 1005, 1006, 1015 or an unassigned one). */
static bool fuzz_ws_close_code_known(unsigned code)
{
    return code == PROTO_WS_CLOSE_NORMAL || code == PROTO_WS_CLOSE_GOING_AWAY ||
           code == PROTO_WS_CLOSE_PROTOCOL || code == PROTO_WS_CLOSE_BAD_DATA ||
           code == PROTO_WS_CLOSE_POLICY || code == PROTO_WS_CLOSE_TOO_BIG ||
           code == 1003 || (code >= 1010 && code <= 1011) || (code >= 3000 && code <= 4999);
}

/* The relay's side of the stream: its upgrade, then its frames. */
static void fuzz_ws_check_answer(const uint8_t *out, size_t len)
{
    if (len == 0)
        return; /* closed before answering: nothing said */
    FUZZ_CHECK(len >= 12 && memcmp(out, "HTTP/1.1 101", 12) == 0);
    const uint8_t *end = memmem(out, len, "\r\n\r\n", 4);
    FUZZ_CHECK(end != NULL);
    size_t at = (size_t)(end + 4 - out);
    static struct proto_control m;
    while (at + 2 <= len && len <= FUZZ_WS_OUT_MAX) {
        uint8_t b0 = out[at], b1 = out[at + 1], op = b0 & 0x0f;
        FUZZ_CHECK((b0 & 0x70) == 0 && (b1 & 0x80) == 0); /* no reserved bits, no mask */
        FUZZ_CHECK(op <= 2 || (op >= 8 && op <= 10));
        size_t n = b1 & 0x7f, head = 2;
        if (n == 126 || n == 127) {
            size_t k = n == 126 ? 2 : 8;
            if (at + 2 + k > len)
                return; /* cut short by the end of what was read */
            n = 0;
            for (size_t i = 0; i < k; i++)
                n = n << 8 | out[at + 2 + i];
            head += k;
        }
        if (op >= 8)
            FUZZ_CHECK((b0 & 0x80) && n <= 125); /* a control frame is whole and short */
        if (at + head + n > len)
            return;
        const uint8_t *p = out + at + head;
        if (op == 8 && n >= 2)
            FUZZ_CHECK(fuzz_ws_close_code_known((unsigned)(p[0] << 8 | p[1])));
        if (op == 1 && (b0 & 0x80)) {
            memset(&m, 0, sizeof m);
            FUZZ_CHECK(proto_control_decode((const char *)p, n, &m, NULL, 0) == PROTO_OK);
        }
        at += head + n;
    }
}

/* Connects fd (non-blocking) to the edge, turning the edge while the
 * handshake is on its way (a signal, libFuzzer's timer, may cut a connect
 * short: it goes on). */
static void fuzz_ws_connect(struct fuzz_ws_env *E, int fd)
{
    int rc = connect(fd, (const struct sockaddr *)&E->at, sizeof E->at), err = 0;
    if (rc != 0 && (errno == EINPROGRESS || errno == EINTR)) {
        for (int turn = 0; turn < 1000; turn++) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 1) == 1)
                break;
            fuzz_ws_turn(E, 0);
        }
        socklen_t len = sizeof err;
        rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    } else if (rc != 0) {
        err = errno;
    }
    if (rc != 0) {
        fprintf(stderr, "fuzz check failed: %s:%d: connect: %s\n", __FILE__, __LINE__,
                strerror(err));
        abort();
    }
}

int fuzz_target_wsframes(const uint8_t *data, size_t size)
{
    struct fuzz_ws_env *E = fuzz_ws_env();
    static uint8_t out[FUZZ_WS_OUT_MAX];
    size_t out_len = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    FUZZ_CHECK(fd >= 0);
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    /* A connection per input leaves one in TIME_WAIT: thousands a second
     * would use up one address's ports within the minute they are held.
     * Each input comes from the next of 240 loopback addresses, its port
     * picked by connect (which knows the whole address pair), not bind. */
    static unsigned from_n;
    struct sockaddr_in from = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(0x7f000002u + from_n++ % 240)};
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    FUZZ_CHECK(bind(fd, (const struct sockaddr *)&from, sizeof from) == 0);
    fuzz_ws_connect(E, fd);
    FUZZ_CHECK(send(fd, fuzz_ws_upgrade, sizeof fuzz_ws_upgrade - 1,
                    MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)(sizeof fuzz_ws_upgrade - 1));
    size_t sent = 0;
    bool ended = false;
    if (size == 0)
        shutdown(fd, SHUT_WR);
    for (int turn = 0; turn < FUZZ_WS_TURNS && !ended; turn++) {
        if (sent < size) {
            ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                sent = size; /* the relay closed it already */
            if (sent == size)
                shutdown(fd, SHUT_WR);
        }
        fuzz_ws_turn(E, 1);
        ended = fuzz_ws_read(fd, out, &out_len);
    }
    close(fd);
    for (int turn = 0; turn < FUZZ_WS_TURNS && relay_clients(E->r) > 0; turn++)
        fuzz_ws_turn(E, 1);
    FUZZ_CHECK(relay_clients(E->r) == 0); /* nothing of it kept */
    fuzz_ws_check_answer(out, out_len);
    return 0;
}
