/* live_lanes.c: each lane's states and figures, and the snapshot (see
 * live.h). The figures are the bench's own: a state's delivery by
 * recvstats' rule, its latency into a histogram, delivery %, p50, p99 and
 * bytes per delivered state by harness/figures.h, the longest gap as the bench
 * measures it (arrival to arrival), netsim's drops per state as the audit
 * counts them, every sender's states together; and the states one sender's
 * loss held back of the others (one ordered stream carrying them all); over the window of states intended from --duration plus
 * --grace ago to --grace ago, its ends moved to the times of netsim's
 * stats lines nearest before them, so that netsim's own counters are over
 * the same states. */
#include "live_lanes.h"
#include "live.h"
#include "live_door.h"
#include "live_snapshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lab/audit/audit.h"
#include "client/lib/client.h"
#include "client/swarm/swarm.h"
#include "lab/harness/figures.h"
#include "lab/harness/params.h"
#include "lab/netsim/droplog.h"
#include "stats/histogram.h"
#include "sys/triple.h"

#define PATH_PERIOD_S 8.0 /* the senders' figure of eight, once around */

struct live_lane *live_lane_of(struct live *lv, size_t i, int *sender)
{
    for (size_t k = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        if (!l->clients)
            continue;
        if (i == l->receiver) {
            *sender = -1;
            return l;
        }
        for (size_t j = 0; j < l->n_senders; j++)
            if (i == l->sender[j]) {
                *sender = (int)j;
                return l;
            }
    }
    return NULL;
}

int live_lane_sender_of(const struct live_lane *l, uint32_t id)
{
    for (size_t j = 0; j < l->n_senders; j++)
        if (l->sender_id[j] == id)
            return (int)j;
    return -1;
}

void live_path(const struct live *lv, uint64_t t_us, int k, struct ricochet_state *s)
{
    double t = (double)(t_us - lv->t0_us) / 1e6 + k * PATH_PERIOD_S / LIVE_SENDERS;
    double w = 2 * M_PI / PATH_PERIOD_S;
    s->x = (float)(50 + 35 * sin(w * t));
    s->y = (float)(50 + 20 * sin(2 * w * t));
    s->vx = (float)(35 * w * cos(w * t));
    s->vy = (float)(40 * w * cos(2 * w * t));
    s->heading = atan2f(s->vy, s->vx);
}

/* The ring's key of sender k's seq: the senders' states interleaved. */
static uint32_t key_of(const struct live_lane *l, int k, uint32_t seq)
{
    return (seq - l->seq0[k]) * (uint32_t)l->n_senders + (uint32_t)k;
}

struct live_mark *live_lane_mark(struct live_lane *l, int k, uint32_t seq)
{
    if (k < 0 || (size_t)k >= l->n_senders)
        return NULL;
    uint32_t key = key_of(l, k, seq);
    struct live_mark *m = &l->ring[key % LIVE_MARKS];
    uint32_t back = l->hi - key;
    return l->any && m->send_us && m->seq == seq && m->sender == k && back < LIVE_MARKS ? m
                                                                                      : NULL;
}

void live_lane_sent(struct live_lane *l, int k, uint32_t seq, uint64_t t_us,
                    const struct ricochet_state *s, uint64_t now_us)
{
    uint32_t key = key_of(l, k, seq);
    struct live_mark *m = &l->ring[key % LIVE_MARKS];
    *m = (struct live_mark){.seq = seq, .sender = (uint8_t)k, .status = LIVE_PENDING,
                            .send_us = t_us, .sent_us = now_us, .changed_us = now_us,
                            .x = s->x, .y = s->y, .vx = s->vx, .vy = s->vy,
                            .heading = s->heading, .ask_wait_us = -1};
    for (int d = 0; d < 2; d++)
        m->hop[d] = (struct live_hop){.kind = 254, .peer = -1, .group = -1}; /* no line yet */
    if (!l->any || key - l->hi < 0x80000000u)
        l->hi = key;
    l->any = true;
}

