/* live_run.c: ricochet-lesson's run (see live.h): the process set, the
 * lanes' clients, the loop, the restarts and the stop.
 *
 * With the two namespaces of netsim's IP mode (harness/netlab.h), one
 * netsim carries every lane: the relay, bound to 198.19.0.1 with every
 * lane's edge, in one namespace, the clients' sockets made in the other,
 * each flow read by its first datagram (--wire auto) and lost in pairs
 * (--paired-loss). Without them, netsim's UDP proxy stands in front of each
 * datagram edge, and the streams' lanes are missing (the page and one line
 * say so and how to get them). A child that dies is said on the page and
 * started again, the lanes' clients with it; the namespaces and the
 * devices go with the processes that hold them, whatever ends them.
 *
 * A lane has one sender or LIVE_SENDERS (the page's choice; the lanes start
 * again with them), their sends spread over a period, and the relay
 * forwards each state at once (--tick-ms 0): a tick would put several
 * senders' states in one datagram or segment, and its loss would hold
 * them all back, in every lane, hiding what a stream per sender (or
 * datagrams) changes. */
#include "live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../client/lib/client.h"
#include "../client/swarm/swarm.h"
#include "../harness/children.h"
#include "../harness/freeport.h"
#include "../harness/netlab.h"
#include "../netsim/netsim_ip.h"
#include "../sys/clock.h"
#include "../sys/log.h"
#include "../sys/triple.h"

#define CHILD_START_MS 10000  /* a child's "listening on" or "wire up" line */
#define RETRY_US 2000000u     /* a child that failed is tried again after this */
#define RESTART_US 500000u    /* ... one that died, started again after this */
#define CHECK_US 100000u      /* the children looked at this often */
#define JOIN_TIMEOUT_MS 10000 /* every lane's clients joined within this */
#define LEAD_US 100000u       /* the senders' first state after the lanes are up */

volatile sig_atomic_t live_stop;

/* "at 14:03:07" into buf. */
static const char *wall_time(char *buf, size_t cap)
{
    time_t now = time(NULL);
    strftime(buf, cap, "%H:%M:%S", localtime(&now));
    return buf;
}

/* A child's end in words ("the relay was killed by signal 9 at 14:03:07"),
 * as its state and the lesson's last incident. */
static void ended(struct live *lv, struct spawn_proc *p, const char *who, char *out, size_t cap)
{
    char at[16];
    int st = p->status;
    wall_time(at, sizeof at);
    if (WIFSIGNALED(st))
        snprintf(lv->incident, sizeof lv->incident, "%s was killed by signal %d at %s", who,
                 WTERMSIG(st), at);
    else
        snprintf(lv->incident, sizeof lv->incident, "%s exited with status %d at %s", who,
                 WEXITSTATUS(st), at);
    snprintf(out, cap, "%.130s; starting it again", lv->incident);
}

/* The edges the lanes need (lv->edges), as --listen arguments into args. */
static size_t relay_edges(struct live *lv, char (*bufs)[64], const char **args)
{
    size_t n = 0;
    lv->n_edges = 0;
    for (size_t k = 0; k < lv->n_lanes; k++) {
        const struct live_lane *l = &lv->lanes[k];
        const char *edges[2] = {l->def->edge, l->def->offers};
        for (int e = 0; e < 2 && !l->missing; e++) {
            bool dup = !edges[e];
            for (size_t i = 0; i < lv->n_edges && !dup; i++)
                dup = !strcmp(lv->edges[i].name, edges[e]);
            if (dup)
                continue;
            lv->edges[lv->n_edges].name = edges[e];
            snprintf(bufs[lv->n_edges], 64, "%s://%s:0", edges[e], lv->relay_host);
            args[n++] = "--listen";
            args[n++] = bufs[lv->n_edges++];
        }
    }
    return n;
}

/* The relay's port for edge name (0: none). */
static uint16_t port_of(const struct live *lv, const char *name)
{
    for (size_t i = 0; i < lv->n_edges; i++)
        if (!strcmp(lv->edges[i].name, name))
            return lv->edges[i].port;
    return 0;
}

