/* bench_run.c: one benchmark run (see bench.h): the relay and netsim it
 * starts (bench_children.c), its clients in this process (bench_measure.c)
 * or in --procs generators (bench_procs.c), the teardown and the audit. */
#include "run_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/harness/children.h"
#include "sys/clock.h"

#define DISCONNECT_WAIT_US 500000 /* clients hearing the relay's goodbye */

void bench_config_default(struct bench_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->bin, sizeof cfg->bin, "build/bin");
    cfg->duration_ms = 5000;
    cfg->warmup_ms = 1000;
    cfg->grace_ms = 2000;
    cfg->setup_timeout_ms = 10000;
    cfg->seed = 1;
}

void bench_result_free(struct bench_result *r)
{
    free(r->latency);
    r->latency = NULL;
    free(r->send_late);
    r->send_late = NULL;
    free(r->strip.marks);
    r->strip = (struct bench_strip){0};
}

struct bench_mode bench_result_mode(const struct bench_result *r)
{
    return (struct bench_mode){r->mode, r->carrier};
}

/* Stops relays[0..n) with SIGTERM (each says goodbye; a fleet's relay
 * drains first) while servicing the clients so they answer and see their
 * DISCONNECT, which makes freeing them quick; then reads and frees them. */
static void stop_relays(struct run *run, struct spawn_proc *relays, size_t n)
{
    run_log(run, "stopping %zu relay%s", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        spawn_signal(&relays[i], SIGTERM);
    uint64_t deadline = clock_now_us() + (uint64_t)STOP_WAIT_MS * 1000u;
    bool gone = false; /* the relays were all down once: the deadline moved once */
    for (;;) {
        bool relay_up = false;
        for (size_t i = 0; i < n; i++)
            relay_up |= spawn_running(&relays[i]);
        size_t alive = 0;
        if (run->sw)
            run_service(run, 0);
        for (size_t i = 0; run->sw && i < run->n; i++)
            alive += !run->peers[i].dead;
        /* udp clients are not told reliably; they just close (so do a
         * stream's: the relay's end closes each connection at once) */
        if (!proto_mode_info(run->mode)->enet)
            alive = 0;
        if ((!relay_up && alive == 0) || clock_now_us() >= deadline)
            break;
        /* Clients that rejoin (a fleet's) never end: wait for them once. */
        if (!relay_up && !gone && clock_now_us() + DISCONNECT_WAIT_US > deadline)
            deadline = clock_now_us() + DISCONNECT_WAIT_US;
        gone |= !relay_up;
        clock_sleep_until_us(clock_now_us() + 1000);
    }
    for (size_t i = 0; i < n; i++) {
        spawn_stop(&relays[i], SIGKILL, STOP_WAIT_MS); /* if it still runs */
        char *out = spawn_read_stdout(&relays[i]);
        if (out) {
            run->r->relay_drops += children_relay_drops(out, NULL);
            /* states it shed when it fell behind: the audit's to explain */
            run->r->audit.relay_stale += children_relay_drops(out, "stale");
            /* pairs it never sent for a full or held-back queue: the same */
            run->r->audit.relay_queued += children_relay_drops(out, "slow_reader") +
                                          children_relay_edges_sum(out, "conflated");
        }
        free(out);
        spawn_free(&relays[i]);
    }
    run_log(run, "relay%s stopped", n == 1 ? "" : "s");
}

/* Stops the relays first (they say goodbye to the clients through
 * netsim), then netsim (its counters), then frees the clients. */
static void teardown(struct run *run)
{
    struct bench_result *r = run->r;
    run->tearing_down = true;
    run_pause_step(run, UINT64_MAX); /* a stopped relay cannot stop */
    run_probe_finish(run);
    if (run->relay_started)
        stop_relays(run, &run->relay, 1);
    if (run->n_fleet)
        stop_relays(run, run->fleet, run->n_fleet);
    run_stop_directory(run);
    if (run->netsim_started) {
        run_log(run, "stopping netsim");
        spawn_stop(&run->netsim, SIGTERM, STOP_WAIT_MS);
        char *out = spawn_read_stdout(&run->netsim);
        if (out && bench_parse_netsim(out, &r->truth) == 0 && r->ok)
            r->loss_diff_pct = r->lost_pct - r->truth.e2e_loss_pct;
        else if (r->ok)
            snprintf(r->error, sizeof r->error, "netsim printed no final counters");
        free(out);
        if (r->truth.valid)
            r->netsim_seed = r->truth.seed;
    }
    run_log(run, "freeing the clients");
    swarm_destroy(run->sw);
    run_log(run, "clients freed");
    if (run->netsim_started)
        spawn_free(&run->netsim);
}

/* Reconciles the run with netsim's drop log (netsim has stopped: the log
 * is complete), then removes a temporary log and the records. */
static void audit_finish(struct run *run, bool ok)
{
    struct audit_result *a = &run->r->audit;
    if (ok && run->track) {
        char err[160];
        FILE *f = fopen(run->drop_log, "r");
        struct audit_log *log = f ? audit_log_read(f, err, sizeof err) : NULL;
        if (!f)
            snprintf(err, sizeof err, "%.100s: %s", run->drop_log, strerror(errno));
        if (f)
            fclose(f);
        if (log) {
            audit_reconcile(run->track, run->aclients, log, run->mode, run->listen_end_us, a);
            a->done = true;
        } else {
            snprintf(a->skipped, sizeof a->skipped, "drop log: %.80s", err);
        }
        audit_log_free(log);
    }
    if (run->drop_log[0] && !run->cfg->drop_log_dir[0])
        unlink(run->drop_log);
    if (run->keylog[0] && !run->cfg->drop_log_dir[0])
        unlink(run->keylog);
    audit_track_free(run->track);
    free(run->aclients);
    run->track = NULL;
    run->aclients = NULL;
}

/* The relay to measure: --relay ADDR:PORT, the first of a --fleet started
 * for the run, or one relay started for it. */
static int relay_endpoint(struct run *run, char *host, size_t cap, int *port)
{
    const char *spec = run->cfg->relay;
    if (run->cfg->fleet && !spec[0]) {
        if (run_start_fleet(run) != 0)
            return -1;
        *port = run->fleet_ports[0];
        return 0;
    }
    if (!spec[0])
        return run_start_relay(run, port);
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
        run_fail(run, "--relay wants ADDR:PORT, got \"%s\"", spec);
        return -1;
    }
    snprintf(host, cap, "%.*s", (int)(colon - spec), spec);
    *port = atoi(colon + 1);
    return 0;
}