void live_lane_got(struct live_lane *l, int k, const struct ricochet_event *ev, bool too_old,
                   uint64_t asked_us)
{
    struct live_mark *m = live_lane_mark(l, k, ev->state.seq);
    if (!m)
        return;
    const struct recv_stats *rs = &l->rs[k]; /* a later state of this sender's came first */
    if (rs->started && (int32_t)(rs->highest_seq - ev->state.seq) > 0 && !m->after)
        m->after = rs->highest_seq;
    if (too_old) {
        if (m->status != LIVE_GOT) {
            m->status = LIVE_TOO_OLD;
            m->changed_us = ev->recv_us;
        }
        return;
    }
    if (recv_stats_record(&l->rs[k], ev->state.seq, m->send_us, ev->recv_us, NULL) != 1)
        return; /* a duplicate */
    m->status = LIVE_GOT;
    m->arrival = ++l->arrivals;
    m->recv_us = ev->recv_us;
    if (ev->recv_us > l->last_got_us)
        l->last_got_us = ev->recv_us;
    m->latency_us = ev->latency_us;
    m->changed_us = ev->recv_us;
    /* a GET sent before the state was held for it; one sent after found it
     * waiting on the relay since about then */
    m->ask_wait_us = !asked_us ? -1 : asked_us > m->send_us ? (int64_t)(asked_us - m->send_us) : 0;
}

void live_lane_unsent(struct live_lane *l, int k, uint32_t seq, uint64_t now_us)
{
    struct live_mark *m = live_lane_mark(l, k, seq);
    if (!m || m->unsent)
        return;
    m->unsent = 1;
    m->changed_us = now_us;
}

void live_lane_cut(struct live_lane *l, int role, uint64_t now_us)
{
    bool receiver = role < 0 || (size_t)role >= l->n_senders;
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        struct live_mark *m = &l->ring[k];
        if (m->send_us && m->send_us <= now_us &&
            (m->status == LIVE_PENDING || m->status == LIVE_LOST) &&
            (receiver || m->sender == role))
            m->cut = 1;
    }
}

void live_lane_reset(struct live_lane *l)
{
    memset(l->ring, 0, sizeof l->ring);
    l->any = false;
    l->hi = 0;
    l->arrivals = 0;
    l->last_got_us = 0;
    for (size_t k = 0; k < LIVE_SENDERS; k++)
        recv_stats_reset(&l->rs[k]);
    l->seg_n = l->seg_at = 0;
    l->wire_n = l->wire_at = 0;
    l->sock_seen = l->sock_total = 0;
}

/* A state netsim dropped on a hop and never forwarded there (the audit's
 * netsim_dropped). */
static bool dropped(const struct live_hop *h)
{
    return h->drop && !h->fwds;
}

/* A lossless lane's dropped state waits for its retransmission. The grace
 * runs from when the state went: a loop held up sends late (the swarm keeps
 * the intended times), and such a state is not lost for the wait before it
 * went; from when netsim carried it up to the relay, if later (netsim or
 * the relay behind on a busy machine): not lost before the relay could
 * send it on. */
void live_lane_settle(struct live_lane *l, uint64_t grace, uint64_t now_us)
{
    bool lossless = proto_mode_lossless(l->def->mode.mode);
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        struct live_mark *m = &l->ring[k];
        if (!m->send_us || m->status != LIVE_PENDING)
            continue;
        bool gone = !lossless && (m->unsent || dropped(&m->hop[0]) || dropped(&m->hop[1]));
        uint64_t went = m->sent_us > m->send_us ? m->sent_us : m->send_us;
        if (m->hop[NETSIM_UP].fwd_us > went) /* the relay has had it a grace, too */
            went = m->hop[NETSIM_UP].fwd_us;
        if (gone || (now_us > went && now_us - went > grace)) {
            m->status = LIVE_LOST;
            m->changed_us = now_us;
        }
    }
}

/* The datagrams the kernel dropped at the relay's and netsims' sockets,
 * their receive buffers full. */
static uint64_t children_socket_drops(struct live *lv)
{
    uint64_t all = 0, n;
    if (lv->relay_started && spawn_running(&lv->relay) &&
        audit_process_socket_drops(lv->relay.pid, &n) == 0)
        all += n;
    for (size_t k = 0; k < lv->n_netsims; k++)
        if (lv->netsims[k].started && spawn_running(&lv->netsims[k].proc) &&
            audit_process_socket_drops(lv->netsims[k].proc.pid, &n) == 0)
            all += n;
    return all;
}

/* The wire counters of the lane's clients now, one sample a publish;
 * host_drops: children_socket_drops' now. */
