/* bench_options.c: ricochet-bench's command line: the option table, the
 * checks it cannot express, and the run configuration and plan it gives. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "client/swarm/swarm.h"
#include "lab/harness/children.h"
#include "relay/core/relay.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "sys/options.h"
#include "sys/keyfile.h"
#include "bench_options.h"

#define PROG BENCH_PROG

static const struct option_def options[] = {
    {"relay", OPTION_STRING, offsetof(struct bench_options, relay), "", 0, 128, NULL,
     "use this relay ADDR:PORT ([::1]:PORT for IPv6) instead of starting one (no CPU/RSS "
     "figures)", .short_name = 'c'},
    {"bin", OPTION_STRING, offsetof(struct bench_options, bin), "", 0, 512, NULL,
     "folder of ricochet-relay and ricochet-netsim (default: next to this program)"},
    {"clients", OPTION_INT, offsetof(struct bench_options, clients), "4", 2,
     RELAY_CLIENTS_MAX, NULL,
     "clients; each receives every other state of its room", .short_name = 'P'},
    {"room-size", OPTION_INT, offsetof(struct bench_options, room_size), "0", 0, 256, NULL,
     "clients per room (the last room may be smaller); 0 = all in one room"},
    {"procs", OPTION_INT, offsetof(struct bench_options, procs), "1", 1, BENCH_MAX_PROCS, NULL,
     "generator processes, each running whole rooms; results merged exactly"},
    {"per-host", OPTION_INT, offsetof(struct bench_options, per_host), "64", 1,
     SWARM_PER_HOST_MAX, NULL,
     "ENet clients sharing one socket (one ENet host) in a generator, and with --aoi udp "
     "clients (each from its own loopback address); 1 = each its own"},
    {"enet-hosts", OPTION_BOOL, offsetof(struct bench_options, enet_hosts), "false", 0, 0, NULL,
     "the ENet clients of a generator share ENet hosts (libenet, --per-host a host), as "
     "games' clients do; by default they speak ENet's wire themselves from shared sockets "
     "(--per-host a socket), a generator lighter than the relay it measures"},
    {"send-grain", OPTION_DOUBLE, offsetof(struct bench_options, send_grain), "-1", -1, 5, NULL,
     "a generator wakes on a grid of ticks this many ms long: the states due by a tick leave "
     "together at it, up to a tick late (counted in their latency, as all lateness is), and "
     "clients on wire hubs read at the ticks too (the kernel stamps each arrival); fewer "
     "wake-ups, a lighter generator (0: each state at its intended time, data waking it; -1: "
     "0.5 where every client of a generator is on a wire hub, else 0, and 0 in a world, "
     "--aoi)"},
    {"poll-every", OPTION_INT, offsetof(struct bench_options, poll_every), "250", 10, 10000,
     NULL, "poll-short's clients send a GET every this many ms; a state waits for the next"},
    {"rate", OPTION_DOUBLE, offsetof(struct bench_options, rate), "60", 0.1, 10000, NULL,
     "states per second per client (constant rate)"},
    {"payload", OPTION_INT, offsetof(struct bench_options, payload), "40", 40, 1200, NULL,
     "datagram size in bytes (the 40-byte state padded up to it)", .short_name = 'l'},
    {"payload-check", OPTION_BOOL, offsetof(struct bench_options, payload_check), "false", 0, 0,
     NULL, "the bytes after each state's 40 (--payload 44 or more) are a pattern keyed by its "
     "seq, and every delivered state's are checked: one that is not the sender's byte for "
     "byte is a corrupted payload, an error of its own (exit 3)"},
    {"duration", OPTION_DOUBLE, offsetof(struct bench_options, duration), "5", 0.1, 3600, NULL,
     "measurement window per run, seconds", .short_name = 't'},
    {"warmup", OPTION_DOUBLE, offsetof(struct bench_options, warmup), "1", 0, 600, NULL,
     "sending before the window, not measured, seconds"},
    {"grace", OPTION_DOUBLE, offsetof(struct bench_options, grace), "2", 0, 600, NULL,
     "draining after the window (later arrivals count as lost), seconds"},
    {"setup-timeout", OPTION_DOUBLE, offsetof(struct bench_options, setup_timeout), "10", 0.5, 600,
     NULL, "all clients joined and seeing each other within this, seconds; a connect left "
     "unanswered a third of it (5 to 10 s) is made again"},
    {"join-every", OPTION_DOUBLE, offsetof(struct bench_options, join_every), "0", 0, 10000,
     NULL, "a generator makes a client this often, ms, keeping the made ones going: a setup "
     "as long as a slow machine's (0: as fast as it can)"},
    {"modes", OPTION_STRING, offsetof(struct bench_options, modes),
     "unsequenced,sequenced,reliable,udp", 1, 255, NULL,
     "comma-separated: unsequenced,sequenced,reliable,udp,tcp,ws, the tcp mode over HTTP "
     "requests: poll-long (long polling), poll-short (a GET every --poll-every ms), the ENet "
     "modes over WebRTC's data channels: webrtc (unsequenced), webrtc-sequenced, "
     "webrtc-reliable, and over QUIC: quic (unsequenced datagrams), quic-sequenced, "
     "quic-reliable (one stream), quic-streams (a stream per sender), and over WebTransport: "
     "wt (unsequenced datagrams), wt-reliable, wt-streams"},
    {"path-loss", OPTION_DOUBLE, offsetof(struct bench_options, loss), "0", 0, 99, NULL,
     "loss % over the whole path client -> relay -> client, split over netsim's two hops "
     "(netsim's own --loss is per hop)", .old_name = "loss"},
    {"path-delay", OPTION_DOUBLE, offsetof(struct bench_options, delay), "0", 0, 10000, NULL,
     "one-way delay ms over the whole path (half per hop)", .old_name = "delay"},
    {"path-jitter", OPTION_DOUBLE, offsetof(struct bench_options, jitter), "0", 0, 10000, NULL,
     "jitter ms over the whole path (uniform +-half per hop)", .old_name = "jitter"},
    {"reorder", OPTION_BOOL, offsetof(struct bench_options, reorder), "false", 0, 0, NULL,
     "let netsim's jitter reorder datagrams"},
    {"paired-loss", OPTION_BOOL, offsetof(struct bench_options, paired_loss), "false", 0, 0,
     NULL, "netsim's --paired-loss: a state is lost by its sequence number, so every mode (and "
     "every sender of a room, together) loses the same states"},
    {"netsim", OPTION_BOOL, offsetof(struct bench_options, netsim), "false", 0, 0, NULL,
     "put netsim in the path even without impairment"},
    {"netsim-args", OPTION_STRING, offsetof(struct bench_options, netsim_args), "", 0, 256, NULL,
     "extra netsim options, e.g. \"--ge-p 1 --ge-r 30\""},
    {"relay-args", OPTION_STRING, offsetof(struct bench_options, relay_args), "", 0, 256, NULL,
     "extra options for the relay the bench starts"},
    {"sweep", OPTION_STRING, offsetof(struct bench_options, sweep), "", 0, 512, NULL,
     "PARAM=V1,V2,...: run the grid; PARAM is clients|rate|payload or the path's "
     "path-loss|path-delay|path-jitter (as the options)"},
    {"break-delivery", OPTION_DOUBLE, offsetof(struct bench_options, break_delivery), "0", 0, 100,
     NULL, "sweep: a mode that delivers less than this % gets no larger values (0 = off)"},
    {"break-p99", OPTION_DOUBLE, offsetof(struct bench_options, break_p99), "0", 0, 1e7, NULL,
     "sweep: a mode whose p99 exceeds this (ms) gets no larger values (0 = off)"},
    {"seed", OPTION_INT, offsetof(struct bench_options, seed), "1", 0, 9007199254740991.0, NULL,
     "netsim seed (0 = netsim picks one)"},
    {"repeat", OPTION_INT, offsetof(struct bench_options, repeat), "1", 1, 100, NULL,
     "run each scenario and mode this many times (netsim seeds seed, seed+1, ...) and "
     "report each figure's median with its min-max"},
    {"json-file", OPTION_STRING, offsetof(struct bench_options, json), "", 0, 512, NULL,
     "write JSON results to this file (- = stdout)", .short_name = 'J', .short_value = "-",
     .old_name = "json"},
    {"csv-file", OPTION_STRING, offsetof(struct bench_options, csv), "", 0, 512, NULL,
     "write CSV results to this file (- = stdout)", .old_name = "csv"},
    {"table-file", OPTION_STRING, offsetof(struct bench_options, table), "", 0, 512, NULL,
     "also write the human table to this file", .old_name = "table"},
    {"drop-log-dir", OPTION_STRING, offsetof(struct bench_options, drop_log_dir), "", 0, 256, NULL,
     "keep netsim's drop log of each run in this folder (default: a temporary file)"},
    {"plot", OPTION_STRING, offsetof(struct bench_options, plot), "", 0, 512, NULL,
     "render latency CDFs (and sweep plots) as PNG into this folder with gnuplot"},
    {"datagram-limit", OPTION_BOOL, offsetof(struct bench_options, datagram_limit), "false", 0, 0,
     NULL, "only measure the machine's datagram limit (one thread, loopback, 2 s) and exit"},
    {"floor", OPTION_DOUBLE, offsetof(struct bench_options, floor), "0", 0, 1e9, NULL,
     "the machine's floor measured in this run, datagrams a second (bench/machine.sh, or "
     "--datagram-limit): every JSON record carries it, as floor_dgrams_per_s and "
     "floor_us_per_dgram, so that its costs compare across machines; 0: not measured"},
    {"ticket-cost", OPTION_BOOL, offsetof(struct bench_options, ticket_cost), "false", 0, 0,
     NULL, "only measure what a ticketed join's verification and sealing cost one core (us "
     "each, 20000 of each) and exit"},
    {"quiet", OPTION_BOOL, offsetof(struct bench_options, quiet), "false", 0, 0, NULL,
     "no progress lines on stderr"},
    {"fleet", OPTION_INT, offsetof(struct bench_options, fleet), "0", 0, BENCH_FLEET_MAX, NULL,
     "a fleet of this many relays sharing a directory (a redis-server on PATH, started "
     "for the run); clients join through them in turn (with --fleet-event kill: all but the "
     "last) and go where their room is"},
    {"fleet-event", OPTION_CHOICE, offsetof(struct bench_options, fleet_event), "none", 0, 0,
     BENCH_EVENT_CHOICES, "with --fleet: during the window, kill the last relay (SIGKILL), "
     "drain it (SIGTERM), pause the directory for 5 s (SIGSTOP redis) or kill its primary "
     "(SIGKILL, with --fleet-sentinel); kill and term report when the rooms it held were on "
     "time again (--recovered-p99-ms), the directory's events how long new rooms were "
     "refused and whether a room was held twice (joins probed every 250 ms)"},
    {"event-at", OPTION_DOUBLE, offsetof(struct bench_options, event_at), "2", 0, 3600, NULL,
     "seconds into the window for --fleet-event"},
    {"fleet-sentinel", OPTION_BOOL, offsetof(struct bench_options, fleet_sentinel), "false", 0,
     0, NULL,
     "with --fleet: the directory is a Redis primary, its replica and three redis-sentinels "
     "(on PATH), the relays finding the primary through them; --fleet-event kill-redis kills "
     "the primary (a failover)"},
    {"log-level", OPTION_CHOICE, offsetof(struct bench_options, log_level), "warn", 0, 0,
     "debug|info|warn|error|off", "stderr log level", .short_name = 'V',
     .short_value = "debug"},
    {"encrypt", OPTION_BOOL, offsetof(struct bench_options, encrypt), "false", 0, 0, NULL,
     "sealed sessions: the relay started with --ticket-key (a key of the run's) and "
     "--encrypt, each client with a ticket minted for it; with --relay, --ticket gives them"},
    {"ticket", OPTION_STRING, offsetof(struct bench_options, ticket), "", 0, 1024, NULL,
     "with --relay: @FILE, one ticket a line, line i for client i (room bench or bench-R "
     "with --room-size, name bench-I: ricochet-ticket mint --count N --name bench --room bench; "
     "inline, every user of the machine can read it in ps: a warning says so)"},
    {"pause-relay-ms", OPTION_DOUBLE, offsetof(struct bench_options, pause_relay_ms), "0", 0,
     60000, NULL,
     "stop the relay the bench started (SIGSTOP) for this long a third into the window, then "
     "let it go on (SIGCONT), and report how long it took to recover (0 = never stop it)"},
    {"recovered-p99-ms", OPTION_DOUBLE, offsetof(struct bench_options, recovered_p99_ms), "0",
     0, 1e6, NULL,
     "with --pause-relay-ms or --fleet-event kill|term: recovered means each 50 ms of sends "
     "from then on has its p99 within this (e.g. the tick + 10) and 99% delivered; needed "
     "with either"},
    {"aoi", OPTION_DOUBLE, offsetof(struct bench_options, aoi), "0", 0, PROTO_AOI_MAX, NULL,
     "one world instead: every client in one room with this radius of interest, walking "
     "at random on the --field (reports who was in radius and what reached them)"},
    {"field", OPTION_DOUBLE, offsetof(struct bench_options, field), "1000", 1, PROTO_VALUE_MAX,
     NULL, "with --aoi: the world's side, arena units (metres; walkers run at 5 a second)"},
    {"lockstep", OPTION_BOOL, offsetof(struct bench_options, lockstep), "false", 0, 0, NULL,
     "lockstep rooms instead: rooms of --room-size players (1 to 32) at --rate ticks a second "
     "(10 to 60), each player sending an input a tick; reports each input's way to its "
     "confirmed frame and the relay's CPU per player"},
    {"netsim-ip", OPTION_BOOL, offsetof(struct bench_options, netsim_ip), "false", 0, 0, NULL,
     "every mode through netsim's IP mode: the relay in one network namespace, the clients "
     "in another, netsim's TUN devices between (tcp and ws need it); without namespaces, one "
     "line and the UDP proxy for the modes it carries"},
    {"tcp-relay", OPTION_CHOICE, offsetof(struct bench_options, tcp_relay), "ricochet", 0, 0,
     BENCH_TCP_RELAY_CHOICES, "what serves the tcp mode: ricochet-relay's TCP edge "
     "(--transport tcp) or examples/sockets/tcp_relay (the teaching relay, built beside the "
     "programs)"},
    {0},
};

static const char *const signals[] = {
    "SIGINT, SIGTERM", "stop the run in progress and the relay and netsim it started, write "
                       "the reports of the runs done and exit 130",
    NULL};

static const char *const exit_status[] = {
    "0", "every run measured, every missed state explained",
    "1", "a run failed (a relay or netsim that would not start, clients that could not "
         "join), or a report could not be written",
    "2", "a bad option, value or config file, with one line on standard error",
    "3", "the audit failed: a state a receiver missed that netsim's drop log does not "
         "explain, or a reliable drop never retransmitted (AUDIT FAILED on standard error)",
    "130", "stopped by SIGINT or SIGTERM",
    NULL};

static const char *const files[] = {
    "--json-file, --csv-file, --table-file FILE", "the results (- = standard output)",
    "--plot DIR", "latency CDFs and sweep plots as PNG (gnuplot)",
    "--drop-log-dir DIR", "netsim's drop log of each run, kept", NULL};

static const struct options_example examples[] = {
    {"Every mode through 5% loss, 20 ms delay and 10 ms jitter end to end, with plots:",
     "ricochet-bench --path-loss 5 --path-delay 20 --path-jitter 10 --plot out/"},
    {"Reliable against room size, 3 runs each, JSON on standard output:",
     "ricochet-bench --path-loss 5 --sweep clients=2,4,8,16 --modes reliable --repeat 3 -J"},
    {"A TCP stream against ENet and plain UDP through one network of 2% loss (IP mode):",
     "ricochet-bench --netsim-ip --clients 8 --rate 20 --path-loss 2 --path-delay 40 "
     "--modes tcp,reliable,unsequenced,udp"},
    {"TCP against ENet unsequenced losing the same states, each one's strip drawn:",
     "ricochet-bench --netsim-ip --clients 2 --rate 20 --path-loss 2 --path-delay 40 "
     "--modes tcp,unsequenced --paired-loss --duration 20 --plot strips/"},
    {"The ENet modes over WebRTC's data channels beside ENet's, through 5% loss:",
     "ricochet-bench --path-loss 5 --path-delay 20 --modes unsequenced,webrtc,webrtc-reliable"},
    {"ricochet's relay beside the reference relay, rooms of 8 at 10 Hz, 3 rounds:",
     "ricochet-bench --clients 1000 --room-size 8 --rate 10 --modes reference,udp,unsequenced "
     "--repeat 3"},
    {"A relay already running on another machine (192.0.2.10 here), plain UDP, 30 seconds:",
     "ricochet-bench -c 192.0.2.10:7777 --modes udp -t 30"},
    {0}};

static const struct options_manual manual = {
    .description =
        "For each delivery mode ricochet-bench starts a relay (or uses --relay), puts "
        "ricochet-netsim in the path when there is impairment, and drives N clients, each "
        "sending at a constant rate; every state carries its intended send time, so a "
        "stalled sender shows as latency. It reports sent, expected and delivered states, "
        "loss, duplicates, reordering, one-way latency percentiles, RFC 3550 jitter, ENet's "
        "own view, the relay's CPU and peak RSS, bytes per delivered state and the bit rate "
        "on the wire, as a table, JSON or CSV.\n"
        "\n"
        "Through netsim every missed state is matched to netsim's drop log (the audit): a "
        "loss netsim did not cause makes the exit status 3. --repeat N runs each scenario N "
        "times, the modes taking turns round by round, and reports medians with min-max, and "
        "for each mode after the first the relay's CPU per delivery over the first mode's, "
        "paired round by round. --path-loss, --path-delay and --path-jitter "
        "describe the whole path client -> relay -> client and are split over netsim's two "
        "hops.\n"
        "\n"
        "The tcp mode runs ricochet-relay's TCP edge, or the teaching relay "
        "examples/sockets/tcp_relay with --tcp-relay example; the ws mode, the relay's "
        "WebSocket edge. Through netsim a TCP stream (tcp, ws) needs --netsim-ip: netsim then "
        "carries whole IP packets between two network namespaces the bench makes, and its "
        "audit attributes every state a stream held back to the dropped segment it waited "
        "for.\n"
        "\n"
        "The modes poll-long and poll-short are the tcp mode over HTTP requests to the "
        "relay's poll edge (libricochet's polling transport, two connections a client: the "
        "GETs' and the POSTs'): long polls, each GET held until a state is queued, and short "
        "ones, a GET every 250 ms answered at once, whose states wait for the next GET. "
        "They are streams as tcp and ws are: through netsim, --netsim-ip.\n"
        "\n"
        "The modes webrtc, webrtc-sequenced and webrtc-reliable are the ENet modes over "
        "WebRTC's data channels (libricochet's WebRTC transport): the relay gets a ws edge, "
        "where each client POSTs its offer, and a webrtc edge whose answers name netsim "
        "(--webrtc-advertise); netsim reads the states inside DTLS with the key log the "
        "clients write, so their audit is as over ENet.\n"
        "\n"
        "The modes quic, quic-sequenced, quic-reliable and quic-streams are libricochet's QUIC "
        "transport against the relay's quic edge: unsequenced and sequenced states in QUIC "
        "datagrams, reliable ones on one stream to each receiver, and the mode streams, a "
        "stream per sender. netsim carries QUIC through its proxy or in IP mode and reads the "
        "states inside its packets with the key log the clients write (--wire quic), so "
        "their audit is as over ENet. The modes wt, wt-reliable and wt-streams are the "
        "same over WebTransport, as a browser's page opens a session on the quic edge "
        "(HTTP/3, ALPN h3), netsim reading past its prefixes.\n"
        "\n"
        "The mode reference is plain UDP, as the udp mode, served by reference-relay "
        "(bench/reference/, built beside the programs, not installed): the least a relay "
        "can do with those datagrams, the yardstick. Listed first with --repeat, every "
        "other mode's CPU per delivery is a multiple of it (--modes reference,udp,"
        "unsequenced); --relay-args' --tick-ms is passed to it too.\n"
        "\n"
        "The lesson you can watch, every lane side by side through one network turned by "
        "hand, is a program of its own on the bench's lanes and figures: ricochet-lesson.",
    .signals = signals,
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"clients\": 8, \"rate\": 30, \"modes\": \"unsequenced,reliable\", "
                      "\"path-loss\": 5, \"repeat\": 3}",
    .see_also = "benchmarks.md (method, audit, results), netsim.md",
};

static const struct options_program program = {
    .name = PROG,
    .summary =
        "Latency and loss benchmark: a relay (started or given), optionally netsim in between,\n"
        "N clients in one room sending at a constant rate in each mode. Reports delivery, one-way\n"
        "latency from the intended send time, RFC 3550 jitter, ENet's view, relay CPU/RSS and\n"
        "bytes per message; checks measured loss against netsim's own drop counts, and every\n"
        "missed state against netsim's drop log: exit status 3 if one is unexplained.\n"
        "example: " PROG " --path-loss 5 --path-delay 20 --path-jitter 10 --plot out/",
    .defs = options,
    .manual = &manual,
};


static int parse_modes(const char *text, struct bench_mode *modes)
{
    char buf[128];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        struct bench_mode m;
        char names[256];
        if (bench_mode_parse(tok, &m) != 0)
            options_fail(PROG, "--modes: unknown mode '%s' (%s)", tok,
                         bench_mode_choices(names, sizeof names));
        for (int i = 0; i < n; i++)
            if (bench_mode_index(modes[i]) == bench_mode_index(m))
                options_fail(PROG, "--modes: '%s' given twice", tok);
        modes[n++] = m;
    }
    if (n == 0)
        options_fail(PROG, "--modes: no mode given");
    return n;
}

/* "path-loss=0,1,5" -> which and values. Returns the count (0: no sweep). */
static size_t parse_sweep(const char *text, const struct bench_params *base,
                          enum bench_param *which, double *values)
{
    *which = BENCH_P_NONE;
    if (!text[0])
        return 0;
    const char *eq = strchr(text, '=');
    char name[32], err[160];
    if (!eq || eq == text || (size_t)(eq - text) >= sizeof name)
        options_fail(PROG, "--sweep: want PARAM=V1,V2,... got '%s'", text);
    snprintf(name, sizeof name, "%.*s", (int)(eq - text), text);
    *which = bench_param_parse(name);
    if (*which == BENCH_P_NONE)
        options_fail(PROG, "--sweep: unknown parameter '%s' "
                     "(clients|rate|payload|path-loss|path-delay|path-jitter)", name);
    if (strcmp(name, bench_param_name(*which)) != 0)
        fprintf(stderr, PROG ": warning: --sweep %s= is the former name of --sweep %s=; "
                "the next version will not read it\n", name, bench_param_name(*which));
    size_t n = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || (*end && *end != ','))
            options_fail(PROG, "--sweep: '%s' is not a list of numbers", eq + 1);
        struct bench_params tmp = *base;
        if (bench_param_set(&tmp, *which, v, err, sizeof err) != 0)
            options_fail(PROG, "--sweep: %s", err);
        if (n == BENCH_MAX_SWEEP)
            options_fail(PROG, "--sweep: more than %d values in '%s'", BENCH_MAX_SWEEP, eq + 1);
        values[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        options_fail(PROG, "--sweep: no values in '%s'", text);
    return n;
}

