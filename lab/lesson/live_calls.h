/* live_calls.h: each lane's two ends and the system calls they made
 * (live_calls.c). */
#ifndef RICOCHET_LIVE_CALLS_H
#define RICOCHET_LIVE_CALLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct live_figures;
struct live_lane_snap;
struct live_snapshot;

/* The relay's fixed port for edge (IP mode: the lesson's namespace is its
 * own, so the ports are the course's: HTTP's 80 for the polling lanes),
 * or 0 for one the kernel picks. */
uint16_t live_fixed_port(const char *edge);

/* The lane's two ends, as live.json's lane "ends": the relay's endpoint and
 * port, each client's endpoint. */
void live_ends_json(FILE *f, const struct live_lane_snap *l);

/* A stream lane's figures of its own (fig->http): "segments_dropped" (netsim's, in the
 * window), "behind_segment" (its states lost behind one) and "http": its requests and heads
 * in all and in the window. */
void live_http_cost_json(FILE *f, const struct live_figures *fig);

/* GET /calls?lane=NAME: the system calls the lane's two ends made, with the
 * descriptors and ports they got (the relay's read from /proc), and its
 * connections' handshakes; JSON text (malloc'ed, the caller frees), or
 * NULL with a one-line reason and the answer's status. */
char *live_calls_text(const struct live_snapshot *s, const char *lane, unsigned *status,
                      char *why, size_t why_cap);

#endif
