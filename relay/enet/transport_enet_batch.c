/* transport_enet_batch.c: the batch lanes (struct enet_lanes): the states
 * of one flush to a member that takes batches, in as few ENet packets as
 * fit (PROTOCOL.md, "Batches"). A lane closed is a packet handed back to
 * the caller (transport_enet_send.c), which queues it.
 *
 * ENet already packs a peer's queued packets into one datagram, but each
 * packet is a command of its own: allocated, listed, walked, written with
 * its own header and, when reliable, acknowledged and freed one by one. A
 * tick hands a member several states at once, so they travel as one batch
 * packet a lane, made at the flush at its exact size from the states'
 * bytes. A state handed over is one call (struct batch_call): its bytes
 * copied once into an arena for all its recipients, and an ENet packet made
 * of them only when one is needed (a lane that gets a single state sends
 * that state's packet, which its other such recipients share; a peer that
 * takes no batches gets it as it is). A world's state goes out in as many
 * calls as groups of receivers: each would otherwise allocate a packet.
 *
 * Lanes are separate ENet commands, sent in the order they close: a sender
 * whose state goes to another lane than its earlier ones (it switched
 * modes) first closes the lanes holding those, so its states keep their
 * order to every recipient. */
#include "transport_enet.h"

#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

/* The lane of a state's way down, or -1 if it has none (control). */
static int lane_of(uint8_t channel, uint32_t flags)
{
    if (channel == PROTO_CHANNEL_STATE)
        return 0;
    if (channel == PROTO_CHANNEL_RELIABLE)
        return flags & PROTO_FLAG_RELIABLE ? 1 : 2;
    return -1;
}

static uint8_t lane_channel(int lane)
{
    return lane == 0 ? PROTO_CHANNEL_STATE : PROTO_CHANNEL_RELIABLE;
}

static struct enet_batch *lane_at(struct relay_enet *t, uint32_t idx, int lane)
{
    return &t->lanes.lane[(size_t)idx * BATCH_LANES + lane];
}

int transport_enet_batch_init(struct relay_enet *t)
{
    struct enet_lanes *l = &t->lanes;
    l->lane = calloc((size_t)t->cfg.peer_cap * BATCH_LANES, sizeof *l->lane);
    l->peers = calloc(t->cfg.peer_cap, sizeof *l->peers);
    l->listed = calloc(t->cfg.peer_cap, sizeof *l->listed);
    l->batches = calloc(t->cfg.peer_cap, sizeof *l->batches);
    return l->lane && l->peers && l->listed && l->batches ? 0 : -1;
}

void transport_enet_batch_free(struct relay_enet *t)
{
    transport_enet_batch_done(t); /* the calls' packets */
    free(t->lanes.lane);
    free(t->lanes.peers);
    free(t->lanes.listed);
    free(t->lanes.batches);
    free(t->lanes.entries);
    free(t->lanes.calls);
    free(t->lanes.arena);
}

/* The bytes of call c. */
static const uint8_t *call_bytes(const struct enet_lanes *l, const struct batch_call *c)
{
    return c->off == UINT32_MAX ? c->pk->data : l->arena + c->off;
}

/* Room for one more of n items of size bytes at *arr (cap *cap, doubled
 * from `first`); 0 or -1 if out of memory. */
static int grow(void **arr, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t more = *cap ? 2 * *cap : first;
    void *grown = more < UINT32_MAX ? realloc(*arr, more * size) : NULL;
    if (!grown)
        return -1;
    *arr = grown;
    *cap = more;
    return 0;
}

uint32_t transport_enet_call_new(struct relay_enet *t, const uint8_t *bytes, size_t len,
                                 uint32_t flags, ENetPacket *own)
{
    struct enet_lanes *l = &t->lanes;
    if (grow((void **)&l->calls, &l->cap_calls, l->n_calls, sizeof *l->calls, 256) != 0)
        return UINT32_MAX;
    struct batch_call c = {.len = (uint16_t)len, .flags = flags, .off = UINT32_MAX};
    if (own) {
        c.pk = own;
        own->referenceCount++;
    } else {
        while (l->arena_cap - l->arena_used < len)
            if (grow((void **)&l->arena, &l->arena_cap, l->arena_cap, 1, 64 << 10) != 0)
                return UINT32_MAX;
        memcpy(l->arena + l->arena_used, bytes, len);
        c.off = (uint32_t)l->arena_used;
        l->arena_used += len;
    }
    l->calls[l->n_calls] = c;
    return (uint32_t)l->n_calls++;
}

