/* bench_run.c: one benchmark run (see bench.h): children, clients, the
 * constant-rate send loop, the measurement, the teardown. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../client/client.h"
#include "../client/swarm.h"
#include "../sys/clock.h"
#include "../sys/log.h"
#include "../proto/statsrec.h"
#include "audit.h"
#include "../sys/spawn.h"

#define START_LEAD_US 20000    /* first send this long after setup */
#define CHILD_START_MS 5000    /* "listening on" deadline for relay / netsim */
#define STOP_WAIT_MS 3000      /* SIGTERM -> exit deadline */
#define REPORT_SLACK_MS 5000   /* a generator's report after its own deadline */
#define DISCONNECT_WAIT_US 500000 /* clients hearing the relay's goodbye */
#define QUIET_MIN_US 300000    /* unreliable drain: silence that ends it */
#define IPV4_UDP_HEADER 28     /* bytes the kernel adds to every datagram */

static volatile sig_atomic_t stop_flag;

void bench_request_stop(void)
{
    stop_flag = 1;
}

bool bench_stop_requested(void)
{
    return stop_flag != 0;
}

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
}

/* ---- sweep parameters ---- */

static const struct {
    const char *name;
    double min, max;
} param_info[BENCH_P_COUNT] = {
    [BENCH_P_CLIENTS] = {"clients", 2, 4000},
    [BENCH_P_RATE] = {"rate", 0.1, 10000},
    [BENCH_P_PAYLOAD] = {"payload", PROTO_STATE_SIZE, PROTO_STATE_MAX},
    [BENCH_P_LOSS] = {"loss", 0, 99},
    [BENCH_P_DELAY] = {"delay", 0, 10000},
    [BENCH_P_JITTER] = {"jitter", 0, 10000},
};

const char *bench_param_name(enum bench_param p)
{
    return p >= 0 && p < BENCH_P_COUNT ? param_info[p].name : NULL;
}

enum bench_param bench_param_parse(const char *name)
{
    for (int i = 0; i < BENCH_P_COUNT; i++)
        if (!strcmp(name, param_info[i].name))
            return (enum bench_param)i;
    return BENCH_P_NONE;
}

double bench_param_get(const struct bench_params *p, enum bench_param which)
{
    switch (which) {
    case BENCH_P_CLIENTS: return (double)p->clients;
    case BENCH_P_RATE: return p->rate_hz;
    case BENCH_P_PAYLOAD: return (double)p->payload;
    case BENCH_P_LOSS: return p->loss_pct;
    case BENCH_P_DELAY: return p->delay_ms;
    case BENCH_P_JITTER: return p->jitter_ms;
    default: return 0;
    }
}

int bench_param_set(struct bench_params *p, enum bench_param which, double v,
                    char *err, size_t err_cap)
{
    if (which < 0 || which >= BENCH_P_COUNT) {
        snprintf(err, err_cap, "unknown parameter");
        return -1;
    }
    if (!isfinite(v) || v < param_info[which].min || v > param_info[which].max) {
        snprintf(err, err_cap, "%s %g is out of range [%g, %g]", param_info[which].name,
                 v, param_info[which].min, param_info[which].max);
        return -1;
    }
    if ((which == BENCH_P_CLIENTS || which == BENCH_P_PAYLOAD) && v != floor(v)) {
        snprintf(err, err_cap, "%s must be a whole number", param_info[which].name);
        return -1;
    }
    switch (which) {
    case BENCH_P_CLIENTS: p->clients = (long)v; break;
    case BENCH_P_RATE: p->rate_hz = v; break;
    case BENCH_P_PAYLOAD: p->payload = (long)v; break;
    case BENCH_P_LOSS: p->loss_pct = v; break;
    case BENCH_P_DELAY: p->delay_ms = v; break;
    case BENCH_P_JITTER: p->jitter_ms = v; break;
    default: break;
    }
    return 0;
}

/* ---- netsim's final counters ---- */

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

/* Sum of the "drops" object in the relay's last stats record, 0 if none. */
static uint64_t relay_final_drops(const char *text)
{
    uint64_t sum = 0;
    cJSON *root = statsrec_last(text, "relay", false);
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(root, "drops"), *d;
    cJSON_ArrayForEach(d, drops)
        if (cJSON_IsNumber(d))
            sum += (uint64_t)d->valuedouble;
    cJSON_Delete(root);
    return sum;
}

/* ---- the run ---- */

struct peer {
    struct ricochet *c;       /* the swarm's client i */
    uint32_t id;
    bool dead;
    uint64_t sent_window;   /* intended sends inside the window */
};

