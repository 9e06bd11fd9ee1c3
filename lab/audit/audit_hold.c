/* audit_hold.c: what a loss held back on an ordered flow (see
 * audit_hold.h). Each flow is swept once in the order netsim handed its
 * forwards on: they grow a prefix without gaps (and ranges beyond it,
 * waiting for a gap to fill); a mark whose end the prefix had not reached
 * when its first transmission crossed waits, and is complete when a
 * forward fills the last gap before its end: the dropped piece that
 * covered that gap is what held it. */
#include "audit_hold.h"

#include <stdlib.h>
#include <string.h>

struct hold_piece {
    uint64_t t, start, end;  /* read at t (a drop; a forward: about, its line time less its
                                delay); numbers from the flow's start */
    uint64_t out;            /* a forward: handed on then (its line's time) */
    uint64_t delay;          /* ... after this delay */
    size_t line;             /* the order of the lines, for pieces handed on at one time */
    bool dropped;
    size_t fill;             /* a drop: the forward that first carried its start after it
                                (its retransmission; SIZE_MAX: none) */
};

struct hold_mark {
    uint64_t t, end;
    size_t piece;            /* its first transmission in the flow's pieces (SIZE_MAX:
                                found by the sweep, a stream's) */
    struct hold_result r;
};

struct hold_flow {
    struct hold_key key;
    bool active;             /* the newest flow of its key (a new SYN makes another) */
    bool based;
    uint32_t base;           /* a stream's first number (its SYN's, or the first seen) */
    struct hold_piece *pieces;
    size_t n_pieces, cap_pieces;
    struct hold_mark *marks;
    size_t n_marks, cap_marks;
};

struct audit_holds {
    struct hold_flow *flows;
    size_t n_flows, cap_flows;
    size_t lines;
    uint64_t drops;
};

/* Grows *buf (of *cap items of size each) to hold one more. Returns 0 or -1. */
static int grow(void **buf, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t bigger = *cap ? *cap * 2 : 64;
    void *p = realloc(*buf, bigger * size);
    if (!p)
        return -1;
    *buf = p;
    *cap = bigger;
    return 0;
}

struct audit_holds *audit_holds_new(void)
{
    return calloc(1, sizeof(struct audit_holds));
}

void audit_holds_free(struct audit_holds *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_flows; i++) {
        free(h->flows[i].pieces);
        free(h->flows[i].marks);
    }
    free(h->flows);
    free(h);
}

static hold_mark_id mark_id(const struct audit_holds *h, const struct hold_flow *f, size_t m)
{
    return ((uint64_t)(f - h->flows) << 32 | m) + 1;
}

static struct hold_mark *mark_of(const struct audit_holds *h, hold_mark_id id,
                                 struct hold_flow **flow)
{
    if (id == 0 || (id - 1) >> 32 >= h->n_flows)
        return NULL;
    struct hold_flow *f = &h->flows[(id - 1) >> 32];
    size_t m = (size_t)((id - 1) & 0xffffffffu);
    if (flow)
        *flow = f;
    return m < f->n_marks ? &f->marks[m] : NULL;
}

static bool key_equal(const struct hold_key *a, const struct hold_key *b)
{
    return a->dir == b->dir && a->flow.peer == b->flow.peer &&
           netaddr_equal(&a->flow.ep, &b->flow.ep);
}

/* The active flow of k; a new one if there is none or fresh is set. */
static struct hold_flow *flow_of(struct audit_holds *h, const struct hold_key *k, bool fresh)
{
    for (size_t i = h->n_flows; i-- > 0;) {
        struct hold_flow *f = &h->flows[i];
        if (f->active && key_equal(&f->key, k)) {
            if (!fresh)
                return f;
            f->active = false;
            break;
        }
    }
    if (grow((void **)&h->flows, &h->cap_flows, h->n_flows, sizeof *h->flows) != 0)
        return NULL;
    struct hold_flow *f = &h->flows[h->n_flows++];
    memset(f, 0, sizeof *f);
    f->key = *k;
    f->active = true;
    return f;
}

static int add_piece(struct audit_holds *h, struct hold_flow *f, const struct hold_line *l,
                     uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0; /* takes no numbers: holds nothing back */
    if (grow((void **)&f->pieces, &f->cap_pieces, f->n_pieces, sizeof *f->pieces) != 0)
        return -1;
    uint64_t delay = l->dropped || l->delay_us > l->t_us ? 0 : l->delay_us;
    f->pieces[f->n_pieces++] = (struct hold_piece){
        .t = l->t_us - delay, .out = l->t_us, .delay = delay, .start = start, .end = end,
        .line = h->lines++, .dropped = l->dropped, .fill = SIZE_MAX};
    h->drops += l->dropped;
    return 0;
}

