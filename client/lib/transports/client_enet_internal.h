/* client_enet_internal.h: a session over ENet as client_enet.c holds it,
 * and the hub its clients may share (client_enet_hub.c): what the two
 * files share. */
#ifndef RICOCHET_CLIENT_ENET_INTERNAL_H
#define RICOCHET_CLIENT_ENET_INTERNAL_H

#include <enet/enet.h>

#include "client_transports_internal.h"

struct client_enet {
    ENetHost *own;           /* my own host (NULL on a hub) */
    struct client_hub *hub;  /* the shared host I am a peer of, or NULL */
    ENetPeer *peer;          /* NULL once ENet has reset it */
    bool other_transport;    /* the relay answered in plain UDP's tongue */
    bool icmp_watch;         /* my own host's socket queues ICMP errors (IP_RECVERR) */
    void *user;              /* cfg.user, for the hub's callback */
    ENetPacket *batch_pk;    /* a batch packet being handed out, or NULL */
    struct client_batch batch;
};

struct client_hub {
    ENetHost *host;
    uint64_t *left_us;  /* per slot: when a client last left it (0: never; hub_connect) */
    struct client_wire_count wire; /* ENet's 32-bit host counters harvested */
};

/* ENet once per process, whichever thread opens the first session (the
 * library is thread-compatible). Returns 0, or -1 with a message in err. */
int client_enet_init_once(char *err, size_t err_cap);

/* A host's 32-bit counters moved into 64-bit ones, and cleared. */
void client_enet_harvest(ENetHost *h, struct client_wire_count *w);

/* Hands one ENet event of a session's peer to the session: 1 with *ev if
 * it made an event; destroys a received packet. */
int client_enet_handle(struct ricochet *c, ENetEvent *e, struct ricochet_event *ev);

/* The next state of the batch being handed out, if any: 1 with *ev, or 0. */
int client_enet_batch_next(struct ricochet *c, struct ricochet_event *ev);

#endif