static int start_relay(struct live *lv, const struct netlab *lab)
{
    const char *args[SPAWN_MAX_ARGS + 1];
    char bufs[BENCH_MODES * 2][64], more[256], err[256];
    size_t n = relay_edges(lv, bufs, args);
    n += children_relay_open(args + n);
    args[n++] = "--stats-interval";
    args[n++] = "0";
    args[n++] = "--tick-ms"; /* each state in a datagram of its own (see above) */
    args[n++] = "0";
    const struct live_netsim *rtc = NULL;
    for (size_t k = 0; k < lv->n_netsims; k++)
        if (lv->netsims[k].edge && !strcmp(lv->netsims[k].edge, "webrtc"))
            rtc = &lv->netsims[k];
    if (rtc) { /* the proxy's address in the answers */
        args[n++] = "--webrtc-advertise";
        args[n++] = rtc->advertise;
    }
    n += children_split(lv->cfg->relay_args, more, sizeof more, args + n, SPAWN_MAX_ARGS - n);
    args[n] = NULL;
    if (spawn_start_in(&lv->relay, lab ? lab->ns[NETLAB_RELAY] : -1, lv->cfg->bin,
                       "ricochet-relay", args, err, sizeof err) != 0) {
        snprintf(lv->relay_state, sizeof lv->relay_state, "relay: %.150s", err);
        return -1;
    }
    lv->relay_started = true;
    for (size_t i = 0; i < lv->n_edges; i++) {
        int port = children_edge_port(&lv->relay, lv->edges[i].name, CHILD_START_MS, err,
                                      sizeof err);
        lv->edges[i].port = port > 0 ? (uint16_t)port : 0;
        if (!lv->edges[i].port) {
            char *text = spawn_read_stderr(&lv->relay);
            snprintf(lv->relay_state, sizeof lv->relay_state, "the relay never listened on %s: "
                     "%.100s", lv->edges[i].name, text ? text : "");
            free(text);
            return -1;
        }
    }
    snprintf(lv->relay_state, sizeof lv->relay_state, "running");
    return 0;
}

/* A port of 127.0.0.1 free now, for the webrtc edge's proxy, which the
 * relay's answers name before it runs. */
static int pick_port(char *out, size_t cap)
{
    uint16_t port = 0;
    char err[160];
    int rc = free_port(SOCK_DGRAM, &port, err, sizeof err);
    snprintf(out, cap, "127.0.0.1:%u", (unsigned)port);
    return rc;
}

/* netsim's arguments: the model of the options (per hop), where it sits,
 * how it reads, into args (pointing into model and relay). Returns how
 * many. */
static size_t netsim_args(struct live *lv, struct live_netsim *n, const struct netlab *lab,
                          char (*model)[32], char *relay, const char **args)
{
    size_t a = children_netsim_model(lv->params, lv->cfg->seed, model, args);
    const char *fixed[] = {"--paired-loss", "--metrics", "0", "--stats-interval", "0.5",
                           "--drop-log", n->drop_log, "--keylog", lv->keylog};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        args[a++] = fixed[i];
    if (lab) {
        const char *ip[] = {"--client-netns", lab->path[NETLAB_CLIENT], "--relay-netns",
                            lab->path[NETLAB_RELAY], "--wire", "auto"};
        for (size_t i = 0; i < sizeof ip / sizeof ip[0]; i++)
            args[a++] = ip[i];
        return a;
    }
    snprintf(relay, 32, "127.0.0.1:%u", (unsigned)port_of(lv, n->edge));
    args[a++] = "--relay";
    args[a++] = relay;
    args[a++] = "--wire";
    args[a++] = n->wire;
    if (n->advertise[0]) {
        args[a++] = "--listen";
        args[a++] = n->advertise;
    }
    return a;
}