static int add_mark(struct audit_holds *h, struct hold_flow *f, uint64_t t, uint64_t end,
                    size_t piece, hold_mark_id *id)
{
    if (f->n_marks >= 0xffffffffu ||
        grow((void **)&f->marks, &f->cap_marks, f->n_marks, sizeof *f->marks) != 0)
        return -1;
    f->marks[f->n_marks] = (struct hold_mark){.t = t, .end = end, .piece = piece,
                                              .r = {.seen_us = t}};
    *id = mark_id(h, f, f->n_marks++);
    return 0;
}

/* A stream's number n, counted from the flow's start. */
static uint64_t offset(const struct hold_flow *f, uint32_t n)
{
    return (uint32_t)(n - f->base);
}

int audit_holds_segment(struct audit_holds *h, const struct hold_key *k,
                        const struct hold_line *l, uint32_t start, uint32_t end, bool syn)
{
    struct hold_flow *f = flow_of(h, k, false);
    if (f && syn && f->based && f->base != start)
        f = flow_of(h, k, true); /* another connection from the same endpoint */
    if (!f)
        return -1;
    if (!f->based) {
        f->based = true;
        f->base = start;
    }
    return add_piece(h, f, l, offset(f, start), offset(f, start) + (uint32_t)(end - start));
}

int audit_holds_stream_state(struct audit_holds *h, const struct hold_key *k, uint64_t t_us,
                             uint32_t start, uint32_t end, hold_mark_id *id)
{
    struct hold_flow *f = flow_of(h, k, false);
    if (!f)
        return -1;
    if (!f->based) { /* no segment seen before it: its frame starts the numbers */
        f->based = true;
        f->base = start;
    }
    return add_mark(h, f, t_us, offset(f, start) + (uint32_t)(end - start), SIZE_MAX, id);
}

int audit_holds_reliable(struct audit_holds *h, const struct hold_key *k,
                         const struct hold_line *l, hold_mark_id *id)
{
    struct hold_flow *f = *id ? NULL : flow_of(h, k, false);
    if (*id) { /* a later line of a placed state: its place again */
        struct hold_mark *m = mark_of(h, *id, &f);
        return m ? add_piece(h, f, l, m->end - 1, m->end) : -1;
    }
    if (!f)
        return -1;
    uint64_t place = f->n_marks;
    if (add_piece(h, f, l, place, place + 1) != 0)
        return -1;
    return add_mark(h, f, f->pieces[f->n_pieces - 1].t, place + 1, f->n_pieces - 1, id);
}

/* ---- at the receiver: the sweep ---- */

/* What a flow's sweep keeps: the prefix, the ranges forwarded beyond it
 * (sorted, apart), and the marks waiting for the prefix. */
struct sweep {
    uint64_t prefix;
    struct { uint64_t start, end; } *ranges;
    size_t n_ranges, cap_ranges;
    size_t *waiting;            /* indexes into the flow's marks */
    size_t n_waiting, cap_waiting;
};

/* The piece dropped first (netsim's drop times are exact) that covers n. */
static const struct hold_piece *dropper(const struct hold_flow *f, uint64_t n)
{
    const struct hold_piece *first = NULL;
    for (size_t i = 0; i < f->n_pieces; i++) {
        const struct hold_piece *p = &f->pieces[i];
        if (p->dropped && p->start <= n && n < p->end && (!first || p->t < first->t))
            first = p;
    }
    return first;
}

/* A forwarded piece: into the ranges, and the prefix as far as it now
 * reaches without a gap. Returns 0 or -1. */
static int forward(struct sweep *s, uint64_t start, uint64_t end)
{
    if (end <= s->prefix)
        return 0;
    if (start <= s->prefix) {
        s->prefix = end;
    } else {
        size_t i = 0;
        while (i < s->n_ranges && s->ranges[i].start < start)
            i++;
        if (grow((void **)&s->ranges, &s->cap_ranges, s->n_ranges, sizeof *s->ranges) != 0)
            return -1;
        memmove(&s->ranges[i + 1], &s->ranges[i], (s->n_ranges - i) * sizeof *s->ranges);
        s->ranges[i].start = start;
        s->ranges[i].end = end;
        s->n_ranges++;
    }
    size_t k = 0; /* the ranges the prefix reaches now */
    while (k < s->n_ranges && s->ranges[k].start <= s->prefix) {
        if (s->ranges[k].end > s->prefix)
            s->prefix = s->ranges[k].end;
        k++;
    }
    if (k) {
        memmove(s->ranges, s->ranges + k, (s->n_ranges - k) * sizeof *s->ranges);
        s->n_ranges -= k;
    }
    return 0;
}

