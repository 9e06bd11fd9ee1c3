/* swarm.c: many clients, one loop, a constant intended rate (see swarm.h). */
#include "swarm.h"

#include <errno.h>
#include <math.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../proto/clock.h"

#define MAX_WAIT_US 5000      /* ENet's acks and pings need regular service */
#define FULL_US_PER_CLIENT 20 /* ... every client at least every 5 ms or 20 µs x N:
                                 data wakes its own client at once, and ENet's
                                 timers (pings, timeouts) run in hundreds of ms */
#define EVENTS_PER_DRAIN 4096 /* one client's events per wake-up, at most */
#define FDS_SPARE 64          /* descriptors beyond the clients' sockets */

struct swarm_member {
    struct client *c;
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool dead;
    bool unwatched;   /* dead, and its socket taken out of the epoll set */
    uint64_t next_us; /* intended time of the next state */
    uint64_t k;       /* states sent or failed so far */
};

struct swarm {
    struct swarm_config cfg;
    struct swarm_hooks hooks;
    struct swarm_member *m;
    int ep;                      /* epoll: every client's socket, data.u64 = index */
    struct epoll_event ready[256];
    uint64_t t0_us, period_us;
    uint64_t next_full_us; /* next time every client is serviced */
    struct swarm_stats stats;
};

/* N sockets need N descriptors: raise the soft limit up to the hard one. */
static int ensure_fds(size_t n, char *err, size_t err_cap)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    rlim_t need = (rlim_t)n + FDS_SPARE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
            snprintf(err, err_cap, "%zu clients need %llu open files; the hard limit is "
                     "%llu (ulimit -Hn)", n, (unsigned long long)need,
                     (unsigned long long)rl.rlim_max);
            return -1;
        }
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            snprintf(err, err_cap, "cannot raise the open-file limit to %llu: %s",
                     (unsigned long long)need, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static size_t room_index(const struct swarm *sw, size_t i)
{
    return sw->cfg.room_size ? (sw->cfg.first + i) / sw->cfg.room_size : 0;
}

/* Client i's mode under mixed: the mode table's in_mixed modes in turn. */
static enum proto_mode mixed_mode(size_t i)
{
    enum proto_mode modes[PROTO_MODE_COUNT];
    size_t n = 0;
    for (int k = 0; k < PROTO_MODE_COUNT; k++)
        if (proto_mode_info((enum proto_mode)k)->in_mixed)
            modes[n++] = (enum proto_mode)k;
    return modes[i % n];
}

struct swarm *swarm_create(const struct swarm_config *cfg, const struct swarm_hooks *hooks,
                           char *err, size_t err_cap)
{
    if (cfg->clients == 0 || !(cfg->rate_hz > 0)) {
        snprintf(err, err_cap, "a swarm needs clients and a rate");
        return NULL;
    }
    if (ensure_fds(cfg->clients, err, err_cap) != 0)
        return NULL;
    struct swarm *sw = calloc(1, sizeof *sw);
    if (!sw || !(sw->m = calloc(cfg->clients, sizeof *sw->m))) {
        snprintf(err, err_cap, "out of memory");
        if (sw)
            sw->ep = -1;
        swarm_destroy(sw);
        return NULL;
    }
    /* epoll, not poll: a wait costs what is ready, not N descriptors */
    sw->ep = epoll_create1(EPOLL_CLOEXEC);
    if (sw->ep < 0) {
        snprintf(err, err_cap, "epoll_create1: %s", strerror(errno));
        swarm_destroy(sw);
        return NULL;
    }
    sw->cfg = *cfg;
    if (hooks)
        sw->hooks = *hooks;
    histogram_reset(&sw->stats.latency);
    sw->period_us = (uint64_t)llround(1e6 / cfg->rate_hz);
    if (sw->period_us == 0)
        sw->period_us = 1;
    for (size_t i = 0; i < cfg->clients; i++) {
        struct swarm_member *m = &sw->m[i];
        char room[PROTO_ROOM_MAX + 1], why[256];
        if (cfg->room_size)
            snprintf(room, sizeof room, "%s-%zu", cfg->room, room_index(sw, i) + 1);
        else
            snprintf(room, sizeof room, "%s", cfg->room);
        snprintf(m->name, sizeof m->name, "%s-%zu", cfg->name, cfg->first + i + 1);
        m->mode = cfg->mixed ? mixed_mode(i) : cfg->mode;
        struct client_config cc = {.host = cfg->host, .port = cfg->port, .room = room,
                                   .name = m->name, .mode = m->mode,
                                   .reflect = cfg->reflect, .timeout_ms = cfg->timeout_ms};
        m->c = client_create(&cc, why, sizeof why);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
        if (!m->c || epoll_ctl(sw->ep, EPOLL_CTL_ADD, client_socket_fd(m->c), &ev) != 0) {
            snprintf(err, err_cap, "%s: %s", m->name, m->c ? strerror(errno) : why);
            swarm_destroy(sw);
            return NULL;
        }
    }
    return sw;
}

void swarm_destroy(struct swarm *sw)
{
    if (!sw)
        return;
    for (size_t i = 0; sw->m && i < sw->cfg.clients; i++)
        client_destroy(sw->m[i].c);
    if (sw->ep >= 0)
        close(sw->ep);
    free(sw->m);
    free(sw);
}

size_t swarm_size(const struct swarm *sw) { return sw->cfg.clients; }
struct client *swarm_client(const struct swarm *sw, size_t i) { return sw->m[i].c; }
const char *swarm_name(const struct swarm *sw, size_t i) { return sw->m[i].name; }
enum proto_mode swarm_mode(const struct swarm *sw, size_t i) { return sw->m[i].mode; }
bool swarm_dead(const struct swarm *sw, size_t i) { return sw->m[i].dead; }
const struct swarm_stats *swarm_stats(const struct swarm *sw) { return &sw->stats; }
size_t swarm_room_of(const struct swarm *sw, size_t i) { return room_index(sw, i); }

size_t swarm_room_members(const struct swarm *sw, size_t i)
{
    size_t k = sw->cfg.room_size;
    if (k == 0)
        return sw->cfg.clients;
    size_t first = room_index(sw, i) * k, end = sw->cfg.first + sw->cfg.clients;
    return end - first < k ? end - first : k;
}

size_t swarm_alive(const struct swarm *sw)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->cfg.clients; i++)
        n += !sw->m[i].dead;
    return n;
}

