/* bot_run.c: ricochet-bot's bots and their run (see bot_run.h). */
#include "bot_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "stats/rng.h"

#define DRAIN_US 500000 /* keep receiving after the last send */
#define SETTLE_US 200000 /* after everyone joined, before the first send */

/* The sender id in the bot's current session (a new one after a rejoin). */
static struct seen *seen_get(struct bot *b, uint32_t id)
{
    for (size_t i = 0; i < b->n_seen; i++)
        if (b->seen[i].id == id && b->seen[i].session == b->session)
            return &b->seen[i];
    if (b->n_seen == b->cap_seen) {
        size_t cap = b->cap_seen ? b->cap_seen * 2 : 16;
        struct seen *bigger = realloc(b->seen, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        b->seen = bigger;
        b->cap_seen = cap;
    }
    struct seen *s = &b->seen[b->n_seen++];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->session = b->session;
    return s;
}

/* A new session (welcome): states sent from now on go out as id, from the
 * client's next seq. Returns -1 out of memory (the stats then merge). */
static int membership_start(struct bot *b, uint32_t id)
{
    if (b->n_ms == b->cap_ms) {
        size_t cap = b->cap_ms ? b->cap_ms * 2 : 4;
        struct membership *bigger = realloc(b->ms, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        b->ms = bigger;
        b->cap_ms = cap;
    }
    uint32_t seq = client_next_seq(b->c);
    b->ms[b->n_ms++] = (struct membership){.id = id, .first_seq = seq, .end_seq = seq};
    return 0;
}

/* Copies the name, mode and stats of member m into s. */
static void seen_update(struct seen *s, const struct ricochet_member *m)
{
    if (m->name[0])
        snprintf(s->name, sizeof s->name, "%s", m->name);
    s->mode = (enum proto_mode)m->mode;
    s->stats = m->stats;
}

/* Copies names, modes and stats of the current members into b->seen. */
void bot_seen_refresh(struct bot *b)
{
    struct ricochet_member m[RICOCHET_MEMBERS_MAX];
    size_t n = ricochet_members(b->c, m, RICOCHET_MEMBERS_MAX);
    for (size_t i = 0; i < n && i < RICOCHET_MEMBERS_MAX; i++) {
        struct seen *s = seen_get(b, m[i].id);
        if (s)
            seen_update(s, &m[i]);
    }
}

/* Position on the bot's path at time t seconds (stays inside the arena). */
static void bot_path(const struct bot *b, double t, struct ricochet_state *s)
{
    double cx = PROTO_ARENA_W / 2, cy = PROTO_ARENA_H / 2;
    s->x = (float)(cx + b->ax * sin(b->wx * t + b->px));
    s->y = (float)(cy + b->ay * sin(b->wy * t + b->py));
    s->vx = (float)(b->ax * b->wx * cos(b->wx * t + b->px));
    s->vy = (float)(b->ay * b->wy * cos(b->wy * t + b->py));
    s->heading = (float)atan2(s->vy, s->vx);
}

static void bot_init_path(struct bot *b, uint64_t seed, size_t index)
{
    struct rng r;
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + index + 1);
    b->ax = 15 + rng_uniform(&r) * 30; /* 15..45: inside 5..95 */
    b->ay = 15 + rng_uniform(&r) * 30;
    b->wx = 0.2 + rng_uniform(&r) * 0.8; /* rad/s */
    b->wy = 0.2 + rng_uniform(&r) * 0.8;
    b->px = rng_uniform(&r) * 2 * M_PI;
    b->py = rng_uniform(&r) * 2 * M_PI;
}

/* Another member's state: its one-way latency, corrected by the clocks'
 * offsets to the relay (right across machines; none until both are known). */
static void bot_saw_state(struct bot *b, const struct ricochet_event *ev, struct bot_totals *t)
{
    if (ev->id == b->id || (unsigned)ev->mode >= PROTO_MODE_COUNT)
        return;
    if (ev->latency_known && ev->latency_us >= 0)
        histogram_record(t->agg[ev->mode].lat, (uint64_t)ev->latency_us);
    struct seen *s = seen_get(b, ev->id);
    if (s && !s->started) {
        s->started = true;
        s->first_seq = ev->state.seq;
    }
    if (s && ev->latency_bound_us > s->lat_bound_us)
        s->lat_bound_us = ev->latency_bound_us;
    if (ev->latency_bound_us > t->lat_bound_max_us)
        t->lat_bound_max_us = ev->latency_bound_us;
}

static void bot_handle_event(struct bot *b, const struct ricochet_event *ev,
                         struct bot_totals *t)
{
    switch (ev->type) {
    case RICOCHET_EV_TOO_OLD: /* counted in the member's stats */
    case RICOCHET_EV_ROOMS:   /* a bot lists no rooms */
    case RICOCHET_EV_ROOM:    /* ... nor changes its room */
    case RICOCHET_EV_FRAME:   /* ... nor plays in a lockstep room */
    case RICOCHET_EV_LATE:
    case RICOCHET_EV_DESYNC:
        break;
    case RICOCHET_EV_WELCOME:
        b->id = ricochet_id(b->c);
        if (membership_start(b, b->id) == 0)
            b->session++;
        log_info("%s: joined as %u (session %u)", b->name, (unsigned)b->id,
                 (unsigned)b->session);
        bot_seen_refresh(b);
        break;
    case RICOCHET_EV_VANISHED: /* out of sight; its statistics start again if it appears */
        break;
    case RICOCHET_EV_EVENT: /* another bot's (--events), or a game's */
        b->events_received++;
        break;
    case RICOCHET_EV_JOINED:
    case RICOCHET_EV_REJOINED: /* back, perhaps under another id */
    case RICOCHET_EV_APPEARED: {
        struct seen *s = seen_get(b, ev->id);
        if (s) {
            snprintf(s->name, sizeof s->name, "%s", ev->name);
            s->mode = (enum proto_mode)ev->mode;
        }
        break;
    }
    case RICOCHET_EV_LEFT: {
        /* The member is still in the table during this event: keep its stats. */
        struct ricochet_member m;
        struct seen *s = seen_get(b, ev->id);
        if (s) {
            if (ricochet_member(b->c, ev->id, &m) == RICOCHET_OK)
                seen_update(s, &m);
            s->left = true;
        }
        break;
    }
    case RICOCHET_EV_STATE:
        bot_saw_state(b, ev, t);
        break;
    case RICOCHET_EV_ERROR:
        /* udp not_joined: the client empties its member table at the next
         * poll and joins again; keep this session's last figures. */
        bot_seen_refresh(b);
        b->errors++;
        if (strcmp(ev->code, "throttled") == 0)
            b->throttled++;
        log_warn("%s: relay error %s: %s", b->name, ev->code,
                 ev->text);
        break;
    case RICOCHET_EV_DISCONNECTED:
        b->dead = true;
        snprintf(b->dead_why, sizeof b->dead_why, "%s", ricochet_end_reason(b->c));
        break;
    case RICOCHET_EV_CHAT:
        break;
    case RICOCHET_EV_MOVED:
        /* A fleet: the next welcome starts a new membership on that relay. */
        bot_seen_refresh(b);
        b->moves++;
        log_info("%s: %s to the relay at %s", b->name,
                 strcmp(ev->code, "rejoin") == 0 ? "joining again, through" : "moved",
                 ev->text);
        break;
    }
}

/* What a sender of this process sent in the session s saw it in: the
 * sender's (by name) membership with its id whose sequence numbers hold the
 * first one s received (ids repeat across relay restarts, a sender's
 * sequence numbers do not; two bots' do, and after a restart they may have
 * swapped ids). */
static uint64_t sender_sent(const struct bot *bots, size_t n, const struct seen *s, bool *known)
{
    for (size_t i = 0; i < n; i++) {
        if (s->name[0] && strcmp(bots[i].name, s->name) != 0)
            continue;
        for (size_t k = 0; k < bots[i].n_ms; k++) {
            const struct membership *m = &bots[i].ms[k];
            if (m->id == s->id && s->started &&
                s->first_seq - m->first_seq < m->end_seq - m->first_seq) {
                *known = true;
                return m->sent;
            }
        }
    }
    *known = false;
    return 0;
}

struct pair_fig bot_pair_figures(const struct bot *bots, size_t n,
                                    const struct seen *s)
{
    struct pair_fig f;
    bool known;
    uint64_t sent = sender_sent(bots, n, s, &known);
    f.received = s->stats.received;
    f.expected = known ? sent : s->stats.expected;
    if (f.expected < f.received)
        f.expected = f.received;
    f.lost = f.expected - f.received;
    f.delivery = f.expected ? 100.0 * (double)f.received / (double)f.expected : 0;
    return f;
}

/* Adds every (receiver, sender) pair into the per-mode aggregates. */
void bot_aggregate(struct bot *bots, size_t n, struct bot_totals *t)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < bots[i].n_seen; j++) {
            const struct seen *s = &bots[i].seen[j];
            if (s->mode >= PROTO_MODE_COUNT)
                continue;
            struct pair_fig f = bot_pair_figures(bots, n, s);
            struct mode_agg *a = &t->agg[s->mode];
            a->pairs++;
            a->expected += f.expected;
            a->received += f.received;
            a->lost += f.lost;
            a->duplicates += s->stats.duplicates;
            a->reordered += s->stats.reordered;
            a->too_old += s->stats.too_old;
        }
    }
}