static int start_netsim(struct live *lv, struct live_netsim *n, const struct netlab *lab)
{
    const char *args[SPAWN_MAX_ARGS + 1];
    char hop[4][32], relay[32], line[256], err[256], extra[256];
    size_t a = netsim_args(lv, n, lab, hop, relay, args);
    a += children_split(lv->cfg->netsim_args, extra, sizeof extra, args + a, SPAWN_MAX_ARGS - a);
    args[a] = NULL;
    n->log_at = n->stats_at = 0;
    n->partial[0] = n->stats_partial[0] = '\0';
    memset(n->last, 0, sizeof n->last);
    n->last_t_us = 0;
    if (spawn_start(&n->proc, lv->cfg->bin, "ricochet-netsim", args, err, sizeof err) != 0)
        goto fail;
    n->started = true;
    if (lab ? spawn_wait_line(&n->proc, "wire up:", CHILD_START_MS, line, sizeof line, err,
                              sizeof err)
            : (n->port = spawn_wait_listening(&n->proc, CHILD_START_MS, err, sizeof err)) < 0)
        goto fail;
    n->started_us = clock_now_us(); /* its loop starts now: its stats lines' uptime 0 */
    if (spawn_wait_line(&n->proc, "metrics on http://", CHILD_START_MS, line, sizeof line, err,
                        sizeof err) != 0)
        goto fail;
    const char *at = strstr(line, "http://") + strlen("http://");
    snprintf(n->metrics, sizeof n->metrics, "%.*s", (int)strcspn(at, "/ "), at);
    char model[2048], answer[256];
    int status;
    if (lv->http && (live_http_model(lv->http, model, sizeof model), model[0]))
        live_client_request(n->metrics, "PUT", "/model", model, 2000, &status, answer,
                            sizeof answer); /* the page's controls, as before the restart */
    return 0;
fail:
    snprintf(lv->netsim_state, sizeof lv->netsim_state, "netsim: %.150s", err);
    return -1;
}

/* The netsims: IP mode's one, or a proxy in front of each datagram edge
 * (its wire the edge's lanes'). */
static void plan_netsims(struct live *lv)
{
    lv->n_netsims = 0;
    for (size_t k = 0; k < lv->n_lanes && lv->ip_mode; k++)
        lv->n_netsims = 1;
    for (size_t k = 0; k < lv->n_lanes && !lv->ip_mode; k++) {
        const struct bench_lane *d = lv->lanes[k].def;
        bool dup = lv->lanes[k].missing || !d->wire;
        for (size_t i = 0; i < lv->n_netsims && !dup; i++)
            dup = !strcmp(lv->netsims[i].edge, d->edge);
        if (dup || lv->n_netsims == LIVE_NETSIMS)
            continue;
        lv->netsims[lv->n_netsims].edge = d->edge;
        lv->netsims[lv->n_netsims++].wire = d->wire;
    }
    for (size_t i = 0; i < lv->n_netsims; i++)
        children_temp_file("lesson", "drops", lv->netsims[i].drop_log,
                           sizeof lv->netsims[i].drop_log);
}

/* The relay and the netsims, in the order each mode needs: IP mode's
 * wire first (the relay binds its side's address), the proxies after the
 * relay (they name its ports), the webrtc proxy's address picked before
 * (the relay's answers name it). Returns 0 or -1 (the state says why). */
static int start_children(struct live *lv, const struct netlab *lab)
{
    if (lab)
        return start_netsim(lv, &lv->netsims[0], lab) == 0 && start_relay(lv, lab) == 0 ? 0 : -1;
    for (size_t i = 0; i < lv->n_netsims; i++)
        if (!strcmp(lv->netsims[i].edge, "webrtc") &&
            pick_port(lv->netsims[i].advertise, sizeof lv->netsims[i].advertise) != 0)
            return -1;
    if (start_relay(lv, NULL) != 0)
        return -1;
    for (size_t i = 0; i < lv->n_netsims; i++)
        if (start_netsim(lv, &lv->netsims[i], NULL) != 0)
            return -1;
    return 0;
}

/* Stops every child (SIGTERM, then SIGKILL) and frees it. */
static void stop_children(struct live *lv)
{
    if (lv->relay_started) {
        spawn_stop(&lv->relay, SIGTERM, 3000);
        spawn_free(&lv->relay);
        lv->relay_started = false;
    }
    for (size_t i = 0; i < lv->n_netsims; i++) {
        struct live_netsim *n = &lv->netsims[i];
        if (n->started) {
            spawn_stop(&n->proc, SIGTERM, 3000);
            spawn_free(&n->proc);
            n->started = false;
        }
    }
}

/* Where lane k's clients go: its edge (or the edge its offers go to); a
 * datagram lane behind a proxy, its proxy. */
static uint16_t lane_port(const struct live *lv, const struct live_lane *l)
{
    if (l->def->offers)
        return port_of(lv, l->def->offers);
    for (size_t i = 0; !lv->ip_mode && i < lv->n_netsims; i++)
        if (!strcmp(lv->netsims[i].edge, l->def->edge))
            return (uint16_t)lv->netsims[i].port;
    return port_of(lv, l->def->edge);
}

