/* bench_world.c: one world run (see bench_world.h): a relay, a swarm in one
 * room with interest, walkers on a field, the audit of who was in radius. */
#include "bench_world.h"

#include <math.h>

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lab/audit/audit.h"
#include "lab/harness/children.h"
#include "proto/statsrec.h"
#include "stats/rng.h"
#include "sys/clock.h"
#include "bench_yardstick.h"
#include "run_internal.h"

#define PAST 32             /* a walker's latest sends kept for the audit: 1.6 s at 20 Hz,
                               longer than a loaded host stalls the relay or the bench */
#define RECENT 8            /* the sends the audit's grid must cover (fill looks at one) */
#define TURN_RATE 1.0       /* radians per sqrt(second): how much a walker wanders */
#define DRAIN_US 500000     /* after the window: states on their way */
#define LAST_READ_US 100000 /* after the relay stopped: what it sent last */
#define GRID_SIDE_MAX 1024  /* the audit's grid: at most this many cells a side */
#define NONE SIZE_MAX

/* One client's walk: where it is, and where its latest sends put it. */
struct walker {
    bool placed;
    double x, y, heading;
    uint64_t t_us;          /* its latest send's intended time */
    size_t cell, prev, next_in_cell; /* the audit's grid: its cell's list */
    struct { uint64_t t_us; float x, y; } past[PAST]; /* a ring, newest at next - 1 */
    unsigned next;
};

/* What a receiver is owed by a sender: the states sent in the window with
 * the receiver within the radius (fill) that it got neither itself nor a
 * newer state of the sender of. A delivery settles the owed ones at or
 * before it; the ones before it are superseded (a world's tick conflates). */
struct owed {
    uint32_t last_seq;      /* the newest seq got (0: none) */
    uint32_t top;           /* the newest owed seq */
    uint64_t top_us;        /* ... its intended send */
    uint64_t bits;          /* bit k: seq top - k is owed */
    uint64_t old;           /* owed ones more than 64 sends before top */
};

struct world {
    struct bench_world_result *w;
    struct swarm *sw;       /* once created */
    bool payload_check;
    struct walker *walkers;
    size_t n;
    struct rng rng;
    double radius, field;
    uint64_t win_start, win_end;
    uint32_t *index_of_id;  /* relay id -> client index + 1 (0: unknown) */
    uint32_t max_id;
    struct owed *owed;      /* n x n: what receiver i is owed by sender j (i * n + j) */
    uint64_t period_us;     /* between two sends of a client */
    /* The audit's grid of the walkers' latest positions, cells wider than
     * the radius by what a walker covers in RECENT sends: everyone within
     * the radius at a recent time lies in the 3 x 3 cells around. */
    double cell;
    size_t side;
    size_t *head;           /* side x side lists */
};

static size_t cell_index(const struct world *wd, double v)
{
    double c = floor(v / wd->cell);
    return c < 0 ? 0 : c >= (double)wd->side ? wd->side - 1 : (size_t)c;
}

static void grid_move(struct world *wd, size_t i)
{
    struct walker *k = &wd->walkers[i];
    size_t cell = cell_index(wd, k->y) * wd->side + cell_index(wd, k->x);
    if (k->cell == cell)
        return;
    if (k->cell != NONE) { /* unlink */
        if (k->prev != NONE)
            wd->walkers[k->prev].next_in_cell = k->next_in_cell;
        else
            wd->head[k->cell] = k->next_in_cell;
        if (k->next_in_cell != NONE)
            wd->walkers[k->next_in_cell].prev = k->prev;
    }
    k->cell = cell;
    k->prev = NONE;
    k->next_in_cell = wd->head[cell];
    if (k->next_in_cell != NONE)
        wd->walkers[k->next_in_cell].prev = i;
    wd->head[cell] = i;
}

