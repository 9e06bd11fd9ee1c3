/* netsim_report.h: ricochet-netsim's counters, per direction: one JSON
 * stats line (the shape the relay uses, "type":"stats"), a human table on
 * stderr, and the --stats-file file. */
#ifndef RICOCHET_NETSIM_REPORT_H
#define RICOCHET_NETSIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats/histogram.h"
#include "netsim.h"

/* What the proxy counts itself (it keeps one), shown beside the
 * simulator's counters. */
struct netsim_proxy_counts {
    uint64_t seed;      /* the simulator's */
    uint64_t start_us;  /* the loop's start, for uptime */
    size_t flows;       /* live */
    uint64_t flows_created, flows_expired, flows_refused;
    uint64_t send_errors[NETSIM_DIRS], recv_errors[NETSIM_DIRS];
    uint64_t stray[NETSIM_DIRS]; /* IP mode: packets not carried (not IPv4 between the two
                                    sides' addresses in 198.18.0.0/15) */
    struct histogram late_us[NETSIM_DIRS]; /* actual send time - model's due time */
};

/* One JSON stats line of sim and c at now to out (final: the last one). */
void netsim_report_json(FILE *out, const struct netsim *sim, const struct netsim_proxy_counts *c,
                        uint64_t now, bool final);

/* The counters as a table on stderr. */
void netsim_report_human(const struct netsim *sim, const struct netsim_proxy_counts *c,
                         uint64_t now);

/* One direction's model, on one log line (info). */
void netsim_report_model(enum netsim_dir dir, const struct netsim_model *m);

/* The final JSON line into the file at path (--stats-file). Returns 0, or
 * -1 (logged). */
int netsim_report_file(const char *path, const struct netsim *sim,
                       const struct netsim_proxy_counts *c, uint64_t now);

#endif
