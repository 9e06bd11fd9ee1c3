/* live_clients.c: the lanes' clients (see live.h): made in the clients'
 * network namespace, driven by one swarm on one schedule; a client that
 * is disconnected is made again on its own, its lane alone waiting for
 * it and saying so, the other lanes going on.
 *
 * Every sender of a place (1 of 1, or k of 4) has the same seq at the same
 * turn of the schedule, so that netsim's paired loss drops the same states
 * in every lane: a sender made again takes its seq from its turn. */
#include "live_clients.h"
#include "live.h"
#include "live_lanes.h"
#include "live_run.h"
#include "live_snapshot.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "client/lib/client.h"
#include "client/swarm/swarm.h"
#include "lab/harness/netlab.h"
#include "lab/harness/params.h"
#include "lab/netsim/netsim_ip.h"
#include "sys/clock.h"
#include "sys/log.h"

#define JOIN_TIMEOUT_MS 10000 /* every lane's clients joined within this */
#define LEAD_US 100000u       /* the senders' first state after the lanes are up */
#define MEND_US 1000000u      /* a lane's lost client made again after this */
#define ROLES (LIVE_SENDERS + 1) /* a lane's clients: its senders, then its receiver */

volatile sig_atomic_t live_stop; /* here: the last file of the lesson's that reads it */

/* Clients to make, in a thread that enters the clients' namespace (a
 * socket stays in the namespace it was made in). */
