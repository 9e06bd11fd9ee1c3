/* backlog.c: what the edges hold for each member, and the one policy over
 * it, the same on every edge (docs/design.md, "Backpressure"). Each edge
 * says what it holds for a peer and since when the network took none of
 * it (relay_transport's backlog); everything is decided here:
 *
 *   the bound     a message that would take what a member's edge holds past
 *                 max_queued_bytes is not queued, and the member is closed
 *                 (slow_reader);
 *   the throttle  past half the bound, a member's message (an event, chat,
 *                 a clock, a reliable state) is not queued when it would
 *                 take its sender's address past its fair share of what
 *                 waits: three quarters of the bound, less what waits
 *                 that is no member's message, over the addresses with
 *                 something waiting (traced per receiver, an exact
 *                 share for each address, shrinking in proportion as
 *                 the network takes what waits: struct core_trace);
 *                 each sender held back is told (throttled): so a
 *                 sender within its share is never held back however many
 *                 addresses the others use, no member, nor any set of
 *                 them, within the limits gets another closed; the relay's
 *                 own messages still go, and unreliable states stay the
 *                 edge's to drop or conflate;
 *   the stall     a member whose edge holds something and took none of it
 *                 for slow_reader_ms is closed (the sweep); the relay's
 *                 own stall (stopped, or starved of the CPU: its sweeps
 *                 far apart) is not its members', whose acknowledgements
 *                 wait unread meanwhile: their stalls count from its
 *                 return.
 *
 * Here everything is decided, nothing is sent: a close decided here, and
 * the word to a sender throttled, are carried out once the input in hand
 * is handled (peers.c: core_closes_due), never inside a fan-out or a
 * message sent to several: nothing re-enters a send, and the error saying
 * why goes past the bound. */
#define BY_BACKLOG_C /* this file writes the parts BY_BACKLOG_C marks */
#include "core.h"
#include "backlog_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What peer's edge holds now into *b; false if its edge holds nothing past
 * a flush (no backlog operation). */
static bool backlog_of(const struct relay *r, uint32_t peer, struct relay_backlog *b)
{
    const struct relay_transport *tp = core_edge(r, peer);
    if (!tp->backlog)
        return false;
    *b = (struct relay_backlog){0};
    tp->backlog(tp->ctx, peer, b);
    return true;
}

static struct core_trace *trace_of(struct relay *r, uint32_t peer)
{
    return &r->backlog.traces[peer];
}

/* peer's slot is new: its trace starts empty. */
static void caught_up(struct relay *r, uint32_t peer)
{
    trace_of(r, peer)->n = 0;
}

/* The trace follows what the edge holds: past what it holds now, every
 * share shrinks in proportion (the network took the oldest bytes, of
 * whoever they were), and an address left with none leaves the trace.
 * Returns what the trace holds then. */
static uint64_t decay(struct core_trace *t, uint64_t held)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < t->n; i++)
        sum += t->s[i].bytes;
    if (sum <= held)
        return sum;
    for (uint32_t i = 0; i < t->n;) {
        t->s[i].bytes = t->s[i].bytes * held / sum;
        if (t->s[i].bytes)
            i++;
        else
            t->s[i] = t->s[--t->n];
    }
    return held;
}

/* key's entry in t, or NULL when it has nothing waiting. */
static struct core_share *share_find(struct core_trace *t, uint64_t key)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->s[i].key == key)
            return &t->s[i];
    return NULL;
}

/* An entry for key, new in t: room made (CORE_SHARES at first, then
 * twice as much, up to max entries), else the smallest entry's place with
 * its count (see struct core_trace); NULL if t has no room at all (out
 * of memory: the bytes go untraced, counted as no member's). */
static struct core_share *share_add(struct core_trace *t, uint64_t key, uint32_t max)
{
    if (t->n == t->cap && t->cap < max) {
        uint32_t cap = t->cap ? t->cap * 2 : CORE_SHARES;
        cap = cap < max ? cap : max;
        struct core_share *s = realloc(t->s, (size_t)cap * sizeof *s);
        if (s) {
            t->s = s;
            t->cap = cap;
        }
    }
    if (!t->cap)
        return NULL;
    if (t->n < t->cap) {
        t->s[t->n] = (struct core_share){.key = key};
        return &t->s[t->n++];
    }
    struct core_share *least = &t->s[0];
    for (uint32_t i = 1; i < t->n; i++)
        if (t->s[i].bytes < least->bytes)
            least = &t->s[i];
    least->key = key;
    return least;
}

/* from is told, once the input is handled, that its message to peer was
 * held back. */
static void throttled(struct relay *r, uint32_t from, uint32_t peer)
{
    struct relay_peer *f = &r->peers[from];
    r->stats.drops[RELAY_DROP_THROTTLED]++;
    if (f->backlog.throttled_to || r->backlog.n_tell >= r->cfg.peer_cap)
        return;
    f->backlog.throttled_to = r->peers[peer].id ? r->peers[peer].id : UINT32_MAX;
    r->backlog.tell[r->backlog.n_tell++] = from;
}

