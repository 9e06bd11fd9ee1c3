/* transport_tcp_send.c: what the core sends over the TCP edge (see
 * transport_tcp.h).
 *
 * Each connection has a queue of frames, written at the loop's flush in as
 * few write calls as the kernel takes. A reader that keeps up never has
 * more than a turn's frames queued. One that falls behind fills its
 * socket's send buffer; from then on, until the queue is written, each
 * sender's unreliable states wait in a table of their own, the newest
 * replacing an older one (conflated, counted), as Colyseus sends patches:
 * a stream delivers what it was given, so the relay gives it less. Control
 * messages and reliable states are always queued; a queue over the bound
 * (--max-queued-bytes), or one left unwritten for --slow-reader-ms, closes
 * the connection (slow_reader). */
#include "transport_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../sys/clock.h"
#include "../core/relay.h"

/* ---- queues ------------------------------------------------------------- */

static struct tcp_conn *conn_of(struct relay_tcp *t, uint32_t peer)
{
    uint32_t i = peer - t->base;
    if (peer < t->base || i >= t->cfg.peer_cap || t->conns[i].fd < 0)
        return NULL;
    return &t->conns[i];
}

static void count(struct relay_tcp *t, enum relay_drop why)
{
    if (t->relay)
        relay_count_drop(t->relay, why);
}

static void mark_dirty(struct relay_tcp *t, struct tcp_conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        t->dirty[t->n_dirty++] = (uint32_t)(c - t->conns);
    }
}

/* Appends one frame (len bytes after its length). Returns false if the
 * queue would pass its bound (unless it is the error closing a slow
 * reader) or memory ran out. */
static bool queue_frame(struct relay_tcp *t, struct tcp_conn *c, const void *bytes, size_t len)
{
    size_t need = c->out_len - c->out_off + 2 + len;
    if (len == 0 || len > TCP_FRAME_MAX || (need > t->out_limit && !c->evicting))
        return false;
    if (c->out_off > 0 && c->out_len + 2 + len > c->out_cap) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + 2 + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + 2 + len)
            cap *= 2;
        uint8_t *grown = realloc(c->out, cap);
        if (!grown)
            return false;
        c->out = grown;
        c->out_cap = cap;
    }
    c->out[c->out_len] = (uint8_t)(len >> 8);
    c->out[c->out_len + 1] = (uint8_t)len;
    memcpy(c->out + c->out_len + 2, bytes, len);
    c->out_len += 2 + len;
    mark_dirty(t, c);
    return true;
}

/* The held states go into the queue, in the order they were first held:
 * before a control message (a sender's last states before its left
 * notice) and once the socket has taken the queue. */
static void release_held(struct relay_tcp *t, struct tcp_conn *c)
{
    uint32_t i = 0;
    for (; i < c->n_held; i++)
        if (!queue_frame(t, c, c->held[i].bytes, c->held[i].len))
            break;
    if (i < c->n_held)
        count(t, RELAY_DROP_SLOW_READER);
    c->n_held = 0;
}

/* Holds (from, bytes) in place of that sender's older held state. Returns
 * false if it could not be held (out of memory). */
static bool hold(struct relay_tcp *t, struct tcp_conn *c, uint32_t peer, uint32_t from,
                 const uint8_t *bytes, size_t len)
{
    struct tcp_held *h = NULL;
    for (uint32_t i = 0; i < c->n_held && !h; i++)
        if (c->held[i].from == from)
            h = &c->held[i];
    if (h && t->relay)
        relay_count_conflated(t->relay, peer, 1);
    if (!h) {
        if (c->n_held == c->held_cap) {
            uint32_t cap = c->held_cap ? c->held_cap * 2 : 8;
            struct tcp_held *grown = realloc(c->held, cap * sizeof *grown);
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

void transport_tcp_evict_slow(struct relay_tcp *t, struct relay *r, uint32_t i,
                              const char *text, uint64_t now_us)
{
    struct tcp_conn *c = &t->conns[i];
    relay_count_drop(r, RELAY_DROP_SLOW_READER);
    if (c->closing || c->evicting)
        return;
    c->evicting = true; /* its error may pass the bound; what is queued stays whole */
    c->n_held = 0;
    relay_peer_evict(r, t->base + i, PROTO_ERROR_SLOW_READER, text, now_us);
}

/* A queue over its bound: the connection is closed as a slow reader. */
static void over_bound(struct relay_tcp *t, struct tcp_conn *c)
{
    if (!t->relay)
        return;
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "%zu bytes queued to you (limit %zu): you read too slowly; "
             "closing", c->out_len - c->out_off, t->out_limit);
    transport_tcp_evict_slow(t, t->relay, (uint32_t)(c - t->conns), text, clock_now_us());
}

/* ---- the core's callbacks ------------------------------------------------ */

static void tcp_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_tcp *t = ctx;
    struct tcp_conn *c = conn_of(t, peer);
    if (!c || c->closing) {
        count(t, RELAY_DROP_SEND_CLOSING);
        return;
    }
    release_held(t, c);
    if (!queue_frame(t, c, json, len))
        over_bound(t, c);
}

static void tcp_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                           uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)channel; /* one stream: no channels */
    struct relay_tcp *t = ctx;
    bool reliable = (flags & PROTO_FLAG_RELIABLE) != 0;
    for (size_t k = 0; k < n; k++) {
        struct tcp_conn *c = conn_of(t, peers[k]);
        if (!c || c->closing) {
            count(t, RELAY_DROP_SEND_CLOSING);
            continue;
        }
        if (c->full_since_us && !reliable && len <= PROTO_STATE_MAX) {
            if (!hold(t, c, peers[k], from, bytes, len))
                count(t, RELAY_DROP_SEND_FAILED);
            continue;
        }
        if (!queue_frame(t, c, bytes, len))
            over_bound(t, c);
    }
}

