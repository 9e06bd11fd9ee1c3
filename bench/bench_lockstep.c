/* bench_lockstep.c: one run of lockstep rooms (see bench_lockstep.h): a
 * relay, a swarm whose rooms are lockstep rooms, an input a tick from each
 * player, and every input's way to its confirmed frame. */
#include "bench_lockstep.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "bench_yardstick.h"
#include "run_internal.h"

#define RING 128            /* a player's inputs kept by tick (the library's 64 ahead, twice) */
#define PASS_US 1000        /* how often the players' aims are looked at */
#define DRAIN_US 1000000    /* after the window: frames on their way (a reliable resend) */

/* One player: the ticks it sent an input for, and when. */
struct player {
    struct ricochet *c;     /* its client (hooks.created: the swarm's calls come before
                               swarm_create returns) */
    uint32_t aim;           /* the tick of its newest input (0: none yet) */
    int32_t slot;           /* its slot, from its welcome (-1: not yet) */
    uint32_t tick[RING];    /* ring by tick: the tick whose input was sent at sent_us */
    uint64_t sent_us[RING]; /* ... 0: none, or sent outside the window */
};

struct lockstep {
    struct bench_lockstep_result *l;
    struct swarm *sw;
    struct player *players;
    size_t n;
    uint64_t win_start, win_end;
};

/* Player i's input for tick: its number and the tick's. */
static void input_of(uint8_t in[BENCH_LOCKSTEP_INPUT], size_t i, uint32_t tick)
{
    uint32_t who = (uint32_t)i;
    memcpy(in, &who, 4);
    memcpy(in + 4, &tick, 4);
}

/* A frame for player i: the input it sent for that tick (in the window)
 * confirmed in it, or stood in for. */
static void frame_came(struct lockstep *ls, size_t i, const struct ricochet_event *ev)
{
    struct player *p = &ls->players[i];
    ls->l->frames++;
    uint32_t k = ev->id % RING;
    if (p->tick[k] != ev->id || !p->sent_us[k])
        return;
    uint64_t sent = p->sent_us[k];
    p->sent_us[k] = 0;
    const uint8_t *data;
    size_t len;
    int flag = p->slot >= 0 ? ricochet_frame_input(p->c, (uint32_t)p->slot, &data, &len) : -1;
    uint8_t mine[BENCH_LOCKSTEP_INPUT];
    input_of(mine, i, ev->id);
    if (flag != RICOCHET_SLOT_PRESENT || len != sizeof mine || memcmp(data, mine, len)) {
        ls->l->stood_in++;
        return;
    }
    ls->l->confirmed++;
    uint64_t at_us = ev->recv_us ? ev->recv_us : clock_now_us();
    histogram_record(ls->l->latency, at_us > sent ? at_us - sent : 0);
}

static void created(void *ctx, size_t i, struct ricochet *c)
{
    struct lockstep *ls = ctx;
    ls->players[i] = (struct player){.c = c, .slot = -1};
}

static void event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct lockstep *ls = ctx;
    if (ev->type == RICOCHET_EV_WELCOME) {
        int32_t slot = -1;
        if (ricochet_lockstep(ls->players[i].c, NULL, &slot, NULL) == RICOCHET_OK)
            ls->players[i].slot = slot;
    } else if (ev->type == RICOCHET_EV_FRAME) {
        frame_came(ls, i, ev);
    } else if (ev->type == RICOCHET_EV_LATE) {
        ls->l->late_notices++;
    }
}

/* Each player whose aim moved on sends its input for the tick it aims at
 * now, kept by tick if sent in the window. */
static void send_inputs(struct lockstep *ls, uint64_t now)
{
    for (size_t i = 0; i < ls->n; i++) {
        struct player *p = &ls->players[i];
        struct ricochet *c = p->c;
        if (!c || swarm_dead(ls->sw, i) || p->slot < 0)
            continue;
        uint32_t aim = ricochet_lockstep_aim(c);
        if (aim <= p->aim && p->aim)
            continue;
        uint8_t in[BENCH_LOCKSTEP_INPUT];
        input_of(in, i, aim);
        if (ricochet_send_input(c, aim, in, sizeof in) != RICOCHET_OK) {
            ls->l->send_failed++;
            continue;
        }
        if (p->aim && aim > p->aim + 1 && now >= ls->win_start && now < ls->win_end)
            ls->l->stepped_over += aim - p->aim - 1;
        p->aim = aim;
        uint32_t k = aim % RING;
        if (p->sent_us[k] && p->tick[k] != aim)
            ls->l->missing++; /* an older tick's frame never came */
        p->tick[k] = aim;
        p->sent_us[k] = now >= ls->win_start && now < ls->win_end ? now : 0;
        ls->l->inputs += p->sent_us[k] != 0;
    }
}

/* Sends through the window, measuring the relay's CPU and the generator's
 * over it, then drains. */
