/* bench_children.c: the relay and the netsim a run starts (see
 * run_internal.h; what the lesson shares with it is lab/harness/children.c),
 * and what netsim's last stats record says. */
#include "run_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/children.h"
#include "proto/enet/enet_wire.h"
#include "proto/statsrec.h"
#include "sys/clock.h"

#define CHILD_START_MS 5000    /* "listening on" deadline for relay / netsim */

static double json_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int netsim_fill(const cJSON *root, struct bench_netsim_truth *t)
{
    t->seed = (uint64_t)json_num(root, "seed");
    static const char *const names[2] = {"up", "down"};
    for (int i = 0; i < 2; i++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        if (!cJSON_IsObject(d))
            return -1;
        t->received[i] = (uint64_t)json_num(d, "received");
        t->duplicated[i] = (uint64_t)json_num(d, "duplicated");
        t->reordered[i] = (uint64_t)json_num(d, "reordered");
        /* every cause: "dropped" is the sum of "drops" (STATS.md) */
        uint64_t dropped = (uint64_t)json_num(d, "dropped");
        t->dropped[i] = dropped;
        t->drop_pct[i] = t->received[i] ? 100.0 * (double)dropped / (double)t->received[i] : 0;
    }
    t->e2e_loss_pct = 100.0 * (1.0 - (1.0 - t->drop_pct[0] / 100.0) *
                                         (1.0 - t->drop_pct[1] / 100.0));
    t->valid = true;
    return 0;
}

int bench_parse_netsim(const char *text, struct bench_netsim_truth *t)
{
    memset(t, 0, sizeof *t);
    /* netsim's last record (proto/STATS.md) */
    cJSON *root = statsrec_last(text, "netsim", false);
    struct bench_netsim_truth tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = root && netsim_fill(root, &tmp) == 0 ? 0 : -1;
    if (rc == 0)
        *t = tmp;
    cJSON_Delete(root);
    return rc;
}

uint64_t run_pause_step(struct run *run, uint64_t now)
{
    struct bench_result *r = run->r;
    if (!run->cfg->pause_relay_ms || !run->relay_started || run->pause_step == 2)
        return UINT64_MAX;
    if (run->pause_step == 0) {
        run->pause_next_us = run->win_start + (uint64_t)run->cfg->duration_ms * 1000u / 3;
        if (now < run->pause_next_us || now == UINT64_MAX)
            return now == UINT64_MAX ? UINT64_MAX : run->pause_next_us;
        spawn_signal(&run->relay, SIGSTOP);
        now = clock_now_us();
        r->pause_at_s = (double)(now - run->win_start) / 1e6;
        run->pause_step = 1;
        run->pause_next_us = now + (uint64_t)run->cfg->pause_relay_ms * 1000u;
        run_log(run, "relay stopped for %ld ms", run->cfg->pause_relay_ms);
    }
    if (now < run->pause_next_us)
        return run->pause_next_us;
    spawn_signal(&run->relay, SIGCONT);
    r->pause_ms = (double)(clock_now_us() - run->win_start) / 1e3 - r->pause_at_s * 1e3;
    run->pause_step = 2;
    return UINT64_MAX;
}

/* A run over WebRTC: the port of the relay's webrtc edge, from its second
 * "listening on ADDR (webrtc)" line, into run->webrtc_port. Returns 0 or
 * run_fail(). */
static int webrtc_port(struct run *run, struct spawn_proc *relay)
{
    char err[256];
    run->webrtc_port = children_edge_port(relay, "webrtc", CHILD_START_MS, err, sizeof err);
    return run->webrtc_port < 0 ? run_fail(run, "%s", err) : 0;
}

int run_start_relay_as(struct run *run, struct spawn_proc *relay, const char *const *extra,
                       int *port)
{
    const char *args[SPAWN_MAX_ARGS + 1];
    size_t n = 0;
    char more[256];
    char edges[160], half_open[24];
    if (relay == &run->relay && run_example_relay(run))
        return run_start_example_relay(run, relay, port);
    if (relay == &run->relay && run_lane_program(run))
        return run_start_lane_relay(run, relay, port);
    if (run->webrtc) {
        n += run_relay_edges(run, edges, sizeof edges, args + n);
    } else {
        args[n++] = "--bind";
        args[n++] = run_relay_host(run);
        args[n++] = "--port";
        args[n++] = "0";
        args[n++] = "--transport";
        args[n++] = run_relay_transport(run);
    }
    n += children_relay_open(args + n); /* the bench's clients: one address, fast */
    /* room for every client and room (the relay's defaults are 1024 / 256) */
    char clients[24], rooms[24];
    snprintf(clients, sizeof clients, "%zu", run->n > 1024 ? run->n : 1024);
    snprintf(rooms, sizeof rooms, "%zu", run->n / run->k + 1 > 256 ? run->n / run->k + 1 : 256);
    args[n++] = "--max-clients";
    args[n++] = clients;
    args[n++] = "--max-rooms";
    args[n++] = rooms;
    /* the swarm opens every stream at once (each a connection that has not
     * joined until its welcome), and over WebRTC every client's offer is
     * answered before it is a peer: each may be half-open (ENet's
     * handshakes stay at a quarter of its slots, which this never lowers) */
    size_t at_once = run->n > 256 ? run->n : 256;
    snprintf(half_open, sizeof half_open, "%zu",
             at_once < ENET_WIRE_PEERS_MAX ? at_once : ENET_WIRE_PEERS_MAX);
    args[n++] = "--max-half-open";
    args[n++] = half_open;
    if (run->cfg->encrypt) {
        args[n++] = "--ticket-key";
        args[n++] = run->tickets.key_file;
        args[n++] = "--encrypt";
    }
    for (size_t i = 0; extra && extra[i] && n < SPAWN_MAX_ARGS; i++)
        args[n++] = extra[i];
    n += children_split(run->cfg->relay_args, more, sizeof more, args + n, SPAWN_MAX_ARGS - n);
    args[n] = NULL;
    char err[256];
    if (spawn_start_in(relay, run_relay_netns(run), run->cfg->bin, "ricochet-relay", args, err,
                       sizeof err) != 0)
        return run_fail(run, "relay: %s", err);
    if (relay == &run->relay)
        run->relay_started = true;
    else
        run->n_fleet++; /* the fleet's relays are started in order */
    *port = spawn_wait_listening(relay, CHILD_START_MS, err, sizeof err);
    if (*port < 0)
        return run_fail(run, "%s", err);
    return run->webrtc ? webrtc_port(run, relay) : 0;
}

