/* metrics.h: ricochet-relay's operator endpoint (--metrics): an HTTP
 * server (sys/httpd.h, its own thread) that answers from the snapshot
 * board the loop publishes (snapshot.h), never from the core itself.
 *
 *   GET /metrics     Prometheus text 0.0.4: ricochet_ series, process_ series
 *   GET /healthz     200 if the loop turned within the last second, else 503
 *   GET /readyz      200 if ready (snapshot.h, relay_ready) and alive, else 503
 *   GET /stats.json  the newest snapshot as JSON (the page reads it)
 *   GET /            the live page: one HTML file, no external resources */
#ifndef RICOCHET_METRICS_H
#define RICOCHET_METRICS_H

#include <stddef.h>

#include "sys/netaddr.h"
#include "sys/promtext.h"
#include "snapshot.h"

/* The loop is alive if its heartbeat is at most this old. */
#define RELAY_ALIVE_US 1000000u

struct relay_metrics;

/* Serves board on addr from a thread of its own; transport is the
 * transport's name (a static string) for the page and build info. Returns
 * NULL with a one-line message in err. */
struct relay_metrics *relay_metrics_start(const union netaddr *addr, struct relay_board *board,
                                          const char *transport, char *err, size_t err_cap);

/* "ip:port" bound. */
const char *relay_metrics_address(const struct relay_metrics *m);

/* --metrics on at: a board (*board) and the thread serving it (*m); says
 * where on stderr (scripts read the port from that line), and warns if
 * beyond loopback. Returns 0, or -1 with a one-line message in err (*board
 * may then be left to relay_board_destroy). */
int relay_metrics_open(const union netaddr *at, const char *transport,
                       struct relay_board **board, struct relay_metrics **m, char *err,
                       size_t err_cap);

/* Stops the thread and frees. NULL is fine. */
void relay_metrics_stop(struct relay_metrics *m);

/* Pure: the ricochet_ series of s (HELP, TYPE and samples), as /metrics
 * writes them before the process_ series. */
void relay_metrics_write(struct promtext *t, const struct relay_snapshot *s);

/* Pure: s as the JSON object /stats.json serves (no newline); the caller
 * frees. NULL when out of memory. */
char *relay_metrics_json(const struct relay_snapshot *s, const char *transport);

#endif