/* After what is queued (the error telling why, sent by the core first). */
static void tcp_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)why; /* the error message said it; a stream has no disconnect data */
    struct relay_tcp *t = ctx;
    struct tcp_conn *c = conn_of(t, peer);
    if (!c || c->closing)
        return;
    release_held(t, c);
    c->closing = true;
    c->closing_us = clock_now_us();
    /* Nothing more is read from it: out of the edge's epoll set, or its
     * unread input would wake the loop every turn until it is closed. */
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
    mark_dirty(t, c);
}

struct relay_transport transport_tcp_core(void *ctx, uint32_t base)
{
    struct relay_tcp *t = ctx;
    t->base = base;
    return (struct relay_transport){
        .ctx = t,
        .name = "tcp",
        .peers = t->cfg.peer_cap,
        .message_max = TCP_FRAME_MAX,
        .forgeable = false,
        .modes = 1u << PROTO_MODE_TCP,
        .send_control = tcp_send_control,
        .send_state = tcp_send_state,
        .disconnect = tcp_disconnect,
    };
}

/* ---- writing -------------------------------------------------------------- */

void transport_tcp_conn_free(struct relay_tcp *t, uint32_t i)
{
    struct tcp_conn *c = &t->conns[i];
    if (c->fd < 0)
        return;
    close(c->fd); /* leaves the epoll set with it */
    free(c->in);
    free(c->out);
    free(c->held);
    bool dirty = c->dirty;
    *c = (struct tcp_conn){ .fd = -1, .dirty = dirty }; /* the flush list drops it */
    t->free_slots[t->nfree++] = i;
}

/* Writes c's queue. Returns 1 when all of it is written, 0 when the
 * kernel took part, -1 when the peer is gone. */
static int write_queue(struct tcp_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 1;
}

/* One connection's flush. Returns true if it stays in the flush list. */
static bool flush_one(struct relay_tcp *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct tcp_conn *c = &t->conns[i];
    if (c->fd < 0)
        return false;
    int done = write_queue(c);
    if (done == 1 && c->n_held) { /* the socket took it all: the held states next */
        release_held(t, c);
        done = write_queue(c);
    }
    if (done < 0 || (c->closing && (done == 1 || now_us - c->closing_us > TCP_CLOSE_LINGER_US))) {
        if (!c->closing)
            relay_peer_gone(r, t->base + i, PROTO_LEFT_QUIT, now_us);
        transport_tcp_conn_free(t, i);
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

void transport_tcp_flush(struct relay_tcp *t, struct relay *r, uint64_t now_us)
{
    t->relay = r;
    /* This flush's list; what is queued while it runs (a peer gone: the
     * notices to others) goes into the next one. */
    uint32_t *list = t->dirty, n = t->n_dirty;
    t->dirty = t->flushing;
    t->flushing = list;
    t->n_dirty = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct tcp_conn *c = &t->conns[list[k]];
        c->dirty = false;
        if (flush_one(t, r, list[k], now_us))
            mark_dirty(t, c);
    }
}

bool transport_tcp_pending(const struct relay_tcp *t)
{
    return t->n_dirty > 0;
}