static void sample_wire(struct live *lv, struct live_lane *l, uint64_t now_us,
                        uint64_t host_drops)
{
    if (!l->running || !lv->sw)
        return;
    struct live_wire_sample w = {.t_us = now_us, .host_drops = host_drops};
    uint64_t now = 0; /* no count: none said */
    if (audit_fd_drops(l->ends.down_fd, &now) == 0) {
        l->sock_total += now >= l->sock_seen ? now - l->sock_seen : now; /* less: another */
        l->sock_seen = now;
    }
    w.sock_drops = l->sock_total;
    for (size_t j = 0; j <= l->n_senders; j++) {
        struct client_netinfo a;
        client_netinfo(swarm_client(lv->sw, j < l->n_senders ? l->sender[j] : l->receiver), &a);
        w.bytes += a.bytes_sent + a.bytes_received;
        w.datagrams += a.datagrams_sent + a.datagrams_received;
        w.heads += a.http_head_bytes;
        w.requests += a.http_requests;
    }
    w.seg_drops = l->seg_drops;
    l->wire[l->wire_at] = w;
    l->wire_at = (l->wire_at + 1) % LIVE_WIRE_SAMPLES;
    l->wire_n += l->wire_n < LIVE_WIRE_SAMPLES;
}

/* The wire sample taken last at or before t_us, or NULL. */
static const struct live_wire_sample *wire_at(const struct live_lane *l, uint64_t t_us)
{
    for (size_t k = 0; k < l->wire_n; k++) {
        size_t i = (l->wire_at + LIVE_WIRE_SAMPLES - 1 - k) % LIVE_WIRE_SAMPLES;
        if (l->wire[i].t_us <= t_us)
            return &l->wire[i];
    }
    return NULL;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* When x's copy that came passed netsim on the downlink: a datagram's
 * forward; a stream's is not logged, its arrival stands in (later: a
 * bound that only counts more). */
static uint64_t came_through(const struct live_mark *x)
{
    return x->hop[1].fwd_us ? x->hop[1].fwd_us : x->recv_us;
}

/* States of [from, to) held back behind another sender's loss: y is, if
 * some x of another sender, which the relay sent before it (netsim saw it
 * first) and whose first copy netsim dropped on the downlink, came before
 * y although y passed netsim before x's copy that came; and no such x of
 * y's own sender was on its way (that one would hold y on any stream).
 * Over one ordered stream every sender's states wait for x; over a stream
 * (or datagrams) per sender, y comes as it passes: its packet is read
 * before x's copy. Orders only, no time bound. */
static int by_seen(const void *a, const void *b)
{
    uint64_t x = (*(const struct live_mark *const *)a)->hop[1].seen_us;
    uint64_t y = (*(const struct live_mark *const *)b)->hop[1].seen_us;
    return x < y ? -1 : x > y;
}

static uint64_t held_back(const struct live_lane *l, uint64_t from, uint64_t to)
{
    static const struct live_mark *lost[LIVE_MARKS]; /* the loop's own */
    size_t n_lost = 0;
    uint64_t held = 0, longest = 0; /* the longest wait for a copy that came */
    if (l->n_senders < 2)
        return 0;
    for (size_t a = 0; a < LIVE_MARKS; a++) {
        const struct live_mark *x = &l->ring[a];
        if (x->send_us && x->status == LIVE_GOT && x->hop[1].first_lost && x->hop[1].seen_us &&
            came_through(x) > x->hop[1].seen_us) {
            lost[n_lost++] = x;
            if (came_through(x) - x->hop[1].seen_us > longest)
                longest = came_through(x) - x->hop[1].seen_us;
        }
    }
    qsort(lost, n_lost, sizeof lost[0], by_seen);
    for (size_t a = 0; a < LIVE_MARKS && n_lost; a++) {
        const struct live_mark *y = &l->ring[a];
        uint64_t seen = y->hop[1].seen_us;
        if (!y->send_us || y->send_us < from || y->send_us >= to || y->status != LIVE_GOT ||
            y->hop[1].first_lost || !seen)
            continue;
        size_t lo = 0, hi = n_lost; /* the first lost one netsim saw at or after y */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (lost[mid]->hop[1].seen_us < seen)
                lo = mid + 1;
            else
                hi = mid;
        }
        bool other = false, own = false;
        for (size_t b = lo; b-- > 0 && seen - lost[b]->hop[1].seen_us <= longest;) {
            const struct live_mark *x = lost[b];
            if (seen >= came_through(x))
                continue;
            if (x->sender == y->sender)
                own = true; /* its own sender's loss may hold it too: not counted */
            else
                other |= x->arrival < y->arrival;
        }
        held += other && !own;
    }
    return held;
}

