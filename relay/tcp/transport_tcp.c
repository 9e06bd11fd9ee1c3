/* transport_tcp.c: the relay's TCP stream edge (--listen tcp://HOST:PORT,
 * --transport tcp): the stream half of the lesson, as plain as the UDP
 * edge is its datagram half.
 *
 * A TCP server goes socket() -> bind() -> listen() -> accept(), and each
 * accept() hands it a socket of its own per client: here the kernel keeps
 * track of who is connected, what has arrived in order and what is still
 * to be sent again. What it does not keep is message boundaries: a read
 * returns whatever bytes have come, part of a frame or several. So every
 * message travels in a frame (a 2-byte length, then the message) and each
 * connection keeps at most one frame's worth of partial input.
 *
 * The edge's descriptor is an epoll set of its own: the listening socket
 * and every connection, level-triggered, so a service reads one bounded
 * batch of ready sockets and leaves the rest for the next turn without
 * losing them. A connection is a peer from accept() on; its first frame
 * is its join (with a ticket, when the relay needs one), and closing it
 * is leaving. Sending, with its bounds for slow readers, is
 * transport_tcp_send.c's. */
#include "transport_tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../sys/clock.h"
#include "../../sys/log.h"
#include "../core/relay.h"

#define TCP_EVENTS 64         /* ready sockets read per service */
#define TCP_ACCEPTS 32        /* connections accepted per service */
#define TCP_LISTEN_DATA UINT64_MAX /* epoll data of the listening socket */
#define TCP_DEFAULT_OUT (256u << 10) /* bytes queued to a connection with no bound set */
#define TCP_FLUSH_AGAIN_US 2000 /* output left: the loop comes back this soon */
/* The kernel's send buffer per connection. Left to itself Linux grows it
 * with the congestion window, to megabytes on loopback's 64 KiB segments:
 * a reader that stopped would hold that much of the kernel's memory, and
 * conflation would start only behind it. 64 KiB (the kernel doubles it)
 * is some 3,000 states, seconds of a room's traffic. */
#define TCP_SNDBUF (64 << 10)

/* ---- lifecycle -------------------------------------------------------- */

/* socket(), bind(), listen(). Returns 0, or -1 with a message in err. */
static int tcp_listen(struct relay_tcp *t, const struct relay_net_config *cfg, char *err,
                      size_t err_cap)
{
    union netaddr local;
    const char *host = cfg->bind && *cfg->bind ? cfg->bind : "0.0.0.0";
    char why[200];
    if (netaddr_resolve(host, cfg->port, &local, why, sizeof why) != 0) {
        snprintf(err, err_cap, "bind address: %s", why);
        return -1;
    }
    /* 1. socket(): an endpoint for a byte stream (SOCK_STREAM = TCP). */
    t->listen_fd = socket(local.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->listen_fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1, off = 0;
    setsockopt(t->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (local.sa.sa_family == AF_INET6)
        setsockopt(t->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    /* 2. bind(): our address and port (0: any free one). */
    if (bind(t->listen_fd, &local.sa, netaddr_len(&local)) != 0) {
        snprintf(err, err_cap, "bind %s:%u: %s", host, (unsigned)cfg->port, strerror(errno));
        return -1;
    }
    /* 3. listen(): the kernel completes handshakes and queues them for
     * accept(); a datagram socket has no such step. */
    socklen_t len = sizeof local;
    if (listen(t->listen_fd, SOMAXCONN) != 0 ||
        getsockname(t->listen_fd, &local.sa, &len) != 0) {
        snprintf(err, err_cap, "listen: %s", strerror(errno));
        return -1;
    }
    netaddr_format(&local, t->addr, sizeof t->addr);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TCP_LISTEN_DATA };
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->listen_fd, &ev) != 0) {
        snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void tcp_destroy(void *ctx);

static void *tcp_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_tcp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->listen_fd = -1;
    t->cfg = *cfg;
    if (t->cfg.peer_cap < 1)
        t->cfg.peer_cap = 1;
    size_t max = cfg->max_packet_size ? cfg->max_packet_size : 2048;
    t->in_cap = 2 + (max < TCP_FRAME_MAX ? max : TCP_FRAME_MAX);
    t->out_limit = cfg->max_queued_bytes ? cfg->max_queued_bytes : TCP_DEFAULT_OUT;
    if (t->out_limit < 2 + TCP_FRAME_MAX)
        t->out_limit = 2 + TCP_FRAME_MAX; /* the longest welcome fits */
    uint32_t n = t->cfg.peer_cap;
    t->conns = calloc(n, sizeof *t->conns);
    t->free_slots = malloc(n * sizeof *t->free_slots);
    t->dirty = malloc(n * sizeof *t->dirty);
    t->flushing = malloc(n * sizeof *t->flushing);
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!t->conns || !t->free_slots || !t->dirty || !t->flushing || t->ep < 0) {
        snprintf(err, err_cap, "out of memory (or epoll_create1: %s)", strerror(errno));
        tcp_destroy(t);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        t->conns[i].fd = -1;
        t->free_slots[i] = n - 1 - i; /* slot 0 first */
    }
    t->nfree = n;
    if (tcp_listen(t, cfg, err, err_cap) != 0) {
        tcp_destroy(t);
        return NULL;
    }
    return t;
}