/* The clients' making, in a thread that enters the client namespace (a
 * socket stays in the namespace it was made in). */
struct make_job {
    const struct netlab *lab;
    struct client_config cfg[BENCH_MODES * (LIVE_SENDERS + 1)];
    char names[BENCH_MODES * (LIVE_SENDERS + 1)][40], rooms[BENCH_MODES][40];
    struct ricochet *made[BENCH_MODES * (LIVE_SENDERS + 1)];
    size_t n;
    char err[320];
};

static void *make_run(void *arg)
{
    struct make_job *j = arg;
    if (j->lab && netlab_enter(j->lab, NETLAB_CLIENT, j->err, sizeof j->err) != 0)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (!(j->made[i] = client_create(&j->cfg[i], j->err, sizeof j->err)))
            return NULL;
    return NULL;
}

/* The endpoint client c sends from (up: its messages', over HTTP polling
 * the POSTs' connection; else the one the relay's come down, the GETs'),
 * as netsim names it, into out. */
static void flow_of(const struct live *lv, struct ricochet *c, bool up, char *out, size_t cap)
{
    union netaddr ep;
    socklen_t len = sizeof ep;
    out[0] = '\0';
    if (getsockname(up ? client_socket_up(c) : client_socket(c), &ep.sa, &len) != 0 ||
        netaddr_from_sockaddr(&ep, &ep.sa, len) != 0)
        return;
    if (ep.sa.sa_family == AF_INET && ep.v4.sin_addr.s_addr == htonl(INADDR_ANY))
        ep.v4.sin_addr.s_addr = htonl(lv->ip_mode ? NETSIM_IP_CLIENT : INADDR_LOOPBACK);
    netaddr_format(&ep, out, cap);
}

/* A lane client's later sockets (HTTP polling's next connection) in the
 * clients' namespace, where its first ones were made: the loop's thread
 * is in the lesson's own, where the relay's address leads nowhere. */
static int client_side_socket(void *lab, int domain, int type, int protocol)
{
    return netlab_socket(lab, NETLAB_CLIENT, domain, type, protocol);
}

/* Each lane's clients: its senders (lv->senders), then its receiver. */
static void fill_job(struct live *lv, const struct netlab *lab, struct make_job *j)
{
    j->lab = lab;
    for (size_t k = 0; k < lv->n_lanes; k++) {
        const struct live_lane *l = &lv->lanes[k];
        if (l->missing)
            continue;
        snprintf(j->rooms[k], sizeof j->rooms[k], "lesson-%s", l->def->name);
        for (int role = 0; role <= lv->senders; role++) {
            size_t i = j->n++;
            if (role == lv->senders)
                snprintf(j->names[i], sizeof j->names[i], "%s-receiver", l->def->name);
            else if (lv->senders == 1)
                snprintf(j->names[i], sizeof j->names[i], "%s-sender", l->def->name);
            else
                snprintf(j->names[i], sizeof j->names[i], "%s-sender%d", l->def->name, role + 1);
            j->cfg[i] = (struct client_config){
                .host = lv->relay_host, .port = lane_port(lv, l), .room = j->rooms[k],
                .name = j->names[i], .mode = l->def->mode.mode, .timeout_ms = 5000,
                .no_histograms = true,
                .transport = (enum ricochet_transport)l->def->transport,
                .poll_short = l->def->poll_interval_ms > 0,
                .poll_interval_ms = l->def->poll_interval_ms,
                .keylog = bench_lane_keyed(l->def) ? lv->keylog : NULL,
                .make_socket = lab ? client_side_socket : NULL,
                .make_socket_ctx = (void *)lab};
        }
    }
}

/* ---- the lanes' clients, driven by one swarm ---- */

static void on_fill(void *ctx, size_t i, uint64_t t_us, struct ricochet_state *s)
{
    int sender = 0;
    live_lane_of(ctx, i, &sender);
    live_path(ctx, t_us, sender < 0 ? 0 : sender, s);
}

