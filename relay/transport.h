/* transport.h: the relay's network edges, as the program sees them: one
 * table of operations each (struct relay_transport_ops), nothing else.
 * Each edge owns a socket, turns what arrives into calls on the pure core
 * (relay.h) and carries out the core's sends through the struct
 * relay_transport it hands the core (with what it can carry, as data):
 *
 *   relay/enet/  relay_enet_ops: an ENet host: connections, channels, acks,
 *                resends (its files: relay/enet/transport_enet.h).
 *   relay/udp/   relay_udp_ops: one bare UDP socket: socket(), bind(),
 *                recvfrom(), sendto(); "who is joined" is our own endpoint
 *                table (its files: relay/udp/transport_udp.h).
 *   (tests)      tests/support/fake_relay.c: the core's side only.
 *
 * Adding a transport: a folder with its ops, a row in transport.c, its name
 * in RELAY_TRANSPORT_CHOICES. These are edges: they read the clock
 * (sys/clock.h) and call the OS. What tests reach inside an edge is in the
 * edge's own header. */
#ifndef RICOCHET_TRANSPORT_H
#define RICOCHET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/relay.h"

struct relay_net_config {
    const char *bind;          /* local address to bind, "0.0.0.0" */
    uint16_t port;             /* 0 = let the kernel pick a free one */
    uint32_t peer_cap;         /* peer slots; handles given to the core are < this */
    uint32_t max_per_address;  /* peers from one IP address, 0 = peer_cap */
    size_t max_packet_size;    /* ENet: largest packet in (and out is at least
                                  PROTO_CONTROL_MAX); udp: receive buffer */
    size_t max_waiting_data;   /* ENet: bytes a peer may have buffered for reassembly */
    uint32_t timeout_ms;       /* ENet peer timeout; udp: silence before expiry */
    /* ENet only (0 = no limit): */
    uint32_t max_queued_packets; /* packets queued to one peer (unsent or unacknowledged)
                                    past which its unreliable states are dropped */
    size_t max_queued_bytes;     /* the same in payload bytes */
    uint32_t slow_reader_ms;     /* a peer over either bound this long is closed
                                    (slow_reader); at twice a bound at once */
    uint32_t max_held_commands;  /* commands ENet may hold from one peer out of order */
    uint32_t max_half_open;      /* handshakes in progress (at most, and 0 = a
                                    quarter of the peer slots) */
};

/* A transport as the program sees it: one table of operations per
 * transport (in the manner of Redis's ae backends), so ricochet-relay picks
 * one by name and never asks which it has. t is the transport's own state,
 * from create. */
struct relay_transport_ops {
    const char *name;         /* --transport value, and the "listening on" line */
    /* Creates and binds. Returns NULL with a one-line message in err. */
    void *(*create)(const struct relay_net_config *cfg, char *err, size_t err_cap);
    /* The capabilities and callbacks to give relay_create(). */
    struct relay_transport (*core)(void *t);
    /* "ip:port" actually bound (the real port when 0 was asked). */
    const char *(*address)(const void *t);
    /* The socket the loop waits on (poll(2), POLLIN) before service. */
    int (*fd)(const void *t);
    /* One loop iteration: waits at most timeout_ms for input (0: the loop
     * waited on fd already), feeds all of it to r, lets r fan out a
     * finished tick (relay_tick, timed: relay_fanout_took), sends. Returns
     * the inputs handled, or -1 on a socket or host error. */
    int (*service)(void *t, struct relay *r, int timeout_ms);
    /* Did the last service stop reading with datagrams still waiting? It
     * reads a bounded batch, so that a relay that fell behind still fans
     * out its ticks and sends between batches; the loop then services again
     * without waiting. */
    bool (*backlog)(const void *t);
    /* Periodic work, every 100 ms: expiring silent peers, relay_sweep. */
    void (*tick)(void *t, struct relay *r);
    /* After relay_shutdown(): sends what is queued, and waits at most max_ms
     * for the goodbyes to be acknowledged where the transport acknowledges. */
    void (*drain)(void *t, struct relay *r, int max_ms);
    void (*destroy)(void *t); /* NULL is fine */
};

/* Every transport, in the order of RELAY_TRANSPORT_CHOICES (an option's
 * list; test_e2e_relay_main checks the two agree). */
#define RELAY_TRANSPORT_CHOICES "enet|udp"
extern const struct relay_transport_ops *const relay_transports[];

/* ---- ENet: connections, channels, acks, resends ---- */

/* enet_host_service once per iteration (then drained without waiting), every
 * ready event into the core, one flush; handshakes not completed within
 * 5 s are forgotten. drain services until no peer has a goodbye in flight
 * (connected or disconnecting; half-open handshakes do not count), then
 * resets what is left. */
extern const struct relay_transport_ops relay_enet_ops;

/* ---- plain UDP: one bare socket, our own endpoint table ---- */

/* service waits for the socket, reads in batches (recvmmsg), feeds the core,
 * sends (sendmmsg); tick expires members silent for timeout_ms (left reason
 * timeout); drain sends whatever is still queued. */
extern const struct relay_transport_ops relay_udp_ops;

#endif