static int grid_open(struct world *wd, double rate_hz)
{
    double margin = 2 * WORLD_SPEED * RECENT / rate_hz;
    wd->cell = wd->radius + margin;
    if (wd->field / wd->cell > GRID_SIDE_MAX)
        wd->cell = wd->field / GRID_SIDE_MAX;
    wd->side = (size_t)ceil(wd->field / wd->cell) + 1;
    wd->head = malloc(wd->side * wd->side * sizeof *wd->head);
    if (!wd->head)
        return -1;
    for (size_t c = 0; c < wd->side * wd->side; c++)
        wd->head[c] = NONE;
    for (size_t i = 0; i < wd->n; i++)
        wd->walkers[i].cell = NONE;
    return 0;
}

/* Where client i's latest send at or before t_us put it; false if none. */
static bool position_at(const struct walker *k, uint64_t t_us, float *x, float *y)
{
    for (unsigned a = 1; a <= PAST; a++) {
        const unsigned at = (k->next + PAST - a) % PAST;
        if (k->past[at].t_us && k->past[at].t_us <= t_us) {
            *x = k->past[at].x;
            *y = k->past[at].y;
            return true;
        }
    }
    return false;
}

/* A step of a random walk at WORLD_SPEED, turned back at the field's edges. */
static void walk(struct world *wd, struct walker *k, uint64_t t_us)
{
    if (!k->placed) {
        k->placed = true;
        k->x = rng_uniform(&wd->rng) * wd->field;
        k->y = rng_uniform(&wd->rng) * wd->field;
        k->heading = rng_uniform(&wd->rng) * 2 * M_PI;
    } else if (t_us > k->t_us) {
        double dt = (double)(t_us - k->t_us) / 1e6;
        k->heading += rng_normal(&wd->rng) * TURN_RATE * sqrt(dt);
        k->x += cos(k->heading) * WORLD_SPEED * dt;
        k->y += sin(k->heading) * WORLD_SPEED * dt;
        if (k->x < 0 || k->x > wd->field) {
            k->x = k->x < 0 ? -k->x : 2 * wd->field - k->x;
            k->heading = M_PI - k->heading;
        }
        if (k->y < 0 || k->y > wd->field) {
            k->y = k->y < 0 ? -k->y : 2 * wd->field - k->y;
            k->heading = -k->heading;
        }
    }
    k->t_us = t_us;
    k->past[k->next].t_us = t_us;
    k->past[k->next].x = (float)k->x;
    k->past[k->next].y = (float)k->y;
    k->next = (k->next + 1) % PAST;
}

static bool in_window(const struct world *wd, uint64_t t_us)
{
    return t_us >= wd->win_start && t_us < wd->win_end;
}

/* Sender's state seq, sent at t_us, is owed to a receiver within the radius. */
static void owe(struct owed *o, uint32_t seq, uint64_t t_us)
{
    if (o->bits) {
        uint32_t shift = seq - o->top;
        uint64_t out = shift >= 64 ? o->bits : o->bits >> (64 - shift);
        o->old += (uint64_t)__builtin_popcountll(out);
        o->bits = shift >= 64 ? 0 : o->bits << shift;
    }
    o->bits |= 1;
    o->top = seq;
    o->top_us = t_us;
}

/* The receiver got the sender's state seq: it and the owed ones before it
 * are settled, those before as superseded. Returns how many were. A late
 * state (older than one got) settles nothing: it was superseded already. */
static uint64_t settle(struct owed *o, uint32_t seq)
{
    if (o->last_seq && !proto_seq_after(seq, o->last_seq))
        return 0;
    o->last_seq = seq;
    uint32_t back = o->top - seq; /* seq's bit, if it is one of the owed */
    if (!o->bits || back >= 64) {
        uint64_t n = proto_seq_after(seq, o->top) ? (uint64_t)__builtin_popcountll(o->bits) +
                                                        o->old : 0;
        if (n)
            o->bits = o->old = 0;
        return n;
    }
    uint64_t before = back == 63 ? 0 : o->bits >> (back + 1);
    uint64_t n = (uint64_t)__builtin_popcountll(before) + o->old;
    o->bits &= (1ull << back) - 1; /* the newer ones stay owed */
    o->old = 0;
    return n;
}