struct make_job {
    const struct netlab *lab;
    struct client_config cfg[BENCH_MODES * ROLES];
    char names[BENCH_MODES * ROLES][40], rooms[BENCH_MODES][40];
    struct ricochet *made[BENCH_MODES * ROLES];
    size_t lane[BENCH_MODES * ROLES]; /* each one's lane */
    int role[BENCH_MODES * ROLES];    /* ... and place in it (lv->senders: the receiver) */
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

/* A lane client's later sockets (HTTP polling's next connection) in the
 * clients' namespace, where its first ones were made: the loop's thread
 * is in the lesson's own, where the relay's address leads nowhere. */
static int client_side_socket(void *lab, int domain, int type, int protocol)
{
    return netlab_socket(lab, NETLAB_CLIENT, domain, type, protocol);
}

/* Lane k's client of place role into the job. */
static void job_add(const struct live *lv, struct make_job *j, size_t k, int role)
{
    const struct live_lane *l = &lv->lanes[k];
    size_t i = j->n++;
    snprintf(j->rooms[k], sizeof j->rooms[k], "lesson-%s", l->def->name);
    if (role == lv->senders)
        snprintf(j->names[i], sizeof j->names[i], "%s-receiver", l->def->name);
    else if (lv->senders == 1)
        snprintf(j->names[i], sizeof j->names[i], "%s-sender", l->def->name);
    else
        snprintf(j->names[i], sizeof j->names[i], "%s-sender%d", l->def->name, role + 1);
    j->lane[i] = k;
    j->role[i] = role;
    j->cfg[i] = (struct client_config){
        .host = lv->relay_host, .port = l->port, .room = j->rooms[k],
        .name = j->names[i], .mode = l->def->mode.mode, .timeout_ms = 5000,
        .no_histograms = true, .transport = (enum ricochet_transport)l->def->transport,
        .poll_short = l->def->poll_interval_ms > 0,
        .poll_interval_ms = l->def->poll_interval_ms,
        .keylog = bench_lane_keyed(l->def) ? lv->keylog : NULL,
        .make_socket = j->lab ? client_side_socket : NULL,
        .make_socket_ctx = (void *)j->lab};
}

/* The job's clients made. Returns 0, or -1 (j->err says why). */
static int job_make(struct make_job *j)
{
    pthread_t t;
    if (pthread_create(&t, NULL, make_run, j) != 0) {
        snprintf(j->err, sizeof j->err, "cannot start a thread to make the clients");
        return -1;
    }
    pthread_join(t, NULL);
    return j->n && !j->made[j->n - 1] ? -1 : 0;
}

/* Closes what no swarm took, and frees the job. */
static void job_free(struct make_job *j)
{
    for (size_t i = 0; j && i < j->n; i++)
        if (j->made[i])
            ricochet_close(j->made[i]);
    free(j);
}

/* Sender k's first state's offset from t0: a lane's senders spread over a
 * period, so that no two of its states leave at once. */
static uint64_t phase_us(const struct live *lv, int k)
{
    return (uint64_t)(1e6 / lv->params->rate_hz) * (uint64_t)k / (uint64_t)lv->senders;
}

/* Client i of job j adopted by the swarm in its lane's place: a sender at
 * the lanes' rate on their schedule (from its next turn if it runs), the
 * receiver at rate 0. Returns 0, or -1 with why in err. */
static int job_adopt(struct live *lv, struct make_job *j, size_t i, char *err, size_t cap)
{
    struct live_lane *l = &lv->lanes[j->lane[i]];
    int role = j->role[i];
    bool sender = role < lv->senders;
    if (swarm_adopt(lv->sw, j->made[i], j->names[i], sender ? lv->params->rate_hz : 0, err,
                    cap) != 0)
        return -1;
    j->made[i] = NULL; /* the swarm's now */
    size_t at = swarm_size(lv->sw) - 1;
    l->n_senders = (size_t)lv->senders;
    l->clients = true;
    if (!sender) {
        l->receiver = at;
        return 0;
    }
    l->sender[role] = at;
    l->seq0[role] = 1 + (uint32_t)role * LIVE_SEQ_APART;
    swarm_phase(lv->sw, at, phase_us(lv, role));
    return 0;
}

/* The endpoint client c sends from (up: its messages', over HTTP polling
 * the POSTs' connection; else the one the relay's come down, the GETs'),
 * as netsim names it, into out; left as it was if c has none now. */
static void flow_of(const struct live *lv, struct ricochet *c, bool up, char *out, size_t cap)
{
    union netaddr ep;
    socklen_t len = sizeof ep;
    if (getsockname(up ? client_socket_up(c) : client_socket(c), &ep.sa, &len) != 0 ||
        netaddr_from_sockaddr(&ep, &ep.sa, len) != 0)
        return;
    if (ep.sa.sa_family == AF_INET && ep.v4.sin_addr.s_addr == htonl(INADDR_ANY))
        ep.v4.sin_addr.s_addr = htonl(lv->ip_mode ? NETSIM_IP_CLIENT : INADDR_LOOPBACK);
    netaddr_format(&ep, out, cap);
}

/* A QUIC sender's state that never left (congestion control held back
 * its most and its client dropped the oldest): its mark says so, the loss
 * explained where no network saw it. */
static void on_fate(void *ctx, struct ricochet *c, uint32_t seq, enum client_fate fate)
{
    struct live *lv = ctx;
    if (fate != CLIENT_FATE_DROPPED)
        return;
    for (size_t k = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        for (size_t s = 0; l->clients && s < l->n_senders; s++)
            if (swarm_client(lv->sw, l->sender[s]) == c) {
                live_lane_unsent(l, (int)s, seq, clock_now_us());
                return;
            }
    }
}

/* The lane's flows as netsim names them (a polling client's connection
 * dialled again has a new endpoint), its senders' ids, and what their
 * transports say of the states they dropped. */
static void lane_ids(struct live *lv, struct live_lane *l)
{
    for (size_t s = 0; s < l->n_senders; s++) {
        struct ricochet *c = swarm_client(lv->sw, l->sender[s]);
        client_set_fate(c, on_fate, lv);
        flow_of(lv, c, true, l->up_flow[s], sizeof l->up_flow[s]);
        l->sender_id[s] = ricochet_id(c);
        l->ends.up_fd[s] = client_socket_up(c);
    }
    struct ricochet *r = swarm_client(lv->sw, l->receiver);
    flow_of(lv, r, false, l->down_flow, sizeof l->down_flow);
    l->ends.down_fd = client_socket(r);
}

const char *live_wall_time(char *buf, size_t cap)
{
    time_t now = time(NULL);
    strftime(buf, cap, "%H:%M:%S", localtime(&now));
    return buf;
}

/* ---- the swarm's hooks ---- */

/* Sender k's turn on the schedule whose state is intended for t_us. */
static uint32_t turn_of(const struct live *lv, int k, uint64_t t_us)
{
    uint64_t first = lv->t0_us + phase_us(lv, k);
    return t_us > first ? (uint32_t)llround((double)(t_us - first) * lv->params->rate_hz / 1e6)
                        : 0;
}

static void on_fill(void *ctx, size_t i, uint64_t t_us, struct ricochet_state *s)
{
    struct live *lv = ctx;
    int sender = 0;
    struct live_lane *l = live_lane_of(lv, i, &sender);
    live_path(lv, t_us, sender < 0 ? 0 : sender, s);
    if (l && sender >= 0) /* its turn's seq, the one every lane's sender of its place has */
        client_set_next_seq(swarm_client(lv->sw, i), l->seq0[sender] + turn_of(lv, sender, t_us));
}

static void on_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct live *lv = ctx;
    int sender;
    struct live_lane *l = live_lane_of(lv, i, &sender);
    if (!ok || !l || sender < 0 || !l->running)
        return;
    struct ricochet_state s;
    live_path(lv, t_us, sender, &s); /* what on_fill put in it */
    live_lane_sent(l, sender, client_next_seq(swarm_client(lv->sw, i)) - 1, t_us, &s,
                   clock_now_us());
}