static void lockstep_measure(struct lockstep *ls, struct run *run)
{
    struct spawn_usage u0 = {0}, u1;
    bool started = false;
    uint64_t wall0 = 0, next = 0, end = ls->win_end + DRAIN_US;
    double own0 = 0;
    for (uint64_t now; !run_stop && (now = clock_now_us()) < end;) {
        if (!started && now >= ls->win_start) {
            started = spawn_usage(&run->relay, &u0) == 0;
            wall0 = now;
            own0 = run_cpu_self_s();
        }
        if (started && wall0 && now >= ls->win_end) {
            if (spawn_usage(&run->relay, &u1) == 0) {
                double elapsed = (double)(now - wall0) / 1e6;
                ls->l->relay_measured = true;
                ls->l->relay_cpu_pct = 100.0 * (u1.cpu_s - u0.cpu_s) / elapsed;
                ls->l->relay_peak_rss_kb = u1.hwm_kb;
                ls->l->generator_cpu_pct = 100.0 * (run_cpu_self_s() - own0) / elapsed;
            }
            wall0 = 0;
        }
        if (now >= next && now < ls->win_end) {
            if (next && now >= ls->win_start && now - (next - PASS_US) > ls->l->pass_gap_us)
                ls->l->pass_gap_us = now - (next - PASS_US);
            send_inputs(ls, now);
            next = now + PASS_US;
        }
        swarm_service(ls->sw, PASS_US);
    }
    for (size_t i = 0; i < ls->n; i++)
        for (size_t k = 0; k < RING; k++)
            ls->l->missing += ls->players[i].sent_us[k] != 0;
}

static int lockstep_fail(struct bench_lockstep_result *l, const char *why)
{
    l->ok = false;
    snprintf(l->error, sizeof l->error, "%s", why);
    return -1;
}

/* The swarm of lockstep rooms, joined; NULL with l->error set. */
static struct swarm *lockstep_swarm(const struct bench_config *cfg, enum proto_mode mode,
                                    int port, const struct client_room_ask *ask,
                                    struct lockstep *ls)
{
    char err[512];
    struct swarm_config sc = {.host = "127.0.0.1", .port = (uint16_t)port, .clients = ls->n,
                              .room_size = (size_t)cfg->room_size, .room = "lockstep",
                              .name = "p", .mode = mode, .room_ask = ask,
                              .rate_hz = ask->ls.hz, /* a swarm's rate: no state is sent */
                              .timeout_ms = (uint32_t)cfg->setup_timeout_ms,
                              .connect_timeout_ms = run_connect_try_ms(
                                  cfg->setup_timeout_ms, mode, RICOCHET_TRANSPORT_DEFAULT),
                              .per_host = (size_t)cfg->per_host, .wire_hubs = !cfg->enet_hosts,
                              .udp_hubs = true, /* one relay on loopback, no netsim */
                              .retry_connects = true};
    struct swarm_hooks hooks = {.ctx = ls, .event = event, .created = created};
    struct swarm *sw = swarm_create(&sc, &hooks, err, sizeof err);
    if (!sw) {
        lockstep_fail(ls->l, err);
        return NULL;
    }
    ls->sw = sw;
    uint64_t deadline = clock_now_us() + (uint64_t)cfg->setup_timeout_ms * 1000u;
    int ready = swarm_wait_ready(sw, false, deadline, &run_stop, err, sizeof err);
    ls->l->connect_retries = swarm_stats(sw)->connect_retries;
    if (ready != 0) {
        lockstep_fail(ls->l, err);
        swarm_destroy(sw);
        return NULL;
    }
    return sw;
}

int bench_lockstep(const struct bench_config *cfg, const struct bench_params *p,
                   enum proto_mode mode, struct bench_lockstep_result *l)
{
    struct client_room_ask ask = {.lockstep = true};
    proto_lockstep_defaults(&ask.ls);
    ask.ls.hz = (uint32_t)p->rate_hz;
    ask.ls.slots = (uint32_t)cfg->room_size;
    ask.ls.input_max = BENCH_LOCKSTEP_INPUT;
    ask.ls.check_every = 0;
    *l = (struct bench_lockstep_result){.mode = mode, .players = p->clients, .ok = true,
                                        .room_size = cfg->room_size, .hz = ask.ls.hz,
                                        .delay = ask.ls.delay};
    struct lockstep ls = {.l = l, .n = (size_t)p->clients};
    l->latency = calloc(1, sizeof *l->latency);
    ls.players = calloc(ls.n, sizeof *ls.players);
    if (!l->latency || !ls.players) {
        free(ls.players);
        return lockstep_fail(l, "out of memory");
    }
    histogram_reset(l->latency);

