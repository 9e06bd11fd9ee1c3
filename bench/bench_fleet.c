/* bench_fleet.c: --fleet N (see run_internal.h): a redis-server (or, with
 * --fleet-sentinel, a primary, its replica and three sentinels) and N
 * relays that share it as their directory (proto/FLEET.md), started for
 * the run on loopback; --fleet-event during the window; the relays' calls
 * of their directory. */
#include "run_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "sys/clock.h"

#define PAUSE_US 5000000ull  /* pause-redis: the directory stopped this long */
#define SENTINEL_DOWN_MS 2000 /* --fleet-sentinel: a primary silent this long is down */

/* The directory's server now: the redis-server, or the sentinels' primary. */
static struct redisproc *directory(struct run *run)
{
    return run->lab_started ? &run->lab.node[run->lab.primary] : &run->redis;
}

/* A relay says "listening" before its directory thread has registered it
 * (proto/FLEET.md: P:relay:ADDR). Rooms placed before every relay is known
 * would all go to the first: wait, so the run's placement does not depend
 * on how fast the relays' first heartbeats were. */
static int wait_registered(struct run *run)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)run->cfg->setup_timeout_ms;
    int known;
    while ((known = redisproc_count_keys(directory(run), "*:relay:*")) < (int)run->n_fleet) {
        if (clock_now_ms() > deadline)
            return run_fail(run, "fleet: %d of %zu relays registered with the directory "
                            "within %ld ms", known < 0 ? 0 : known, run->n_fleet,
                            run->cfg->setup_timeout_ms);
        clock_sleep_ms(10);
    }
    return 0;
}

int run_start_fleet(struct run *run)
{
    char err[320];
    if (run->cfg->fleet_sentinel) {
        if (redislab_start(&run->lab, SENTINEL_DOWN_MS, err, sizeof err) != 0)
            return run_fail(run, "directory: %s", err);
        run->lab_started = true;
    } else if (redisproc_start(&run->redis, err, sizeof err) != 0) {
        return run_fail(run, "directory: %s", err);
    }
    run->redis_started = !run->lab_started;
    run->r->redis_calls_s = -1;
    const char *url = run->lab_started ? run->lab.url : run->redis.url;
    const char *extra[] = {"--directory", url, "--advertise", "127.0.0.1:0", NULL};
    for (long i = 0; i < run->cfg->fleet; i++) {
        int port;
        if (run_start_relay_as(run, &run->fleet[i], extra, &port) != 0)
            return -1;
        run->fleet_ports[i] = (uint16_t)port;
    }
    if (wait_registered(run) != 0)
        return -1;
    run->r->relays = run->n_fleet;
    run_log(run, "fleet: %zu relays, directory %s", run->n_fleet, url);
    return 0;
}

/* The calls relays have made of the directory's server: its commandstats'
 * calls of what a relay sends itself (not those its scripts make, nor the
 * bench's own, nor a replica's). -1 if it does not answer. */
static long long directory_calls(const struct redisproc *r)
{
    static const char *const sent[] = {"evalsha", "script|load", "select", "role", "auth",
                                       "del", "srem"};
    char buf[8192];
    if (redisproc_ask(r, "INFO commandstats", buf, sizeof buf) <= 0 || buf[0] != '$')
        return -1;
    long long calls = 0;
    for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) {
        char key[48];
        snprintf(key, sizeof key, "cmdstat_%s:calls=", sent[i]);
        const char *at = strstr(buf, key);
        calls += at ? atoll(at + strlen(key)) : 0;
    }
    return calls;
}

void run_fleet_redis_calls(struct run *run, uint64_t now_us)
{
    if (!run->n_fleet || run->r->redis_calls_s >= 0)
        return;
    long long calls = directory_calls(directory(run));
    if (!run->redis_calls0_us) {
        run->redis_calls0 = calls;
        run->redis_calls0_us = now_us;
    } else if (calls >= 0 && run->redis_calls0 >= 0 && now_us > run->redis_calls0_us) {
        run->r->redis_calls_s = (double)(calls - run->redis_calls0) / (double)run->n_fleet /
                                ((double)(now_us - run->redis_calls0_us) / 1e6);
    }
}

