/* bench_measure.c: one process's part of a run (see run_internal.h): its
 * clients, the constant-rate loop over the window, the figures. */
#include "run_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "lab/harness/figures.h"
#include "stats/pattern.h"
#include "sys/clock.h"
#include "sys/log.h"

#define QUIET_MIN_US 300000    /* unreliable drain: silence that ends it */
#define FLEET_REJOIN_MS 60000  /* a fleet's client rejoins a lost relay this long */
#define LATE_BOUND_US 200000   /* a lossless mode's state later than the path by this much (Linux's
                                  least TCP retransmission timeout) was held back by a loss,
                                  on a host that keeps up: the audit checks it */

/* The client that sent as id to receiver i. A fleet's relays hand out ids
 * each on its own: there the sender is the member of i's room with that
 * id on the relay now (ids change when a client moves). */
static int peer_index(const struct run *run, size_t i, uint32_t id)
{
    if (run->n_fleet) {
        size_t first = i / run->k * run->k;
        for (size_t s = first; s < first + run->k && s < run->n; s++)
            if (run->peers[s].id == id && s != i)
                return (int)s;
        return -1;
    }
    if (id == 0 || id > run->max_id)
        return -1;
    return run->index_of_id[id];
}

/* A welcome: the first one's join latency; a fleet's client welcomed again
 * after the event (its id on its new relay, how long that took). */
static void on_welcome(struct run *run, size_t i, const struct ricochet_event *ev)
{
    struct peer *p = &run->peers[i];
    p->id = ev->id;
    if (!p->welcomed) {
        p->welcomed = true;
        uint64_t created = client_created_us(p->c);
        histogram_record(run->join, ev->recv_us > created ? ev->recv_us - created : 0);
    }
    if (p->moving && !run->tearing_down) {
        p->moving = false;
        if (ev->recv_us - run->event_us > run->r->rejoin_us)
            run->r->rejoin_us = ev->recv_us - run->event_us;
    }
}

/* Sender s's place in receiver i's row of run->rs; -1 if not in i's room. */
static long room_slot(const struct run *run, size_t i, size_t s)
{
    size_t first = i / run->k * run->k;
    return s >= first && s < first + run->k ? (long)(s - first) : -1;
}

/* Members of client i's room (the last room may be smaller). */
static size_t room_members(const struct run *run, size_t i)
{
    size_t first = i / run->k * run->k;
    return run->n - first < run->k ? run->n - first : run->k;
}

/* The timeline bucket of a state intended for t (in the window), or -1. */
static long bucket_of(const struct run *run, uint64_t t)
{
    uint64_t b = (t - run->win_start) / BENCH_TIMELINE_BUCKET_US;
    return b < BENCH_TIMELINE_MAX ? (long)b : -1;
}

/* Later than this (one-way, µs) a lossless mode's state must have been
 * held back by a drop (INT64_MAX: not judged in other modes). Over HTTP
 * polling a state also waits for the question: a short poll's interval,
 * or a long poll's next GET on its way up (the path once more). */
static int64_t run_late_bound_us(const struct run *run)
{
    if (!proto_mode_lossless(run->mode))
        return INT64_MAX;
    double path_us = (run->params->delay_ms + run->params->jitter_ms) * 1000.0;
    const struct bench_lane *l = bench_lane_of((struct bench_mode){run->mode, run->carrier});
    double ask_us = l->transport != RICOCHET_TRANSPORT_POLL ? 0
                    : run->r->poll_interval_ms ? run->r->poll_interval_ms * 1000.0 : path_us;
    return (int64_t)(path_us + ask_us) + LATE_BOUND_US;
}

/* A window state from the pair's sender arrived at now: the longest gap
 * between two of them so far. */
static void note_gap(struct run *run, size_t pair, uint64_t now)
{
    uint64_t last = run->last_rx[pair];
    if (last && now > last && now - last > run->r->max_gap_us)
        run->r->max_gap_us = now - last;
    run->last_rx[pair] = now;
}

