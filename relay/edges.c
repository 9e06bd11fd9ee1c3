/* edges.c: the relay's edges, and the loop's turn over them (see edges.h).
 *
 * Each edge gives the loop one descriptor. The loop waits on all of them
 * at once (epoll), never inside one edge: an ENet host's own wait
 * (enet_host_service with a timeout) could not wake for another socket.
 * A turn services each edge that has work once, each reading at most one
 * bounded batch, from a rotating start: an edge under a flood costs the
 * others one batch of its own a turn, and no edge waits a whole turn
 * behind another's backlog for ever. */
#include "edges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "relay/http/http_front.h"
#include "relay/http/http_pages.h"

#define READ_EVERY_US 5000  /* with states held: read batches this often */
#define DRAIN_WAIT_MS 10    /* at shutdown: the longest wait between services */
#define WATCHED RELAY_EDGES_MAX /* epoll data of the watched descriptor */

/* ---- --listen ---------------------------------------------------------- */

/* The edge whose scheme is the len bytes at name, or NULL. */
static const struct relay_transport_ops *scheme_ops(const char *name, size_t len)
{
    for (size_t i = 0; relay_transports[i]; i++)
        if (strlen(relay_transports[i]->name) == len &&
            strncmp(relay_transports[i]->name, name, len) == 0)
            return relay_transports[i];
    return NULL;
}

/* One value, SCHEME://HOST:PORT, into *spec. Returns 0 or -1 with err. */
static int parse_one(const char *value, struct relay_edge_spec *spec, char *err, size_t cap)
{
    const char *sep = strstr(value, "://");
    if (!sep) {
        snprintf(err, cap, "--listen %s: not SCHEME://HOST:PORT (schemes: %s)", value,
                 RELAY_TRANSPORT_CHOICES);
        return -1;
    }
    spec->ops = scheme_ops(value, (size_t)(sep - value));
    if (!spec->ops) {
        snprintf(err, cap, "--listen %s: no edge speaks '%.*s' (schemes: %s)", value,
                 (int)(sep - value), value, RELAY_TRANSPORT_CHOICES);
        return -1;
    }
    char why[160];
    if (netaddr_split_endpoint(sep + 3, spec->host, sizeof spec->host, &spec->port, why,
                               sizeof why) != 0) {
        snprintf(err, cap, "--listen %s: %s", value, why);
        return -1;
    }
    return 0;
}

int relay_edges_parse(const char *listen, struct relay_edge_spec *specs, char *err,
                      size_t err_cap)
{
    int n = 0;
    char value[256];
    for (const char *s = listen; *s;) {
        size_t len = strcspn(s, " ");
        if (n == RELAY_EDGES_MAX) {
            snprintf(err, err_cap, "--listen: at most %d edges", RELAY_EDGES_MAX);
            return -1;
        }
        snprintf(value, sizeof value, "%.*s", (int)len, s);
        if (parse_one(value, &specs[n], err, err_cap) != 0)
            return -1;
        for (int k = 0; k < n; k++)
            if (specs[n].port && specs[k].port == specs[n].port &&
                specs[k].ops->stream == specs[n].ops->stream) {
                snprintf(err, err_cap, "--listen %s: port %u is given twice (%s and %s)",
                         value, (unsigned)specs[n].port, specs[k].ops->name,
                         specs[n].ops->name);
                return -1;
            }
        n++;
        s += len + (s[len] == ' ');
    }
    return n;
}

/* ---- the edges --------------------------------------------------------- */

int relay_edges_open(struct relay_edges *E, const struct relay_edge_spec *specs, size_t n,
                     const struct relay_net_config *net, char *err, size_t err_cap)
{
    memset(E, 0, sizeof *E);
    E->watched = -1;
    E->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (E->epfd < 0) {
        snprintf(err, err_cap, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    E->http = http_front_new(net->allow_origin);
    if (!E->http || http_pages_add(E->http) != 0) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        struct relay_edge *e = &E->e[i];
        struct relay_net_config cfg = *net;
        char why[400];
        cfg.bind = specs[i].host;
        cfg.port = specs[i].port;
        cfg.http = E->http;
        e->ops = specs[i].ops;
        snprintf(e->host, sizeof e->host, "%s", specs[i].host);
        e->t = e->ops->create(&cfg, why, sizeof why);
        if (!e->t) {
            snprintf(err, err_cap, n > 1 ? "%s://: %s" : "%.0s%s", e->ops->name, why);
            goto fail;
        }
        E->n++;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(E->epfd, EPOLL_CTL_ADD, e->ops->fd(e->t), &ev) != 0) {
            snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
            goto fail;
        }
        /* The label: the scheme, and the port when the scheme came before. */
        const char *at = strrchr(e->ops->address(e->t), ':');
        bool again = false;
        for (size_t k = 0; k < i; k++)
            again |= E->e[k].ops == e->ops;
        snprintf(e->name, sizeof e->name, again ? "%s:%s" : "%s", e->ops->name,
                 at ? at + 1 : "?");
    }
    return 0;
fail:
    relay_edges_close(E);
    return -1;
}