/* --relay ADDR:PORT or [IPv6]:PORT, checked before any run: a typo is one
 * error line, not a failed run in every mode. */
static void check_relay_addr(const char *text)
{
    union netaddr a;
    char err[256];
    if (netaddr_parse_endpoint(text, &a, err, sizeof err) != 0)
        options_fail(PROG, "--relay %s", err);
    if (netaddr_port(&a) == 0)
        options_fail(PROG, "--relay '%s': the port must be 1 to 65535", text);
}

static void bench_config_from(const struct bench_options *c, struct bench_config *cfg)
{
    bench_config_default(cfg);
    children_bin(PROG, c->bin, cfg->bin, sizeof cfg->bin);
    snprintf(cfg->relay, sizeof cfg->relay, "%s", c->relay);
    cfg->duration_ms = (long)(c->duration * 1000);
    cfg->warmup_ms = (long)(c->warmup * 1000);
    cfg->grace_ms = (long)(c->grace * 1000);
    cfg->setup_timeout_ms = (long)(c->setup_timeout * 1000);
    cfg->join_gap_us = (uint32_t)(c->join_every * 1000);
    cfg->force_netsim = c->netsim;
    cfg->reorder = c->reorder;
    cfg->paired_loss = c->paired_loss;
    snprintf(cfg->netsim_args, sizeof cfg->netsim_args, "%s", c->netsim_args);
    snprintf(cfg->relay_args, sizeof cfg->relay_args, "%s", c->relay_args);
    cfg->seed = (uint64_t)c->seed;
    cfg->verbose = c->log_level <= LOG_INFO;
    cfg->room_size = c->room_size;
    cfg->procs = c->procs;
    snprintf(cfg->drop_log_dir, sizeof cfg->drop_log_dir, "%s", c->drop_log_dir);
    cfg->per_host = c->per_host;
    cfg->enet_hosts = c->enet_hosts;
    cfg->send_grain_us = c->send_grain < 0 ? SWARM_TICK_AUTO : (uint32_t)(c->send_grain * 1000);
    cfg->poll_every_ms = (uint32_t)c->poll_every;
    cfg->fleet = c->fleet;
    cfg->fleet_event = c->fleet_event;
    cfg->event_at_ms = (long)(c->event_at * 1000);
    cfg->fleet_sentinel = c->fleet_sentinel;
    cfg->encrypt = c->encrypt;
    cfg->payload_check = c->payload_check;
    cfg->pause_relay_ms = (long)c->pause_relay_ms;
    cfg->recovered_p99_ms = c->recovered_p99_ms;
    cfg->tcp_relay = c->tcp_relay;
}

