/* swarm_hub.c: one shared socket of the swarm, of any kind (swarm_hub.h). */
#include "swarm_hub.h"

int swarm_hub_create(struct swarm_hub *h, size_t n, bool udp, bool wire, char *err,
                     size_t err_cap)
{
    if (udp)
        return (h->udp = client_udp_hub_create(n, err, err_cap)) ? 0 : -1;
    if (wire)
        return (h->wire = client_wire_hub_create(n, err, err_cap)) ? 0 : -1;
    return (h->enet = client_hub_create(n, err, err_cap)) ? 0 : -1;
}

void swarm_hub_destroy(struct swarm_hub *h)
{
    client_hub_destroy(h->enet);
    client_udp_hub_destroy(h->udp);
    client_wire_hub_destroy(h->wire);
    *h = (struct swarm_hub){0};
}

int swarm_hub_fd(const struct swarm_hub *h)
{
    return h->udp ? client_udp_hub_fd(h->udp)
           : h->wire ? client_wire_hub_fd(h->wire)
           : h->enet ? client_hub_fd(h->enet) : -1;
}

int swarm_hub_service(struct swarm_hub *h, client_hub_fn fn, void *ctx)
{
    return h->udp ? client_udp_hub_service(h->udp, fn, ctx)
           : h->wire ? client_wire_hub_service(h->wire, fn, ctx)
           : h->enet ? client_hub_service(h->enet, fn, ctx) : -1;
}

void swarm_hub_flush(struct swarm_hub *h)
{
    if (h->udp)
        client_udp_hub_flush(h->udp);
    else if (h->wire)
        client_wire_hub_flush(h->wire);
    else if (h->enet)
        client_hub_flush(h->enet);
}

bool swarm_hub_netinfo(const struct swarm_hub *h, struct client_netinfo *info)
{
    if (h->udp)
        client_udp_hub_netinfo(h->udp, info);
    else if (h->wire)
        client_wire_hub_netinfo(h->wire, info);
    else if (h->enet)
        client_hub_netinfo(h->enet, info);
    return h->udp || h->wire || h->enet;
}
