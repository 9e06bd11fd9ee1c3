/* netsim_main.c: ricochet-netsim, a UDP proxy that impairs the traffic
 * between clients and a relay (the models are in netsim.h).
 *
 * One listening socket faces the clients. Each client address (ip:port) gets
 * a flow with its own upstream socket connected to the relay, so the relay
 * sees one peer per client. Client -> relay datagrams go through the "up"
 * model, relay -> client through "down". One loop: ppoll() on every socket
 * with the next delivery time as timeout, then hand out what is due. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../proto/clock.h"
#include "../proto/log.h"
#include "../proto/netaddr.h"
#include "../proto/options.h"
#include "../proto/signals.h"
#include "../proto/version.h"
#include "capture.h"
#include "droplog.h"
#include "netsim.h"
#include "statescan.h"

#define PROG "ricochet-netsim"
#define RECV_BATCH 256         /* datagrams read per socket per loop turn */
#define TICK_US 100000u        /* flow expiry check */
#define SOCKET_BUFFER (1 << 21) /* asked for; the kernel may give less */
#define FD_SPARE 16            /* descriptors besides the flows': stdio, listener, libc */
#define ERROR_LOG_US 1000000u  /* a repeating error is logged at most this often */

/* Model settings that exist per direction. Negative values in up/down mean
 * "same as the plain option" (both). */
struct dir_opts {
    double loss, ge_p, ge_r, ge_good, ge_bad, delay, jitter, dup, rate;
    long queue_limit, queue_bytes;
};

struct config {
    char listen[64];
    char relay[64];
    char stats_json[256];
    char drop_log[256];    /* "" = none */
    char pcap[256];        /* "" = none; dropped datagrams go to PCAP.dropped */
    int wire;              /* enum statescan_wire: how --drop-log reads datagrams */
    struct dir_opts both, up, down;
    int jitter_dist;
    bool reorder;
    long seed;
    double duration;       /* s; 0 = until a signal */
    long max_pending;
    long max_flows;
    double flow_timeout;   /* s */
    double stats_interval; /* s; 0 = only at exit */
    int log_level;
};

#define DIR_DOUBLE(NAME, FIELD, DEF, MAX, HELP)                                              \
    {NAME, OPTION_DOUBLE, offsetof(struct config, both.FIELD), DEF, 0, MAX, NULL, HELP},     \
    {"up-" NAME, OPTION_DOUBLE, offsetof(struct config, up.FIELD), "-1", -1, MAX, NULL,      \
     "client->relay only (-1: as --" NAME ")"},                                              \
    {"down-" NAME, OPTION_DOUBLE, offsetof(struct config, down.FIELD), "-1", -1, MAX, NULL,  \
     "relay->client only (-1: as --" NAME ")"}
#define DIR_INT(NAME, FIELD, DEF, MAX, HELP)                                                 \
    {NAME, OPTION_INT, offsetof(struct config, both.FIELD), DEF, 0, MAX, NULL, HELP},        \
    {"up-" NAME, OPTION_INT, offsetof(struct config, up.FIELD), "-1", -1, MAX, NULL,         \
     "client->relay only (-1: as --" NAME ")"},                                              \
    {"down-" NAME, OPTION_INT, offsetof(struct config, down.FIELD), "-1", -1, MAX, NULL,     \
     "relay->client only (-1: as --" NAME ")"}

