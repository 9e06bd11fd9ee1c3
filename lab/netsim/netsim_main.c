/* netsim_main.c: ricochet-netsim, a UDP proxy that impairs the traffic
 * between clients and a relay (the models are in netsim.h), or in IP mode a
 * wire between two network namespaces (netsim_ip.h).
 *
 * One listening socket faces the clients. Each client address (ip:port) gets
 * a flow with its own upstream socket connected to the relay, so the relay
 * sees one peer per client. Client -> relay datagrams go through the "up"
 * model, relay -> client through "down". One loop: ppoll() on every socket
 * with the next delivery time as timeout, then hand out what is due. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "sys/signals.h"
#include "netsim.h"
#include "netsim_options.h"
#include "netsim_proxy.h"
#include "tun.h"

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

/* The seed, each direction's model, and the listening line. */
static void announce(const struct netsim_proxy *px, const struct netsim_model models[NETSIM_DIRS])
{
    char a[NETADDR_STR_MAX], b[NETADDR_STR_MAX];
    say_always("netsim: seed %llu", (unsigned long long)px->counts.seed);
    for (int i = 0; i < NETSIM_DIRS; i++)
        netsim_report_model((enum netsim_dir)i, &models[i]);
    if (px->ip) {
        /* what a script waits for before it starts anything in the namespaces */
        say_always("wire up: %s in %s <-> %s in %s (IP mode, device %s)", "198.18.0.1",
                   px->cfg.client_netns, "198.19.0.1", px->cfg.relay_netns, TUN_NAME);
        return;
    }
    /* The space after the port matters: scripts read the port up to it. */
    say_always("listening on %s (netsim -> relay %s)",
               netaddr_format(&px->listen_addr, a, sizeof a),
               netaddr_format(&px->relay_addr, b, sizeof b));
}

/* --metrics: the HTTP thread, and its address on the line tests read.
 * Exits 1 if it cannot start (the port taken). */
static void start_metrics(struct netsim_proxy *px, const struct netsim_setup *setup)
{
    char err[256];
    if (!px->cfg.metrics[0])
        return;
    px->metrics = netsim_metrics_start(&setup->metrics_addr, &px->cfg, err, sizeof err);
    if (!px->metrics) {
        fprintf(stderr, "%s: error: --metrics: %s\n", NETSIM_PROG, err);
        exit(1);
    }
    netsim_metrics_publish(px->metrics, px->sim, &px->counts);
    say_always("metrics on http://%s/", netsim_metrics_address(px->metrics));
}

int main(int argc, char **argv)
{
    static struct netsim_proxy px; /* large (receive buffer); static keeps it off the stack */
    struct netsim_setup setup;
    int rc = 1;

    px.stop = &stop_requested;
    px.stats = &stats_requested;
    netsim_configure(&px.cfg, &setup, argc, argv);
    if (netsim_proxy_open(&px, &setup) == 0) {
        signals_install(&stop_requested, &stats_requested, NULL);
        announce(&px, setup.models);
        px.counts.start_us = clock_now_us();
        start_metrics(&px, &setup);
        if (netsim_proxy_run(&px) == 0)
            rc = 0;
    }
    return netsim_proxy_close(&px, rc);
}