bool run_payload_intact(const struct ricochet *c, const struct ricochet_event *ev,
                        long payload)
{
    size_t len, want = payload > PROTO_STATE_SIZE ? (size_t)payload - PROTO_STATE_SIZE : 0;
    const uint8_t *p = ricochet_event_bytes(c, &len);
    bool ok = len == want && (want < PATTERN_MIN || pattern_ok(ev->state.seq, p, len));
    if (!ok)
        log_warn("bench: a corrupted payload from %u (seq %u, %zu bytes, %zu sent)",
                 (unsigned)ev->id, (unsigned)ev->state.seq, len, want);
    return ok;
}

/* --payload-check: counted in the run's audit. */
static void check_payload(struct run *run, size_t i, const struct ricochet_event *ev)
{
    struct audit_result *a = &run->r->audit;
    a->payload_checked++;
    a->payload_corrupt += !run_payload_intact(run->peers[i].c, ev, run->params->payload);
}

/* A state from another member: latency, the audit, the receive statistics,
 * the strip, gaps and the timeline. */
static void on_state(struct run *run, size_t i, const struct ricochet_event *ev)
{
    int s = peer_index(run, i, ev->id);
    if (s < 0 || (size_t)s == i || room_slot(run, i, (size_t)s) < 0)
        return;
    uint64_t t = ev->state.send_us;
    if (run->cfg->payload_check)
        check_payload(run, i, ev);
    /* any state, warm-up included: how long the path holds one */
    if (ev->recv_us > t && ev->recv_us - t > run->max_latency_us)
        run->max_latency_us = ev->recv_us - t;
    if (t < run->win_start || t >= run->win_end)
        return; /* warm-up, or a stray */
    /* latency corrected by the clocks' offsets to the relay (one process
     * here: the same clock, so uncorrected; the bound shows it) */
    if (ev->latency_bound_us > run->r->clock_bound_us)
        run->r->clock_bound_us = ev->latency_bound_us;
    if (run->track) /* while tearing down: arrived after the counting */
        audit_track_got(run->track, i, (size_t)s, ev->state.seq,
                        run->tearing_down ? AUDIT_GOT_LATE : AUDIT_GOT);
    /* late on the way: from when it left, not from its intended time */
    uint64_t left = run->track ? audit_track_when_sent(run->track, (size_t)s,
                                                       ev->state.seq) : 0;
    if (left && !run->tearing_down && ev->recv_us > left &&
        (int64_t)(ev->recv_us - left) > run_late_bound_us(run))
        audit_track_got(run->track, i, (size_t)s, ev->state.seq, AUDIT_SLOW);
    size_t pair = i * run->k + (size_t)room_slot(run, i, (size_t)s);
    if (recv_stats_record(&run->rs[pair], ev->state.seq,
                          ev->recv_us - (uint64_t)ev->latency_us, ev->recv_us,
                          run->r->latency) == 1) {
        run->delivered++;
        if (run->first + i == STRIP_RECEIVER && !run->tearing_down)
            run_strip_got(run, (size_t)s, ev->state.seq, ev->latency_us);
        run->last_arrival_us = ev->recv_us;
        note_gap(run, pair, ev->recv_us);
        long b = bucket_of(run, t);
        if (b >= 0 && run_fleet_in_timeline(run, (size_t)s, t)) {
            run->r->timeline.delivered[b]++;
            run->r->timeline.late[b] +=
                (double)ev->latency_us > run->cfg->recovered_p99_ms * 1000.0;
        }
    }
}

