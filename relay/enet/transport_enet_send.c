/* transport_enet_send.c: what the core sends through the relay's ENet edge
 * (control messages, states forwarded as one reference-counted packet,
 * disconnects), each queued within the slow-reader bound
 * (transport_enet_guards.c), after what the peer's batch lanes hold
 * (transport_enet_batch.c hands those back as packets to queue). */
#include "transport_enet.h"

static void count_send_failed(struct relay_enet *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        transport_enet_count(t, RELAY_DROP_SEND_FAILED);
}

/* Queues pk (`states` states, or a control message: 1) to peer on
 * channel; counts what did not go. ENet refuses sends to a peer that is
 * disconnecting (our disconnect_later, or its DISCONNECT read but its
 * event not handled yet): that is churn (send_closing), not a failure of
 * the transport (send_failed). Returns enet_peer_send's. */
static int send_counted(struct relay_enet *t, uint32_t peer, uint8_t channel, ENetPacket *pk,
                        size_t states)
{
    if (peer >= t->host->peerCount) {
        count_send_failed(t, states);
        return -1;
    }
    ENetPeer *p = &t->host->peers[peer];
    if (p->state != ENET_PEER_STATE_CONNECTED) {
        for (size_t i = 0; i < states; i++)
            transport_enet_count(t, RELAY_DROP_SEND_CLOSING);
        return -1;
    }
    int rc = enet_peer_send(p, channel, pk);
    if (rc < 0)
        count_send_failed(t, states);
    return rc;
}

/* Queues pk (`states` states) to peer idx, unless it is unreliable and
 * the peer's backlog is full (slow_reader: a reader that acknowledges
 * late, or advertised a tiny window, would otherwise make ENet queue
 * without bound, and walk that queue on every service). A reliable one is
 * queued anyway: the sweep closes a peer whose backlog stays over the
 * bound. */
static void queue_state(struct relay_enet *t, uint32_t idx, uint8_t channel, ENetPacket *pk,
                        size_t states)
{
    if (idx >= t->host->peerCount) {
        count_send_failed(t, states);
        return;
    }
    if (!(pk->flags & ENET_PACKET_FLAG_RELIABLE) &&
        transport_enet_backlog_full(t, idx, pk->dataLength)) {
        for (size_t i = 0; i < states; i++)
            transport_enet_count(t, RELAY_DROP_SLOW_READER);
        return;
    }
    if (send_counted(t, idx, channel, pk, states) == 0)
        transport_enet_backlog_add(t, idx, pk->dataLength);
}

/* Queues to peer idx the n packets its lanes handed back, in order, and
 * lets go of each. */
static void queue_lanes(struct relay_enet *t, uint32_t idx, const struct enet_lane_out *out,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        queue_state(t, idx, out[i].channel, out[i].pk, out[i].states);
        transport_enet_release(t, out[i].pk);
    }
}

/* Queues peer idx's open lanes: before anything else goes to it. */
static void close_lanes(struct relay_enet *t, uint32_t idx)
{
    struct enet_lane_out out[BATCH_LANES];
    queue_lanes(t, idx, out, transport_enet_batch_close(t, idx, out));
}

void transport_enet_close_lanes(struct relay_enet *t)
{
    const uint32_t *peers;
    size_t n = transport_enet_batch_listed(t, &peers);
    for (size_t i = 0; i < n; i++)
        close_lanes(t, peers[i]);
    transport_enet_batch_done(t);
}

/* ---- callbacks from the core ------------------------------------------ */

static void send_control(void *ctx, uint32_t handle, const char *json, size_t len)
{
    struct relay_enet *t = ctx;
    uint32_t peer = transport_enet_slot(t, handle);
    if (peer >= t->host->peerCount)
        return;
    if (!transport_enet_proven(t, peer)) {
        /* Reliable, it would be resent to an address that may be anyone's:
         * held until the peer shows it is its own. */
        transport_enet_proof_hold(t, peer, json, len);
        return;
    }
    t->queued = true;
    close_lanes(t, peer); /* the states before it go first */
    ENetPacket *pk = enet_packet_create(json, len, ENET_PACKET_FLAG_RELIABLE);
    if (!pk) {
        count_send_failed(t, 1);
        return;
    }
    if (send_counted(t, peer, PROTO_CHANNEL_CONTROL, pk, 1) < 0) {
        enet_packet_destroy(pk);
        return;
    }
    transport_enet_backlog_add(t, peer, len);
}

