/* live_log.c: what netsim says while the lesson runs (see live.h): its
 * drop log, read as it grows (each state's fate on its sender's uplink and
 * its receiver's downlink, a stream's segments, the model changes), with
 * the audit's line reader; and its stats lines (netsim's own counters). A
 * call reads each file to its end, a slice at a time, so that the reading
 * keeps pace however fast netsim writes (four senders a lane and a class
 * through the door: hundreds of KiB a second); a backlog past the turn's
 * budget (netsim's files after the loop was held up) waits for the next
 * turn, so it costs the loop a few turns, never one long one. */
#include "live_log.h"
#include "live.h"
#include "live_door.h"
#include "live_lanes.h"
#include "live_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "lab/netsim/droplog.h"
#include "lab/netsim/statescan.h"
#include "proto/statsrec.h"
#include "lab/audit/audit.h"
#include "sys/clock.h"

#define READ_MAX 65536      /* bytes of a file read at once: a slice */
#define READ_TURN_US 50000  /* the slices of a call end once it has taken this long (a
                               quarter of the publish period) */

/* A line of a TCP stream's (a segment, or a state read from one): a UDP
 * socket and a TCP one may hold the same port, so a flow names a lane only
 * with its protocol. */
static bool of_stream(const struct audit_line *a)
{
    return !strcmp(a->kind, "segment") || !strcmp(a->kind, "stream");
}

/* The lane whose sender's uplink (which sender into *k) or receiver's
 * downlink is a's flow in its direction. */
static struct live_lane *lane_of_flow(struct live *lv, const struct audit_line *a, int *k)
{
    const char *flow = a->flow;
    int dir = a->dir;
    for (size_t i = 0; i < lv->n_lanes; i++) {
        struct live_lane *l = &lv->lanes[i];
        *k = -1;
        if (!l->clients || l->def->ip != of_stream(a))
            continue;
        if (dir != NETSIM_UP && !strcmp(l->down_flow, flow))
            return l;
        for (size_t j = 0; dir == NETSIM_UP && j < l->n_senders; j++)
            if (!strcmp(l->up_flow[j], flow)) {
                *k = (int)j;
                return l;
            }
    }
    return NULL;
}

/* A stream's segment dropped on the downlink: the states whose frames it
 * carried came again. */
static void segment_lost(struct live_lane *l, const struct live_segment *g)
{
    for (size_t k = 0; k < LIVE_MARKS; k++) {
        struct live_hop *h = &l->ring[k].hop[NETSIM_DOWN];
        if (l->ring[k].send_us && h->end &&
            live_ranges_meet(g->start, g->end, h->start, h->end))
            h->first_lost = 1;
    }
}

/* A frame just seen on the downlink, against the segments dropped lately
 * (its line may come after theirs). */
static void frame_seen(const struct live_lane *l, struct live_hop *h)
{
    for (size_t n = 0; n < l->seg_n && n < 64; n++) {
        const struct live_segment *g = &l->seg[(l->seg_at + LIVE_SEGMENTS - 1 - n) % LIVE_SEGMENTS];
        if (g->dir == NETSIM_DOWN && g->event < DROPLOG_DUP && /* a drop's */
            live_ranges_meet(g->start, g->end, h->start, h->end))
            h->first_lost = 1;
    }
}

/* A segment of the lane's sender k's flow (up; down: k -1, the receiver's). */
static void add_segment(struct live_lane *l, int k, const struct audit_line *a)
{
    struct live_segment *s = &l->seg[l->seg_at];
    *s = (struct live_segment){.t_us = a->t_us, .start = a->start, .end = a->end,
                               .delay_us = (uint32_t)a->delay_us, .dir = (uint8_t)a->dir,
                               .event = (uint8_t)a->event, .who = (uint8_t)(k < 0 ? 0 : k)};
    snprintf(s->flags, sizeof s->flags, "%s", a->group);
    l->seg_at = (l->seg_at + 1) % LIVE_SEGMENTS;
    l->seg_n += l->seg_n < LIVE_SEGMENTS;
    l->seg_drops += s->event < DROPLOG_DUP; /* dropped */
    if (s->dir == NETSIM_DOWN && s->event < DROPLOG_DUP && l->n_senders > 1)
        segment_lost(l, s);
}

/* statescan's kind of a name (statescan_kind_name), 254 if none. */
static uint8_t kind_of(const char *name)
{
    for (int k = 0; k < 8; k++)
        if (!strcmp(statescan_kind_name(k), name))
            return (uint8_t)k;
    return 254;
}

/* A state's line into its mark's hop: sender k's (the uplink's), or on the
 * downlink the one the relay's stamp names. */
