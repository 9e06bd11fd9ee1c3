/* interp.c: snapshot interpolation buffer (see interp.h), and
 * ricochet.h's ricochet_interp_* over it. */
#include "interp.h"

#include <stdlib.h>
#include <string.h>

/* Wrap-safe signed difference a - b of two uint64 times. */
static int64_t time_diff(uint64_t a, uint64_t b)
{
    return (int64_t)(a - b);
}

void interp_init(struct interp_buffer *b, uint64_t extrap_limit_us, uint64_t max_gap_us)
{
    memset(b, 0, sizeof *b);
    b->extrap_limit_us = extrap_limit_us;
    b->max_gap_us = max_gap_us;
}

void interp_clear(struct interp_buffer *b)
{
    b->n = 0;
    b->have_offset = false;
    b->offset_us = 0;
    b->have_raw = false;
}

uint64_t interp_local_time(const struct interp_buffer *b, size_t i)
{
    return b->s[i].send_us + b->offset_us;
}

int interp_push(struct interp_buffer *b, const struct ricochet_state *st, uint64_t recv_us)
{
    struct interp_sample smp = {
        .seq = st->seq, .send_us = st->send_us, .recv_us = recv_us,
        .x = st->x, .y = st->y, .vx = st->vx, .vy = st->vy,
    };
    uint64_t cand = recv_us - st->send_us; /* offset this sample suggests */
    size_t pos;

    b->arrivals++;
    b->raw = *st;
    b->have_raw = true;

    if (b->n > 0) {
        int64_t d = time_diff(st->send_us, b->s[b->n - 1].send_us);
        if (d > (int64_t)INTERP_RESET_US || d < -(int64_t)INTERP_RESET_US) {
            b->n = 0;
            b->have_offset = false;
            b->resets++;
        }
    }
    /* The smallest recv - send seen is the fastest trip plus any clock
     * difference; mapping sender times with it puts samples where a
     * jitter-free network would have delivered them. */
    if (!b->have_offset || time_diff(cand, b->offset_us) < 0) {
        b->offset_us = cand;
        b->have_offset = true;
    }

    /* Insertion point: after every sample with a smaller seq. Arrivals are
     * mostly in order, so scan from the newest end. */
    pos = b->n;
    while (pos > 0 && proto_seq_after(b->s[pos - 1].seq, smp.seq))
        pos--;
    if (pos > 0 && b->s[pos - 1].seq == smp.seq) {
        b->dropped++;
        return 0;
    }
    if (b->n == INTERP_CAP) {
        if (pos == 0) { /* older than everything we keep */
            b->dropped++;
            return 0;
        }
        memmove(&b->s[0], &b->s[1], (INTERP_CAP - 1) * sizeof b->s[0]);
        b->n--;
        pos--;
    }
    memmove(&b->s[pos + 1], &b->s[pos], (b->n - pos) * sizeof b->s[0]);
    b->s[pos] = smp;
    b->n++;
    return 1;
}

/* Moves from sample a along its velocity for dt µs, at most the limit. */
static enum interp_kind extrapolate(const struct interp_buffer *b,
                                    const struct interp_sample *a, uint64_t dt,
                                    struct interp_result *out)
{
    enum interp_kind kind = INTERP_EXTRAPOLATED;
    double secs;

    if (dt > b->extrap_limit_us) {
        dt = b->extrap_limit_us;
        kind = INTERP_STALE;
    }
    secs = (double)dt / 1e6;
    out->x = (float)((double)a->x + (double)a->vx * secs);
    out->y = (float)((double)a->y + (double)a->vy * secs);
    out->seq_a = out->seq_b = a->seq;
    out->kind = kind;
    return kind;
}

enum interp_kind interp_sample_at(const struct interp_buffer *b, uint64_t render_us,
                                  struct interp_result *out)
{
    const struct interp_sample *a, *c;
    size_t i;
    int64_t gap, into;
    double f;