/* Allocates the bots and the per-mode histograms. Returns 0 or -1. */
int bot_run_alloc(struct bot_run *sw)
{
    sw->bots = calloc(sw->n, sizeof *sw->bots);
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        sw->totals.agg[m].lat = malloc(sizeof *sw->totals.agg[m].lat);
    if (!sw->bots || !sw->totals.agg[0].lat || !sw->totals.agg[1].lat || !sw->totals.agg[2].lat ||
        !sw->totals.agg[3].lat) {
        fprintf(stderr, BOT_PROG ": error: out of memory\n");
        return -1;
    }
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        histogram_reset(sw->totals.agg[m].lat);
    return 0;
}

void bot_run_free(struct bot_run *sw)
{
    bot_progress_destroy(sw->progress);
    swarm_destroy(sw->sw);
    if (sw->bots)
        for (size_t i = 0; i < sw->n; i++) {
            free(sw->bots[i].seen);
            free(sw->bots[i].ms);
        }
    free(sw->bots);
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        free(sw->totals.agg[m].lat);
}

/* swarm hooks: the bot's path, its send counters, its events */
static void bot_fill(void *ctx, size_t i, uint64_t t_us, struct ricochet_state *s)
{
    struct bot_run *sw = ctx;
    bot_path(&sw->bots[i], (double)(t_us - sw->start_us) / 1e6, s);
}

