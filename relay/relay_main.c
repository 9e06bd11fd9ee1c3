/* relay_main.c: ricochet-relay. Options (settings.h), the one loop, signals, stats,
 * and what runs beside the loop (docs/design.md): the --metrics endpoint.
 *
 * --listen (or --transport) picks the edges among relay_transports
 * (transport.h); the loop only calls their operations, through edges.h.
 * The loop: a turn over every edge (wait in one epoll: relay_edges_wait;
 * the fleet's leases checked after a stall; service, the tick's fan-out,
 * flush: relay_edges_serve), then the fleet's results and the periodic work on a fixed tick (relay_sweep and the edges' ticks, the
 * snapshot for --metrics, stats records), then a flush of what they
 * queued. Every turn it stores its heartbeat and times itself, the wait
 * excluded. Signal handlers only set flags; a signal cuts the wait short. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/httpd.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "sys/notify.h"
#include "sys/options.h"
#include "sys/signals.h"
#include "relay/core/relay.h"
#include "relay_fleet.h"
#include "lockstep_log.h"
#include "room_file.h"
#include "metrics.h"
#include "settings.h"
#include "snapshot.h"
#include "stats_record.h"
#include "edges.h"
#include "relay_scripts.h"

#define TICK_US 100000 /* periodic work every 100 ms */
#define DRAIN_MS 500   /* at shutdown, at most this long for the goodbyes to be
                          acknowledged; over as soon as none is in flight */
#define FLEET_DRAIN_US 10000000 /* in a fleet, at most this long for the rooms to move */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

/* What the loop shares with the side thread (--metrics), and what it
 * measures for it. Without --metrics, board is NULL. */
struct beside {
    struct relay_board *board;
    struct relay_metrics *metrics;
    struct relay_readiness ready;
    struct relay_loop_figures loop;
    const struct relay_config *cfg;
};

/* A snapshot for the HTTP thread: taken on the loop (copies only), then
 * published; formatting happens over there. */
static void publish(struct beside *b, const struct relay *r, uint64_t now)
{
    if (!b->board)
        return;
    relay_snapshot_take(relay_board_back(b->board), r, b->cfg, &b->loop, &b->ready, now);
    relay_board_publish(b->board);
}

/* Tells a service manager (systemd Type=notify) how we are; a failure is
 * only a warning. */
static void notify(const char *state)
{
    char err[160];
    if (notify_service_manager(state, err, sizeof err) < 0)
        log_warn("relay: %s", err);
}

/* What /readyz reports: the directory's last answer, and whether a signal
 * started the drain (the service manager hears of it at once). */
static void readiness(struct beside *b, const struct relay_fleet *f)
{
    b->ready.directory_reachable = relay_fleet_reachable(f);
    if (stop_requested && !b->ready.draining) {
        b->ready.draining = true;
        notify("STOPPING=1");
    }
}

/* Is the loop over? Not until a signal asks; then, in a fleet, not until
 * its rooms have moved to other relays (at most FLEET_DRAIN_US). */
static bool loop_over(const struct relay *r, struct relay_fleet *f, uint64_t *drain_until)
{
    if (!stop_requested)
        return false;
    if (!f)
        return true;
    uint64_t now = clock_now_us();
    if (!*drain_until) {
        log_info("relay: draining: no new rooms, moving %u rooms to other relays",
                 (unsigned)relay_rooms(r));
        relay_fleet_drain(f, now);
        *drain_until = now + FLEET_DRAIN_US;
    }
    return relay_fleet_drained(f) || now >= *drain_until;
}

/* The one loop, until a signal asks to stop (and a fleet's drain is over)
 * or an edge fails (1). */