static void on_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct live *lv = ctx;
    int sender;
    struct live_lane *l = live_lane_of(lv, i, &sender);
    if (!ok || !l || sender < 0)
        return;
    struct ricochet_state s;
    live_path(lv, t_us, sender, &s); /* what on_fill put in it */
    live_lane_sent(l, sender, client_next_seq(swarm_client(lv->sw, i)) - 1, t_us, &s,
                   clock_now_us());
}

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct live *lv = ctx;
    int sender;
    struct live_lane *l = live_lane_of(lv, i, &sender);
    if (!l)
        return;
    int from = sender < 0 ? live_lane_sender_of(l, ev->id) : -1;
    if ((ev->type == RICOCHET_EV_STATE || ev->type == RICOCHET_EV_TOO_OLD) && from >= 0 &&
        l->running) {
        struct client_netinfo ni; /* HTTP polling: when the GET went that brought it */
        client_netinfo(swarm_client(lv->sw, i), &ni);
        live_lane_got(l, from, ev, ev->type == RICOCHET_EV_TOO_OLD, ni.poll_asked_us);
    }
    else if (ev->type == RICOCHET_EV_DISCONNECTED && l->running) {
        snprintf(l->why, sizeof l->why, "its %s was disconnected: %s%s%.130s%s",
                 sender >= 0 ? "sender" : "receiver", ev->code, ev->text[0] ? " (" : "",
                 ev->text, ev->text[0] ? ")" : "");
        lv->client_lost = true;
    }
}

static void stop_lanes(struct live *lv)
{
    swarm_destroy(lv->sw);
    lv->sw = NULL;
    for (size_t k = 0; k < lv->n_lanes; k++)
        lv->lanes[k].clients = lv->lanes[k].running = false;
    lv->client_lost = false;
}

/* Every lane's clients made, adopted by one swarm, joined; then their
 * flows, the senders' ids, and one schedule for every sender. Returns 0,
 * or -1 with why on every lane (nothing left running). */
static int start_lanes(struct live *lv, const struct netlab *lab)
{
    struct make_job *j = calloc(1, sizeof *j);
    struct swarm_hooks hooks = {.ctx = lv, .fill = on_fill, .sent = on_sent, .event = on_event};
    struct swarm_config sc = {.host = "127.0.0.1", .port = 1, .rate_hz = lv->params->rate_hz};
    char err[320] = "out of memory";
    pthread_t t;
    if (!j)
        goto fail;
    fill_job(lv, lab, j);
    if (pthread_create(&t, NULL, make_run, j) != 0)
        goto fail;
    pthread_join(t, NULL);
    snprintf(err, sizeof err, "%s", j->err);
    if ((j->n && !j->made[j->n - 1]) || !(lv->sw = swarm_create(&sc, &hooks, err, sizeof err)))
        goto fail;
    for (size_t k = 0, i = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        if (l->missing)
            continue;
        l->n_senders = (size_t)lv->senders;
        for (int role = 0; role <= lv->senders; i++, role++) {
            double rate = role < lv->senders ? lv->params->rate_hz : 0;
            if (swarm_adopt(lv->sw, j->made[i], j->names[i], rate, err, sizeof err) != 0)
                goto fail;
            j->made[i] = NULL; /* the swarm's now */
            if (role == lv->senders) {
                l->receiver = swarm_size(lv->sw) - 1;
                continue;
            }
            l->sender[role] = swarm_size(lv->sw) - 1; /* spread over a period: no two of the
                                                        lane's states leave at once */
            l->seq0[role] = 1 + (uint32_t)role * LIVE_SEQ_APART;
            client_set_next_seq(swarm_client(lv->sw, l->sender[role]), l->seq0[role]);
            swarm_phase(lv->sw, l->sender[role],
                        (uint64_t)(1e6 / lv->params->rate_hz) * (uint64_t)role /
                            (uint64_t)lv->senders);
        }
        l->clients = true;
    }
    if (swarm_wait_ready(lv->sw, false, clock_now_us() + JOIN_TIMEOUT_MS * 1000u, &live_stop,
                         err, sizeof err) != 0)
        goto fail;
    for (size_t k = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        if (l->missing)
            continue;
        live_lane_reset(l);
        for (size_t s = 0; s < l->n_senders; s++) {
            flow_of(lv, swarm_client(lv->sw, l->sender[s]), true, l->up_flow[s],
                    sizeof l->up_flow[s]);
            l->sender_id[s] = ricochet_id(swarm_client(lv->sw, l->sender[s]));
        }
        flow_of(lv, swarm_client(lv->sw, l->receiver), false, l->down_flow,
                sizeof l->down_flow);
        l->running = true;
        l->why[0] = '\0';
    }
    lv->t0_us = clock_now_us() + LEAD_US;
    lv->generation++;
    swarm_schedule(lv->sw, lv->t0_us);
    free(j);
    return 0;
fail:
    for (size_t i = 0; j && i < j->n; i++)
        if (j->made[i])
            ricochet_close(j->made[i]);
    free(j);
    stop_lanes(lv);
    for (size_t k = 0; k < lv->n_lanes; k++)
        if (!lv->lanes[k].missing)
            snprintf(lv->lanes[k].why, sizeof lv->lanes[k].why, "starting: %.180s", err);
    return -1;
}

