/* audit.c: a bench run reconciled with netsim's drop log (see audit.h). */
#include "audit.h"
#include "audit_log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A stream's state netsim first saw this much later than it was written
 * left late: its sender's TCP held it (a host keeps the gap far shorter). */
#define SENDER_SLACK_US 10000

/* ---- what the run saw ---- */

struct audit_track {
    size_t n, k, cap, words;  /* clients, room size, window sends per sender, bitmap words */
    uint32_t *base;           /* per sender: seq of its first window send */
    bool *based;
    uint64_t *failed;         /* per sender: window sends that failed */
    uint64_t *sent;           /* n x words: window seqs sent, bit seq - base */
    uint64_t *sent_at;        /* n x cap: when each left (0: unknown) */
    uint64_t *got[AUDIT_GOTS]; /* per enum audit_got, n x k x words: per (receiver,
                                 sender's place in its room) */
};

struct audit_track *audit_track_new(size_t n, size_t k, size_t cap)
{
    struct audit_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = n;
    t->k = k;
    t->cap = cap;
    t->words = cap / 64 + 1;
    t->base = calloc(n, sizeof *t->base);
    t->based = calloc(n, sizeof *t->based);
    t->failed = calloc(n, sizeof *t->failed);
    t->sent = calloc(n * t->words, sizeof *t->sent);
    t->sent_at = calloc(n * cap, sizeof *t->sent_at);
    bool ok = t->base && t->based && t->failed && t->sent && t->sent_at;
    for (int g = 0; g < AUDIT_GOTS; g++)
        ok = (t->got[g] = calloc(n * k * t->words, sizeof *t->got[g])) && ok;
    if (!ok) {
        audit_track_free(t);
        return NULL;
    }
    return t;
}

void audit_track_free(struct audit_track *t)
{
    if (!t)
        return;
    free(t->base);
    free(t->based);
    free(t->failed);
    free(t->sent);
    free(t->sent_at);
    for (int g = 0; g < AUDIT_GOTS; g++)
        free(t->got[g]);
    free(t);
}

/* Bit of s's seq, or -1 if s has no window send or seq is outside it. */
static long track_bit(const struct audit_track *t, size_t s, uint32_t seq)
{
    if (s >= t->n || !t->based[s])
        return -1;
    uint32_t d = seq - t->base[s]; /* wrap-safe: seqs count up from the base */
    return d < t->cap ? (long)d : -1;
}

static bool bit_get(const uint64_t *map, long b)
{
    return map[b / 64] >> (b % 64) & 1;
}

static void bit_set(uint64_t *map, long b)
{
    map[b / 64] |= (uint64_t)1 << (b % 64);
}

void audit_track_sent(struct audit_track *t, size_t s, uint32_t seq)
{
    if (s >= t->n)
        return;
    if (!t->based[s]) {
        t->based[s] = true;
        t->base[s] = seq;
    }
    long b = track_bit(t, s, seq);
    if (b >= 0)
        bit_set(t->sent + s * t->words, b);
}

void audit_track_failed(struct audit_track *t, size_t s)
{
    if (s < t->n)
        t->failed[s]++;
}

void audit_track_sent_at(struct audit_track *t, size_t s, uint32_t seq, uint64_t at_us)
{
    long b = track_bit(t, s, seq);
    if (b >= 0)
        t->sent_at[s * t->cap + (size_t)b] = at_us;
}

uint64_t audit_track_when_sent(const struct audit_track *t, size_t s, uint32_t seq)
{
    long b = track_bit(t, s, seq);
    return b >= 0 ? t->sent_at[s * t->cap + (size_t)b] : 0;
}

/* Receiver i's row for sender s, or NULL if s is not in i's room. */
static size_t pair_of(const struct audit_track *t, size_t i, size_t s, bool *ok)
{
    size_t first = i / t->k * t->k;
    *ok = i < t->n && s >= first && s < first + t->k && s < t->n;
    return (i * t->k + (s - first)) * t->words;
}

void audit_track_got(struct audit_track *t, size_t i, size_t s, uint32_t seq,
                     enum audit_got how)
{
    bool ok;
    size_t row = pair_of(t, i, s, &ok);
    long b = track_bit(t, s, seq);
    if (ok && b >= 0 && (unsigned)how < AUDIT_GOTS)
        bit_set(t->got[how] + row, b);
}

/* ---- reconciliation ---- */

const char *audit_where_name(int where)
{
    static const char *const names[] = {"none", "up_fwd", "down_fwd", "up_drop", "down_drop",
                                        "held", "slow"};
    return where >= 0 && where <= AUDIT_WHERE_SLOW ? names[where] : "?";
}