int run_start_relay(struct run *run, int *port)
{
    return run_start_relay_as(run, &run->relay, NULL, port);
}

/* Where netsim writes what the audit reads (kind "drops": its drop log; a
 * run over WebRTC, "keys": the key log its clients write and netsim reads,
 * SSLKEYLOGFILE's format): in --drop-log-dir, named after the run, or a
 * temporary file. Returns 0, or -1 (path ""). */
static int audit_file(struct run *run, const char *kind, char *path, size_t cap)
{
    const struct bench_params *p = run->params;
    struct bench_mode m = {run->mode, run->carrier};
    if (run->cfg->drop_log_dir[0]) {
        snprintf(path, cap, "%s/%s_%s_clients%ld_rate%g_loss%g_delay%g_jitter%g.log",
                 run->cfg->drop_log_dir, kind, bench_mode_name(m), p->clients, p->rate_hz,
                 p->loss_pct, p->delay_ms, p->jitter_ms);
        return 0;
    }
    return children_temp_file("bench", kind, path, cap);
}

/* netsim's arguments of the audit: its drop log, how it finds states in
 * datagrams (--wire: the relay's transport; over WebRTC and QUIC, inside
 * DTLS or QUIC's packets with the clients' key log). Returns how many,
 * into args. */
static size_t audit_args(struct run *run, const char **args)
{
    size_t n = 0;
    struct bench_result *r = run->r;
    const struct bench_lane *lane = bench_lane_of((struct bench_mode){run->mode, run->carrier});
    bool keyed = bench_lane_keyed(lane);
    if (audit_file(run, "drops", run->drop_log, sizeof run->drop_log) != 0 ||
        (keyed && audit_file(run, "keys", run->keylog, sizeof run->keylog) != 0)) {
        snprintf(r->audit.skipped, sizeof r->audit.skipped, "no drop log: %s", strerror(errno));
        return 0;
    }
    args[n++] = "--drop-log";
    args[n++] = run->drop_log;
    /* a stream's states are read from its segments in IP mode, whatever --wire */
    args[n++] = "--wire";
    args[n++] = lane->wire ? lane->wire : "udp";
    if (keyed) {
        args[n++] = "--keylog";
        args[n++] = run->keylog;
    }
    return n;
}

int run_start_netsim(struct run *run, const char *relay_host, int relay_port,
                     int *port)
{
    struct bench_result *r = run->r;
    const char *args[SPAWN_MAX_ARGS + 1];
    char upstream[160], model[4][32], extra[256];
    size_t n = run_netsim_place(run, relay_host, relay_port, upstream, sizeof upstream, args);
    n += children_netsim_model(run->params, run->cfg->seed, model, args + n);
    if (run->cfg->reorder)
        args[n++] = "--reorder";
    if (run->cfg->paired_loss)
        args[n++] = "--paired-loss";
    if (run->webrtc) { /* where the relay's answers send the clients */
        args[n++] = "--listen";
        args[n++] = run->advertise;
    }
    /* the audit: one line per state netsim dropped or forwarded (over
     * WebRTC and QUIC the relay seals nothing: netsim reads them with the
     * key log) */
    const struct bench_lane *lane = bench_lane_of((struct bench_mode){run->mode, run->carrier});
    if (run->cfg->encrypt && !lane->secure) {
        snprintf(r->audit.skipped, sizeof r->audit.skipped,
                 "sealed states: netsim sees flows, sizes and ENet headers, not who sent "
                 "what (docs/tickets.md)");
    } else if (run->cfg->procs <= 1) {
        n += audit_args(run, args + n);
    } else {
        snprintf(r->audit.skipped, sizeof r->audit.skipped,
                 "--procs > 1: receivers are in other processes");
    }
    n += children_split(run->cfg->netsim_args, extra, sizeof extra, args + n,
                        SPAWN_MAX_ARGS - n);
    args[n] = NULL;
    char err[256];
    if (spawn_start(&run->netsim, run->cfg->bin, "ricochet-netsim", args, err,
                    sizeof err) != 0)
        return run_fail(run, "netsim: %s", err);
    run->netsim_started = true;
    return run_wait_netsim(run, port, CHILD_START_MS);
}