static const struct option_def option_defs[] = {
    {"listen", OPTION_STRING, offsetof(struct config, listen), "127.0.0.1:0", 3, 64, NULL,
     "address:port the clients send to (0.0.0.0:P or [::]:P for every interface; "
     "port 0 picks one)"},
    {"relay", OPTION_STRING, offsetof(struct config, relay), "", 0, 64, NULL,
     "address:port of the relay, [v6]:port for IPv6 (required)"},
    DIR_DOUBLE("loss", loss, "0", 100, "independent loss, % of datagrams"),
    DIR_DOUBLE("ge-p", ge_p, "0", 100, "Gilbert-Elliott: % chance good -> bad per datagram"),
    DIR_DOUBLE("ge-r", ge_r, "0", 100, "Gilbert-Elliott: % chance bad -> good (mean burst 100/r)"),
    DIR_DOUBLE("ge-loss-good", ge_good, "0", 100, "Gilbert-Elliott: loss % in the good state"),
    DIR_DOUBLE("ge-loss-bad", ge_bad, "100", 100, "Gilbert-Elliott: loss % in the bad state"),
    DIR_DOUBLE("delay", delay, "0", 3600000, "one-way delay, ms"),
    DIR_DOUBLE("jitter", jitter, "0", 3600000,
               "delay varies by +-jitter ms (uniform) or stddev jitter (normal)"),
    DIR_DOUBLE("dup", dup, "0", 100, "duplicate % of datagrams"),
    DIR_DOUBLE("rate-kbps", rate, "0", 1e9, "bottleneck rate, kbit/s (0 = unlimited)"),
    DIR_INT("queue-limit", queue_limit, "1000", 1e9,
            "bottleneck queue in datagrams, drops when full (0 = no limit)"),
    DIR_INT("queue-bytes", queue_bytes, "0", 1e12,
            "bottleneck queue in bytes, drops when full (0 = no limit)"),
    {"jitter-dist", OPTION_CHOICE, offsetof(struct config, jitter_dist), "uniform", 0, 0,
     "uniform|normal", "jitter distribution (normal is clamped at 3 stddev)"},
    {"reorder", OPTION_BOOL, offsetof(struct config, reorder), "false", 0, 0, NULL,
     "let jitter reorder datagrams (otherwise order is kept)"},
    {"seed", OPTION_INT, offsetof(struct config, seed), "0", 0, 9007199254740991.0, NULL,
     "random seed (0 = pick one; printed at start)"},
    {"duration", OPTION_DOUBLE, offsetof(struct config, duration), "0", 0, 1e7, NULL,
     "stop after this many seconds (0 = until SIGINT/SIGTERM)"},
    {"max-pending", OPTION_INT, offsetof(struct config, max_pending), "65536", 1, 1e8, NULL,
     "datagrams held per direction at most (beyond: dropped as overflow)"},
    {"max-flows", OPTION_INT, offsetof(struct config, max_flows), "1024", 1, 60000, NULL,
     "client addresses served at once"},
    {"flow-timeout", OPTION_DOUBLE, offsetof(struct config, flow_timeout), "60", 0.1, 1e6,
     NULL, "seconds without traffic before a client's upstream socket is closed"},
    {"stats-interval", OPTION_DOUBLE, offsetof(struct config, stats_interval), "0", 0, 1e6,
     NULL, "print a JSON stats line every this many seconds (0 = only at exit)"},
    {"stats-json", OPTION_STRING, offsetof(struct config, stats_json), "", 0, 256, NULL,
     "also write the final JSON stats line to this file"},
    {"drop-log", OPTION_STRING, offsetof(struct config, drop_log), "", 0, 256, NULL,
     "write one line per state dropped, duplicated or forwarded to this file"},
    {"pcap", OPTION_STRING, offsetof(struct config, pcap), "", 0, 240, NULL,
     "write forwarded datagrams to this pcap file, dropped ones to FILE.dropped"},
    {"wire", OPTION_CHOICE, offsetof(struct config, wire), "enet", 0, 0, "udp|enet",
     "how --drop-log finds states in datagrams: plain udp or ENet commands"},
    {"log-level", OPTION_CHOICE, offsetof(struct config, log_level), "info", 0, 0,
     "debug|info|warn|error|off", "stderr log level"},
    {0},
};

static const char summary[] =
    "UDP proxy between clients and a relay that drops, delays, reorders, duplicates and\n"
    "rate-limits datagrams, per direction (up = client->relay, down = relay->client).\n"
    "Plain options set both directions; up-/down- options override one.\n"
    "At exit prints counters on stderr and one JSON line on stdout.";

struct flow {
    bool used;
    union netaddr client;
    int fd;             /* connected to the relay */
    uint64_t last_us;   /* last datagram either way */
    uint64_t pending;   /* copies in the simulator that name this flow */
};

struct proxy {
    struct config cfg;
    uint64_t seed;
    union netaddr listen_addr, relay_addr;
    int listen_fd;
    struct netsim *sim;
    struct flow *flows;
    size_t n_flows;       /* used slots */
    struct pollfd *pfds;
    size_t *pfd_flow;     /* pfds[i] (i >= 1) belongs to flows[pfd_flow[i]] */
    uint64_t start_us;
    uint64_t flows_created, flows_expired, flows_refused;
    uint64_t upstream_unlogged;   /* upstream socket failures not logged yet */
    uint64_t upstream_next_log_us; /* earliest time to log the next one */
    uint64_t send_errors[NETSIM_DIRS], recv_errors[NETSIM_DIRS];
    struct histogram late_us[NETSIM_DIRS]; /* actual send time - model's due time */
    FILE *drop_log;                        /* --drop-log, or NULL */
    struct droplog_counts drop_counts;
    struct capture *cap_fwd, *cap_drop;    /* --pcap, or NULL */
    unsigned char buf[NETSIM_MAX_DATAGRAM];
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

/* Logs at info level, or plainly when the log level hides info: scripts read
 * the seed and the port from these lines whatever --log-level says. */
static void say_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say_always(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log_threshold <= LOG_INFO)
        log_info("%s", line);
    else
        fprintf(stderr, "%s\n", line);
}

/* A per-direction value: -1 inherits the plain option; any other negative
 * value is a typo, not a wish. */
static double pick(double dir_value, double both, const char *dir, const char *name)
{
    if (dir_value == -1)
        return both;
    if (dir_value < 0)
        options_fail(PROG, "--%s-%s: %g is neither -1 (same as --%s) nor a value", dir, name,
                     dir_value, name);
    return dir_value;
}

