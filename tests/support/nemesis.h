/* nemesis.h: a network to cut apart, for the tests of the fleet under
 * partitions (and a class's machines, for the lesson's door). Nodes are anonymous network namespaces (lab/harness/netlab.h)
 * on one bridge: node 0, the hub, holds the bridge and the test's own
 * thread (its clients and the bots it starts are there: the players);
 * every other node hangs off it by a veth pair. Node i's address is
 * 198.19.0.(i+1) (nemesis_addr). Programs run in the node they are started
 * in (nemesis_spawn; a redisproc started while the thread is in a node,
 * nemesis_enter). Cuts are nftables rules in the receiving node's input
 * hook (table inet nemesis): a datagram or segment from a cut node is
 * dropped on arrival, as a broken link would lose it, and its sender is
 * not told. nemesis_heal removes every cut; the namespaces, and their
 * rules with them, go whatever ends the test (nothing is made in the
 * caller's own namespace). Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN), ip
 * and nft. Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_NEMESIS_H
#define RICOCHET_TEST_NEMESIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/harness/spawn.h"

#define NEMESIS_NODES 32
#define NEMESIS_HUB 0              /* the test's own node: the players */
#define NEMESIS_ALL 0xffffffffu    /* every node, as a set */
#define NEMESIS_SET(i) (1u << (i)) /* node i, as a set */

struct nemesis {
    int n;                         /* nodes, the hub included */
    int ns[NEMESIS_NODES];         /* each node's namespace, -1 once closed */
    int home;                      /* the caller's own namespace */
    char path[NEMESIS_NODES][48];  /* "/proc/PID/fd/N": what nsenter opens */
    char addr[NEMESIS_NODES][16];  /* "198.19.0.(i+1)" */
    uint32_t cut[NEMESIS_NODES];   /* per node: the nodes whose traffic it drops */
};

/* Makes nodes nodes (2 to NEMESIS_NODES, the hub included), wires them and
 * moves the calling thread into the hub. Returns 0; -1 with the reason in
 * skip_why where this system cannot (not root), for the caller to skip. */
int nemesis_open(struct nemesis *n, int nodes, char *skip_why, size_t cap);

/* Node i's address ("198.19.0.(i+1)"). */
const char *nemesis_addr(const struct nemesis *n, int node);

/* Moves the calling thread into node's namespace (NEMESIS_HUB to come
 * back): what it starts (fork) and the sockets it opens are there. */
void nemesis_enter(const struct nemesis *n, int node);

/* Starts $RICOCHET_BIN/prog with args (NULL-ended) in node; fails the
 * test if it cannot. */
void nemesis_spawn(const struct nemesis *n, int node, struct spawn_proc *p, const char *prog,
                   const char *const *args);

/* A throwaway redis-server in node, bound to the node's address; its URL
 * as the relays elsewhere reach it into url. test_redis_cmd on it from
 * the node only (nemesis_enter). */
struct redisproc;
void nemesis_redis(const struct nemesis *n, int node, struct redisproc *r, char *url,
                   size_t cap);

/* A relay of the fleet (fleet_e2e.h) in node, whose directory is url. */
struct fleet_relay;
void nemesis_relay(const struct nemesis *n, int node, struct fleet_relay *r, const char *url,
                   const char *const *extra);

/* Drops what the nodes of from send to the nodes of to (sets:
 * NEMESIS_SET(i) | ...); with both, what they send back too. Adds to the
 * cuts already made. */
void nemesis_cut(struct nemesis *n, uint32_t from, uint32_t to, bool both);

/* Removes every cut. */
void nemesis_heal(struct nemesis *n);

/* Heals, takes the thread back to its own namespace and closes the nodes
 * (what still runs in one keeps it until it ends). Safe to repeat. */
void nemesis_close(struct nemesis *n);

#endif
