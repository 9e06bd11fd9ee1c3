/* netsim_options.c: ricochet-netsim's command line (see netsim_options.h). */
#include "netsim_options.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/httpd.h"
#include "sys/log.h"
#include "sys/options.h"

#include <cjson/cJSON.h>

#define FD_SPARE 16            /* descriptors besides the flows': stdio, listener, libc */

#define OFF(FIELD) offsetof(struct netsim_options, FIELD)
#define DIR_DOUBLE(NAME, FIELD, DEF, MAX, HELP)                                              \
    {NAME, OPTION_DOUBLE, OFF(both.FIELD), DEF, 0, MAX, NULL, HELP},                         \
    {"up-" NAME, OPTION_DOUBLE, OFF(up.FIELD), "-1", -1, MAX, NULL,                          \
     "client->relay only (-1: as --" NAME ")"},                                              \
    {"down-" NAME, OPTION_DOUBLE, OFF(down.FIELD), "-1", -1, MAX, NULL,                      \
     "relay->client only (-1: as --" NAME ")"}
#define DIR_INT(NAME, FIELD, DEF, MAX, HELP)                                                 \
    {NAME, OPTION_INT, OFF(both.FIELD), DEF, 0, MAX, NULL, HELP},                            \
    {"up-" NAME, OPTION_INT, OFF(up.FIELD), "-1", -1, MAX, NULL,                             \
     "client->relay only (-1: as --" NAME ")"},                                              \
    {"down-" NAME, OPTION_INT, OFF(down.FIELD), "-1", -1, MAX, NULL,                         \
     "relay->client only (-1: as --" NAME ")"}

