/* live_run.c: ricochet-lesson's run (see live.h): the process set, the
 * loop, the restarts and the stop (the lanes' clients: live_clients.c).
 *
 * With the two namespaces of netsim's IP mode (harness/netlab.h), one
 * netsim carries every lane: the relay, bound to 198.19.0.1 with every
 * lane's edge, in one namespace, the clients' sockets made in the other,
 * each flow read by its first datagram (--wire auto) and lost in pairs
 * (--paired-loss). Without them, netsim's UDP proxy stands in front of each
 * datagram edge, and the streams' lanes are missing (the page and one line
 * say so and how to get them). A child that dies is said on the page and
 * started again, the lanes' clients with it (a lane's client lost alone is
 * made again alone: live_clients_mend); the namespaces and the
 * devices go with the processes that hold them, whatever ends them.
 *
 * A lane has one sender or LIVE_SENDERS (the page's choice; the lanes start
 * again with them), their sends spread over a period, and the relay
 * forwards each state at once (--tick-ms 0): a tick would put several
 * senders' states in one datagram or segment, and its loss would hold
 * them all back, in every lane, hiding what a stream per sender (or
 * datagrams) changes. */
#include "live_run.h"
#include "live.h"
#include "live_calls.h"
#include "live_client.h"
#include "live_clients.h"
#include "live_door.h"
#include "live_guests.h"
#include "live_http.h"
#include "live_lanes.h"
#include "live_log.h"
#include "live_pcap.h"
#include "live_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/swarm/swarm.h"
#include "lab/harness/children.h"
#include "lab/harness/freeport.h"
#include "lab/harness/netlab.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/triple.h"

#define CHILD_START_MS 10000  /* a child's "listening on" or "wire up" line */
#define RETRY_US 2000000u     /* a child that failed is tried again after this */
#define RESTART_US 500000u    /* ... one that died, started again after this */
#define CHECK_US 100000u      /* the children looked at this often */

/* A child's end in words ("the relay was killed by signal 9 at 14:03:07"),
 * as its state and the lesson's last incident. */