static int run(struct relay_edges *E, struct relay *r, struct relay_fleet *f,
               struct room_file *rf, struct lockstep_log *ll, struct relay_stats_out *so,
               uint32_t stats_interval_ms, struct beside *b)
{
    uint64_t start = so->start_us;
    uint64_t next_tick = start + TICK_US;
    uint64_t stats_every = (uint64_t)stats_interval_ms * 1000u;
    uint64_t next_stats = stats_every ? start + stats_every : UINT64_MAX;
    uint64_t drain_until = 0;
    while (!loop_over(r, f, &drain_until)) {
        relay_set_unix_time(r, clock_unix_s()); /* tickets expire by the wall clock */
        uint64_t woke;
        if (relay_edges_wait(E, r, relay_scripts_due(next_tick), &woke) < 0)
            return 1;
        relay_fleet_turn(f, woke); /* after a stall, leases checked before input */
        if (relay_edges_serve(E, r) < 0)
            return 1;
        uint64_t now = clock_now_us();
        relay_fleet_poll(f, now);
        /* the rooms' scripts, the fleet's results or the periodic work may send */
        bool tended = relay_scripts_run(now) || f != NULL;
        if (now >= next_tick) {
            tended = true;
            relay_edges_periodic(E, r, now);
            relay_fleet_tick(f, now);
            room_file_tick(rf, r, now);
            lockstep_log_tick(ll);
            readiness(b, f);
            relay_loop_second(&b->loop, relay_stats(r), now);
            publish(b, r, now);
            next_tick += TICK_US;
            if (next_tick <= now) /* we fell behind: do not catch up in a burst */
                next_tick = now + TICK_US;
        }
        if (now >= next_stats) {
            relay_stats_print(r, so, clock_now_us(), false);
            next_stats += stats_every;
            if (next_stats <= now)
                next_stats = now + stats_every;
        }
        if (stats_requested) {
            stats_requested = 0;
            relay_stats_print(r, so, clock_now_us(), false);
        }
        if (tended)
            relay_edges_flush(E, r); /* what the fleet and the periodic work queued */
        uint64_t end = clock_now_us();
        timehist_record(&b->loop.iteration, end - woke);
        if (b->board)
            relay_board_beat(b->board, end);
    }
    return 0;
}

/* The port of an "ip:port" or "[v6]:port" the transport bound. */
static uint16_t listen_port(const char *address)
{
    const char *colon = strrchr(address, ':');
    return colon ? (uint16_t)atoi(colon + 1) : 0;
}

/* Creates the edges and the core on them; exits 1 on failure. Every edge's
 * address is one a ticket may name. */
static struct relay *open_edges(struct relay_edges *E, struct relay_settings *s,
                                const struct relay_edge_spec *specs, size_t n)
{
    char err[512];
    struct relay_transport tp[RELAY_EDGES_MAX];
    if (relay_edges_open(E, specs, n, &s->net, err, sizeof err) != 0) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < E->n; i++)
        relay_settings_endpoint(s, E->e[i].ops->address(E->e[i].t));
    relay_edges_cores(E, tp);
    struct relay *r = relay_create(&s->core, tp, E->n);
    if (!r) {
        fprintf(stderr, "ricochet-relay: error: out of memory\n");
        relay_edges_close(E);
        exit(1);
    }
    return r;
}

/* Starts --metrics if asked: the board and the HTTP thread. Exits 1 on
 * failure (the port taken, ...). */
