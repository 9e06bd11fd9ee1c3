/* control_out.c: control messages out: encoded once, admitted past what
 * the receiver's edge holds (backlog.c), counted (see control_out_internal.h). */
#define BY_CONTROL_OUT_C /* this file writes the parts BY_CONTROL_OUT_C marks */
#include "core.h"
#include "backlog_internal.h"
#include "control_out_internal.h"
#include "limits_internal.h"
#include "sealing_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"

#include "sys/log.h"

int core_encode_out(struct relay *r)
{
    return proto_control_encode(r->json, sizeof r->json, &r->out);
}

/* bytes to peer on the control way, sealed if its session is, counted:
 * what every send comes to, once admitted. An event longer than the peer's
 * edge sends in one datagram (plain UDP's 1200 bytes; the relay's own
 * messages are split to fit) is not sent to it, counted too_big. */
static void deliver(struct relay *r, uint32_t peer, const uint8_t *bytes, size_t len)
{
    size_t n, max = core_edge(r, peer)->message_max;
    const uint8_t *b = core_seal_for(r, peer, SEAL_LANE_CONTROL, bytes, len, NULL, 0, &n);
    if (!b)
        return;
    if (max && n > max) {
        r->stats.drops[RELAY_DROP_TOO_BIG]++;
        return;
    }
    r->stats.control_out++;
    r->stats.bytes_out += n;
    core_edge_stats(r, peer)->bytes_out += n;
    core_edge(r, peer)->send_control(core_edge(r, peer)->ctx, peer, (const char *)b, n);
}

void core_send_json(struct relay *r, uint32_t from, uint32_t peer, size_t len)
{
    core_send_bytes(r, from, peer, (const uint8_t *)r->json, len);
}

/* ---- a member's control way held ---- */

/* What waits: entries back to back, each its sender (4 bytes), its length
 * (2), its bytes. */
struct core_out_held {
    uint32_t id;             /* the member it is held for: no hold outlives one */
    size_t used, cap;
    uint8_t *q;
};

#define HELD_HEAD 6

static void held_free(struct relay *r, uint32_t peer)
{
    struct core_out_held *h = r->holds.of[peer];
    r->holds.of[peer] = NULL;
    r->holds.n--;
    free(h->q);
    free(h);
}

/* peer's hold if it is held for its membership now; one whose member left
 * is let go of here. */
static struct core_out_held *held_of(struct relay *r, uint32_t peer)
{
    struct core_out_held *h = r->holds.n ? r->holds.of[peer] : NULL;
    if (!h)
        return NULL;
    const struct relay_peer *p = &r->peers[peer];
    if (p->connected && p->joined && p->id == h->id)
        return h;
    held_free(r, peer);
    return NULL;
}

static bool held_add(struct relay *r, uint32_t from, uint32_t peer, struct core_out_held *h,
                     const uint8_t *bytes, size_t len)
{
    size_t bound = r->cfg.max_queued_bytes, need = h->used + HELD_HEAD + len;
    if (need > h->cap && !(bound && need > bound)) {
        size_t cap = h->cap ? h->cap : 1024;
        while (cap < need)
            cap *= 2;
        uint8_t *q = realloc(h->q, cap);
        if (q) {
            h->q = q;
            h->cap = cap;
        }
    }
    if (need > h->cap) { /* past the bound of what waits for one member, or out of memory */
        r->stats.drops[RELAY_DROP_SLOW_READER]++;
        struct relay_backlog b = { .bytes = h->used, .moved_us = r->now_us };
        core_close_later(r, peer, CORE_CLOSE_OVER, &b, r->now_us);
        return false;
    }
    be32_put(h->q + h->used, from);
    be16_put(h->q + h->used + 4, (uint16_t)len);
    memcpy(h->q + h->used + HELD_HEAD, bytes, len);
    h->used = need;
    return true;
}

bool core_out_hold(struct relay *r, uint32_t peer)
{
    struct core_out_holds *hs = &r->holds;
    if (!hs->of && !(hs->of = calloc(r->cfg.peer_cap, sizeof *hs->of)))
        return false;
    if (held_of(r, peer)) /* held already */
        return true;
    struct core_out_held *h = calloc(1, sizeof *h);
    if (!h)
        return false;
    h->id = r->peers[peer].id;
    hs->of[peer] = h;
    hs->n++;
    return true;
}