static void add_state(struct live_lane *l, int k, const struct audit_line *a, uint64_t now_us)
{
    if (a->dir == NETSIM_DOWN)
        k = live_lane_sender_of(l, a->sender); /* -1: a stamp we do not know */
    struct live_mark *m = live_lane_mark(l, k, a->seq);
    if (!m)
        return;
    struct live_hop *h = &m->hop[a->dir];
    m->changed_us = now_us;
    if (!h->seen_us)
        h->seen_us = a->t_us;
    if (a->event == DROPLOG_SENT) { /* a stream's frame */
        h->start = a->start;
        h->end = a->end;
        h->kind = 255;
        if (a->dir == NETSIM_DOWN && l->n_senders > 1)
            frame_seen(l, h);
        return;
    }
    if (a->event == DROPLOG_DUP || a->event == DROPLOG_EXIT)
        return;
    if (!h->fwds && !h->drop) {
        h->kind = kind_of(a->kind);
        h->peer = (int16_t)(strcmp(a->peer, "-") ? atoi(a->peer) : -1);
        h->group = strcmp(a->group, "-") ? atoi(a->group) : -1;
    }
    if (a->event == DROPLOG_FWD || a->event == DROPLOG_CORRUPT) {
        if (h->fwds++ == 0) {
            h->fwd_us = a->t_us;
            h->delay_us = (uint32_t)a->delay_us;
        }
    } else if (!h->drop) {
        h->drop = (uint8_t)(a->event + 1);
        h->drop_us = a->t_us;
        h->first_lost |= !h->fwds;
    }
}

/* A model line: kept for the strips, one entry per change (the proxies'
 * lines of one change and both directions together). */
static void add_model(struct live *lv, const struct audit_line *a, const char *line)
{
    const char *what = strstr(line, " model ");
    if (!what)
        return;
    what += strlen(" model ");
    char text[120];
    snprintf(text, sizeof text, "%.*s", (int)strcspn(what, "\n"), what);
    if (lv->n_models) {
        struct live_model *last = &lv->models[lv->n_models - 1];
        if (a->t_us - last->t_us < 100000) {
            if (!strstr(last->text, text) && strlen(last->text) + strlen(text) + 4 <
                                                 sizeof last->text)
                snprintf(last->text + strlen(last->text),
                         sizeof last->text - strlen(last->text), "; %s", text);
            return;
        }
    }
    if (lv->n_models >= LIVE_MODELS) { /* the oldest goes */
        memmove(lv->models, lv->models + 1, sizeof lv->models[0] * (LIVE_MODELS - 1));
        lv->n_models = LIVE_MODELS - 1;
    }
    lv->models[lv->n_models].t_us = a->t_us;
    snprintf(lv->models[lv->n_models].text, sizeof lv->models[0].text, "%s", text);
    lv->n_models++;
}

/* A connection's handshake, SYN, SYN-ACK and the bare ACK, into the ends
 * of the lane whose sender 1 or receiver it is (whichever way it goes); a
 * SYN starts it anew (a connection made again, or a SYN sent again). */
static void add_handshake(struct live *lv, const struct audit_line *a)
{
    bool syn = strchr(a->group, 'S') != NULL, bare = !strcmp(a->group, ".");
    for (size_t i = 0; (syn || bare) && i < lv->n_lanes; i++) {
        struct live_lane *l = &lv->lanes[i];
        int e = !l->clients || !l->def->ip ? -1 : !strcmp(l->up_flow[0], a->flow) ? 0
                                 : !strcmp(l->down_flow, a->flow) ? 1 : -1;
        if (e < 0)
            continue;
        struct live_ends *x = &l->ends;
        if (syn && !strchr(a->group, '.'))
            x->n_hs[e] = 0;
        size_t n = x->n_hs[e]; /* one dropped and sent again: the one that came */
        if (n && x->hs[e][n - 1].event != DROPLOG_FWD && !strcmp(x->hs[e][n - 1].flags, a->group))
            x->n_hs[e]--;
        if (x->n_hs[e] < 3) {
            struct live_segment *g = &x->hs[e][x->n_hs[e]++];
            *g = (struct live_segment){.t_us = a->t_us, .start = a->start, .end = a->end,
                                       .delay_us = (uint32_t)a->delay_us,
                                       .dir = (uint8_t)a->dir, .event = (uint8_t)a->event};
            snprintf(g->flags, sizeof g->flags, "%s", a->group);
        }
        return;
    }
}

/* One line of the drop log; *t_us: netsim's time of it, when it has one. */
static void log_line(struct live *lv, const char *line, uint64_t now_us, uint64_t *t_us)
{
    struct audit_line a;
    if (line[0] == '#' || line[0] == '\0' || audit_line_parse(line, &a) != 0)
        return;
    *t_us = a.t_us;
    if (a.model) {
        add_model(lv, &a, line);
        return;
    }
    if (!strcmp(a.kind, "segment"))
        add_handshake(lv, &a);
    int k;
    struct live_lane *l = lane_of_flow(lv, &a, &k);
    if (!l) {
        live_door_log(lv, &a); /* a program of the learner's own, or nobody's */
        return;
    }
    if (!strcmp(a.kind, "segment"))
        add_segment(l, k, &a);
    else
        add_state(l, k, &a, now_us);
}

/* What path holds past *at, at most READ_MAX bytes, line by line into fn
 * (a line cut by the read waits in partial for the rest); the file's size
 * into *size (NULL: not asked). Returns the bytes read. */
