/* transport_tcp.c: the relay's TCP stream edge (--listen tcp://HOST:PORT,
 * --transport tcp): the stream half of the lesson, as plain as the UDP
 * edge is its datagram half.
 *
 * A TCP server goes socket() -> bind() -> listen() -> accept() (every
 * stream edge alike: relay/stream/stream_edge.c), and each accept() hands
 * it a socket of its own per client: here the kernel keeps
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
 * is leaving. It counts against --max-clients from its join only: until
 * then it is within the budget of connections that have not joined
 * (--max-half-open, relay/stream/stream_edge.c), closed after
 * --join-timeout-ms. Sending, with its bounds for slow readers, is what stream
 * edges share (relay/stream/stream.h): this file frames each message. */
#include "transport_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "relay/core/edge.h"

#define TCP_EVENTS 64         /* ready sockets read per service */

/* ---- lifecycle -------------------------------------------------------- */

static void tcp_destroy(void *ctx);

/* ---- frames out: what the stream module queues --------------------------- */

/* A message into slot i's queue as one frame: its 2-byte length first. */
static bool tcp_frame(void *edge, uint32_t i, const uint8_t *msg, size_t len)
{
    struct relay_tcp *t = edge;
    if (len == 0 || len > TCP_FRAME_MAX)
        return false;
    uint8_t head[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    return stream_append(&t->s, i, head, 2) && stream_append(&t->s, i, msg, len);
}

static void tcp_release(void *edge, uint32_t i)
{
    struct relay_tcp *t = edge;
    free(t->input[i].in);
    t->input[i] = (struct tcp_input){0};
}

static const struct stream_ops tcp_stream_ops = {
    .frame = tcp_frame,
    .release = tcp_release,
};

static void *tcp_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_tcp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->cfg = relay_net_config_settled(cfg);
    size_t max = t->cfg.max_packet_size;
    t->in_cap = 2 + (max < TCP_FRAME_MAX ? max : TCP_FRAME_MAX);
    t->input = calloc(t->cfg.peer_cap, sizeof *t->input);
    if (!t->input || stream_init(&t->s, t->cfg.peer_cap, &tcp_stream_ops, t) != 0) {
        snprintf(err, err_cap, "out of memory (or epoll_create1: %s)", strerror(errno));
        tcp_destroy(t);
        return NULL;
    }
    t->s.core = (struct relay_transport){
        .name = "tcp",
        .message_max = TCP_FRAME_MAX,
        .forgeable = false,
        .modes = 1u << PROTO_MODE_TCP,
        .count_at_join = true,
    };
    if (stream_listen(&t->s, cfg, err, err_cap) != 0) {
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
    stream_free(&t->s);
    free(t->input);
    free(t);
}

/* ---- accepting -------------------------------------------------------- */

/* A connection accepted (stream_accept), into a slot as a peer of the
 * core, or refused: the socket closed at once, counted. */
static void take(void *edge, struct relay *r, int fd, const union netaddr *from,
                 uint64_t now_us)
{
    struct relay_tcp *t = edge;
    uint8_t *in;
    int slot = stream_take_input(&t->s, r, fd, from, t->in_cap, &in, now_us);
    if (slot < 0)
        return;
    uint32_t i = (uint32_t)slot;
    t->input[i] = (struct tcp_input){ .in = in };
    t->s.conns[i].peer = true;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
    if (epoll_ctl(t->s.ep, EPOLL_CTL_ADD, fd, &ev) != 0 ||
        relay_peer_connect(r, t->s.base + i, from, now_us) != 0)
        stream_flush(&t->s, r, now_us); /* refused: its error goes out first */
    if (!relay_peer_connected(r, t->s.base + i) && t->s.conns[i].fd >= 0 &&
        !t->s.conns[i].closing)
        stream_conn_free(&t->s, i);
}

/* ---- reading ---------------------------------------------------------- */

/* Hands every whole frame in slot i's input to the core; a frame it cannot
 * take (empty, or longer than --max-packet-size) ends the connection,
 * since the stream cannot be read past it. Returns false if the peer was
 * closed. */
static bool take_frames(struct relay_tcp *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct stream_conn *c = &t->s.conns[i];
    struct tcp_input *in = &t->input[i];
    uint32_t handle = t->s.base + i;
    size_t at = 0;
    while (c->fd >= 0 && !c->closing && in->in_len - at >= 2) {
        size_t len = (size_t)in->in[at] << 8 | in->in[at + 1];
        if (len == 0 || 2 + len > t->in_cap) {
            if (len == 0)
                relay_peer_evict(r, handle, PROTO_ERROR_BAD_STATE,
                                 "a frame of length 0: the stream cannot be read past it",
                                 now_us);
            else
                relay_peer_too_big(r, handle, len, t->in_cap - 2, true, now_us);
            return false;
        }
        if (in->in_len - at < 2 + len)
            break;
        relay_on_datagram(r, handle, PROTO_CHANNEL_STREAM, 0, in->in + at + 2, len, now_us);
        at += 2 + len;
    }
    if (c->fd < 0 || c->closing)
        return false;
    memmove(in->in, in->in + at, in->in_len - at);
    in->in_len -= at;
    return true;
}

/* One read of connection i and the frames it completes. */
static void read_conn(struct relay_tcp *t, struct relay *r, uint32_t i)
{
    struct stream_conn *c = &t->s.conns[i];
    struct tcp_input *in = &t->input[i];
    if (c->fd < 0 || c->closing)
        return; /* a closing connection's input is of no use any more */
    ssize_t n = recv(c->fd, in->in + in->in_len, t->in_cap - in->in_len, MSG_DONTWAIT);
    uint64_t now = clock_now_us();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* the client closed (or reset) it: it left */
        relay_peer_gone(r, t->s.base + i, PROTO_LEFT_QUIT, now);
        stream_conn_free(&t->s, i);
        return;
    }
    in->in_len += (size_t)n;
    c->last_us = now;
    take_frames(t, r, i, now);
}

