/* enet_edge.h: the ENet edge in process, for its own tests (test_enet_*):
 * the suite's edge and relay core on 127.0.0.1 (T and R, reached at
 * relay_addr), opened by enet_edge_setup, and raw ENet client hosts (no
 * client library) that connect, prove their address, join, send on any
 * channel and keep what they receive. The helpers share the suite's state
 * through the globals below, as the cases do. Every wait is bounded;
 * failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_ENET_EDGE_H
#define RICOCHET_TEST_ENET_EDGE_H

#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "relay/transport.h"

#define WAIT_MS 3000
#define TIMEOUT_MS 600 /* the suite's relay's peer timeout */
#define MAX_EVENTS 64

struct relay;
struct relay_enet;

/* A packet a client received. */
struct got {
    uint8_t channel;
    uint32_t flags;
    size_t len;
    uint8_t data[PROTO_CONTROL_MAX];
};

/* A raw ENet client host and what it heard. */
struct cl {
    ENetHost *host;
    ENetPeer *peer;
    bool connected, disconnected;
    uint32_t disconnect_data; /* the DISCONNECT event's data: the relay's error code */
    struct got *ev; /* MAX_EVENTS received packets */
    size_t n;
};

extern struct relay_enet *T; /* the suite's edge */
extern struct relay *R; /* its relay core */
extern ENetAddress relay_addr; /* where clients reach it */
extern struct proto_control *msg; /* what find_ctl and wait_ctl decoded last */
extern enet_uint32 cl_mtu; /* the MTU cl_open's next host offers; 0: ENet's */

/* An ENet transport on 127.0.0.1 (8 peers, timeout_ms) and a relay core on
 * it (8 peers; max_clients unless 0), connectable at *addr. Returns the
 * relay core, or NULL (with *t NULL and a message on stderr if the transport
 * failed). */
struct relay *enet_relay_open(uint32_t timeout_ms, uint32_t max_clients, uint32_t tick_us,
                              struct relay_enet **t, ENetAddress *addr);

/* The suite's group setup and teardown: T and R (TIMEOUT_MS, 6 clients, no
 * tick), msg; the log off. */
int enet_edge_setup(void **state);
int enet_edge_teardown(void **state);

/* One round: the relay's loop iteration, then every client's. */
void pump(struct cl *cs, size_t n);

/* Pumps until the relay has no client left (up to ms); fails the test
 * otherwise. */
void wait_no_clients(struct cl *cs, size_t n, int ms);

/* Opens a client host connecting to relay_addr with that many channels. */
void cl_open(struct cl *c, size_t channels);
void cl_close(struct cl *c);

/* Index of the first control message of type received by c, from index
 * `from`, decoded into msg; -1 if none. */
int find_ctl(const struct cl *c, size_t from, enum proto_ctl_type type);

/* Pumps until cs[who] has received a control message of type (up to ms):
 * its index, decoded into msg, or -1. */
int wait_ctl(struct cl *cs, size_t n, size_t who, enum proto_ctl_type type, int ms);

void send_on(struct cl *c, uint8_t channel, uint32_t flags, const void *data, size_t len);

/* Connects cs[who] and joins it to "lobby" as name, asking for batches if
 * batch; returns its relay id. */
uint32_t join_as(struct cl *cs, size_t n, size_t who, const char *name, bool batch);
uint32_t connect_and_join(struct cl *cs, size_t n, size_t who, const char *name);

/* Polite disconnect of every open client; pumps until the relay has none. */
void close_all(struct cl *cs, size_t n);

#endif
