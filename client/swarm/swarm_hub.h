/* swarm_hub.h: one of the swarm's shared sockets (swarm.h), of whichever
 * kind client.h offers: a shared ENet host, a udp hub, or a wire hub of
 * clients that speak ENet's wire themselves; so that the swarm creates,
 * reads, flushes and counts its hubs in one way. */
#ifndef RICOCHET_SWARM_HUB_H
#define RICOCHET_SWARM_HUB_H

#include <stdbool.h>
#include <stddef.h>

#include "client/lib/client.h"

/* At most one of the three is set (none: not created yet). */
struct swarm_hub {
    struct client_hub *enet;
    struct client_udp_hub *udp;
    struct client_wire_hub *wire;
};

/* Creates h for n clients: a udp hub (udp), else a wire hub (wire), else
 * a shared ENet host. Returns 0, or -1 with a message in err. */
int swarm_hub_create(struct swarm_hub *h, size_t n, bool udp, bool wire, char *err,
                     size_t err_cap);

/* Frees h (after its clients: it sends their goodbyes); h may be empty. */
void swarm_hub_destroy(struct swarm_hub *h);

int swarm_hub_fd(const struct swarm_hub *h);

/* Reads what came and hands each event to fn (client.h's hub services).
 * Returns what the service returns (-1: the socket failed; empty: -1). */
int swarm_hub_service(struct swarm_hub *h, client_hub_fn fn, void *ctx);

/* Sends what its clients queued. */
void swarm_hub_flush(struct swarm_hub *h);

/* Its wire counts into info; false (info untouched) if h is empty. */
bool swarm_hub_netinfo(const struct swarm_hub *h, struct client_netinfo *info);

#endif
