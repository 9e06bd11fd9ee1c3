/* lesson_main.c: ricochet-lesson, the lesson you can watch (live.h): its
 * options, IP mode's namespaces if this machine gives them (before any
 * thread), the signals, then live_run() until one comes. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lab/harness/children.h"
#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "sys/options.h"
#include "sys/signals.h"
#include "live.h"
#include "live_door.h"
#include "live_guests.h"
#include "live_lanes.h"
#include "live_run.h"
#include "live_snapshot.h"

#define PROG LESSON_PROG
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct lesson_options {
    long port, door_port, view_port;
    char bin[512], door_address[64], view_address[64];
    double rate, duration, grace, loss, delay, jitter;
    long seed;
    char relay_args[256], netsim_args[256];
    int log_level, senders;
};

#define OFF(FIELD) offsetof(struct lesson_options, FIELD)
static const struct option_def options[] = {
    {"port", OPTION_INT, OFF(port), "7799", 0, 65535, NULL,
     "serve the page on 127.0.0.1:PORT (0: a free one, said on standard output)",
     .short_name = 'p'},
    {"door-port", OPTION_INT, OFF(door_port), "7800", 0, 65535, NULL,
     "a program of your own joins through the same network on the door's address and PORT, "
     "over plain UDP and (IP mode) TCP (0: free ones, said on standard output)"},
    {"door-address", OPTION_STRING, OFF(door_address), "127.0.0.1", 0, 64, NULL,
     "the door's address: another than loopback (this machine's address on a class's "
     "network, 0.0.0.0 for every one) lets other machines' programs in, at most "
     STRINGIFY(LIVE_GUESTS_PER_ADDRESS) " at once from one address (an IPv6 /64), "
     STRINGIFY(LIVE_GUESTS) " in all, a UDP program's join echoing a cookie of the door's "
     "first, as the relay's own edge asks; said on standard error at start"},
    {"view-address", OPTION_STRING, OFF(view_address), "", 0, 64, NULL,
     "the students' view: the same page, read-only, on this address (this machine's on a "
     "class's network, often the door's): every laptop watches the lanes live, its own "
     "program's lane marked, and changes nothing; one answer shared by every viewer; said "
     "on standard error at start (default: none, the page on 127.0.0.1 only)"},
    {"view-port", OPTION_INT, OFF(view_port), "7801", 0, 65535, NULL,
     "... and its port (0: a free one, said on standard output)"},
    {"rate", OPTION_DOUBLE, OFF(rate), "20", 0.1, 1000, NULL,
     "states a second each lane's sender sends"},
    {"senders", OPTION_CHOICE, OFF(senders), "1", 0, 0, "1|4",
     "each lane's senders to start with (the page switches): with 4, one stream for all "
     "holds every sender back behind one's loss, a stream per sender only that one"},
    {"duration", OPTION_DOUBLE, OFF(duration), "10", 0.1, 600, NULL,
     "each lane's figures over this many seconds of states", .short_name = 't'},
    {"grace", OPTION_DOUBLE, OFF(grace), "2", 0, 60, NULL,
     "... ending this long ago: a state not arrived within it counts as lost, seconds"},
    {"path-loss", OPTION_DOUBLE, OFF(loss), "0", 0, 99, NULL,
     "loss % over the whole path client -> relay -> client to start with (the page changes "
     "it), split over netsim's two hops"},
    {"path-delay", OPTION_DOUBLE, OFF(delay), "0", 0, 10000, NULL,
     "one-way delay ms over the whole path to start with (half per hop)"},
    {"path-jitter", OPTION_DOUBLE, OFF(jitter), "0", 0, 10000, NULL,
     "jitter ms over the whole path to start with (uniform +-half per hop)"},
    {"seed", OPTION_INT, OFF(seed), "1", 0, 9007199254740991.0, NULL,
     "netsim's seed (0 = netsim picks one)"},
    {"bin", OPTION_STRING, OFF(bin), "", 0, 512, NULL,
     "folder of ricochet-relay and ricochet-netsim (default: next to this program)"},
    {"relay-args", OPTION_STRING, OFF(relay_args), "", 0, 256, NULL,
     "extra options for the relay the lesson starts, space-separated"},
    {"netsim-args", OPTION_STRING, OFF(netsim_args), "", 0, 256, NULL,
     "extra options for every netsim the lesson starts, e.g. \"--ge-p 1 --ge-r 30\""},
    {"log-level", OPTION_CHOICE, OFF(log_level), "warn", 0, 0, "debug|info|warn|error|off",
     "stderr log level", .short_name = 'V', .short_value = "debug"},
    {0},
};

static const char *const signals[] = {
    "SIGINT, SIGTERM", "stop the lesson and everything it started (the relay, netsim, the "
                       "namespaces) and exit 0",
    NULL};

static const char *const exit_status[] = {
    "0", "stopped by SIGINT or SIGTERM",
    "1", "the page or the door could not be served (a port taken), or out of memory",
    "2", "a bad option, value or config file, with one line on standard error", NULL};

static const char *const files[] = {
    "$TMPDIR/ricochet-lesson-drops-*", "each netsim's drop log, read as it grows, removed at "
                                       "the end (TMPDIR unset: /tmp)",
    "$TMPDIR/ricochet-lesson-keys-*", "the WebRTC and QUIC clients' key log netsim reads them "
                                      "with, removed at the end",
    NULL};

static const struct options_example examples[] = {
    {"The lesson as make lesson runs it, its page on http://127.0.0.1:7799/ until Ctrl-C:",
     "ricochet-lesson --port 7799 --rate 20 --duration 10"},
    {"Starting at 5% loss and 40 ms end to end, on a port the kernel picks:",
     "ricochet-lesson --port 0 --path-loss 5 --path-delay 40"},
    {"Four senders per lane, 5% loss: a one-stream lane holds every sender back behind each loss:",
     "ricochet-lesson --senders 4 --path-loss 5"},
    {"A class: the students' programs join from their machines through this one's 192.0.2.10:",
     "ricochet-lesson --door-address 192.0.2.10 --door-port 7800"},
    {"... and every laptop watches on http://192.0.2.10:7801/, read-only (docs/class/):",
     "ricochet-lesson --door-address 192.0.2.10 --view-address 192.0.2.10"},
    {0}};

static const struct options_manual manual = {
    .description =
        "ricochet-lesson runs every lane of the bench's lane table side by side (ENet's "
        "modes, plain UDP, a TCP stream, a WebSocket, the ENet modes over WebRTC, QUIC and "
        "WebTransport), a sender (or four, --senders and the page's switch) and a receiver each "
        "at --rate, through one ricochet-netsim "
        "in IP mode with paired loss, between two network namespaces it makes (without "
        "them, netsim's UDP proxy in front of each datagram edge, the streams' lanes left "
        "out, one line saying how to get them). In IP mode the relay, in a namespace of its "
        "own, listens on fixed, named ports: HTTP's 80 for the polling lanes, 443 for QUIC and "
        "WebTransport, 7777 to 7781 for ENet, plain UDP, TCP, WebSocket and WebRTC. It serves "
        "its page on 127.0.0.1:PORT: each lane's endpoints and the system calls of its two ends, "
        "its states as they arrive, what netsim did to each, and its figures over "
        "--duration, ending --grace ago, computed by the bench's own code; the page's "
        "controls change netsim's model while it runs. The relay forwards each state at once "
        "(--tick-ms 0), so that no two senders' states share a datagram and a loss holds "
        "back only what its lane's ordering makes wait. A program of your own joins through "
        "the same network at --door-port (plain UDP; TCP in IP mode: the lesson carries its "
        "bytes from the door through netsim to the relay's edge) and gets a lane of its own; "
        "the door listens on 127.0.0.1 unless --door-address names another (a class: "
        "every student's program a lane, a few places per address). With --view-address the "
        "students watch the same page from their laptops, read-only, at --view-port "
        "(docs/class/: a plan for 90 minutes, the questions, the answer key, a worksheet). "
        "A relay or netsim that dies is said "
        "on the page and started again, the lanes with it; SIGINT stops everything.",
    .signals = signals,
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"port\": 7799, \"rate\": 20, \"duration\": 10, \"path-loss\": 5}",
    .see_also = "sockets.md (Watch it), benchmarks.md, netsim.md",
};

static const struct options_program program = {
    .name = PROG,
    .summary =
        "The lesson you can watch: every transport side by side through one network you turn\n"
        "by hand, each lane a sender (or four) and a receiver through ricochet-relay and\n"
        "ricochet-netsim, drawn live in a page on 127.0.0.1 with what netsim did to every state.\n"
        "example: " PROG " --port 7799 --rate 20 --duration 10",
    .defs = options,
    .manual = &manual,
};

/* The options into the run's configuration and its starting path. */
static void configure(const struct lesson_options *o, struct live_config *cfg,
                      struct bench_params *params)
{
    char err[160];
    if ((o->duration + o->grace) * o->rate > LIVE_SENDER_MARKS - 24)
        options_fail(PROG, "the lesson keeps a lane's last %d states: --duration %g plus "
                           "--grace %g at --rate %g is %.0f of them", LIVE_SENDER_MARKS - 24,
                     o->duration, o->grace, o->rate, (o->duration + o->grace) * o->rate);
    memset(cfg, 0, sizeof *cfg);
    children_bin(PROG, o->bin, cfg->bin, sizeof cfg->bin);
    snprintf(cfg->relay_args, sizeof cfg->relay_args, "%s", o->relay_args);
    snprintf(cfg->netsim_args, sizeof cfg->netsim_args, "%s", o->netsim_args);
    cfg->seed = (uint64_t)o->seed;
    union netaddr door;
    if (netaddr_resolve(o->door_address, 0, &door, err, sizeof err) != 0)
        options_fail(PROG, "--door-address %s: %s", o->door_address, err);
    snprintf(cfg->door_address, sizeof cfg->door_address, "%s", o->door_address);
    cfg->door_port = (int)o->door_port;
    if (o->view_address[0] &&
        netaddr_resolve(o->view_address, 0, &door, err, sizeof err) != 0)
        options_fail(PROG, "--view-address %s: %s", o->view_address, err);
    snprintf(cfg->view_address, sizeof cfg->view_address, "%s", o->view_address);
    cfg->view_port = (int)o->view_port;
    cfg->senders = o->senders ? LIVE_SENDERS : 1;
    cfg->duration_ms = (long)(o->duration * 1000);
    cfg->grace_ms = (long)(o->grace * 1000);
    memset(params, 0, sizeof *params);
    params->clients = 2;
    params->payload = 40;
    const double path[][2] = {{BENCH_P_RATE, o->rate}, {BENCH_P_LOSS, o->loss},
                              {BENCH_P_DELAY, o->delay}, {BENCH_P_JITTER, o->jitter}};
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
        if (bench_param_set(params, (enum bench_param)path[i][0], path[i][1], err,
                            sizeof err) != 0)
            options_fail(PROG, "%s", err);
}

int main(int argc, char **argv)
{
    struct lesson_options o;
    struct live_config cfg;
    struct bench_params params;
    struct netlab lab = {.ns = {-1, -1}, .home = -1};
    char why[256];
    memset(&o, 0, sizeof o);
    options_parse_or_exit(&program, &o, argc, argv);
    log_threshold = (enum log_level)o.log_level;
    configure(&o, &cfg, &params);
    options_checked(&program);
    cfg.lab = netlab_open(&lab, why, sizeof why) == 0 ? &lab : NULL;
    signals_install(&live_stop, NULL, NULL);
    int rc = live_run(&cfg, &params, (int)o.port, cfg.lab ? NULL : why);
    spawn_kill_all();
    netlab_close(&lab);
    return rc;
}