double run_fleet_cpu_s(const struct run *run)
{
    double sum = 0;
    for (size_t i = 0; i < run->n_fleet; i++) {
        struct spawn_usage u;
        if (spawn_usage(&run->fleet[i], &u) == 0)
            sum += u.cpu_s;
    }
    return sum;
}

/* The relay a kill or a drain takes down: the last (see run_fleet_entries). */
static size_t victim(const struct run *run)
{
    return run->n_fleet - 1;
}

size_t run_fleet_entries(const struct run *run)
{
    return run->cfg->fleet_event == BENCH_EVENT_KILL ? run->n_fleet - 1 : run->n_fleet;
}

uint32_t run_fleet_client_timeout_ms(const struct run *run)
{
    return run->n_fleet && run->cfg->fleet_event == BENCH_EVENT_KILL
               ? PROTO_TIMEOUT_MS
               : (uint32_t)run->cfg->setup_timeout_ms;
}

bool run_fleet_in_timeline(const struct run *run, size_t i, uint64_t t)
{
    enum bench_fleet_event e = (enum bench_fleet_event)run->cfg->fleet_event;
    return (e != BENCH_EVENT_KILL && e != BENCH_EVENT_TERM) || !run->event_us ||
           t < run->event_us || run->peers[i].hit;
}

/* A kill or a drain: which clients it hits, and when, for the recovery. */
static void mark_hit(struct run *run, uint64_t now_us)
{
    uint16_t port = run->fleet_ports[victim(run)];
    for (size_t i = 0; i < run->n; i++)
        run->peers[i].hit = ricochet_relay_port(run->peers[i].c) == port;
    run->r->event_at_s = (double)(now_us - run->win_start) / 1e6;
}

void run_fleet_event(struct run *run, uint64_t now_us)
{
    if (run->redis_paused && now_us >= run->event_us + PAUSE_US) {
        spawn_signal(&run->redis.proc, SIGCONT);
        run->redis_paused = false;
        run_log(run, "fleet: directory resumed");
    }
    if (run->event_us || !run->cfg->fleet_event || run->win_start == UINT64_MAX ||
        now_us < run->win_start + (uint64_t)run->cfg->event_at_ms * 1000u)
        return;
    run->event_us = now_us;
    switch ((enum bench_fleet_event)run->cfg->fleet_event) {
    case BENCH_EVENT_KILL:
        mark_hit(run, now_us);
        spawn_signal(&run->fleet[victim(run)], SIGKILL);
        run_log(run, "fleet: relay %zu killed", victim(run) + 1);
        break;
    case BENCH_EVENT_TERM:
        mark_hit(run, now_us);
        spawn_signal(&run->fleet[victim(run)], SIGTERM);
        run_log(run, "fleet: relay %zu draining", victim(run) + 1);
        break;
    case BENCH_EVENT_PAUSE_REDIS:
        spawn_signal(&run->redis.proc, SIGSTOP);
        run->redis_paused = true;
        run_log(run, "fleet: directory paused");
        break;
    case BENCH_EVENT_KILL_REDIS: /* its calls so far: the primary's count dies with it */
        run_fleet_redis_calls(run, now_us);
        spawn_signal(&directory(run)->proc, SIGKILL);
        run_log(run, "fleet: the directory's primary killed");
        break;
    default:
        break;
    }
}

size_t run_fleet_split_rooms(const struct run *run)
{
    size_t split = 0;
    for (size_t first = 0; first < run->n; first += run->k) {
        uint16_t port = ricochet_relay_port(run->peers[first].c);
        for (size_t i = first + 1; i < first + run->k && i < run->n; i++)
            if (ricochet_relay_port(run->peers[i].c) != port) {
                split++;
                break;
            }
    }
    return split;
}

void run_stop_directory(struct run *run)
{
    if (run->lab_started)
        redislab_stop(&run->lab);
    run->lab_started = false;
    if (!run->redis_started)
        return;
    if (run->redis_paused)
        spawn_signal(&run->redis.proc, SIGCONT);
    redisproc_stop(&run->redis);
    run->redis_started = false;
}