static void on_event(struct run *run, size_t i, const struct ricochet_event *ev)
{
    struct peer *p = &run->peers[i];
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        on_welcome(run, i, ev);
        return;
    case RICOCHET_EV_MOVED:
        if (run->event_us && !p->moving && !run->tearing_down) {
            p->moving = true;
            run->r->moved++;
        }
        return;
    case RICOCHET_EV_STATE:
        on_state(run, i, ev);
        return;
    case RICOCHET_EV_TOO_OLD: {
        /* sequenced: dropped by the client library to keep the sender's order */
        int s = peer_index(run, i, ev->id);
        uint64_t t = ev->state.send_us;
        if (s < 0 || (size_t)s == i || room_slot(run, i, (size_t)s) < 0)
            return;
        if (t < run->win_start || t >= run->win_end)
            return;
        run->rs[i * run->k + (size_t)room_slot(run, i, (size_t)s)].too_old++;
        if (run->track && !run->tearing_down)
            audit_track_got(run->track, i, (size_t)s, ev->state.seq, AUDIT_TOO_OLD);
        return;
    }
    case RICOCHET_EV_DISCONNECTED:
        if (!p->dead) {
            p->dead = true;
            if (run->tearing_down)
                return;
            run->r->disconnects++;
            run_log(run, "client %zu disconnected: %s", i, ricochet_end_reason(p->c));
        }
        return;
    default:
        return;
    }
}

/* swarm hooks */
static void swarm_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    on_event(ctx, i, ev);
}

static void swarm_created(void *ctx, size_t i, struct ricochet *c)
{
    struct run *run = ctx;
    run->peers[i].c = c;
}

static void swarm_sent(void *ctx, size_t i, uint64_t t, bool ok)
{
    struct run *run = ctx;
    if (t < run->win_start || t >= run->win_end)
        return;
    run->peers[i].sent_window++;
    long b = bucket_of(run, t);
    if (b >= 0 && run_fleet_in_timeline(run, i, t))
        run->r->timeline.expected[b] += room_members(run, i) - 1;
    uint64_t now = clock_now_us();
    histogram_record(run->r->send_late, now > t ? now - t : 0);
    if (!ok)
        run->r->send_errors++;
    if (ok && run->first == 0 && i != STRIP_RECEIVER && STRIP_RECEIVER < run->n &&
        room_slot(run, STRIP_RECEIVER, i) >= 0)
        run_strip_sent(run, i, client_next_seq(run->peers[i].c) - 1, t);
    if (run->track && ok) { /* the library numbered it just now */
        audit_track_sent(run->track, i, client_next_seq(run->peers[i].c) - 1);
        audit_track_sent_at(run->track, i, client_next_seq(run->peers[i].c) - 1, now);
    }
    else if (run->track)
        audit_track_failed(run->track, i);
}

void run_service(struct run *run, uint64_t wait_us)
{
    swarm_service(run->sw, wait_us);
    for (size_t i = 0; i < run->n; i++)
        run->peers[i].dead = swarm_dead(run->sw, i);
}

/* The local endpoint of socket fd as netsim names it (if bound to any,
 * the address the kernel picks towards the relay: the client side's) into
 * *ep. Returns 0 or -1. */
static int socket_endpoint(const struct run *run, int fd, union netaddr *ep)
{
    socklen_t len = sizeof *ep;
    if (getsockname(fd, &ep->sa, &len) != 0 || netaddr_from_sockaddr(ep, &ep->sa, len) != 0)
        return -1;
    run_client_side(run, ep);
    return 0;
}

/* Client c's flows as netsim names them: the endpoint its messages leave
 * from and the one the relay's come down to (one socket, but over HTTP
 * polling two connections: the POSTs' up, the GETs' down) and ENet's
 * header peer ids. Returns 0 or -1. */
static int client_flows(const struct run *run, struct ricochet *c, struct audit_client *ac)
{
    union netaddr up, down;
    if (socket_endpoint(run, client_socket_up(c), &up) != 0 ||
        socket_endpoint(run, client_socket(c), &down) != 0)
        return -1;
    struct client_netinfo ni;
    client_netinfo(c, &ni);
    ac->id = ricochet_id(c);
    ac->up = (struct audit_flow){.ep = up, .peer = (int16_t)ni.enet_peer_out};
    ac->down = (struct audit_flow){.ep = down, .peer = (int16_t)ni.enet_peer_in};
    return 0;
}

/* The audit's records: every client's flows, and room for the states of
 * the window (each sender's at most duration / period + 2). */
