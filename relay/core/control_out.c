/* control_out.c: control messages out: encoded once, admitted past what
 * the receiver's edge holds (backlog.c), counted (see control_out_internal.h). */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../sys/log.h"

int core_encode_out(struct relay *r)
{
    return proto_control_encode(r->json, sizeof r->json, &r->out);
}

/* bytes to peer on the control way, sealed if its session is, counted:
 * what every send comes to, once admitted. */
static void deliver(struct relay *r, uint32_t peer, const uint8_t *bytes, size_t len)
{
    size_t n;
    const uint8_t *b = core_seal_for(r, peer, SEAL_LANE_CONTROL, bytes, len, r->sealing.sealed_out,
                                     PROTO_CONTROL_MAX + SEAL_OVERHEAD, &n);
    if (!b)
        return;
    r->stats.control_out++;
    r->stats.bytes_out += n;
    core_edge_stats(r, peer)->bytes_out += n;
    core_edge(r, peer)->send_control(core_edge(r, peer)->ctx, peer, (const char *)b, n);
}

void core_send_json(struct relay *r, uint32_t from, uint32_t peer, size_t len)
{
    core_send_bytes(r, from, peer, (const uint8_t *)r->json, len);
}

bool core_send_bytes(struct relay *r, uint32_t from, uint32_t peer, const uint8_t *bytes,
                     size_t len)
{
    if (core_join_holds(r, peer)) /* behind its replay of kept events, in order */
        return core_join_queue(r, from, peer, bytes, len);
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