static void fill(void *ctx, size_t i, uint64_t t_us, struct ricochet_state *s)
{
    struct world *wd = ctx;
    struct walker *k = &wd->walkers[i];
    walk(wd, k, t_us);
    s->x = (float)k->x;
    s->y = (float)k->y;
    s->vx = (float)(cos(k->heading) * WORLD_SPEED);
    s->vy = (float)(sin(k->heading) * WORLD_SPEED);
    s->heading = (float)fmod(k->heading, 2 * M_PI);
    grid_move(wd, i);
    if (!in_window(wd, t_us))
        return;
    wd->w->sent++;
    uint32_t seq = client_next_seq(swarm_client(wd->sw, i));
    double r2 = wd->radius * wd->radius;
    size_t cx = cell_index(wd, k->x), cy = cell_index(wd, k->y);
    for (size_t y0 = cy ? cy - 1 : 0; y0 <= cy + 1 && y0 < wd->side; y0++) {
        for (size_t x0 = cx ? cx - 1 : 0; x0 <= cx + 1 && x0 < wd->side; x0++) {
            for (size_t j = wd->head[y0 * wd->side + x0]; j != NONE;
                 j = wd->walkers[j].next_in_cell) {
                float x, y;
                if (j == i || !position_at(&wd->walkers[j], t_us, &x, &y))
                    continue;
                double dx = x - s->x, dy = y - s->y;
                if (dx * dx + dy * dy > r2)
                    continue;
                wd->w->in_radius++;
                owe(&wd->owed[j * wd->n + i], seq, t_us);
            }
        }
    }
}

static void on_state(struct world *wd, size_t i, const struct ricochet_event *ev)
{
    const struct ricochet_state *s = &ev->state;
    float x, y;
    if (!in_window(wd, s->send_us) || ev->id > wd->max_id || !wd->index_of_id[ev->id] ||
        !position_at(&wd->walkers[i], s->send_us, &x, &y))
        return;
    struct bench_world_result *w = wd->w;
    w->delivered++;
    histogram_record(w->latency, ev->latency_us > 0 ? (uint64_t)ev->latency_us : 0);
    double dx = x - s->x, dy = y - s->y, d2 = dx * dx + dy * dy;
    double leave = wd->radius * PROTO_AOI_LEAVE;
    w->in_radius_got += d2 <= wd->radius * wd->radius;
    w->beyond_leave += d2 > leave * leave;
    w->superseded_in_radius += settle(&wd->owed[i * wd->n + wd->index_of_id[ev->id] - 1], s->seq);
}

static void event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct world *wd = ctx;
    switch (ev->type) {
    case RICOCHET_EV_STATE:
        if (wd->payload_check) {
            wd->w->payload_checked++;
            wd->w->payload_corrupt +=
                !run_payload_intact(swarm_client(wd->sw, i), ev, wd->w->payload);
        }
        on_state(wd, i, ev);
        break;
    case RICOCHET_EV_APPEARED: wd->w->appeared++; break;
    case RICOCHET_EV_VANISHED: wd->w->vanished++; break;
    default: break;
    }
}

/* The relay ids of the swarm's clients, once all are joined. */
static int map_ids(struct world *wd, struct swarm *sw)
{
    for (size_t i = 0; i < wd->n; i++) {
        uint32_t id = ricochet_id(swarm_client(sw, i));
        if (id > wd->max_id)
            wd->max_id = id;
    }
    wd->index_of_id = calloc((size_t)wd->max_id + 1, sizeof *wd->index_of_id);
    if (!wd->index_of_id)
        return -1;
    for (size_t i = 0; i < wd->n; i++)
        wd->index_of_id[ricochet_id(swarm_client(sw, i))] = (uint32_t)i + 1;
    return 0;
}

/* Sends through the window, the relay's CPU and the generator's measured
 * over it, then drains. */