static int audit_setup(struct run *run)
{
    uint64_t period = (uint64_t)llround(1e6 / run->params->rate_hz);
    size_t cap = (size_t)((uint64_t)run->cfg->duration_ms * 1000u / (period ? period : 1)) + 2;
    run->aclients = calloc(run->n, sizeof *run->aclients);
    run->track = audit_track_new(run->n, run->k, cap);
    if (!run->aclients || !run->track)
        return run_fail(run, "out of memory (audit of %zu clients)", run->n);
    for (size_t i = 0; i < run->n; i++)
        if (client_flows(run, run->peers[i].c, &run->aclients[i]) != 0)
            return run_fail(run, "getsockname: %s", strerror(errno));
    return 0;
}

int run_setup_clients(struct run *run, const char *host, int port)
{
    size_t n = run->n;
    const struct bench_lane *lane = bench_lane_of((struct bench_mode){run->mode, run->carrier});
    uint32_t try_ms = run_connect_try_ms(run->cfg->setup_timeout_ms, run->mode, lane->transport);
    struct swarm_config sc = {.host = host, .port = (uint16_t)port, .clients = n,
                              .first = run->first,
                              .room_size = run->k < n ? run->k : 0,
                              .room = "bench", .name = "bench", .mode = run->mode,
                              .timeout_ms = run_fleet_client_timeout_ms(run),
                              .connect_timeout_ms = try_ms,
                              .create_gap_us = run->cfg->join_gap_us,
                              .rate_hz = run->params->rate_hz,
                              .payload = (size_t)run->params->payload,
                              .payload_check = run->cfg->payload_check,
                              .per_host = (size_t)run->cfg->per_host,
                              .wire_hubs = !run->cfg->enet_hosts,
                              /* straight to a relay on loopback: udp clients share
                                 sockets as the ENet ones do (swarm.h) */
                              .udp_hubs = !run->r->with_netsim,
                              .send_grain_us = run->cfg->send_grain_us,
                              .tickets = run->tickets.list,
                              .ports = run->n_fleet ? run->fleet_ports : NULL,
                              .n_ports = run_fleet_entries(run),
                              .rejoin_ms = run->n_fleet ? FLEET_REJOIN_MS : 0,
                              .transport = (enum ricochet_transport)lane->transport,
                              .poll_interval_ms = run->r->poll_interval_ms,
                              .keylog = run->keylog[0] ? run->keylog : NULL,
                              /* a client whose connect failed connects again, as a
                                 game's would: one lost handshake on a busy machine is
                                 no failed run */
                              .retry_connects = true};
    struct swarm_hooks hooks = {.ctx = run, .sent = swarm_sent, .event = swarm_event,
                                .created = swarm_created};
    /* no window yet: nothing counts before run_measure() sets it */
    run->win_start = run->win_end = UINT64_MAX;
    /* from before the clients are created: thousands take a while, and
     * --setup-timeout bounds the whole setup (the parent of --procs counts
     * on that) */
    uint64_t deadline = clock_now_us() + (uint64_t)run->cfg->setup_timeout_ms * 1000u;
    if (run_swarm_start(run, &sc, &hooks, deadline) != 0)
        return -1;
    /* (DTLS or TLS encrypts a WebRTC or QUIC session whole: the relay seals none) */
    bool secure = lane->secure;
    for (size_t i = 0; run->cfg->encrypt && !secure && i < n; i++)
        if (!ricochet_sealed(run->peers[i].c))
            return run_fail(run, "%s: the relay did not seal its session (is it run with "
                            "--encrypt?)", swarm_name(run->sw, i));
    run->r->join_p50_us = histogram_percentile(run->join, 50);
    run->r->join_p99_us = histogram_percentile(run->join, 99);
    if (run->n_fleet)
        run->r->split_rooms = run_fleet_split_rooms(run);
    uint32_t max_id = 0;
    for (size_t i = 0; i < n; i++) {
        run->peers[i].id = ricochet_id(run->peers[i].c);
        if (run->peers[i].id > max_id)
            max_id = run->peers[i].id;
    }
    run->max_id = max_id;
    run->index_of_id = malloc(((size_t)max_id + 1) * sizeof *run->index_of_id);
    if (!run->index_of_id)
        return run_fail(run, "out of memory");
    for (uint32_t id = 0; id <= max_id; id++)
        run->index_of_id[id] = -1;
    for (size_t i = 0; i < n; i++)
        run->index_of_id[run->peers[i].id] = (int32_t)i;
    return run->drop_log[0] ? audit_setup(run) : 0;
}

