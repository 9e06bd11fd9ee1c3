/* client_stream.c: what the client library's transports over TCP
 * connections share (tcp and ws, each over one; poll over two: see
 * client_stream_internal.h): a connection made without waiting, its bytes
 * waiting for the kernel in order, its end, and the kernel's own count of
 * what crossed the wire. */
#include "client_transports_internal.h"
#include "client_stream_internal.h"

#include <errno.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"

int client_reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t bigger_cap = *cap ? *cap : 4096;
    while (bigger_cap < need)
        bigger_cap *= 2;
    uint8_t *bigger = realloc(*buf, bigger_cap);
    if (!bigger)
        return -1;
    *buf = bigger;
    *cap = bigger_cap;
    return 0;
}

int client_stream_dial(struct ricochet *c, struct client_stream *s, char *err, size_t err_cap)
{
    /* a later dial may come from a thread in another network namespace than
     * the session's first: the config's maker puts it where the first went */
    int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
    s->fd = c->make_socket ? c->make_socket(c->make_socket_ctx, c->relay.sa.sa_family, type, 0)
                           : socket(c->relay.sa.sa_family, type, 0);
    if (s->fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1; /* what is written leaves at once (a state, a request), not with the next */
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s->fd, &c->relay.sa, netaddr_len(&c->relay)) != 0 && errno != EINPROGRESS) {
        char addr[NETADDR_STR_MAX];
        snprintf(err, err_cap, "connect %s: %s", netaddr_format(&c->relay, addr, sizeof addr),
                 strerror(errno));
        return -1;
    }
    return 0;
}

int client_stream_open(struct ricochet *c, struct client_stream *s, char *err, size_t err_cap)
{
    char why[256];
    if (client_stream_dial(c, s, why, sizeof why) != 0) {
        snprintf(err, err_cap, "client: %s", why);
        return -1;
    }
    return 0;
}

int client_stream_connected(struct ricochet *c, struct client_stream *s, int wait_ms)
{
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr) {
        char text[PROTO_TEXT_MAX + 256];
        client_no_relay_text(c, strerror(soerr), text, sizeof text);
        client_go_dead(c, RICOCHET_END_REFUSED, text);
        return -1;
    }
    return 1;
}

int client_stream_queue(struct client_stream *s, const void *bytes, size_t len)
{
    if (client_reserve(&s->out, &s->out_cap, s->out_len + len) != 0)
        return -1;
    memcpy(s->out + s->out_len, bytes, len);
    s->out_len += len;
    return 0;
}

void client_stream_send_waiting(struct ricochet *c, struct client_stream *s)
{
    if (s->out_len > 0 && client_stream_push(c, s) != 0)
        client_connection_lost(c, RICOCHET_END_DISCONNECTED, "the connection to the relay failed");
}

void client_stream_wait(const struct client_stream *s, int wait_ms)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN | (s->out_len ? POLLOUT : 0)};
    poll(&p, 1, wait_ms < 100 ? wait_ms : 100);
}

int client_stream_push(struct ricochet *c, struct client_stream *s)
{
    size_t done = 0;
    while (done < s->out_len) {
        ssize_t n = send(s->fd, s->out + done, s->out_len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        if (n < 0) {
            log_debug("client %s: send: %s", c->name, strerror(errno));
            s->out_len = 0;
            return -1;
        }
        done += (size_t)n;
        c->wire.bytes_sent += (uint64_t)n;
    }
    memmove(s->out, s->out + done, s->out_len - done);
    s->out_len -= done;
    return 0;
}

void client_stream_close(struct ricochet *c, struct client_stream *s, bool up)
{
    if (s->fd >= 0) {
        uint64_t until = clock_now_us() + DESTROY_WAIT_MS * 1000u;
        while (up && s->out_len > 0 && client_stream_push(c, s) == 0 && s->out_len > 0 &&
               clock_now_us() < until) {
            struct pollfd p = {.fd = s->fd, .events = POLLOUT};
            poll(&p, 1, 10);
        }
        shutdown(s->fd, SHUT_WR);
        close(s->fd);
        s->fd = -1;
    }
    free(s->out);
    s->out = NULL;
    s->out_len = s->out_cap = 0;
}

void client_stream_hang_up(struct client_stream *s)
{
    if (s->fd >= 0) {
        shutdown(s->fd, SHUT_RDWR);
        s->out_len = 0;
    }
}

int client_stream_op_fd(const struct ricochet *c)
{
    const struct client_stream *s = c->tp;
    return s ? s->fd : -1;
}

void client_stream_op_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_stream *s = c->tp;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (!s || s->fd < 0 || getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_retrans))
        return; /* an older kernel: the messages' bytes and counts, as counted */
    info->bytes_sent = ti.tcpi_bytes_sent;
    info->bytes_received = ti.tcpi_bytes_received;
    info->datagrams_sent = ti.tcpi_segs_out;
    info->datagrams_received = ti.tcpi_segs_in;
}

uint64_t client_stream_op_silent_us(const struct ricochet *c, uint64_t now_us)
{
    return c->tp && c->heard_us && now_us > c->heard_us ? now_us - c->heard_us : 0;
}

bool client_stream_heard_lately(struct ricochet *c)
{
    if (c->phase != PHASE_JOINED || !c->heard_us)
        return true;
    uint64_t now = clock_now_us(), timeout = (uint64_t)c->timeout_ms * 1000u;
    uint64_t silent = client_stream_op_silent_us(c, now);
    if (silent > timeout) {
        client_go_dead(c, RICOCHET_END_TIMEOUT, "the relay went silent");
        return false;
    }
    /* a session that only sends (alone in its room) hears the relay's pong,
       in a fleet well before its silence is taken for a lost relay */
    uint64_t quiet = (uint64_t)client_ping_quiet_ms(c, c->timeout_ms / 3) * 1000u;
    if (silent >= quiet && now - c->last_ping_us >= quiet)
        client_send_ping(c, now);
    return true;
}