/* Reads one batch of ready sockets, without waiting. */
static int tcp_service(void *ctx, struct relay *r)
{
    struct relay_tcp *t = ctx;
    t->s.relay = r;
    t->s.backlog = false;
    struct epoll_event ev[TCP_EVENTS];
    int n = epoll_wait(t->s.ep, ev, TCP_EVENTS, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    relay_arrived(r, t->s.read_end_us, 0);
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == STREAM_LISTEN_DATA)
            stream_accept(&t->s, r, t->cfg.max_per_address, take);
        else
            read_conn(t, r, (uint32_t)ev[k].data.u64);
    }
    if (n == TCP_EVENTS)
        t->s.backlog = true;
    if (!t->s.backlog)
        t->s.read_end_us = clock_now_us();
    return n;
}

/* ---- the loop's other operations --------------------------------------- */

/* Every 100 ms: connections silent for --timeout-ms (a client pings when
 * it has nothing else to say; a peer that vanished without a FIN is only
 * seen this way), readers whose output stayed unwritten for
 * --slow-reader-ms, and listening again if it stopped (stream_accept). */
static void tcp_tick(void *ctx, struct relay *r)
{
    struct relay_tcp *t = ctx;
    stream_accept_resume(&t->s);
    stream_tick(&t->s, r, t->cfg.timeout_ms, clock_now_us());
}

const struct relay_transport_ops relay_tcp_ops = {
    .name = "tcp",
    .stream = true,
    .create = tcp_create,
    .core = stream_op_core,
    .address = stream_op_address,
    .fd = stream_op_fd,
    .due = stream_op_due,
    .service = tcp_service,
    .backlog = stream_op_backlog,
    .flush = stream_op_flush,
    .tick = tcp_tick,
    .settled = stream_op_settled,
    .destroy = tcp_destroy,
};
