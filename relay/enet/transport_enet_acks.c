/* transport_enet_acks.c: acknowledgements ride with the tick (struct
 * enet_held_acks).
 *
 * ENet acknowledges the reliable commands it reads right after its read
 * loop, in a datagram of their own unless something else is queued to that
 * peer by then; but the relay's answer, the peer's share of a tick, is
 * queued only after the read, at the tick's end. So each datagram's
 * acknowledgements are held back when the next one is read (the intercept
 * runs before ENet takes each), and given back at the end of a service,
 * before its flush: at once to a peer with something queued (they ride in
 * its datagram), to the others at the latest with the first fan-out due
 * within ACK_HOLD_US of the first held (docs/benchmarks.md, "What a
 * delivery costs"). The last datagram of a read has no next one: its
 * acknowledgements go out alone, as before. Without a tick nothing waits:
 * all go back at the end of the service. */
#include "transport_enet.h"

#include <stdlib.h>

#include "sys/clock.h"

#define ACK_HOLD_US 5000

int transport_enet_acks_init(struct relay_enet *t)
{
    struct enet_held_acks *a = &t->acks;
    a->peer = calloc(t->cfg.peer_cap, sizeof *a->peer);
    a->peers = calloc(t->cfg.peer_cap, sizeof *a->peers);
    if (!a->peer || !a->peers)
        return -1;
    for (size_t i = 0; i < t->cfg.peer_cap; i++)
        relay_enet_acks_init(&a->peer[i]);
    a->from = UINT32_MAX;
    return 0;
}

void transport_enet_acks_free(struct relay_enet *t)
{
    free(t->acks.peer);
    free(t->acks.peers);
}

void transport_enet_acks_hold(struct relay_enet *t)
{
    struct enet_held_acks *a = &t->acks;
    uint32_t id = a->from;
    a->from = UINT32_MAX;
    if (id >= t->host->peerCount || enet_list_empty(&t->host->peers[id].acknowledgements))
        return;
    if (a->n_peers == 0)
        a->since_us = clock_now_us();
    if (enet_list_empty(&a->peer[id].list))
        a->peers[a->n_peers++] = id;
    relay_enet_hold_acks(&t->host->peers[id], &a->peer[id]);
}

void transport_enet_acks_from(struct relay_enet *t, uint32_t from)
{
    t->acks.from = from;
}

bool transport_enet_acks_return(struct relay_enet *t, uint64_t next_fan_out_us, bool all)
{
    struct enet_held_acks *a = &t->acks;
    bool returned = false;
    all = all || next_fan_out_us > a->since_us + ACK_HOLD_US;
    size_t kept = 0;
    for (size_t i = 0; i < a->n_peers; i++) {
        uint32_t id = a->peers[i];
        ENetPeer *p = &t->host->peers[id];
        if (!all && p->state == ENET_PEER_STATE_CONNECTED &&
            enet_list_empty(&p->outgoingCommands)) {
            a->peers[kept++] = id; /* may ride with the next fan-out */
            continue;
        }
        if (relay_enet_return_acks(p, &a->peer[id]))
            returned = true;
    }
    a->n_peers = kept;
    a->from = UINT32_MAX;
    return returned;
}
