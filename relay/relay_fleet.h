/* relay_fleet.h: ricochet-relay in a fleet (--directory, proto/FLEET.md) or
 * under Agones (AGONES_SDK_HTTP_PORT): the directory thread beside the
 * loop (fleet/dirthread.h), the placement cache on the loop
 * (fleet/placement.h), and the core's hooks that park, move and refuse
 * joins (relay.h, "a fleet of relays"). Every call here is the loop's and
 * never waits on the thread. */
#ifndef RICOCHET_RELAY_FLEET_H
#define RICOCHET_RELAY_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/schema.h"

struct relay;

/* The options (settings.c rows). */
struct relay_fleet_settings {
    char directory[512];            /* redis[s][-sentinel]://... (redis_url.h), "" = no fleet */
    char password_file[256];        /* its first line: the password ("" = the URL's) */
    char tls_ca[256];               /* rediss: CAs ("" = the system's) */
    char tls_cert[256];             /* rediss: client certificate ("" = none) */
    char tls_key[256];              /* ... its key */
    char advertise[FLEET_ADDR_MAX]; /* HOST:PORT for moved; "" under Agones: asked */
    uint32_t ttl_ms;                /* registration and claims */
    uint32_t park_ms;               /* a parked join's deadline */
    uint32_t park_max;              /* parked joins at once */
    uint32_t records_mb;            /* MiB of rooms' records (and member ids) kept */
};

struct relay_fleet;

/* Checks the settings (and AGONES_SDK_HTTP_PORT), starts the directory
 * thread if there is a directory or a sidecar, and installs the hooks in
 * r. fleet_name: --fleet-name (every key's prefix); transport: the relay's
 * edges as registered (proto/FLEET.md): the first edge's scheme ("enet",
 * "udp"), reached at the advertised address, then ",SCHEME:PORT" for each
 * other edge, reached at the advertised host; listen_port: the first
 * edge's port (--advertise HOST:0 means it);
 * capacity: --max-clients. Returns 0 with
 * *out set (NULL when there is neither: a relay on its own), or -1 with a
 * one-line message in err. Call after the transport listens. */
int relay_fleet_start(struct relay_fleet **out, const struct relay_fleet_settings *s,
                      const char *fleet_name, struct relay *r, const char *transport,
                      uint16_t listen_port, uint32_t capacity, char *err, size_t err_cap);

/* Every loop iteration: applies the thread's results (parked joins
 * settled, rooms moved, claims released). */
void relay_fleet_poll(struct relay_fleet *f, uint64_t now_us);

/* Every turn of the loop, before it services input: after a gap longer
 * than a heartbeat (the relay was stopped, or the machine suspended),
 * every room's lease is checked again before any state goes out. */
void relay_fleet_turn(struct relay_fleet *f, uint64_t now_us);

/* Every periodic tick: the load for heartbeats and labels, parked joins
 * past their deadline refused. */
void relay_fleet_tick(struct relay_fleet *f, uint64_t now_us);

/* The descriptor that is readable when the directory thread's results
 * wait (the loop watches it beside its edges); -1 without a fleet. */
int relay_fleet_fd(const struct relay_fleet *f);

/* SIGTERM: no new rooms, every room handed to another relay (its members
 * are sent moved as each is placed). */
void relay_fleet_drain(struct relay_fleet *f, uint64_t now_us);

/* The drain is over (every room handed over or given up). */
bool relay_fleet_drained(const struct relay_fleet *f);

/* Whether the directory answered at its last call (true without one). */
bool relay_fleet_reachable(const struct relay_fleet *f);

/* At exit: claims left released, deregistered, Agones told /shutdown, the
 * thread joined. NULL is fine. */
void relay_fleet_stop(struct relay_fleet *f);

#endif