/* When the first state netsim dropped that has not come was sent (0: none). */
static uint64_t first_dropped(const struct live_lane *l)
{
    uint64_t first = 0;
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        const struct live_mark *m = &l->ring[k];
        if (m->send_us && m->status != LIVE_GOT && (dropped(&m->hop[0]) || dropped(&m->hop[1])) &&
            (!first || m->send_us < first))
            first = m->send_us;
    }
    return first;
}

bool live_ranges_meet(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return (int32_t)(a - d) < 0 && (int32_t)(c - b) < 0;
}

/* Was netsim's dropped segment g of a stream's flow sent again (a forward
 * over its bytes) before t_us? */
static bool resent_before(const struct live_lane *l, const struct live_segment *g, uint64_t t_us)
{
    for (size_t n = 0; n < l->seg_n; n++) {
        const struct live_segment *x = &l->seg[(l->seg_at + LIVE_SEGMENTS - 1 - n) % LIVE_SEGMENTS];
        if (x->event == DROPLOG_FWD && x->dir == g->dir && x->who == g->who &&
            x->t_us > g->t_us && x->t_us < t_us &&
            live_ranges_meet(g->start, g->end, x->start, x->end))
            return true;
    }
    return false;
}

/* A stream's state waits behind a segment netsim dropped on one of its
 * hops (its sender's flow up, the receiver's down), not sent again before
 * m was: one carrying its frame's bytes or bytes before them (TCP hands
 * nothing on past a gap), or any, its frame not read there yet (it waits
 * in a socket's buffer, the sender's window shut until the copy is
 * acknowledged). The segments say it, not the states: netsim counts a
 * stream's drops by segment. */
static bool behind_segment(const struct live_lane *l, const struct live_mark *m)
{
    for (size_t n = 0; n < l->seg_n; n++) {
        const struct live_segment *g = &l->seg[(l->seg_at + LIVE_SEGMENTS - 1 - n) % LIVE_SEGMENTS];
        const struct live_hop *h = &m->hop[g->dir];
        if (g->event >= DROPLOG_DUP || (g->dir != NETSIM_DOWN && g->who != m->sender) ||
            (g->dir == NETSIM_DOWN && !m->hop[NETSIM_UP].seen_us)) /* not past the relay */
            continue;
        bool before = !h->end || (int32_t)(g->start - h->end) < 0;
        if (before && !resent_before(l, g, m->send_us))
            return true;
    }
    return false;
}

/* A lossless lane whose connections live still moves past m: its receiver
 * got states since to (the grace ago), or m waits behind a state netsim
 * dropped (sent at behind) no copy of which came yet: m is on its way. */
static bool moving(const struct live_lane *l, const struct live_mark *m, uint64_t to,
                   uint64_t behind)
{
    return l->last_got_us >= to || (behind && behind <= m->send_us);
}

/* The kernel's drops in a window, left to explain states by: at the lane's
 * receiving socket, and at the relay's and netsims' (a datagram each). */
struct drops_left {
    uint64_t socket, host;
};

#define BEHIND_US 250000u /* states that came this much later than netsim held them: the
                             machine (the lesson, the relay, netsim) fell behind */
#define LATE_SPAN 64      /* the window's seconds whose lateness is kept */

/* How late the machine made a window's states, second by second of their
 * send time: the most an arrived state took beyond netsim's delays on its
 * two hops (its latency less what netsim held it), what the machine added. */
struct lateness {
    uint64_t from;
    uint32_t most_us[LATE_SPAN];
};

static void lateness_of(const struct live_lane *l, uint64_t from, uint64_t to,
                        struct lateness *late)
{
    memset(late, 0, sizeof *late);
    late->from = from;
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        const struct live_mark *m = &l->ring[k];
        if (!m->send_us || m->send_us < from || m->send_us >= to || m->status != LIVE_GOT ||
            !m->hop[0].fwds || !m->hop[1].fwds)
            continue;
        int64_t extra = m->latency_us - (int64_t)m->hop[0].delay_us - (int64_t)m->hop[1].delay_us;
        size_t s = (size_t)((m->send_us - from) / 1000000u);
        if (s < LATE_SPAN && extra > (int64_t)late->most_us[s])
            late->most_us[s] = (uint32_t)extra;
    }
}

