/* transport_udp_endpoints.c: the plain-UDP edge's table of endpoints
 * (see transport_udp.h): who is a member is ours to keep, a slot per
 * endpoint (ip:port), found by a hash of it. A slot's index is the core's
 * peer handle. */
#include "transport_udp.h"
#include "relay/core/source_key.h"

#include <stdlib.h>

int transport_udp_endpoints_init(struct relay_udp *t)
{
    uint32_t nbuckets = 16;
    while (nbuckets < 2 * t->cfg.peer_cap)
        nbuckets <<= 1;
    t->bucket_mask = nbuckets - 1;
    t->slots = calloc(t->cfg.peer_cap, sizeof *t->slots);
    t->free_slots = calloc(t->cfg.peer_cap, sizeof *t->free_slots);
    t->buckets = malloc(nbuckets * sizeof *t->buckets);
    if (!t->slots || !t->free_slots || !t->buckets)
        return -1;
    for (uint32_t i = 0; i < nbuckets; i++)
        t->buckets[i] = -1;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        t->free_slots[t->nfree++] = t->cfg.peer_cap - 1 - i; /* slot 0 first */
    return 0;
}

void transport_udp_endpoints_free(struct relay_udp *t)
{
    free(t->slots);
    free(t->free_slots);
    free(t->buckets);
}

/* Bucket of an endpoint: every byte of the address and port, under the
 * process's keyed hash (an endpoint is a stranger's choice). */
static uint32_t endpoint_hash(const struct relay_udp *t, const union netaddr *a)
{
    uint8_t key[NETADDR_KEY_MAX];
    return (uint32_t)source_hash(key, netaddr_key(a, key)) & t->bucket_mask;
}

int32_t transport_udp_slot_find(const struct relay_udp *t, const union netaddr *a)
{
    for (int32_t i = t->buckets[endpoint_hash(t, a)]; i >= 0; i = t->slots[i].next)
        if (netaddr_equal(&t->slots[i].addr, a))
            return i;
    return -1;
}

int32_t transport_udp_slot_alloc(struct relay_udp *t, const union netaddr *a, uint64_t now_us)
{
    if (t->nfree == 0)
        return -1;
    uint32_t i = t->free_slots[--t->nfree];
    uint32_t b = endpoint_hash(t, a);
    t->slots[i] = (struct udp_slot){
        .used = true, .addr = *a, .last_us = now_us, .next = t->buckets[b], .open = -1
    };
    t->buckets[b] = (int32_t)i;
    return (int32_t)i;
}

void transport_udp_slot_free(struct relay_udp *t, uint32_t i)
{
    if (i >= t->cfg.peer_cap || !t->slots[i].used)
        return;
    int32_t *link = &t->buckets[endpoint_hash(t, &t->slots[i].addr)];
    while (*link >= 0 && *link != (int32_t)i)
        link = &t->slots[*link].next;
    if (*link == (int32_t)i)
        *link = t->slots[i].next;
    t->slots[i].used = false;
    t->free_slots[t->nfree++] = i;
}

/* Linear, but only run for a control datagram from an unknown endpoint. */
uint32_t transport_udp_slots_from_ip(const struct relay_udp *t, const union netaddr *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        if (t->slots[i].used && source_same(&t->slots[i].addr, a))
            n++;
    return n;
}