double run_cpu_self_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void run_relay_figures(struct run *run, const struct spawn_usage *relay0, uint64_t wall0_us)
{
    struct bench_result *r = run->r;
    double elapsed = (double)(clock_now_us() - wall0_us) / 1e6;
    struct spawn_usage u;
    if (!run->relay_started || spawn_usage(&run->relay, &u) != 0)
        return;
    r->relay_measured = true;
    r->relay_cpu_s = u.cpu_s - relay0->cpu_s;
    r->relay_cpu_pct = 100.0 * r->relay_cpu_s / (elapsed > 0 ? elapsed : 1e-6);
    r->relay_peak_rss_kb = u.hwm_kb;
}

/* The kernel's count of datagrams dropped on each client's socket, and on
 * netsim's and the relay's. */
static void socket_drops(struct run *run)
{
    int *fds = calloc(run->n, sizeof *fds);
    uint64_t *drops = calloc(run->n, sizeof *drops);
    size_t *owner = calloc(run->n, sizeof *owner);
    if (fds && drops && owner) {
        for (size_t i = 0; i < run->n; i++)
            fds[i] = client_socket(run->peers[i].c);
        audit_socket_drops(fds, run->n, drops, owner);
        for (size_t i = 0; i < run->n; i++) {
            run->aclients[i].socket_drops = drops[i];
            run->aclients[i].socket_owner = owner[i];
        }
    }
    free(fds);
    free(drops);
    free(owner);
    /* and the path's: a state netsim or the relay never read shows here */
    struct audit_result *a = &run->r->audit;
    if (run->netsim_started)
        audit_process_socket_drops(run->netsim.pid, &a->netsim_socket_drops);
    if (run->relay_started)
        audit_process_socket_drops(run->relay.pid, &a->relay_socket_drops);
}

/* What run_measure() takes at the start of the window, to report differences. */
struct window_start {
    struct client_netinfo wire;
    bool tcp_ok;                                 /* tcp holds the TCP counters */
    uint64_t tcp[2][BENCH_TCP_COUNTERS];
    struct spawn_usage relay;
    double fleet_cpu_s;
    double self_cpu_s;
    uint64_t wall_us;
};

/* The run's figures at the end of the drain, before anything is stopped:
 * bench CPU, relay CPU/RSS, wire bytes and datagrams since w0, ENet's view
 * (averaged over the live ENet clients) and the socket drops. */
static void record_figures(struct run *run, const struct window_start *w0)
{
    size_t n = run->n;
    struct bench_result *r = run->r;
    uint64_t now = clock_now_us();
    double elapsed = (double)(now - w0->wall_us) / 1e6;
    if (elapsed <= 0)
        elapsed = 1e-6;
    r->bench_cpu_pct = 100.0 * (run_cpu_self_s() - w0->self_cpu_s) / elapsed;
    run_relay_figures(run, &w0->relay, w0->wall_us);
    if (run->n_fleet) { /* every relay's CPU together (a killed one's stops counting) */
        r->relay_measured = true;
        r->relay_cpu_s = run_fleet_cpu_s(run) - w0->fleet_cpu_s;
        r->relay_cpu_pct = 100.0 * r->relay_cpu_s / elapsed;
    }
    struct client_netinfo wire;
    swarm_wire(run->sw, &wire);
    r->wire_bytes = (wire.bytes_sent - w0->wire.bytes_sent) +
                    (wire.bytes_received - w0->wire.bytes_received);
    r->wire_datagrams = (wire.datagrams_sent - w0->wire.datagrams_sent) +
                        (wire.datagrams_received - w0->wire.datagrams_received);
    r->wire_bps = figures_wire_bytes(r->mode, r->wire_bytes, r->wire_datagrams) * 8.0 / elapsed;
    size_t enet_n = 0;
    for (size_t i = 0; i < n; i++) {
        struct peer *p = &run->peers[i];
        struct client_netinfo ni;
        client_netinfo(p->c, &ni);
        if (run->aclients) /* what the audit may explain by it */
            run->aclients[i].queue_drops = ni.quic_datagrams_dropped;
        if (proto_mode_info(run->mode)->enet && run->carrier == RICOCHET_TRANSPORT_DEFAULT &&
            !p->dead) {
            r->enet_rtt_ms += ni.enet_rtt_ms;
            r->enet_loss_pct += 100.0 * ni.enet_loss;
            enet_n++;
        }
    }
    if (enet_n) {
        r->enet_rtt_ms /= (double)enet_n;
        r->enet_loss_pct /= (double)enet_n;
    }
    r->enet_clients = enet_n;
    uint64_t tcp[2][BENCH_TCP_COUNTERS];
    if (w0->tcp_ok && run_tcp_counters(run, tcp) == 0) {
        r->tcp.valid = true;
        for (int side = 0; side < 2; side++)
            for (int k = 0; k < BENCH_TCP_COUNTERS; k++)
                r->tcp.n[side][k] = tcp[side][k] - w0->tcp[side][k];
    }
    run->listen_end_us = clock_now_us();
    if (run->aclients)
        socket_drops(run);
}