/* m's own times say the machine held it: netsim saw it on the uplink long
 * after its sender handed it over, or carried it up long after it held it
 * (netsim itself behind). */
static bool held_by_machine(const struct live_mark *m)
{
    const struct live_hop *up = &m->hop[NETSIM_UP];
    uint64_t went = m->sent_us > m->send_us ? m->sent_us : m->send_us;
    return (up->seen_us && up->seen_us > went + BEHIND_US) ||
           (up->fwd_us && up->fwd_us > went + up->delay_us + BEHIND_US);
}

/* How late the machine made the states sent within a second of m. */
static uint32_t late_around(const struct lateness *late, const struct live_mark *m)
{
    size_t s = (size_t)((m->send_us - late->from) / 1000000u);
    uint32_t most = 0;
    for (size_t k = s ? s - 1 : 0; k <= s + 1 && k < LATE_SPAN; k++)
        most = late->most_us[k] > most ? late->most_us[k] : most;
    return most;
}

/* Why m, lost, was lost: the first cause that holds (enum live_fate). A
 * cause read from netsim's drop log (a drop, a segment dropped ahead of
 * it), from the lane (its connection cut, a lossless lane still moving:
 * behind, late), from the relay (up and never down: kept), from its sender
 * (unsent), or from the kernel's count of drops at a full socket in the
 * window, one state a drop (left: what is left of the counts). */
static enum live_fate fate_of(const struct live_lane *l, const struct live_mark *m, uint64_t to,
                              uint64_t behind, struct drops_left *left,
                              const struct lateness *late)
{
    if (m->status == LIVE_TOO_OLD)
        return LIVE_FATE_TOO_OLD;
    if (m->status != LIVE_LOST)
        return LIVE_FATE_NONE;
    if (dropped(&m->hop[0]) || dropped(&m->hop[1]))
        return LIVE_FATE_NETSIM;
    if (m->cut)
        return LIVE_FATE_CUT;
    if (proto_mode_lossless(l->def->mode.mode) && moving(l, m, to, behind))
        return LIVE_FATE_LATE;
    if (l->seg_n && behind_segment(l, m))
        return LIVE_FATE_SEGMENT;
    /* crossed up a grace ago (its grace runs from then) and never went
     * down: the relay kept it (its queue to a receiver that acknowledges
     * too late full, slow_reader, or the receiver closed but not told yet) */
    if (m->hop[NETSIM_UP].fwds && !m->hop[NETSIM_DOWN].seen_us && !left->host)
        return LIVE_FATE_RELAY_KEPT;
    if (m->unsent) /* never left: its sender's QUIC dropped it for a newer one */
        return LIVE_FATE_UNSENT;
    if (m->hop[NETSIM_DOWN].fwds && left->socket) {
        left->socket--;
        return LIVE_FATE_SOCKET;
    }
    if (!m->hop[NETSIM_DOWN].seen_us && left->host) {
        left->host--;
        return LIVE_FATE_HOST;
    }
    /* it, or the states beside it, came far later than netsim held them: the machine,
     * not the network, was behind; its grace ran out while it was held somewhere on it */
    if (held_by_machine(m) || late_around(late, m) >= BEHIND_US)
        return LIVE_FATE_BEHIND;
    return LIVE_FATE_UNEXPLAINED;
}

/* m counted in f: expected, and how it fared (its fate, kept in it for the
 * inspector). */
static void count_fate(struct live_figures *f, const struct live_lane *l, struct live_mark *m,
                       uint64_t to, uint64_t behind, struct drops_left *left,
                       const struct lateness *late)
{
    f->expected++;
    f->pending += m->status == LIVE_PENDING;
    f->netsim_dropped += dropped(&m->hop[0]) || dropped(&m->hop[1]);
    f->out_of_order += m->after && (m->status == LIVE_GOT || m->status == LIVE_TOO_OLD);
    m->fate = (uint8_t)fate_of(l, m, to, behind, left, late);
    if (m->fate == LIVE_FATE_BEHIND && late_around(late, m) / 1e3 > f->behind_ms)
        f->behind_ms = late_around(late, m) / 1e3;
    uint64_t *counts[LIVE_FATES] = {
        [LIVE_FATE_TOO_OLD] = &f->too_old, [LIVE_FATE_CUT] = &f->disconnected,
        [LIVE_FATE_LATE] = &f->late, [LIVE_FATE_SEGMENT] = &f->behind_segment,
        [LIVE_FATE_RELAY_KEPT] = &f->relay_kept, [LIVE_FATE_UNSENT] = &f->sender_dropped,
        [LIVE_FATE_SOCKET] = &f->socket_lost, [LIVE_FATE_HOST] = &f->host_lost,
        [LIVE_FATE_BEHIND] = &f->behind};
    if (counts[m->fate])
        (*counts[m->fate])++;
    f->lost_explained += m->fate != LIVE_FATE_NONE && m->fate != LIVE_FATE_UNEXPLAINED;
}

