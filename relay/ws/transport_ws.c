/* transport_ws.c: the relay's WebSocket edge (--listen ws://HOST:PORT;
 * wss://, the same with TLS: --tls-cert, --tls-key), how browsers reach
 * the relay over TCP (docs/design.md, "Browsers").
 *
 * Like the TCP edge, a listening socket and a connection per client, all
 * on an epoll set of the edge's own (level-triggered: a service reads one
 * bounded batch and leaves the rest for the next turn). Unlike it, a
 * connection speaks HTTP first (transport_ws_handshake.c, through the
 * relay's HTTP front) and is a peer of the
 * core only from its upgrade on (transport_ws_frames.c); until then it is
 * half-open, closed after --join-timeout-ms. Connections that have not
 * joined, before the upgrade and after it, are at most --max-half-open
 * (0: a quarter of the slots; relay/stream/stream_edge.c), the oldest of
 * the address holding the most giving way to a newcomer, so a slowloris
 * holds that many descriptors, that long, and keeps no one out; they
 * count against --max-clients from their join only. Sending, with its
 * bounds for slow readers, is what stream edges share
 * (relay/stream/stream.h); the bytes go through TLS for wss
 * (transport_ws_io.c). */
#include "transport_ws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"

#define WS_EVENTS 64          /* ready sockets read per service */
#define WS_HANDSHAKE_MS 2000  /* a connection not upgraded this long, if none is set */

/* ---- lifecycle -------------------------------------------------------- */

static void ws_release(void *edge, uint32_t i)
{
    struct relay_ws *t = edge;
    struct ws_conn *w = &t->conns[i];
    if (!w->open)
        t->half_open--;
    ws_frames_release(t, i);
    ws_io_release(t, i);
    free(w->head);
    *w = (struct ws_conn){.edge = t, .slot = i};
}

static const struct stream_ops ws_stream_ops = {
    .frame = ws_frames_queue,
    .held = ws_frames_held,
    .write = ws_io_write,
    .closing = ws_frames_closing,
    .release = ws_release,
    .finish = ws_io_finish,
};

static void ws_destroy(void *ctx);

/* The edge's sizes from cfg. */
static void ws_sizes(struct relay_ws *t, const struct relay_net_config *cfg)
{
    t->cfg = relay_net_config_settled(cfg);
    t->msg_max = t->cfg.max_packet_size;
    t->handshake_ms = cfg->handshake_ms ? cfg->handshake_ms : WS_HANDSHAKE_MS;
}

static void *ws_create_edge(const struct relay_net_config *cfg, bool tls, char *err,
                            size_t err_cap)
{
    if (!cfg->http) { /* what it says before the upgrade is the front's */
        snprintf(err, err_cap, "a WebSocket edge needs the relay's HTTP front");
        return NULL;
    }
    struct relay_ws *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->tls = tls;
    t->http = cfg->http;
    http_front_upgrade(t->http, ws_handshake_upgrade);
    ws_sizes(t, cfg);
    uint32_t cap = t->cfg.peer_cap;
    t->conns = calloc(cap, sizeof *t->conns);
    t->again = malloc(2 * cap * sizeof *t->again);
    if (!t->conns || !t->again || ws_frames_setup(t) != 0 ||
        stream_init(&t->s, cap, &ws_stream_ops, t) != 0) {
        snprintf(err, err_cap, "out of memory (or epoll_create1: %s)", strerror(errno));
        ws_destroy(t);
        return NULL;
    }
    for (uint32_t i = 0; i < cap; i++)
        t->conns[i] = (struct ws_conn){.edge = t, .slot = i};
    t->s.graceful = true; /* a close frame, then the client's close: RFC 6455 §7.1.1 */
    t->s.core = (struct relay_transport){
        .name = tls ? "wss" : "ws",
        .message_max = WS_MESSAGE_MAX,
        .modes = 1u << PROTO_MODE_WS,
        .count_at_join = true,
        .secure = tls,
    };
    if ((tls && ws_io_setup(t, cfg, err, err_cap) != 0) || stream_listen(&t->s, cfg, err, err_cap) != 0) {
        ws_destroy(t);
        return NULL;
    }
    return t;
}

static void *ws_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    return ws_create_edge(cfg, false, err, err_cap);
}

static void *wss_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    return ws_create_edge(cfg, true, err, err_cap);
}

static void ws_destroy(void *ctx)
{
    struct relay_ws *t = ctx;
    if (!t)
        return;
    if (t->conns)
        stream_free(&t->s);
    ws_io_free(t);
    ws_frames_free(t);
    free(t->conns);
    free(t->again);
    free(t);
}

/* ---- accepting -------------------------------------------------------- */

/* A connection accepted (stream_accept, within the budget of connections
 * that have not joined) into a slot, half-open (not a peer yet), or
 * refused: the socket closed at once, counted. */