static const struct option_def option_defs[] = {
    {"listen", OPTION_STRING, offsetof(struct netsim_options, listen), "127.0.0.1:0", 3, 64, NULL,
     "address:port the clients send to (0.0.0.0:P or [::]:P for every interface; "
     "port 0 picks one)"},
    {"relay", OPTION_STRING, offsetof(struct netsim_options, relay), "", 0, 64, NULL,
     "address:port of the relay, [v6]:port for IPv6 (required, but in IP mode)"},
    {"client-netns", OPTION_STRING, offsetof(struct netsim_options, client_netns), "", 0, 256,
     NULL,
     "IP mode: the clients' network namespace (a file naming it: /run/netns/NAME, "
     "/proc/PID/ns/net); netsim puts a TUN device there, 198.18.0.1, and carries every IP "
     "packet between it and --relay-netns"},
    {"relay-netns", OPTION_STRING, offsetof(struct netsim_options, relay_netns), "", 0, 256,
     NULL, "IP mode: the relay's network namespace; its TUN device is 198.19.0.1"},
    DIR_DOUBLE("loss", loss, "0", 100, "independent loss, % of datagrams"),
    DIR_DOUBLE("loss-corr", loss_corr, "0", 100,
               "how much % each loss draw depends on the one before (netem's loss random P C)"),
    DIR_DOUBLE("ge-p", ge_p, "0", 100, "Gilbert-Elliott: % chance good -> bad per datagram"),
    DIR_DOUBLE("ge-r", ge_r, "0", 100, "Gilbert-Elliott: % chance bad -> good (mean burst 100/r)"),
    DIR_DOUBLE("ge-loss-good", ge_good, "0", 100, "Gilbert-Elliott: loss % in the good state"),
    DIR_DOUBLE("ge-loss-bad", ge_bad, "100", 100, "Gilbert-Elliott: loss % in the bad state"),
    DIR_DOUBLE("delay", delay, "0", 3600000, "one-way delay, ms"),
    DIR_DOUBLE("jitter", jitter, "0", 3600000,
               "delay varies by +-jitter ms (uniform) or by jitter ms of standard deviation "
               "(the other --jitter-dist)"),
    DIR_DOUBLE("delay-corr", delay_corr, "0", 100,
               "how much % each jitter draw depends on the one before (netem's delay D J C)"),
    DIR_DOUBLE("dup", dup, "0", 100, "duplicate % of datagrams"),
    DIR_DOUBLE("dup-corr", dup_corr, "0", 100, "correlation % of the duplication draws"),
    DIR_DOUBLE("corrupt", corrupt, "0", 100,
               "% of datagrams with one random bit flipped, forwarded all the same (netem's "
               "corrupt)"),
    DIR_DOUBLE("corrupt-corr", corrupt_corr, "0", 100, "correlation % of the corruption draws"),
    DIR_DOUBLE("reorder-pct", reorder_pct, "0", 100,
               "after --reorder-gap - 1 delayed datagrams, send each further one at once "
               "(no delay) with this % (netem's reorder; needs --delay)"),
    DIR_DOUBLE("reorder-corr", reorder_corr, "0", 100, "correlation % of the reorder draws"),
    DIR_INT("reorder-gap", reorder_gap, "1", 1e9,
            "datagrams delayed before one may go at once (netem's gap)"),
    DIR_DOUBLE("rate-kbps", rate, "0", 1e9, "bottleneck rate, kbit/s (0 = unlimited)"),
    DIR_INT("queue-limit", queue_limit, "1000", 1e9,
            "bottleneck queue in datagrams, drops when full (0 = no limit)"),
    DIR_INT("queue-bytes", queue_bytes, "0", 1e12,
            "bottleneck queue in bytes, drops when full (0 = no limit)"),
    {"jitter-dist", OPTION_CHOICE, offsetof(struct netsim_options, jitter_dist), "uniform", 0, 0,
     "uniform|normal|pareto|paretonormal",
     "jitter distribution (netem's distribution; all but uniform are clamped at 4 standard "
     "deviations)"},
    {"reorder", OPTION_BOOL, offsetof(struct netsim_options, reorder), "false", 0, 0, NULL,
     "let jitter reorder datagrams (otherwise order is kept)"},
    {"seed", OPTION_INT, offsetof(struct netsim_options, seed), "0", 0, 9007199254740991.0, NULL,
     "random seed (0 = pick one; printed at start)"},
    {"duration", OPTION_DOUBLE, offsetof(struct netsim_options, duration), "0", 0, 1e7, NULL,
     "stop after this many seconds (0 = until SIGINT/SIGTERM)", .short_name = 't'},
    {"max-pending", OPTION_INT, offsetof(struct netsim_options, max_pending), "65536", 1, 1e8, NULL,
     "datagrams held per direction at most (beyond: dropped as overflow)"},
    {"max-flows", OPTION_INT, offsetof(struct netsim_options, max_flows), "1024", 1, 60000, NULL,
     "client addresses served at once"},
    {"flow-timeout", OPTION_DOUBLE, offsetof(struct netsim_options, flow_timeout), "60", 0.1, 1e6,
     NULL, "seconds without traffic before a client's upstream socket is closed"},
    {"stats-interval", OPTION_DOUBLE, offsetof(struct netsim_options, stats_interval), "0", 0, 1e6,
     NULL, "print a JSON stats line every this many seconds (0 = only at exit)"},
    {"stats-file", OPTION_STRING, offsetof(struct netsim_options, stats_json), "", 0, 256, NULL,
     "also write the final JSON stats line to this file", .old_name = "stats-json"},
    {"drop-log", OPTION_STRING, offsetof(struct netsim_options, drop_log), "", 0, 256, NULL,
     "write one line per state dropped, duplicated or forwarded to this file"},
    {"pcap", OPTION_STRING, offsetof(struct netsim_options, pcap), "", 0, 240, NULL,
     "write forwarded datagrams to this pcap file, dropped ones to FILE.dropped"},
    {"wire", OPTION_CHOICE, offsetof(struct netsim_options, wire), "enet", 0, 0,
     "udp|enet|webrtc|quic|auto", "how --drop-log and --paired-loss find states in datagrams: "
     "plain udp, ENet commands, WebRTC data channels inside DTLS or QUIC's datagrams and streams "
     "(both with --keylog), or each flow's from its first datagram (auto)"},
    {"keylog", OPTION_STRING, offsetof(struct netsim_options, keylog), "", 0, 240, NULL,
     "with --wire webrtc, quic or auto: the key log (SSLKEYLOGFILE's format) its DTLS or QUIC "
     "clients write, read as it grows"},
    {"paired-loss", OPTION_BOOL, offsetof(struct netsim_options, paired_loss), "false", 0, 0,
     NULL, "lose a datagram that carries states by their sequence numbers, not by a draw: each "
     "state's first transmission is lost when a hash of (seed, direction, seq) falls under "
     "--loss or a chain stepped per seq is in a burst, so flows side by side lose the same "
     "states (--wire finds them; retransmissions and datagrams without a state draw as ever)"},
    {"log-level", OPTION_CHOICE, offsetof(struct netsim_options, log_level), "info", 0, 0,
     "debug|info|warn|error|off", "stderr log level", .short_name = 'V',
     .short_value = "debug"},
    {"metrics", OPTION_STRING, offsetof(struct netsim_options, metrics), "", 0, 80, NULL,
     "serve its drops, delays and queue for Prometheus at /metrics, and its model at /model "
     "(PUT a JSON object of the model's options to change it while it runs), on HOST:PORT (a "
     "bare PORT: 127.0.0.1; 0: a free one); empty: off"},
    {0},
};