ENetPacket *transport_enet_call_packet(struct relay_enet *t, uint32_t call)
{
    struct enet_lanes *l = &t->lanes;
    struct batch_call *c = &l->calls[call];
    if (!c->pk && (c->pk = enet_packet_create(l->arena + c->off, c->len, c->flags)) != NULL)
        c->pk->referenceCount++; /* the call's, until the flush */
    return c->pk;
}

/* The lane's states as one batch packet, or NULL if out of memory. */
static ENetPacket *lane_pack(const struct enet_lanes *l, const struct enet_batch *b,
                             uint32_t flags)
{
    ENetPacket *batch = enet_packet_create(NULL, b->bytes, flags);
    if (!batch)
        return NULL;
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(batch->data);
    for (uint32_t e = b->head, i = 0; i < b->states; e = l->entries[e].next, i++) {
        const struct batch_call *c = &l->calls[l->entries[e].call];
        proto_batch_add(batch->data, b->bytes, &used, call_bytes(l, c), c->len);
    }
    return batch;
}

/* Closes the lane: its states as one packet (a lone state's call's, or a
 * batch) into *out, with a reference for the caller. Returns 1, or 0 if
 * out of memory (its states counted). */
static size_t lane_close(struct relay_enet *t, uint32_t idx, int lane,
                         struct enet_lane_out *out)
{
    const struct enet_lanes *l = &t->lanes;
    struct enet_batch b = *lane_at(t, idx, lane);
    *lane_at(t, idx, lane) = (struct enet_batch){0};
    uint32_t first = l->entries[b.head].call;
    ENetPacket *pk = b.states == 1
                         ? transport_enet_call_packet(t, first)
                         : lane_pack(l, &b, l->calls[first].flags & PROTO_FLAGS_MASK);
    for (unsigned i = 0; !pk && i < b.states; i++)
        transport_enet_count(t, RELAY_DROP_SEND_FAILED); /* out of memory */
    if (pk) {
        pk->referenceCount++;
        *out = (struct enet_lane_out){.pk = pk, .channel = lane_channel(lane),
                                      .states = b.states};
    }
    return pk != NULL;
}

