/* redislab.h: a directory that survives its Redis, thrown away after a
 * test or a bench run: a primary, a replica of it (or two) and three
 * redis-sentinels watching them (quorum 2), all on free 127.0.0.1 ports
 * (or spread over a test's network namespaces), and the
 * redis-sentinel:// URL relays are given. */
#ifndef RICOCHET_REDISLAB_H
#define RICOCHET_REDISLAB_H

#include <stddef.h>
#include <stdint.h>

#include "redisproc.h"

#define REDISLAB_MASTER "ricochet-dir" /* the name the sentinels know the primary by */
#define REDISLAB_SENTINELS 3

#define REDISLAB_NODES 3 /* a primary and at most two replicas */
#define REDISLAB_PROCS (REDISLAB_NODES + REDISLAB_SENTINELS) /* node[0..2], then the
                                                                sentinels */

/* A lab spread over network namespaces (a test's partitions): where each
 * process runs and the address it listens on beside 127.0.0.1. */
struct redislab_net {
    char addr[REDISLAB_PROCS][16];      /* node[0..2], sentinel[0..] */
    void (*enter)(void *ctx, int proc); /* move the calling thread to where process
                                           proc runs (-1: back to where it was) */
    void *ctx;
};

struct redislab {
    struct redisproc node[REDISLAB_NODES]; /* node[primary] is the primary, the others
                                              its replicas (node[2]: none unless asked) */
    int nodes;                  /* 2, or 3 with a second replica */
    char min_replicas[12];      /* each node's min-replicas-to-write ("": none) */
    int primary;
    struct redisproc sentinel[REDISLAB_SENTINELS];
    char url[256];              /* "redis-sentinel://127.0.0.1:P,.../ricochet-dir" */
    const struct redislab_net *net; /* NULL: all on 127.0.0.1 */
};

/* Starts them (sentinels deciding a primary is down after down_ms) and
 * waits until every sentinel knows the replica and the other sentinels,
 * so that a failover can happen, and the replica has its first copy of
 * the primary (so that what is written next reaches it). Returns 0, or -1
 * with a message. */
int redislab_start(struct redislab *l, unsigned down_ms, char *err, size_t err_cap);

/* The same spread over net's namespaces (net outlives the lab): the URL
 * names the sentinels' addresses. */
int redislab_start_in(struct redislab *l, unsigned down_ms, const struct redislab_net *net,
                      char *err, size_t err_cap);

/* The same with replicas replicas (1 or 2) and each node refusing writes
 * while fewer than min_replicas replicas acknowledged it within 10 s
 * (min-replicas-to-write; 0: never). */
int redislab_start_with(struct redislab *l, unsigned down_ms, const struct redislab_net *net,
                        int replicas, int min_replicas, char *err, size_t err_cap);

/* Which node the sentinels name the primary now (0 to nodes - 1), -1 if
 * none answers. */
int redislab_primary(const struct redislab *l);

/* Kills the primary (SIGKILL) and waits up to timeout_ms until a sentinel
 * names the other node. Returns 0, or -1 with a message. */
int redislab_fail_over(struct redislab *l, unsigned timeout_ms, char *err, size_t err_cap);

/* Stops everything. Safe to repeat. */
void redislab_stop(struct redislab *l);

#endif
