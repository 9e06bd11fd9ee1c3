/* live_state.c: what GET /state says of one state on each hop (see
 * live.h): netsim's lines of it, a stream's segments over its frame, and,
 * on an ordered flow (a TCP stream, a reliable channel), the dropped
 * segment or state it waited behind, judged by the audit's own reading of
 * an ordered flow (audit/audit_hold.h) over what the lane keeps. */
#include "live_state.h"
#include "live_guests.h"
#include "live_lanes.h"
#include "live_snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "lab/audit/audit_hold.h"
#include "lab/netsim/droplog.h"
#include "lab/netsim/statescan.h"

#define SENDER_SLACK_US 10000 /* a stream's state seen this much after it was written: it
                                 left late (the audit's slack) */
#define NEAR_US 8000000       /* what is read of a flow around the state: a retransmission
                                 comes within a few seconds (the audit's sweep grows with
                                 the square of what it reads) */

/* Is t within NEAR_US of the state's time at? */
static bool near(uint64_t t, uint64_t at)
{
    return t + NEAR_US >= at && t <= at + NEAR_US;
}

double live_ms_since(uint64_t t_us, uint64_t t0_us)
{
    return t_us >= t0_us ? (double)(t_us - t0_us) / 1e3 : -(double)(t0_us - t_us) / 1e3;
}

/* What held a state back on its hop: the dropped piece and when it crossed again. */
struct held {
    bool any, at_sender;
    uint64_t drop_us, again_us;
    uint32_t start, end;          /* a stream's segment, as the log numbers it */
    const struct live_mark *state; /* a reliable channel's state */
};

/* Is g a segment of hop d of sender k's flow (the receiver's: any k)? */
static bool own_segment(const struct live_segment *g, int d, int k)
{
    return g->dir == d && (d == NETSIM_DOWN || g->who == k);
}

/* When the segment dropped at drop_us over start crossed again (0: not yet). */
static uint64_t crossed_again(const struct live_lane_snap *s, int d, int k, uint64_t drop_us,
                              uint32_t start)
{
    for (size_t i = 0; i < s->n_segments; i++) {
        const struct live_segment *g = &s->segments[i];
        if (own_segment(g, d, k) && g->event == DROPLOG_FWD && g->t_us > drop_us &&
            live_ranges_meet(g->start, g->end, start, start + 1))
            return g->t_us;
    }
    return 0;
}

/* A stream's state m on hop d: the lane's segments of its flow and every
 * kept frame after the first of them, read as the audit reads a log. */
static void stream_held(struct audit_holds *ah, const struct live_lane_snap *s,
                        const struct live_mark *m, int d, struct held *out)
{
    const struct hold_key key = {.dir = (uint8_t)d};
    int k = m->sender;
    uint32_t base = 0;
    bool based = false;
    for (size_t i = 0; i < s->n_segments; i++) {
        const struct live_segment *g = &s->segments[i];
        bool dropped = g->event < DROPLOG_DUP; /* else forwarded (corrupted too), or none */
        if (!own_segment(g, d, k) || !near(g->t_us, m->hop[d].seen_us) ||
            (!dropped && g->event != DROPLOG_FWD && g->event != DROPLOG_CORRUPT))
            continue;
        struct hold_line l = {.t_us = g->t_us, .delay_us = g->delay_us, .dropped = dropped};
        if (!based) {
            base = g->start;
            based = true;
        }
        if (audit_holds_segment(ah, &key, &l, g->start, g->end, false) != 0)
            return;
    }
    hold_mark_id mine = 0;
    for (size_t i = 0; based && i < s->n_marks; i++) {
        const struct live_mark *x = &s->marks[i];
        const struct live_hop *h = &x->hop[d];
        hold_mark_id id;
        if (!h->end || (d == NETSIM_UP && x->sender != k) || (int32_t)(h->start - base) < 0 ||
            !near(h->seen_us, m->hop[d].seen_us) ||
            audit_holds_stream_state(ah, &key, h->seen_us, h->start, h->end, &id) != 0)
            continue;
        mine = x == m ? id : mine;
    }
    struct hold_result r;
    if (!mine || audit_holds_settle(ah) != 0)
        return;
    audit_holds_written(ah, mine, d == NETSIM_UP ? m->send_us : m->hop[NETSIM_UP].fwd_us,
                        SENDER_SLACK_US);
    if (!audit_holds_get(ah, mine, &r) || r.state != HOLD_RESOLVED)
        return;
    *out = (struct held){.any = true, .at_sender = r.at_sender, .drop_us = r.drop_us,
                         .start = base + (uint32_t)r.drop_start,
                         .end = base + (uint32_t)r.drop_end};
    out->again_us = crossed_again(s, d, k, r.drop_us, out->start);
}

/* When netsim first read the state on hop h (its first line). */
static uint64_t first_read(const struct live_hop *h)
{
    uint64_t fwd = h->fwds ? h->fwd_us - (h->delay_us < h->fwd_us ? h->delay_us : 0) : 0;
    return h->drop && (!fwd || h->drop_us < fwd) ? h->drop_us : fwd;
}

static int by_first_read(const void *a, const void *b, void *arg)
{
    const int *d = arg;
    uint64_t x = first_read(&(*(const struct live_mark *const *)a)->hop[*d]);
    uint64_t y = first_read(&(*(const struct live_mark *const *)b)->hop[*d]);
    return x < y ? -1 : x > y;
}

/* A reliable channel's state m on hop d: the channel's kept states in the
 * order netsim first read them (the channel's order), each with its first
 * drop and first forward. The sender's channel up is its own; down, the
 * relay's to the receiver carries every sender's. */
static void reliable_held(struct audit_holds *ah, const struct live_lane_snap *s,
                          const struct live_mark *m, int d, struct held *out)
{
    const struct live_mark **order = malloc((s->n_marks + 1) * sizeof *order);
    hold_mark_id *ids = calloc(s->n_marks + 1, sizeof *ids), mine = 0;
    size_t n = 0;
    const struct hold_key key = {.dir = (uint8_t)d};
    for (size_t i = 0; order && ids && i < s->n_marks; i++) {
        const struct live_mark *x = &s->marks[i];
        uint64_t t = first_read(&x->hop[d]);
        if (t && near(t, first_read(&m->hop[d])) && (d == NETSIM_DOWN || x->sender == m->sender))
            order[n++] = x;
    }
    if (order && ids)
        qsort_r(order, n, sizeof *order, by_first_read, &d);
    for (size_t i = 0; order && ids && i < n; i++) {
        const struct live_hop *h = &order[i]->hop[d];
        struct hold_line drop = {.t_us = h->drop_us, .dropped = true};
        struct hold_line fwd = {.t_us = h->fwd_us, .delay_us = h->delay_us};
        bool drop_first = h->drop && first_read(h) == h->drop_us;
        int rc = audit_holds_reliable(ah, &key, drop_first ? &drop : &fwd, &ids[i]);
        if (rc == 0 && h->drop && h->fwds)
            rc = audit_holds_reliable(ah, &key, drop_first ? &fwd : &drop, &ids[i]);
        mine = order[i] == m && rc == 0 ? ids[i] : mine;
    }
    struct hold_result r;
    if (mine && audit_holds_settle(ah) == 0 && audit_holds_get(ah, mine, &r) &&
        r.state == HOLD_RESOLVED && r.drop_start < n) {
        const struct live_mark *by = order[r.drop_start];
        *out = (struct held){.any = true, .drop_us = r.drop_us, .state = by,
                             .again_us = by->hop[d].fwd_us};
    }
    free(order);
    free(ids);
}

/* The hold of state m on hop d, as the hop's "held": null, or what held it. */
static void held_json(FILE *f, const struct live_lane_snap *s, const struct live_mark *m, int d,
                      uint64_t t0)
{
    const struct live_hop *h = &m->hop[d];
    struct held x = {0};
    struct audit_holds *ah = audit_holds_new();
    if (ah && h->kind == 255)
        stream_held(ah, s, m, d, &x);
    else if (ah && h->kind < 254 && !strcmp(statescan_kind_name(h->kind), "reliable"))
        reliable_held(ah, s, m, d, &x);
    audit_holds_free(ah);
    if (!x.any) {
        fputs(",\"held\":null", f);
        return;
    }
    fprintf(f, ",\"held\":{\"drop_ms\":%.1f,\"again_ms\":", live_ms_since(x.drop_us, t0));
    if (x.again_us)
        fprintf(f, "%.1f", live_ms_since(x.again_us, t0));
    else
        fputs("null", f);
    if (x.state)
        fprintf(f, ",\"seq\":%u,\"sender\":%u}", (unsigned)x.state->seq,
                (unsigned)x.state->sender);
    else
        fprintf(f, ",\"start\":%u,\"end\":%u,\"at_sender\":%s}", (unsigned)x.start,
                (unsigned)x.end, x.at_sender ? "true" : "false");
}

void live_hop_json(FILE *f, const struct live_lane_snap *s, const struct live_mark *m, int d,
                   uint64_t t0)
{
    const struct live_hop *h = &m->hop[d];
    fprintf(f, "{\"dir\":\"%s\",\"flow\":", d ? "down" : "up");
    live_json_str(f, d ? s->down_flow : s->up_flow[m->sender < s->n_senders ? m->sender : 0]);
    fprintf(f, ",\"drop\":\"%s\",\"drop_ms\":%.1f,\"fwds\":%u,\"fwd_ms\":%.1f,\"delay_ms\":%.2f,"
               "\"kind\":\"%s\",\"peer\":%d,\"group\":%d,\"frame\":",
            h->drop ? droplog_event_name(h->drop - 1) : "",
            h->drop ? live_ms_since(h->drop_us, t0) : 0, (unsigned)h->fwds,
            h->fwds ? live_ms_since(h->fwd_us, t0) : 0, h->delay_us / 1e3,
            h->kind == 255 ? "stream" : h->kind < 254 ? statescan_kind_name(h->kind) : "",
            h->peer, (int)h->group);
    if (h->end)
        fprintf(f, "[%u,%u]", (unsigned)h->start, (unsigned)h->end);
    else
        fputs("null", f);
    fputs(",\"segments\":[", f);
    bool first = true;
    for (size_t k = 0; h->end && k < s->n_segments; k++) {
        const struct live_segment *g = &s->segments[k];
        if (!own_segment(g, d, m->sender) || !live_ranges_meet(g->start, g->end, h->start, h->end))
            continue;
        fprintf(f, "%s{\"event\":\"%s\",\"t_ms\":%.1f,\"start\":%u,\"end\":%u,\"flags\":",
                first ? "" : ",", droplog_event_name(g->event), live_ms_since(g->t_us, t0),
                (unsigned)g->start, (unsigned)g->end);
        live_json_str(f, g->flags);
        fprintf(f, ",\"delay_ms\":%.2f}", g->delay_us / 1e3);
        first = false;
    }
    fputc(']', f);
    held_json(f, s, m, d, t0);
    fputc('}', f);
}