static void start_beside(struct beside *b, const struct relay_settings *s,
                         const union netaddr *at, const char *transport)
{
    char err[320];
    if (s->metrics[0] && relay_metrics_open(at, transport, &b->board, &b->metrics, err,
                                            sizeof err) != 0) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct relay_settings s;
    memset(&s, 0, sizeof s);
    options_parse_or_exit(&relay_program, &s, argc, argv);
    relay_settings_derive(&s);
    log_threshold = (enum log_level)s.log_level;
    if (s.log_json)
        log_set_sink(log_json_sink, "ricochet-relay");
    union netaddr metrics_at;
    char err[512];
    if (s.metrics[0] && httpd_parse_listen(s.metrics, &metrics_at, err, sizeof err) != 0)
        options_fail("ricochet-relay", "--metrics: %s", err);
    struct relay_edge_spec specs[RELAY_EDGES_MAX];
    int n_edges = relay_settings_edges(&s, specs, err, sizeof err);
    if (n_edges < 0)
        options_fail("ricochet-relay", "%s", err);
    if (relay_settings_tickets(&s, err, sizeof err) != 0 ||
        relay_settings_rooms(&s, err, sizeof err) != 0 || relay_scripts_check(&s, err, sizeof err))
        options_fail("ricochet-relay", "%s", err);
    options_checked(&relay_program);
    struct relay_edges E;
    struct relay *r = open_edges(&E, &s, specs, (size_t)n_edges);
    struct room_file *rf = room_file_start(s.room_file, r, s.core.max_rooms);
    struct lockstep_log *ll = lockstep_log_start(s.lockstep_log, r);
    signals_install(&stop_requested, &stats_requested, NULL);
    relay_scripts_start(r, &s); /* before any input: every room runs its script */
    relay_edges_say(&E); /* scripts and tests parse the first line's port: always said */
    relay_settings_warn(&s, relay_edges_beyond(&E));
    relay_edges_descriptors(&E, s.net.peer_cap);
    struct relay_fleet *f;
    char kinds[FLEET_TRANSPORT_MAX];
    if (relay_edges_kinds(&E, kinds, sizeof kinds) != 0)
        options_fail("ricochet-relay", "--directory: too many edges to register");
    if (relay_fleet_start(&f, &s.fleet, s.core.fleet_name, r, kinds,
                          listen_port(E.e[0].ops->address(E.e[0].t)), s.core.max_clients, err,
                          sizeof err))
        options_fail("ricochet-relay", "%s", err);
    if (relay_edges_watch(&E, relay_fleet_fd(f)) != 0) /* its results wake the loop */
        options_fail("ricochet-relay", "epoll_ctl: %s", strerror(errno));

    uint64_t start = clock_now_us();
    struct beside b = { .cfg = &s.core, .loop = { .start_us = start },
                        .ready = { .listening = true,
                                   .directory_configured = s.fleet.directory[0] != 0 } };
    readiness(&b, f);
    char names[RELAY_EDGES_MAX * RELAY_EDGE_NAME_MAX] = "";
    for (size_t i = 0; i < E.n; i++) /* "enet+udp": the page's and /stats.json's */
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "+" : "",
                 E.e[i].name);
    start_beside(&b, &s, &metrics_at, names);
    relay_loop_second(&b.loop, relay_stats(r), start);
    publish(&b, r, start);
    if (b.board)
        relay_board_beat(b.board, start);
    notify("READY=1");

    struct relay_stats_out so = {.json = s.stats_json || !isatty(STDOUT_FILENO),
                                 .start_us = start, .prev_us = start};
    int rc = run(&E, r, f, rf, ll, &so, s.stats_interval_ms, &b);
    room_file_close(rf, r); /* written before the goodbyes empty the rooms */
    if (stop_requested)
        log_info("relay: stopping: telling %u clients", (unsigned)relay_clients(r));
    readiness(&b, f); /* /readyz answers 503 while the goodbyes go out */
    publish(&b, r, clock_now_us());
    relay_shutdown(r, clock_now_us());
    relay_edges_drain(&E, r, DRAIN_MS);
    relay_fleet_stop(f); /* after the goodbyes: Agones' /shutdown comes last */
    relay_stats_print(r, &so, clock_now_us(), true);
    relay_metrics_stop(b.metrics);
    relay_board_destroy(b.board);
    relay_scripts_stop(); /* before the core it is installed in */
    relay_destroy(r);
    lockstep_log_close(ll); /* after the rooms' ends were written */
    relay_edges_close(&E);
    return rc;
}