/* The lane's client of place role was disconnected: said on its strip and
 * made again after MEND_US (live_clients_mend); the other lanes go on. */
static void client_lost(struct live *lv, struct live_lane *l, int role,
                        const struct ricochet_event *ev)
{
    char at[16];
    l->lost |= (uint8_t)(1u << role);
    l->running = false;
    l->again_us = 0;
    live_lane_cut(l, role, clock_now_us());
    if (!l->mend_us)
        l->mend_us = clock_now_us() + MEND_US;
    snprintf(l->why, sizeof l->why, "its %s was disconnected at %s: %s%s%.100s%s",
             role < lv->senders ? "sender" : "receiver", live_wall_time(at, sizeof at),
             ev->code, ev->text[0] ? " (" : "", ev->text, ev->text[0] ? ")" : "");
    snprintf(lv->incident, sizeof lv->incident, "%s: %s; it alone connects again",
             l->def->name, l->why);
    lv->incident_restarted = false;
    log_warn("lesson: %s", lv->incident);
}

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct live *lv = ctx;
    int sender;
    struct live_lane *l = live_lane_of(lv, i, &sender);
    if (!l)
        return;
    int from = sender < 0 ? live_lane_sender_of(l, ev->id) : -1;
    /* lost: a sender's states the relay had still come to the receiver */
    if ((ev->type == RICOCHET_EV_STATE || ev->type == RICOCHET_EV_TOO_OLD) && from >= 0 &&
        (l->running || l->lost)) {
        struct client_netinfo ni; /* HTTP polling: when the GET went that brought it */
        client_netinfo(swarm_client(lv->sw, i), &ni);
        live_lane_got(l, from, ev, ev->type == RICOCHET_EV_TOO_OLD, ni.poll_asked_us);
    }
    else if (ev->type == RICOCHET_EV_DISCONNECTED)
        client_lost(lv, l, sender < 0 ? lv->senders : sender, ev);
}

/* ---- the lanes' clients ---- */

void live_clients_stop(struct live *lv)
{
    for (size_t k = 0; k < lv->n_lanes; k++) { /* first: their goodbyes are no lane's */
        struct live_lane *l = &lv->lanes[k];
        l->clients = l->running = l->mending = false;
        l->lost = 0;
        l->mend_us = 0;
    }
    swarm_destroy(lv->sw);
    lv->sw = NULL;
}

/* Every client of the lane joined (none lost or dead). */
static bool lane_joined(const struct live *lv, const struct live_lane *l)
{
    for (size_t s = 0; s <= l->n_senders; s++) {
        size_t i = s < l->n_senders ? l->sender[s] : l->receiver;
        if (swarm_dead(lv->sw, i) || !ricochet_joined(swarm_client(lv->sw, i)))
            return false;
    }
    return !l->lost;
}

/* Services the lanes' new clients until every one has joined or was lost,
 * within JOIN_TIMEOUT_MS. A lane whose client cannot join at first (its
 * join lost under the path's loss) holds none of the others back: it is
 * made again alone (client_lost, live_clients_mend), and one still joining
 * at the deadline runs once it has. Returns 0, or -1 with err if none
 * joined at all (no relay there) or the lesson is stopping. */
static int wait_joined(struct live *lv, char *err, size_t err_cap)
{
    uint64_t deadline = clock_now_us() + JOIN_TIMEOUT_MS * 1000u;
    for (;;) {
        swarm_service(lv->sw, 1000);
        size_t n = swarm_size(lv->sw), joined = 0, lost = 0;
        for (size_t i = 0; i < n; i++) {
            joined += ricochet_joined(swarm_client(lv->sw, i));
            lost += swarm_dead(lv->sw, i);
        }
        if (live_stop) {
            snprintf(err, err_cap, "interrupted");
            return -1;
        }
        if (joined + lost < n && clock_now_us() < deadline)
            continue;
        if (joined > 0)
            return 0;
        snprintf(err, err_cap, "none of the %zu clients joined in %u s (%zu lost)", n,
                 JOIN_TIMEOUT_MS / 1000u, lost);
        return -1;
    }
}

