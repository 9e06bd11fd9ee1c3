/* bench_probe.c: a directory event's joins (see run_internal.h), made by a
 * thread of their own so that the generator's sends keep their schedule.
 * A join for a new room through a relay tells whether new rooms are
 * placed, and how long one waited (parked); a join for a room that exists
 * through a relay that does not hold it tells whether the room is still
 * where its members are: if the probe lands elsewhere, two relays hold the
 * room. */
#include "run_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"

#define PROBE_EVERY_US 250000 /* a join this often from the event on */
#define PROBES_LIVE 32        /* at once; more wait their turn */
#define PROBE_TIMEOUT_MS 5000

struct probe {
    struct ricochet *c;
    uint64_t started_us;
    bool fresh;               /* a new room; else an existing one */
    uint16_t holder;          /* existing: the port its members are on */
};

struct fleet_probes {
    pthread_t tid;
    atomic_bool stop;
    /* what the thread reads, set before it starts */
    enum proto_mode mode;
    uint16_t ports[BENCH_FLEET_MAX];
    size_t n_ports;           /* the relays joins go through */
    uint16_t *holders;        /* the port each bench room's members were on at the event */
    size_t rooms;
    uint64_t event_us, end_us;
    /* what it writes, read once it has ended */
    struct probe live[PROBES_LIVE];
    unsigned seq;
    uint64_t joins, new_refused, held_twice, last_refused_us;
    double new_room_wait_ms;
};

static void start_one(struct fleet_probes *f, struct probe *p, uint64_t now)
{
    char room[32], name[32], err[256];
    unsigned seq = f->seq++;
    p->fresh = seq % 2 == 0;
    uint16_t via = f->ports[seq / 2 % f->n_ports];
    if (p->fresh) {
        snprintf(room, sizeof room, "probe-%u", seq);
    } else {
        size_t r = seq / 2 % f->rooms;
        snprintf(room, sizeof room, "bench-%zu", r + 1);
        p->holder = f->holders[r];
        for (size_t i = 0; via == p->holder && i < f->n_ports; i++)
            via = f->ports[i]; /* through a relay that does not hold it */
    }
    snprintf(name, sizeof name, "probe%u", seq);
    struct client_config cfg = {.host = "127.0.0.1", .port = via, .room = room, .name = name,
                                .mode = f->mode, .timeout_ms = PROBE_TIMEOUT_MS,
                                .no_histograms = true};
    p->c = client_create(&cfg, err, sizeof err);
    p->started_us = now;
    f->joins += p->c != NULL;
}

/* One probe's news: welcomed (where, how long) or refused; true if done. */
static bool settle(struct fleet_probes *f, struct probe *p)
{
    struct ricochet_event ev;
    int rc;
    while ((rc = ricochet_poll(p->c, 0, &ev)) > 0) {
        if (ev.type == RICOCHET_EV_WELCOME) {
            double waited = (double)(ev.recv_us - p->started_us) / 1000.0;
            if (p->fresh && waited > f->new_room_wait_ms)
                f->new_room_wait_ms = waited;
            if (!p->fresh && ricochet_relay_port(p->c) != p->holder)
                f->held_twice++;
            return true;
        }
        if (ev.type == RICOCHET_EV_DISCONNECTED)
            break;
    }
    if (rc == 0)
        return false;
    if (p->fresh) { /* refused (directory_unavailable), or no answer */
        f->new_refused++;
        f->last_refused_us = p->started_us;
    }
    return true;
}

static void *probe_thread(void *arg)
{
    struct fleet_probes *f = arg;
    uint64_t next = f->event_us;
    while (!atomic_load(&f->stop)) {
        uint64_t now = clock_now_us();
        for (size_t i = 0; i < PROBES_LIVE; i++) {
            struct probe *p = &f->live[i];
            if (p->c && settle(f, p)) {
                ricochet_close(p->c);
                p->c = NULL;
            }
            if (!p->c && now >= next && now < f->end_us) {
                start_one(f, p, now);
                next += PROBE_EVERY_US;
            }
        }
        clock_sleep_ms(2);
    }
    for (size_t i = 0; i < PROBES_LIVE; i++)
        if (f->live[i].c)
            ricochet_close(f->live[i].c);
    return NULL;
}

void run_probe_step(struct run *run, uint64_t now_us)
{
    enum bench_fleet_event e = (enum bench_fleet_event)run->cfg->fleet_event;
    if ((e != BENCH_EVENT_PAUSE_REDIS && e != BENCH_EVENT_KILL_REDIS) || !run->event_us ||
        run->probes || now_us >= run->win_end)
        return;
    struct fleet_probes *f = calloc(1, sizeof *f);
    size_t rooms = (run->n + run->k - 1) / run->k;
    if (!f || !(f->holders = calloc(rooms, sizeof *f->holders))) {
        free(f);
        return;
    }
    f->mode = run->mode;
    f->n_ports = run_fleet_entries(run);
    memcpy(f->ports, run->fleet_ports, sizeof f->ports);
    f->rooms = rooms;
    for (size_t r = 0; r < rooms; r++)
        f->holders[r] = ricochet_relay_port(run->peers[r * run->k].c);
    f->event_us = run->event_us;
    f->end_us = run->win_end;
    if (pthread_create(&f->tid, NULL, probe_thread, f) != 0) {
        free(f->holders);
        free(f);
        return;
    }
    run->probes = f;
}

void run_probe_finish(struct run *run)
{
    struct fleet_probes *f = run->probes;
    if (!f)
        return;
    atomic_store(&f->stop, true);
    pthread_join(f->tid, NULL);
    struct bench_result *r = run->r;
    r->probes = f->joins;
    r->new_refused = f->new_refused;
    r->held_twice = f->held_twice;
    r->new_room_wait_ms = f->new_room_wait_ms;
    if (f->last_refused_us > f->event_us)
        r->new_rooms_out_ms = (double)(f->last_refused_us - f->event_us) / 1000.0;
    free(f->holders);
    free(f);
    run->probes = NULL;
}
