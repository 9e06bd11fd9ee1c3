/* poll_session.c: the HTTP polling edge's sessions (see
 * transport_poll.h): the core's peers, their queues of frames, the held
 * states of a session behind (conflation), its backlog, and a GET's
 * answer out of its queue. What reads requests is transport_poll.c's. */
#include "transport_poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sys/clock.h"
#include "relay/core/edge.h"
#include "relay/core/source_key.h"

/* ---- answers' heads ------------------------------------------------------- */

void poll_count(struct relay_poll *t, enum relay_drop why)
{
    if (t->relay)
        relay_count_drop(t->relay, why);
}

/* Small on purpose: a short poll pays an answer's head every time. */
bool poll_head(struct relay_poll *t, uint32_t ci, int status, const char *extra, size_t length,
               bool keep)
{
    char h[HTTP_ANSWER_MAX + HTTP_CORS_MAX], len[40] = "";
    if (status != 204) /* a 204 has no body, and says no length (RFC 9110) */
        snprintf(len, sizeof len, "Content-Length: %zu\r\n", length);
    int n = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\n%s%s%s\r\n", status, http_reason(status),
                     extra ? extra : "", len, keep ? "" : "Connection: close\r\n");
    return n > 0 && (size_t)n < sizeof h && stream_append(&t->s, ci, h, (size_t)n);
}

/* A GET's answer: len bytes of frames (then appended) after this head,
 * the same whether they are some or none. */
static bool get_head(struct relay_poll *t, uint32_t ci, size_t len, const char *cors, bool keep)
{
    char extra[64 + HTTP_CORS_MAX];
    snprintf(extra, sizeof extra, "Content-Type: application/octet-stream\r\n"
                                  "Cache-Control: no-store\r\n%s", cors);
    return poll_head(t, ci, 200, extra, len, keep);
}

/* Connection ci's GET was answered: a request it sent behind it, already
 * read, is taken at the next service (not from inside this answer, which
 * may itself be another request's doing). */
void poll_read_again(struct relay_poll *t, uint32_t ci)
{
    struct poll_conn *c = &t->conns[ci];
    if (c->in_len == 0 || c->again)
        return;
    c->again = true;
    t->again[t->n_again++] = ci;
    t->s.backlog = true; /* the loop comes back without waiting */
}

/* Connection ci stops holding its GET; the caller answers it. */
void poll_unhold(struct relay_poll *t, uint32_t ci)
{
    struct poll_conn *c = &t->conns[ci];
    t->sessions[c->session].waiter = POLL_NONE;
    c->session = POLL_NONE;
    c->started_us = 0;
    t->n_holding--;
}

/* ---- sessions ------------------------------------------------------------ */

static struct poll_session *session_of(struct relay_poll *t, uint32_t peer)
{
    uint32_t i = peer - t->base;
    if (peer < t->base || i >= t->n_sessions || !t->sessions[i].used)
        return NULL;
    return &t->sessions[i];
}

/* Frees session si (the core has forgotten it); a GET of it still held is
 * answered empty: nothing more is coming. */
void poll_session_free(struct relay_poll *t, uint32_t si, uint64_t now_us)
{
    struct poll_session *s = &t->sessions[si];
    if (!s->used)
        return;
    uint32_t ci = s->waiter;
    if (ci != POLL_NONE) {
        bool keep = t->conns[ci].keep;
        poll_unhold(t, ci);
        if (!get_head(t, ci, 0, t->conns[ci].cors, keep))
            poll_count(t, RELAY_DROP_SEND_FAILED);
        if (!keep)
            stream_close(&t->s, ci, now_us);
        poll_read_again(t, ci);
    }
    free(s->out);
    free(s->held);
    bool ready = s->ready; /* the ready list skips it */
    *s = (struct poll_session){.waiter = POLL_NONE, .ready = ready};
    t->free_sessions[t->n_free++] = si;
}

/* Sessions (in use) whose join came from addr's host. */
uint32_t poll_sessions_from_host(const struct relay_poll *t, const union netaddr *addr)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->n_sessions; i++)
        n += t->sessions[i].used && source_same(&t->sessions[i].addr, addr);
    return n;
}

/* Something is queued for session si: its held GET is answered at the
 * flush (every message of the turn in one answer). */
static void wake(struct relay_poll *t, uint32_t si)
{
    struct poll_session *s = &t->sessions[si];
    if (s->waiter != POLL_NONE && !s->ready) {
        s->ready = true;
        t->ready[t->n_ready++] = si;
    }
}