static void world_measure(struct world *wd, struct swarm *sw, struct run *run, uint64_t t0)
{
    struct spawn_usage u0 = { 0 }, u1;
    bool started = false;
    uint64_t wall0 = 0;
    double own0 = 0;
    swarm_schedule(sw, t0);
    while (!run_stop && clock_now_us() < wd->win_end) {
        if (!started && clock_now_us() >= wd->win_start) {
            started = spawn_usage(&run->relay, &u0) == 0;
            wall0 = clock_now_us();
            own0 = run_cpu_self_s();
        }
        swarm_step(sw, wd->win_end);
    }
    if (started && spawn_usage(&run->relay, &u1) == 0) {
        double elapsed = (double)(clock_now_us() - wall0) / 1e6;
        elapsed = elapsed > 0 ? elapsed : 1e-6;
        wd->w->relay_measured = true;
        wd->w->relay_cpu_pct = 100.0 * (u1.cpu_s - u0.cpu_s) / elapsed;
        wd->w->relay_peak_rss_kb = u1.hwm_kb;
        wd->w->generator_cpu_pct = 100.0 * (run_cpu_self_s() - own0) / elapsed;
    }
    swarm_drain(sw, clock_now_us() + DRAIN_US);
}

/* Was the pair apart, receiver i beyond the radius of sender j, at a send of
 * either after t_us (as far back as their PAST sends go)? The relay then
 * took them out of sight, or never had them in it. */
static bool apart_after(const struct world *wd, size_t i, size_t j, uint64_t t_us)
{
    const struct walker *a = &wd->walkers[i], *b = &wd->walkers[j];
    for (unsigned n = 0; n < 2 * PAST; n++) {
        uint64_t t = (n < PAST ? a : b)->past[n % PAST].t_us;
        float xi, yi, xj, yj;
        if (t <= t_us || !position_at(a, t, &xi, &yi) || !position_at(b, t, &xj, &yj))
            continue;
        double dx = xi - xj, dy = yi - yj;
        if (dx * dx + dy * dy > wd->radius * wd->radius)
            return true;
    }
    return false;
}

/* Once the last states are read: what is still owed, by why. A pair that
 * walked apart (a stall lets it: the backlog's newest positions are the
 * ones the relay judges sight by) gets no newer state to supersede the
 * owed ones; any other is unsettled. */
static void world_reckon(struct world *wd)
{
    for (size_t i = 0; i < wd->n; i++) {
        for (size_t j = 0; j < wd->n; j++) {
            const struct owed *o = &wd->owed[i * wd->n + j];
            uint64_t k = (uint64_t)__builtin_popcountll(o->bits) + o->old;
            if (!k)
                continue;
            if (apart_after(wd, i, j, o->top_us))
                wd->w->left_radius += k;
            else
                wd->w->unsettled += k;
        }
    }
}

/* The datagrams the kernel dropped on the clients' sockets (full buffers),
 * each shared socket once. */
static uint64_t world_socket_drops(struct swarm *sw, size_t n)
{
    int *fds = calloc(n, sizeof *fds);
    uint64_t *drops = calloc(n, sizeof *drops), sum = 0;
    size_t *owner = calloc(n, sizeof *owner);
    if (fds && drops && owner) {
        for (size_t i = 0; i < n; i++)
            fds[i] = client_socket(swarm_client(sw, i));
        if (audit_socket_drops(fds, n, drops, owner) == 0)
            for (size_t i = 0; i < n; i++)
                sum += owner[i] == i ? drops[i] : 0;
    }
    free(fds);
    free(drops);
    free(owner);
    return sum;
}

/* The relay's last stats record (on its stdout once it stopped) against
 * what the clients counted. */
static void world_counts(struct bench_world_result *w, struct run *run, struct swarm *sw)
{
    const struct swarm_stats *st = swarm_stats(sw);
    w->generator_sent = st->sent;
    w->generator_received = st->received;
    char *out = spawn_read_stdout(&run->relay);
    cJSON *rec = out ? statsrec_last(out, "relay", false) : NULL;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(rec, "states_in");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(rec, "states_out");
    if (cJSON_IsNumber(in) && cJSON_IsNumber(outs)) {
        w->relay_counted = true;
        w->relay_states_in = (uint64_t)in->valuedouble;
        w->relay_states_out = (uint64_t)outs->valuedouble;
        w->relay_drops = children_relay_drops(out, NULL);
        w->relay_stale = children_relay_drops(out, "stale");
    }
    cJSON_Delete(rec);
    free(out);
}

/* The relay says goodbye: the clients answer while it drains, and read
 * what it sent last; then its counts against theirs. */