static const char *const signals[] = {
    "SIGINT, SIGTERM", "stop: print the counters (stderr) and the final JSON line (stdout), "
                       "close the files and exit 0",
    NULL};

static const char *const exit_status[] = {
    "0", "stopped by --duration or a signal",
    "1", "a socket could not be opened or bound, or --stats-file, --drop-log or --pcap could "
         "not be written, with one line on standard error",
    "2", "a bad option, value or config file, with one line on standard error",
    NULL};

static const char *const files[] = {
    "--drop-log FILE", "one line per state dropped, duplicated or forwarded",
    "--pcap FILE", "the datagrams forwarded, as a capture tcpdump and Wireshark read; "
                   "FILE.dropped, those dropped",
    "--stats-file FILE", "the final JSON stats line", NULL};

static const struct options_example examples[] = {
    {"2% loss, 20 ms delay with 5 ms jitter, reordering, each way, in front of a local "
     "relay; clients use port 7000:",
     "ricochet-netsim --relay 127.0.0.1:7777 --listen 127.0.0.1:7000 --loss 2 --delay 20 \\\n"
     "    --jitter 5 --reorder --seed 42"},
    {"Bursty loss (Gilbert-Elliott, bursts of about 3 datagrams) for 30 seconds, with a "
     "capture:",
     "ricochet-netsim --relay 127.0.0.1:7777 --listen 127.0.0.1:7000 --ge-p 1 --ge-r 30 \\\n"
     "    -t 30 --pcap /tmp/run.pcap"},
    {"The model changed while netsim runs (its --metrics 9478): 10% loss each way and 256 "
     "kbit/s on the uplink; answered with the model in force, 400 and the option's error for a "
     "bad value:",
     "curl -X PUT -d '{\"loss\": 10, \"up-rate-kbps\": 256}' http://127.0.0.1:9478/model"},
    {"IP mode between two namespaces (ip netns add): the relay runs in rc-relay on "
     "198.19.0.1, the clients in rc-client on 198.18.0.1:",
     "ricochet-netsim --client-netns /run/netns/rc-client --relay-netns /run/netns/rc-relay \\\n"
     "    --loss 2 --delay 20"},
    {0}};

static const struct options_manual manual = {
    .description =
        "Each direction has its own model, applied in this order: independent loss, "
        "bursty loss (Gilbert-Elliott), duplication, a rate limit with a drop-tail queue, "
        "delay with jitter, and order (without --reorder a datagram never overtakes an "
        "earlier one). Every figure applies per hop: a state from one client to another "
        "crosses netsim twice, up to the relay and down to the receiver, so --loss 5 loses "
        "about one in ten of them (ricochet-bench's --path-loss is end to end instead).\n"
        "\n"
        "In IP mode (--client-netns, --relay-netns) netsim puts a TUN device in each of two "
        "network namespaces, 198.18.0.1 on the clients' side and 198.19.0.1 on the relay's, "
        "and carries every IPv4 packet between them through the same models: TCP segments, "
        "ENet, plain UDP, WebRTC and QUIC datagrams alike. It never wires its own namespace.\n"
        "\n"
        "All randomness comes from --seed (printed at start), one generator per direction and "
        "per step: the same seed and input give the same decisions. At exit netsim prints "
        "exactly what it did per direction, the ground truth ricochet-bench checks itself "
        "against; --drop-log writes it state by state.",
    .signals = signals,
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"relay\": \"127.0.0.1:7777\", \"listen\": \"127.0.0.1:7000\", "
                      "\"loss\": 2, \"delay\": 20}",
    .see_also = "netsim.md, benchmarks.md (the audit)",
};