int live_clients_start(struct live *lv, const struct netlab *lab)
{
    struct make_job *j = calloc(1, sizeof *j);
    struct swarm_hooks hooks = {.ctx = lv, .fill = on_fill, .sent = on_sent, .event = on_event};
    struct swarm_config sc = {.host = "127.0.0.1", .port = 1, .rate_hz = lv->params->rate_hz};
    char err[320] = "out of memory";
    if (!j)
        goto fail;
    j->lab = lab;
    for (size_t k = 0; k < lv->n_lanes; k++)
        for (int role = 0; !lv->lanes[k].missing && role <= lv->senders; role++)
            job_add(lv, j, k, role);
    if (job_make(j) != 0) {
        snprintf(err, sizeof err, "%s", j->err);
        goto fail;
    }
    if (!(lv->sw = swarm_create(&sc, &hooks, err, sizeof err)))
        goto fail;
    for (size_t i = 0; i < j->n; i++)
        if (job_adopt(lv, j, i, err, sizeof err) != 0)
            goto fail;
    if (wait_joined(lv, err, sizeof err) != 0)
        goto fail;
    for (size_t k = 0; k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        if (l->missing || l->lost) /* lost: it connects again alone (client_lost) */
            continue;
        if (!lane_joined(lv, l)) { /* still joining: it runs once it has (live_clients_mend) */
            l->mending = true;
            snprintf(l->why, sizeof l->why, "its clients were still joining when the others "
                     "started");
            continue;
        }
        live_lane_reset(l);
        lane_ids(lv, l);
        l->running = true;
        l->why[0] = '\0';
    }
    lv->t0_us = clock_now_us() + LEAD_US;
    lv->generation++;
    swarm_schedule(lv->sw, lv->t0_us);
    job_free(j);
    return 0;
fail:
    job_free(j);
    live_clients_stop(lv);
    for (size_t k = 0; k < lv->n_lanes; k++)
        if (!lv->lanes[k].missing)
            snprintf(lv->lanes[k].why, sizeof lv->lanes[k].why, "starting: %.180s", err);
    return -1;
}

/* Lane k's lost clients made again and adopted; tried again after
 * MEND_US if that fails. */
static void remake(struct live *lv, const struct netlab *lab, size_t k, uint64_t now)
{
    struct live_lane *l = &lv->lanes[k];
    struct make_job *j = calloc(1, sizeof *j);
    char err[320] = "out of memory";
    l->mend_us = now + MEND_US;
    if (!j)
        goto fail;
    j->lab = lab;
    for (int role = 0; role <= lv->senders; role++)
        if (l->lost & (1u << role))
            job_add(lv, j, k, role);
    if (job_make(j) != 0) {
        snprintf(err, sizeof err, "%s", j->err);
        goto fail;
    }
    for (size_t i = 0; i < j->n; i++) {
        if (job_adopt(lv, j, i, err, sizeof err) != 0)
            goto fail;
        l->lost &= (uint8_t)~(1u << j->role[i]);
    }
    l->mend_us = 0;
    l->mending = true;
    job_free(j);
    return;
fail:
    job_free(j);
    log_warn("lesson: %s: connecting again: %s; trying again", l->def->name, err);
}

void live_clients_mend(struct live *lv, const struct netlab *lab, uint64_t now)
{
    uint64_t window_us = (uint64_t)(lv->cfg->duration_ms + lv->cfg->grace_ms) * 1000u;
    for (size_t k = 0; lv->sw && k < lv->n_lanes; k++) {
        struct live_lane *l = &lv->lanes[k];
        char at[16], was[sizeof l->why];
        if (l->lost && now >= l->mend_us)
            remake(lv, lab, k, now);
        else if (l->mending && lane_joined(lv, l)) { /* its states counted afresh */
            live_lane_reset(l);
            lane_ids(lv, l);
            snprintf(was, sizeof was, "%s", l->why);
            snprintf(l->why, sizeof l->why, "%.280s; connected again at %s", was,
                     live_wall_time(at, sizeof at));
            l->again_us = now;
            l->mending = false;
            l->running = true;
        }
        else if (l->running) {
            lane_ids(lv, l);
            if (l->again_us && now - l->again_us > window_us) { /* the cut is history */
                l->why[0] = '\0';
                l->again_us = 0;
            }
        }
    }
}
