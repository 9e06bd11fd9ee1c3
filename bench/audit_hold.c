/* audit_hold.c: what a loss held back on an ordered flow (see
 * audit_hold.h). Each flow is swept once in the order netsim read things:
 * the forwarded numbers grow a prefix without gaps (and ranges beyond it,
 * waiting for a gap to fill); a mark whose end the prefix has not reached
 * waits too, and is complete when a forward fills the last gap before its
 * end: the dropped piece that covered that gap is what held it. */
#include "audit_hold.h"

#include <stdlib.h>
#include <string.h>

struct hold_piece {
    uint64_t t, start, end;  /* read at t (a forward: about, its line time less its delay);
                                numbers from the flow's start */
    uint64_t out;            /* handed on then (a forward's line time) */
    size_t line;             /* the order of the lines, for pieces read at one time */
    bool dropped;
};

struct hold_mark {
    uint64_t t, end;
    size_t line;
    size_t piece;            /* its first transmission in the flow's pieces (SIZE_MAX:
                                found by the sweep, a stream's) */
    uint32_t sender, seq;
};

struct hold_flow {
    struct hold_key key;
    bool active;             /* the newest flow of its key (a new SYN makes another) */
    bool based;
    uint32_t base;           /* a stream's first number (its SYN's, or the first seen) */
    uint64_t places;         /* a reliable channel's states placed so far */
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
    struct hold_result *results;
    size_t n_results;
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
    free(h->results);
    free(h);
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

/* When a line's piece was read. */
static uint64_t read_at(const struct hold_line *l)
{
    return l->dropped || l->delay_us > l->t_us ? l->t_us : l->t_us - l->delay_us;
}

static int add_piece(struct audit_holds *h, struct hold_flow *f, const struct hold_line *l,
                     uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0; /* takes no numbers: holds nothing back */
    if (grow((void **)&f->pieces, &f->cap_pieces, f->n_pieces, sizeof *f->pieces) != 0)
        return -1;
    f->pieces[f->n_pieces++] = (struct hold_piece){
        .t = read_at(l), .out = l->t_us, .start = start, .end = end, .line = h->lines++,
        .dropped = l->dropped};
    h->drops += l->dropped;
    return 0;
}

static int add_mark(struct audit_holds *h, struct hold_flow *f, uint64_t t, uint64_t end,
                    size_t piece, uint32_t sender, uint32_t seq)
{
    if (grow((void **)&f->marks, &f->cap_marks, f->n_marks, sizeof *f->marks) != 0)
        return -1;
    f->marks[f->n_marks++] = (struct hold_mark){.t = t, .end = end, .line = h->lines++,
                                                .piece = piece, .sender = sender, .seq = seq};
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
                             uint32_t sender, uint32_t seq, uint32_t start, uint32_t end)
{
    struct hold_flow *f = flow_of(h, k, false);
    if (!f)
        return -1;
    if (!f->based) { /* no segment seen before it: its frame starts the numbers */
        f->based = true;
        f->base = start;
    }
    return add_mark(h, f, t_us, offset(f, start) + (uint32_t)(end - start), SIZE_MAX, sender,
                    seq);
}

int audit_holds_reliable(struct audit_holds *h, const struct hold_key *k,
                         const struct hold_line *l, uint32_t sender, uint32_t seq, bool first,
                         uint64_t *place)
{
    struct hold_flow *f = flow_of(h, k, false);
    if (!f)
        return -1;
    if (first) {
        *place = f->places++;
        if (add_piece(h, f, l, *place, *place + 1) != 0)
            return -1;
        return add_mark(h, f, read_at(l), *place + 1, f->n_pieces - 1, sender, seq);
    }
    return add_piece(h, f, l, *place, *place + 1);
}

/* ---- the sweep ---- */

static int by_end(const void *a, const void *b)
{
    const struct hold_mark *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* What a flow's sweep keeps: the prefix, the ranges forwarded beyond it
 * (sorted, apart), and the marks waiting for the prefix. */
struct sweep {
    uint64_t prefix;
    struct { uint64_t start, end; } *ranges;
    size_t n_ranges, cap_ranges;
    size_t *waiting;            /* indexes into the flow's marks */
    size_t n_waiting, cap_waiting;
    struct hold_result *out;    /* the flow's marks' results, by the same indexes */
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

/* The forward fw moved the prefix from gap (a number no forward had
 * covered): the waiting marks it reaches are complete, held by the piece
 * dropped over gap. */
static void complete(struct sweep *s, const struct hold_flow *f, const struct hold_piece *fw,
                     uint64_t gap)
{
    const struct hold_piece *by = dropper(f, gap);
    size_t kept = 0;
    for (size_t w = 0; w < s->n_waiting; w++) {
        size_t m = s->waiting[w];
        if (f->marks[m].end > s->prefix) {
            s->waiting[kept++] = m;
            continue;
        }
        struct hold_result *r = &s->out[m];
        r->arrive_us = fw->out;
        r->state = by ? HOLD_RESOLVED : HOLD_UNATTRIBUTED;
        if (by) {
            r->drop_us = by->t;
            r->drop_start = by->start;
            r->drop_end = by->end;
        }
    }
    s->n_waiting = kept;
}

static int wait_for(struct sweep *s, size_t m)
{
    if (grow((void **)&s->waiting, &s->cap_waiting, s->n_waiting, sizeof *s->waiting) != 0)
        return -1;
    s->waiting[s->n_waiting++] = m;
    s->out[m].state = HOLD_UNRESOLVED; /* until a forward completes it */
    return 0;
}

/* A stream's marks' first transmissions: the packet netsim read when it
 * named the state (at the mark's time) carried its end. Dropped, its drop
 * line has that time; else it is the first forward to carry the end, in
 * the order netsim handed them on (numbers are first sent in order, and
 * netsim keeps the order). first[m] gets the piece (SIZE_MAX: none); the
 * marks sorted by end, fw the forwards in order. */
static void stream_firsts(const struct hold_flow *f, const size_t *fw, size_t n_fw,
                          size_t *first)
{
    uint64_t reached = 0;
    size_t m = 0;
    for (size_t k = 0; k < n_fw; k++) {
        const struct hold_piece *pc = &f->pieces[fw[k]];
        if (pc->end <= reached)
            continue;
        for (; m < f->n_marks && f->marks[m].end <= pc->end; m++)
            first[m] = f->marks[m].end > pc->start ? fw[k] : SIZE_MAX;
        reached = pc->end;
    }
    for (; m < f->n_marks; m++)
        first[m] = SIZE_MAX;
    for (m = 0; m < f->n_marks; m++) {
        const struct hold_mark *mk = &f->marks[m];
        for (size_t p = 0; mk->piece == SIZE_MAX && p < f->n_pieces; p++) {
            const struct hold_piece *pc = &f->pieces[p];
            if (pc->dropped && pc->t == mk->t && pc->start < mk->end && mk->end <= pc->end)
                first[m] = p;
        }
        if (mk->piece != SIZE_MAX)
            first[m] = mk->piece; /* a reliable state's: its first line */
    }
}

/* The forwards of f in the order netsim handed them on. */
static size_t *forwards_in_order(const struct hold_flow *f, size_t *n)
{
    size_t *fw = malloc((f->n_pieces ? f->n_pieces : 1) * sizeof *fw);
    *n = 0;
    for (size_t p = 0; fw && p < f->n_pieces; p++)
        if (!f->pieces[p].dropped)
            fw[(*n)++] = p;
    /* stable insertion by out: the pieces are nearly in that order already */
    for (size_t i = 1; fw && i < *n; i++) {
        size_t x = fw[i], j = i;
        for (; j > 0 && f->pieces[fw[j - 1]].out > f->pieces[x].out; j--)
            fw[j] = fw[j - 1];
        fw[j] = x;
    }
    return fw;
}

/* A forward in the sweep: the prefix grows, what waited for it completes. */
static int take(struct sweep *s, const struct hold_flow *f, size_t p)
{
    uint64_t before = s->prefix;
    if (forward(s, f->pieces[p].start, f->pieces[p].end) != 0)
        return -1;
    if (s->prefix > before)
        complete(s, f, &f->pieces[p], before);
    return 0;
}

/* The marks whose first transmission crossed, in the order it was handed
 * on, judged against the prefix of the forwards handed on up to then, that
 * one included; the marks whose first transmission was dropped wait from
 * the start. */
static int sweep_flow(struct hold_flow *f, struct hold_result *out)
{
    qsort(f->marks, f->n_marks, sizeof *f->marks, by_end);
    size_t *first = malloc((f->n_marks ? f->n_marks : 1) * sizeof *first), n_fw = 0;
    size_t *fw = forwards_in_order(f, &n_fw);
    size_t *order = malloc((f->n_marks ? f->n_marks : 1) * sizeof *order), n_order = 0;
    struct sweep s = {.out = out};
    int rc = first && fw && order ? 0 : -1;
    if (rc == 0)
        stream_firsts(f, fw, n_fw, first);
    for (size_t m = 0; rc == 0 && m < f->n_marks; m++) {
        out[m] = (struct hold_result){.key = f->key, .sender = f->marks[m].sender,
                                      .seq = f->marks[m].seq, .seen_us = f->marks[m].t};
        if (first[m] != SIZE_MAX && !f->pieces[first[m]].dropped)
            order[n_order++] = m; /* judged when its first transmission crossed */
        else
            rc = wait_for(&s, m); /* its own numbers were lost (or never seen) */
    }
    /* in the order the first transmissions were handed on (insertion: nearly sorted) */
    for (size_t i = 1; rc == 0 && i < n_order; i++) {
        size_t x = order[i], j = i;
        for (; j > 0 && f->pieces[first[order[j - 1]]].out > f->pieces[first[x]].out; j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < n_order; i++) {
        const struct hold_piece *mine = &f->pieces[first[order[i]]];
        for (; k < n_fw && rc == 0 && (f->pieces[fw[k]].out < mine->out ||
                                       (f->pieces[fw[k]].out == mine->out &&
                                        f->pieces[fw[k]].line <= mine->line)); k++)
            rc = take(&s, f, fw[k]);
        if (f->marks[order[i]].end <= s.prefix)
            out[order[i]].arrive_us = mine->out;
        else if (rc == 0)
            rc = wait_for(&s, order[i]);
    }
    for (; k < n_fw && rc == 0 && s.n_waiting; k++)
        rc = take(&s, f, fw[k]);
    free(first);
    free(fw);
    free(order);
    free(s.ranges);
    free(s.waiting);
    return rc;
}

int audit_holds_settle(struct audit_holds *h)
{
    size_t total = 0;
    for (size_t i = 0; i < h->n_flows; i++)
        total += h->flows[i].n_marks;
    free(h->results);
    h->n_results = 0;
    h->results = calloc(total ? total : 1, sizeof *h->results);
    if (!h->results)
        return -1;
    for (size_t i = 0; i < h->n_flows; i++) {
        if (sweep_flow(&h->flows[i], h->results + h->n_results) != 0)
            return -1;
        h->n_results += h->flows[i].n_marks;
    }
    return 0;
}

bool audit_holds_result(const struct audit_holds *h, size_t i, struct hold_result *out)
{
    if (i >= h->n_results)
        return false;
    *out = h->results[i];
    return true;
}

uint64_t audit_holds_drops(const struct audit_holds *h)
{
    return h->drops;
}