void audit_flow_str(const struct audit_flow *f, char *buf, size_t cap)
{
    netaddr_format(&f->ep, buf, cap);
    size_t len = strlen(buf);
    if (f->peer >= 0 && len + 1 < cap)
        snprintf(buf + len, cap - (size_t)len, "#%d", f->peer);
}

static void list_item(struct audit_result *a, const struct audit_client *cl, long s, long i,
                      uint32_t seq, int where)
{
    if (a->listed >= AUDIT_LIST)
        return;
    struct audit_item *it = &a->items[a->listed++];
    memset(it, 0, sizeof *it);
    it->seq = seq;
    it->where = (uint8_t)where;
    if (s >= 0) {
        it->sender = cl[s].id;
        it->sender_flow = cl[s].up;
    }
    if (i >= 0) {
        it->receiver = cl[i].id;
        it->receiver_flow = cl[i].down;
    }
}

/* A set of non-zero keys (open addressing, 0 = empty): the audit_log
 * datagrams a receiver's full socket is taken to have dropped, or the
 * states the relay is taken to have shed. */
struct overflowed {
    uint64_t *dgram;
    size_t mask;
};

/* Is dgram in the set? Adds it if not and add is set (the set has room: it
 * holds at most its budget of drops, under half its size). */
static bool overflowed(struct overflowed *o, uint64_t dgram, bool add)
{
    if (!o->dgram)
        return false;
    size_t k = (size_t)(dgram * 0x9e3779b97f4a7c15u) & o->mask;
    for (; o->dgram[k] != 0; k = (k + 1) & o->mask)
        if (o->dgram[k] == dgram)
            return true;
    if (add)
        o->dgram[k] = dgram;
    return false;
}

/* Did i's full socket drop the datagram that carried this state? One
 * socket drop explains every state of its datagram; budget: what is left
 * of the socket's drops. */
static bool lost_in_socket(struct overflowed *o, uint64_t dgram, uint64_t *budget)
{
    if (overflowed(o, dgram, false))
        return true;
    if (*budget == 0)
        return false;
    (*budget)--;
    overflowed(o, dgram, true);
    return true;
}

/* What explaining one run's misses keeps: the socket drops left per
 * receiver (kept at each socket's first client), the datagrams taken as
 * lost in a full socket, and the relay's stale sheds left with the
 * states taken as shed. */
struct miss_ctx {
    const struct audit_track *t;
    const struct audit_client *cl;
    const struct audit_log *log;
    uint64_t listen_end_us;
    struct overflowed o;
    struct overflowed shed;   /* keys: s x cap + bit + 1 */
    uint64_t shed_left;
    struct overflowed unsent; /* keys as shed's: states dropped before they left */
    uint64_t *unsent_left;    /* n: what is left of each sender's queue drops */
    uint64_t queued_left;     /* what is left of the relay's queue drops */
};

/* Did s's state (bit b) never leave s, dropped from its full datagram
 * queue? netsim never saw it go up. One drop explains it for every
 * receiver; budget: s's count. */
static bool dropped_by_sender(struct miss_ctx *m, size_t s, long b)
{
    uint64_t key = (uint64_t)s * m->t->cap + (uint64_t)b + 1;
    if (overflowed(&m->unsent, key, false))
        return true;
    if (!m->unsent_left || m->unsent_left[s] == 0)
        return false;
    m->unsent_left[s]--;
    overflowed(&m->unsent, key, true);
    return true;
}

/* Did the relay shed s's state (bit b, seq) as stale? netsim forwarded it
 * up; no member of the room got it, nor does netsim's log show it going
 * down to any of them. One stale drop explains the state for every
 * receiver; budget: the relay's stale count. */
static bool shed_by_relay(struct miss_ctx *m, size_t s, long b, uint32_t seq)
{
    const struct audit_track *t = m->t;
    uint64_t key = (uint64_t)s * t->cap + (uint64_t)b + 1;
    if (overflowed(&m->shed, key, false))
        return true;
    if (m->shed_left == 0)
        return false;
    size_t first = s / t->k * t->k;
    for (size_t i = first; i < first + t->k && i < t->n; i++) {
        bool ok;
        size_t row = pair_of(t, i, s, &ok);
        if (i == s || !ok)
            continue;
        for (int g = 0; g < 3; g++)
            if (bit_get(t->got[g] + row, b))
                return false;
        if (audit_log_find(m->log, NETSIM_DOWN, &m->cl[i].down, m->cl[s].id, seq))
            return false;
    }
    m->shed_left--;
    overflowed(&m->shed, key, true);
    return true;
}

