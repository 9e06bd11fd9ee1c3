/* transport_enet_send.c: what the core sends through the relay's ENet edge
 * (control messages, states forwarded as one reference-counted packet,
 * disconnects), and the per-peer bound on what ENet keeps queued to a
 * reader that acknowledges too slowly (slow_reader). */
#include "transport_enet.h"

#include <stdio.h>

#include "../../sys/clock.h"
#include "enet_internals.h"

/* ---- callbacks from the core ------------------------------------------ */

void transport_enet_count(struct relay_enet *t, enum relay_drop why)
{
    if (t->relay)
        relay_count_drop(t->relay, why);
}

static void count_send_failed(struct relay_enet *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        transport_enet_count(t, RELAY_DROP_SEND_FAILED);
}

/* ---- slow readers: what is queued to a peer ---------------------------- */

/* Counts what ENet holds queued to peer idx (up to twice the packet bound). */
static void backlog_walk(struct relay_enet *t, uint32_t idx)
{
    struct peer_guard *g = &t->guard[idx];
    struct relay_enet_backlog b;
    size_t limit = t->cfg.max_queued_packets ? 2 * (size_t)t->cfg.max_queued_packets
                                             : SIZE_MAX / 2;
    relay_enet_backlog(&t->host->peers[idx], limit, &b);
    g->out_packets = b.packets;
    g->out_bytes = b.bytes;
    g->out_walked = t->host->serviceTime;
}

/* How far over its bounds the backlog is: 0 within them, 1 over one, 2 at
 * twice one or more. */
static int backlog_level(const struct relay_enet *t, const struct peer_guard *g)
{
    size_t p = t->cfg.max_queued_packets, b = t->cfg.max_queued_bytes;
    if ((p && g->out_packets >= 2 * p) || (b && g->out_bytes >= 2 * b))
        return 2;
    return (p && g->out_packets >= p) || (b && g->out_bytes >= b);
}

/* Would queueing len more bytes to peer idx take it over a bound? The
 * estimate only grows between walks, so it is recounted (at most every
 * WALK_MS) before it can refuse. */
static bool backlog_full(struct relay_enet *t, uint32_t idx, size_t len)
{
    struct peer_guard *g = &t->guard[idx];
    size_t p = t->cfg.max_queued_packets, b = t->cfg.max_queued_bytes;
    if ((!p || g->out_packets < p) && (!b || g->out_bytes + len <= b))
        return false;
    if (t->host->serviceTime - g->out_walked >= WALK_MS)
        backlog_walk(t, idx);
    return (p && g->out_packets >= p) || (b && g->out_bytes + len > b);
}

static void backlog_add(struct relay_enet *t, uint32_t idx, size_t len)
{
    t->guard[idx].out_packets++;
    t->guard[idx].out_bytes += len;
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

static void enet_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_enet *t = ctx;
    if (peer >= t->host->peerCount)
        return;
    t->queued = true;
    transport_enet_batch_close_peer(t, peer); /* the states before it go first */
    ENetPacket *pk = enet_packet_create(json, len, ENET_PACKET_FLAG_RELIABLE);
    if (!pk) {
        count_send_failed(t, 1);
        return;
    }
    if (send_counted(t, peer, PROTO_CHANNEL_CONTROL, pk, 1) < 0) {
        enet_packet_destroy(pk);
        return;
    }
    backlog_add(t, peer, len);
}

/* Queues pk (`states` states) to peer idx, unless it is unreliable and
 * the peer's backlog is full (slow_reader: a reader that acknowledges
 * late, or advertised a tiny window, would otherwise make ENet queue
 * without bound, and walk that queue on every service). A reliable one is
 * queued anyway: the sweep closes a peer whose backlog stays over the
 * bound. */
void transport_enet_queue_state(struct relay_enet *t, uint32_t idx, uint8_t channel,
                                ENetPacket *pk, size_t states)
{
    if (idx >= t->host->peerCount) {
        count_send_failed(t, states);
        return;
    }
    if (!(pk->flags & ENET_PACKET_FLAG_RELIABLE) && backlog_full(t, idx, pk->dataLength)) {
        for (size_t i = 0; i < states; i++)
            transport_enet_count(t, RELAY_DROP_SLOW_READER);
        return;
    }
    if (send_counted(t, idx, channel, pk, states) == 0)
        backlog_add(t, idx, pk->dataLength);
}