/* One message into session s's queue as a frame. */
static bool queue_frame(struct poll_session *s, const uint8_t *msg, size_t len)
{
    if (len == 0 || len > POLL_FRAME_MAX)
        return false;
    if (s->out_len + 2 + len > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + 2 + len)
            cap *= 2;
        uint8_t *grown = realloc(s->out, cap);
        if (!grown)
            return false;
        s->out = grown;
        s->out_cap = cap;
    }
    s->out[s->out_len] = (uint8_t)(len >> 8);
    s->out[s->out_len + 1] = (uint8_t)len;
    memcpy(s->out + s->out_len + 2, msg, len);
    s->out_len += 2 + len;
    return true;
}

/* The held states into the queue, in the order they were first held. */
static void release_held(struct relay_poll *t, struct poll_session *s)
{
    for (uint32_t i = 0; i < s->n_held; i++)
        if (!queue_frame(s, s->held[i].bytes, s->held[i].len))
            poll_count(t, RELAY_DROP_SEND_FAILED);
    s->n_held = 0;
}

/* Holds sender from's state in place of its older held one (conflation). */
static bool hold(struct relay_poll *t, struct poll_session *s, uint32_t peer, uint32_t from,
                 const uint8_t *bytes, size_t len)
{
    struct stream_held *h = NULL;
    for (uint32_t i = 0; i < s->n_held && !h; i++)
        if (s->held[i].from == from)
            h = &s->held[i];
    if (h && t->relay)
        relay_count_conflated(t->relay, peer, 1);
    if (!h) {
        if (s->n_held == s->held_cap) {
            uint32_t cap = s->held_cap ? s->held_cap * 2 : 8;
            struct stream_held *grown = realloc(s->held, cap * sizeof *grown);
            if (!grown)
                return false;
            s->held = grown;
            s->held_cap = cap;
        }
        h = &s->held[s->n_held++];
        h->from = from;
    }
    h->len = (uint16_t)len;
    memcpy(h->bytes, bytes, len);
    return true;
}

/* ---- the core's callbacks ------------------------------------------------ */

static void poll_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_poll *t = ctx;
    struct poll_session *s = session_of(t, peer);
    if (!s || s->closing) {
        poll_count(t, RELAY_DROP_SEND_CLOSING);
        return;
    }
    release_held(t, s); /* a sender's last states before its left notice */
    if (!queue_frame(s, (const uint8_t *)json, len))
        poll_count(t, RELAY_DROP_SEND_FAILED);
    wake(t, peer - t->base);
}

static void poll_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                            uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)channel; /* one queue: no channels */
    struct relay_poll *t = ctx;
    bool reliable = (flags & PROTO_FLAG_RELIABLE) != 0;
    for (size_t k = 0; k < n; k++) {
        struct poll_session *s = session_of(t, peers[k]);
        if (!s || s->closing) {
            poll_count(t, RELAY_DROP_SEND_CLOSING);
            continue;
        }
        bool behind = s->out_len >= POLL_ANSWER_MAX; /* more than one answer waits */
        bool queued = behind && !reliable && len <= PROTO_STATE_MAX
                          ? hold(t, s, peers[k], from, bytes, len)
                          : queue_frame(s, bytes, len);
        if (!queued)
            poll_count(t, RELAY_DROP_SEND_FAILED);
        wake(t, peers[k] - t->base);
    }
}

/* After what is queued (the error telling why): the session keeps it for
 * one more GET, POLL_CLOSE_LINGER_US at most. */
static void poll_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)why; /* the error message the core queued says it */
    struct relay_poll *t = ctx;
    struct poll_session *s = session_of(t, peer);
    if (!s || s->closing)
        return;
    release_held(t, s);
    s->closing = true;
    s->closing_us = clock_now_us();
    wake(t, peer - t->base);
}

static void poll_backlog(void *ctx, uint32_t peer, struct relay_backlog *out)
{
    struct relay_poll *t = ctx;
    struct poll_session *s = session_of(t, peer);
    if (!s)
        return;
    uint64_t bytes = s->out_len;
    for (uint32_t i = 0; i < s->n_held; i++)
        bytes += s->held[i].len;
    /* Up to one answer's worth waits as a stream's kernel send buffer takes
     * it: whatever the network does, a GET held up on a lossy path (TCP
     * backing off) is no slow reader; past it the clock runs. */
    if (bytes <= POLL_ANSWER_MAX)
        s->took_us = clock_now_us();
    out->bytes = bytes;
    out->moved_us = s->took_us;
}

struct relay_transport poll_core(void *ctx, uint32_t base)
{
    struct relay_poll *t = ctx;
    t->base = base;
    t->s.base = base; /* stream_accept counts the edge's members by it */
    struct relay_transport c = t->s.core;
    c.ctx = t;
    c.peers = t->n_sessions;
    c.send_control = poll_send_control;
    c.send_state = poll_send_state;
    c.disconnect = poll_disconnect;
    c.backlog = poll_backlog;
    return c;
}

