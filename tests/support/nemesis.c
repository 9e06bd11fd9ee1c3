/* nemesis.c: nodes on a bridge, cut apart with nftables (see nemesis.h). */
#include "nemesis.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/harness/netlab.h"
#include "fleet_e2e.h"
#include "harness.h"
#include "redis.h"

/* Every cut of a node is a rule of this chain; the hook runs before
 * conntrack, so nothing of a cut flow is kept or answered. */
#define NEMESIS_TABLE "add table inet nemesis; add chain inet nemesis input " \
                      "{ type filter hook input priority -300; policy accept; }"

static void wire(struct nemesis *n, int i)
{
    snprintf(n->addr[i], sizeof n->addr[i], "198.19.0.%d", (i + 1) & 0xff);
    if (i == NEMESIS_HUB) {
        harness_sh("ip link add br0 type bridge && ip link set br0 up && "
                   "ip addr add %s/24 dev br0", n->addr[i]);
    } else {
        harness_sh("ip link add nm%d type veth peer name eth0 netns %s && "
                   "ip link set nm%d master br0 up", i, n->path[i], i);
        harness_sh("nsenter --net=%s sh -c 'ip addr add %s/24 dev eth0 && ip link set eth0 up'",
                   n->path[i], n->addr[i]);
    }
    harness_sh("nsenter --net=%s nft '" NEMESIS_TABLE "'", n->path[i]);
}

int nemesis_open(struct nemesis *n, int nodes, char *skip_why, size_t cap)
{
    memset(n, 0, sizeof *n);
    n->home = -1;
    for (int i = 0; i < NEMESIS_NODES; i++)
        n->ns[i] = -1;
    assert_true(nodes >= 2 && nodes <= NEMESIS_NODES);
    if (geteuid() != 0) {
        snprintf(skip_why, cap, "the nemesis needs root (namespaces, veth, nftables)");
        return -1;
    }
    n->home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    for (n->n = 0; n->n < nodes; n->n++) {
        int fd = netlab_new_ns();
        if (fd < 0) {
            snprintf(skip_why, cap, "network namespace: %s", strerror(errno));
            nemesis_close(n);
            return -1;
        }
        n->ns[n->n] = fd;
        snprintf(n->path[n->n], sizeof n->path[n->n], "/proc/%d/fd/%d", (int)getpid(), fd);
    }
    nemesis_enter(n, NEMESIS_HUB);
    for (int i = 0; i < n->n; i++)
        wire(n, i);
    return 0;
}

const char *nemesis_addr(const struct nemesis *n, int node)
{
    assert_true(node >= 0 && node < n->n);
    return n->addr[node];
}

void nemesis_enter(const struct nemesis *n, int node)
{
    assert_true(node >= 0 && node < n->n);
    if (setns(n->ns[node], CLONE_NEWNET) != 0)
        fail_msg("nemesis: cannot enter node %d: %s", node, strerror(errno));
}

void nemesis_spawn(const struct nemesis *n, int node, struct spawn_proc *p, const char *prog,
                   const char *const *args)
{
    char err[256];
    assert_true(node >= 0 && node < n->n);
    if (spawn_start_in(p, n->ns[node], harness_bin_dir(), prog, args, err, sizeof err) != 0)
        fail_msg("nemesis: %s in node %d: %s", prog, node, err);
}

void nemesis_redis(const struct nemesis *n, int node, struct redisproc *r, char *url,
                   size_t cap)
{
    /* started from the node, redisproc finds a free port and sees it up
     * there (on its loopback); it listens on the node's address too,
     * open to the other nodes (a network of the test's own) */
    const char *bind[] = {"--bind", "127.0.0.1", n->addr[node], "--protected-mode", "no",
                          NULL};
    nemesis_enter(n, node);
    test_redis_start_with(r, bind);
    nemesis_enter(n, NEMESIS_HUB);
    snprintf(url, cap, "redis://%s:%u", n->addr[node], r->port);
}

void nemesis_relay(const struct nemesis *n, int node, struct fleet_relay *r, const char *url,
                   const char *const *extra)
{
    assert_true(node >= 0 && node < n->n);
    fleet_start_relay_in(r, n->ns[node], n->addr[node], url, extra);
}

/* Node i's chain made to drop exactly what n->cut[i] names, in one nft
 * transaction. */
static void apply(const struct nemesis *n, int i)
{
    char rule[NEMESIS_NODES * 18 + 96] = "";
    if (n->cut[i]) {
        size_t len = (size_t)snprintf(rule, sizeof rule, "; add rule inet nemesis input "
                                                         "ip saddr { ");
        for (int j = 0; j < n->n; j++)
            if (n->cut[i] >> j & 1)
                len += (size_t)snprintf(rule + len, sizeof rule - len, "%s, ", n->addr[j]);
        snprintf(rule + len - 2, sizeof rule - (len - 2), " } drop");
    }
    harness_sh("nsenter --net=%s nft 'flush chain inet nemesis input%s'", n->path[i], rule);
}

void nemesis_cut(struct nemesis *n, uint32_t from, uint32_t to, bool both)
{
    uint32_t mask = n->n >= 32 ? ~0u : (1u << n->n) - 1;
    from &= mask;
    to &= mask;
    for (int i = 0; i < n->n; i++) {
        uint32_t was = n->cut[i];
        if (to >> i & 1)
            n->cut[i] |= from & ~(1u << i);
        if (both && from >> i & 1)
            n->cut[i] |= to & ~(1u << i);
        if (n->cut[i] != was)
            apply(n, i);
    }
}

void nemesis_heal(struct nemesis *n)
{
    for (int i = 0; i < n->n; i++)
        if (n->cut[i]) {
            n->cut[i] = 0;
            apply(n, i);
        }
}

void nemesis_close(struct nemesis *n)
{
    if (n->n > 0 && n->ns[NEMESIS_HUB] >= 0)
        nemesis_heal(n);
    if (n->home >= 0 && setns(n->home, CLONE_NEWNET) != 0)
        fprintf(stderr, "nemesis: cannot go back to the caller's namespace: %s\n",
                strerror(errno));
    for (int i = 0; i < NEMESIS_NODES; i++) {
        if (n->ns[i] >= 0)
            close(n->ns[i]);
        n->ns[i] = -1;
    }
    if (n->home >= 0)
        close(n->home);
    n->home = -1;
    n->n = 0;
}