void relay_edges_cores(struct relay_edges *E, struct relay_transport out[RELAY_EDGES_MAX])
{
    uint32_t base = 0;
    for (size_t i = 0; i < E->n; i++) {
        out[i] = E->e[i].ops->core(E->e[i].t, base);
        out[i].name = E->e[i].name;
        base += out[i].peers;
    }
}

void relay_edges_say(const struct relay_edges *E)
{
    for (size_t i = 0; i < E->n; i++) {
        const struct relay_edge *e = &E->e[i];
        if (log_threshold <= LOG_INFO)
            log_info("listening on %s (%s)", e->ops->address(e->t), e->name);
        else
            fprintf(stderr, "listening on %s (%s)\n", e->ops->address(e->t), e->name);
    }
}

const char *relay_edges_beyond(const struct relay_edges *E)
{
    for (size_t i = 0; i < E->n; i++) {
        union netaddr a;
        char why[128];
        if (netaddr_resolve(E->e[i].host, 0, &a, why, sizeof why) != 0 ||
            !netaddr_is_loopback(&a))
            return E->e[i].host;
    }
    return NULL;
}

int relay_edges_kinds(const struct relay_edges *E, char *out, size_t cap)
{
    size_t off = 0;
    for (size_t i = 0; i < E->n; i++) {
        const char *at = strrchr(E->e[i].ops->address(E->e[i].t), ':');
        int k = i == 0 ? snprintf(out, cap, "%s", E->e[i].ops->name)
                       : snprintf(out + off, cap - off, ",%s:%s", E->e[i].ops->name,
                                  at ? at + 1 : "0");
        if (k < 0 || off + (size_t)k >= cap)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

int relay_edges_watch(struct relay_edges *E, int fd)
{
    if (fd < 0)
        return 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = WATCHED};
    if (epoll_ctl(E->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    E->watched = fd;
    return 0;
}

void relay_edges_close(struct relay_edges *E)
{
    for (size_t i = 0; i < E->n; i++)
        if (E->e[i].ops->destroy)
            E->e[i].ops->destroy(E->e[i].t);
    E->n = 0;
    http_front_free(E->http); /* after the edges whose routes it held */
    E->http = NULL;
    if (E->epfd >= 0)
        close(E->epfd);
    E->epfd = -1;
}

/* ---- the loop's turn ---------------------------------------------------- */

/* With ticks, a relay that fanned out in one of its last two read steps
 * is busy: states keep coming. Its next turn sleeps to the next step of
 * the grid (the tick, READ_EVERY_US at most) instead of waking for the
 * first datagram, reading it and sleeping again until that datagram's
 * tick ends: the state goes out at the same tick's end either way (its
 * tick counts from the read before, relay_arrived), with one wake-up and
 * one read a tick instead of two. What else arrives meanwhile (a ping, a
 * join) waits for that step, at most one tick. Returns UINT64_MAX when
 * not busy. */
static uint64_t busy_step_end(const struct relay_edges *E, const struct relay *r,
                              uint64_t now)
{
    uint64_t step = relay_tick_us(r);
    step = step < READ_EVERY_US ? step : READ_EVERY_US;
    if (!step || !E->fanned_us || now - E->fanned_us > 2 * step)
        return UINT64_MAX;
    return now - now % step + step;
}

/* How long to wait in epoll, in ms, for the first deadline: none while an
 * edge has a backlog. With states held they go out when their tick ends
 * anyway: the turn sleeps until then, READ_EVERY_US at most (not a whole
 * long tick: a socket buffer would overflow), and reads what came in
 * batches rather than waking for each datagram (an ENet service walks
 * every peer slot); so does a busy relay with none held
 * (busy_step_end). */
static int wait_ms(const struct relay_edges *E, const struct relay *r, uint64_t wake_by_us)
{
    uint64_t now = clock_now_us(), due = relay_tick_due(r);
    if (due == UINT64_MAX)
        due = busy_step_end(E, r, now);
    uint64_t wake = due < wake_by_us ? due : wake_by_us, replay = relay_join_due(r);
    wake = replay < wake ? replay : wake; /* a replay of kept events goes on */
    uint64_t lockstep = relay_lockstep_due(r);
    wake = lockstep < wake ? lockstep : wake; /* a lockstep room's tick closes */
    for (size_t i = 0; i < E->n; i++) {
        const struct relay_edge *e = &E->e[i];
        uint64_t d = e->ops->due(e->t);
        if (e->ops->backlog(e->t))
            return 0;
        wake = d < wake ? d : wake;
    }
    if (now >= wake)
        return 0;
    if (due != UINT64_MAX) {
        clock_sleep_until_us(now + READ_EVERY_US < wake ? now + READ_EVERY_US : wake);
        return 0;
    }
    uint64_t ms = (wake - now + 999) / 1000;
    return ms > 1000 ? 1000 : (int)ms;
}

/* Waits up to ms; marks the edges whose descriptor is readable. Returns
 * 0, or -1 if epoll failed (a signal only cuts the wait short). */
static int wait_ready(struct relay_edges *E, int ms)
{
    struct epoll_event ev[RELAY_EDGES_MAX + 1];
    for (size_t i = 0; i < E->n; i++)
        E->e[i].ready = false;
    int n = epoll_wait(E->epfd, ev, RELAY_EDGES_MAX + 1, ms);
    if (n < 0 && errno != EINTR) {
        log_error("relay: epoll_wait: %s", strerror(errno));
        return -1;
    }
    for (int k = 0; k < n; k++)
        if (ev[k].data.u32 < E->n)
            E->e[ev[k].data.u32].ready = true;
    return 0;
}

/* Services, from the rotating start, every edge that is ready, has a
 * backlog or is due (all: every one). Returns 0, or -1 if one failed. */
static int service(struct relay_edges *E, struct relay *r, bool all)
{
    uint64_t now = clock_now_us();
    int rc = 0;
    for (size_t k = 0; k < E->n; k++) {
        struct relay_edge *e = &E->e[(E->start + k) % E->n];
        if ((all || e->ready || e->ops->backlog(e->t) || e->ops->due(e->t) <= now) &&
            e->ops->service(e->t, r) < 0)
            rc = -1;
    }
    E->start = E->n ? (E->start + 1) % (unsigned)E->n : 0;
    return rc;
}

void relay_edges_flush(struct relay_edges *E, struct relay *r)
{
    for (size_t i = 0; i < E->n; i++)
        E->e[i].ops->flush(E->e[i].t, r);
}

int relay_edges_wait(struct relay_edges *E, struct relay *r, uint64_t wake_by_us,
                     uint64_t *woke_us)
{
    int rc = wait_ready(E, wait_ms(E, r, wake_by_us));
    *woke_us = clock_now_us();
    return rc;
}

int relay_edges_serve(struct relay_edges *E, struct relay *r)
{
    int rc = service(E, r, false);
    uint64_t tick_start = clock_now_us();
    size_t fanned = relay_tick(r, tick_start);
    relay_edges_flush(E, r);
    if (fanned) {
        relay_fanout_took(r, clock_now_us() - tick_start);
        E->fanned_us = tick_start;
    }
    return rc;
}

void relay_edges_periodic(struct relay_edges *E, struct relay *r, uint64_t now_us)
{
    relay_sweep(r, now_us);
    for (size_t i = 0; i < E->n; i++)
        E->e[i].ops->tick(E->e[i].t, r);
}

void relay_edges_drain(struct relay_edges *E, struct relay *r, int max_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)max_ms * 1000;
    if (E->watched >= 0) /* nobody reads it any more: it would cut every wait short */
        epoll_ctl(E->epfd, EPOLL_CTL_DEL, E->watched, NULL);
    E->watched = -1;
    relay_edges_flush(E, r);
    for (;;) {
        bool settled = true;
        for (size_t i = 0; i < E->n; i++)
            settled &= E->e[i].ops->settled(E->e[i].t);
        if (settled || clock_now_us() >= deadline)
            return;
        if (wait_ready(E, DRAIN_WAIT_MS) != 0 || service(E, r, true) != 0)
            return;
        relay_edges_flush(E, r);
    }
}

/* A stream edge holds a descriptor for each connection, up to its peer
 * slots: the soft limit is raised to the hard one (systemd's LimitNOFILE
 * sets both; a shell's ulimit -n is often 1024 under a far higher hard
 * limit), and a line says so when even that is below what the edges may
 * hold. Past it a connection that has not joined gives way to a newcomer,
 * or the newcomer is closed at once (stream_accept). */
void relay_edges_descriptors(const struct relay_edges *E, uint32_t peer_cap)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t most = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
    if (rl.rlim_cur < most) {
        struct rlimit raised = {.rlim_cur = most, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = most;
    }
    uint64_t need = 64; /* the edges' own sockets, epoll sets, the metrics, the fleet's */
    for (size_t i = 0; i < E->n; i++)
        if (E->e[i].ops->stream)
            need += peer_cap;
    if (need > rl.rlim_cur)
        log_warn("relay: the stream edges may hold %llu descriptors and the limit is %llu: past "
                 "it a connection that has not joined gives way, or the newcomer is closed at "
                 "once; raise it (ulimit -n, systemd's LimitNOFILE)", (unsigned long long)need,
                 (unsigned long long)rl.rlim_cur);
}
