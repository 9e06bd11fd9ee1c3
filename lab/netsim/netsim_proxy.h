/* netsim_proxy.h: ricochet-netsim's proxy: one listening socket faces the
 * clients; each client address (ip:port) gets a flow with its own upstream
 * socket connected to the relay, so the relay sees one peer per client.
 * Client -> relay datagrams go through the "up" model, relay -> client
 * through "down". One loop: ppoll() on every socket with the next delivery
 * time as timeout, then hand out what is due. --drop-log and --pcap record
 * what each datagram met. In IP mode (netsim_ip.h) the same loop reads and
 * writes two TUN devices instead of sockets. */
#ifndef RICOCHET_NETSIM_PROXY_H
#define RICOCHET_NETSIM_PROXY_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats/histogram.h"
#include "sys/netaddr.h"
#include "capture.h"
#include "droplog.h"
#include "dtlsview.h"
#include "flowscan.h"
#include "netsim.h"
#include "netsim_metrics.h"
#include "netsim_options.h"
#include "netsim_report.h"

struct tcpstream;

struct netsim_flow {
    bool used;
    union netaddr client;
    uint8_t proto;      /* IP mode: the IP protocol (a flow is an endpoint of one) */
    int fd;             /* connected to the relay; -1 in IP mode */
    uint64_t last_us;   /* last datagram either way */
    uint64_t pending;   /* copies in the simulator that name this flow */
    struct tcpstream *stream; /* IP mode, a TCP flow, with --drop-log: its two directions'
                                 frames (tcpstream.h); else NULL */
    struct flowscan scan;  /* how its datagrams are read, what paired loss judged */
    bool handshake_acked;  /* IP mode, TCP: the client's first bare ACK (the handshake's
                              last segment) logged */
};

struct netsim_proxy {
    struct netsim_options cfg;
    volatile sig_atomic_t *stop;  /* a signal asked to stop */
    volatile sig_atomic_t *stats; /* a signal asked for a stats line */
    union netaddr listen_addr, relay_addr;
    int listen_fd;
    bool ip;                      /* IP mode (netsim_ip.h) */
    int tun_fd[NETSIM_DIRS];      /* IP mode: the device each direction is read from (up: the
                                     client side's), written by the other; else -1 */
    struct netsim *sim;
    struct netsim_flow *flows; /* counts.flows of them used (IP mode: one more, last, for
                                  the packets of endpoints past --max-flows) */
    struct pollfd *pfds;
    size_t *pfd_flow;     /* pfds[i] (i >= 1) belongs to flows[pfd_flow[i]] */
    struct netsim_proxy_counts counts; /* what the reports show (start_us: the loop's) */
    uint64_t upstream_unlogged;   /* upstream socket failures not logged yet */
    uint64_t upstream_next_log_us; /* earliest time to log the next one */
    FILE *drop_log;                        /* --drop-log, or NULL */
    struct netsim_model base[NETSIM_DIRS]; /* --drop-log: the default model, which its model
                                              lines name the settings that differ from */
    struct dtlsview_keylog *keylog;        /* --wire webrtc, quic, auto: --keylog's */
    uint32_t stream_seqs[STATESCAN_MAX];   /* IP mode: the states the TCP segment just read
                                              completes, for paired loss */
    size_t stream_n;
    struct droplog_counts drop_counts;
    struct capture *cap_fwd, *cap_drop;    /* --pcap, or NULL */
    struct netsim_metrics *metrics;        /* --metrics, or NULL */
    unsigned char buf[NETSIM_MAX_DATAGRAM];
};

/* With px->cfg set: takes setup's addresses and seed, allocates the tables
 * and the simulator, binds the listening socket, opens --drop-log and
 * --pcap. Returns 0, or -1 (logged). */
int netsim_proxy_open(struct netsim_proxy *px, const struct netsim_setup *setup);

/* The loop, from px->start_us until --duration or *px->stop (a stats line
 * on stdout whenever *px->stats is set or --stats-interval passed). Returns
 * 0, or -1 if waiting failed (logged). */
int netsim_proxy_run(struct netsim_proxy *px);

/* Final report (if the loop ran), then closes everything. Returns the exit
 * status: rc, or 1 if the --stats-file file could not be written. */
int netsim_proxy_close(struct netsim_proxy *px, int rc);

#endif