int run_measure(struct run *run, uint64_t t0)
{
    size_t n = run->n;
    run->win_start = t0 + (uint64_t)run->cfg->warmup_ms * 1000u;
    run->win_end = run->win_start + (uint64_t)run->cfg->duration_ms * 1000u;
    uint64_t drain_end = run->win_end + (uint64_t)run->cfg->grace_ms * 1000u;
    swarm_schedule(run->sw, t0);

    bool window_started = false;
    struct window_start w0 = {0};

    for (;;) {
        uint64_t now = clock_now_us();
        if (!window_started && now >= run->win_start) {
            window_started = true;
            swarm_wire(run->sw, &w0.wire);
            if (run->relay_started)
                spawn_usage(&run->relay, &w0.relay);
            w0.fleet_cpu_s = run_fleet_cpu_s(run);
            w0.self_cpu_s = run_cpu_self_s();
            w0.tcp_ok = proto_mode_info(run->mode)->stream && run_tcp_counters(run, w0.tcp) == 0;
            w0.wall_us = now;
            run_fleet_redis_calls(run, now);
        }
        if (run_stop)
            return run_fail(run, "interrupted");
        run_pause_step(run, now);
        if (run->n_fleet) {
            run_fleet_event(run, now);
            run_probe_step(run, now);
        }
        /* sends that are due, late ones included with their intended time */
        if (swarm_step(run->sw, run->win_end) != UINT64_MAX)
            continue;
        for (size_t i = 0; i < n; i++)
            run->peers[i].dead = swarm_dead(run->sw, i);
        uint64_t expected = 0;
        for (size_t i = 0; i < n; i++)
            expected += run->peers[i].sent_window * (room_members(run, i) - 1);
        now = clock_now_us();
        if (now >= drain_end || run->delivered >= expected)
            break;
        /* Unreliable modes never retransmit and netsim holds a datagram
         * for a bounded time: once nothing arrived for a while after the
         * last send, nothing will. Reliable mode can stall silently. */
        if (!proto_mode_lossless(run->mode)) {
            uint64_t last = run->last_arrival_us > run->win_end ? run->last_arrival_us
                                                                : run->win_end;
            uint64_t quiet = 2 * run->max_latency_us;
            if (quiet < QUIET_MIN_US)
                quiet = QUIET_MIN_US;
            if (now >= last + quiet)
                break;
        }
    }

    run_fleet_redis_calls(run, clock_now_us());
    run_probe_finish(run);
    record_figures(run, &w0);
    return 0;
}