void live_lane_figures(struct live_lane *l, uint64_t from, uint64_t to, struct histogram *lat,
                       struct live_figures *f)
{
    uint64_t arrivals[LIVE_MARKS];
    size_t n_arr = 0;
    uint64_t wire_bytes = 0, wire_datagrams = 0, heads = 0, requests = 0, waits = 0;
    double wait_sum_us = 0;
    uint64_t behind = first_dropped(l);
    histogram_reset(lat);
    *f = (struct live_figures){.window_s = (double)(to - from) / 1e6};
    const struct live_wire_sample *w0 = wire_at(l, from), *w1 = wire_at(l, to);
    if (w0 && w1) {
        wire_bytes = w1->bytes - w0->bytes;
        wire_datagrams = w1->datagrams - w0->datagrams;
        heads = w1->heads - w0->heads;
        requests = w1->requests - w0->requests;
        f->segments_dropped = w1->seg_drops - w0->seg_drops;
        /* a child started again counts afresh */
        f->socket_dropped = w1->sock_drops - w0->sock_drops;
        f->host_socket_dropped = w1->host_drops > w0->host_drops
                                     ? w1->host_drops - w0->host_drops : 0;
    }
    struct drops_left left = {f->socket_dropped, f->host_socket_dropped};
    static struct lateness late; /* the loop's own */
    lateness_of(l, from, to, &late);
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        struct live_mark *m = &l->ring[k];
        if (!m->send_us || m->send_us < from || m->send_us >= to)
            continue;
        count_fate(f, l, m, to, behind, &left, &late);
        if (m->status != LIVE_GOT)
            continue;
        f->delivered++;
        histogram_record(lat, m->latency_us > 0 ? (uint64_t)m->latency_us : 0);
        arrivals[n_arr++] = m->recv_us * LIVE_SENDERS + m->sender; /* by time, then sender */
        if (m->ask_wait_us >= 0) {
            waits++;
            wait_sum_us += (double)m->ask_wait_us;
            f->ask_wait_max_ms = fmax(f->ask_wait_max_ms, (double)m->ask_wait_us / 1e3);
        }
    }
    f->held = held_back(l, from, to);
    qsort(arrivals, n_arr, sizeof arrivals[0], by_u64);
    uint64_t last[LIVE_SENDERS] = {0}, prev = 0; /* each sender's last arrival, any's */
    for (size_t k = 0; k < n_arr; k++) {
        uint64_t at = arrivals[k] / LIVE_SENDERS, sender = arrivals[k] % LIVE_SENDERS;
        if (prev)
            f->max_gap_ms = fmax(f->max_gap_ms, (double)(at - prev) / 1e3);
        if (last[sender])
            f->max_gap_sender_ms = fmax(f->max_gap_sender_ms, (double)(at - last[sender]) / 1e3);
        last[sender] = prev = at;
    }
    /* the bench's: lost %, percentiles, bytes per delivered state */
    f->valid = f->expected > 0;
    f->delivered_pct = 100.0 - figures_lost_pct(f->expected, f->delivered);
    f->p50_ms = (double)histogram_percentile(lat, 50) / 1e3;
    f->p99_ms = (double)histogram_percentile(lat, 99) / 1e3;
    f->bytes_per_state = figures_bytes_per_state(l->def->mode.mode, wire_bytes,
                                                 wire_datagrams, f->delivered);
    /* what asking costs: the wait for the question, the heads of the
     * requests and answers that carried each state */
    f->http = l->def->ip; /* HTTP against a socket: every stream's lane counts its requests */
    f->clients = (unsigned)l->n_senders + 1;
    f->requests_all = w1 ? w1->requests : 0;
    f->heads_all = w1 ? w1->heads : 0;
    f->requests_window = requests;
    f->heads_window = heads;
    f->asks = l->def->transport == RICOCHET_TRANSPORT_POLL;
    if (f->asks && f->delivered) {
        f->ask_wait_ms = waits ? wait_sum_us / (double)waits / 1e3 : 0;
        f->head_bytes_per_state = (double)heads / (double)f->delivered;
        f->requests_per_state = (double)requests / (double)f->delivered;
    }
}