static void tcp_destroy(void *ctx)
{
    struct relay_tcp *t = ctx;
    if (!t)
        return;
    for (uint32_t i = 0; t->conns && i < t->cfg.peer_cap; i++)
        transport_tcp_conn_free(t, i);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->ep >= 0)
        close(t->ep);
    free(t->conns);
    free(t->free_slots);
    free(t->dirty);
    free(t->flushing);
    free(t);
}

static const char *tcp_address(const void *ctx)
{
    const struct relay_tcp *t = ctx;
    return t->addr;
}

static int tcp_fd(const void *ctx)
{
    const struct relay_tcp *t = ctx;
    return t->ep;
}

/* ---- accepting -------------------------------------------------------- */

static uint32_t conns_from_host(const struct relay_tcp *t, const union netaddr *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        n += t->conns[i].fd >= 0 && netaddr_same_host(&t->conns[i].addr, a);
    return n;
}

/* A new connection into slot i (a peer of the core), or refused: the
 * socket closed at once, counted. */
static void take(struct relay_tcp *t, struct relay *r, int fd, const union netaddr *from,
                 uint64_t now_us)
{
    if (t->cfg.max_per_address && conns_from_host(t, from) >= t->cfg.max_per_address) {
        relay_count_drop(r, RELAY_DROP_PER_ADDRESS);
        close(fd);
        return;
    }
    uint8_t *in = malloc(t->in_cap);
    if (t->nfree == 0 || !in) {
        relay_count_drop(r, t->nfree == 0 ? RELAY_DROP_SERVER_FULL : RELAY_DROP_SEND_FAILED);
        free(in);
        close(fd);
        return;
    }
    uint32_t i = t->free_slots[--t->nfree];
    struct tcp_conn *c = &t->conns[i];
    bool dirty = c->dirty; /* a freed slot may still sit in the flush list */
    *c = (struct tcp_conn){ .fd = fd, .addr = *from, .in = in, .last_us = now_us,
                            .dirty = dirty };
    int on = 1, sndbuf = TCP_SNDBUF;
    /* each frame at once: no waiting for the previous one's ack (Nagle) */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
    char addr[RELAY_ADDR_MAX];
    netaddr_format(from, addr, sizeof addr);
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0 ||
        relay_peer_connect(r, t->base + i, addr, now_us) != 0)
        transport_tcp_flush(t, r, now_us); /* refused: its error goes out first */
    if (!relay_peer_connected(r, t->base + i) && t->conns[i].fd >= 0 && !t->conns[i].closing)
        transport_tcp_conn_free(t, i);
}

/* accept(): up to TCP_ACCEPTS connections the kernel has completed. */
static void accept_some(struct relay_tcp *t, struct relay *r)
{
    for (int k = 0; k < TCP_ACCEPTS; k++) {
        union netaddr from;
        socklen_t len = sizeof from;
        int fd = accept4(t->listen_fd, &from.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                log_warn("relay: tcp accept: %s", strerror(errno));
            return;
        }
        if (netaddr_from_sockaddr(&from, &from.sa, len) != 0) {
            close(fd);
            continue;
        }
        take(t, r, fd, &from, clock_now_us());
    }
    t->backlog = true; /* more may wait */
}

/* ---- reading ---------------------------------------------------------- */

/* Hands every whole frame in c's input to the core; a frame it cannot take
 * (empty, or longer than --max-packet-size) ends the connection, since the
 * stream cannot be read past it. Returns false if the peer was closed. */
