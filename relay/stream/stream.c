/* stream.c: the connections of a stream edge, their queues, conflation
 * and their backlog (see stream.h). An edge's file: it reads the clock
 * where the core's callbacks give no time. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "relay/core/source_key.h"

/* ---- slots ---------------------------------------------------------------- */

int stream_init(struct stream_edge *s, uint32_t cap, const struct stream_ops *ops, void *edge)
{
    s->ops = ops;
    s->edge = edge;
    s->listen_fd = -1;
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->cap = cap ? cap : 1;
    s->conns = calloc(s->cap, sizeof *s->conns);
    s->free_slots = malloc(s->cap * sizeof *s->free_slots);
    s->dirty = malloc(s->cap * sizeof *s->dirty);
    s->flushing = malloc(s->cap * sizeof *s->flushing);
    if (s->ep < 0 || !s->conns || !s->free_slots || !s->dirty || !s->flushing ||
        waiting_init(&s->waiting, s->cap) != 0)
        return -1;
    for (uint32_t i = 0; i < s->cap; i++) {
        s->conns[i].fd = -1;
        s->free_slots[i] = s->cap - 1 - i; /* slot 0 first */
    }
    s->nfree = s->cap;
    return 0;
}

void stream_free(struct stream_edge *s)
{
    if (!s->ops)
        return; /* never initialised */
    for (uint32_t i = 0; s->conns && i < s->cap; i++)
        stream_conn_free(s, i);
    free(s->conns);
    free(s->free_slots);
    free(s->dirty);
    free(s->flushing);
    waiting_free(&s->waiting);
    s->conns = NULL;
    s->free_slots = s->dirty = s->flushing = NULL;
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->ep >= 0)
        close(s->ep);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    s->listen_fd = s->ep = s->spare_fd = -1;
}

int stream_take(struct stream_edge *s, int fd, const union netaddr *addr, uint64_t now_us)
{
    if (s->nfree == 0)
        return -1;
    uint32_t i = s->free_slots[--s->nfree];
    struct stream_conn *c = &s->conns[i];
    bool dirty = c->dirty; /* a freed slot may still sit in the flush list */
    *c = (struct stream_conn){ .fd = fd, .addr = *addr, .opened_us = now_us, .last_us = now_us,
                               .dirty = dirty };
    return (int)i;
}

uint32_t stream_from_host(const struct stream_edge *s, const union netaddr *addr)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->cap; i++)
        n += s->conns[i].fd >= 0 && source_same(&s->conns[i].addr, addr);
    return n;
}

void stream_conn_free(struct stream_edge *s, uint32_t i)
{
    struct stream_conn *c = &s->conns[i];
    if (c->fd < 0)
        return;
    if (s->ops->release)
        s->ops->release(s->edge, i);
    close(c->fd); /* leaves the epoll set with it */
    free(c->out);
    free(c->held);
    bool dirty = c->dirty;
    *c = (struct stream_conn){ .fd = -1, .dirty = dirty }; /* the flush list drops it */
    s->free_slots[s->nfree++] = i;
}

/* ---- queues ------------------------------------------------------------- */

static struct stream_conn *conn_of(struct stream_edge *s, uint32_t peer)
{
    uint32_t i = peer - s->base;
    if (peer < s->base || i >= s->cap || s->conns[i].fd < 0 || !s->conns[i].peer)
        return NULL;
    return &s->conns[i];
}

static void count(struct stream_edge *s, enum relay_drop why)
{
    if (s->relay)
        relay_count_drop(s->relay, why);
}

static void mark_dirty(struct stream_edge *s, struct stream_conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        s->dirty[s->n_dirty++] = (uint32_t)(c - s->conns);
    }
}

bool stream_append(struct stream_edge *s, uint32_t i, const void *bytes, size_t len)
{
    struct stream_conn *c = &s->conns[i];
    if (c->out_off == c->out_len)
        c->took_us = clock_now_us(); /* held from now: the backlog's clock starts */
    if (c->out_off > 0 && c->out_len + len > c->out_cap) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        uint8_t *grown = realloc(c->out, cap);
        if (!grown)
            return false;
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, bytes, len);
    c->out_len += len;
    mark_dirty(s, c);
    return true;
}

/* One message framed into c's queue by the edge. */
static bool queue_msg(struct stream_edge *s, struct stream_conn *c, const void *bytes,
                      size_t len)
{
    return len > 0 && s->ops->frame(s->edge, (uint32_t)(c - s->conns), bytes, len);
}

