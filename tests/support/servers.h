/* servers.h: the real programs tests start beside ricochet's own:
 * Prometheus (a scrape target, its HTTP query API) and headless Chromium
 * (a page's DOM, screenshots), each on loopback, in a temporary folder of
 * its own that the test removes. Every wait is bounded; a server that does
 * not come up fails the test (cmocka). */
#ifndef RICOCHET_TEST_SERVERS_H
#define RICOCHET_TEST_SERVERS_H

#include <stdbool.h>
#include <stddef.h>

#include "lab/harness/spawn.h"

/* Creates a fresh folder from a mkdtemp template ("/tmp/x-XXXXXX", changed
 * in place); fails the test if it cannot. */
void servers_tmpdir(char *template);

/* Removes dir and everything below it (no error if it is gone). */
void servers_remove_tree(const char *dir);

/* Starts prometheus in dir (its config and data) on a free loopback port,
 * scraping target ("127.0.0.1:PORT", path /metrics) every second, and
 * waits up to 30 s until it is ready. Writes its own "127.0.0.1:PORT" into
 * api (cap bytes). */
void servers_start_prometheus(struct spawn_proc *p, const char *dir, const char *target,
                              char *api, size_t cap);

/* Runs an instant query on Prometheus at api. Returns the number of
 * series in the answer (the first one's value into *value), or -1 if the
 * query failed (its error printed). */
int servers_prom_query(const char *api, const char *query, double *value);

/* Runs headless Chromium once on url with a fresh profile in dir, and
 * either writes a screenshot (png: its path) or, with png NULL, returns
 * the page's DOM (the caller frees) after budget_ms of the page's own
 * time. Fails the test if Chromium does not finish within 60 s. */
char *servers_chromium(const char *dir, const char *url, const char *png, int budget_ms);

#endif