static void model_from(struct netsim_model *m, const struct config *c, const struct dir_opts *d,
                       const char *dir)
{
    const struct dir_opts *b = &c->both;
#define PICK(F, NAME) pick((double)d->F, (double)b->F, dir, NAME)
    netsim_model_default(m);
    m->loss_pct = PICK(loss, "loss");
    m->ge_p_pct = PICK(ge_p, "ge-p");
    m->ge_r_pct = PICK(ge_r, "ge-r");
    m->ge_loss_good_pct = PICK(ge_good, "ge-loss-good");
    m->ge_loss_bad_pct = PICK(ge_bad, "ge-loss-bad");
    m->delay_ms = PICK(delay, "delay");
    m->jitter_ms = PICK(jitter, "jitter");
    m->dup_pct = PICK(dup, "dup");
    m->rate_kbps = PICK(rate, "rate-kbps");
    m->queue_packets = (uint64_t)PICK(queue_limit, "queue-limit");
    m->queue_bytes = (uint64_t)PICK(queue_bytes, "queue-bytes");
#undef PICK
    m->jitter_dist = c->jitter_dist;
    m->reorder = c->reorder;
    m->max_pending = (uint64_t)c->max_pending;
}

/* A socket of addr's family. */
static int udp_socket_nonblock(const union netaddr *family)
{
    int fd = netaddr_udp_socket(family, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    int size = SOCKET_BUFFER;
    /* Best effort: a bigger buffer absorbs bursts between two loop turns. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

static struct flow *flow_find(struct proxy *px, const union netaddr *from, size_t *index)
{
    for (size_t i = 0; i < (size_t)px->cfg.max_flows; i++) {
        struct flow *f = &px->flows[i];
        if (f->used && netaddr_equal(&f->client, from)) {
            *index = i;
            return f;
        }
    }
    return NULL;
}

/* Logs a failed upstream socket at most once per ERROR_LOG_US: at the
 * descriptor limit it fails for every datagram of every new client. */
static void upstream_failed(struct proxy *px, const union netaddr *from, int err,
                            uint64_t now)
{
    char a[NETADDR_STR_MAX];
    if (now < px->upstream_next_log_us) {
        px->upstream_unlogged++;
        return;
    }
    if (px->upstream_unlogged)
        log_error("netsim: upstream socket for %s: %s (and %llu more failures since the last "
                  "report)", netaddr_format(from, a, sizeof a), strerror(err),
                  (unsigned long long)px->upstream_unlogged);
    else
        log_error("netsim: upstream socket for %s: %s", netaddr_format(from, a, sizeof a),
                  strerror(err));
    px->upstream_unlogged = 0;
    px->upstream_next_log_us = now + ERROR_LOG_US;
}

/* Opens an upstream socket for a new client address. Returns the flow, or
 * NULL (counted) if the table is full or the socket cannot be made. */
static struct flow *flow_open(struct proxy *px, const union netaddr *from, uint64_t now,
                              size_t *index)
{
    char a[NETADDR_STR_MAX];
    size_t i;
    for (i = 0; i < (size_t)px->cfg.max_flows && px->flows[i].used; i++)
        ;
    if (i == (size_t)px->cfg.max_flows) {
        if (px->flows_refused++ == 0)
            log_warn("netsim: %zu flows in use, refusing %s (see --max-flows)", i,
                     netaddr_format(from, a, sizeof a));
        return NULL;
    }
    int fd = udp_socket_nonblock(&px->relay_addr);
    if (fd < 0 || connect(fd, &px->relay_addr.sa, netaddr_len(&px->relay_addr)) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        px->flows_refused++;
        upstream_failed(px, from, err, now);
        return NULL;
    }
    struct flow *f = &px->flows[i];
    *f = (struct flow){.used = true, .client = *from, .fd = fd, .last_us = now};
    px->n_flows++;
    px->flows_created++;
    union netaddr local;
    socklen_t len = sizeof local;
    char b[NETADDR_STR_MAX];
    if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
        log_debug("netsim: flow %s <-> %s", netaddr_format(from, a, sizeof a),
                  netaddr_format(&local, b, sizeof b));
    *index = i;
    return f;
}

/* Closes flows that have been silent for --flow-timeout and have nothing
 * left in the simulator (a pending copy needs its socket). */
static void flows_expire(struct proxy *px, uint64_t now)
{
    uint64_t idle = (uint64_t)(px->cfg.flow_timeout * 1e6);
    for (size_t i = 0; i < (size_t)px->cfg.max_flows; i++) {
        struct flow *f = &px->flows[i];
        if (f->used && f->pending == 0 && now - f->last_us >= idle) {
            char a[NETADDR_STR_MAX];
            log_debug("netsim: flow %s expired", netaddr_format(&f->client, a, sizeof a));
            close(f->fd);
            f->used = false;
            px->n_flows--;
            px->flows_expired++;
        }
    }
}

/* --drop-log: one line per state for each event one datagram met. */
static void log_states(struct proxy *px, enum droplog_event ev, enum netsim_dir dir,
                       const struct flow *f, uint64_t now, uint64_t delay_us,
                       const unsigned char *bytes, size_t len)
{
    char a[NETADDR_STR_MAX];
    droplog_datagram(px->drop_log, &px->drop_counts, (enum statescan_wire)px->cfg.wire, ev, dir,
                     netaddr_format(&f->client, a, sizeof a), now, delay_us, bytes, len);
}

/* --pcap: one datagram as the client and the relay see it, at wall-clock now. */
static void capture(struct proxy *px, struct capture *cap, enum netsim_dir dir,
                    const struct flow *f, const unsigned char *bytes, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (dir == NETSIM_UP)
        capture_write(cap, &f->client, &px->relay_addr, bytes, len, tv);
    else
        capture_write(cap, &px->relay_addr, &f->client, bytes, len, tv);
}

static void submit(struct proxy *px, enum netsim_dir dir, size_t index, size_t len, uint64_t now)
{
    struct flow *f = &px->flows[index];
    struct droplog_mark before, after;
    f->last_us = now;
    droplog_mark(&before, netsim_counters(px->sim, dir));
    int r = netsim_submit(px->sim, dir, index, px->buf, len, now);
    if (r > 0)
        f->pending += (uint64_t)r;
    droplog_mark(&after, netsim_counters(px->sim, dir));
    for (int ev = 0; ev < DROPLOG_FWD; ev++) {
        if (after.n[ev] == before.n[ev])
            continue;
        if (px->drop_log)
            log_states(px, (enum droplog_event)ev, dir, f, now, 0, px->buf, len);
        /* Both copies of a duplicated datagram may be dropped: one record each. */
        for (uint64_t k = before.n[ev]; px->cap_drop && ev != DROPLOG_DUP && k < after.n[ev]; k++)
            capture(px, px->cap_drop, dir, f, px->buf, len);
    }
}

static void read_clients(struct proxy *px, uint64_t now)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        union netaddr from;
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(px->listen_fd, px->buf, sizeof px->buf, 0,
                               (struct sockaddr *)&from, &fl);
        if (len < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                px->recv_errors[NETSIM_UP]++;
                log_debug("netsim: recvfrom: %s", strerror(errno));
            }
            return;
        }
        if (len == 0 || netaddr_from_sockaddr(&from, &from.sa, fl) != 0)
            continue;
        size_t index;
        if (!flow_find(px, &from, &index) && !flow_open(px, &from, now, &index))
            continue;
        submit(px, NETSIM_UP, index, (size_t)len, now);
    }
}