static void bot_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct bot_run *sw = ctx;
    (void)t_us;
    struct bot *b = &sw->bots[i];
    if (ok) {
        b->sent++;
        if (b->n_ms) {
            b->ms[b->n_ms - 1].sent++;
            b->ms[b->n_ms - 1].end_seq = client_next_seq(b->c);
        }
    } else {
        b->send_failed++;
    }
}

/* Bot i's client, made: its events may come before swarm_create returns. */
static void bot_created(void *ctx, size_t i, struct ricochet *c)
{
    struct bot_run *sw = ctx;
    struct bot *b = &sw->bots[i];
    b->c = c;
    b->mode = client_mode(c);
    snprintf(b->name, sizeof b->name, "%s", client_name(c));
    bot_init_path(b, sw->seed, i);
}

static void bot_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct bot_run *sw = ctx;
    struct bot *b = &sw->bots[i];
    if (sw->progress && ev->type == RICOCHET_EV_STATE && ev->id != b->id && ev->latency_known &&
        ev->latency_us >= 0)
        bot_progress_latency(sw->progress, (uint64_t)ev->latency_us);
    bot_handle_event(b, ev, &sw->totals);
}

/* The counters --interval reports grow from: every bot, every sender it
 * has seen (those that left keep their last counters in b->seen). */
static void progress_totals(struct bot_run *sw, struct bot_progress_totals *t)
{
    memset(t, 0, sizeof *t);
    t->bots = sw->n;
    t->connected = swarm_alive(sw->sw);
    for (size_t i = 0; i < sw->n; i++) {
        struct bot *b = &sw->bots[i];
        t->sent += b->sent;
        bot_seen_refresh(b);
        for (size_t j = 0; j < b->n_seen; j++) {
            uint64_t expected = b->seen[j].stats.expected;
            t->received += b->seen[j].stats.received;
            t->expected += expected > b->seen[j].stats.received ? expected
                                                                : b->seen[j].stats.received;
        }
    }
}

static void progress_report(struct bot_run *sw, uint64_t now_us)
{
    struct bot_progress_totals t;
    progress_totals(sw, &t);
    bot_progress_report(sw->progress, now_us, &t);
}

/* Creates every bot's client (connecting starts). Returns 0 or -1 (printed). */
int bot_run_connect(struct bot_run *sw)
{
    const struct bot_options *o = sw->o;
    char name[32];
    enum proto_mode mode = PROTO_MODE_UNSEQUENCED;
    bool mixed = proto_mode_parse(bot_mode_choice_name(o, name, sizeof name), &mode) != 0;
    struct swarm_config sc = {.host = o->host, .port = (uint16_t)o->port,
                              .clients = sw->n, .room = o->room, .name = o->name,
                              .mode = mode, .mixed = mixed, .reflect = o->reflect,
                              .timeout_ms = (uint32_t)o->timeout_ms, .rate_hz = o->rate,
                              .rejoin_ms = (uint32_t)o->rejoin_ms,
                              .payload = (size_t)o->payload, .client_histograms = true,
                              .tickets = o->tickets,
                              .transport = (enum ricochet_transport)o->transport,
                              .keylog = o->keylog[0] ? o->keylog : NULL,
                              .pin = o->pin[0] ? o->pin : NULL,
                              .per_host = 1 /* each bot its own socket: the JSON
                                               reports each bot's bytes */};
    struct swarm_hooks hooks = {.ctx = sw, .fill = bot_fill, .sent = bot_sent,
                                .event = bot_event, .created = bot_created};
    char err[320];
    sw->sw = swarm_create(&sc, &hooks, err, sizeof err);
    if (!sw->sw) {
        fprintf(stderr, BOT_PROG ": error: %s\n", err);
        return -1;
    }
    return 0;
}

