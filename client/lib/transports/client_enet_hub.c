/* client_enet_hub.c: a hub, many of the library's ENet clients on one
 * host and one socket (client.h's client_hub_*): made, serviced for all its
 * clients at once (each event handed to its session, client_enet.c's
 * client_enet_handle), flushed, and destroyed once every goodbye is out. */
#include "client_enet_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"

#define HUB_SOCKET_BUFFER (4 << 20) /* a hub's socket takes bursts for all its clients */
#define HUB_ROUNDS 64               /* enet_host_service calls per client_hub_service, at
                                       most: each reads up to 256 datagrams and walks
                                       every peer slot to send */

struct client_hub *client_hub_create(size_t max_clients, char *err, size_t err_cap)
{
    if (max_clients == 0 || max_clients > ENET_PROTOCOL_MAXIMUM_PEER_ID) {
        snprintf(err, err_cap, "client: a hub holds 1 to %d clients",
                 ENET_PROTOCOL_MAXIMUM_PEER_ID);
        return NULL;
    }
    if (client_enet_init_once(err, err_cap) != 0)
        return NULL;
    struct client_hub *hub = calloc(1, sizeof *hub);
    if (!hub) {
        snprintf(err, err_cap, "client: out of memory");
        return NULL;
    }
    hub->host = enet_host_create(NULL, max_clients, PROTO_CHANNEL_COUNT, 0, 0);
    if (!hub->host) {
        snprintf(err, err_cap, "client: enet_host_create failed: %s", strerror(errno));
        free(hub);
        return NULL;
    }
    hub->left_us = calloc(max_clients, sizeof *hub->left_us);
    if (!hub->left_us) {
        snprintf(err, err_cap, "client: out of memory");
        enet_host_destroy(hub->host);
        free(hub);
        return NULL;
    }
    /* ENet's 256 kB is one client's worth; the kernel caps it at rmem_max */
    enet_socket_set_option(hub->host->socket, ENET_SOCKOPT_RCVBUF, HUB_SOCKET_BUFFER);
    enet_socket_set_option(hub->host->socket, ENET_SOCKOPT_SNDBUF, HUB_SOCKET_BUFFER);
    return hub;
}

/* Is a goodbye to or from this peer still on its way? */
static bool hub_peer_leaving(const ENetPeer *p)
{
    return p->state == ENET_PEER_STATE_DISCONNECT_LATER ||
           p->state == ENET_PEER_STATE_DISCONNECTING ||
           p->state == ENET_PEER_STATE_ACKNOWLEDGING_DISCONNECT;
}

void client_hub_destroy(struct client_hub *hub)
{
    if (!hub)
        return;
    uint64_t deadline = clock_now_us() + DESTROY_WAIT_MS * 1000u;
    for (uint64_t now = clock_now_us(); now < deadline; now = clock_now_us()) {
        size_t leaving = 0;
        for (size_t i = 0; i < hub->host->peerCount; i++)
            leaving += hub_peer_leaving(&hub->host->peers[i]);
        if (leaving == 0)
            break;
        ENetEvent e;
        int r = enet_host_service(hub->host, &e, (enet_uint32)((deadline - now + 999) / 1000));
        if (r < 0)
            break;
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
    }
    enet_host_destroy(hub->host);
    free(hub->left_us);
    free(hub);
}

/* A dead hub client's poll: what its last event left pending, then its
 * DISCONNECTED event once (1 with *ev), then -1. */
static int hub_final_event(struct ricochet *c, struct ricochet_event *ev)
{
    memset(ev, 0, sizeof *ev);
    client_settle(c);
    return client_final_event(c, ev);
}

/* Hands one ENet event to its client, then what that client has pending
 * (its DISCONNECTED event, after a fatal one). */
static void hub_dispatch(ENetEvent *e, client_hub_fn fn, void *ctx)
{
    struct ricochet *c = e->peer ? e->peer->data : NULL;
    if (c)
        client_settle(c); /* what its previous event left pending, as client_poll does */
    struct ricochet_event ev;
    memset(&ev, 0, sizeof ev);
    void *user = c ? ((struct client_enet *)c->tp)->user : NULL;
    if (!c || c->phase == PHASE_DEAD) { /* destroyed, or done: nobody reads it */
        if (e->type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e->packet);
    } else if (client_enet_handle(c, e, &ev) == 1) {
        fn(ctx, c, user, &ev);
        /* The rest of a batch, a state an event. */
        while (c->phase != PHASE_DEAD && (client_settle(c), client_enet_batch_next(c, &ev) == 1))
            fn(ctx, c, user, &ev);
    }
    while (c && c->phase == PHASE_DEAD && hub_final_event(c, &ev) == 1)
        fn(ctx, c, user, &ev);
}

int client_hub_service(struct client_hub *hub, client_hub_fn fn, void *ctx)
{
    ENetEvent e;
    int n = 0;
    int r = enet_host_service(hub->host, &e, 0);
    for (int round = 1; r > 0; round++) {
        while (r > 0) {
            hub_dispatch(&e, fn, ctx);
            n++;
            r = enet_host_check_events(hub->host, &e);
        }
        if (r < 0 || round == HUB_ROUNDS)
            break;
        r = enet_host_service(hub->host, &e, 0); /* more waiting? */
    }
    client_enet_harvest(hub->host, &hub->wire);
    return r < 0 ? -1 : n;
}

void client_hub_netinfo(const struct client_hub *hub, struct client_netinfo *info)
{
    const ENetHost *h = hub->host; /* what is not harvested yet too */
    struct client_wire_count w = {
        .bytes_sent = hub->wire.bytes_sent + h->totalSentData,
        .bytes_received = hub->wire.bytes_received + h->totalReceivedData,
        .dgrams_sent = hub->wire.dgrams_sent + h->totalSentPackets,
        .dgrams_received = hub->wire.dgrams_received + h->totalReceivedPackets,
    };
    client_wire_netinfo(&w, info);
}