static void read_relay(struct proxy *px, size_t index, uint64_t now)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        ssize_t len = recv(px->flows[index].fd, px->buf, sizeof px->buf, 0);
        if (len < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            /* ECONNREFUSED: an earlier send met no relay (ICMP port
             * unreachable). Counted; the socket stays usable. */
            px->recv_errors[NETSIM_DOWN]++;
            log_debug("netsim: recv from relay: %s", strerror(errno));
            return;
        }
        if (len > 0)
            submit(px, NETSIM_DOWN, index, (size_t)len, now);
    }
}

static void deliver_due(struct proxy *px, uint64_t now)
{
    struct netsim_datagram dg;
    while (netsim_next_due(px->sim, now, &dg)) {
        struct flow *f = &px->flows[dg.flow];
        f->pending--;
        /* The proxy's own timing error (wake-up latency), on top of the
         * modelled delay; the benchmark sees both. */
        histogram_record(&px->late_us[dg.dir], now - dg.due_us);
        if (px->drop_log)
            log_states(px, DROPLOG_FWD, dg.dir, f, now, dg.due_us - dg.entry_us, dg.bytes,
                       dg.len);
        if (px->cap_fwd)
            capture(px, px->cap_fwd, dg.dir, f, dg.bytes, dg.len);
        ssize_t r;
        if (dg.dir == NETSIM_UP)
            r = send(f->fd, dg.bytes, dg.len, 0);
        else
            r = sendto(px->listen_fd, dg.bytes, dg.len, 0, &f->client.sa,
                       netaddr_len(&f->client));
        if (r < 0) {
            if (px->send_errors[dg.dir]++ == 0)
                log_warn("netsim: send %s: %s (counted in send_errors)",
                         netsim_dir_name(dg.dir), strerror(errno));
        }
    }
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Adds the named numbers to o, in order. */
struct stat_field {
    const char *name;
    double v;
};

static void add_fields(cJSON *o, const struct stat_field *f, size_t n)
{
    for (size_t i = 0; o && i < n; i++)
        cJSON_AddNumberToObject(o, f[i].name, f[i].v);
}

static double rounded(double v, double scale)
{
    return round(v * scale) / scale;
}

/* One direction of the stats record (STATS.md, netsim kind). */
static void add_dir_json(cJSON *root, struct proxy *px, enum netsim_dir dir)
{
    const struct netsim_counters *c = netsim_counters(px->sim, dir);
    const struct histogram *h = &c->delay_us;
    const struct histogram *late = &px->late_us[dir];
    uint64_t dropped = c->dropped_loss + c->dropped_burst + c->dropped_queue + c->dropped_overflow;
    cJSON *o = cJSON_AddObjectToObject(root, netsim_dir_name(dir));
    const struct stat_field head[] = {
        {"received", (double)c->received}, {"received_bytes", (double)c->received_bytes},
        {"forwarded", (double)c->forwarded}, {"forwarded_bytes", (double)c->forwarded_bytes},
        {"dropped", (double)dropped}, {"loss_pct", rounded(pct(dropped, c->received), 1e4)}};
    add_fields(o, head, sizeof head / sizeof head[0]);
    const struct stat_field drops[] = {
        {"loss", (double)c->dropped_loss}, {"burst", (double)c->dropped_burst},
        {"queue", (double)c->dropped_queue}, {"overflow", (double)c->dropped_overflow}};
    add_fields(o ? cJSON_AddObjectToObject(o, "drops") : NULL, drops, 4);
    const struct stat_field tail[] = {
        {"duplicated", (double)c->duplicated}, {"reordered", (double)c->reordered},
        {"discarded", (double)c->discarded}, {"pending", (double)netsim_pending(px->sim, dir)},
        {"ge_bursts", (double)c->ge_bursts}, {"ge_bad", (double)c->ge_bad_datagrams},
        {"send_errors", (double)px->send_errors[dir]},
        {"recv_errors", (double)px->recv_errors[dir]}};
    add_fields(o, tail, sizeof tail / sizeof tail[0]);
    const struct stat_field delay[] = {
        {"min", (double)(h->total ? h->min : 0)},
        {"p50", (double)histogram_percentile(h, 50)},
        {"p90", (double)histogram_percentile(h, 90)},
        {"p99", (double)histogram_percentile(h, 99)},
        {"p999", (double)histogram_percentile(h, 99.9)},
        {"max", (double)histogram_percentile(h, 100)},
        {"mean", rounded(histogram_mean(h), 10)}};
    add_fields(o ? cJSON_AddObjectToObject(o, "delay_us") : NULL, delay, 7);
    const struct stat_field late_f[] = {{"p50", (double)histogram_percentile(late, 50)},
                                        {"p99", (double)histogram_percentile(late, 99)},
                                        {"max", (double)histogram_percentile(late, 100)}};
    add_fields(o ? cJSON_AddObjectToObject(o, "late_us") : NULL, late_f, 3);
}

/* The stats record, netsim kind (STATS.md): one JSON line, one writer. */
static void print_json(FILE *out, struct proxy *px, uint64_t now, bool final)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return;
    cJSON_AddStringToObject(root, "type", "stats");
    cJSON_AddStringToObject(root, "program", "netsim");
    cJSON_AddStringToObject(root, "version", version_ricochet());
    const struct stat_field head[] = {
        {"seed", (double)px->seed}, {"uptime_s", rounded((double)(now - px->start_us) / 1e6, 1e3)},
        {"flows", (double)px->n_flows}, {"flows_created", (double)px->flows_created},
        {"flows_expired", (double)px->flows_expired},
        {"flows_refused", (double)px->flows_refused}};
    add_fields(root, head, sizeof head / sizeof head[0]);
    add_dir_json(root, px, NETSIM_UP);
    add_dir_json(root, px, NETSIM_DOWN);
    cJSON_AddBoolToObject(root, "final", final);
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        fprintf(out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
    fflush(out);
}

static void print_human(struct proxy *px, uint64_t now)
{
    const struct netsim_counters *u = netsim_counters(px->sim, NETSIM_UP);
    const struct netsim_counters *d = netsim_counters(px->sim, NETSIM_DOWN);
    fprintf(stderr,
            "netsim: seed %llu, %.1f s, flows %zu (created %llu, expired %llu, refused %llu)\n"
            "  %-18s %12s %12s\n",
            (unsigned long long)px->seed, (double)(now - px->start_us) / 1e6, px->n_flows,
            (unsigned long long)px->flows_created, (unsigned long long)px->flows_expired,
            (unsigned long long)px->flows_refused, "", "up", "down");
#define ROW(LABEL, EXPR_U, EXPR_D)                                                           \
    fprintf(stderr, "  %-18s %12llu %12llu\n", LABEL, (unsigned long long)(EXPR_U),          \
            (unsigned long long)(EXPR_D))
    ROW("received", u->received, d->received);
    ROW("forwarded", u->forwarded, d->forwarded);
    ROW("dropped loss", u->dropped_loss, d->dropped_loss);
    ROW("dropped burst", u->dropped_burst, d->dropped_burst);
    ROW("dropped queue", u->dropped_queue, d->dropped_queue);
    ROW("dropped overflow", u->dropped_overflow, d->dropped_overflow);
    ROW("duplicated", u->duplicated, d->duplicated);
    ROW("reordered", u->reordered, d->reordered);
    ROW("discarded at exit", u->discarded + netsim_pending(px->sim, NETSIM_UP),
        d->discarded + netsim_pending(px->sim, NETSIM_DOWN));
    ROW("send errors", px->send_errors[NETSIM_UP], px->send_errors[NETSIM_DOWN]);
    ROW("recv errors", px->recv_errors[NETSIM_UP], px->recv_errors[NETSIM_DOWN]);
#undef ROW
    uint64_t du = u->dropped_loss + u->dropped_burst + u->dropped_queue + u->dropped_overflow;
    uint64_t dd = d->dropped_loss + d->dropped_burst + d->dropped_queue + d->dropped_overflow;
    fprintf(stderr, "  %-18s %11.3f%% %11.3f%%\n", "dropped", pct(du, u->received),
            pct(dd, d->received));
    const double ps[] = {50, 99, 100};
    const char *names[] = {"delay p50 ms", "delay p99 ms", "delay max ms"};
    for (int i = 0; i < 3; i++)
        fprintf(stderr, "  %-18s %12.3f %12.3f\n", names[i],
                (double)histogram_percentile(&u->delay_us, ps[i]) / 1000.0,
                (double)histogram_percentile(&d->delay_us, ps[i]) / 1000.0);
    fprintf(stderr, "  %-18s %12.3f %12.3f\n", "late p99 ms",
            (double)histogram_percentile(&px->late_us[NETSIM_UP], 99) / 1000.0,
            (double)histogram_percentile(&px->late_us[NETSIM_DOWN], 99) / 1000.0);
}

static int write_stats_file(struct proxy *px, uint64_t now)
{
    FILE *f = fopen(px->cfg.stats_json, "w");
    if (!f) {
        log_error("netsim: --stats-json %s: %s", px->cfg.stats_json, strerror(errno));
        return -1;
    }
    print_json(f, px, now, true);
    if (fclose(f) != 0) {
        log_error("netsim: --stats-json %s: %s", px->cfg.stats_json, strerror(errno));
        return -1;
    }
    return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static int run(struct proxy *px)
{
    const struct config *cfg = &px->cfg;
    uint64_t end_us = cfg->duration > 0 ? px->start_us + (uint64_t)(cfg->duration * 1e6)
                                        : UINT64_MAX;
    uint64_t stats_every = (uint64_t)(cfg->stats_interval * 1e6);
    uint64_t next_stats = stats_every ? px->start_us + stats_every : UINT64_MAX;
    uint64_t next_tick = px->start_us + TICK_US;

    /* Signals are blocked except inside ppoll, so a SIGTERM between the flag
     * check and the wait cannot be missed. */
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGUSR1);

    while (!stop_requested) {
        uint64_t now = clock_now_us();
        if (now >= end_us)
            break;
        if (stats_requested || now >= next_stats) {
            stats_requested = 0;
            print_json(stdout, px, now, false);
            while (next_stats <= now)
                next_stats += stats_every;
        }
        if (now >= next_tick) {
            flows_expire(px, now);
            next_tick = now + TICK_US;
        }

        size_t n = 0;
        px->pfds[n++] = (struct pollfd){.fd = px->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < (size_t)cfg->max_flows; i++) {
            if (px->flows[i].used) {
                px->pfd_flow[n] = i;
                px->pfds[n++] = (struct pollfd){.fd = px->flows[i].fd, .events = POLLIN};
            }
        }
        uint64_t wake = min_u64(min_u64(netsim_next_deadline(px->sim), end_us),
                                min_u64(next_tick, next_stats));
        uint64_t wait_us = wake > now ? wake - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(wait_us / 1000000u),
                              .tv_nsec = (long)(wait_us % 1000000u) * 1000};
        int r = ppoll(px->pfds, n, &ts, &wait_mask);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_error("netsim: ppoll: %s", strerror(errno));
            return -1;
        }
        now = clock_now_us();
        if (r > 0) {
            if (px->pfds[0].revents)
                read_clients(px, now);
            for (size_t i = 1; i < n; i++)
                if (px->pfds[i].revents)
                    read_relay(px, px->pfd_flow[i], now);
        }
        deliver_due(px, clock_now_us());
    }
    return 0;
}

