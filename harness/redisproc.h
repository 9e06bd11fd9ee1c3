/* redisproc.h: a throwaway redis-server (found on PATH) on a free
 * 127.0.0.1 port, no persistence, no config file: the fleet's directory
 * for the bench, and for the tests (through tests/support/redis.h). */
#ifndef RICOCHET_REDISPROC_H
#define RICOCHET_REDISPROC_H

#include <stddef.h>
#include <stdint.h>

#include "spawn.h"

struct redisproc {
    struct spawn_proc proc;
    uint16_t port;
    char url[64]; /* "redis://127.0.0.1:PORT" */
};

/* Starts redis-server on a free loopback port and waits up to 5 s until it
 * answers PING. Returns 0, or -1 with a one-line message in err. */
int redisproc_start(struct redisproc *r, char *err, size_t err_cap);

/* Starts it again on the same port after redisproc_stop (its data is
 * gone, as after a restart without persistence). Returns 0 or -1. */
int redisproc_restart(struct redisproc *r, char *err, size_t err_cap);

/* How many keys match pattern (KEYS: for a throwaway server only; the
 * pattern has no spaces). Returns the count, or -1 if it did not answer. */
int redisproc_count_keys(const struct redisproc *r, const char *pattern);

/* Stops it (SIGTERM, then SIGKILL) and frees the process. Safe to repeat. */
void redisproc_stop(struct redisproc *r);

#endif