/* The relay and netsim of the run: through the UDP proxy (the relay
 * first, netsim in front of it), or in IP mode (the wire first: the relay
 * binds its side's address). *host and *port: where the clients go.
 * Returns 0, or -1 (run_fail'ed). */
static int run_network(struct run *run, char *relay_host, size_t cap, const char **host,
                       int *port)
{
    const struct bench_result *r = run->r;
    int relay_port = 0;
    if (run->webrtc) {
        /* the offers go to the ws edge directly; netsim sits in front of the
         * webrtc edge, whose answers name it */
        if ((r->with_netsim && run_pick_advertise(run) != 0) ||
            relay_endpoint(run, relay_host, cap, &relay_port) != 0)
            return -1;
        int through;
        if (r->with_netsim && run_start_netsim(run, relay_host, run->webrtc_port, &through) != 0)
            return -1;
        *host = relay_host;
        *port = relay_port;
    } else if (r->ip_mode) {
        if (run_start_netsim(run, NULL, 0, port) != 0 ||
            relay_endpoint(run, relay_host, cap, &relay_port) != 0)
            return -1;
        *host = run_relay_host(run);
        *port = relay_port;
    } else {
        if (relay_endpoint(run, relay_host, cap, &relay_port) != 0)
            return -1;
        *port = relay_port;
        if (r->with_netsim && run_start_netsim(run, relay_host, relay_port, port) != 0)
            return -1;
        *host = r->with_netsim ? "127.0.0.1" : relay_host;
    }
    run_log(run, "%s: %ld clients at %g Hz -> %s:%d%s", bench_mode_name(bench_result_mode(r)),
            run->params->clients, run->params->rate_hz, *host, *port,
            r->ip_mode                       ? " (netsim's IP mode)"
            : r->with_netsim && run->webrtc ? " (the offers; the sessions through netsim)"
            : r->with_netsim                ? " (netsim)"
                                            : "");
    return 0;
}

