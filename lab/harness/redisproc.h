/* redisproc.h: a throwaway redis-server (found on PATH) on a free
 * 127.0.0.1 port, no persistence, no config file: the fleet's directory
 * for the bench, and for the tests (through tests/support/redis.h); with
 * more arguments (TLS, a replica of another); and a throwaway
 * redis-sentinel watching one of them.
 *
 * Each works in a temporary folder of its own (redis-server's --dir, a
 * sentinel's config and `dir`), removed whole when it stops: what Redis
 * writes on its own (a replica's copy of its primary after a full sync,
 * dump.rdb; a sentinel's rewritten config) never lands in the caller's
 * working directory. */
#ifndef RICOCHET_REDISPROC_H
#define RICOCHET_REDISPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn.h"

#define REDISPROC_EXTRA_MAX 16 /* more arguments redis-server may take */

struct redisproc {
    struct spawn_proc proc;
    uint16_t port;
    char url[64]; /* "redis://127.0.0.1:PORT" */
    char extra[REDISPROC_EXTRA_MAX][256]; /* kept for a restart */
    size_t n_extra;
    char dir[64];  /* its temporary folder, removed whole when it stops, "" = none */
    char conf[96]; /* a sentinel's config file (in dir), "" = none */
};

/* Starts redis-server on a free loopback port and waits up to 5 s until it
 * answers PING. Returns 0, or -1 with a one-line message in err. */
int redisproc_start(struct redisproc *r, char *err, size_t err_cap);

/* The same with more arguments for redis-server (NULL-terminated, at most
 * REDISPROC_EXTRA_MAX: "--tls-port", "--replicaof", ...). */
int redisproc_start_with(struct redisproc *r, const char *const *extra, char *err,
                         size_t err_cap);

/* Starts redis-sentinel on a free port (r->url is "redis://127.0.0.1:PORT")
 * watching the primary on 127.0.0.1:primary_port as `master`, with quorum
 * and down-after-milliseconds down_ms (its config in a temporary folder).
 * Returns 0 or -1 with a message. */
int redisproc_start_sentinel(struct redisproc *r, const char *master, uint16_t primary_port,
                             int quorum, unsigned down_ms, char *err, size_t err_cap);

/* The same watching primary_host:primary_port, and listening on bind (an
 * address of the caller's network namespace) as well as on 127.0.0.1
 * (NULL: only there). */
int redisproc_start_sentinel_at(struct redisproc *r, const char *master,
                                const char *primary_host, uint16_t primary_port,
                                const char *bind, int quorum, unsigned down_ms, char *err,
                                size_t err_cap);

/* Starts it again on the same port after redisproc_stop (its data is
 * gone, as after a restart without persistence; a new folder). Returns 0
 * or -1. */
int redisproc_restart(struct redisproc *r, char *err, size_t err_cap);

/* How many keys match pattern (KEYS: for a throwaway server only; the
 * pattern has no spaces). Returns the count, or -1 if it did not answer. */
int redisproc_count_keys(const struct redisproc *r, const char *pattern);

/* One inline command (no CR or LF in it) and the start of its raw reply
 * (RESP) in buf, read within 200 ms. Returns the bytes read, or -1. */
ssize_t redisproc_ask(const struct redisproc *r, const char *cmd, char *buf, size_t cap);

/* Stops it (SIGTERM, then SIGKILL) and frees the process. Safe to repeat. */
void redisproc_stop(struct redisproc *r);

#endif
