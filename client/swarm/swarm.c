/* swarm.c: many clients, one loop, a constant intended rate (see swarm.h). */
#include "swarm.h"
#include "swarm_hub.h"
#include "swarm_plan.h"
#include "stats/pattern.h"
#include "sys/clock.h"
#include "sys/fdlimit.h"
#include "sys/log.h"

#include <errno.h>
#include <math.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WAIT_US 5000      /* ENet's acks and pings need regular service */
#define FULL_US_PER_CLIENT 20 /* ... every client at least every 5 ms or 20 µs x N:
                                 data wakes its own client (or udp hub) at once, and
                                 the timers (pings, timeouts) run in hundreds of ms */
#define EVENTS_PER_DRAIN 4096 /* one client's events per wake-up, at most */
#define FDS_SPARE 64          /* descriptors beyond the clients' sockets */
#define HUB_TAG (UINT64_C(1) << 63) /* epoll data: a hub's index, not a client's */
#define OUTSIDE_TAG (HUB_TAG - 1)   /* ... swarm_wait_readable's fd */
#define SEND_BETWEEN_CLIENTS 64 /* a pass over every client sends what is due this often */
#define TIMER_CAP_US 250000   /* a client's timers run this often at least: what moves them
                                 earlier unseen (a pong's clock announcement) waits no longer */
#define AGAIN_AFTER_US 500000 /* a failed connect is made anew this much later: a refusal
                                 (ICMP's) comes at once, and a relay that just answered
                                 nothing gets a moment */
#define NOTHING_ANSWERS_TRIES 2 /* every made client's connect failed this often, none got
                                   in: nothing answers there (one round may be a burst that
                                   a relay's half-open cap or a loaded machine lost) */

struct swarm_member {
    struct ricochet *c;
    size_t hub;       /* index in hubs, or SIZE_MAX: its own socket */
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool dead;
    bool unwatched;   /* dead, and its socket taken out of the epoll set */
    uint64_t next_us; /* intended time of the next state */
    uint64_t k;       /* states sent or failed so far */
    uint64_t period_us; /* between its states; 0: it never sends (adopted at rate 0) */
    uint64_t phase_us;  /* its first state's offset from the schedule's t0 */
    uint64_t timer_us;  /* when a pass next polls it: its timers' work (0: at once) */
    bool welcomed;      /* it was welcomed once */
    unsigned fails;     /* its connects that failed (kept when it is made anew) */
    bool light;         /* counted in n_own */
    bool stamped;       /* counted in n_stamped */
    uint64_t again_us;  /* its connect failed: when swarm_wait_ready makes it anew (0: not) */
};

struct swarm {
    struct swarm_config cfg;
    struct swarm_hooks hooks;
    struct swarm_member *m;      /* the cfg.clients made, then the adopted */
    size_t n, cap;               /* members, room in m */
    int ep;                      /* epoll: every hub's socket (data.u64 = HUB_TAG | hub)
                                    and every other client's (data.u64 = index) */
    struct epoll_event ready[256];
    struct swarm_hub *hubs;      /* per_host clients to a hub (client i: i / per_host): ENet
                                    clients (speaking ENet's wire with cfg.wire_hubs), or
                                    udp clients of a relay on loopback */
    bool udp_hubs_ok;            /* the relay is on 127.0.0.0/8: udp clients share hubs */
    bool wire_ok;                /* cfg.wire_hubs, not in a fleet (a hop has no hub) */
    bool *hub_dirty;             /* sends queued since its last flush */
    size_t n_hubs, per_host;
    size_t n_own;                /* clients with their own socket, or on a udp hub: none
                                    needs ENet's service every 5 ms */
    size_t n_stamped;            /* clients whose arrivals carry the kernel's stamp */
    size_t cursor;               /* the made client whose send is due next */
    uint64_t t0_us, period_us;
    uint64_t next_full_us; /* next time every client is serviced */
    uint64_t send_end_us;  /* swarm_step's end_us: sends due before it go out
                              between the hubs and clients a service reads */
    bool outside_ready;    /* swarm_wait_readable's fd became readable */
    struct swarm_stats stats;
    char again_why[PROTO_NAME_MAX + PROTO_TEXT_MAX + PROTO_CODE_MAX + 80]; /* the last
                                                connect that failed: whose, and why */
};

static void service_ready(struct swarm *sw, uint64_t wait_us);
static void service_made(struct swarm *sw, size_t made, uint64_t wait_us);
static void send_between(struct swarm *sw);

/* Puts client i's hub (created, and watched, with its first client) into
 * cc: an ENet host, or a udp hub in udp mode. Returns 0, or -1 with err. */
static int hub_of(struct swarm *sw, size_t i, struct client_config *cc, char *err,
                  size_t err_cap)
{
    size_t h = i / sw->per_host;
    bool udp = cc->mode == PROTO_MODE_UDP;
    struct swarm_hub *hub = &sw->hubs[h];
    if (swarm_hub_fd(hub) < 0) {
        size_t left = sw->cfg.clients - h * sw->per_host;
        size_t n = left < sw->per_host ? left : sw->per_host;
        if (swarm_hub_create(hub, n, udp, sw->wire_ok, err, err_cap) != 0)
            return -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = HUB_TAG | h};
        if (epoll_ctl(sw->ep, EPOLL_CTL_ADD, swarm_hub_fd(hub), &ev) != 0) {
            snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
            return -1;
        }
    }
    cc->hub = hub->enet;
    cc->udp_hub = hub->udp;
    cc->wire_hub = hub->wire;
    return 0;
}

static int member_create(struct swarm *sw, size_t i, char *err, size_t err_cap)
{
    char pin[CLIENT_PIN_HEX + 1];
    const struct swarm_config *cfg = &sw->cfg;
    struct swarm_member *m = &sw->m[i];
    char room[PROTO_ROOM_MAX + 1], why[256];
    if (cfg->room_size)
        snprintf(room, sizeof room, "%s-%zu", cfg->room, swarm_plan_room(cfg, i) + 1);
    else
        snprintf(room, sizeof room, "%s", cfg->room);
    snprintf(m->name, sizeof m->name, "%s-%zu", cfg->name, cfg->first + i + 1);
    m->mode = swarm_plan_mode(cfg, i);
    m->hub = SIZE_MAX;
    uint16_t port = cfg->n_ports ? cfg->ports[(cfg->first + i) % cfg->n_ports] : cfg->port;
    struct client_config cc = {.host = cfg->host, .port = port, .room = room,
                               .name = m->name, .mode = m->mode, .reflect = cfg->reflect,
                               .aoi = cfg->aoi, .room_ask = cfg->room_ask,
                               .timeout_ms = cfg->timeout_ms, .user = (void *)(uintptr_t)i,
                               .connect_timeout_ms = cfg->connect_timeout_ms,
                               .no_histograms = !cfg->client_histograms,
                               .no_member_stats = !cfg->client_histograms,
                               .ticket = cfg->tickets ? cfg->tickets[cfg->first + i] : NULL,
                               .rejoin_ms = cfg->rejoin_ms,
                               .transport = cfg->transport, .keylog = cfg->keylog,
                               .poll_short = cfg->poll_interval_ms > 0,
                               .pin = swarm_plan_pin(cfg, pin),
                               .poll_interval_ms = cfg->poll_interval_ms};
    m->period_us = sw->period_us;
    m->phase_us = sw->period_us * i / cfg->clients; /* phases spread over a period */
    if (swarm_plan_on_hub(cfg, sw->per_host, sw->udp_hubs_ok, i)) {
        if (hub_of(sw, i, &cc, why, sizeof why) != 0)
            goto fail;
        m->hub = i / sw->per_host;
    }
    if (!(m->c = client_create(&cc, why, sizeof why)))
        goto fail;
    snprintf(m->name, sizeof m->name, "%s", client_name(m->c)); /* a ticket's, if any */
    if (sw->hooks.created)
        sw->hooks.created(sw->hooks.ctx, i, m->c);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
    bool own = m->hub == SIZE_MAX;
    if (own && epoll_ctl(sw->ep, EPOLL_CTL_ADD, ricochet_fd(m->c), &ev) != 0) {
        snprintf(why, sizeof why, "epoll_ctl: %s", strerror(errno));
        goto fail;
    }
    m->light = own || cc.udp_hub || cc.wire_hub; /* none needs ENet's 5 ms */
    m->stamped = cc.wire_hub != NULL;
    sw->n_own += m->light;
    sw->n_stamped += m->stamped;
    return 0;
fail:
    snprintf(err, err_cap, "%s: %s", m->name, why);
    return -1;
}

/* Made client i, whose connect failed, closed and made anew in its place
 * (its hub's slot, or a socket of its own: the old one goes first):
 * hooks.created hears NULL, then the new one. Returns member_create's; on
 * failure client i stays dead, and no pass polls it again: it may have no
 * client at all (m->c NULL, which swarm_client returns). */
static int member_renew(struct swarm *sw, size_t i, char *err, size_t err_cap)
{
    struct swarm_member *m = &sw->m[i];
    if (m->hub == SIZE_MAX && !m->unwatched)
        epoll_ctl(sw->ep, EPOLL_CTL_DEL, ricochet_fd(m->c), NULL);
    ricochet_close(m->c);
    if (sw->hooks.created) /* the caller's pointer is freed: none until a new one is */
        sw->hooks.created(sw->hooks.ctx, i, NULL);
    sw->n_own -= m->light;
    sw->n_stamped -= m->stamped;
    *m = (struct swarm_member){.fails = m->fails};
    sw->stats.connect_retries++;
    int rc = member_create(sw, i, err, err_cap);
    if (rc != 0)
        m->dead = true, m->timer_us = UINT64_MAX;
    return rc;
}

struct swarm *swarm_create(const struct swarm_config *cfg, const struct swarm_hooks *hooks,
                           char *err, size_t err_cap)
{
    if (cfg->clients > 0 && !(cfg->rate_hz > 0)) {
        snprintf(err, err_cap, "a swarm of clients needs a rate");
        return NULL;
    }
    size_t per_host = cfg->per_host ? cfg->per_host : SWARM_PER_HOST;
    if (per_host > SWARM_PER_HOST_MAX)
        per_host = SWARM_PER_HOST_MAX;
    bool udp_ok = swarm_plan_udp_hubs(cfg);
    char why[160];
    size_t fds = swarm_plan_sockets(cfg, per_host, udp_ok) + FDS_SPARE;
    if (fdlimit_raise(fds, why, sizeof why) != 0) {
        snprintf(err, err_cap, "%zu clients: %s", cfg->clients, why);
        return NULL;
    }
    struct swarm *sw = calloc(1, sizeof *sw);
    if (!sw) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    sw->ep = -1;
    sw->cfg = *cfg;
    sw->per_host = per_host;
    sw->udp_hubs_ok = udp_ok;
    sw->wire_ok = cfg->wire_hubs && !cfg->n_ports && !cfg->rejoin_ms;
    sw->n_hubs = (cfg->clients + per_host - 1) / per_host;
    sw->n = cfg->clients;
    sw->cap = cfg->clients ? cfg->clients : 1;
    sw->m = calloc(sw->cap, sizeof *sw->m);
    sw->hubs = calloc(sw->n_hubs ? sw->n_hubs : 1, sizeof *sw->hubs);
    sw->hub_dirty = calloc(sw->n_hubs ? sw->n_hubs : 1, sizeof *sw->hub_dirty);
    if (!sw->m || !sw->hubs || !sw->hub_dirty) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    /* epoll, not poll: a wait costs what is ready, not N descriptors */
    sw->ep = epoll_create1(EPOLL_CLOEXEC);
    if (sw->ep < 0) {
        snprintf(err, err_cap, "epoll_create1: %s", strerror(errno));
        goto fail;
    }
    if (hooks)
        sw->hooks = *hooks;
    sw->period_us = swarm_plan_period(cfg->rate_hz);
    for (size_t i = 0; i < cfg->clients; i++) {
        if (member_create(sw, i, err, err_cap) != 0)
            goto fail;
        /* Thousands of clients take a while to create (QUIC's a handshake each): answer
         * the relay's handshakes meanwhile, or it forgets them as half-open, and keep the
         * joined ones speaking, or it expires them as silent. */
        service_made(sw, i + 1, 0);
        uint64_t next = clock_now_us() + cfg->create_gap_us; /* paced: the made go on */
        for (uint64_t now; cfg->create_gap_us && (now = clock_now_us()) < next;)
            service_made(sw, i + 1, next - now);
    }
    return sw;
fail:
    swarm_destroy(sw);
    return NULL;
}

void swarm_destroy(struct swarm *sw)
{
    if (!sw)
        return;
    for (size_t i = 0; sw->m && i < sw->n; i++)
        ricochet_close(sw->m[i].c);
    for (size_t h = 0; sw->hubs && h < sw->n_hubs; h++)
        swarm_hub_destroy(&sw->hubs[h]); /* after its clients: sends their goodbyes */
    if (sw->ep >= 0)
        close(sw->ep);
    free(sw->m);
    free(sw->hubs);
    free(sw->hub_dirty);
    free(sw);
}

int swarm_adopt(struct swarm *sw, struct ricochet *c, const char *name, double rate_hz,
                char *err, size_t err_cap)
{
    if (!(rate_hz >= 0)) {
        snprintf(err, err_cap, "%s: a rate must be 0 or more", name);
        return -1;
    }
    if (sw->n == sw->cap) {
        struct swarm_member *m = realloc(sw->m, 2 * sw->cap * sizeof *m);
        if (!m) {
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
        sw->m = m;
        sw->cap *= 2;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = sw->n};
    if (epoll_ctl(sw->ep, EPOLL_CTL_ADD, ricochet_fd(c), &ev) != 0) {
        snprintf(err, err_cap, "%s: epoll_ctl: %s", name, strerror(errno));
        return -1;
    }
    struct swarm_member *m = &sw->m[sw->n++];
    *m = (struct swarm_member){.c = c, .hub = SIZE_MAX, .mode = client_mode(c),
                               .next_us = UINT64_MAX, .period_us = swarm_plan_period(rate_hz)};
    snprintf(m->name, sizeof m->name, "%s", name);
    sw->n_own++;
    return 0;
}

void swarm_phase(struct swarm *sw, size_t i, uint64_t phase_us)
{
    struct swarm_member *m = &sw->m[i];
    uint64_t first = sw->t0_us + phase_us, now = clock_now_us();
    m->phase_us = i >= sw->cfg.clients ? phase_us : m->phase_us;
    if (i >= sw->cfg.clients && sw->t0_us && m->period_us) { /* a schedule runs: its next turn */
        m->k = now > first ? (now - first) / m->period_us + 1 : 0;
        m->next_us = first + m->k * m->period_us;
    }
}
size_t swarm_size(const struct swarm *sw) { return sw->n; }
struct ricochet *swarm_client(const struct swarm *sw, size_t i) { return sw->m[i].c; }
const char *swarm_name(const struct swarm *sw, size_t i) { return sw->m[i].name; }
enum proto_mode swarm_mode(const struct swarm *sw, size_t i) { return sw->m[i].mode; }
bool swarm_dead(const struct swarm *sw, size_t i) { return sw->m[i].dead; }
const struct swarm_stats *swarm_stats(const struct swarm *sw) { return &sw->stats; }

size_t swarm_room_of(const struct swarm *sw, size_t i) { return swarm_plan_room(&sw->cfg, i); }
size_t swarm_room_members(const struct swarm *sw, size_t i)
{
    return swarm_plan_room_members(&sw->cfg, i);
}

void swarm_wire(const struct swarm *sw, struct client_netinfo *total)
{
    memset(total, 0, sizeof *total);
    struct client_netinfo ni;
    for (size_t k = 0; k < sw->n + sw->n_hubs; k++) {
        if (k < sw->n && !sw->m[k].c) /* not made again (member_renew) */
            continue;
        if (k < sw->n)
            client_netinfo(sw->m[k].c, &ni);
        else if (!swarm_hub_netinfo(&sw->hubs[k - sw->n], &ni))
            continue;
        total->bytes_sent += ni.bytes_sent;
        total->bytes_received += ni.bytes_received;
        total->datagrams_sent += ni.datagrams_sent;
        total->datagrams_received += ni.datagrams_received;
    }
}

size_t swarm_alive(const struct swarm *sw)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->n; i++)
        n += !sw->m[i].dead;
    return n;
}

/* When client i's timers next need a pass: the library's answer, at most
 * TIMER_CAP_US on. */
static void timer_set(struct swarm *sw, size_t i, uint64_t now)
{
    uint64_t due = client_timers_due_us(sw->m[i].c, now);
    sw->m[i].timer_us = due < now + TIMER_CAP_US ? due : now + TIMER_CAP_US;
}

/* Did made client i fail to get in at all, its connect refused or left
 * unanswered (the library's own codes, not a relay's refusal by name: a
 * full room, a bad ticket, which another try would only repeat)? With
 * cfg.retry_connects, as a game would, it connects again. */
static bool connect_failed(const struct swarm *sw, size_t i, const char *code)
{
    return sw->cfg.retry_connects && i < sw->cfg.clients && !sw->m[i].welcomed &&
           (strcmp(code, RICOCHET_END_REFUSED) == 0 || strcmp(code, RICOCHET_END_TIMEOUT) == 0);
}

static void on_event(struct swarm *sw, size_t i, const struct ricochet_event *ev)
{
    struct swarm_member *m = &sw->m[i];
    m->welcomed |= ev->type == RICOCHET_EV_WELCOME;
    if (ev->type == RICOCHET_EV_DISCONNECTED)
        m->dead = true;
    if (ev->type == RICOCHET_EV_DISCONNECTED && connect_failed(sw, i, ev->code)) {
        /* not the caller's end to hear of: a new client takes its place */
        m->again_us = clock_now_us() + AGAIN_AFTER_US;
        m->fails++;
        snprintf(sw->again_why, sizeof sw->again_why, "%s: %s", m->name,
                 ricochet_end_reason(m->c));
        return;
    }
    if (ev->type != RICOCHET_EV_STATE) /* a welcome, a notice: its timers may have changed */
        m->timer_us = 0;
    if (ev->type == RICOCHET_EV_MOVED && m->hub == SIZE_MAX) {
        /* A fleet moved it: its own socket is a new one (the old one left
         * epoll when it closed). */
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
        if (epoll_ctl(sw->ep, EPOLL_CTL_ADD, ricochet_fd(m->c), &e) != 0)
            log_warn("swarm: %s: epoll_ctl: %s", m->name, strerror(errno));
    }
    if (ev->type == RICOCHET_EV_STATE && ev->id != ricochet_id(m->c))
        sw->stats.received++; /* its latency is the caller's to keep (hooks.event) */
    if (sw->hooks.event)
        sw->hooks.event(sw->hooks.ctx, i, ev);
}

/* A hub's event: cfg.user is the member's index (m may move: swarm_adopt). */
static void on_hub_event(void *ctx, struct ricochet *c, void *user, const struct ricochet_event *ev)
{
    (void)c;
    on_event(ctx, (size_t)(uintptr_t)user, ev);
}

static void service_hub(struct swarm *sw, size_t h)
{
    if (swarm_hub_service(&sw->hubs[h], on_hub_event, sw) >= 0)
        sw->hub_dirty[h] = false; /* a service sends what was queued */
}

/* Hands client i's pending events to on_event, without waiting (on a hub:
 * its timers and what its last event left; the hub reads for it). */
static void drain_one(struct swarm *sw, size_t i)
{
    struct swarm_member *m = &sw->m[i];
    struct ricochet_event ev;
    for (int k = 0; k < EVENTS_PER_DRAIN && !m->dead; k++) {
        int got = ricochet_poll(m->c, 0, &ev);
        if (got < 0)
            m->dead = true;
        if (got <= 0)
            break;
        on_event(sw, i, &ev);
    }
    if (m->dead && !m->unwatched && m->hub == SIZE_MAX) {
        /* nobody reads it any more: a readable socket would wake us for ever */
        epoll_ctl(sw->ep, EPOLL_CTL_DEL, ricochet_fd(m->c), NULL);
        m->unwatched = true;
    }
}

/* Waits at most wait_us for sockets, then drains the hubs and clients that
 * have data (only those: safe while swarm_create is still adding some). */
static void service_ready(struct swarm *sw, uint64_t wait_us)
{
    struct timespec ts = {(time_t)(wait_us / 1000000u), (long)(wait_us % 1000000u) * 1000};
    int ready = epoll_pwait2(sw->ep, sw->ready, sizeof sw->ready / sizeof sw->ready[0], &ts,
                             NULL);
    sw->stats.wakes += wait_us > 0;
    for (int k = 0; k < ready; k++) {
        uint64_t d = sw->ready[k].data.u64;
        if (d == OUTSIDE_TAG)
            sw->outside_ready = true;
        else if (d & HUB_TAG)
            service_hub(sw, (size_t)(d & ~HUB_TAG));
        else if (d < sw->n)
            drain_one(sw, (size_t)d);
        send_between(sw);
    }
}

/* service_ready, and the first made clients and every hub made now and
 * then (ENet's timers: acks, pings, resends; QUIC's; a client's idle ping:
 * a client with nothing to read still needs them). */
static void service_made(struct swarm *sw, size_t made, uint64_t wait_us)
{
    uint64_t now = clock_now_us();
    if (now < sw->next_full_us) {
        service_ready(sw, wait_us);
        return;
    }
    uint64_t every = (uint64_t)sw->n_own * FULL_US_PER_CLIENT;
    sw->next_full_us = now + (every > MAX_WAIT_US ? every : MAX_WAIT_US);
    for (size_t i = 0; i < made; i++) {
        if (sw->m[i].timer_us <= now) { /* only those with work due: few, each pass */
            drain_one(sw, i); /* timers first: the hubs then send their pings */
            timer_set(sw, i, now);
            sw->stats.polls++;
        }
        if (i % SEND_BETWEEN_CLIENTS == SEND_BETWEEN_CLIENTS - 1)
            send_between(sw);
    }
    for (size_t h = 0; h < sw->n_hubs; h++) {
        service_hub(sw, h);
        send_between(sw);
    }
}

void swarm_service(struct swarm *sw, uint64_t wait_us) { service_made(sw, sw->n, wait_us); }

int swarm_wait_ready(struct swarm *sw, bool see_room, uint64_t deadline_us,
                     const volatile sig_atomic_t *stop, char *err, size_t err_cap)
{
    for (;;) {
        swarm_service(sw, 1000);
        size_t ready = 0, tried = 0, welcomed = 0;
        uint64_t now = clock_now_us();
        for (size_t i = 0; i < sw->n; i++) {
            struct swarm_member *m = &sw->m[i];
            tried += m->fails >= NOTHING_ANSWERS_TRIES;
            welcomed += m->welcomed;
            if (m->dead && m->again_us) { /* made anew when due, up to the deadline */
                if (now >= m->again_us && now <= deadline_us &&
                    member_renew(sw, i, err, err_cap) != 0)
                    return -1;
                continue;
            }
            if (m->dead) {
                snprintf(err, err_cap, "%s could not join %s:%u: %s", m->name, sw->cfg.host,
                         (unsigned)sw->cfg.port, ricochet_end_reason(m->c));
                return -1;
            }
            size_t members;
            client_members(m->c, &members);
            /* an adopted client's room is the caller's business */
            ready += ricochet_joined(m->c) &&
                     (!see_room || i >= sw->cfg.clients || !proto_mode_info(m->mode)->enet ||
                      members + 1 >= swarm_room_members(sw, i));
        }
        if (ready == sw->n)
            return 0;
        if (sw->cfg.clients && tried == sw->cfg.clients && !welcomed) {
            /* every made client's connect failed, each in two tries, and none
               got in: nothing answers there, and trying again would wait out
               the deadline (one round of failures may have a passing cause) */
            snprintf(err, err_cap, "none of the %zu clients could connect in %d tries each; "
                     "the last: %s", sw->cfg.clients, NOTHING_ANSWERS_TRIES, sw->again_why);
            return -1;
        }
        if (stop && *stop) {
            snprintf(err, err_cap, "interrupted");
            return -1;
        }
        if (clock_now_us() > deadline_us) {
            int len = snprintf(err, err_cap, "only %zu of %zu clients joined%s in time", ready,
                               sw->n, see_room ? " and saw their room" : "");
            if (sw->again_why[0] && len >= 0 && (size_t)len < err_cap)
                snprintf(err + len, err_cap - (size_t)len, " (%llu connects made again; the "
                         "last failed: %s)", (unsigned long long)sw->stats.connect_retries,
                         sw->again_why);
            return -1;
        }
    }
}

void swarm_schedule(struct swarm *sw, uint64_t t0_us)
{
    sw->t0_us = t0_us;
    sw->send_end_us = 0; /* until the first swarm_step */
    sw->cursor = 0; /* client 0's phase is the earliest */
    for (size_t i = 0; i < sw->n; i++) {
        struct swarm_member *m = &sw->m[i];
        m->k = 0;
        m->next_us = m->period_us ? t0_us + m->phase_us : UINT64_MAX;
    }
}

/* A circle per client: the content only has to be valid. */
static void fill_default(size_t i, uint64_t k, struct ricochet_state *s)
{
    float a = (float)((double)k * 0.05 + (double)i);
    s->x = 50.0f + 40.0f * cosf(a);
    s->y = 50.0f + 40.0f * sinf(a);
    s->vx = -2.0f * sinf(a);
    s->vy = 2.0f * cosf(a);
    s->heading = a;
}

/* Sends a state padded to cfg.payload bytes: zeros, or with payload_check a
 * pattern keyed by the seq the library gives it. */
static int send_state(const struct swarm *sw, struct ricochet *c, const struct proto_state *ps)
{
    size_t len = sw->cfg.payload > PROTO_STATE_SIZE ? sw->cfg.payload - PROTO_STATE_SIZE : 0;
    if (!sw->cfg.payload_check || len < PATTERN_MIN)
        return client_send_state(c, ps, sw->cfg.payload);
    uint8_t payload[PROTO_PAYLOAD_MAX];
    if (len > sizeof payload)
        len = sizeof payload;
    pattern_fill(client_next_seq(c), payload, len);
    return client_send_state_payload(c, ps, payload, len);
}

/* Sends client i's next state (the caller checked it is due). Intended
 * times count from the schedule, not from the last send: no drift. */
static void send_next(struct swarm *sw, size_t i)
{
    struct swarm_member *m = &sw->m[i];
    struct ricochet_state s = {.send_us = m->next_us};
    if (sw->hooks.fill)
        sw->hooks.fill(sw->hooks.ctx, i, m->next_us, &s);
    else
        fill_default(i, m->k, &s);
    struct proto_state ps = {.send_us = m->next_us, .x = s.x, .y = s.y, .vx = s.vx,
                             .vy = s.vy, .heading = s.heading};
    bool ok = !m->dead && send_state(sw, m->c, &ps) == 0;
    if (ok)
        sw->stats.sent++;
    else
        sw->stats.send_failed++;
    if (sw->hooks.sent)
        sw->hooks.sent(sw->hooks.ctx, i, m->next_us, ok);
    if (ok && (proto_mode_info(m->mode)->up_flags & PROTO_FLAG_RELIABLE))
        timer_set(sw, i, m->next_us); /* its resend's timer (its intended time: not after now) */
    m->k++;
    m->next_us = sw->t0_us + m->phase_us + m->k * m->period_us;
    if (ok && m->hub != SIZE_MAX)
        sw->hub_dirty[m->hub] = true; /* one flush for all its clients */
    else if (ok)
        ricochet_flush(m->c);
}

/* Every intended send time of a made client is t0 + period * i / N +
 * k * period: in time order they come in a fixed cycle (0, 1, ... N-1,
 * 0, ...), one state each per lap. So the next send due is always the
 * cursor's, and sending one state per visit keeps that order even after a
 * stall of several periods (a step costs what it sends, not a walk of N
 * clients). Adopted clients have rates of their own; they are few and
 * walked. Returns the earliest intended send before end_us, or UINT64_MAX. */
static uint64_t send_all_due(struct swarm *sw, uint64_t now, uint64_t end_us)
{
    size_t made = sw->cfg.clients;
    uint64_t next = UINT64_MAX;
    for (; made > 0; sw->cursor = (sw->cursor + 1) % made) {
        struct swarm_member *m = &sw->m[sw->cursor];
        if (m->next_us > now || m->next_us >= end_us)
            break;
        send_next(sw, sw->cursor);
    }
    if (made > 0)
        next = sw->m[sw->cursor].next_us;
    for (size_t i = made; i < sw->n; i++) {
        struct swarm_member *m = &sw->m[i];
        while (m->next_us <= now && m->next_us < end_us)
            send_next(sw, i);
        next = m->next_us < next ? m->next_us : next;
    }
    for (size_t h = 0; h < sw->n_hubs; h++) {
        if (sw->hub_dirty[h]) {
            swarm_hub_flush(&sw->hubs[h]);
            sw->hub_dirty[h] = false;
        }
    }
    return next < end_us ? next : UINT64_MAX;
}

/* Sends what fell due while a service was reading: at 4000 clients a
 * relay's tick reaching 60 hubs at once, or a pass over every client, took
 * 20-60 ms, and every send due meanwhile left that late (the generator's
 * own lateness, inside every latency it measures). */
static void send_between(struct swarm *sw)
{
    if (sw->send_end_us)
        send_all_due(sw, clock_now_us(), sw->send_end_us);
}

/* The tick (cfg.send_grain_us, SWARM_TICK_AUTO resolved), µs; 0: none. */
static uint64_t tick_us(const struct swarm *sw)
{
    uint32_t g = sw->cfg.send_grain_us;
    return g != SWARM_TICK_AUTO ? g : sw->n_stamped == sw->n ? SWARM_TICK_STAMPED_US : 0;
}

/* The tick g's grid from the schedule's t0, at or after due (MAX_WAIT_US
 * from now at most). */
static uint64_t tick_at(const struct swarm *sw, uint64_t g, uint64_t due, uint64_t now)
{
    due = due < now + MAX_WAIT_US ? due : now + MAX_WAIT_US;
    return due <= sw->t0_us ? due : due + (g - (due - sw->t0_us) % g) % g;
}

uint64_t swarm_step(struct swarm *sw, uint64_t end_us)
{
    sw->send_end_us = end_us;
    uint64_t earliest = send_all_due(sw, clock_now_us(), end_us), now = clock_now_us();
    uint64_t g = tick_us(sw), wake = g ? tick_at(sw, g, earliest, now) : earliest,
             wait = wake > now ? wake - now : 0;
    if (g && sw->n_stamped == sw->n) {
        /* every arrival carries the kernel's stamp: data waits for the
         * tick, one wake-up serves the tick's sends and reads */
        sw->stats.wakes += wait > 0;
        clock_sleep_until_us(wake);
        wait = 0;
    }
    swarm_service(sw, wait > MAX_WAIT_US ? MAX_WAIT_US : wait);
    return earliest;
}

int swarm_wait_readable(struct swarm *sw, int fd, uint64_t deadline_us,
                        const volatile sig_atomic_t *stop)
{
    /* in the clients' epoll set: the wait ends at once either way */
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = OUTSIDE_TAG};
    if (epoll_ctl(sw->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    sw->outside_ready = false;
    for (uint64_t now = clock_now_us(); !sw->outside_ready && !(stop && *stop) &&
                                        now < deadline_us; now = clock_now_us()) {
        uint64_t wait = deadline_us - now;
        swarm_service(sw, wait > MAX_WAIT_US ? MAX_WAIT_US : wait);
    }
    epoll_ctl(sw->ep, EPOLL_CTL_DEL, fd, NULL);
    return sw->outside_ready ? 0 : -1;
}

void swarm_drain(struct swarm *sw, uint64_t until_us)
{
    for (uint64_t now = clock_now_us(); now < until_us; now = clock_now_us()) {
        uint64_t wait = until_us - now;
        swarm_service(sw, wait > MAX_WAIT_US ? MAX_WAIT_US : wait);
    }
}