/* --ticket @FILE: the tickets, in one block (cfg->tickets, then their
 * texts) the caller frees with free(cfg->tickets). */
static void read_tickets(const struct bench_options *c, struct bench_config *cfg)
{
    char err[512], why[480];
    if (!c->relay[0])
        options_fail(PROG, "--ticket needs --relay: the bench mints the tickets of its own "
                           "relay (--encrypt)");
    const char **list = calloc(1, 4000 * sizeof *list + 4001 * (TICKET_TEXT_MAX + 1));
    if (!list)
        options_fail(PROG, "out of memory");
    char (*texts)[TICKET_TEXT_MAX + 1] = (void *)(list + 4000);
    keyfile_warn_inline(PROG, c->ticket);
    int n = keyfile_read_tickets(c->ticket, texts, 4001, why, sizeof why);
    if (n < 0 || n > 4000) {
        snprintf(err, sizeof err, "--ticket: %s",
                 n < 0 ? why : "more tickets than --clients can use (4000)");
        free(list);
        options_fail(PROG, "%s", err);
    }
    for (int i = 0; i < n; i++)
        list[i] = texts[i];
    cfg->tickets = list;
    cfg->n_tickets = (size_t)n;
}

static void plan_from(const struct bench_options *c, struct bench_plan *p)
{
    p->base = (struct bench_params){
        .clients = c->clients,
        .rate_hz = c->rate,
        .payload = c->payload,
        .loss_pct = c->loss,
        .delay_ms = c->delay,
        .jitter_ms = c->jitter,
    };
    p->n_modes = parse_modes(c->modes, p->modes);
    p->n_values = parse_sweep(c->sweep, &p->base, &p->swept, p->values);
    p->n_points = p->n_values ? p->n_values : 1;
}