struct run {
    const struct bench_config *cfg;
    const struct bench_params *params;
    enum proto_mode mode;
    struct bench_result *r;
    size_t n;
    size_t first;           /* number of this process's first client (--procs) */
    struct peer *peers;
    struct swarm *sw;       /* drives the clients */
    size_t k;               /* room size (n: one room) */
    struct recv_stats *rs;  /* n x k: rs[receiver * k + sender's place in the room] */
    int32_t *index_of_id;   /* relay id -> peer index, -1 */
    uint32_t max_id;
    uint64_t win_start, win_end;
    uint64_t delivered;
    uint64_t last_arrival_us; /* of a state from the window */
    uint64_t max_latency_us;  /* of any state received */
    struct spawn_proc relay, netsim;
    bool relay_started, netsim_started;
    bool tearing_down;      /* disconnects are expected now */
    /* the audit (audit.h), when netsim writes a drop log for us */
    struct audit_track *track;
    struct audit_client *aclients; /* n */
    char drop_log[512];     /* netsim's --drop-log ("" = none) */
    uint64_t listen_end_us; /* when the bench stopped counting arrivals */
};

static void vlog(const struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void vlog(const struct run *run, const char *fmt, ...)
{
    if (!run->cfg->verbose)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_info("bench: %s", line);
}

static int fail(struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->r->error, sizeof run->r->error, fmt, ap);
    va_end(ap);
    run->r->ok = false;
    return -1;
}