void core_out_release(struct relay *r, uint32_t peer)
{
    struct core_out_held *h = held_of(r, peer);
    if (!h)
        return;
    r->holds.of[peer] = NULL; /* what goes out now goes out, not back in */
    for (size_t at = 0; at < h->used;) {
        uint32_t from = be32_get(h->q + at);
        size_t len = be16_get(h->q + at + 4);
        if (from != UINT32_MAX && (from >= r->cfg.peer_cap || !r->peers[from].connected))
            from = UINT32_MAX; /* its sender gone: no share to count it in */
        core_send_bytes_now(r, from, peer, h->q + at + HELD_HEAD, len);
        at += HELD_HEAD + len;
    }
    r->holds.of[peer] = h;
    held_free(r, peer);
}

void core_out_holds_free(struct relay *r)
{
    for (uint32_t i = 0; r->holds.of && i < r->cfg.peer_cap; i++)
        if (r->holds.of[i])
            held_free(r, i);
    free(r->holds.of);
    r->holds.of = NULL;
}

/* ---- sends ---- */

bool core_send_bytes(struct relay *r, uint32_t from, uint32_t peer, const uint8_t *bytes,
                     size_t len)
{
    struct core_out_held *h = held_of(r, peer);
    if (h) /* behind what is held for it (a replay of kept events), in order */
        return held_add(r, from, peer, h, bytes, len);
    return core_send_bytes_now(r, from, peer, bytes, len);
}

bool core_send_bytes_now(struct relay *r, uint32_t from, uint32_t peer, const uint8_t *bytes,
                         size_t len)
{
    if (!core_out_admit(r, from, peer, len))
        return false;
    deliver(r, peer, bytes, len);
    return true;
}

/* core_encode_out, a failure logged (the relay built r->out: a bug). */
static int encode_logged(struct relay *r)
{
    int n = core_encode_out(r);
    if (n < 0)
        log_error("relay: cannot encode %s: %s", proto_ctl_type_name(r->out.type),
                  proto_strerror(n));
    return n;
}

void core_send_out(struct relay *r, uint32_t peer)
{
    int n = encode_logged(r);
    if (n >= 0)
        core_send_json(r, UINT32_MAX, peer, (size_t)n);
}

void core_send_out_room(struct relay *r, const struct relay_room *room, uint32_t except,
                        uint32_t from)
{
    int n = encode_logged(r);
    for (uint32_t i = 0; n >= 0 && i < room->n; i++)
        if (room->members[i] != except)
            core_send_json(r, from, room->members[i], (size_t)n);
}

void core_send_out_many(struct relay *r, const uint32_t *peers, size_t n, uint32_t from)
{
    int len = encode_logged(r);
    for (size_t i = 0; len >= 0 && i < n; i++)
        core_send_json(r, from, peers[i], (size_t)len);
}

/* Error text must be valid chat-like text: printable ASCII, 1..TEXT_MAX. */
static void set_error_text(char *dst, const char *fmt, va_list ap)
{
    vsnprintf(dst, PROTO_TEXT_MAX + 1, fmt, ap);
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    if (!dst[0])
        snprintf(dst, PROTO_TEXT_MAX + 1, "error");
}

void core_errors_start(struct relay *r, uint32_t peer, uint64_t now_us)
{
    r->peers[peer].errors.tokens = (uint64_t)ERR_BUDGET_BURST * MICRO;
    r->peers[peer].errors.us = now_us;
}

void core_send_error(struct relay *r, uint32_t peer, bool force,
                     enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
{
    struct relay_peer *p = &r->peers[peer];
    if (!force) {
        core_bucket_refill(&p->errors.tokens, &p->errors.us, now_us, ERR_BUDGET_RATE,
                           ERR_BUDGET_BURST);
        if (p->errors.tokens < MICRO) {
            r->stats.errors_suppressed++;
            return;
        }
        p->errors.tokens -= MICRO;
    }
    proto_control_init(&r->out, PROTO_CTL_ERROR);
    snprintf(r->out.code, sizeof r->out.code, "%s", proto_error_name(code));
    va_list ap;
    va_start(ap, fmt);
    set_error_text(r->out.text, fmt, ap);
    va_end(ap);
    int n = core_encode_out(r);
    /* Cut the message to what the peer sent, if it must be no longer. */
    while (n > 0 && r->reply_cap && (size_t)n > r->reply_cap && strlen(r->out.text) > 1) {
        size_t over = (size_t)n - r->reply_cap, len = strlen(r->out.text);
        r->out.text[len > over ? len - over : 1] = '\0';
        n = core_encode_out(r);
    }
    if (n < 0 || (r->reply_cap && (size_t)n > r->reply_cap)) {
        r->stats.errors_suppressed++;
        return;
    }
    r->stats.errors_sent++;
    if (force) /* the error that closes it goes whole, past any bound */
        deliver(r, peer, (const uint8_t *)r->json, (size_t)n);
    else
        core_send_json(r, UINT32_MAX, peer, (size_t)n);
}