/* One missed state: s's bit b (seq), never delivered to i. budget: what
 * is left of i's socket drops to explain states netsim did hand to its
 * socket. */
static void explain_miss(struct miss_ctx *m, size_t s, size_t i, long b, uint64_t *budget,
                         struct audit_result *a)
{
    const struct audit_client *cl = m->cl;
    uint32_t seq = m->t->base[s] + (uint32_t)b;
    const struct audit_entry *up = audit_log_find(m->log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = audit_log_find(m->log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    int where;
    if (down && down->fwds) {
        if (down->discards == down->fwds) {
            a->enet_window++;
            return;
        }
        if (down->first_fwd_us >= m->listen_end_us) {
            a->late++;
            return;
        }
        if (lost_in_socket(&m->o, down->first_fwd_dgram, budget)) {
            a->overflow++;
            return;
        }
        where = AUDIT_WHERE_DOWN_FWD;
    } else if (down && down->drops) {
        a->down++;
        return;
    } else if (down && down->corrupts) {
        a->corrupt++;
        return;
    } else if (down && down->exits) {
        a->late++; /* still in netsim when the run ended */
        return;
    } else if (up && up->fwds) {
        if (up->discards == up->fwds) {
            a->enet_window++;
            return;
        }
        if (shed_by_relay(m, s, b, seq)) {
            a->stale++;
            return;
        }
        if (!down && m->queued_left > 0) { /* one pair a drop */
            m->queued_left--;
            a->relay_queue++;
            return;
        }
        where = AUDIT_WHERE_UP_FWD;
    } else if (up && up->drops) {
        a->up++;
        return;
    } else if (up && up->corrupts) {
        a->corrupt++;
        return;
    } else if (up && up->exits) {
        a->late++;
        return;
    } else if (!up && !down && dropped_by_sender(m, s, b)) {
        a->sender_queue++;
        return;
    } else {
        where = AUDIT_WHERE_NONE;
    }
    a->unexplained++;
    a->unexplained_where[where]++;
    list_item(a, cl, (long)s, (long)i, seq, where);
}

/* A stream's missed state: nothing is lost on a stream, so it can only
 * have been on its way when the bench stopped counting (or never
 * completed in netsim's log), else it is unexplained (a relay that closed
 * the connection, a bug). */
static void explain_stream_miss(const struct audit_client *cl, const struct audit_log *log,
                                size_t s, size_t i, uint32_t seq, uint64_t listen_end_us,
                                struct audit_result *a)
{
    const struct audit_entry *up = audit_log_find(log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = audit_log_find(log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    const struct audit_entry *last = down && down->sent ? down : up && up->sent ? up : NULL;
    struct hold_result r = {0};
    if (last && (!audit_holds_get(log->holds, last->mark, &r) || !r.arrive_us ||
                 r.arrive_us >= listen_end_us)) {
        a->late++;
        return;
    }
    int where = last == NULL ? AUDIT_WHERE_NONE
                : last == down ? AUDIT_WHERE_DOWN_FWD : AUDIT_WHERE_UP_FWD;
    a->unexplained++;
    a->unexplained_where[where]++;
    list_item(a, cl, (long)s, (long)i, seq, where);
}

/* Whether netsim's log shows s's seq dropped on its way to i and never
 * forwarded there: on s's uplink, or on i's downlink. */
static bool dropped_on_the_way(const struct audit_client *cl, const struct audit_log *log,
                               size_t s, size_t i, uint32_t seq)
{
    const struct audit_entry *up = audit_log_find(log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = audit_log_find(log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    return (up && up->drops && !up->fwds) || (down && down->drops && !down->fwds);
}

/* A set of at most n keys, under half full. Its dgram is NULL if out of
 * memory (then it holds nothing). */
static struct overflowed set_new(uint64_t n)
{
    struct overflowed o = {.mask = 15};
    while (o.mask < 2 * n)
        o.mask = o.mask * 2 + 1;
    o.dgram = calloc(o.mask + 1, sizeof *o.dgram);
    return o;
}

/* Every state sent in the window to every room member: what netsim
 * dropped of them (from the log alone), and each one a member did not get. */
static void reconcile_misses(const struct audit_track *t, const struct audit_client *cl,
                             const struct audit_log *log, bool stream, uint64_t listen_end_us,
                             struct audit_result *a)
{
    /* what is left of each socket's drops, kept at its first client */
    uint64_t *budget = calloc(t->n ? t->n : 1, sizeof *budget), drops = 0;
    for (size_t i = 0; budget && i < t->n; i++)
        drops += budget[i] = cl[i].socket_owner == i ? cl[i].socket_drops : 0;
    struct miss_ctx m = {.t = t, .cl = cl, .log = log, .listen_end_us = listen_end_us,
                         .o = set_new(drops), .shed = set_new(a->relay_stale),
                         .shed_left = a->relay_stale,
                         .unsent_left = calloc(t->n ? t->n : 1, sizeof(uint64_t)),
                         .queued_left = a->relay_queued};
    uint64_t unsent = 0;
    for (size_t s = 0; m.unsent_left && s < t->n; s++)
        unsent += m.unsent_left[s] = cl[s].queue_drops;
    m.unsent = set_new(unsent);
    uint64_t none = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t *left = budget && cl[i].socket_owner < t->n ? &budget[cl[i].socket_owner] : &none;
        size_t first = i / t->k * t->k;
        for (size_t s = first; s < first + t->k && s < t->n; s++) {
            if (s == i)
                continue;
            bool ok;
            size_t row = pair_of(t, i, s, &ok);
            const uint64_t *sent = t->sent + s * t->words;
            for (long b = 0; b < (long)t->cap; b++) {
                if (!bit_get(sent, b))
                    continue;
                a->netsim_dropped += dropped_on_the_way(cl, log, s, i, t->base[s] + (uint32_t)b);
                if (bit_get(t->got[AUDIT_GOT] + row, b))
                    continue;
                a->missed++;
                if (bit_get(t->got[AUDIT_TOO_OLD] + row, b))
                    a->too_old++;
                else if (bit_get(t->got[AUDIT_GOT_LATE] + row, b))
                    a->late++;
                else if (stream)
                    explain_stream_miss(cl, log, s, i, t->base[s] + (uint32_t)b, listen_end_us,
                                        a);
                else
                    explain_miss(&m, s, i, b, left, a);
            }
        }
    }
    free(budget);
    free(m.o.dgram);
    free(m.shed.dgram);
    free(m.unsent.dgram);
    free(m.unsent_left);
}

/* Client whose flow in direction dir is f, or -1 (linear: runs through
 * netsim have few clients, and only drops are looked up). */
static long client_of_flow(const struct audit_client *cl, size_t n, int dir,
                           const struct audit_flow *f)
{
    for (size_t c = 0; c < n; c++) {
        const struct audit_flow *g = dir == NETSIM_UP ? &cl[c].up : &cl[c].down;
        if (g->peer == f->peer && netaddr_equal(&g->ep, &f->ep))
            return (long)c;
    }
    return -1;
}

static long client_of_id(const struct audit_client *cl, size_t n, uint32_t id)
{
    for (size_t c = 0; c < n; c++)
        if (cl[c].id == id)
            return (long)c;
    return -1;
}

/* Reliable: every drop of a window state is followed by a forward of it. */
static void reconcile_retransmissions(const struct audit_track *t,
                                      const struct audit_client *cl,
                                      const struct audit_log *log, struct audit_result *a)
{
    for (size_t k = 0; k < log->cap; k++) {
        const struct audit_entry *x = &log->slots[k];
        if (!x->used || x->drops == 0)
            continue;
        long c = client_of_flow(cl, t->n, x->key.dir, &x->key.flow);
        bool up = x->key.dir == NETSIM_UP;
        long s = up ? c : client_of_id(cl, t->n, x->key.sender);
        long b = c >= 0 && s >= 0 ? track_bit(t, (size_t)s, x->key.seq) : -1;
        if (b < 0 || !bit_get(t->sent + (size_t)s * t->words, b))
            continue; /* not a state of the window (or not one of ours) */
        a->state_drops += x->drops;
        if (x->fwds && x->last_fwd_us > x->last_drop_us) {
            a->retransmitted += x->drops;
        } else if (x->fwds) {
            a->redundant += x->drops;
        } else {
            a->unretransmitted += x->drops;
            list_item(a, cl, s, up ? -1 : c, x->key.seq,
                      up ? AUDIT_WHERE_UP_DROP : AUDIT_WHERE_DOWN_DROP);
        }
    }
}

/* One delivered state of s to i in a lossless mode: was it held back on
 * s's uplink or i's downlink, and by a drop the log shows retransmitted?
 * (Late by the bench's clock and held by nothing: the host's doing.) */
static void judge_hold(const struct audit_client *cl, const struct audit_log *log, size_t s,
                       size_t i, uint32_t seq, bool slow, bool stream, struct audit_result *a)
{
    const struct audit_entry *up = audit_log_find(log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = audit_log_find(log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    struct hold_result ru = {0}, rd = {0};
    if (up)
        audit_holds_get(log->holds, up->mark, &ru);
    if (down)
        audit_holds_get(log->holds, down->mark, &rd);
    int hu = ru.state, hd = rd.state;
    if (hu == HOLD_NONE && hd == HOLD_NONE) {
        if (slow) {
            a->late_unheld++;
            list_item(a, cl, (long)s, (long)i, seq, AUDIT_WHERE_SLOW);
        }
        return;
    }
    a->held++;
    a->held_up += hu != HOLD_NONE;
    a->held_down += hd != HOLD_NONE;
    if (hu == HOLD_UNATTRIBUTED || hd == HOLD_UNATTRIBUTED) {
        a->unattributed++;
        list_item(a, cl, (long)s, (long)i, seq, AUDIT_WHERE_HELD);
    } else if (hu == HOLD_UNRESOLVED || hd == HOLD_UNRESOLVED) {
        a->held_unresolved++; /* reliable: its drop is listed as never retransmitted */
        if (stream)
            list_item(a, cl, (long)s, (long)i, seq,
                      hu == HOLD_UNRESOLVED ? AUDIT_WHERE_UP_DROP : AUDIT_WHERE_DOWN_DROP);
    }
}

/* A stream: when each window state was written, for what held it at the
 * sender (audit_holds_written): its sender's states when the bench sent
 * them, the relay's when netsim handed them to it complete. */
static void stream_writers(const struct audit_track *t, const struct audit_client *cl,
                           struct audit_log *log)
{
    for (size_t s = 0; s < t->n; s++) {
        for (long b = 0; t->based[s] && b < (long)t->cap; b++) {
            uint32_t seq = t->base[s] + (uint32_t)b;
            const struct audit_entry *up = audit_log_find(log, NETSIM_UP, &cl[s].up, 0, seq);
            struct hold_result r;
            if (!bit_get(t->sent + s * t->words, b) || !up)
                continue;
            audit_holds_written(log->holds, up->mark, t->sent_at[s * t->cap + (size_t)b],
                                SENDER_SLACK_US);
            if (!audit_holds_get(log->holds, up->mark, &r) || !r.arrive_us)
                continue;
            size_t first = s / t->k * t->k;
            for (size_t i = first; i < first + t->k && i < t->n; i++) {
                const struct audit_entry *down =
                    i == s ? NULL : audit_log_find(log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
                if (down)
                    audit_holds_written(log->holds, down->mark, r.arrive_us, SENDER_SLACK_US);
            }
        }
    }
}

/* Lossless modes: every delivered window state judged (judge_hold). */
static void reconcile_holds(const struct audit_track *t, const struct audit_client *cl,
                            const struct audit_log *log, bool stream, struct audit_result *a)
{
    for (size_t i = 0; i < t->n; i++) {
        size_t first = i / t->k * t->k;
        for (size_t s = first; s < first + t->k && s < t->n; s++) {
            bool ok;
            size_t row = pair_of(t, i, s, &ok);
            for (long b = 0; s != i && b < (long)t->cap; b++)
                if (bit_get(t->sent + s * t->words, b) && bit_get(t->got[AUDIT_GOT] + row, b))
                    judge_hold(cl, log, s, i, t->base[s] + (uint32_t)b,
                               bit_get(t->got[AUDIT_SLOW] + row, b), stream, a);
        }
    }
}

void audit_reconcile(const struct audit_track *t, const struct audit_client *clients,
                     struct audit_log *log, enum proto_mode mode, uint64_t listen_end_us,
                     struct audit_result *a)
{
    const struct proto_mode_info *mi = proto_mode_info(mode);
    a->log_states = log->states;
    for (size_t i = 0; i < t->n; i++) {
        size_t first = i / t->k * t->k;
        size_t members = t->n - first < t->k ? t->n - first : t->k;
        a->not_sent += t->failed[i] * (members - 1);
        if (clients[i].socket_owner == i) /* a shared socket once */
            a->socket_drops += clients[i].socket_drops;
    }
    if (mi->stream)
        stream_writers(t, clients, log);
    reconcile_misses(t, clients, log, mi->stream, listen_end_us, a);
    if (mi->up_flags & PROTO_FLAG_RELIABLE)
        reconcile_retransmissions(t, clients, log, a);
    if (proto_mode_lossless(mode))
        reconcile_holds(t, clients, log, mi->stream, a);
    if (mi->stream)
        a->segment_drops = audit_holds_drops(log->holds);
}

bool audit_clean(const struct audit_result *a)
{
    return a->done && a->unexplained == 0 && a->unretransmitted == 0 && a->unattributed == 0 &&
           a->held_unresolved == 0;
}
