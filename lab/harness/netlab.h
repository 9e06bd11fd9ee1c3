/* netlab.h: two network namespaces, "client" and "relay", for
 * ricochet-netsim's IP mode: the bench or a test makes them, runs programs
 * (or opens sockets) on each side, and gives netsim their paths
 * (--client-netns, --relay-netns), which wires them with a TUN device in
 * each (netsim/netsim_ip.h).
 *
 * Both are anonymous: no `ip netns add`, whose files in /run/netns outlive
 * a killed run. The kernel removes a namespace once no process is in it and
 * no descriptor names it, so whatever ends the process that made them (an
 * exit, a crash, SIGKILL), nothing is left: its descriptors close, the
 * children it started in them die with it (spawn.h), netsim's devices go
 * with netsim. Nothing is done to the caller's own namespace. */
#ifndef RICOCHET_NETLAB_H
#define RICOCHET_NETLAB_H

#include <stdbool.h>
#include <stddef.h>

enum netlab_side { NETLAB_CLIENT = 0, NETLAB_RELAY = 1, NETLAB_SIDES = 2 };

struct netlab {
    int ns[NETLAB_SIDES];        /* the namespaces, -1 once closed */
    int home;                    /* the caller's own, for netlab_enter(NETLAB_SIDES) */
    bool userns;                 /* made from a user namespace of the process's own */
    char path[NETLAB_SIDES][48]; /* "/proc/PID/fd/N": what netsim and nsenter open */
};

/* Makes both namespaces, each with its loopback up. A process without
 * CAP_SYS_ADMIN first moves into a user namespace of its own, as root
 * there (it must be single-threaded; its files keep its uid; it can still
 * use its own namespace, but no longer change it). Returns 0, or -1 with a
 * one-line message in err saying why this system refuses (what the bench
 * prints before it falls back to the UDP proxy). */
int netlab_open(struct netlab *lab, char *err, size_t err_cap);

/* socket(domain, type, protocol) in one side's namespace; the caller's
 * thread stays in its own. Returns the descriptor, or -1 (errno set). */
int netlab_socket(const struct netlab *lab, enum netlab_side side, int domain, int type,
                  int protocol);

/* Moves the calling thread into side's namespace, or back to its own with
 * NETLAB_SIDES (refused from a user namespace: the kernel lets it leave,
 * not come back). Returns 0, or -1 with a one-line message in err. */
int netlab_enter(const struct netlab *lab, int side, char *err, size_t err_cap);

/* One more anonymous network namespace, its loopback up, made the same way
 * (the process stays in its own). Returns its descriptor (the caller
 * closes it), or -1 with errno set. */
int netlab_new_ns(void);

/* Closes the descriptors (the namespaces go once nothing is left in them).
 * Safe on a zeroed or closed lab. */
void netlab_close(struct netlab *lab);

#endif