/* Every flow holds a socket: --max-flows of them must fit under
 * RLIMIT_NOFILE. Raises the soft limit (up to the hard one) if needed;
 * exits 2 if they cannot fit. */
static void fd_limit_fit(long max_flows)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)max_flows + FD_SPARE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= need)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        options_fail(PROG, "--max-flows %ld needs %llu file descriptors, the hard limit is "
                     "%llu (ulimit -Hn)", max_flows, (unsigned long long)need,
                     (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        options_fail(PROG, "--max-flows %ld: cannot raise the file descriptor limit to %llu: %s",
                     max_flows, (unsigned long long)need, strerror(errno));
    log_debug("netsim: raised the file descriptor limit to %llu", (unsigned long long)need);
}

/* Small enough to survive a JSON double and to type back in. */
static uint64_t seed_from_clock(void)
{
    uint64_t x = clock_now_us() ^ ((uint64_t)getpid() << 20);
    x ^= x >> 29;
    return (x * 0x9e3779b97f4a7c15u >> 32) | 1;
}

/* netsim between machines: allowed, but said aloud, since a typo in --relay
 * then sends impaired traffic to someone else's host. */
static void warn_if_not_loopback(const struct proxy *px)
{
    if (!netaddr_is_loopback(&px->listen_addr))
        log_warn("netsim: --listen %s is not a loopback address: clients on other machines "
                 "can send through this proxy", px->cfg.listen);
    if (!netaddr_is_loopback(&px->relay_addr))
        log_warn("netsim: --relay %s is not a loopback address: datagrams leave this machine "
                 "(netsim adds its impairments to the network's own)", px->cfg.relay);
}

/* Options, addresses, models and seed; exits 2 on anything wrong. */
static void configure(struct proxy *px, struct netsim_model models[NETSIM_DIRS], int argc,
                      char **argv)
{
    struct config *cfg = &px->cfg;
    char err[256];

    options_parse_or_exit(option_defs, cfg, argc, argv, PROG, summary);
    log_threshold = (enum log_level)cfg->log_level;
    if (!cfg->relay[0])
        options_fail(PROG, "--relay ADDR:PORT is required");
    if (netaddr_parse_endpoint(cfg->relay, &px->relay_addr, err, sizeof err) < 0)
        options_fail(PROG, "--relay %s", err);
    if (netaddr_port(&px->relay_addr) == 0)
        options_fail(PROG, "--relay '%s': the relay's port cannot be 0", cfg->relay);
    if (netaddr_parse_endpoint(cfg->listen, &px->listen_addr, err, sizeof err) < 0)
        options_fail(PROG, "--listen %s", err);
    warn_if_not_loopback(px);
    model_from(&models[NETSIM_UP], cfg, &cfg->up, "up");
    model_from(&models[NETSIM_DOWN], cfg, &cfg->down, "down");
    for (int i = 0; i < NETSIM_DIRS; i++)
        if (netsim_model_check(&models[i], err, sizeof err) < 0)
            options_fail(PROG, "%s: %s", netsim_dir_name((enum netsim_dir)i), err);
    fd_limit_fit(cfg->max_flows);
    px->seed = cfg->seed ? (uint64_t)cfg->seed : seed_from_clock();
}

/* --drop-log: opens the file and writes its header. Returns 0 or -1 (logged). */
static int drop_log_open(struct proxy *px)
{
    if (!px->cfg.drop_log[0])
        return 0;
    px->drop_log = fopen(px->cfg.drop_log, "w");
    if (!px->drop_log) {
        log_error("netsim: --drop-log %s: %s", px->cfg.drop_log, strerror(errno));
        return -1;
    }
    droplog_header(px->drop_log, (enum statescan_wire)px->cfg.wire);
    return 0;
}

/* Closes the drop log with a summary line. Returns 0, or -1 if writing failed. */
static int drop_log_close(struct proxy *px)
{
    if (!px->drop_log)
        return 0;
    const struct droplog_counts *c = &px->drop_counts;
    fprintf(px->drop_log, "# states: loss %llu burst %llu queue %llu overflow %llu dup %llu "
                          "fwd %llu exit %llu; unreadable datagrams %llu\n",
            (unsigned long long)c->states[DROPLOG_LOSS],
            (unsigned long long)c->states[DROPLOG_BURST],
            (unsigned long long)c->states[DROPLOG_QUEUE],
            (unsigned long long)c->states[DROPLOG_OVERFLOW],
            (unsigned long long)c->states[DROPLOG_DUP], (unsigned long long)c->states[DROPLOG_FWD],
            (unsigned long long)c->states[DROPLOG_EXIT], (unsigned long long)c->unreadable);
    bool bad = ferror(px->drop_log);
    if (fclose(px->drop_log) != 0 || bad) {
        log_error("netsim: --drop-log %s: write failed", px->cfg.drop_log);
        return -1;
    }
    px->drop_log = NULL;
    return 0;
}

/* --pcap: FILE for what was forwarded, FILE.dropped for what was dropped.
 * Returns 0 or -1 (logged). */
static int pcap_open(struct proxy *px)
{
    char path[sizeof px->cfg.pcap + 16], err[256];
    if (!px->cfg.pcap[0])
        return 0;
    snprintf(path, sizeof path, "%s.dropped", px->cfg.pcap);
    px->cap_fwd = capture_open(px->cfg.pcap, err, sizeof err);
    if (px->cap_fwd)
        px->cap_drop = capture_open(path, err, sizeof err);
    if (!px->cap_fwd || !px->cap_drop) {
        log_error("netsim: --pcap: %s", err);
        return -1;
    }
    return 0;
}

/* Closes the captures, saying how many datagrams each holds. Returns 0, or
 * -1 if writing failed. */
static int pcap_close(struct proxy *px)
{
    if (!px->cap_fwd)
        return 0;
    if (px->cap_drop)
        log_info("netsim: --pcap: %llu forwarded datagrams in %s, %llu dropped in %s.dropped",
                 (unsigned long long)capture_count(px->cap_fwd), px->cfg.pcap,
                 (unsigned long long)capture_count(px->cap_drop), px->cfg.pcap);
    int rc = capture_close(px->cap_fwd) | capture_close(px->cap_drop);
    px->cap_fwd = px->cap_drop = NULL;
    if (rc)
        log_error("netsim: --pcap %s: write failed", px->cfg.pcap);
    return rc ? -1 : 0;
}

/* Allocates the tables and the simulator and binds the listening socket.
 * Returns 0, or -1 (logged). */
static int proxy_open(struct proxy *px, const struct netsim_model models[NETSIM_DIRS])
{
    size_t max_flows = (size_t)px->cfg.max_flows;

    px->listen_fd = -1;
    histogram_reset(&px->late_us[NETSIM_UP]);
    histogram_reset(&px->late_us[NETSIM_DOWN]);
    px->flows = calloc(max_flows, sizeof *px->flows);
    px->pfds = calloc(max_flows + 1, sizeof *px->pfds);
    px->pfd_flow = calloc(max_flows + 1, sizeof *px->pfd_flow);
    px->sim = netsim_create(models, px->seed);
    if (!px->flows || !px->pfds || !px->pfd_flow || !px->sim) {
        log_error("netsim: out of memory");
        return -1;
    }
    px->listen_fd = udp_socket_nonblock(&px->listen_addr);
    if (px->listen_fd < 0 || bind(px->listen_fd, &px->listen_addr.sa,
                                  netaddr_len(&px->listen_addr)) < 0) {
        log_error("netsim: bind %s: %s", px->cfg.listen, strerror(errno));
        return -1;
    }
    socklen_t len = sizeof px->listen_addr;
    getsockname(px->listen_fd, &px->listen_addr.sa, &len);
    return drop_log_open(px) < 0 || pcap_open(px) < 0 ? -1 : 0;
}

/* The seed, each direction's model, and the listening line. */
static void announce(const struct proxy *px, const struct netsim_model models[NETSIM_DIRS])
{
    char a[NETADDR_STR_MAX], b[NETADDR_STR_MAX];
    say_always("netsim: seed %llu", (unsigned long long)px->seed);
    for (int i = 0; i < NETSIM_DIRS; i++) {
        const struct netsim_model *m = &models[i];
        char ge[96] = "off";
        if (m->ge_p_pct > 0 || m->ge_loss_good_pct > 0)
            snprintf(ge, sizeof ge, "p=%g%% r=%g%% loss good=%g%% bad=%g%%", m->ge_p_pct,
                     m->ge_r_pct, m->ge_loss_good_pct, m->ge_loss_bad_pct);
        char rate[96] = "unlimited";
        if (m->rate_kbps > 0)
            snprintf(rate, sizeof rate, "%g kbit/s queue %llu pkts %llu B (0 = no limit)",
                     m->rate_kbps, (unsigned long long)m->queue_packets,
                     (unsigned long long)m->queue_bytes);
        log_info("netsim: %-4s loss %g%%, ge %s, delay %g ms jitter %g ms %s%s, dup %g%%, "
                 "rate %s",
                 netsim_dir_name((enum netsim_dir)i), m->loss_pct, ge, m->delay_ms,
                 m->jitter_ms, m->jitter_dist == NETSIM_JITTER_NORMAL ? "normal" : "uniform",
                 m->reorder ? " reorder" : "", m->dup_pct, rate);
    }
    /* The space after the port matters: scripts read the port up to it. */
    say_always("listening on %s (netsim -> relay %s)", netaddr_format(&px->listen_addr, a, sizeof a),
               netaddr_format(&px->relay_addr, b, sizeof b));
}

/* --drop-log: a copy still held at exit, about to be thrown away. */
static void log_exit(void *ctx, const struct netsim_datagram *dg)
{
    struct proxy *px = ctx;
    log_states(px, DROPLOG_EXIT, dg->dir, &px->flows[dg->flow], clock_now_us(), 0, dg->bytes,
               dg->len);
}

/* Final report (if the loop ran), then closes everything. Returns the exit
 * status: rc, or 1 if the --stats-json file could not be written. */
static int proxy_close(struct proxy *px, int rc)
{
    uint64_t now = clock_now_us();
    if (px->sim) {
        if (px->start_us) {
            print_human(px, now);
            if (px->drop_log)
                netsim_each_pending(px->sim, log_exit, px);
            netsim_discard(px->sim);
            print_json(stdout, px, now, true);
            if (px->cfg.stats_json[0] && write_stats_file(px, now) < 0)
                rc = 1;
        }
        netsim_destroy(px->sim);
    }
    if (drop_log_close(px) < 0 || pcap_close(px) < 0)
        rc = 1;
    for (size_t i = 0; px->flows && i < (size_t)px->cfg.max_flows; i++)
        if (px->flows[i].used)
            close(px->flows[i].fd);
    if (px->listen_fd >= 0)
        close(px->listen_fd);
    free(px->flows);
    free(px->pfds);
    free(px->pfd_flow);
    return rc;
}

int main(int argc, char **argv)
{
    static struct proxy px; /* large (receive buffer); static keeps it off the stack */
    struct netsim_model models[NETSIM_DIRS];
    int rc = 1;

    configure(&px, models, argc, argv);
    if (proxy_open(&px, models) == 0) {
        signals_install(&stop_requested, &stats_requested, NULL);
        announce(&px, models);
        px.start_us = clock_now_us();
        if (run(&px) == 0)
            rc = 0;
    }
    return proxy_close(&px, rc);
}