/* Does --modes name a stream's mode (tcp), or a mode over WebRTC? */
static bool modes_stream(const char *text)
{
    struct bench_mode modes[BENCH_MODES];
    int n = parse_modes(text, modes);
    for (int i = 0; i < n; i++)
        if (proto_mode_info(modes[i].mode)->stream)
            return true;
    return false;
}

/* Does --modes name a lane over this carrier (enum ricochet_transport)? */
static bool modes_over(const char *text, int carrier)
{
    struct bench_mode modes[BENCH_MODES];
    int n = parse_modes(text, modes);
    for (int i = 0; i < n; i++)
        if (modes[i].carrier == carrier)
            return true;
    return false;
}

/* The lanes over QUIC and WebRTC: what they cannot go with. A QUIC lane
 * runs on one relay's quic edge. Over WebRTC, netsim sits between the
 * clients and the relay's webrtc edge, whose answers name it
 * (--webrtc-advertise); the offers go to the ws edge directly. */
static void check_carriers(const struct bench_options *c, bool impaired)
{
    if ((modes_over(c->modes, RICOCHET_TRANSPORT_QUIC) ||
         modes_over(c->modes, RICOCHET_TRANSPORT_WEBTRANSPORT)) && c->fleet)
        options_fail(PROG, "--modes quic... or wt...: not with --fleet (the bench runs QUIC "
                           "on one relay)");
    if (modes_over(c->modes, BENCH_CARRIER_REFERENCE) &&
        (c->relay[0] || c->fleet || c->aoi > 0 || c->encrypt || c->ticket[0]))
        options_fail(PROG, "--modes reference: not with --relay, --fleet, --aoi, --encrypt or "
                           "--ticket (the bench starts the reference relay, which seals nothing)");
    if (!modes_over(c->modes, RICOCHET_TRANSPORT_WEBRTC))
        return;
    if (c->netsim_ip || c->fleet || c->aoi > 0)
        options_fail(PROG, "--modes webrtc: not with --netsim-ip, --fleet or --aoi (the "
                           "bench runs WebRTC through netsim's UDP proxy, on one relay)");
    if (c->relay[0] && impaired)
        options_fail(PROG, "--modes webrtc --relay: netsim must be the relay's "
                           "--webrtc-advertise, which only a relay the bench starts has");
}