/* Waits until every bot has joined, then lets the roster notices settle.
 * Returns 0, or -1 (printed) if one could not join or a signal came. */
int bot_run_join(struct bot_run *sw)
{
    char err[320];
    if (swarm_wait_ready(sw->sw, false, UINT64_MAX, sw->stop, err, sizeof err) != 0) {
        for (size_t i = 0; i < sw->n; i++)
            if (sw->bots[i].dead) {
                char relay[NETADDR_STR_MAX + 256];
                fprintf(stderr, BOT_PROG ": error: %s could not join %s: %s\n", sw->bots[i].name,
                        netaddr_host_port(sw->o->host, sw->o->port, relay, sizeof relay),
                        sw->bots[i].dead_why);
                return -1;
            }
        fprintf(stderr, BOT_PROG ": error: %s\n",
                *sw->stop ? "interrupted while joining" : err);
        return -1;
    }
    uint64_t settle_end = clock_now_us() + SETTLE_US;
    while (clock_now_us() < settle_end && !*sw->stop)
        swarm_service(sw->sw, 5000);
    return 0;
}

/* --events: each bot's events due by now (and before end), at intended
 * times from start, the bots spread over a period as their states are. A
 * loop that fell more than a second behind starts the schedule again from
 * now rather than send the second's worth at once (past the relay's rate
 * limit). */
#define EVENTS_CATCH_UP_US 1000000u

static void events_schedule(struct bot_run *sw)
{
    uint64_t period = (uint64_t)(1e6 / sw->o->events);
    for (size_t i = 0; i < sw->n; i++)
        sw->bots[i].next_event_us = sw->start_us + period * i / sw->n;
}

static void events_send(struct bot_run *sw, uint64_t now, uint64_t end)
{
    uint64_t period = (uint64_t)(1e6 / sw->o->events);
    uint8_t body[RICOCHET_EVENT_MAX];
    size_t len = (size_t)sw->o->event_bytes;
    for (size_t i = 0; i < sw->n; i++) {
        struct bot *b = &sw->bots[i];
        if (b->dead)
            continue;
        if (b->next_event_us + EVENTS_CATCH_UP_US < now)
            b->next_event_us = now;
        for (; b->next_event_us <= now && b->next_event_us < end; b->next_event_us += period) {
            /* the sender's index and count, then a pattern: a game's bytes */
            uint64_t k = b->events_sent + b->events_failed;
            for (size_t j = 0; j < len; j++)
                body[j] = (uint8_t)(j < 8 ? k >> (8 * j) : i + j);
            if (ricochet_send_event(b->c, sw->o->event_to_id, body, len) == RICOCHET_OK)
                b->events_sent++;
            else
                b->events_failed++;
        }
    }
}

/* Sends at a constant rate from intended times, bots spread over a period,
 * until --duration, a signal, or no bot left; then lets the last states
 * arrive. */
void bot_run_send(struct bot_run *sw)
{
    sw->start_us = clock_now_us();
    uint64_t end = sw->o->duration > 0 ? sw->start_us + (uint64_t)(sw->o->duration * 1e6)
                                       : UINT64_MAX;
    swarm_schedule(sw->sw, sw->start_us);
    if (sw->o->events > 0)
        events_schedule(sw);
    if (sw->o->interval > 0) {
        sw->progress = bot_progress_create(sw->o->interval, sw->o->json, sw->start_us, stdout);
        if (!sw->progress)
            fprintf(stderr, BOT_PROG ": warning: out of memory: no --interval reports\n");
    }
    while (!*sw->stop && swarm_alive(sw->sw) > 0 && clock_now_us() < end) {
        swarm_step(sw->sw, end);
        if (sw->o->events > 0)
            events_send(sw, clock_now_us(), end);
        if (sw->progress && clock_now_us() >= bot_progress_due(sw->progress))
            progress_report(sw, clock_now_us());
    }
    sw->sent_end_us = clock_now_us();
    /* the last, shorter interval (unless sending stopped right on a row) */
    if (sw->progress && sw->sent_end_us >= bot_progress_due(sw->progress) -
                                               (uint64_t)(sw->o->interval * 1e6) + 10000)
        progress_report(sw, sw->sent_end_us);
    if (sw->progress && !sw->o->json)
        fputc('\n', stdout); /* the rows, then the summary */
    swarm_drain(sw->sw, sw->sent_end_us + DRAIN_US);
}