/* Splits s on spaces into args (pointers into buf, a copy of s). */
static size_t split_args(const char *s, char *buf, size_t buf_cap, const char **args,
                         size_t max)
{
    size_t n = 0;
    snprintf(buf, buf_cap, "%s", s);
    for (char *tok = strtok(buf, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        args[n++] = tok;
    return n;
}

static int start_relay(struct run *run, int *port)
{
    const char *args[SPAWN_MAX_ARGS + 1];
    size_t n = 0;
    char extra[256];
    args[n++] = "--bind";
    args[n++] = "127.0.0.1";
    args[n++] = "--port";
    args[n++] = "0";
    args[n++] = "--transport";
    args[n++] = !proto_mode_info(run->mode)->enet ? "udp" : "enet";
    /* the bench's clients all come from 127.0.0.1 and may send fast */
    args[n++] = "--max-per-address";
    args[n++] = "0";
    args[n++] = "--rate-limit";
    args[n++] = "0";
    /* room for every client and room (the relay's defaults are 1024 / 256) */
    char clients[24], rooms[24];
    snprintf(clients, sizeof clients, "%zu", run->n > 1024 ? run->n : 1024);
    snprintf(rooms, sizeof rooms, "%zu", run->n / run->k + 1 > 256 ? run->n / run->k + 1 : 256);
    args[n++] = "--max-clients";
    args[n++] = clients;
    args[n++] = "--max-rooms";
    args[n++] = rooms;
    n += split_args(run->cfg->relay_args, extra, sizeof extra, args + n, SPAWN_MAX_ARGS - n);
    args[n] = NULL;
    char err[256];
    if (spawn_start(&run->relay, run->cfg->bin, "ricochet-relay", args, err, sizeof err) != 0)
        return fail(run, "relay: %s", err);
    run->relay_started = true;
    *port = spawn_wait_listening(&run->relay, CHILD_START_MS, err, sizeof err);
    if (*port < 0)
        return fail(run, "%s", err);
    return 0;
}

/* Where netsim writes its drop log for the audit: in --drop-log-dir, named
 * after the run, or a temporary file. Returns 0 or -1. */
static int drop_log_path(struct run *run)
{
    const struct bench_params *p = run->params;
    if (run->cfg->drop_log_dir[0]) {
        snprintf(run->drop_log, sizeof run->drop_log,
                 "%s/drops_%s_clients%ld_rate%g_loss%g_delay%g_jitter%g.log",
                 run->cfg->drop_log_dir, proto_mode_name(run->mode), p->clients, p->rate_hz,
                 p->loss_pct, p->delay_ms, p->jitter_ms);
        return 0;
    }
    const char *dir = getenv("TMPDIR");
    snprintf(run->drop_log, sizeof run->drop_log, "%s/ricochet-bench-drops-XXXXXX",
             dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(run->drop_log);
    if (fd < 0) {
        run->drop_log[0] = '\0';
        return -1;
    }
    close(fd);
    return 0;
}

static int start_netsim(struct run *run, const char *relay_host, int relay_port,
                        int *port)
{
    struct bench_result *r = run->r;
    const char *args[SPAWN_MAX_ARGS + 1];
    char upstream[160], loss[32], delay[32], jitter[32], seed[32], extra[256];
    size_t n = 0;
    snprintf(upstream, sizeof upstream, "%s:%d", relay_host, relay_port);
    snprintf(loss, sizeof loss, "%.6f", r->hop_loss_pct);
    snprintf(delay, sizeof delay, "%.6f", r->hop_delay_ms);
    snprintf(jitter, sizeof jitter, "%.6f", r->hop_jitter_ms);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->cfg->seed);
    args[n++] = "--relay";
    args[n++] = upstream;
    args[n++] = "--loss";
    args[n++] = loss;
    args[n++] = "--delay";
    args[n++] = delay;
    args[n++] = "--jitter";
    args[n++] = jitter;
    args[n++] = "--seed";
    args[n++] = seed;
    if (run->cfg->reorder)
        args[n++] = "--reorder";
    /* the audit: one line per state netsim dropped or forwarded */
    if (run->cfg->procs <= 1) {
        if (drop_log_path(run) == 0) {
            args[n++] = "--drop-log";
            args[n++] = run->drop_log;
            args[n++] = "--wire";
            args[n++] = proto_mode_info(run->mode)->enet ? "enet" : "udp";
        } else {
            snprintf(r->audit.skipped, sizeof r->audit.skipped, "no drop log: %s",
                     strerror(errno));
        }
    } else {
        snprintf(r->audit.skipped, sizeof r->audit.skipped,
                 "--procs > 1: receivers are in other processes");
    }
    n += split_args(run->cfg->netsim_args, extra, sizeof extra, args + n,
                    SPAWN_MAX_ARGS - n);
    args[n] = NULL;
    char err[256];
    if (spawn_start(&run->netsim, run->cfg->bin, "ricochet-netsim", args, err,
                    sizeof err) != 0)
        return fail(run, "netsim: %s", err);
    run->netsim_started = true;
    *port = spawn_wait_listening(&run->netsim, CHILD_START_MS, err, sizeof err);
    if (*port < 0)
        return fail(run, "%s", err);
    return 0;
}

static int peer_index(const struct run *run, uint32_t id)
{
    if (id == 0 || id > run->max_id)
        return -1;
    return run->index_of_id[id];
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

static void on_event(struct run *run, size_t i, const struct ricochet_event *ev)
{
    struct peer *p = &run->peers[i];
    switch (ev->type) {
    case RICOCHET_EV_STATE: {
        int s = peer_index(run, ev->id);
        if (s < 0 || (size_t)s == i || room_slot(run, i, (size_t)s) < 0)
            return;
        uint64_t t = ev->state.send_us;
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
        if (recv_stats_record(&run->rs[i * run->k + (size_t)room_slot(run, i, (size_t)s)],
                              ev->state.seq, ev->recv_us - (uint64_t)ev->latency_us,
                              ev->recv_us, run->r->latency) == 1) {
            run->delivered++;
            run->last_arrival_us = ev->recv_us;
        }
        return;
    }
    case RICOCHET_EV_TOO_OLD: {
        /* sequenced: dropped by the client library to keep the sender's order */
        int s = peer_index(run, ev->id);
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
            vlog(run, "client %zu disconnected: %s", i, ricochet_end_reason(p->c));
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

static void swarm_sent(void *ctx, size_t i, uint64_t t, bool ok)
{
    struct run *run = ctx;
    if (t < run->win_start || t >= run->win_end)
        return;
    run->peers[i].sent_window++;
    uint64_t now = clock_now_us();
    histogram_record(run->r->send_late, now > t ? now - t : 0);
    if (!ok)
        run->r->send_errors++;
    if (run->track && ok) /* the library numbered it just now */
        audit_track_sent(run->track, i, client_next_seq(run->peers[i].c) - 1);
    else if (run->track)
        audit_track_failed(run->track, i);
}

/* Services the clients for at most wait_us; dead ones are marked. */
static void service(struct run *run, uint64_t wait_us)
{
    swarm_service(run->sw, wait_us);
    for (size_t i = 0; i < run->n; i++)
        run->peers[i].dead = swarm_dead(run->sw, i);
}

/* Client c's flows as netsim names them: the endpoint it sends from (the
 * address the kernel picks towards 127.0.0.1 if bound to any) and ENet's
 * header peer ids. Returns 0 or -1. */
static int client_flows(struct ricochet *c, struct audit_client *ac)
{
    union netaddr ep;
    socklen_t len = sizeof ep;
    if (getsockname(ricochet_fd(c), &ep.sa, &len) != 0 ||
        netaddr_from_sockaddr(&ep, &ep.sa, len) != 0)
        return -1;
    if (ep.sa.sa_family == AF_INET && ep.v4.sin_addr.s_addr == htonl(INADDR_ANY))
        ep.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (ep.sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&ep.v6.sin6_addr))
        ep.v6.sin6_addr = in6addr_loopback;
    struct client_netinfo ni;
    client_netinfo(c, &ni);
    ac->id = ricochet_id(c);
    ac->up = (struct bench_flow){.ep = ep, .peer = (int16_t)ni.enet_peer_out};
    ac->down = ac->up;
    ac->down.peer = (int16_t)ni.enet_peer_in;
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
        return fail(run, "out of memory (audit of %zu clients)", run->n);
    for (size_t i = 0; i < run->n; i++)
        if (client_flows(run->peers[i].c, &run->aclients[i]) != 0)
            return fail(run, "getsockname: %s", strerror(errno));
    return 0;
}

/* Waits until every client is joined (and, over ENet, sees all the others). */
static int setup_clients(struct run *run, const char *host, int port)
{
    size_t n = run->n;
    char err[320];
    struct swarm_config sc = {.host = host, .port = (uint16_t)port, .clients = n,
                              .first = run->first,
                              .room_size = run->k < n ? run->k : 0,
                              .room = "bench", .name = "bench", .mode = run->mode,
                              .timeout_ms = (uint32_t)run->cfg->setup_timeout_ms,
                              .rate_hz = run->params->rate_hz,
                              .payload = (size_t)run->params->payload,
                              .per_host = (size_t)run->cfg->per_host};
    struct swarm_hooks hooks = {.ctx = run, .sent = swarm_sent, .event = swarm_event};
    /* no window yet: nothing counts before measure() sets it */
    run->win_start = run->win_end = UINT64_MAX;
    /* from before the clients are created: thousands take a while, and
     * --setup-timeout bounds the whole setup (the parent of --procs counts
     * on that) */
    uint64_t deadline = clock_now_us() + (uint64_t)run->cfg->setup_timeout_ms * 1000u;
    run->sw = swarm_create(&sc, &hooks, err, sizeof err);
    if (!run->sw)
        return fail(run, "%s", err);
    for (size_t i = 0; i < n; i++)
        run->peers[i].c = swarm_client(run->sw, i);
    /* Joined means the relay has us in the room. In udp mode the joined
     * notices are best effort and a lost one is never resent (the library
     * learns a member from its first state instead), so only the ENet modes
     * also wait for every member to be known. */
    if (swarm_wait_ready(run->sw, true, deadline, &stop_flag, err, sizeof err) != 0)
        return fail(run, "setup: %s (within %ld ms)", err, run->cfg->setup_timeout_ms);
    uint32_t max_id = 0;
    for (size_t i = 0; i < n; i++) {
        run->peers[i].id = ricochet_id(run->peers[i].c);
        if (run->peers[i].id > max_id)
            max_id = run->peers[i].id;
    }
    run->max_id = max_id;
    run->index_of_id = malloc(((size_t)max_id + 1) * sizeof *run->index_of_id);
    if (!run->index_of_id)
        return fail(run, "out of memory");
    for (uint32_t id = 0; id <= max_id; id++)
        run->index_of_id[id] = -1;
    for (size_t i = 0; i < n; i++)
        run->index_of_id[run->peers[i].id] = (int32_t)i;
    return run->drop_log[0] ? audit_setup(run) : 0;
}

static double cpu_self_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The constant-rate loop: sends until the window's end, drains until the
 * grace period is over or everything arrived. */
/* The relay's CPU and memory from wall0_us (and its usage then) to now. */
static void relay_figures(struct run *run, const struct spawn_usage *relay0, uint64_t wall0_us)
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
    if (fds && drops) {
        for (size_t i = 0; i < run->n; i++)
            fds[i] = ricochet_fd(run->peers[i].c);
        audit_socket_drops(fds, run->n, drops);
        for (size_t i = 0; i < run->n; i++) {
            /* clients of one ENet hub (consecutive in the swarm) share its
             * socket, and its drops */
            size_t owner = i;
            while (owner > 0 && fds[owner - 1] == fds[i])
                owner--;
            run->aclients[i].socket_drops = drops[i];
            run->aclients[i].socket_owner = owner;
        }
    }
    free(fds);
    free(drops);
    /* and the path's: a state netsim or the relay never read shows here */
    struct bench_audit *a = &run->r->audit;
    if (run->netsim_started)
        audit_process_socket_drops(run->netsim.pid, &a->netsim_socket_drops);
    if (run->relay_started)
        audit_process_socket_drops(run->relay.pid, &a->relay_socket_drops);
}

/* What measure() takes at the start of the window, to report differences. */
struct window_start {
    struct client_netinfo wire;
    struct spawn_usage relay;
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
    r->bench_cpu_pct = 100.0 * (cpu_self_s() - w0->self_cpu_s) / elapsed;
    relay_figures(run, &w0->relay, w0->wall_us);
    struct client_netinfo wire;
    swarm_wire(run->sw, &wire);
    r->wire_bytes = (wire.bytes_sent - w0->wire.bytes_sent) +
                    (wire.bytes_received - w0->wire.bytes_received);
    r->wire_datagrams = (wire.datagrams_sent - w0->wire.datagrams_sent) +
                        (wire.datagrams_received - w0->wire.datagrams_received);
    size_t enet_n = 0;
    for (size_t i = 0; i < n; i++) {
        struct peer *p = &run->peers[i];
        struct client_netinfo ni;
        client_netinfo(p->c, &ni);
        if (proto_mode_info(run->mode)->enet && !p->dead) {
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
    run->listen_end_us = clock_now_us();
    if (run->aclients)
        socket_drops(run);
}

/* Sends from t0 through the warmup and the window, drains until every
 * expected state arrived (or the grace ran out, or an unreliable mode went
 * quiet), then records the figures. Returns 0, or fail() if interrupted. */
static int measure(struct run *run, uint64_t t0)
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
            w0.self_cpu_s = cpu_self_s();
            w0.wall_us = now;
        }
        if (stop_flag)
            return fail(run, "interrupted");
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
        if (!(proto_mode_info(run->mode)->up_flags & PROTO_FLAG_RELIABLE)) {
            uint64_t last = run->last_arrival_us > run->win_end ? run->last_arrival_us
                                                                : run->win_end;
            uint64_t quiet = 2 * run->max_latency_us;
            if (quiet < QUIET_MIN_US)
                quiet = QUIET_MIN_US;
            if (now >= last + quiet)
                break;
        }
    }

    record_figures(run, &w0);
    return 0;
}

/* The figures that follow from the counts and the histogram. */
static void derive(struct bench_result *r)
{
    r->lost_pct = r->expected
                      ? 100.0 * (double)(r->expected > r->delivered ? r->expected - r->delivered : 0) /
                            (double)r->expected
                      : 0;
    const struct histogram *h = r->latency;
    r->p50_us = histogram_percentile(h, 50);
    r->p90_us = histogram_percentile(h, 90);
    r->p99_us = histogram_percentile(h, 99);
    r->p999_us = histogram_percentile(h, 99.9);
    r->max_us = histogram_percentile(h, 100);
    r->mean_us = histogram_mean(h);
    r->late_p50_us = histogram_percentile(r->send_late, 50);
    r->late_p99_us = histogram_percentile(r->send_late, 99);
    r->bytes_per_msg = r->delivered
                           ? ((double)r->wire_bytes + IPV4_UDP_HEADER * (double)r->wire_datagrams) /
                                 (double)r->delivered
                           : 0;
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

static void summarize(struct run *run)
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
                vlog(run, "client %zu got %llu of %llu states from client %zu", i,
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
    r->jitter_us = jn ? jsum / (double)jn : 0;
    r->jitter_pairs = jn;
    derive(r);
}

/* ---- several generator processes (--procs) ----
 *
 * The clients are split into P slices of whole rooms, one per child
 * process (fork), so every state a client hears comes from its own
 * process and the per-pair figures stay local. Each child joins its
 * clients and says so; the parent then gives every child the same start
 * time, measures the relay over the window, and merges what the children
 * send back: counts add up, histograms merge exactly. */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads len bytes from a pipe; gives up (-2) at deadline_us or on a stop
 * request: a generator stuck anywhere cannot hold the bench for ever, nor
 * a parent gone quiet its generator. Returns 0, -1 (closed, error) or -2. */
static int read_until(int fd, void *buf, size_t len, uint64_t deadline_us)
{
    char *p = buf;
    while (len > 0) {
        uint64_t now = clock_now_us();
        if (stop_flag || now >= deadline_us)
            return -2;
        uint64_t wait_ms = (deadline_us - now + 999) / 1000;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        /* at most 100 ms: a signal just before poll is seen in time */
        int r = poll(&pf, 1, wait_ms < 100 ? (int)wait_ms : 100);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r <= 0)
            continue;
        ssize_t got = read(fd, p, len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got;
        len -= (size_t)got;
    }
    return 0;
}

/* What a child sends back: its result and its histograms. */
struct part {
    struct bench_result r; /* r.latency, r.send_late are not valid across processes */
    struct histogram latency, send_late;
};

/* A child: joins clients [first, first + n), reports ready ('R') or not
 * ('E'), waits for t0 (servicing its clients), measures, sends its part, exits. */
static void child_run(struct run *run, size_t first, size_t n, const char *host, int port,
                      int up, int down)
{
    static struct part pt;
    run->relay_started = run->netsim_started = false; /* the parent's */
    run->first = first;
    run->n = n;
    run->peers = calloc(n, sizeof *run->peers);
    run->rs = calloc(n * run->k, sizeof *run->rs);
    if (!run->peers || !run->rs)
        _exit(3);
    for (size_t i = 0; i < n * run->k; i++)
        recv_stats_reset(&run->rs[i]);
    int rc = setup_clients(run, host, port);
    char ready = rc == 0 ? 'R' : 'E';
    uint64_t t0 = 0;
    if (write_all(up, &ready, 1) == 0 && rc == 0) {
        /* The other generators may still be joining (thousands of clients
         * take seconds): ours are serviced meanwhile, or the relay times
         * out their ENet peers (udp: expires them) before the start. */
        if (swarm_wait_readable(run->sw, down, UINT64_MAX, &stop_flag) != 0 ||
            read_until(down, &t0, sizeof t0, UINT64_MAX) != 0 || t0 == 0)
            rc = fail(run, "no start time from the parent");
        else if ((rc = measure(run, t0)) == 0)
            summarize(run);
    }
    pt.r = *run->r;
    pt.latency = *run->r->latency;
    pt.send_late = *run->r->send_late;
    write_all(up, &pt, sizeof pt);
    /* No polite goodbyes: the parent stops the relay, which ends them. */
    _exit(rc == 0 ? 0 : 1);
}

/* Adds a child's part into r (means weighted by what they average over). */
static void merge_part(struct bench_result *r, const struct part *pt, size_t p)
{
    const struct bench_result *x = &pt->r;
    r->sent += x->sent;
    r->send_errors += x->send_errors;
    r->expected += x->expected;
    r->delivered += x->delivered;
    r->duplicates += x->duplicates;
    r->reordered += x->reordered;
    r->too_old += x->too_old;
    if (x->clock_bound_us > r->clock_bound_us)
        r->clock_bound_us = x->clock_bound_us;
    r->disconnects += x->disconnects;
    r->wire_bytes += x->wire_bytes;
    r->wire_datagrams += x->wire_datagrams;
    r->jitter_us += x->jitter_us * (double)x->jitter_pairs;
    r->jitter_pairs += x->jitter_pairs;
    r->enet_rtt_ms += x->enet_rtt_ms * (double)x->enet_clients;
    r->enet_loss_pct += x->enet_loss_pct * (double)x->enet_clients;
    r->enet_clients += x->enet_clients;
    r->rooms += x->rooms;
    r->rooms_below += x->rooms_below;
    if (p == 0 || x->worst_room_pct < r->worst_room_pct)
        r->worst_room_pct = x->worst_room_pct;
    r->proc_cpu_pct[p] = x->bench_cpu_pct;
    if (x->bench_cpu_pct > r->bench_cpu_pct)
        r->bench_cpu_pct = x->bench_cpu_pct;
    histogram_merge(r->latency, &pt->latency);
    histogram_merge(r->send_late, &pt->send_late);
}

struct child {
    pid_t pid;
    int up, down; /* child -> parent, parent -> child */
};

static int fork_children(struct run *run, struct child *ch, size_t procs, const char *host,
                         int port)
{
    size_t rooms = (run->n + run->k - 1) / run->k;
    for (size_t p = 0; p < procs; p++) {
        size_t first = rooms * p / procs * run->k, end = rooms * (p + 1) / procs * run->k;
        if (end > run->n)
            end = run->n;
        int up[2], down[2];
        if (pipe(up) != 0 || pipe(down) != 0)
            return fail(run, "pipe: %s", strerror(errno));
        fflush(NULL);
        ch[p].pid = fork();
        if (ch[p].pid < 0)
            return fail(run, "fork: %s", strerror(errno));
        if (ch[p].pid == 0) {
            close(up[0]);
            close(down[1]);
            child_run(run, first, end - first, host, port, up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);
        ch[p].up = up[0];
        ch[p].down = down[1];
    }
    return 0;
}

/* Closes the pipes and reaps the children; after a failure each gets
 * SIGTERM and, if it is not gone within STOP_WAIT_MS (stuck, stopped),
 * SIGKILL: waitpid must not wait for ever either. */
static void reap_children(struct child *ch, size_t procs, bool failed)
{
    for (size_t p = 0; p < procs; p++) {
        /* Closed first: a child still writing its part (a failed run stops
         * reading) gets EPIPE instead of blocking our waitpid for ever. */
        close(ch[p].up);
        close(ch[p].down);
        if (ch[p].pid > 0 && failed)
            kill(ch[p].pid, SIGTERM);
    }
    uint64_t kill_at = clock_now_us() + (uint64_t)STOP_WAIT_MS * 1000u;
    for (size_t p = 0; p < procs; p++) {
        if (ch[p].pid <= 0)
            continue;
        pid_t gone = 0;
        while (failed && (gone = waitpid(ch[p].pid, NULL, WNOHANG)) == 0 &&
               clock_now_us() < kill_at)
            clock_sleep_ms(10);
        if (!failed || gone == 0) {
            if (failed)
                kill(ch[p].pid, SIGKILL);
            waitpid(ch[p].pid, NULL, 0);
        }
    }
}

/* The parent's side of a run with procs children. */
static int run_procs(struct run *run, size_t procs, const char *host, int port)
{
    struct bench_result *r = run->r;
    if ((run->n + run->k - 1) / run->k < procs)
        return fail(run, "--procs %zu needs at least %zu rooms (--room-size): a room is never "
                    "split over processes", procs, procs);
    struct child ch[BENCH_MAX_PROCS];
    static struct part pt;
    memset(ch, 0, sizeof ch);
    /* each generator's setup ends by its own --setup-timeout (see
     * setup_clients); what it reports comes a little later */
    uint64_t ready_by = clock_now_us() +
                        (uint64_t)(run->cfg->setup_timeout_ms + REPORT_SLACK_MS) * 1000u;
    int rc = fork_children(run, ch, procs, host, port);
    for (size_t p = 0; rc == 0 && p < procs; p++) {
        char ready = 0;
        int got = read_until(ch[p].up, &ready, 1, ready_by);
        if (got == -2)
            rc = stop_flag ? fail(run, "interrupted")
                           : fail(run, "generator process %zu did not finish its setup "
                                       "within %ld ms", p + 1,
                                  run->cfg->setup_timeout_ms + REPORT_SLACK_MS);
        else if (got != 0)
            rc = fail(run, "generator process %zu died during setup", p + 1);
        else if (ready != 'R')
            rc = read_until(ch[p].up, &pt, sizeof pt, ready_by) == 0
                     ? fail(run, "generator process %zu: %s", p + 1, pt.r.error)
                     : fail(run, "generator process %zu failed", p + 1);
    }
    uint64_t t0 = rc == 0 ? clock_now_us() + START_LEAD_US : 0;
    for (size_t p = 0; p < procs; p++)
        if (ch[p].pid > 0)
            write_all(ch[p].down, &t0, sizeof t0); /* 0: give up */
    if (rc == 0) {
        run->win_start = t0 + (uint64_t)run->cfg->warmup_ms * 1000u;
        clock_sleep_until_us(run->win_start);
        struct spawn_usage relay0 = {0};
        if (run->relay_started)
            spawn_usage(&run->relay, &relay0);
        uint64_t parts_by = run->win_start + (uint64_t)(run->cfg->duration_ms +
                                                         run->cfg->grace_ms +
                                                         REPORT_SLACK_MS) * 1000u;
        for (size_t p = 0; rc == 0 && p < procs; p++) {
            int got = read_until(ch[p].up, &pt, sizeof pt, parts_by);
            if (got == -2)
                rc = stop_flag ? fail(run, "interrupted")
                               : fail(run, "generator process %zu sent no result within "
                                           "%d ms of the drain's end", p + 1, REPORT_SLACK_MS);
            else if (got != 0)
                rc = fail(run, "generator process %zu died", p + 1);
            else if (!pt.r.ok)
                rc = fail(run, "generator process %zu: %s", p + 1, pt.r.error);
            else
                merge_part(r, &pt, p);
        }
        relay_figures(run, &relay0, run->win_start);
    }
    r->procs = procs;
    reap_children(ch, procs, rc != 0);
    if (rc == 0) {
        if (r->jitter_pairs)
            r->jitter_us /= (double)r->jitter_pairs;
        if (r->enet_clients) {
            r->enet_rtt_ms /= (double)r->enet_clients;
            r->enet_loss_pct /= (double)r->enet_clients;
        }
        derive(r);
    }
    return rc;
}

/* Stops the relay first (it says goodbye to the clients through netsim),
 * then netsim (its counters), then frees the clients. */
static void teardown(struct run *run)
{
    struct bench_result *r = run->r;
    run->tearing_down = true;
    if (run->relay_started) {
        /* The relay says goodbye (error shutting_down, ENet disconnect) and
         * waits for the acknowledgements: keep servicing the clients so they
         * answer and see their DISCONNECT, which makes freeing them quick. */
        vlog(run, "stopping the relay");
        spawn_signal(&run->relay, SIGTERM);
        uint64_t deadline = clock_now_us() + (uint64_t)STOP_WAIT_MS * 1000u;
        for (;;) {
            bool relay_up = spawn_running(&run->relay);
            size_t alive = 0;
            if (run->sw)
                service(run, 0);
            for (size_t i = 0; run->sw && i < run->n; i++)
                alive += !run->peers[i].dead;
            /* udp clients are not told reliably; they just close */
            if (!proto_mode_info(run->mode)->enet)
                alive = 0;
            if ((!relay_up && alive == 0) || clock_now_us() >= deadline)
                break;
            if (!relay_up && clock_now_us() + DISCONNECT_WAIT_US > deadline)
                deadline = clock_now_us() + DISCONNECT_WAIT_US;
            clock_sleep_until_us(clock_now_us() + 1000);
        }
        spawn_stop(&run->relay, SIGKILL, STOP_WAIT_MS); /* if it still runs */
        vlog(run, "relay stopped");
        char *out = spawn_read_stdout(&run->relay);
        if (out)
            r->relay_drops = relay_final_drops(out);
        free(out);
    }
    if (run->netsim_started) {
        vlog(run, "stopping netsim");
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
    vlog(run, "freeing the clients");
    swarm_destroy(run->sw);
    vlog(run, "clients freed");
    if (run->relay_started)
        spawn_free(&run->relay);
    if (run->netsim_started)
        spawn_free(&run->netsim);
}

/* Reconciles the run with netsim's drop log (netsim has stopped: the log
 * is complete), then removes a temporary log and the records. */
static void audit_finish(struct run *run, bool ok)
{
    struct bench_audit *a = &run->r->audit;
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
    audit_track_free(run->track);
    free(run->aclients);
    run->track = NULL;
    run->aclients = NULL;
}

int bench_run(const struct bench_config *cfg, const struct bench_params *params,
              enum proto_mode mode, struct bench_result *r)
{
    memset(r, 0, sizeof *r);
    r->params = *params;
    r->mode = mode;
    r->ok = true;
    struct run run = {.cfg = cfg, .params = params, .mode = mode, .r = r};
    run.n = (size_t)params->clients;
    run.k = cfg->room_size > 0 && (size_t)cfg->room_size < run.n ? (size_t)cfg->room_size
                                                                  : run.n;
    int rc = -1;

    r->latency = calloc(1, sizeof *r->latency);
    r->send_late = calloc(1, sizeof *r->send_late);
    run.peers = calloc(run.n, sizeof *run.peers);
    run.rs = calloc(run.n * run.k, sizeof *run.rs);
    if (!r->latency || !r->send_late || !run.peers || !run.rs) {
        fail(&run, "out of memory");
        goto out;
    }
    histogram_reset(r->latency);
    histogram_reset(r->send_late);
    for (size_t i = 0; i < run.n * run.k; i++)
        recv_stats_reset(&run.rs[i]);

    /* end to end -> per hop */
    r->with_netsim = cfg->force_netsim || params->loss_pct > 0 || params->delay_ms > 0 ||
                     params->jitter_ms > 0 || cfg->netsim_args[0];
    r->hop_loss_pct = 100.0 * (1.0 - sqrt(1.0 - params->loss_pct / 100.0));
    r->hop_delay_ms = params->delay_ms / 2;
    r->hop_jitter_ms = params->jitter_ms / 2;
    r->netsim_seed = cfg->seed;

    char relay_host[128] = "127.0.0.1";
    int relay_port = 0, port;
    if (cfg->relay[0]) {
        const char *colon = strrchr(cfg->relay, ':');
        if (!colon || colon == cfg->relay || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
            fail(&run, "--relay wants ADDR:PORT, got \"%s\"", cfg->relay);
            goto out;
        }
        snprintf(relay_host, sizeof relay_host, "%.*s", (int)(colon - cfg->relay), cfg->relay);
        relay_port = atoi(colon + 1);
    } else if (start_relay(&run, &relay_port) != 0) {
        goto out;
    }
    port = relay_port;
    if (r->with_netsim && start_netsim(&run, relay_host, relay_port, &port) != 0)
        goto out;
    vlog(&run, "%s: %ld clients at %g Hz -> %s:%d%s", proto_mode_name(mode),
         params->clients, params->rate_hz, r->with_netsim ? "127.0.0.1" : relay_host, port,
         r->with_netsim ? " (netsim)" : "");
    const char *host = r->with_netsim ? "127.0.0.1" : relay_host;
    if (cfg->procs > 1) {
        if (run_procs(&run, (size_t)cfg->procs, host, port) != 0)
            goto out;
    } else {
        if (setup_clients(&run, host, port) != 0)
            goto out;
        if (measure(&run, clock_now_us() + START_LEAD_US) != 0)
            goto out;
        summarize(&run);
    }
    rc = 0;
out:
    teardown(&run);
    if (rc == 0 && r->with_netsim && !r->truth.valid)
        r->ok = false, rc = -1;
    audit_finish(&run, rc == 0 && r->ok);
    free(run.index_of_id);
    free(run.peers);
    free(run.rs);
    return rc;
}