static void on_event(struct swarm *sw, size_t i, const struct client_event *ev)
{
    struct swarm_member *m = &sw->m[i];
    if (ev->type == CLIENT_EV_DISCONNECTED)
        m->dead = true;
    if (ev->type == CLIENT_EV_STATE && ev->id != client_id(m->c)) {
        sw->stats.received++;
        if (ev->latency_us >= 0) /* corrected by the clocks' offsets to the relay */
            histogram_record(&sw->stats.latency, (uint64_t)ev->latency_us);
    }
    if (sw->hooks.event)
        sw->hooks.event(sw->hooks.ctx, i, ev);
}

/* Hands client i's pending events to on_event, without waiting. */
static void drain_one(struct swarm *sw, size_t i)
{
    struct swarm_member *m = &sw->m[i];
    struct client_event ev;
    for (int k = 0; k < EVENTS_PER_DRAIN && !m->dead; k++) {
        int got = client_poll(m->c, 0, &ev);
        if (got < 0)
            m->dead = true;
        if (got <= 0)
            break;
        on_event(sw, i, &ev);
    }
    if (m->dead && !m->unwatched) {
        /* nobody reads it any more: a readable socket would wake us for ever */
        epoll_ctl(sw->ep, EPOLL_CTL_DEL, client_socket_fd(m->c), NULL);
        m->unwatched = true;
    }
}

/* Waits at most wait_us for sockets, then drains the clients that have
 * data, and every client now and then (ENet's timers: acks, pings,
 * resends; a client with nothing to read still needs them). */
void swarm_service(struct swarm *sw, uint64_t wait_us)
{
    size_t n = sw->cfg.clients;
    struct timespec ts = {(time_t)(wait_us / 1000000u), (long)(wait_us % 1000000u) * 1000};
    int ready = epoll_pwait2(sw->ep, sw->ready, sizeof sw->ready / sizeof sw->ready[0], &ts,
                             NULL);
    uint64_t now = clock_now_us();
    if (now >= sw->next_full_us) {
        uint64_t every = (uint64_t)n * FULL_US_PER_CLIENT;
        sw->next_full_us = now + (every > MAX_WAIT_US ? every : MAX_WAIT_US);
        for (size_t i = 0; i < n; i++)
            drain_one(sw, i);
        return;
    }
    for (int k = 0; k < ready; k++)
        if (sw->ready[k].data.u64 < n)
            drain_one(sw, (size_t)sw->ready[k].data.u64);
}