/* The held states go into the queue, in the order they were first held:
 * before a control message (a sender's last states before its left
 * notice) and once the socket has taken the queue. */
static void release_held(struct stream_edge *s, struct stream_conn *c)
{
    uint32_t i = 0;
    for (; i < c->n_held; i++)
        if (!queue_msg(s, c, c->held[i].bytes, c->held[i].len))
            break;
    if (i < c->n_held)
        count(s, RELAY_DROP_SLOW_READER);
    c->n_held = 0;
}

/* Holds (from, bytes) in place of that sender's older held state. Returns
 * false if it could not be held (out of memory). */
static bool hold(struct stream_edge *s, struct stream_conn *c, uint32_t peer, uint32_t from,
                 const uint8_t *bytes, size_t len)
{
    struct stream_held *h = NULL;
    for (uint32_t i = 0; i < c->n_held && !h; i++)
        if (c->held[i].from == from)
            h = &c->held[i];
    if (h && s->relay)
        relay_count_conflated(s->relay, peer, 1);
    if (!h) {
        if (c->n_held == c->held_cap) {
            uint32_t cap = c->held_cap ? c->held_cap * 2 : 8;
            struct stream_held *grown = realloc(c->held, cap * sizeof *grown);
            if (!grown)
                return false;
            c->held = grown;
            c->held_cap = cap;
        }
        h = &c->held[c->n_held++];
        h->from = from;
    }
    h->len = (uint16_t)len;
    memcpy(h->bytes, bytes, len);
    return true;
}

void stream_close(struct stream_edge *s, uint32_t i, uint64_t now_us)
{
    struct stream_conn *c = &s->conns[i];
    if (c->fd < 0 || c->closing)
        return;
    c->closing = true;
    c->closing_us = now_us;
    /* Nothing more is read from it: out of the edge's epoll set, or its
     * unread input would wake the loop every turn until it is closed. */
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    mark_dirty(s, c);
}

/* ---- the core's callbacks ------------------------------------------------ */

static void stream_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct stream_edge *s = ctx;
    struct stream_conn *c = conn_of(s, peer);
    if (!c || c->closing) {
        count(s, RELAY_DROP_SEND_CLOSING);
        return;
    }
    release_held(s, c);
    if (!queue_msg(s, c, json, len))
        count(s, RELAY_DROP_SEND_FAILED);
}

static void stream_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                              uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)channel; /* one stream: no channels */
    struct stream_edge *s = ctx;
    bool reliable = (flags & PROTO_FLAG_RELIABLE) != 0;
    for (size_t k = 0; k < n; k++) {
        struct stream_conn *c = conn_of(s, peers[k]);
        if (!c || c->closing) {
            count(s, RELAY_DROP_SEND_CLOSING);
            continue;
        }
        if (c->full_since_us && !reliable && len <= PROTO_STATE_MAX) {
            if (!hold(s, c, peers[k], from, bytes, len))
                count(s, RELAY_DROP_SEND_FAILED);
            continue;
        }
        if (!queue_msg(s, c, bytes, len))
            count(s, RELAY_DROP_SEND_FAILED);
    }
}

/* After what is queued (the error telling why, sent by the core first). */
static void stream_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    struct stream_edge *s = ctx;
    struct stream_conn *c = conn_of(s, peer);
    if (!c || c->closing)
        return;
    release_held(s, c);
    uint32_t i = (uint32_t)(c - s->conns);
    if (s->ops->closing)
        s->ops->closing(s->edge, i, why);
    /* the core forgot it: later input is none of its business */
    stream_close(s, i, clock_now_us());
}

/* What the kernel holds of c's stream (sent and not acknowledged, or not
 * sent yet), and whether it shrank since the last look: the peer's TCP
 * acknowledged some, which a write the kernel refuses does not show (the
 * kernel takes bytes again only once what it holds is well under its
 * buffer: a second on a slow link). */
static uint32_t kernel_held(struct stream_conn *c, uint64_t now_us)
{
    int n = 0;
    if (ioctl(c->fd, SIOCOUTQ, &n) != 0 || n < 0)
        n = 0;
    if ((uint32_t)n < c->unacked)
        c->took_us = now_us;
    c->unacked = (uint32_t)n;
    return (uint32_t)n;
}