/* The mark is held by the piece by (NULL: by none the log shows). */
static void held_by(struct hold_result *r, const struct hold_piece *by)
{
    r->state = by ? HOLD_RESOLVED : HOLD_UNATTRIBUTED;
    if (by) {
        r->drop_us = by->t;
        r->drop_start = by->start;
        r->drop_end = by->end;
    }
}

/* The forward fw moved the prefix from gap (a number no forward had
 * covered): the waiting marks it reaches are complete, held by the piece
 * dropped over gap. */
static void complete(struct sweep *s, struct hold_flow *f, const struct hold_piece *fw,
                     uint64_t gap)
{
    const struct hold_piece *by = dropper(f, gap);
    size_t kept = 0;
    for (size_t w = 0; w < s->n_waiting; w++) {
        struct hold_mark *mk = &f->marks[s->waiting[w]];
        if (mk->end > s->prefix) {
            s->waiting[kept++] = s->waiting[w];
            continue;
        }
        mk->r.arrive_us = fw->out;
        held_by(&mk->r, by);
    }
    s->n_waiting = kept;
}

static int wait_for(struct sweep *s, struct hold_flow *f, size_t m)
{
    if (grow((void **)&s->waiting, &s->cap_waiting, s->n_waiting, sizeof *s->waiting) != 0)
        return -1;
    s->waiting[s->n_waiting++] = m;
    f->marks[m].r.state = HOLD_UNRESOLVED; /* until a forward completes it */
    return 0;
}

/* Index arrays (qsort_r, arg the flow): forwards by when netsim handed
 * them on, marks by end, marks by when their first transmission was. */