    struct bench_result scratch = {.ok = true};
    struct run run = {.cfg = cfg, .params = p, .mode = mode, .r = &scratch, .n = ls.n,
                      .k = (size_t)cfg->room_size};
    int port = 0, rc = -1;
    struct swarm *sw = NULL;
    if (run_start_relay(&run, &port) != 0) {
        lockstep_fail(l, scratch.error);
        goto out;
    }
    sw = lockstep_swarm(cfg, mode, port, &ask, &ls);
    if (!sw)
        goto out;
    /* bench/lockstep.sh starts its loss on this line: joins are not measured */
    run_log(&run, "lockstep: %zu players joined; the warm-up starts", ls.n);
    ls.win_start = clock_now_us() + (uint64_t)cfg->warmup_ms * 1000u;
    ls.win_end = ls.win_start + (uint64_t)cfg->duration_ms * 1000u;
    l->window_s = (double)cfg->duration_ms / 1000.0;
    lockstep_measure(&ls, &run);
    rc = run_stop ? lockstep_fail(l, "interrupted")
         : !l->relay_measured ? lockstep_fail(l, "the relay's CPU could not be read")
                              : 0;
out:
    swarm_destroy(sw);
    if (run.relay_started)
        spawn_free(&run.relay);
    free(ls.players);
    return rc;
}

void bench_lockstep_free(struct bench_lockstep_result *l)
{
    free(l->latency);
    l->latency = NULL;
}

/* The relay's CPU per player: µs of it a second. */
static double relay_us_per_player(const struct bench_lockstep_result *r)
{
    return r->relay_cpu_pct / 100.0 * 1e6 / (double)r->players;
}

static double ms_at(const struct bench_lockstep_result *r, double pct)
{
    return (double)histogram_percentile(r->latency, pct) / 1e3;
}

static cJSON *lockstep_json(const struct bench_lockstep_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", proto_mode_name(r->mode));
    cJSON_AddBoolToObject(o, "ok", r->ok);
    if (!r->ok)
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "players", (double)r->players);
    cJSON_AddNumberToObject(o, "room_size", (double)r->room_size);
    cJSON_AddNumberToObject(o, "hz", r->hz);
    cJSON_AddNumberToObject(o, "delay_ticks", r->delay);
    cJSON_AddNumberToObject(o, "window_s", r->window_s);
    cJSON_AddNumberToObject(o, "inputs", (double)r->inputs);
    cJSON_AddNumberToObject(o, "confirmed", (double)r->confirmed);
    cJSON_AddNumberToObject(o, "stood_in", (double)r->stood_in);
    cJSON_AddNumberToObject(o, "missing", (double)r->missing);
    cJSON_AddNumberToObject(o, "stepped_over", (double)r->stepped_over);
    cJSON_AddNumberToObject(o, "pass_gap_ms", (double)r->pass_gap_us / 1e3);
    cJSON_AddNumberToObject(o, "late_notices", (double)r->late_notices);
    cJSON_AddNumberToObject(o, "send_failed", (double)r->send_failed);
    cJSON_AddNumberToObject(o, "frames", (double)r->frames);
    cJSON_AddNumberToObject(o, "connect_retries", (double)r->connect_retries);
    if (r->latency && r->latency->total) {
        cJSON_AddNumberToObject(o, "p50_ms", ms_at(r, 50));
        cJSON_AddNumberToObject(o, "p99_ms", ms_at(r, 99));
        cJSON_AddNumberToObject(o, "max_ms", (double)r->latency->max / 1e3);
    }
    if (r->relay_measured) {
        cJSON_AddNumberToObject(o, "relay_cpu_pct", r->relay_cpu_pct);
        cJSON_AddNumberToObject(o, "relay_us_per_player_s", relay_us_per_player(r));
        cJSON_AddNumberToObject(o, "relay_peak_rss_kb", (double)r->relay_peak_rss_kb);
        cJSON_AddNumberToObject(o, "generator_cpu_pct", r->generator_cpu_pct);
    }
    return o;
}

void bench_lockstep_json(FILE *f, const struct bench_lockstep_result *l, size_t n,
                         const struct bench_run_info *info)
{
    cJSON *records = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(records, lockstep_json(&l[i]));
    bench_yardstick_json(f, info, "lockstep", records);
}

void bench_lockstep_table(FILE *f, const struct bench_lockstep_result *l, size_t n)
{
    fprintf(f, "%-12s %7s %4s %3s %5s %9s %9s %8s %7s %7s %7s %7s %11s %6s\n", "mode",
            "players", "room", "Hz", "delay", "inputs", "confirmed", "stood in", "missing",
            "p50 ms", "p99 ms", "relay%", "us/player/s", "gen%");
    for (size_t i = 0; i < n; i++) {
        const struct bench_lockstep_result *r = &l[i];
        if (!r->ok) {
            fprintf(f, "%-12s %7ld  failed: %s\n", proto_mode_name(r->mode), r->players,
                    r->error);
            continue;
        }
        fprintf(f, "%-12s %7ld %4ld %3u %5u %9llu %9llu %8llu %7llu %7.1f %7.1f %7.1f %11.1f "
                "%6.1f\n", proto_mode_name(r->mode), r->players, r->room_size, r->hz, r->delay,
                (unsigned long long)r->inputs, (unsigned long long)r->confirmed,
                (unsigned long long)r->stood_in, (unsigned long long)r->missing, ms_at(r, 50),
                ms_at(r, 99), r->relay_cpu_pct, relay_us_per_player(r), r->generator_cpu_pct);
    }
}