static const struct options_program program = {
    .name = NETSIM_PROG,
    .summary =
        "UDP proxy between clients and a relay that drops, delays, reorders, duplicates and\n"
        "rate-limits datagrams, per direction (up = client->relay, down = relay->client);\n"
        "with --client-netns and --relay-netns, the same to every IP packet between two\n"
        "network namespaces (IP mode: TCP too).\n"
        "Plain options set both directions; up-/down- options override one.\n"
        "At exit prints counters on stderr and one JSON line on stdout.",
    .defs = option_defs,
    .manual = &manual,
};

/* Keeps a picked value, noting NAN (its message already in err). */
static double pick_ok(double v, bool *bad)
{
    if (isnan(v))
        *bad = true;
    return isnan(v) ? 0 : v;
}

/* A per-direction value: -1 inherits the plain option; any other negative
 * value is a typo, not a wish. Returns the value, or NAN with err set. */
static double pick(double dir_value, double both, const char *dir, const char *name, char *err,
                   size_t err_cap)
{
    if (dir_value == -1)
        return both;
    if (dir_value < 0) {
        snprintf(err, err_cap, "--%s-%s: %g is neither -1 (same as --%s) nor a value", dir, name,
                 dir_value, name);
        return NAN;
    }
    return dir_value;
}

/* One direction's model from the options. Returns 0, or -1 with err set
 * (a per-direction value that is neither -1 nor one). */
static int model_from(struct netsim_model *m, const struct netsim_options *c,
                      const struct dir_opts *d, const char *dir, char *err, size_t err_cap)
{
    const struct dir_opts *b = &c->both;
    bool bad = false;
#define PICK(F, NAME) pick_ok(pick((double)d->F, (double)b->F, dir, NAME, err, err_cap), &bad)
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
    m->loss_corr_pct = PICK(loss_corr, "loss-corr");
    m->delay_corr_pct = PICK(delay_corr, "delay-corr");
    m->dup_corr_pct = PICK(dup_corr, "dup-corr");
    m->corrupt_pct = PICK(corrupt, "corrupt");
    m->corrupt_corr_pct = PICK(corrupt_corr, "corrupt-corr");
    m->reorder_pct = PICK(reorder_pct, "reorder-pct");
    m->reorder_corr_pct = PICK(reorder_corr, "reorder-corr");
    m->reorder_gap = (uint32_t)PICK(reorder_gap, "reorder-gap");
#undef PICK
    m->jitter_dist = c->jitter_dist;
    m->reorder = c->reorder;
    m->max_pending = (uint64_t)c->max_pending;
    return bad ? -1 : 0;
}

int netsim_models_from(const struct netsim_options *c, struct netsim_model models[NETSIM_DIRS],
                       char *err, size_t err_cap)
{
    if (model_from(&models[NETSIM_UP], c, &c->up, "up", err, err_cap) < 0 ||
        model_from(&models[NETSIM_DOWN], c, &c->down, "down", err, err_cap) < 0)
        return -1;
    for (int i = 0; i < NETSIM_DIRS; i++) {
        char why[200];
        if (netsim_model_check(&models[i], why, sizeof why) < 0) {
            snprintf(err, err_cap, "%s: %s", netsim_dir_name((enum netsim_dir)i), why);
            return -1;
        }
    }
    return 0;
}

int netsim_default_models(struct netsim_model models[NETSIM_DIRS])
{
    struct netsim_options o;
    char err[200];
    memset(&o, 0, sizeof o);
    return options_defaults(option_defs, &o, err, sizeof err) == 0 ?
           netsim_models_from(&o, models, err, sizeof err) : -1;
}

/* Is the row one of the model's (a setting of a direction, the jitter's
 * distribution, reordering), which PUT /model may change? */
static bool model_row(const struct option_def *d)
{
    return (d->offset >= OFF(both) && d->offset < OFF(down) + sizeof(struct dir_opts)) ||
           d->offset == OFF(jitter_dist) || d->offset == OFF(reorder);
}