static int by_out(const void *a, const void *b, void *arg)
{
    const struct hold_flow *f = arg;
    const struct hold_piece *x = &f->pieces[*(const size_t *)a];
    const struct hold_piece *y = &f->pieces[*(const size_t *)b];
    if (x->out != y->out)
        return x->out < y->out ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int by_end(const void *a, const void *b, void *arg)
{
    const struct hold_flow *f = arg;
    const struct hold_mark *x = &f->marks[*(const size_t *)a];
    const struct hold_mark *y = &f->marks[*(const size_t *)b];
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int by_first(const void *a, const void *b, void *arg)
{
    const struct hold_flow *f = arg;
    return by_out(&f->marks[*(const size_t *)a].piece, &f->marks[*(const size_t *)b].piece,
                  arg);
}

/* A forward in the sweep: the prefix grows, what waited for it completes. */
static int take(struct sweep *s, struct hold_flow *f, size_t p)
{
    uint64_t before = s->prefix;
    if (forward(s, f->pieces[p].start, f->pieces[p].end) != 0)
        return -1;
    if (s->prefix > before)
        complete(s, f, &f->pieces[p], before);
    return 0;
}

/* A stream's marks' first transmissions: the packet netsim read when it
 * named the state (at the mark's time) carried its end. Dropped, its drop
 * line has that time; else it is the first forward to carry the end, in
 * the order netsim handed them on (numbers are first sent in order, and
 * netsim keeps the order). ends: the marks by end; fw: the forwards. */
static void stream_firsts(struct hold_flow *f, const size_t *ends, const size_t *fw,
                          size_t n_fw)
{
    uint64_t reached = 0;
    size_t m = 0;
    for (size_t k = 0; k < n_fw; k++) {
        const struct hold_piece *pc = &f->pieces[fw[k]];
        if (pc->end <= reached)
            continue;
        for (; m < f->n_marks && f->marks[ends[m]].end <= pc->end; m++) {
            struct hold_mark *mk = &f->marks[ends[m]];
            if (mk->piece == SIZE_MAX && mk->end > pc->start)
                mk->piece = fw[k];
        }
        reached = pc->end;
    }
    for (size_t p = 0; p < f->n_pieces; p++) {
        const struct hold_piece *pc = &f->pieces[p];
        for (size_t i = 0; pc->dropped && i < f->n_marks; i++) {
            struct hold_mark *mk = &f->marks[i];
            if (pc->t == mk->t && pc->start < mk->end && mk->end <= pc->end)
                mk->piece = p;
        }
    }
}

/* Each drop's retransmission: the first forward after it to carry its start. */
static void find_fills(struct hold_flow *f, const size_t *fw, size_t n_fw)
{
    for (size_t p = 0; p < f->n_pieces; p++) {
        struct hold_piece *d = &f->pieces[p];
        for (size_t k = 0; d->dropped && d->fill == SIZE_MAX && k < n_fw; k++) {
            const struct hold_piece *pc = &f->pieces[fw[k]];
            if (pc->out > d->t && pc->start <= d->start && d->start < pc->end)
                d->fill = fw[k];
        }
    }
}

/* The marks whose first transmission crossed, in the order it was handed
 * on, judged against the prefix of the forwards handed on up to then, that
 * one included; the marks whose first transmission was dropped wait from
 * the start. ends, fw, order: index arrays of n_marks, n_pieces, n_marks. */
static int sweep_flow(struct hold_flow *f, size_t *ends, size_t *fw, size_t *order)
{
    size_t n_fw = 0, n_order = 0;
    for (size_t p = 0; p < f->n_pieces; p++)
        if (!f->pieces[p].dropped)
            fw[n_fw++] = p;
    for (size_t m = 0; m < f->n_marks; m++)
        ends[m] = m;
    qsort_r(fw, n_fw, sizeof *fw, by_out, f);
    qsort_r(ends, f->n_marks, sizeof *ends, by_end, f);
    stream_firsts(f, ends, fw, n_fw);
    find_fills(f, fw, n_fw);
    struct sweep s = {0};
    int rc = 0;
    for (size_t m = 0; rc == 0 && m < f->n_marks; m++) {
        const struct hold_mark *mk = &f->marks[m];
        if (mk->piece != SIZE_MAX && !f->pieces[mk->piece].dropped)
            order[n_order++] = m; /* judged when its first transmission crossed */
        else
            rc = wait_for(&s, f, m); /* its own numbers were lost (or never seen) */
    }
    qsort_r(order, n_order, sizeof *order, by_first, f);
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < n_order; i++) {
        struct hold_mark *mk = &f->marks[order[i]];
        const struct hold_piece *mine = &f->pieces[mk->piece];
        for (; k < n_fw && rc == 0 && by_out(&fw[k], &mk->piece, f) <= 0; k++)
            rc = take(&s, f, fw[k]);
        if (mk->end <= s.prefix)
            mk->r.arrive_us = mine->out;
        else if (rc == 0)
            rc = wait_for(&s, f, order[i]);
    }
    for (; k < n_fw && rc == 0 && s.n_waiting; k++)
        rc = take(&s, f, fw[k]);
    free(s.ranges);
    free(s.waiting);
    return rc;
}

int audit_holds_settle(struct audit_holds *h)
{
    for (size_t i = 0; i < h->n_flows; i++) {
        struct hold_flow *f = &h->flows[i];
        size_t *ends = malloc((f->n_marks + 1) * sizeof *ends);
        size_t *fw = malloc((f->n_pieces + 1) * sizeof *fw);
        size_t *order = malloc((f->n_marks + 1) * sizeof *order);
        int rc = ends && fw && order ? sweep_flow(f, ends, fw, order) : -1;
        free(ends);
        free(fw);
        free(order);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- at the sender ---- */

void audit_holds_written(struct audit_holds *h, hold_mark_id id, uint64_t written_us,
                         uint64_t slack_us)
{
    struct hold_flow *f;
    struct hold_mark *mk = mark_of(h, id, &f);
    if (!mk || mk->r.state != HOLD_NONE || !written_us || mk->t <= written_us + slack_us)
        return; /* held at the receiver already, or it left when written */
    const struct hold_piece *by = NULL;
    uint64_t by_back = 0;
    for (size_t p = 0; p < f->n_pieces; p++) {
        const struct hold_piece *d = &f->pieces[p];
        if (!d->dropped || d->t >= mk->t)
            continue;
        /* recovered once the retransmission's acknowledgement is back: a hop on */
        const struct hold_piece *fill = d->fill == SIZE_MAX ? NULL : &f->pieces[d->fill];
        uint64_t back = fill ? fill->out + fill->delay : UINT64_MAX;
        if (back + slack_us >= written_us && (!by || back > by_back)) {
            by = d;
            by_back = back;
        }
    }
    if (by) {
        held_by(&mk->r, by);
        mk->r.at_sender = true;
    }
}

bool audit_holds_get(const struct audit_holds *h, hold_mark_id id, struct hold_result *out)
{
    const struct hold_mark *mk = mark_of(h, id, NULL);
    if (!mk)
        return false;
    *out = mk->r;
    return true;
}

uint64_t audit_holds_drops(const struct audit_holds *h)
{
    return h->drops;
}