static void world_stop(struct run *run, struct swarm *sw, struct bench_world_result *w)
{
    if (!run->relay_started)
        return;
    spawn_signal(&run->relay, SIGTERM);
    uint64_t deadline = clock_now_us() + (uint64_t)STOP_WAIT_MS * 1000u;
    while (spawn_running(&run->relay) && clock_now_us() < deadline)
        if (sw)
            swarm_service(sw, 1000);
    spawn_stop(&run->relay, SIGKILL, STOP_WAIT_MS);
    if (sw) {
        swarm_drain(sw, clock_now_us() + LAST_READ_US);
        world_counts(w, run, sw);
        w->socket_drops = world_socket_drops(sw, run->n);
    }
}

static int world_fail(struct bench_world_result *w, const char *why)
{
    w->ok = false;
    snprintf(w->error, sizeof w->error, "%s", why);
    return -1;
}

/* The swarm of the world, joined; NULL with w->error set. */
static struct swarm *world_swarm(const struct bench_config *cfg, const struct bench_params *p,
                                 enum proto_mode mode, int port, struct world *wd)
{
    char err[512];
    struct swarm_config sc = { .host = "127.0.0.1", .port = (uint16_t)port,
                               .clients = wd->n, .room = "world", .name = "w", .mode = mode,
                               .aoi = (float)wd->radius, .rate_hz = p->rate_hz,
                               .payload = (size_t)p->payload,
                               .payload_check = cfg->payload_check,
                               .timeout_ms = (uint32_t)cfg->setup_timeout_ms,
                               .connect_timeout_ms = run_connect_try_ms(
                                   cfg->setup_timeout_ms, mode, RICOCHET_TRANSPORT_DEFAULT),
                               .per_host = (size_t)cfg->per_host,
                               .wire_hubs = !cfg->enet_hosts,
                               /* its relay keeps a sender's newest state a tick: sends
                                  jittered by a tick of ours would put two in one */
                               .send_grain_us = cfg->send_grain_us == SWARM_TICK_AUTO
                                                    ? 0 : cfg->send_grain_us,
                               .udp_hubs = true, /* one relay on loopback, no netsim */
                               .retry_connects = true /* as a run's clients (bench_measure.c) */ };
    struct swarm_hooks hooks = { .ctx = wd, .fill = fill, .event = event };
    struct swarm *sw = swarm_create(&sc, &hooks, err, sizeof err);
    if (!sw) {
        world_fail(wd->w, err);
        return NULL;
    }
    wd->sw = sw;
    uint64_t deadline = clock_now_us() + (uint64_t)cfg->setup_timeout_ms * 1000u;
    int ready = swarm_wait_ready(sw, false, deadline, &run_stop, err, sizeof err);
    wd->w->connect_retries = swarm_stats(sw)->connect_retries;
    if (ready != 0 || map_ids(wd, sw) != 0) {
        world_fail(wd->w, err[0] ? err : "out of memory");
        swarm_destroy(sw);
        return NULL;
    }
    return sw;
}

int bench_world(const struct bench_config *cfg, const struct bench_params *p,
                enum proto_mode mode, double radius, double field,
                struct bench_world_result *w)
{
    *w = (struct bench_world_result){ .mode = mode, .clients = p->clients, .ok = true,
                                      .rate_hz = p->rate_hz, .radius = radius, .field = field,
                                      .payload = p->payload };
    struct world wd = { .w = w, .n = (size_t)p->clients, .radius = radius, .field = field,
                        .payload_check = cfg->payload_check };
    rng_seed(&wd.rng, cfg->seed ? cfg->seed : 1);
    w->latency = calloc(1, sizeof *w->latency);
    wd.walkers = calloc(wd.n, sizeof *wd.walkers);
    wd.owed = calloc(wd.n * wd.n, sizeof *wd.owed);
    wd.period_us = (uint64_t)(1e6 / p->rate_hz);
    if (!w->latency || !wd.walkers || !wd.owed || grid_open(&wd, p->rate_hz) != 0) {
        free(wd.walkers);
        free(wd.owed);
        return world_fail(w, "out of memory");
    }
    histogram_reset(w->latency);