static size_t read_lines(const char *path, long *at, long *size, char *partial, size_t cap,
                         void (*fn)(void *ctx, const char *line), void *ctx)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fseek(f, *at, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return 0;
    }
    if (size && fstat(fileno(f), &st) == 0)
        *size = (long)st.st_size;
    static char buf[READ_MAX + 1];
    size_t n = fread(buf, 1, READ_MAX, f);
    fclose(f);
    buf[n] = '\0';
    *at += (long)n;
    char *p = buf;
    for (char *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        size_t have = strlen(partial);
        if (have) { /* the rest of the line the last read cut */
            snprintf(partial + have, cap - have, "%s", p);
            fn(ctx, partial);
            partial[0] = '\0';
        } else {
            fn(ctx, p);
        }
    }
    size_t have = strlen(partial);
    snprintf(partial + have, cap - have, "%s", p);
    return n;
}

struct log_ctx {
    struct live *lv;
    struct live_netsim *n;
    uint64_t now_us;
    bool fresh;
};

static void on_log_line(void *ctx, const char *line)
{
    struct log_ctx *c = ctx;
    log_line(c->lv, line, c->now_us, &c->n->log_t_us);
}

static uint64_t field(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
}

/* A stats line of netsim's: its counters, and when (its uptime). */
static void on_stats_line(void *ctx, const char *line)
{
    struct log_ctx *c = ctx;
    cJSON *o = cJSON_Parse(line);
    const cJSON *up = cJSON_GetObjectItemCaseSensitive(o, "up");
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(o, "down");
    if (cJSON_IsObject(up) && cJSON_IsObject(down)) {
        for (int d = 0; d < 2; d++) {
            const cJSON *x = d ? down : up;
            uint64_t v[5] = {field(x, "received", NULL), field(x, "dropped", NULL),
                             field(x, "paired", "states"), field(x, "paired", "lost"),
                             field(x, "received_bytes", NULL)};
            memcpy(c->n->last[d], v, sizeof v);
        }
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "uptime_s");
        if (cJSON_IsNumber(t))
            c->n->last_t_us = c->n->started_us + (uint64_t)(t->valuedouble * 1e6);
        c->fresh = true;
    }
    cJSON_Delete(o);
}

/* The netsims' newest counters summed, as a sample. */
static void push_net_sample(struct live *lv)
{
    struct live_net_sample s = {0};
    for (size_t k = 0; k < lv->n_netsims; k++) {
        const struct live_netsim *n = &lv->netsims[k];
        if (n->last_t_us > s.t_us)
            s.t_us = n->last_t_us;
        for (int d = 0; d < 2; d++) {
            s.received[d] += n->last[d][0];
            s.dropped[d] += n->last[d][1];
            s.states[d] += n->last[d][2];
            s.states_lost[d] += n->last[d][3];
            s.bytes[k][d] = n->last[d][4];
        }
    }
    lv->net[lv->net_at] = s;
    lv->net_at = (lv->net_at + 1) % LIVE_NET_SAMPLES;
    lv->net_n += lv->net_n < LIVE_NET_SAMPLES;
}

/* How far the reading is behind what netsim wrote, after a read at now_us. */
static void pace(struct live *lv, uint64_t now_us)
{
    struct live_log_figures *g = &lv->log;
    g->behind_s = 0;
    g->unread_bytes = 0;
    for (size_t k = 0; k < lv->n_netsims; k++) {
        const struct live_netsim *n = &lv->netsims[k];
        if (!n->started || n->log_size <= n->log_at)
            continue;
        g->unread_bytes += (uint64_t)(n->log_size - n->log_at);
        double behind = n->log_t_us && now_us > n->log_t_us
                            ? (double)(now_us - n->log_t_us) / 1e6 : 0;
        if (behind > g->behind_s)
            g->behind_s = behind;
    }
    if (g->behind_s > g->behind_max_s)
        g->behind_max_s = g->behind_s;
}

void live_log_read(struct live *lv, uint64_t now_us)
{
    bool fresh = false, more = true;
    /* a slice of every file a pass, the netsims in turn, until all are read to their ends or
       the turn's time is spent */
    while (more && clock_now_us() - now_us < READ_TURN_US) {
        more = false;
        for (size_t k = 0; k < lv->n_netsims; k++) {
            struct live_netsim *n = &lv->netsims[k];
            if (!n->started)
                continue;
            struct log_ctx c = {.lv = lv, .n = n, .now_us = now_us};
            size_t got = read_lines(n->drop_log, &n->log_at, &n->log_size, n->partial,
                                    sizeof n->partial, on_log_line, &c);
            lv->log.read_bytes += got;
            more |= got == READ_MAX;
            more |= read_lines(n->proc.out_path, &n->stats_at, NULL, n->stats_partial,
                               sizeof n->stats_partial, on_stats_line, &c) == READ_MAX;
            fresh |= c.fresh;
        }
    }
    if (fresh)
        push_net_sample(lv);
    pace(lv, now_us);
    lv->log_spent_us += clock_now_us() - now_us;
}
