/* transport_enet_batch.c: the states of one flush to a member that takes
 * batches, in as few ENet packets as fit (PROTOCOL.md, "Batches").
 *
 * ENet already packs a peer's queued packets into one datagram, but each
 * packet is a command of its own: allocated, listed, walked, written with
 * its own header and, when reliable, acknowledged and freed one by one. A
 * tick hands a member several states at once, so they travel as one batch
 * packet a lane, made at the flush at its exact size from the states' own
 * packets. A lane that gets a single state sends that state's packet, the
 * one its other recipients share, as before.
 *
 * Lanes are separate ENet commands, sent in the order they close: a sender
 * whose state goes to another lane than its earlier ones (it switched
 * modes) first closes the lanes holding those, so its states keep their
 * order to every recipient. */
#include "transport_enet.h"

#include <stdlib.h>
#include <string.h>

#include "../../proto/wire.h"

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
    return &t->batches[(size_t)idx * BATCH_LANES + lane];
}

int transport_enet_batch_init(struct relay_enet *t)
{
    t->batches = calloc((size_t)t->cfg.peer_cap * BATCH_LANES, sizeof *t->batches);
    t->batch_peers = calloc(t->cfg.peer_cap, sizeof *t->batch_peers);
    t->batch_listed = calloc(t->cfg.peer_cap, sizeof *t->batch_listed);
    return t->batches && t->batch_peers && t->batch_listed ? 0 : -1;
}

void transport_enet_batch_free(struct relay_enet *t)
{
    free(t->batches);
    free(t->batch_peers);
    free(t->batch_listed);
    free(t->entries);
}

/* Lets go of the lane's reference to pk: ENet frees a packet it queued
 * after its last send, the sender's delivery (transport_enet.c, deliver)
 * the packet it is handling; the rest is ours to free. */
static void release(struct relay_enet *t, ENetPacket *pk)
{
    if (--pk->referenceCount == 0 && pk != t->current)
        enet_packet_destroy(pk);
}

/* The lane's states as one batch packet, or NULL if out of memory. */
static ENetPacket *lane_pack(const struct relay_enet *t, const struct enet_batch *b,
                             uint32_t flags)
{
    ENetPacket *batch = enet_packet_create(NULL, b->bytes, flags);
    if (!batch)
        return NULL;
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(batch->data);
    for (uint32_t e = b->head, i = 0; i < b->states; e = t->entries[e].next, i++)
        proto_batch_add(batch->data, b->bytes, &used, t->entries[e].pk->data,
                        t->entries[e].pk->dataLength);
    return batch;
}

/* Queues the lane's states, one packet or a batch, and empties it. */
static void lane_close(struct relay_enet *t, uint32_t idx, int lane)
{
    struct enet_batch b = *lane_at(t, idx, lane);
    *lane_at(t, idx, lane) = (struct enet_batch){0};
    ENetPacket *first = t->entries[b.head].pk;
    ENetPacket *pk = b.states == 1 ? first : lane_pack(t, &b, first->flags & PROTO_FLAGS_MASK);
    for (unsigned i = 0; !pk && i < b.states; i++)
        transport_enet_count(t, RELAY_DROP_SEND_FAILED); /* out of memory */
    if (pk)
        transport_enet_queue_state(t, idx, lane_channel(lane), pk, b.states);
    if (pk && pk != first && pk->referenceCount == 0)
        enet_packet_destroy(pk); /* not queued */
    for (uint32_t e = b.head, i = 0; i < b.states; e = t->entries[e].next, i++)
        release(t, t->entries[e].pk);
}

/* A new entry for pk from peer `from`, with a reference of ours;
 * UINT32_MAX if out of memory. */
static uint32_t entry_new(struct relay_enet *t, ENetPacket *pk, uint32_t from)
{
    if (t->n_entries == t->cap_entries) {
        size_t cap = t->cap_entries ? 2 * t->cap_entries : 1024;
        if (cap >= UINT32_MAX)
            return UINT32_MAX;
        struct batch_entry *grown = realloc(t->entries, cap * sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        t->entries = grown;
        t->cap_entries = cap;
    }
    pk->referenceCount++;
    t->entries[t->n_entries] = (struct batch_entry){.pk = pk, .from = from};
    return (uint32_t)t->n_entries++;
}

static bool lane_holds(const struct relay_enet *t, const struct enet_batch *b, uint32_t from)
{
    for (uint32_t e = b->head, i = 0; i < b->states; e = t->entries[e].next, i++)
        if (t->entries[e].from == from)
            return true;
    return false;
}

/* Before a state from `from` goes to peer idx in lane `lane`, the other
 * lanes that hold its earlier states go out. */
static void close_lanes_of(struct relay_enet *t, uint32_t idx, int lane, uint32_t from)
{
    for (int l = 0; l < BATCH_LANES; l++) {
        const struct enet_batch *b = lane_at(t, idx, l);
        if (l != lane && b->states && lane_holds(t, b, from))
            lane_close(t, idx, l);
    }
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

bool transport_enet_batch_add(struct relay_enet *t, uint32_t from, uint32_t idx,
                              uint8_t channel, uint32_t flags, ENetPacket *pk)
{
    int lane = lane_of(channel, flags);
    if (lane < 0 || !t->relay || !relay_peer_batches(t->relay, idx))
        return false;
    struct enet_batch *b = lane_at(t, idx, lane);
    size_t grows_by = PROTO_BATCH_ENTRY_HEAD + pk->dataLength;
    size_t max = batch_max(&t->host->peers[idx]);
    uint32_t e;
    if (PROTO_BATCH_HEADER + grows_by > max || (e = entry_new(t, pk, from)) == UINT32_MAX) {
        /* Too long for any batch (or out of memory): it goes alone, after
         * what the lanes hold. */
        transport_enet_batch_close_peer(t, idx);
        return false;
    }
    close_lanes_of(t, idx, lane, from);
    if (b->states && b->bytes + grows_by > max)
        lane_close(t, idx, lane); /* full: this state starts the next batch */
    if (b->states)
        t->entries[b->tail].next = e;
    else
        *b = (struct enet_batch){.head = e, .bytes = PROTO_BATCH_HEADER};
    b->tail = e;
    b->states++;
    b->bytes = (uint16_t)(b->bytes + grows_by);
    if (!t->batch_listed[idx]) {
        t->batch_listed[idx] = true;
        t->batch_peers[t->n_batch_peers++] = idx;
    }
    return true;
}

void transport_enet_batch_close_peer(struct relay_enet *t, uint32_t idx)
{
    if (idx >= t->cfg.peer_cap)
        return;
    for (int l = 0; l < BATCH_LANES; l++)
        if (lane_at(t, idx, l)->states)
            lane_close(t, idx, l);
}

void transport_enet_batch_drop_peer(struct relay_enet *t, uint32_t idx, enum relay_drop why)
{
    if (idx >= t->cfg.peer_cap)
        return;
    for (int l = 0; l < BATCH_LANES; l++) {
        struct enet_batch *b = lane_at(t, idx, l);
        for (uint32_t e = b->head, i = 0; i < b->states; e = t->entries[e].next, i++) {
            transport_enet_count(t, why);
            release(t, t->entries[e].pk);
        }
        *b = (struct enet_batch){0};
    }
}

void transport_enet_batch_close_all(struct relay_enet *t)
{
    for (size_t i = 0; i < t->n_batch_peers; i++) {
        transport_enet_batch_close_peer(t, t->batch_peers[i]);
        t->batch_listed[t->batch_peers[i]] = false;
    }
    t->n_batch_peers = 0;
    t->n_entries = 0;
}