/* ---- the loop ---- */

/* Is every child alive? The first dead one's end goes into the state. */
static bool children_alive(struct live *lv)
{
    if (lv->relay_started && !spawn_running(&lv->relay)) {
        ended(lv, &lv->relay, "the relay", lv->relay_state, sizeof lv->relay_state);
        return false;
    }
    for (size_t i = 0; i < lv->n_netsims; i++) {
        struct live_netsim *n = &lv->netsims[i];
        if (n->started && !spawn_running(&n->proc)) {
            ended(lv, &n->proc, "netsim", lv->netsim_state, sizeof lv->netsim_state);
            return false;
        }
    }
    return true;
}

/* Everything (again): the children, then the lanes. A failure is said and
 * tried again after RETRY_US. */
static bool start_all(struct live *lv, const struct netlab *lab, uint64_t now)
{
    stop_lanes(lv);
    stop_children(lv);
    if (start_children(lv, lab) != 0 || start_lanes(lv, lab) != 0) {
        lv->retry_us = now + RETRY_US;
        log_warn("lesson: cannot start (%s; %s; %s): trying again in %u s", lv->relay_state,
                 lv->netsim_state, lv->lanes[0].why, RETRY_US / 1000000u);
        return false;
    }
    if (lv->incident[0] && !strstr(lv->incident, "started again")) {
        char at[16];
        snprintf(lv->incident + strlen(lv->incident), sizeof lv->incident - strlen(lv->incident),
                 "; started again at %s", wall_time(at, sizeof at));
    }
    snprintf(lv->relay_state, sizeof lv->relay_state, "running");
    snprintf(lv->netsim_state, sizeof lv->netsim_state, "running (%s)",
             lv->ip_mode ? "IP mode: every lane through one network"
                         : "its UDP proxy in front of each datagram edge");
    return true;
}

static void loop(struct live *lv, const struct netlab *lab)
{
    bool up = false;
    uint64_t next_check = 0, next_publish = 0;
    while (!live_stop) {
        uint64_t now = clock_now_us();
        if (!up && now >= lv->retry_us)
            up = start_all(lv, lab, now);
        if (up && now >= next_check) {
            next_check = now + CHECK_US;
            up = children_alive(lv);
            if (!up) { /* said on the page before the lesson starts again */
                log_warn("lesson: %s", lv->incident);
                lv->retry_us = now + RESTART_US;
            }
            if (up && lv->senders_wanted != lv->senders) { /* the page asked for more or fewer */
                lv->senders = lv->senders_wanted;
                stop_lanes(lv);
                up = start_lanes(lv, lab) == 0;
                lv->retry_us = up ? 0 : now + RETRY_US;
            }
            if (up && lv->client_lost) { /* the lanes again, aligned; the page says why */
                char at[16];
                wall_time(at, sizeof at);
                for (size_t k = 0; k < lv->n_lanes; k++)
                    if (lv->lanes[k].why[0] && lv->lanes[k].running) {
                        log_warn("lesson: %s: %s; the lanes start again",
                                 lv->lanes[k].def->name, lv->lanes[k].why);
                        snprintf(lv->incident, sizeof lv->incident,
                                 "%s: %.140s at %s; the lanes started again",
                                 lv->lanes[k].def->name, lv->lanes[k].why, at);
                    }
                stop_lanes(lv);
                up = start_lanes(lv, lab) == 0;
                lv->retry_us = up ? 0 : now + RETRY_US;
            }
            if (!up)
                stop_lanes(lv);
        }
        live_door_step(lv, now);
        if (lv->sw)
            swarm_step(lv->sw, UINT64_MAX); /* waits at most 5 ms */
        else
            clock_sleep_until_us(now + 20000);
        if ((now = clock_now_us()) >= next_publish) {
            next_publish = now + LIVE_PUBLISH_US;
            live_log_read(lv, now);
            live_lanes_publish(lv, now);
        }
    }
}