/* A new entry for call from peer `from`; UINT32_MAX if out of memory. */
static uint32_t entry_new(struct enet_lanes *l, uint32_t call, uint32_t from)
{
    if (l->n_entries == l->cap_entries) {
        size_t cap = l->cap_entries ? 2 * l->cap_entries : 1024;
        if (cap >= UINT32_MAX)
            return UINT32_MAX;
        struct batch_entry *grown = realloc(l->entries, cap * sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        l->entries = grown;
        l->cap_entries = cap;
    }
    l->entries[l->n_entries] = (struct batch_entry){.call = call, .from = from};
    return (uint32_t)l->n_entries++;
}

static bool lane_holds(const struct enet_lanes *l, const struct enet_batch *b, uint32_t from)
{
    for (uint32_t e = b->head, i = 0; i < b->states; e = l->entries[e].next, i++)
        if (l->entries[e].from == from)
            return true;
    return false;
}

/* Before a state from `from` goes to peer idx in lane `lane`, the other
 * lanes that hold its earlier states close (into out). Returns how many. */
static size_t close_lanes_of(struct relay_enet *t, uint32_t idx, int lane, uint32_t from,
                             struct enet_lane_out *out)
{
    size_t n = 0;
    for (int l = 0; l < BATCH_LANES; l++) {
        const struct enet_batch *b = lane_at(t, idx, l);
        if (l != lane && b->states && lane_holds(&t->lanes, b, from))
            n += lane_close(t, idx, l, &out[n]);
    }
    return n;
}

/* The largest batch ENet sends to peer p whole: ENet fragments a packet
 * over its MTU less a header and a fragment command, and an unreliable
 * fragmented packet arrives reliable, in no mode of ours. */
static size_t batch_max(const ENetPeer *p)
{
    size_t fits = p->mtu > sizeof(ENetProtocolHeader) + sizeof(ENetProtocolSendFragment)
                      ? p->mtu - sizeof(ENetProtocolHeader) - sizeof(ENetProtocolSendFragment)
                      : 0;
    return fits < PROTO_BATCH_MAX ? fits : PROTO_BATCH_MAX;
}

void transport_enet_batch_member(struct relay_enet *t, uint32_t idx, bool batches)
{
    if (idx < t->cfg.peer_cap)
        t->lanes.batches[idx] = batches;
}

size_t transport_enet_batch_add(struct relay_enet *t, uint32_t from, uint32_t idx,
                                uint8_t channel, uint32_t flags, uint32_t call,
                                struct enet_lane_out out[BATCH_LANES], bool *taken)
{
    struct enet_lanes *l = &t->lanes;
    int lane = lane_of(channel, flags);
    *taken = false;
    if (lane < 0 || !l->batches[idx])
        return 0;
    struct enet_batch *b = lane_at(t, idx, lane);
    size_t grows_by = PROTO_BATCH_ENTRY_HEAD + l->calls[call].len;
    size_t max = batch_max(&t->host->peers[idx]);
    uint32_t e;
    if (PROTO_BATCH_HEADER + grows_by > max || (e = entry_new(l, call, from)) == UINT32_MAX)
        /* Too long for any batch (or out of memory): it goes alone, after
         * what the lanes hold. */
        return transport_enet_batch_close(t, idx, out);
    size_t n = close_lanes_of(t, idx, lane, from, out);
    if (b->states && b->bytes + grows_by > max)
        n += lane_close(t, idx, lane, &out[n]); /* full: this state starts the next batch */
    if (b->states)
        l->entries[b->tail].next = e;
    else
        *b = (struct enet_batch){.head = e, .bytes = PROTO_BATCH_HEADER};
    b->tail = e;
    b->states++;
    b->bytes = (uint16_t)(b->bytes + grows_by);
    if (!l->listed[idx]) {
        l->listed[idx] = true;
        l->peers[l->n_peers++] = idx;
    }
    *taken = true;
    return n;
}

size_t transport_enet_batch_close(struct relay_enet *t, uint32_t idx,
                                  struct enet_lane_out out[BATCH_LANES])
{
    size_t n = 0;
    if (idx >= t->cfg.peer_cap)
        return 0;
    for (int l = 0; l < BATCH_LANES; l++)
        if (lane_at(t, idx, l)->states)
            n += lane_close(t, idx, l, &out[n]);
    return n;
}

void transport_enet_batch_drop_peer(struct relay_enet *t, uint32_t idx, enum relay_drop why)
{
    if (idx >= t->cfg.peer_cap)
        return;
    for (int k = 0; k < BATCH_LANES; k++) {
        struct enet_batch *b = lane_at(t, idx, k);
        for (uint32_t i = 0; i < b->states; i++)
            transport_enet_count(t, why);
        *b = (struct enet_batch){0};
    }
}

size_t transport_enet_batch_listed(const struct relay_enet *t, const uint32_t **peers)
{
    *peers = t->lanes.peers;
    return t->lanes.n_peers;
}

void transport_enet_batch_done(struct relay_enet *t)
{
    struct enet_lanes *l = &t->lanes;
    for (size_t i = 0; i < l->n_peers; i++)
        l->listed[l->peers[i]] = false;
    l->n_peers = 0;
    l->n_entries = 0;
    for (size_t i = 0; i < l->n_calls; i++)
        if (l->calls[i].pk)
            transport_enet_release(t, l->calls[i].pk);
    l->n_calls = 0;
    l->arena_used = 0;
}