double bench_recovery_ms(const struct bench_timeline *tl, uint64_t resumed_us)
{
    size_t on_time_from = SIZE_MAX; /* the first bucket of the on-time run so far */
    for (size_t b = (size_t)(resumed_us / BENCH_TIMELINE_BUCKET_US); b < BENCH_TIMELINE_MAX;
         b++) {
        if (!tl->expected[b])
            continue;
        bool on_time = tl->delivered[b] * 100 >= tl->expected[b] * 99 &&
                       tl->late[b] * 100 <= tl->delivered[b];
        if (!on_time)
            on_time_from = SIZE_MAX;
        else if (on_time_from == SIZE_MAX)
            on_time_from = b;
    }
    if (on_time_from == SIZE_MAX)
        return -1;
    uint64_t at = (uint64_t)on_time_from * BENCH_TIMELINE_BUCKET_US;
    return at > resumed_us ? (double)(at - resumed_us) / 1000.0 : 0;
}

void bench_result_derive(struct bench_result *r)
{
    r->lost_pct = figures_lost_pct(r->expected, r->delivered);
    const struct histogram *h = r->latency;
    r->p50_us = histogram_percentile(h, 50);
    r->p90_us = histogram_percentile(h, 90);
    r->p99_us = histogram_percentile(h, 99);
    r->p999_us = histogram_percentile(h, 99.9);
    r->max_us = histogram_percentile(h, 100);
    r->mean_us = histogram_mean(h);
    r->late_p50_us = histogram_percentile(r->send_late, 50);
    r->late_p99_us = histogram_percentile(r->send_late, 99);
    r->bytes_per_msg = figures_bytes_per_state(r->mode, r->wire_bytes, r->wire_datagrams,
                                               r->delivered);
    r->relay_us_per_delivery = r->delivered ? r->relay_cpu_s * 1e6 / (double)r->delivered : 0;
    if (r->pause_ms > 0)
        r->recovery_ms = bench_recovery_ms(&r->timeline, (uint64_t)(r->pause_at_s * 1e6 +
                                                                   r->pause_ms * 1e3));
    else if (r->event_at_s > 0)
        r->recovery_ms = bench_recovery_ms(&r->timeline, (uint64_t)(r->event_at_s * 1e6));
}

/* Per-room delivery: the worst room, and how many are under 99.9 %. */
static void summarize_rooms(struct run *run)
{
    struct bench_result *r = run->r;
    r->rooms = (run->n + run->k - 1) / run->k;
    r->worst_room_pct = 100;
    for (size_t first = 0; first < run->n; first += run->k) {
        uint64_t expected = 0, got = 0;
        size_t m = room_members(run, first);
        for (size_t i = first; i < first + m; i++)
            for (size_t s = first; s < first + m; s++)
                if (s != i) {
                    expected += run->peers[s].sent_window;
                    got += run->rs[i * run->k + (s - first)].received;
                }
        double pct = expected ? 100.0 * (double)got / (double)expected : 100;
        if (pct < r->worst_room_pct)
            r->worst_room_pct = pct;
        r->rooms_below += pct < 99.9;
    }
}

void run_summarize(struct run *run)
{
    struct bench_result *r = run->r;
    size_t n = run->n;
    double jsum = 0;
    size_t jn = 0;
    for (size_t i = 0; i < n; i++) {
        r->sent += run->peers[i].sent_window;
        r->expected += run->peers[i].sent_window * (room_members(run, i) - 1);
        size_t first = i / run->k * run->k;
        for (size_t s = first; s < first + room_members(run, i); s++) {
            if (s == i)
                continue;
            const struct recv_stats *st = &run->rs[i * run->k + (s - first)];
            if (st->received < run->peers[s].sent_window)
                run_log(run, "client %zu got %llu of %llu states from client %zu", i,
                        (unsigned long long)st->received,
                        (unsigned long long)run->peers[s].sent_window, s);
            r->delivered += st->received;
            r->duplicates += st->duplicates;
            r->reordered += st->reordered;
            r->too_old += st->too_old;
            if (st->received >= 2) {
                jsum += st->jitter_us;
                jn++;
            }
        }
    }
    summarize_rooms(run);
    run_strip_finish(run);
    r->jitter_us = jn ? jsum / (double)jn : 0;
    r->jitter_pairs = jn;
    bench_result_derive(r);
}
