/* stats_record.h: ricochet-relay's stats record (STATS.md, relay kind):
 * the core's counters as one JSON line for programs, or one line for a
 * person at a terminal. */
#ifndef RICOCHET_STATS_RECORD_H
#define RICOCHET_STATS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/core/relay.h"

/* Writes the stats record as one JSON line (with '\n') into buf. Returns
 * its length, or -1 if cap is too small. */
int relay_stats_json(const struct relay *r, char *buf, size_t cap,
                     double uptime_s, bool final);

/* The stats record as one line for a person at a terminal (with '\n'):
 * clients, members and rooms now; states and bytes per second over the
 * last interval_s seconds, since the counters were prev (NULL: zero, for
 * averages over the run); session totals; the drop total with each reason
 * that is not zero.
 * Returns its length, or -1 if cap is too small. */
int relay_stats_text(const struct relay *r, const struct relay_stats *prev, double interval_s,
                     char *buf, size_t cap, double uptime_s, bool final);

/* Where ricochet-relay's stats records go: JSON lines for programs (stdout
 * piped or redirected, or --stats-json), one readable line for a person at
 * a terminal, with rates since the previous record. */
struct relay_stats_out {
    bool json;
    uint64_t start_us;       /* the relay's start, for uptime */
    struct relay_stats prev; /* counters at the previous record */
    uint64_t prev_us;        /* and when */
};

/* Prints r's stats record at now_us on stdout (final: the run's last,
 * averaged over it) and remembers the counters for the next. */
void relay_stats_print(const struct relay *r, struct relay_stats_out *so, uint64_t now_us,
                       bool final);

#endif