static void ended(struct live *lv, struct spawn_proc *p, const char *who, char *out, size_t cap)
{
    char at[16];
    int st = p->status;
    live_wall_time(at, sizeof at);
    if (WIFSIGNALED(st))
        snprintf(lv->incident, sizeof lv->incident, "%s was killed by signal %d at %s", who,
                 WTERMSIG(st), at);
    else
        snprintf(lv->incident, sizeof lv->incident, "%s exited with status %d at %s", who,
                 WEXITSTATUS(st), at);
    lv->incident_restarted = false;
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
            snprintf(bufs[lv->n_edges], 64, "%s://%s:%u", edges[e], lv->relay_host,
                     lv->ip_mode ? (unsigned)live_fixed_port(edges[e]) : 0u);
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
    args[n++] = "--stale-ms"; /* a relay late on a busy machine forwards late, never sheds: */
    args[n++] = "0";          /* a loss the page shows is the network's, netsim says which */
    args[n++] = "--max-per-address"; /* every lane and every program through the door */
    args[n++] = "0";                 /* reaches the relay from one address, the clients' side */
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
    n->log_at = n->stats_at = n->log_size = 0;
    n->log_t_us = 0;
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

/* Where lane l's clients go: its edge (or the edge its offers go to); a
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

/* The lanes' snapshot made, the students' view's one answer taken from it
 * when it is time (live_http_view_take), and published to the page. */
static void publish(struct live *lv, uint64_t now_us)
{
    struct live_snapshot *s = live_lanes_snap(lv, now_us);
    live_http_view_take(lv->http, s);
    triple_publish(lv->tb);
}

/* Everything (again): the children, then the lanes. A failure is said and
 * tried again after RETRY_US. */
static bool start_all(struct live *lv, const struct netlab *lab, uint64_t now)
{
    live_clients_stop(lv);
    stop_children(lv);
    int rc = start_children(lv, lab);
    for (size_t k = 0; rc == 0 && k < lv->n_lanes; k++) { /* where its clients go */
        struct live_lane *l = &lv->lanes[k];
        l->port = lane_port(lv, l);
        snprintf(l->ends.relay, sizeof l->ends.relay, "%s:%u", lv->relay_host,
                 (unsigned)port_of(lv, l->def->edge));
        l->ends.fixed = lv->ip_mode;
    }
    if (rc != 0 || live_clients_start(lv, lab) != 0) {
        lv->retry_us = now + RETRY_US;
        log_warn("lesson: cannot start (%s; %s; %s): trying again in %u s", lv->relay_state,
                 lv->netsim_state, lv->lanes[0].why, RETRY_US / 1000000u);
        return false;
    }
    if (lv->incident[0] && !lv->incident_restarted) {
        char at[16];
        snprintf(lv->incident + strlen(lv->incident), sizeof lv->incident - strlen(lv->incident),
                 "; started again at %s", live_wall_time(at, sizeof at));
        lv->incident_restarted = true;
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
                live_clients_stop(lv);
                up = live_clients_start(lv, lab) == 0;
                lv->retry_us = up ? 0 : now + RETRY_US;
            }
            if (up) /* a lane's lost client made again, that lane alone */
                live_clients_mend(lv, lab, now);
            if (!up)
                live_clients_stop(lv);
        }
        live_door_step(lv, clock_now_us()); /* a message's time as it is read: a ping's */
        live_pcap_read(lv->pcap, lv);
        if (lv->sw)
            swarm_step(lv->sw, UINT64_MAX); /* waits at most 5 ms */
        else
            clock_sleep_until_us(now + 20000);
        if ((now = clock_now_us()) >= next_publish) {
            next_publish = now + LIVE_PUBLISH_US;
            live_log_read(lv, now);
            publish(lv, now);
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
    publish(lv, clock_now_us());
    if (cfg->lab && !(lv->pcap = live_pcap_open(cfg->lab, lv, err, sizeof err)))
        fprintf(stderr, LESSON_PROG ": warning: no lane's capture (/pcap): %s\n", err);
    if (!(lv->http = live_http_start(lv, port, err, sizeof err))) {
        fprintf(stderr, LESSON_PROG ": error: --port %d: %s\n", port, err);
        goto out;
    }
    if (live_door_open(lv, err, sizeof err) != 0) {
        fprintf(stderr, LESSON_PROG ": error: --door-address %s --door-port %d: %s\n",
                cfg->door_address, cfg->door_port, err);
        goto out;
    }
    if (cfg->view_address[0] &&
        live_http_view(lv->http, cfg->view_address, cfg->view_port, err, sizeof err) != 0) {
        fprintf(stderr, LESSON_PROG ": error: --view-address %s --view-port %d: %s\n",
                cfg->view_address, cfg->view_port, err);
        goto out;
    }
    if (lv->missing[0])
        fprintf(stderr, LESSON_PROG ": %s\n", lv->missing);
    if (live_http_view_address(lv->http))
        fprintf(stderr, LESSON_PROG ": warning: the lesson's view is open to other machines "
                "on http://%s/: they watch it read-only\n", live_http_view_address(lv->http));
    if (!live_door_local(lv)) /* a teacher's choice, never a surprise */
        fprintf(stderr, LESSON_PROG ": warning: the door is open to other machines on %s: "
                "their programs join this lesson (%d at once from one address, %d in all)\n",
                lv->door.udp_at, LIVE_GUESTS_PER_ADDRESS, LIVE_GUESTS);
    printf(LESSON_PROG ": your own program through the same network: udp://%s%s%s%s "
           "(docs/sockets.md, Your own player)\n", lv->door.udp_at,
           lv->door.tcp >= 0 ? " and tcp://" : "", lv->door.tcp >= 0 ? lv->door.tcp_at : "",
           lv->door.tcp >= 0 ? "" : ", not TCP: no IP mode here");
    if (live_http_view_address(lv->http))
        printf(LESSON_PROG ": the students watch on http://%s/ (read-only)\n",
               live_http_view_address(lv->http));
    printf(LESSON_PROG ": the lesson on http://%s/ (Ctrl-C stops it)\n",
           live_http_address(lv->http));
    fflush(stdout);
    loop(lv, cfg->lab);
    rc = 0;
out:
    live_clients_stop(lv);
    stop_children(lv);
    live_door_close(lv);
    live_http_stop(lv->http);
    live_pcap_close(lv->pcap);
    for (size_t i = 0; i < lv->n_netsims; i++)
        unlink(lv->netsims[i].drop_log);
    unlink(lv->keylog);
    triple_destroy(lv->tb);
    free(lv);
    return rc;
}