int netsim_model_apply(struct netsim_options *cfg, const char *json,
                       struct netsim_model models[NETSIM_DIRS], char *err, size_t err_cap)
{
    cJSON *root = cJSON_Parse(json);
    struct netsim_options next = *cfg;
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        snprintf(err, err_cap, "the body is not a JSON object of netsim's options");
        goto out;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, root) {
        const struct option_def *d = option_defs;
        while (d->name && strcmp(d->name, v->string))
            d++;
        if (!d->name || !model_row(d)) {
            snprintf(err, err_cap, "\"%.40s\" is not a setting of the model (loss, delay, "
                     "jitter, ge-p, rate-kbps, ... as the options, up- and down- too)", v->string);
            goto out;
        }
        char text[64];
        if (cJSON_IsNumber(v))
            snprintf(text, sizeof text, "%.17g", v->valuedouble);
        else if (cJSON_IsBool(v))
            snprintf(text, sizeof text, "%s", cJSON_IsTrue(v) ? "true" : "false");
        else if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof text)
            snprintf(text, sizeof text, "%s", v->valuestring);
        else {
            snprintf(err, err_cap, "--%s: a number, true or false, or a word", d->name);
            goto out;
        }
        if (options_set(option_defs, &next, d->name, text, err, err_cap) != 0)
            goto out;
    }
    if (netsim_models_from(&next, models, err, err_cap) != 0)
        goto out;
    *cfg = next;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
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
        options_fail(NETSIM_PROG, "--max-flows %ld needs %llu file descriptors, the hard limit is "
                     "%llu (ulimit -Hn)", max_flows, (unsigned long long)need,
                     (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        options_fail(NETSIM_PROG,
                     "--max-flows %ld: cannot raise the file descriptor limit to %llu: %s",
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
static void warn_if_not_loopback(const struct netsim_options *cfg,
                                 const struct netsim_setup *setup)
{
    if (!netaddr_is_loopback(&setup->listen_addr))
        log_warn("netsim: --listen %s is not a loopback address: clients on other machines "
                 "can send through this proxy", cfg->listen);
    if (!netaddr_is_loopback(&setup->relay_addr))
        log_warn("netsim: --relay %s is not a loopback address: datagrams leave this machine "
                 "(netsim adds its impairments to the network's own)", cfg->relay);
}

/* IP mode: both namespaces, and none of the proxy's endpoints. */
static void ip_mode_check(const struct netsim_options *cfg)
{
    if (!cfg->client_netns[0] || !cfg->relay_netns[0])
        options_fail(NETSIM_PROG, "IP mode needs both --client-netns and --relay-netns");
    if (cfg->relay[0])
        options_fail(NETSIM_PROG, "--relay is the UDP proxy's: in IP mode the relay is whatever "
                                  "listens at 198.19.0.1 in --relay-netns");
}

/* The proxy's --relay and --listen. */
static void endpoints_parse(const struct netsim_options *cfg, struct netsim_setup *setup)
{
    char err[256];
    if (!cfg->relay[0])
        options_fail(NETSIM_PROG, "--relay ADDR:PORT is required (or, for IP mode, "
                                  "--client-netns and --relay-netns)");
    if (netaddr_parse_endpoint(cfg->relay, &setup->relay_addr, err, sizeof err) < 0)
        options_fail(NETSIM_PROG, "--relay %s", err);
    if (netaddr_port(&setup->relay_addr) == 0)
        options_fail(NETSIM_PROG, "--relay '%s': the relay's port cannot be 0", cfg->relay);
    if (netaddr_parse_endpoint(cfg->listen, &setup->listen_addr, err, sizeof err) < 0)
        options_fail(NETSIM_PROG, "--listen %s", err);
    warn_if_not_loopback(cfg, setup);
}

void netsim_configure(struct netsim_options *cfg, struct netsim_setup *setup, int argc,
                      char **argv)
{
    struct netsim_model *models = setup->models;
    char err[256];

    options_parse_or_exit(&program, cfg, argc, argv);
    log_threshold = (enum log_level)cfg->log_level;
    setup->ip = cfg->client_netns[0] || cfg->relay_netns[0];
    if (setup->ip)
        ip_mode_check(cfg);
    else
        endpoints_parse(cfg, setup);
    if (cfg->metrics[0] &&
        httpd_parse_listen(cfg->metrics, &setup->metrics_addr, err, sizeof err) < 0)
        options_fail(NETSIM_PROG, "--metrics: %s", err);
    if (netsim_models_from(cfg, models, err, sizeof err) != 0)
        options_fail(NETSIM_PROG, "%s", err);
    options_checked(&program);
    fd_limit_fit(cfg->max_flows);
    setup->seed = cfg->seed ? (uint64_t)cfg->seed : seed_from_clock();
}
