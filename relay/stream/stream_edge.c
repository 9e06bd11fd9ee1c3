/* stream_edge.c: a stream edge's listening socket, its accepting (with the
 * budget of connections that have not joined), and the loop's operations
 * every stream edge has alike (see stream.h).
 *
 * A TCP server goes socket() -> bind() -> listen() -> accept(), and each
 * accept() hands it a socket of its own per client: the kernel keeps
 * track of who is connected, what has arrived in order and what is still
 * to be sent again. A datagram socket has neither listen() nor accept(). */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"

/* The kernel's send buffer per connection. Left to itself Linux grows it
 * with the congestion window, to megabytes on loopback's 64 KiB segments:
 * a reader that stopped would hold that much of the kernel's memory, and
 * conflation would start only behind it. 64 KiB (the kernel doubles it)
 * is some 3,000 states, seconds of a room's traffic. */
#define STREAM_SNDBUF (64 << 10)

int stream_listen(struct stream_edge *s, const struct relay_net_config *cfg, char *err,
                  size_t err_cap)
{
    union netaddr local;
    if (netaddr_resolve_bind(cfg->bind, cfg->port, &local, err, err_cap) != 0)
        return -1;
    /* 1. socket(): an endpoint for a byte stream (SOCK_STREAM = TCP). */
    s->listen_fd = socket(local.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1, off = 0;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (local.sa.sa_family == AF_INET6)
        setsockopt(s->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    /* 2. bind(): our address and port (0: any free one). */
    if (bind(s->listen_fd, &local.sa, netaddr_len(&local)) != 0) {
        char at[NETADDR_STR_MAX];
        snprintf(err, err_cap, "bind %s: %s", netaddr_format(&local, at, sizeof at),
                 strerror(errno));
        return -1;
    }
    /* 3. listen(): the kernel completes handshakes and queues them for
     * accept(); a datagram socket has no such step. */
    socklen_t len = sizeof local;
    if (listen(s->listen_fd, SOMAXCONN) != 0 ||
        getsockname(s->listen_fd, &local.sa, &len) != 0) {
        snprintf(err, err_cap, "listen: %s", strerror(errno));
        return -1;
    }
    netaddr_format(&local, s->addr, sizeof s->addr);
    uint32_t h = cfg->max_half_open;
    s->waiting_max = h && h < s->cap ? h : h ? s->cap : s->cap / 4 ? s->cap / 4 : 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STREAM_LISTEN_DATA};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0) {
        snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- connections that have not joined: a budget of their own -------------- */

/* Is slot i a connection that has not joined: in use, not closing, not a
 * member, nor a join the relay is settling (parked for a fleet's
 * directory, or a sealed session's proof due), nor a lobby that watches
 * (--max-lobbies bounds those, and refuses the one past it in words)? */
static bool waiting(const struct stream_edge *s, const struct relay *r, uint32_t i)
{
    const struct stream_conn *c = &s->conns[i];
    uint32_t h = s->base + i;
    return c->fd >= 0 && !c->closing &&
           !(c->peer && (relay_peer_joined(r, h) || relay_peer_parked(r, h) ||
                         relay_peer_proving(r, h) || relay_peer_watching(r, h)));
}

/* The connection to give way (waiting.h); *n gets how many have not
 * joined. UINT32_MAX: none. */
static uint32_t evictee(struct stream_edge *s, const struct relay *r, uint32_t *n)
{
    waiting_begin(&s->waiting);
    for (uint32_t i = 0; i < s->cap; i++)
        if (waiting(s, r, i))
            waiting_add(&s->waiting, i, &s->conns[i].addr, s->conns[i].opened_us);
    return waiting_pick(&s->waiting, n);
}

/* The connection i that has not joined (of n) gives way: closed without a
 * word (half_open). Returns false for none (UINT32_MAX). */
static bool give_way(struct stream_edge *s, struct relay *r, uint32_t i, uint32_t n)
{
    if (i == UINT32_MAX)
        return false;
    char addr[RELAY_ADDR_MAX];
    log_debug("relay: %s: %u connections have not joined: closing %s's oldest", s->core.name, n,
              netaddr_format(&s->conns[i].addr, addr, sizeof addr));
    relay_count_drop(r, RELAY_DROP_HALF_OPEN);
    if (s->conns[i].peer)
        relay_peer_gone(r, s->base + i, PROTO_LEFT_QUIT, clock_now_us());
    stream_conn_free(s, i);
    return true;
}

/* Room for one more connection: a free slot and fewer than waiting_max
 * connections that have not joined, or else the evictee gives way.
 * Returns false when no slot can be had. */
static bool make_room(struct stream_edge *s, struct relay *r)
{
    uint32_t in_use = s->cap - s->nfree;
    uint32_t members = relay_edge_members(r, s->base);
    if (s->nfree > 0 && in_use - (members < in_use ? members : in_use) < s->waiting_max)
        return true; /* fewer in use than the budget, members aside: no walk */
    uint32_t n, i = evictee(s, r, &n);
    if (s->nfree > 0 && n < s->waiting_max)
        return true;
    return give_way(s, r, i, n);
}

#define FD_WARN_EVERY_US 10000000ull /* at most one line about it per 10 s */

/* accept() failed with err: whether to try for the next connection.
 * - EAGAIN, EINTR: none waits, or later.
 * - A connection's own error (ECONNABORTED; EPROTO and the network errors
 *   Linux passes on from a connection, accept(2)): the next one.
 * - No descriptor left (EMFILE, ENFILE): the kernel keeps the connection
 *   queued and the listening socket ready. A connection that has not
 *   joined gives way, as for a slot (make_room), and the newcomer is
 *   taken with its descriptor; with none to give way, the edge lets its
 *   spare descriptor go, takes the connection and closes it at once
 *   (server_full), then takes the spare again.
 * - Anything else, or no spare: the edge stops listening until its next
 *   tick (stream_accept_resume) rather than spin on a socket that stays
 *   ready.
 * Said once every 10 s at most. */
static bool accept_failed(struct stream_edge *s, struct relay *r, int err)
{
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
        return false;
    if (err == ECONNABORTED || err == EPROTO || err == ENETDOWN || err == ENOPROTOOPT ||
        err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH || err == EOPNOTSUPP ||
        err == ENETUNREACH)
        return true;
    bool no_fd = err == EMFILE || err == ENFILE;
    if (clock_once_every(&s->fd_warned_us, clock_now_us(), FD_WARN_EVERY_US)) {
        if (no_fd)
            log_warn("relay: %s: no descriptor left for a connection (%s): one that has not "
                     "joined gives way, or the newcomer is closed at once; the limit is "
                     "ulimit -n, or systemd's LimitNOFILE", s->core.name, strerror(err));
        else
            log_warn("relay: %s accept: %s: not listening until the next tick", s->core.name,
                     strerror(err));
    }
    uint32_t n;
    if (no_fd && give_way(s, r, evictee(s, r, &n), n))
        return true;
    if (no_fd && s->spare_fd >= 0) {
        close(s->spare_fd);
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            relay_count_drop(r, RELAY_DROP_SERVER_FULL);
            return true;
        }
    }
    struct epoll_event ev = {.events = 0, .data.u64 = STREAM_LISTEN_DATA};
    if (!s->accept_paused && epoll_ctl(s->ep, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0)
        s->accept_paused = true;
    return false;
}

int stream_take_input(struct stream_edge *s, struct relay *r, int fd, const union netaddr *from,
                      size_t in_cap, uint8_t **in, uint64_t now_us)
{
    *in = malloc(in_cap);
    int slot = *in ? stream_take(s, fd, from, now_us) : -1;
    if (slot < 0) {
        relay_count_drop(r, s->nfree == 0 ? RELAY_DROP_SERVER_FULL : RELAY_DROP_SEND_FAILED);
        free(*in);
        *in = NULL;
        close(fd);
    }
    return slot;
}

void stream_accept_resume(struct stream_edge *s)
{
    if (s->spare_fd < 0)
        s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STREAM_LISTEN_DATA};
    if (s->accept_paused && epoll_ctl(s->ep, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0)
        s->accept_paused = false;
}

void stream_accept(struct stream_edge *s, struct relay *r, uint32_t max_per_address,
                   stream_take_fn take)
{
    for (int k = 0; k < STREAM_ACCEPTS; k++) {
        union netaddr from;
        socklen_t len = sizeof from;
        /* 4. accept(): a socket of its own for the next client */
        int fd = accept4(s->listen_fd, &from.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (accept_failed(s, r, errno))
                continue;
            return;
        }
        if (netaddr_from_sockaddr(&from, &from.sa, len) != 0) {
            close(fd);
            continue;
        }
        if (max_per_address && stream_from_host(s, &from) >= max_per_address) {
            relay_count_drop(r, RELAY_DROP_PER_ADDRESS);
            close(fd);
            continue;
        }
        if (!make_room(s, r)) { /* every slot a member's or closing */
            relay_count_drop(r, RELAY_DROP_SERVER_FULL);
            close(fd);
            continue;
        }
        int on = 1, sndbuf = STREAM_SNDBUF;
        /* each message at once: no waiting for the previous one's ack (Nagle) */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        take(s->edge, r, fd, &from, clock_now_us());
    }
    s->backlog = true; /* more may wait */
}

/* ---- the loop's operations ------------------------------------------------ */

struct relay_transport stream_op_core(void *edge, uint32_t base)
{
    return stream_core(edge, base);
}

const char *stream_op_address(const void *edge)
{
    const struct stream_edge *s = edge;
    return s->addr;
}

int stream_op_fd(const void *edge)
{
    const struct stream_edge *s = edge;
    return s->ep;
}

bool stream_op_backlog(const void *edge)
{
    const struct stream_edge *s = edge;
    return s->backlog;
}

void stream_op_flush(void *edge, struct relay *r)
{
    stream_flush(edge, r, clock_now_us());
}

uint64_t stream_op_due(const void *edge)
{
    return stream_pending(edge) ? clock_now_us() + STREAM_FLUSH_AGAIN_US : UINT64_MAX;
}

bool stream_op_settled(const void *edge)
{
    return !stream_pending(edge);
}
