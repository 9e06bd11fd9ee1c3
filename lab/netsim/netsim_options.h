/* netsim_options.h: ricochet-netsim's command line: per-direction model
 * settings (plain options set both directions, up-/down- override one), the
 * addresses, limits and outputs; and the checks the table cannot express. */
#ifndef RICOCHET_NETSIM_OPTIONS_H
#define RICOCHET_NETSIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/netaddr.h"
#include "flowscan.h"
#include "netsim.h"

#define NETSIM_PROG "ricochet-netsim"

/* Model settings that exist per direction. Negative values in up/down mean
 * "same as the plain option" (both). */
struct dir_opts {
    double loss, ge_p, ge_r, ge_good, ge_bad, delay, jitter, dup, rate;
    long queue_limit, queue_bytes;
    double loss_corr, delay_corr, dup_corr, corrupt, corrupt_corr, reorder_pct, reorder_corr;
    long reorder_gap;
};


struct netsim_options {
    char listen[64];
    char relay[64];
    char stats_json[256];
    char drop_log[256];    /* "" = none */
    char pcap[256];        /* "" = none; dropped datagrams go to PCAP.dropped */
    int wire;              /* enum netsim_wire (flowscan.h): how datagrams are read */
    char keylog[256];      /* --wire webrtc, quic or auto: the clients' key log */
    bool paired_loss;      /* --paired-loss: states' loss by their seq (netsim_submit_paired) */
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
    char metrics[80];      /* --metrics HOST:PORT, "" = none */
    char client_netns[256]; /* IP mode (netsim_ip.h): the two network namespaces */
    char relay_netns[256];
};

/* What follows from the options. */
struct netsim_setup {
    union netaddr listen_addr, relay_addr; /* --listen, --relay */
    union netaddr metrics_addr;            /* --metrics, when given */
    uint64_t seed;                         /* --seed, or one from the clock */
    bool ip;                               /* IP mode: --client-netns and --relay-netns */
    struct netsim_model models[NETSIM_DIRS];
};

/* Both directions' models from cfg (its up- and down- settings over the
 * plain ones), each checked. Returns 0, or -1 with a one-line message in
 * err. */
int netsim_models_from(const struct netsim_options *cfg, struct netsim_model models[NETSIM_DIRS],
                       char *err, size_t err_cap);

/* Both directions' models of netsim's defaults (a perfect wire, as no
 * option given makes it). Returns 0, or -1 (a table bug). */
int netsim_default_models(struct netsim_model models[NETSIM_DIRS]);

/* PUT /model: a JSON object of the model's options by their names and in
 * their ranges ({"loss": 5, "up-rate-kbps": 256, "jitter-dist": "normal"};
 * no other option), set over cfg, checked as the command line is. Returns
 * 0 with cfg updated and models the new ones, or -1 with the one-line error
 * in err and cfg untouched. */
int netsim_model_apply(struct netsim_options *cfg, const char *json,
                       struct netsim_model models[NETSIM_DIRS], char *err, size_t err_cap);

/* cfg and setup from argv; exits 2 on anything wrong (0 after --help),
 * warns about addresses that are not loopback, and raises the descriptor
 * limit to fit --max-flows. */
void netsim_configure(struct netsim_options *cfg, struct netsim_setup *setup, int argc,
                      char **argv);

#endif
