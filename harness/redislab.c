/* redislab.c: see redislab.h. */
#include "redislab.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/clock.h"

#define DISCOVERY_MS 20000 /* sentinels find the replica and each other (hello every 2 s) */

/* A sentinel's count of what `cmd` lists (the reply's array length). */
static int listed(const struct redisproc *s, const char *cmd)
{
    char buf[64];
    return redisproc_ask(s, cmd, buf, sizeof buf) > 0 && buf[0] == '*' ? atoi(buf + 1) : -1;
}

static int discovered(const struct redislab *l)
{
    for (int i = 0; i < REDISLAB_SENTINELS; i++)
        if (listed(&l->sentinel[i], "SENTINEL replicas " REDISLAB_MASTER) < 1 ||
            listed(&l->sentinel[i], "SENTINEL sentinels " REDISLAB_MASTER) <
                REDISLAB_SENTINELS - 1)
            return 0;
    return 1;
}

/* Whether the replica has its copy of the primary (its link up). */
static int replica_synced(const struct redislab *l)
{
    char info[2048];
    ssize_t n = redisproc_ask(&l->node[1], "INFO replication", info, sizeof info - 1);
    if (n <= 0)
        return 0;
    info[n] = '\0';
    return strstr(info, "master_link_status:up") != NULL;
}

int redislab_start(struct redislab *l, unsigned down_ms, char *err, size_t err_cap)
{
    memset(l, 0, sizeof *l);
    /* The replica's first sync is a whole copy, sent at once (Redis waits
     * 5 s by default for more replicas to send it to). */
    const char *primary[] = {"--repl-diskless-sync-delay", "0", NULL};
    if (redisproc_start_with(&l->node[0], primary, err, err_cap) != 0)
        return -1;
    char of[16];
    snprintf(of, sizeof of, "%u", l->node[0].port);
    const char *replica[] = {"--replicaof", "127.0.0.1", of, NULL};
    if (redisproc_start_with(&l->node[1], replica, err, err_cap) != 0)
        goto fail;
    size_t n = (size_t)snprintf(l->url, sizeof l->url, "redis-sentinel://");
    for (int i = 0; i < REDISLAB_SENTINELS; i++) {
        if (redisproc_start_sentinel(&l->sentinel[i], REDISLAB_MASTER, l->node[0].port, 2,
                                     down_ms, err, err_cap) != 0)
            goto fail;
        n += (size_t)snprintf(l->url + n, sizeof l->url - n, "%s127.0.0.1:%u", i ? "," : "",
                              l->sentinel[i].port);
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
            snprintf(err, err_cap, "the replica did not sync with the primary within %d s",
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
        if (!l->sentinel[i].proc.pid ||
            redisproc_ask(&l->sentinel[i], "SENTINEL get-master-addr-by-name " REDISLAB_MASTER,
                          buf, sizeof buf) <= 0)
            continue;
        /* *2\r\n$9\r\n127.0.0.1\r\n$5\r\nPORT\r\n: the port is the last line */
        char *end = strrchr(buf, '\r');
        if (!end)
            continue;
        *end = '\0';
        char *last = strrchr(buf, '\n');
        int port = last ? atoi(last + 1) : 0;
        for (int k = 0; k < 2; k++)
            if (port == l->node[k].port)
                return k;
    }
    return -1;
}

int redislab_fail_over(struct redislab *l, unsigned timeout_ms, char *err, size_t err_cap)
{
    int was = l->primary;
    spawn_signal(&l->node[was].proc, SIGKILL);
    uint64_t end = clock_now_ms() + timeout_ms;
    while (redislab_primary(l) != 1 - was) {
        if (clock_now_ms() > end) {
            snprintf(err, err_cap, "the sentinels named no new primary within %u ms",
                     timeout_ms);
            return -1;
        }
        clock_sleep_ms(20);
    }
    l->primary = 1 - was;
    return 0;
}

void redislab_stop(struct redislab *l)
{
    for (int i = 0; i < REDISLAB_SENTINELS; i++)
        redisproc_stop(&l->sentinel[i]);
    for (int k = 0; k < 2; k++)
        redisproc_stop(&l->node[k]);
}