bool live_net_window(const struct live *lv, uint64_t from_us, uint64_t to_us,
                     struct live_net_sample *a, struct live_net_sample *b)
{
    bool have_a = false, have_b = false;
    for (size_t k = 0; k < lv->net_n; k++) {
        const struct live_net_sample *x =
            &lv->net[(lv->net_at + LIVE_NET_SAMPLES - 1 - k) % LIVE_NET_SAMPLES];
        if (!have_b && x->t_us <= to_us) {
            *b = *x;
            have_b = true;
        }
        if (!have_a && x->t_us <= from_us) {
            *a = *x;
            have_a = true;
        }
    }
    return have_a && have_b && b->t_us > a->t_us;
}

/* netsim's counters over [from, to) (two of its samples): its datagrams'
 * drop rate and its paired loss's per direction, and the path's for a
 * state. */
static void net_figures(const struct live *lv, uint64_t from, uint64_t to,
                        struct live_net_figures *f)
{
    struct live_net_sample a, b;
    *f = (struct live_net_figures){0};
    if (!live_net_window(lv, from, to, &a, &b) || a.t_us < lv->t0_us)
        return;
    f->valid = true;
    f->window_s = (double)(b.t_us - a.t_us) / 1e6;
    double keep = 1;
    for (int d = 0; d < 2; d++) {
        f->received[d] = b.received[d] - a.received[d];
        f->dropped[d] = b.dropped[d] - a.dropped[d];
        f->states[d] = b.states[d] - a.states[d];
        f->states_lost[d] = b.states_lost[d] - a.states_lost[d];
        for (size_t k = 0; k < LIVE_NETSIMS; k++)
            f->kbps[d] += live_net_kbps(&a, &b, k, d);
        f->drop_pct[d] = f->received[d] ? 100.0 * (double)f->dropped[d] / (double)f->received[d]
                                        : 0;
        f->state_loss_pct[d] =
            f->states[d] ? 100.0 * (double)f->states_lost[d] / (double)f->states[d] : 0;
        keep *= 1 - f->state_loss_pct[d] / 100.0;
    }
    f->path_loss_pct = 100.0 * (1 - keep);
}

double live_net_kbps(const struct live_net_sample *a, const struct live_net_sample *b,
                     size_t k, int d)
{
    if (b->t_us <= a->t_us || b->bytes[k][d] < a->bytes[k][d]) /* netsim started again */
        return 0;
    return (double)(b->bytes[k][d] - a->bytes[k][d]) * 8 / 1e3 /
           ((double)(b->t_us - a->t_us) / 1e6);
}

/* What came in to each netsim each way over its last LIVE_OFFERED_S
 * seconds, since the lanes' start, kbit/s (0: no two samples of it a
 * second apart yet). */
static void offered_now(const struct live *lv, uint64_t now_us,
                        double kbps[LIVE_NETSIMS][2])
{
    struct live_net_sample a, b;
    memset(kbps, 0, sizeof(double[LIVE_NETSIMS][2]));
    uint64_t from = now_us > LIVE_OFFERED_S * 1000000u ? now_us - LIVE_OFFERED_S * 1000000u : 0;
    if (!live_net_window(lv, from > lv->t0_us ? from : lv->t0_us, now_us, &a, &b) ||
        a.t_us < lv->t0_us || b.t_us - a.t_us < 1000000u)
        return;
    for (size_t k = 0; k < LIVE_NETSIMS; k++)
        for (int d = 0; d < 2; d++)
            kbps[k][d] = live_net_kbps(&a, &b, k, d);
}

