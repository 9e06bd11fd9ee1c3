/* fleet_e2e.h: test support for relays in a fleet (tests/test_e2e_fleet.c,
 * tests/test_e2e_failover.c): relays sharing a real redis-server as their
 * directory, clients that join through any of them, and waiting until a
 * room's members all hear each other. Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_FLEET_E2E_H
#define RICOCHET_TEST_FLEET_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/lib/client.h"
#include "harness.h"
#include "redis.h"

#define FLEET_TTL "2"       /* --directory-ttl: short, so failover tests stay short */
#define FLEET_WAIT_MS 15000

struct fleet_relay {
    struct spawn_proc p;
    char host[16];      /* where it listens and what it advertises */
    char advertise[24]; /* its --advertise */
    uint16_t port;
    pid_t pid;          /* the relay's own process (p's child under unshare) */
};

/* A relay of the fleet whose directory is url, on a port of its own
 * choosing (--advertise 127.0.0.1:0), with up to 4 more arguments (NULL
 * ends them). */
void fleet_start_relay(struct fleet_relay *r, const char *url, const char *const *extra);

/* The same in the network namespace netns (a descriptor; -1: the
 * caller's), listening on and advertising host (an address of that
 * namespace). */
void fleet_start_relay_in(struct fleet_relay *r, int netns, const char *host, const char *url,
                          const char *const *extra);

/* The same in a time namespace of its own whose CLOCK_BOOTTIME runs
 * boottime_s ahead of CLOCK_MONOTONIC (unshare --time, needs root):
 * whatever mixes the two clocks shows. */
void fleet_start_relay_ns(struct fleet_relay *r, const char *url, const char *const *extra,
                          unsigned boottime_s);

/* SIGSTOP or SIGCONT (or any signal) to the relay itself. */
void fleet_signal(const struct fleet_relay *r, int sig);

/* harness_relay_stat and harness_relay_finish (exit 0, a final stats
 * line; the caller frees its stdout) of the relay itself. */
long long fleet_relay_stat(struct fleet_relay *r, const char *path);
char *fleet_relay_finish(struct fleet_relay *r);

/* A client joining room through relay via in mode, with timeout_ms;
 * rejoin_ms > 0: it rejoins a lost relay through via. */
struct ricochet *fleet_client(const struct fleet_relay *via, const char *room,
                              const char *name, enum proto_mode mode, uint32_t timeout_ms,
                              uint32_t rejoin_ms);

/* harness_poll_until predicate: every client of the struct harness_rec is
 * joined. */
bool fleet_all_welcomed(void *rec);

/* Polls until every client is joined, then lets states flow until each
 * has states from every other. */
void fleet_until_all_see_all(struct harness_rec *rec, int timeout_ms);

void fleet_close_clients(struct harness_rec *rec);

#endif