/* ---- GET: the session's queue ---------------------------------------------- */

/* Answers connection ci's GET for session si with what waits (one
 * answer's worth); a closing session whose queue is all taken is freed. */
void poll_answer_now(struct relay_poll *t, uint32_t ci, uint32_t si, const char *cors,
                     bool keep, uint64_t now_us)
{
    struct poll_session *s = &t->sessions[si];
    if (s->n_held && s->out_len < POLL_ANSWER_MAX)
        release_held(t, s);
    size_t take = poll_frames_fit(s->out, s->out_len, POLL_ANSWER_MAX);
    if (!get_head(t, ci, take, cors, keep) || (take && !stream_append(&t->s, ci, s->out, take)))
        poll_count(t, RELAY_DROP_SEND_FAILED);
    if (take) {
        memmove(s->out, s->out + take, s->out_len - take);
        s->out_len -= take;
        s->took_us = now_us;
    }
    s->asked_us = now_us;
    /* the connection's idle clock starts at its answer, not at a GET it
     * held meanwhile: a long poll past --timeout-ms is no silence */
    t->s.conns[ci].last_us = now_us;
    if (!keep)
        stream_close(&t->s, ci, now_us);
    if (s->closing && s->out_len == 0 && s->n_held == 0)
        poll_session_free(t, si, now_us);
}

/* Session si's held GET, answered now with what waits (or nothing). */
void poll_answer_held(struct relay_poll *t, uint32_t si, uint64_t now_us)
{
    uint32_t ci = t->sessions[si].waiter;
    if (ci == POLL_NONE)
        return;
    poll_unhold(t, ci);
    poll_answer_now(t, ci, si, t->conns[ci].cors, t->conns[ci].keep, now_us);
    poll_read_again(t, ci);
}

/* ---- refused joins: their last words, without a session ------------------ */

static bool refused_kept(const struct poll_refused *e, uint64_t now_us)
{
    return e->source && e->until_us > now_us;
}

/* The entry for a refusal from source: the oldest of its own once it has
 * POLL_REFUSED_PER_SOURCE, else a free or expired one, else the oldest. */
static struct poll_refused *refused_room(struct relay_poll *t, uint64_t source, uint64_t now_us)
{
    struct poll_refused *mine = NULL, *free_one = NULL, *oldest = &t->refused[0];
    uint32_t n_mine = 0;
    for (uint32_t i = 0; i < POLL_REFUSED_KEPT; i++) {
        struct poll_refused *e = &t->refused[i];
        if (!refused_kept(e, now_us)) {
            free_one = e;
            continue;
        }
        if (e->source == source && (!mine || e->until_us < mine->until_us))
            mine = e;
        n_mine += e->source == source;
        if (e->until_us < oldest->until_us)
            oldest = e;
    }
    return n_mine >= POLL_REFUSED_PER_SOURCE ? mine : free_one ? free_one : oldest;
}

void poll_refused_keep(struct relay_poll *t, uint32_t si, uint64_t now_us)
{
    struct poll_session *s = &t->sessions[si];
    release_held(t, s);
    struct poll_refused *e = refused_room(t, source_key(&s->addr), now_us);
    *e = (struct poll_refused){.source = source_key(&s->addr),
                               .until_us = now_us + POLL_CLOSE_LINGER_US, .slot = si};
    memcpy(e->secret, s->secret, sizeof e->secret);
    e->len = (uint16_t)poll_frames_fit(s->out, s->out_len, POLL_REFUSED_BYTES);
    memcpy(e->frames, s->out, e->len);
    s->out_len = 0;
    poll_session_free(t, si, now_us);
}

bool poll_refused_answer(struct relay_poll *t, uint32_t ci, const struct poll_query *q,
                         const char *cors, bool keep, uint64_t now_us)
{
    for (uint32_t i = 0; i < POLL_REFUSED_KEPT; i++) {
        struct poll_refused *e = &t->refused[i];
        if (!refused_kept(e, now_us) || e->slot != q->slot ||
            sodium_memcmp(e->secret, q->secret, POLL_SECRET_BYTES) != 0)
            continue;
        if (!get_head(t, ci, e->len, cors, keep) || !stream_append(&t->s, ci, e->frames, e->len))
            poll_count(t, RELAY_DROP_SEND_FAILED);
        e->source = 0;
        if (!keep)
            stream_close(&t->s, ci, now_us);
        return true;
    }
    return false;
}