    /* A relay whose rooms hold the whole world. */
    struct bench_config wcfg = *cfg;
    char args[sizeof wcfg.relay_args + 32];
    snprintf(args, sizeof args, "--max-room-size %ld %s", p->clients, cfg->relay_args);
    if (strlen(args) >= sizeof wcfg.relay_args) {
        free(wd.walkers);
        free(wd.head);
        return world_fail(w, "--relay-args is too long");
    }
    memcpy(wcfg.relay_args, args, sizeof wcfg.relay_args);
    struct bench_result scratch = { .ok = true };
    struct run run = { .cfg = &wcfg, .params = p, .mode = mode, .r = &scratch, .n = wd.n,
                       .k = wd.n };
    int port = 0, rc = -1;
    struct swarm *sw = NULL;
    if (run_start_relay(&run, &port) != 0) {
        world_fail(w, scratch.error);
        goto out;
    }
    sw = world_swarm(cfg, p, mode, port, &wd);
    if (!sw)
        goto out;
    uint64_t t0 = clock_now_us() + START_LEAD_US;
    wd.win_start = t0 + (uint64_t)cfg->warmup_ms * 1000u;
    wd.win_end = wd.win_start + (uint64_t)cfg->duration_ms * 1000u;
    w->window_s = (double)cfg->duration_ms / 1000.0;
    world_measure(&wd, sw, &run, t0);
    rc = run_stop ? world_fail(w, "interrupted") : 0;
out:
    world_stop(&run, sw, w);
    if (rc == 0)
        world_reckon(&wd);
    swarm_destroy(sw);
    if (run.relay_started)
        spawn_free(&run.relay);
    free(wd.walkers);
    free(wd.owed);
    free(wd.head);
    free(wd.index_of_id);
    return rc;
}

void bench_world_free(struct bench_world_result *w)
{
    free(w->latency);
    w->latency = NULL;
}

static cJSON *world_json(const struct bench_world_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", proto_mode_name(r->mode));
    cJSON_AddBoolToObject(o, "ok", r->ok);
    if (!r->ok)
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "clients", (double)r->clients);
    cJSON_AddNumberToObject(o, "rate_hz", r->rate_hz);
    cJSON_AddNumberToObject(o, "radius", r->radius);
    cJSON_AddNumberToObject(o, "field", r->field);
    cJSON_AddNumberToObject(o, "payload", (double)r->payload);
    if (r->payload_checked) {
        cJSON_AddNumberToObject(o, "payloads_checked", (double)r->payload_checked);
        cJSON_AddNumberToObject(o, "payloads_corrupted", (double)r->payload_corrupt);
    }
    cJSON_AddNumberToObject(o, "window_s", r->window_s);
    cJSON_AddNumberToObject(o, "sent", (double)r->sent);
    cJSON_AddNumberToObject(o, "in_radius", (double)r->in_radius);
    cJSON_AddNumberToObject(o, "in_radius_delivered", (double)r->in_radius_got);
    cJSON_AddNumberToObject(o, "in_radius_superseded", (double)r->superseded_in_radius);
    cJSON_AddNumberToObject(o, "in_radius_left", (double)r->left_radius);
    cJSON_AddNumberToObject(o, "in_radius_unsettled", (double)r->unsettled);
    cJSON_AddNumberToObject(o, "socket_drops", (double)r->socket_drops);
    cJSON_AddNumberToObject(o, "connect_retries", (double)r->connect_retries);
    cJSON_AddNumberToObject(o, "delivered", (double)r->delivered);
    cJSON_AddNumberToObject(o, "beyond_leave", (double)r->beyond_leave);
    cJSON_AddNumberToObject(o, "appeared", (double)r->appeared);
    cJSON_AddNumberToObject(o, "vanished", (double)r->vanished);
    if (r->latency) {
        cJSON_AddNumberToObject(o, "p50_ms", (double)histogram_percentile(r->latency, 50) / 1e3);
        cJSON_AddNumberToObject(o, "p99_ms", (double)histogram_percentile(r->latency, 99) / 1e3);
        cJSON_AddNumberToObject(o, "max_ms", (double)r->latency->max / 1e3);
    }
    if (r->relay_measured) {
        cJSON_AddNumberToObject(o, "relay_cpu_pct", r->relay_cpu_pct);
        cJSON_AddNumberToObject(o, "relay_peak_rss_kb", (double)r->relay_peak_rss_kb);
        if (r->delivered)
            cJSON_AddNumberToObject(o, "relay_us_per_delivery",
                                    r->relay_cpu_pct / 100.0 * r->window_s * 1e6 /
                                        (double)r->delivered);
        /* CPU per client: µs of each a second, the relay's and the generator's */
        cJSON_AddNumberToObject(o, "relay_us_per_client_s",
                                r->relay_cpu_pct / 100.0 * 1e6 / (double)r->clients);
        cJSON_AddNumberToObject(o, "generator_cpu_pct", r->generator_cpu_pct);
        cJSON_AddNumberToObject(o, "generator_us_per_client_s",
                                r->generator_cpu_pct / 100.0 * 1e6 / (double)r->clients);
    }
    cJSON_AddNumberToObject(o, "generator_sent", (double)r->generator_sent);
    cJSON_AddNumberToObject(o, "generator_received", (double)r->generator_received);
    if (r->relay_counted) {
        cJSON_AddNumberToObject(o, "relay_states_in", (double)r->relay_states_in);
        cJSON_AddNumberToObject(o, "relay_states_out", (double)r->relay_states_out);
        cJSON_AddNumberToObject(o, "relay_drops", (double)r->relay_drops);
        cJSON_AddNumberToObject(o, "relay_stale", (double)r->relay_stale);
    }
    return o;
}

