/* redislab.c: see redislab.h. */
#include "redislab.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"

#define DISCOVERY_MS 20000 /* sentinels find the replica and each other (hello every 2 s) */

/* Process proc's address (the nodes, then the sentinels). */
static const char *addr(const struct redislab *l, int proc)
{
    return l->net ? l->net->addr[proc] : "127.0.0.1";
}

/* The calling thread to where process proc runs (-1: back). */
static void at(const struct redislab *l, int proc)
{
    if (l->net)
        l->net->enter(l->net->ctx, proc);
}

/* One inline command to process proc, from where it runs. */
static ssize_t ask(const struct redislab *l, int proc, const char *cmd, char *buf, size_t cap)
{
    const struct redisproc *r = proc < REDISLAB_NODES ? &l->node[proc]
                                                      : &l->sentinel[proc - REDISLAB_NODES];
    at(l, proc);
    ssize_t n = r->proc.pid ? redisproc_ask(r, cmd, buf, cap) : -1;
    at(l, -1);
    return n;
}

/* A sentinel's count of what `cmd` lists (the reply's array length). */
static int listed(const struct redislab *l, int i, const char *cmd)
{
    char buf[64];
    return ask(l, REDISLAB_NODES + i, cmd, buf, sizeof buf) > 0 && buf[0] == '*'
               ? atoi(buf + 1)
               : -1;
}

static int discovered(const struct redislab *l)
{
    for (int i = 0; i < REDISLAB_SENTINELS; i++)
        if (listed(l, i, "SENTINEL replicas " REDISLAB_MASTER) < l->nodes - 1 ||
            listed(l, i, "SENTINEL sentinels " REDISLAB_MASTER) < REDISLAB_SENTINELS - 1)
            return 0;
    return 1;
}

/* Whether every replica has its copy of the primary (its link up). */
static int replica_synced(const struct redislab *l)
{
    char info[2048];
    for (int k = 1; k < l->nodes; k++) {
        ssize_t n = ask(l, k, "INFO replication", info, sizeof info - 1);
        if (n <= 0)
            return 0;
        info[n] = '\0';
        if (!strstr(info, "master_link_status:up"))
            return 0;
    }
    return 1;
}

/* Node k started where it runs, listening on its address too; more: its
 * own arguments (at most 4, NULL-ended). */
static int start_node(struct redislab *l, int k, const char *const *more, char *err,
                      size_t err_cap)
{
    const char *args[12] = {"--bind", "127.0.0.1", addr(l, k), "--protected-mode", "no"};
    size_t n = l->net ? 5 : 0;
    if (l->min_replicas[0]) {
        args[n++] = "--min-replicas-to-write";
        args[n++] = l->min_replicas;
    }
    for (size_t i = 0; more[i]; i++)
        args[n++] = more[i];
    args[n] = NULL;
    at(l, k);
    int rc = redisproc_start_with(&l->node[k], args, err, err_cap);
    at(l, -1);
    return rc;
}

int redislab_start(struct redislab *l, unsigned down_ms, char *err, size_t err_cap)
{
    return redislab_start_in(l, down_ms, NULL, err, err_cap);
}

int redislab_start_in(struct redislab *l, unsigned down_ms, const struct redislab_net *net,
                      char *err, size_t err_cap)
{
    return redislab_start_with(l, down_ms, net, 1, 0, err, err_cap);
}

int redislab_start_with(struct redislab *l, unsigned down_ms, const struct redislab_net *net,
                        int replicas, int min_replicas, char *err, size_t err_cap)
{
    memset(l, 0, sizeof *l);
    l->net = net;
    l->nodes = 1 + (replicas == 2 ? 2 : 1);
    if (min_replicas > 0)
        snprintf(l->min_replicas, sizeof l->min_replicas, "%d", min_replicas);
    /* The replica's first sync is a whole copy, sent at once (Redis waits
     * 5 s by default for more replicas to send it to). */
    const char *primary[] = {"--repl-diskless-sync-delay", "0", NULL};
    if (start_node(l, 0, primary, err, err_cap) != 0)
        return -1;
    char of[16];
    snprintf(of, sizeof of, "%u", l->node[0].port);
    const char *replica[] = {"--replicaof", addr(l, 0), of, NULL};
    for (int k = 1; k < l->nodes; k++)
        if (start_node(l, k, replica, err, err_cap) != 0)
            goto fail;
    size_t n = (size_t)snprintf(l->url, sizeof l->url, "redis-sentinel://");
    for (int i = 0; i < REDISLAB_SENTINELS; i++) {
        int proc = REDISLAB_NODES + i;
        at(l, proc);
        int rc = redisproc_start_sentinel_at(&l->sentinel[i], REDISLAB_MASTER, addr(l, 0),
                                             l->node[0].port, net ? addr(l, proc) : NULL, 2,
                                             down_ms, err, err_cap);
        at(l, -1);
        if (rc != 0)
            goto fail;
        n += (size_t)snprintf(l->url + n, sizeof l->url - n, "%s%s:%u", i ? "," : "",
                              addr(l, REDISLAB_NODES + i), l->sentinel[i].port);
    }
    snprintf(l->url + n, sizeof l->url - n, "/%s", REDISLAB_MASTER);
    for (uint64_t end = clock_now_ms() + DISCOVERY_MS; !discovered(l); clock_sleep_ms(100))
        if (clock_now_ms() > end) {
            snprintf(err, err_cap, "sentinels did not find the replica and each other "
                     "within %d s", DISCOVERY_MS / 1000);
            goto fail;
        }
    for (uint64_t end = clock_now_ms() + DISCOVERY_MS; !replica_synced(l); clock_sleep_ms(50))
        if (clock_now_ms() > end) {
            snprintf(err, err_cap, "a replica did not sync with the primary within %d s",
                     DISCOVERY_MS / 1000);
            goto fail;
        }
    return 0;
fail:
    redislab_stop(l);
    return -1;
}

int redislab_primary(const struct redislab *l)
{
    char buf[128];
    for (int i = 0; i < REDISLAB_SENTINELS; i++) {
        /* *2\r\n$9\r\n127.0.0.1\r\n$5\r\nPORT\r\n */
        ssize_t got = ask(l, REDISLAB_NODES + i,
                          "SENTINEL get-master-addr-by-name " REDISLAB_MASTER, buf,
                          sizeof buf - 1);
        char host[64];
        int port;
        if (got <= 0)
            continue;
        buf[got] = '\0';
        if (sscanf(buf, "*2\r\n$%*d\r\n%63[^\r]\r\n$%*d\r\n%d", host, &port) != 2)
            continue;
        for (int k = 0; k < l->nodes; k++)
            if (port == l->node[k].port && strcmp(host, addr(l, k)) == 0)
                return k;
    }
    return -1;
}

int redislab_fail_over(struct redislab *l, unsigned timeout_ms, char *err, size_t err_cap)
{
    int was = l->primary;
    spawn_signal(&l->node[was].proc, SIGKILL);
    uint64_t end = clock_now_ms() + timeout_ms;
    int now;
    while ((now = redislab_primary(l)) < 0 || now == was) {
        if (clock_now_ms() > end) {
            snprintf(err, err_cap, "the sentinels named no new primary within %u ms",
                     timeout_ms);
            return -1;
        }
        clock_sleep_ms(20);
    }
    l->primary = now;
    return 0;
}

void redislab_stop(struct redislab *l)
{
    for (int i = 0; i < REDISLAB_SENTINELS; i++)
        redisproc_stop(&l->sentinel[i]);
    for (int k = 0; k < REDISLAB_NODES; k++)
        redisproc_stop(&l->node[k]);
}