int swarm_wait_ready(struct swarm *sw, bool see_room, uint64_t deadline_us,
                     const volatile sig_atomic_t *stop, char *err, size_t err_cap)
{
    for (;;) {
        swarm_service(sw, 1000);
        size_t ready = 0;
        for (size_t i = 0; i < sw->cfg.clients; i++) {
            struct swarm_member *m = &sw->m[i];
            if (m->dead) {
                snprintf(err, err_cap, "%s could not join %s:%u: %s", m->name, sw->cfg.host,
                         (unsigned)sw->cfg.port, client_end_reason(m->c));
                return -1;
            }
            size_t members;
            client_members(m->c, &members);
            ready += client_joined(m->c) &&
                     (!see_room || !proto_mode_info(m->mode)->enet ||
                      members + 1 >= swarm_room_members(sw, i));
        }
        if (ready == sw->cfg.clients)
            return 0;
        if (stop && *stop) {
            snprintf(err, err_cap, "interrupted");
            return -1;
        }
        if (clock_now_us() > deadline_us) {
            snprintf(err, err_cap, "only %zu of %zu clients joined%s in time", ready,
                     sw->cfg.clients, see_room ? " and saw their room" : "");
            return -1;
        }
    }
}

void swarm_schedule(struct swarm *sw, uint64_t t0_us)
{
    size_t n = sw->cfg.clients;
    sw->t0_us = t0_us;
    for (size_t i = 0; i < n; i++) {
        sw->m[i].k = 0;
        sw->m[i].next_us = t0_us + sw->period_us * i / n; /* phases spread */
    }
}

/* A circle per client: the content only has to be valid. */
static void fill_default(size_t i, uint64_t k, struct proto_state *s)
{
    float a = (float)((double)k * 0.05 + (double)i);
    s->x = 50.0f + 40.0f * cosf(a);
    s->y = 50.0f + 40.0f * sinf(a);
    s->vx = -2.0f * sinf(a);
    s->vy = 2.0f * cosf(a);
    s->heading = a;
}

/* Sends client i's states due by now and intended before end. Intended
 * times count from the schedule, not from the last send: no drift. */
static void send_due(struct swarm *sw, size_t i, uint64_t now, uint64_t end)
{
    struct swarm_member *m = &sw->m[i];
    bool any = false;
    while (m->next_us <= now && m->next_us < end) {
        struct proto_state s;
        memset(&s, 0, sizeof s);
        s.send_us = m->next_us;
        if (sw->hooks.fill)
            sw->hooks.fill(sw->hooks.ctx, i, m->next_us, &s);
        else
            fill_default(i, m->k, &s);
        bool ok = !m->dead && client_send_state(m->c, &s, sw->cfg.payload) == 0;
        if (ok)
            sw->stats.sent++;
        else
            sw->stats.send_failed++;
        if (sw->hooks.sent)
            sw->hooks.sent(sw->hooks.ctx, i, m->next_us, ok);
        m->k++;
        m->next_us = sw->t0_us + sw->period_us * i / sw->cfg.clients + m->k * sw->period_us;
        any = true;
    }
    if (any && !m->dead)
        client_flush(m->c);
}

uint64_t swarm_step(struct swarm *sw, uint64_t end_us)
{
    uint64_t now = clock_now_us();
    uint64_t earliest = UINT64_MAX;
    for (size_t i = 0; i < sw->cfg.clients; i++) {
        send_due(sw, i, now, end_us);
        if (sw->m[i].next_us < end_us && sw->m[i].next_us < earliest)
            earliest = sw->m[i].next_us;
    }
    now = clock_now_us();
    uint64_t wait = earliest > now ? earliest - now : 0;
    if (wait > MAX_WAIT_US)
        wait = MAX_WAIT_US;
    swarm_service(sw, wait);
    return earliest;
}

void swarm_drain(struct swarm *sw, uint64_t until_us)
{
    for (uint64_t now = clock_now_us(); now < until_us; now = clock_now_us()) {
        uint64_t wait = until_us - now;
        swarm_service(sw, wait > MAX_WAIT_US ? MAX_WAIT_US : wait);
    }
}
