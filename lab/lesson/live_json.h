/* live_json.h: live.json in parts (live_json.c), for the page's server
 * (live_http.c), which writes them for each request, and the students'
 * view (live_view.c), which writes them once for every viewer: its head,
 * and each lane whole (its ends, figures and states) or by name only. */
#ifndef RICOCHET_LIVE_JSON_H
#define RICOCHET_LIVE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct live_lane_snap;
struct live_snapshot;

/* The head of live.json, "{" to the comma before "lanes": the cursor, the
 * lanes' start, the relay's and netsim's words, model (the model JSON,
 * its text), netsim's figures, the drop log's reading, the model changes
 * the strips draw (those of the last 20 s: netsim's words, and the page's
 * controls that make them). */
void live_json_head(FILE *f, const struct live_snapshot *s, const char *model);

/* Lane l as live.json's lane, open (no "}"): whole, its ends and figures;
 * else its name, title, colour and state only, "brief": true (a lane the
 * page does not show now). */
void live_json_lane(FILE *f, const struct live_lane_snap *l, bool whole);

/* Lane l's states changed after since, comma-separated (no brackets);
 * whether any was written. */
bool live_json_marks(FILE *f, const struct live_lane_snap *l, uint64_t t0, uint64_t since);

/* enum live_fate's name in live.json and GET /state ("netsim", "socket",
 * "unexplained"; "" for none). */
const char *live_fate_name(unsigned fate);

/* Is name in list, a comma-separated list of names (NULL: every name)? */
bool live_json_listed(const char *list, const char *name);

#endif
