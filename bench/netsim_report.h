/* netsim_report.h: ricochet-netsim's counters, per direction: one JSON
 * stats line (the shape the relay uses, "type":"stats"), a human table on
 * stderr, and the --stats-json file. */
#ifndef RICOCHET_NETSIM_REPORT_H
#define RICOCHET_NETSIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "netsim_proxy.h"

/* One JSON stats line of px at now to out (final: the last one). */
void netsim_report_json(FILE *out, struct netsim_proxy *px, uint64_t now, bool final);

/* The counters as a table on stderr. */
void netsim_report_human(struct netsim_proxy *px, uint64_t now);

/* The final JSON line into --stats-json. Returns 0, or -1 (logged). */
int netsim_report_file(struct netsim_proxy *px, uint64_t now);

#endif