/* The lanes from the table; without IP mode a stream's is missing. */
static void plan_lanes(struct live *lv, const char *no_lab)
{
    char gone[96] = "";
    for (int k = 0; bench_lane(k); k++) {
        struct live_lane *l = &lv->lanes[lv->n_lanes++];
        l->def = bench_lane(k);
        l->index = k;
        l->missing = l->def->ip && !lv->ip_mode;
        if (!l->missing)
            continue;
        snprintf(l->why, sizeof l->why, "a TCP stream: netsim impairs it only in IP mode, "
                 "between two network namespaces, which this machine does not give");
        snprintf(gone + strlen(gone), sizeof gone - strlen(gone), "%s%s", gone[0] ? ", " : "",
                 l->def->name);
    }
    if (gone[0])
        snprintf(lv->missing, sizeof lv->missing, "no IP mode here (%s): the lanes %s are left "
                 "out; run the lesson as root, or where unprivileged user namespaces are allowed "
                 "(sysctl kernel.unprivileged_userns_clone=1)", no_lab, gone);
}

int live_run(const struct live_config *cfg, const struct bench_params *params, int port,
             const char *no_lab)
{
    struct live *lv = calloc(1, sizeof *lv);
    char err[256];
    int rc = 1;
    if (!lv || !(lv->tb = triple_create(sizeof(struct live_snapshot)))) {
        fprintf(stderr, LESSON_PROG ": error: out of memory\n");
        free(lv);
        return 1;
    }
    lv->cfg = cfg;
    lv->params = params;
    lv->senders = cfg->senders == LIVE_SENDERS ? LIVE_SENDERS : 1;
    lv->senders_wanted = lv->senders; /* atomic: one store of its own */
    lv->door.udp = lv->door.tcp = -1;
    lv->instance = clock_now_us();
    lv->ip_mode = cfg->lab != NULL;
    snprintf(lv->relay_host, sizeof lv->relay_host, "%s", lv->ip_mode ? "198.19.0.1"
                                                                       : "127.0.0.1");
    snprintf(lv->relay_state, sizeof lv->relay_state, "starting");
    snprintf(lv->netsim_state, sizeof lv->netsim_state, "starting");
    plan_lanes(lv, no_lab ? no_lab : "");
    plan_netsims(lv);
    children_temp_file("lesson", "keys", lv->keylog, sizeof lv->keylog);
    live_lanes_publish(lv, clock_now_us());
    if (!(lv->http = live_http_start(lv, port, err, sizeof err))) {
        fprintf(stderr, LESSON_PROG ": error: --port %d: %s\n", port, err);
        goto out;
    }
    if (live_door_open(lv, err, sizeof err) != 0) {
        fprintf(stderr, LESSON_PROG ": error: --door-port %d: %s\n", cfg->door_port, err);
        goto out;
    }
    if (lv->missing[0])
        fprintf(stderr, LESSON_PROG ": %s\n", lv->missing);
    printf(LESSON_PROG ": your own program through the same network: udp://%s%s%s%s "
           "(docs/sockets.md, Your own player)\n", lv->door.udp_at,
           lv->door.tcp >= 0 ? " and tcp://" : "", lv->door.tcp >= 0 ? lv->door.tcp_at : "",
           lv->door.tcp >= 0 ? "" : ", not TCP: no IP mode here");
    printf(LESSON_PROG ": the lesson on http://%s/ (Ctrl-C stops it)\n",
           live_http_address(lv->http));
    fflush(stdout);
    loop(lv, cfg->lab);
    rc = 0;
out:
    stop_lanes(lv);
    stop_children(lv);
    live_door_close(lv);
    live_http_stop(lv->http);
    for (size_t i = 0; i < lv->n_netsims; i++)
        unlink(lv->netsims[i].drop_log);
    unlink(lv->keylog);
    triple_destroy(lv->tb);
    free(lv);
    return rc;
}