bool core_out_admit(struct relay *r, uint32_t from, uint32_t peer, size_t len)
{
    const struct relay_peer *p = &r->peers[peer];
    if (p->backlog.closing) {
        r->stats.drops[RELAY_DROP_SEND_CLOSING]++;
        return false;
    }
    uint64_t bound = r->cfg.max_queued_bytes;
    struct relay_backlog b;
    if (!bound || !p->connected || !backlog_of(r, peer, &b))
        return true;
    if (b.bytes + len > bound) {
        r->stats.drops[RELAY_DROP_SLOW_READER]++;
        core_close_later(r, peer, CORE_CLOSE_OVER, &b, r->now_us);
        return false;
    }
    if (from == UINT32_MAX || from == peer || from >= r->cfg.peer_cap)
        return true;
    /* the members' part: three quarters of the bound, less what waits
     * that is no member's message (the relay's own, unreliable states),
     * over the addresses with something waiting, from's included */
    struct core_trace *t = trace_of(r, peer);
    uint64_t part = bound / 4 * 3, others = b.bytes - decay(t, b.bytes);
    uint64_t key = r->peers[from].source | 1;
    struct core_share *mine = share_find(t, key);
    uint32_t senders = t->n + !mine;
    part = others < part ? part - others : 0;
    if (b.bytes > bound / 2 && (mine ? mine->bytes : 0) + len > part / senders) {
        throttled(r, from, peer);
        return false;
    }
    if (!mine)
        mine = share_add(t, key, r->cfg.max_room_size + CORE_SHARES);
    if (mine)
        mine->bytes += len;
    return true;
}

void core_close_later(struct relay *r, uint32_t peer, enum core_close why,
                      const struct relay_backlog *b, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->backlog.closing || !p->connected || r->backlog.n_closes >= r->cfg.peer_cap)
        return;
    p->backlog.closing = (uint8_t)why;
    p->backlog.close_bytes = b->bytes;
    p->backlog.close_idle_us = now_us > b->moved_us ? now_us - b->moved_us : 0;
    r->backlog.closes[r->backlog.n_closes++] = peer;
}

void core_close_text(const struct relay *r, uint32_t peer, char *text, size_t cap)
{
    const struct relay_peer *p = &r->peers[peer];
    if (p->backlog.closing == CORE_CLOSE_OVER)
        snprintf(text, cap,
                 "%" PRIu64 " bytes queued to you (limit %zu): you read too slowly; closing",
                 p->backlog.close_bytes, r->cfg.max_queued_bytes);
    else
        snprintf(text, cap,
                 "%" PRIu64 " bytes queued to you and none taken for %" PRIu64
                 " ms: you read too slowly; closing",
                 p->backlog.close_bytes, p->backlog.close_idle_us / 1000);
}

#define CORE_AWAY_US 500000 /* sweeps this far apart (the loop's tick: 100 ms): the relay
                                itself was away */

void core_backlog_sweep(struct relay *r, uint64_t now_us)
{
    uint64_t bound = r->cfg.max_queued_bytes, slow = (uint64_t)r->cfg.slow_reader_ms * 1000;
    if (!bound && !slow)
        return;
    if (r->backlog.swept_us && now_us > r->backlog.swept_us + CORE_AWAY_US)
        r->backlog.back_us = now_us;
    r->backlog.swept_us = now_us;
    for (uint32_t i = 0; i < r->cfg.peer_cap; i++) {
        struct relay_backlog b;
        const struct relay_peer *p = &r->peers[i];
        if (!p->connected || p->backlog.closing || !backlog_of(r, i, &b) || !b.bytes)
            continue;
        if (bound && b.bytes > bound)
            core_close_later(r, i, CORE_CLOSE_OVER, &b, now_us);
        else if (slow && now_us >= b.moved_us + slow && now_us >= r->backlog.back_us + slow)
            core_close_later(r, i, CORE_CLOSE_STALLED, &b, now_us);
    }
}

void core_backlog_reset(struct relay *r, uint32_t peer)
{
    caught_up(r, peer);
}

/* The next entry of a queue, or UINT32_MAX with the queue emptied. */
static uint32_t take(const uint32_t *queue, uint32_t *n, uint32_t *taken)
{
    if (*taken < *n)
        return queue[(*taken)++];
    *n = *taken = 0;
    return UINT32_MAX;
}

uint32_t core_close_next(struct relay *r)
{
    return take(r->backlog.closes, &r->backlog.n_closes, &r->backlog.closes_taken);
}

uint32_t core_tell_next(struct relay *r, uint32_t *to_id)
{
    uint32_t from = take(r->backlog.tell, &r->backlog.n_tell, &r->backlog.tell_taken);
    if (from != UINT32_MAX) {
        *to_id = r->peers[from].backlog.throttled_to;
        r->peers[from].backlog.throttled_to = 0;
    }
    return from;
}

int core_backlog_alloc(struct relay *r)
{
    struct core_backlogs *q = &r->backlog;
    q->traces = calloc(r->cfg.peer_cap, sizeof *q->traces);
    q->closes = calloc(r->cfg.peer_cap, sizeof *q->closes);
    q->tell = calloc(r->cfg.peer_cap, sizeof *q->tell);
    return q->traces && q->closes && q->tell ? 0 : -1;
}

void core_backlog_free(struct relay *r)
{
    for (uint32_t i = 0; r->backlog.traces && i < r->cfg.peer_cap; i++)
        free(r->backlog.traces[i].s);
    free(r->backlog.traces);
    free(r->backlog.closes);
    free(r->backlog.tell);
}