/* Queues the state of call to one recipient: in its lane if it takes
 * batches (after the lanes that closed for it), else the call's packet as
 * it is. */
static void send_to(struct relay_enet *t, uint32_t from, uint32_t idx, uint8_t channel,
                    uint32_t flags, uint32_t call)
{
    struct enet_lane_out out[BATCH_LANES];
    bool taken = false;
    size_t n = idx < t->host->peerCount
                   ? transport_enet_batch_add(t, from, idx, channel, flags, call, out, &taken)
                   : 0;
    queue_lanes(t, idx, out, n);
    if (taken)
        return;
    ENetPacket *pk = transport_enet_call_packet(t, call);
    if (pk)
        queue_state(t, idx, channel, pk, 1);
    else
        count_send_failed(t, 1);
}

/* One state, many recipients, one copy at most: when the core forwards
 * the packet we are handing it (stamped in place: its own buffer, relay.h
 * "Zero copy"), that very ENetPacket is every recipient's; ENet
 * reference-counts it and frees it after the last send. Other bytes (a
 * held copy, a seal) are copied once (a call, transport_enet_batch.c): a
 * recipient that takes batches gets them in its lane, sent at the flush,
 * and a packet is made of them only for those that need one, shared. */
static void send_state(void *ctx, uint32_t from, const uint32_t *handles, size_t n,
                       uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    struct relay_enet *t = ctx;
    ENetPacket *own = NULL;
    t->queued = true;
    if (t->current && bytes == t->current->data && len == t->current->dataLength) {
        /* The received packet goes out again, with the downstream flags of
         * its mode (a sequenced state arrives sequenced, leaves unsequenced). */
        own = t->current;
        own->flags = (own->flags & ~(enet_uint32)PROTO_FLAGS_MASK) | flags;
    }
    uint32_t call = transport_enet_call_new(t, bytes, len, flags, own);
    if (call == UINT32_MAX) {
        count_send_failed(t, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        send_to(t, from, transport_enet_slot(t, handles[i]), channel, flags, call);
}

static void disconnect_peer(void *ctx, uint32_t handle, enum proto_error_code why)
{
    struct relay_enet *t = ctx;
    uint32_t peer = transport_enet_slot(t, handle);
    if (peer >= t->host->peerCount)
        return;
    if (!transport_enet_proven(t, peer)) {
        transport_enet_proof_close(t, peer, why);
        return;
    }
    if (why == PROTO_ERROR_SLOW_READER) {
        /* What waits on its state channels is of no more use: freed at
         * once; the error, on the control channel, still goes out first. */
        transport_enet_batch_drop_peer(t, peer, RELAY_DROP_SLOW_READER);
        relay_enet_purge_outgoing(&t->host->peers[peer], PROTO_CHANNEL_CONTROL);
    } else {
        close_lanes(t, peer);
    }
    /* After what is queued (the error telling it why) has gone out; the
     * code goes along as the disconnect data (PROTOCOL.md). */
    enet_peer_disconnect_later(&t->host->peers[peer], (enet_uint32)why);
}

/* A member takes its states in batches, or not: its lanes say so. */
static void member(void *ctx, uint32_t handle, const struct relay_member_way *way)
{
    struct relay_enet *t = ctx;
    transport_enet_batch_member(t, transport_enet_slot(t, handle), way && way->batches);
}

/* ENet fragments, binds a peer by its handshake, and carries the modes
 * the mode table marks as ENet's. */
struct relay_transport transport_enet_core(void *ctx, uint32_t base)
{
    struct relay_enet *t = ctx;
    static const char *const counters[] = {"socket_errors", "withheld", "withheld_bytes",
                                           "truncated", "send_full",
                                           NULL}; /* transport_enet.c */
    t->base = base;
    uint32_t modes = 0;
    for (unsigned m = 0; m < PROTO_MODE_COUNT; m++)
        if (proto_mode_info((enum proto_mode)m)->enet)
            modes |= 1u << m;
    return (struct relay_transport){
        .ctx = t,
        .name = "enet",
        .peers = t->cfg.peer_cap,
        .message_max = 0,
        .forgeable = false,
        .modes = modes,
        .counters = counters,
        .send_control = send_control,
        .send_state = send_state,
        .disconnect = disconnect_peer,
        .backlog = transport_enet_backlog,
        .member = member,
    };
}
