/* netsim_metrics.h: ricochet-netsim --metrics HOST:PORT: what the proxy
 * drops, delays and holds, per direction, for Prometheus at /metrics, so
 * that a benchmark run can be watched; and its model, read (GET /model)
 * and changed while it runs (PUT /model: a JSON object of the model's
 * options, checked by netsim's own option rows, 400 with the option's
 * one-line error). As in the relay (docs/design.md): the loop takes a
 * snapshot of its counters every 100 ms and publishes it through a triple
 * buffer (sys/triple.h); the HTTP thread (sys/httpd.h) formats the newest;
 * neither waits for the other. A model changed is posted to the loop in one
 * slot (the newest wins) with an eventfd that wakes it; the loop takes it
 * at its next turn, never waiting for the HTTP thread, so a storm of
 * requests costs the loop one copy a turn. Any other request is refused
 * (404, 405). */
#ifndef RICOCHET_NETSIM_METRICS_H
#define RICOCHET_NETSIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/timehist.h"
#include "sys/netaddr.h"
#include "netsim.h"
#include "netsim_options.h"
#include "netsim_report.h"

struct promtext;

/* One direction's figures (netsim_counters without its large histogram). */
struct netsim_dir_snapshot {
    uint64_t received, received_bytes, forwarded, forwarded_bytes;
    uint64_t dropped_loss, dropped_burst, dropped_queue, dropped_overflow;
    uint64_t duplicated, corrupted, sent_at_once, reordered;
    uint64_t paired_states, paired_lost; /* --paired-loss */
    uint64_t pending;               /* copies held now: delayed or queued */
    uint64_t send_errors, recv_errors;
    struct timehist delay;
};

struct netsim_snapshot {
    uint64_t flows, flows_created, flows_expired, flows_refused;
    struct netsim_dir_snapshot dir[NETSIM_DIRS];
};

/* Pure: the ricochet_netsim_ series of s (HELP, TYPE, samples) and
 * ricochet_build_info. */
void netsim_metrics_write(struct promtext *t, const struct netsim_snapshot *s);

struct netsim_metrics;

/* Serves /metrics and /model on at from a thread of its own (before the
 * first publish: 503), the model's changes made over opts (copied).
 * Returns NULL with a one-line message in err. */
struct netsim_metrics *netsim_metrics_start(const union netaddr *at,
                                            const struct netsim_options *opts, char *err,
                                            size_t err_cap);

/* The loop's side of PUT /model: a descriptor readable while a model waits
 * (-1 for a NULL m), and the newest model posted since the last call into
 * models. Returns true if there was one; never waits. */
int netsim_metrics_fd(const struct netsim_metrics *m);
bool netsim_metrics_take(struct netsim_metrics *m, struct netsim_model models[NETSIM_DIRS]);

/* The loop's side: a snapshot of sim and c, published. NULL m: nothing. */
void netsim_metrics_publish(struct netsim_metrics *m, const struct netsim *sim,
                            const struct netsim_proxy_counts *c);

/* "ip:port" bound. */
const char *netsim_metrics_address(const struct netsim_metrics *m);

/* Stops the thread and frees. NULL is fine. */
void netsim_metrics_stop(struct netsim_metrics *m);

#endif