static bool take_frames(struct relay_tcp *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct tcp_conn *c = &t->conns[i];
    uint32_t handle = t->base + i;
    size_t at = 0;
    while (c->fd >= 0 && !c->closing && c->in_len - at >= 2) {
        size_t len = (size_t)c->in[at] << 8 | c->in[at + 1];
        if (len == 0 || 2 + len > t->in_cap) {
            if (len == 0)
                relay_peer_evict(r, handle, PROTO_ERROR_BAD_STATE,
                                 "a frame of length 0: the stream cannot be read past it",
                                 now_us);
            else
                relay_peer_too_big(r, handle, len, t->in_cap - 2, true, now_us);
            return false;
        }
        if (c->in_len - at < 2 + len)
            break;
        relay_on_datagram(r, handle, PROTO_CHANNEL_STREAM, 0, c->in + at + 2, len, now_us);
        at += 2 + len;
    }
    if (c->fd < 0 || c->closing)
        return false;
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    return true;
}

/* One read of connection i and the frames it completes. */
static void read_conn(struct relay_tcp *t, struct relay *r, uint32_t i)
{
    struct tcp_conn *c = &t->conns[i];
    if (c->fd < 0 || c->closing)
        return; /* a closing connection's input is of no use any more */
    ssize_t n = recv(c->fd, c->in + c->in_len, t->in_cap - c->in_len, MSG_DONTWAIT);
    uint64_t now = clock_now_us();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* the client closed (or reset) it: it left */
        relay_peer_gone(r, t->base + i, PROTO_LEFT_QUIT, now);
        transport_tcp_conn_free(t, i);
        return;
    }
    c->in_len += (size_t)n;
    c->last_us = now;
    take_frames(t, r, i, now);
}

/* Reads one batch of ready sockets, without waiting. */
static int tcp_service(void *ctx, struct relay *r)
{
    struct relay_tcp *t = ctx;
    t->relay = r;
    t->backlog = false;
    struct epoll_event ev[TCP_EVENTS];
    int n = epoll_wait(t->ep, ev, TCP_EVENTS, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    relay_arrived(r, t->read_end_us, 0);
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == TCP_LISTEN_DATA)
            accept_some(t, r);
        else
            read_conn(t, r, (uint32_t)ev[k].data.u64);
    }
    if (n == TCP_EVENTS)
        t->backlog = true;
    if (!t->backlog)
        t->read_end_us = clock_now_us();
    return n;
}

static bool tcp_backlog(const void *ctx)
{
    const struct relay_tcp *t = ctx;
    return t->backlog;
}

/* ---- the loop's other operations --------------------------------------- */

static void tcp_flush(void *ctx, struct relay *r)
{
    transport_tcp_flush(ctx, r, clock_now_us());
}

/* Output left unwritten: the loop comes back soon to write more. */
static uint64_t tcp_due(const void *ctx)
{
    return transport_tcp_pending(ctx) ? clock_now_us() + TCP_FLUSH_AGAIN_US : UINT64_MAX;
}

/* Every 100 ms: connections silent for --timeout-ms (a client pings when
 * it has nothing else to say; a peer that vanished without a FIN is only
 * seen this way), and readers whose output stayed unwritten for
 * --slow-reader-ms. */
static void tcp_tick(void *ctx, struct relay *r)
{
    struct relay_tcp *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    uint64_t silent = (uint64_t)t->cfg.timeout_ms * 1000, slow = t->cfg.slow_reader_ms * 1000ull;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        struct tcp_conn *c = &t->conns[i];
        if (c->fd < 0 || c->closing)
            continue;
        if (silent && now - c->last_us >= silent) {
            relay_peer_gone(r, t->base + i, PROTO_LEFT_TIMEOUT, now);
            transport_tcp_conn_free(t, i);
        } else if (slow && c->full_since_us && now - c->full_since_us >= slow) {
            char text[PROTO_TEXT_MAX + 1];
            snprintf(text, sizeof text, "%zu bytes queued to you unread for %llu ms: you read "
                     "too slowly; closing", c->out_len - c->out_off,
                     (unsigned long long)(now - c->full_since_us) / 1000);
            transport_tcp_evict_slow(t, r, i, text, now);
        }
    }
}

/* Settled once every queue is written (closed connections included). */
static bool tcp_settled(const void *ctx)
{
    return !transport_tcp_pending(ctx);
}

const struct relay_transport_ops relay_tcp_ops = {
    .name = "tcp",
    .stream = true,
    .create = tcp_create,
    .core = transport_tcp_core,
    .address = tcp_address,
    .fd = tcp_fd,
    .due = tcp_due,
    .service = tcp_service,
    .backlog = tcp_backlog,
    .flush = tcp_flush,
    .tick = tcp_tick,
    .settled = tcp_settled,
    .destroy = tcp_destroy,
};