void bench_world_json(FILE *f, const struct bench_world_result *w, size_t n,
                      const struct bench_run_info *info)
{
    cJSON *records = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(records, world_json(&w[i]));
    bench_yardstick_json(f, info, "worlds", records);
}

void bench_world_table(FILE *f, const struct bench_world_result *w, size_t n)
{
    fprintf(f, "%-12s %7s %5s %6s %6s %8s %12s %10s %10s %6s %7s %7s %7s %6s %7s %6s\n",
            "mode", "clients", "Hz", "radius", "field", "in radius", "deliveries/s", "delivered",
            "newest", "beyond", "p50 ms", "p99 ms", "max ms", "relay%", "RSS MB", "gen%");
    for (size_t i = 0; i < n; i++) {
        const struct bench_world_result *r = &w[i];
        if (!r->ok) {
            fprintf(f, "%-12s %7ld  failed: %s\n", proto_mode_name(r->mode), r->clients,
                    r->error);
            continue;
        }
        double per_send = r->sent ? (double)r->in_radius / (double)r->sent : 0;
        double got = r->in_radius ? 100.0 * (double)r->in_radius_got / (double)r->in_radius : 100;
        double newest = r->in_radius ? 100.0 * (double)(r->in_radius_got + r->superseded_in_radius) /
                                           (double)r->in_radius : 100;
        fprintf(f, "%-12s %7ld %5g %6g %6g %8.1f %12.0f %9.3f%% %9.3f%% %6llu %7.2f %7.2f %7.2f "
                "%6.1f %7.1f %6.1f\n", proto_mode_name(r->mode), r->clients, r->rate_hz,
                r->radius, r->field,
                per_send, r->window_s > 0 ? (double)r->delivered / r->window_s : 0, got,
                newest > 100 ? 100 : newest,
                (unsigned long long)r->beyond_leave,
                (double)histogram_percentile(r->latency, 50) / 1000.0,
                (double)histogram_percentile(r->latency, 99) / 1000.0,
                (double)r->latency->max / 1000.0,
                r->relay_measured ? r->relay_cpu_pct : 0,
                (double)r->relay_peak_rss_kb / 1024.0, r->generator_cpu_pct);
        if (r->payload_checked)
            fprintf(f, "  payloads of %ld-byte states: %llu checked, %llu corrupted%s\n",
                    r->payload, (unsigned long long)r->payload_checked,
                    (unsigned long long)r->payload_corrupt,
                    r->payload_corrupt ? ": PAYLOAD CHECK FAILED" : "");
    }
}