/* One packet, many recipients: when the core forwards the packet we are
 * handling (stamped in place), the very same ENetPacket is queued to every
 * recipient; ENet reference-counts it and frees it after the last send. A
 * recipient that takes batches gets it in its lane, sent at the flush. */
static void enet_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                            uint8_t channel, uint32_t flags, const uint8_t *bytes,
                            size_t len)
{
    struct relay_enet *t = ctx;
    ENetPacket *pk;
    t->queued = true;
    if (t->current && bytes == t->current->data && len == t->current->dataLength) {
        /* The received packet goes out again, with the downstream flags of
         * its mode (a sequenced state arrives sequenced, leaves unsequenced). */
        pk = t->current;
        pk->flags = (pk->flags & ~(enet_uint32)PROTO_FLAGS_MASK) | flags;
    } else if (!(pk = enet_packet_create(bytes, len, flags))) {
        count_send_failed(t, n);
        return;
    }
    pk->referenceCount++; /* ours until every recipient has it: a lane may let go of it */
    for (size_t i = 0; i < n; i++)
        if (peers[i] >= t->host->peerCount ||
            !transport_enet_batch_add(t, from, peers[i], channel, flags, pk))
            transport_enet_queue_state(t, peers[i], channel, pk, 1);
    if (--pk->referenceCount == 0 && pk != t->current)
        enet_packet_destroy(pk);
}

static void enet_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    struct relay_enet *t = ctx;
    transport_enet_batch_close_peer(t, peer);
    if (peer < t->host->peerCount)
        /* After what is queued (the error telling it why) has gone out; the
         * code goes along as the disconnect data (PROTOCOL.md). */
        enet_peer_disconnect_later(&t->host->peers[peer], (enet_uint32)why);
}

/* ENet fragments, binds a peer by its handshake, and carries the modes
 * the mode table marks as ENet's. */
struct relay_transport transport_enet_core(void *t)
{
    uint32_t modes = 0;
    for (unsigned m = 0; m < PROTO_MODE_COUNT; m++)
        if (proto_mode_info((enum proto_mode)m)->enet)
            modes |= 1u << m;
    return (struct relay_transport){
        .ctx = t,
        .message_max = 0,
        .forgeable = false,
        .modes = modes,
        .send_control = enet_send_control,
        .send_state = enet_send_state,
        .disconnect = enet_disconnect,
    };
}

/* Closes a peer whose backlog stayed over a bound (slow_reader): what is
 * queued to it on the state channels is freed at once, and the reason,
 * queued on the control channel, still goes out before ENet's disconnect. */
static void close_slow_reader(struct relay_enet *t, struct relay *r, uint32_t idx,
                              enet_uint32 over_ms)
{
    const struct peer_guard *g = &t->guard[idx];
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text,
             "%zu packets (%zu bytes) queued to you unacknowledged for %u ms "
             "(limits %u packets, %zu bytes): you read too slowly; closing",
             g->out_packets, g->out_bytes, (unsigned)over_ms,
             (unsigned)t->cfg.max_queued_packets, t->cfg.max_queued_bytes);
    transport_enet_batch_drop_peer(t, idx, RELAY_DROP_SLOW_READER);
    relay_enet_purge_outgoing(&t->host->peers[idx], PROTO_CHANNEL_CONTROL);
    relay_peer_evict(r, idx, PROTO_ERROR_SLOW_READER, text, clock_now_us());
    backlog_walk(t, idx);
}

void transport_enet_sweep_slow_reader(struct relay_enet *t, struct relay *r, uint32_t idx,
                                      enet_uint32 now)
{
    struct peer_guard *g = &t->guard[idx];
    if (t->host->peers[idx].state != ENET_PEER_STATE_CONNECTED ||
        !relay_peer_connected(r, idx)) {
        g->over_since = 0;
        return;
    }
    backlog_walk(t, idx);
    int level = backlog_level(t, g);
    if (level == 0) {
        g->over_since = 0;
        return;
    }
    if (!g->over_since)
        g->over_since = now;
    enet_uint32 over_ms = now - g->over_since;
    if (t->cfg.slow_reader_ms && (level == 2 || over_ms >= t->cfg.slow_reader_ms))
        close_slow_reader(t, r, idx, over_ms);
}