/* --netsim-ip and the stream modes (tcp, ws): what they cannot go with. */
static void check_network(const struct bench_options *c)
{
    bool impaired = c->netsim || c->loss > 0 || c->delay > 0 || c->jitter > 0 ||
                    c->netsim_args[0] || strstr(c->sweep, "loss") ||
                    strstr(c->sweep, "delay") || strstr(c->sweep, "jitter");
    if (c->netsim_ip && (c->relay[0] || c->procs > 1 || c->fleet || c->aoi > 0))
        options_fail(PROG, "--netsim-ip starts the relay in a namespace of its own and the "
                           "clients in another: not with --relay, --procs, --fleet or --aoi");
    check_carriers(c, impaired);
    if (!modes_stream(c->modes))
        return;
    if (impaired && !c->netsim_ip && !c->relay[0])
        options_fail(PROG, "--modes tcp or ws through netsim needs --netsim-ip: the UDP proxy "
                           "carries datagrams, not a TCP stream");
    if (c->fleet)
        options_fail(PROG, "--modes tcp or ws: not with --fleet (the bench's fleets run "
                           "datagram edges)");
    if ((c->encrypt || c->ticket[0]) && c->tcp_relay == BENCH_TCP_EXAMPLE && !c->relay[0])
        options_fail(PROG, "--modes tcp --encrypt: examples/sockets/tcp_relay seals nothing "
                           "(the default --tcp-relay ricochet does)");
}