static void stream_backlog(void *ctx, uint32_t peer, struct relay_backlog *out)
{
    struct stream_edge *s = ctx;
    struct stream_conn *c = conn_of(s, peer);
    if (!c)
        return;
    uint32_t i = (uint32_t)(c - s->conns);
    uint64_t queued = c->out_len - c->out_off + (s->ops->held ? s->ops->held(s->edge, i) : 0);
    uint64_t now = clock_now_us();
    uint32_t kernel = kernel_held(c, now);
    if (queued + kernel == 0)
        c->took_us = now; /* nothing held */
    out->bytes = queued + kernel;
    out->moved_us = c->took_us;
}

struct relay_transport stream_core(struct stream_edge *s, uint32_t base)
{
    s->base = base;
    struct relay_transport t = s->core;
    t.ctx = s;
    t.peers = s->cap;
    t.send_control = stream_send_control;
    t.send_state = stream_send_state;
    t.disconnect = stream_disconnect;
    t.backlog = stream_backlog;
    return t;
}

/* ---- writing -------------------------------------------------------------- */

/* Writes c's queue. Returns 1 when all of it is written, 0 when the
 * kernel took part, -1 when the peer is gone. */
static int write_queue(struct stream_edge *s, struct stream_conn *c)
{
    uint32_t i = (uint32_t)(c - s->conns);
    while (c->out_off < c->out_len) {
        const uint8_t *at = c->out + c->out_off;
        size_t left = c->out_len - c->out_off;
        ssize_t n = s->ops->write ? s->ops->write(s->edge, i, at, left)
                                  : send(c->fd, at, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
        c->took_us = clock_now_us();
    }
    c->out_off = c->out_len = 0;
    return 1;
}

/* graceful: a closing connection whose queue is written is shut on our
 * side, then read until the client closes too, what it sends dropped.
 * Returns true while it is still to wait for. */
static bool drain(struct stream_edge *s, struct stream_conn *c)
{
    if (!c->shut) {
        if (s->ops->finish)
            s->ops->finish(s->edge, (uint32_t)(c - s->conns));
        shutdown(c->fd, SHUT_WR);
        c->shut = true;
    }
    uint8_t junk[4096];
    for (int k = 0; k < 16; k++) {
        ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
    return true;
}

/* One connection's flush. Returns true if it stays in the flush list. */
static bool flush_one(struct stream_edge *s, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct stream_conn *c = &s->conns[i];
    if (c->fd < 0)
        return false;
    int done = write_queue(s, c);
    if (done == 1 && c->n_held) { /* the socket took it all: the held states next */
        release_held(s, c);
        done = write_queue(s, c);
    }
    bool lingered = c->closing && now_us - c->closing_us > STREAM_CLOSE_LINGER_US;
    if (done < 0 || (c->closing && (done == 1 || lingered))) {
        if (!c->closing && c->peer)
            relay_peer_gone(r, s->base + i, PROTO_LEFT_QUIT, now_us);
        if (done == 1 && s->graceful && !lingered && drain(s, c))
            return true;
        stream_conn_free(s, i);
        return false;
    }
    if (done == 1) {
        c->full_since_us = 0;
        return false;
    }
    if (!c->full_since_us)
        c->full_since_us = now_us;
    return true;
}

void stream_flush(struct stream_edge *s, struct relay *r, uint64_t now_us)
{
    s->relay = r;
    /* This flush's list; what is queued while it runs (a peer gone: the
     * notices to others) goes into the next one. */
    uint32_t *list = s->dirty, n = s->n_dirty;
    s->dirty = s->flushing;
    s->flushing = list;
    s->n_dirty = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct stream_conn *c = &s->conns[list[k]];
        c->dirty = false;
        if (flush_one(s, r, list[k], now_us))
            mark_dirty(s, c);
    }
}

bool stream_pending(const struct stream_edge *s)
{
    return s->n_dirty > 0;
}

void stream_tick(struct stream_edge *s, struct relay *r, uint32_t silent_ms, uint64_t now_us)
{
    s->relay = r;
    uint64_t silent = (uint64_t)silent_ms * 1000;
    for (uint32_t i = 0; i < s->cap; i++) {
        struct stream_conn *c = &s->conns[i];
        if (c->fd < 0 || c->closing || !c->peer)
            continue;
        if (silent && now_us - c->last_us >= silent) {
            relay_peer_gone(r, s->base + i, PROTO_LEFT_TIMEOUT, now_us);
            stream_conn_free(s, i);
        }
    }
}