    if (b->n == 0) {
        out->kind = INTERP_NONE;
        return INTERP_NONE;
    }
    if (time_diff(render_us, interp_local_time(b, 0)) <= 0) {
        out->x = b->s[0].x;
        out->y = b->s[0].y;
        out->seq_a = out->seq_b = b->s[0].seq;
        out->kind = time_diff(render_us, interp_local_time(b, 0)) == 0 ? INTERP_BETWEEN
                                                                       : INTERP_BEFORE;
        return out->kind;
    }
    /* Last sample at or before the render time. */
    i = b->n - 1;
    while (i > 0 && time_diff(interp_local_time(b, i), render_us) > 0)
        i--;
    a = &b->s[i];
    into = time_diff(render_us, interp_local_time(b, i));
    if (i == b->n - 1) {
        if (into == 0) { /* exactly on the newest sample */
            out->x = a->x;
            out->y = a->y;
            out->seq_a = out->seq_b = a->seq;
            out->kind = INTERP_BETWEEN;
            return INTERP_BETWEEN;
        }
        return extrapolate(b, a, (uint64_t)into, out);
    }
    c = &b->s[i + 1];
    gap = time_diff(interp_local_time(b, i + 1), interp_local_time(b, i));
    if (gap <= 0) { /* same send time twice: take the newer */
        out->x = c->x;
        out->y = c->y;
        out->seq_a = out->seq_b = c->seq;
        out->kind = INTERP_BETWEEN;
        return INTERP_BETWEEN;
    }
    if ((uint64_t)gap > b->max_gap_us) /* a long hole: do not glide across it */
        return extrapolate(b, a, (uint64_t)into, out);
    f = (double)into / (double)gap;
    out->x = (float)((double)a->x + ((double)c->x - (double)a->x) * f);
    out->y = (float)((double)a->y + ((double)c->y - (double)a->y) * f);
    out->seq_a = a->seq;
    out->seq_b = c->seq;
    out->kind = INTERP_BETWEEN;
    return INTERP_BETWEEN;
}

const char *interp_kind_name(enum interp_kind kind)
{
    switch (kind) {
    case INTERP_NONE: return "none";
    case INTERP_BEFORE: return "before";
    case INTERP_BETWEEN: return "between";
    case INTERP_EXTRAPOLATED: return "extrapolated";
    case INTERP_STALE: return "stale";
    }
    return "?";
}

/* ---- ricochet.h's ricochet_interp_* ---- */

_Static_assert(INTERP_STALE == 4 && INTERP_NONE == 0, "ricochet.h's kinds are interp's");

struct ricochet_interp {
    struct interp_buffer b;
};

struct ricochet_interp *ricochet_interp_new(uint32_t extrapolate_ms, uint32_t max_gap_ms)
{
    if (max_gap_ms == 0 || max_gap_ms > 3600000u)
        return NULL;
    struct ricochet_interp *ip = malloc(sizeof *ip);
    if (ip)
        interp_init(&ip->b, (uint64_t)extrapolate_ms * 1000, (uint64_t)max_gap_ms * 1000);
    return ip;
}

void ricochet_interp_free(struct ricochet_interp *ip)
{
    free(ip);
}

void ricochet_interp_clear(struct ricochet_interp *ip)
{
    if (ip)
        interp_clear(&ip->b);
}

int ricochet_interp_push(struct ricochet_interp *ip, const struct ricochet_state *st,
                         uint64_t recv_us)
{
    if (!ip || !st)
        return RICOCHET_E_INVALID;
    return interp_push(&ip->b, st, recv_us);
}

int ricochet_interp_at(const struct ricochet_interp *ip, uint64_t render_us,
                       struct ricochet_interp_point *out)
{
    struct interp_result res;
    if (!ip || !out)
        return RICOCHET_E_INVALID;
    memset(out, 0, sizeof *out);
    interp_sample_at(&ip->b, render_us, &res);
    out->kind = (enum ricochet_interp_kind)res.kind;
    if (res.kind != INTERP_NONE) {
        out->x = res.x;
        out->y = res.y;
        out->seq_a = res.seq_a;
        out->seq_b = res.seq_b;
    }
    return (int)out->kind;
}

int ricochet_interp_latest(const struct ricochet_interp *ip, struct ricochet_state *out)
{
    if (!ip || !out || !ip->b.have_raw)
        return 0;
    *out = ip->b.raw;
    return 1;
}

const char *ricochet_interp_kind_name(enum ricochet_interp_kind kind)
{
    return interp_kind_name((enum interp_kind)kind);
}