int bench_plan_without_streams(struct bench_plan *p, char *gone, size_t cap)
{
    int n = 0;
    size_t used = 0;
    gone[0] = '\0';
    for (int i = 0; i < p->n_modes; i++) {
        if (!proto_mode_info(p->modes[i].mode)->stream)
            p->modes[n++] = p->modes[i];
        else if (used < cap)
            used += (size_t)snprintf(gone + used, cap - used, "%s%s", used ? ", " : "",
                                     bench_mode_name(p->modes[i]));
    }
    p->n_modes = n;
    return n;
}

void bench_options_parse(int argc, char **argv, struct bench_options *c)
{
    memset(c, 0, sizeof *c);
    options_parse_or_exit(&program, c, argc, argv);
    log_threshold = (enum log_level)c->log_level;
    if (c->datagram_limit)
        options_checked(&program); /* nothing more to check */
}

void bench_options_apply(const struct bench_options *c, struct bench_config *cfg,
                         struct bench_plan *p)
{
    if (c->relay[0])
        check_relay_addr(c->relay);
    if (c->drop_log_dir[0] && access(c->drop_log_dir, W_OK | X_OK) != 0)
        options_fail(PROG, "--drop-log-dir %s: %s", c->drop_log_dir, strerror(errno));
    if (c->pause_relay_ms > 0 && (c->relay[0] || c->recovered_p99_ms <= 0))
        options_fail(PROG, "--pause-relay-ms needs a relay the bench starts (no --relay) and "
                           "--recovered-p99-ms");
    if (c->fleet && (c->relay[0] || c->procs > 1 || c->netsim || c->loss > 0 || c->delay > 0 ||
                     c->jitter > 0))
        options_fail(PROG, "--fleet starts its own relays and measures them straight: not with "
                           "--relay, --procs, --netsim or impairment");
    if (c->fleet_event && c->fleet < 2)
        options_fail(PROG, "--fleet-event needs --fleet 2 or more");
    if ((c->fleet_event == BENCH_EVENT_KILL || c->fleet_event == BENCH_EVENT_TERM) &&
        c->recovered_p99_ms <= 0)
        options_fail(PROG, "--fleet-event kill or term needs --recovered-p99-ms");
    if (c->fleet_event == BENCH_EVENT_KILL_REDIS && !c->fleet_sentinel)
        options_fail(PROG, "--fleet-event kill-redis needs --fleet-sentinel (a directory "
                           "that survives its primary)");
    if (c->fleet_sentinel && !c->fleet)
        options_fail(PROG, "--fleet-sentinel needs --fleet");
    bench_config_from(c, cfg);
    if (c->ticket[0])
        read_tickets(c, cfg);
    else if (c->encrypt && c->relay[0])
        options_fail(PROG, "--encrypt with --relay needs --ticket @FILE: the bench cannot "
                           "mint for a relay whose key it does not hold");
    if (!proto_aoi_valid(c->aoi))
        options_fail(PROG, "--aoi %g: a radius is 0 (none) or at least %g", c->aoi,
                     (double)PROTO_AOI_MIN);
    check_network(c);
    if (c->aoi > 0 && (c->relay[0] || c->procs > 1 || c->room_size || c->sweep[0] ||
                       c->encrypt || c->loss > 0 || c->delay > 0 || c->jitter > 0 ||
                       c->netsim || c->fleet || c->pause_relay_ms > 0))
        options_fail(PROG, "--aoi runs one world on a relay it starts, over loopback: not with "
                           "--relay, --procs, --room-size, --sweep, --encrypt, --fleet, "
                           "--pause-relay-ms or netsim");
    if (c->lockstep && (c->relay[0] || c->procs > 1 || c->sweep[0] || c->encrypt ||
                        c->loss > 0 || c->delay > 0 || c->jitter > 0 || c->netsim ||
                        c->fleet || c->aoi > 0 || c->pause_relay_ms > 0 || c->netsim_ip))
        options_fail(PROG, "--lockstep runs on a relay it starts, over loopback: not with "
                           "--relay, --procs, --sweep, --encrypt, --fleet, --aoi, "
                           "--pause-relay-ms or netsim (loss: a namespace's, bench/lockstep.sh)");
    if (c->lockstep && (c->room_size < 1 || c->room_size > RICOCHET_LOCKSTEP_SLOTS_MAX ||
                        c->rate < 10 || c->rate > 60 || c->rate != (long)c->rate))
        options_fail(PROG, "--lockstep needs --room-size 1 to %d and --rate 10 to 60 (whole "
                           "ticks a second)", RICOCHET_LOCKSTEP_SLOTS_MAX);
    plan_from(c, p);
    options_checked(&program);
}
