/* statsrec.h: reading stats records (proto/STATS.md) back out of a
 * program's output: one JSON object per line, among other lines.
 *
 * The one reader of the records the relay and netsim write (tests' harness,
 * the bench); the writers are relay_stats_json() and netsim's print_json().
 * Pure: text in, a parsed record out. */
#ifndef RICOCHET_STATSREC_H
#define RICOCHET_STATSREC_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* The last line of text that is a stats record ("type":"stats") of the
 * kind program ("netsim"; NULL: any kind, e.g. a relay's stdout), with
 * "final":true if want_final. Returns it parsed (the caller cJSON_Delete's
 * it), or NULL if there is none. Lines that are not JSON are skipped. */
cJSON *statsrec_last(const char *text, const char *program, bool want_final);

#endif