int bench_run(const struct bench_config *cfg, const struct bench_params *params,
              struct bench_mode mode, struct bench_result *r)
{
    memset(r, 0, sizeof *r);
    r->params = *params;
    r->mode = mode.mode;
    r->carrier = mode.carrier;
    r->webrtc = mode.carrier == RICOCHET_TRANSPORT_WEBRTC;
    r->poll_interval_ms = bench_lane_of(mode)->poll_interval_ms ? cfg->poll_every_ms : 0;
    r->ok = true;
    struct run run = {.cfg = cfg, .params = params, .mode = mode.mode, .carrier = mode.carrier,
                      .webrtc = r->webrtc, .r = r};
    run.n = (size_t)params->clients;
    run.k = cfg->room_size > 0 && (size_t)cfg->room_size < run.n ? (size_t)cfg->room_size
                                                                  : run.n;
    int rc = -1;

    r->latency = calloc(1, sizeof *r->latency);
    r->send_late = calloc(1, sizeof *r->send_late);
    run.join = calloc(1, sizeof *run.join);
    run.peers = calloc(run.n, sizeof *run.peers);
    run.rs = calloc(run.n * run.k, sizeof *run.rs);
    run.last_rx = calloc(run.n * run.k, sizeof *run.last_rx);
    if (!r->latency || !r->send_late || !run.join || !run.peers || !run.rs || !run.last_rx) {
        run_fail(&run, "out of memory");
        goto out;
    }
    histogram_reset(r->latency);
    histogram_reset(r->send_late);
    histogram_reset(run.join);
    for (size_t i = 0; i < run.n * run.k; i++)
        recv_stats_reset(&run.rs[i]);

    /* end to end -> per hop */
    r->ip_mode = cfg->lab != NULL;
    r->with_netsim = r->ip_mode || cfg->force_netsim || params->loss_pct > 0 ||
                     params->delay_ms > 0 || params->jitter_ms > 0 || cfg->netsim_args[0];
    bench_params_per_hop(params, &r->hop_loss_pct, &r->hop_delay_ms, &r->hop_jitter_ms);
    r->netsim_seed = cfg->seed;

    char relay_host[128] = "127.0.0.1", why[320];
    int port;
    if (bench_tickets_open(&run.tickets, cfg->encrypt && !cfg->relay[0], cfg->tickets,
                           cfg->n_tickets, run.n, run.k, why, sizeof why) != 0) {
        run_fail(&run, "%s", why);
        goto out;
    }
    const char *host = relay_host;
    if (run_network(&run, relay_host, sizeof relay_host, &host, &port) != 0)
        goto out;
    if (cfg->procs > 1) {
        if (run_procs(&run, (size_t)cfg->procs, host, port) != 0)
            goto out;
    } else {
        if (run_setup_clients(&run, host, port) != 0)
            goto out;
        if (run_measure(&run, clock_now_us() + START_LEAD_US) != 0)
            goto out;
        run_summarize(&run);
    }
    rc = 0;
out:
    teardown(&run);
    if (rc == 0 && r->with_netsim && !r->truth.valid)
        r->ok = false, rc = -1;
    audit_finish(&run, rc == 0 && r->ok);
    run_strip_finish(&run); /* a run that failed before its figures: what it saw */
    bench_tickets_close(&run.tickets);
    free(run.index_of_id);
    free(run.join);
    free(run.peers);
    free(run.rs);
    free(run.last_rx);
    return rc;
}