static void take(void *edge, struct relay *r, int fd, const union netaddr *from,
                 uint64_t now_us)
{
    struct relay_ws *t = edge;
    int slot = stream_take(&t->s, fd, from, now_us);
    if (slot < 0) {
        relay_count_drop(r, RELAY_DROP_SERVER_FULL);
        close(fd);
        return;
    }
    uint32_t i = (uint32_t)slot;
    struct ws_conn *w = &t->conns[i];
    *w = (struct ws_conn){.edge = t, .slot = i, .since_us = now_us};
    t->half_open++;
    w->head = malloc(HTTP_HEAD_MAX);
    w->head_cap = w->head ? HTTP_HEAD_MAX : 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
    if (!w->head || ws_io_accept(t, i) != 0 || epoll_ctl(t->s.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        relay_count_drop(r, RELAY_DROP_SEND_FAILED);
        stream_conn_free(&t->s, i);
    }
}

/* ---- reading ---------------------------------------------------------- */

/* What slot i sent, within its budget; TLS holding more bytes of it: next
 * turn again. */
static void conn_input(struct relay_ws *t, struct relay *r, uint32_t i)
{
    struct stream_conn *c = &t->s.conns[i];
    struct ws_conn *w = &t->conns[i];
    if (c->fd < 0 || c->closing)
        return;
    w->budget = WS_READ_BUDGET;
    uint64_t now = clock_now_us();
    if (!w->open)
        ws_handshake_input(t, r, i, now);
    else
        ws_frames_input(t, r, i, now);
    if (c->fd >= 0 && !c->closing && !w->again && ws_io_pending(t, i)) {
        w->again = true;
        t->again[t->n_again++] = i;
    }
}

/* Reads one batch: the connections TLS held bytes of, then the ready
 * sockets, without waiting. */
static int ws_service(void *ctx, struct relay *r)
{
    struct relay_ws *t = ctx;
    t->relay = t->s.relay = r;
    t->s.backlog = false;
    struct epoll_event ev[WS_EVENTS];
    int n = epoll_wait(t->s.ep, ev, WS_EVENTS, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    relay_arrived(r, t->s.read_end_us, 0);
    /* last turn's list in the upper half: this turn's fills the lower */
    uint32_t held = t->n_again, cap = t->cfg.peer_cap;
    memcpy(t->again + cap, t->again, held * sizeof *t->again);
    t->n_again = 0;
    for (uint32_t k = 0; k < held; k++) {
        t->conns[t->again[cap + k]].again = false;
        conn_input(t, r, t->again[cap + k]);
    }
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == STREAM_LISTEN_DATA)
            stream_accept(&t->s, r, t->cfg.max_per_address, take);
        else
            conn_input(t, r, (uint32_t)ev[k].data.u64);
    }
    if (n == WS_EVENTS || t->n_again > 0)
        t->s.backlog = true;
    if (!t->s.backlog)
        t->s.read_end_us = clock_now_us();
    return n + (int)held;
}

/* ---- the loop's other operations --------------------------------------- */

/* Every 100 ms: peers silent for --timeout-ms and slow readers (as the TCP
 * edge's), and connections not upgraded within the join timeout. */
static void ws_tick(void *ctx, struct relay *r)
{
    struct relay_ws *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    stream_accept_resume(&t->s);
    stream_tick(&t->s, r, t->cfg.timeout_ms, now);
    uint64_t late = (uint64_t)t->handshake_ms * 1000;
    for (uint32_t i = 0; i < t->cfg.peer_cap && t->half_open; i++) {
        const struct stream_conn *c = &t->s.conns[i];
        if (c->fd >= 0 && !c->closing && !t->conns[i].open &&
            now - t->conns[i].since_us >= late)
            ws_handshake_expire(t, r, i, now);
    }
}

/* The ws and wss edges' ops: the same edge, told apart by its name and
 * whether it is made with TLS. */
#define WS_EDGE_OPS(edge_name, create_edge)                 \
    {                                                       \
        .name = edge_name,                                  \
        .stream = true,                                     \
        .create = create_edge,                              \
        .core = stream_op_core,                             \
        .address = stream_op_address,                       \
        .fd = stream_op_fd,                                 \
        .due = stream_op_due,                               \
        .service = ws_service,                              \
        .backlog = stream_op_backlog,                       \
        .flush = stream_op_flush,                           \
        .tick = ws_tick,                                    \
        .settled = stream_op_settled,                       \
        .destroy = ws_destroy,                              \
    }

const struct relay_transport_ops relay_ws_ops = WS_EDGE_OPS("ws", ws_create);
const struct relay_transport_ops relay_wss_ops = WS_EDGE_OPS("wss", wss_create);