/* The lane into its part of the snapshot: its marks oldest first. */
static void lane_snap(const struct live_lane *l, struct live_lane_snap *s)
{
    s->lane = l->index;
    snprintf(s->state, sizeof s->state, "%s",
             l->missing ? "missing" : l->running ? "running"
             : l->lost || l->mending ? "again" : "starting");
    snprintf(s->why, sizeof s->why, "%s", l->why);
    s->n_senders = l->n_senders;
    memcpy(s->sender_id, l->sender_id, sizeof s->sender_id);
    memcpy(s->seq0, l->seq0, sizeof s->seq0);
    memcpy(s->up_flow, l->up_flow, sizeof s->up_flow);
    snprintf(s->down_flow, sizeof s->down_flow, "%s", l->down_flow);
    s->ends = l->ends;
    s->n_marks = 0;
    for (uint32_t k = 0; l->any && k < LIVE_MARKS; k++) {
        const struct live_mark *m = &l->ring[(l->hi - (LIVE_MARKS - 1) + k) % LIVE_MARKS];
        if (m->send_us && key_of(l, m->sender, m->seq) == l->hi - (LIVE_MARKS - 1) + k)
            s->marks[s->n_marks++] = *m;
    }
    s->n_segments = 0;
    for (size_t k = 0; k < l->seg_n; k++)
        s->segments[s->n_segments++] =
            l->seg[(l->seg_at + LIVE_SEGMENTS - l->seg_n + k) % LIVE_SEGMENTS];
}

struct live_snapshot *live_lanes_snap(struct live *lv, uint64_t now_us)
{
    static struct histogram lat; /* the loop's own, 420 KB */
    uint64_t grace = (uint64_t)lv->cfg->grace_ms * 1000u;
    uint64_t to = now_us > grace ? now_us - grace : 0;
    uint64_t span = (uint64_t)lv->cfg->duration_ms * 1000u;
    uint64_t from = to > span ? to - span : 0;
    struct live_net_sample a, b;
    if (live_net_window(lv, from, to, &a, &b)) { /* the window of netsim's counters: both
                                                    figures over the same states */
        from = a.t_us;
        to = b.t_us;
    }
    if (from < lv->t0_us) /* the lanes' start: nothing before it counts */
        from = lv->t0_us;
    struct live_snapshot *s = triple_back(lv->tb);
    s->now_us = now_us;
    s->t0_us = lv->t0_us;
    s->rate_hz = lv->params->rate_hz;
    s->senders = lv->senders;
    s->senders_wanted = lv->senders_wanted;
    s->ip_mode = lv->ip_mode;
    s->generation = lv->generation;
    s->instance = lv->instance;
    snprintf(s->missing, sizeof s->missing, "%s", lv->missing);
    snprintf(s->relay, sizeof s->relay, "%s", lv->relay_state);
    snprintf(s->netsim, sizeof s->netsim, "%s", lv->netsim_state);
    snprintf(s->incident, sizeof s->incident, "%s", lv->incident);
    s->relay_up = lv->relay_started && spawn_running(&lv->relay);
    s->relay_pid = s->relay_up ? (int)lv->relay.pid : 0;
    s->netsim_up = lv->n_netsims > 0;
    for (size_t k = 0; k < lv->n_netsims; k++) {
        s->netsim_up &= lv->netsims[k].started && spawn_running(&lv->netsims[k].proc);
        snprintf(s->netsim_metrics[k], sizeof s->netsim_metrics[k], "%s", lv->netsims[k].metrics);
    }
    s->n_netsims = lv->n_netsims;
    net_figures(lv, from, to, &s->net);
    s->log = lv->log;
    s->log.read_ms_per_s = now_us > lv->log_since_us && lv->log_since_us
                               ? (double)lv->log_spent_us / 1e3 /
                                     ((double)(now_us - lv->log_since_us) / 1e6)
                               : 0;
    lv->log.behind_max_s = lv->log.behind_s; /* the next period's starts at now's */
    lv->log_spent_us = 0;
    lv->log_since_us = now_us;
    offered_now(lv, now_us, s->offered_kbps);
    s->n_models = lv->n_models;
    memcpy(s->models, lv->models, sizeof s->models);
    s->n_lanes = lv->n_lanes;
    uint64_t host_drops = children_socket_drops(lv);
    for (size_t k = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        live_lane_settle(l, grace, now_us);
        sample_wire(lv, l, now_us, host_drops);
        live_lane_figures(l, from, to, &lat, &s->lanes[k].fig);
        s->lanes[k].fig.grace_s = (double)grace / 1e6;
        s->lanes[k].fig.valid &= to > from;
        lane_snap(l, &s->lanes[k]);
    }
    live_door_snap(lv, s, now_us);
    return s;
}
