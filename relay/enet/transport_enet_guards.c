/* transport_enet_guards.c: what ENet may keep for a peer, bounded (struct
 * enet_guards; docs/operations.md, "ENet 1.3.17's weak spots"): the
 * handshakes in progress (half_open), the commands it holds out of order
 * (held_commands), and what it keeps queued to a reader that acknowledges
 * too slowly: unreliable states past the bounds dropped (slow_reader),
 * and the backlog by which the core closes it (relay/core/backlog.c). */
#include "transport_enet.h"

#include <enet/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"

/* A handshake not completed within this is forgotten (ENet's default keeps a
 * half-open peer for its 30 s timeout: a flood of CONNECTs that never
 * complete would lock everyone out that long). An honest handshake is one
 * round trip; this leaves room for ENet to resend VERIFY_CONNECT at 0.5,
 * 1.5 and 3.5 s (its backoff doubles from 500 ms) under heavy loss. */
#define HALF_OPEN_MS 5000
/* Under --max-half-open, the oldest handshake gives way to a new one only
 * if it is older than this: a loopback or LAN handshake is done well
 * within it, and a flood must send --max-half-open CONNECTs per this
 * period to keep a newcomer out. */
#define HALF_OPEN_EVICT_MS 250

int transport_enet_guards_init(struct relay_enet *t, const struct relay_net_config *cfg)
{
    struct enet_guards *g = &t->guards;
    g->peer = calloc(cfg->peer_cap, sizeof *g->peer);
    g->opened = calloc(cfg->peer_cap, sizeof *g->opened);
    /* Half-open peers may hold at most a quarter of the slots (the
     * default): the rest are kept for connections that complete. */
    g->half_open_cap = cfg->peer_cap / 4 ? cfg->peer_cap / 4 : 1;
    if (cfg->max_half_open && cfg->max_half_open < g->half_open_cap)
        g->half_open_cap = cfg->max_half_open;
    return g->peer && g->opened ? 0 : -1;
}

void transport_enet_guards_free(struct relay_enet *t)
{
    free(t->guards.peer);
    free(t->guards.opened);
}

void transport_enet_guards_reset(struct relay_enet *t, uint32_t idx)
{
    memset(&t->guards.peer[idx], 0, sizeof t->guards.peer[idx]);
}

/* ---- handshakes in progress ------------------------------------------- */

/* A CONNECT ENet is about to take (it will use its first free slot). At
 * most half_open_cap handshakes may be in progress. Past it, a CONNECT from
 * an address that has one in progress already is refused (unless
 * --max-per-address is 0: one address may be everyone, as in the
 * benchmark); otherwise the oldest handshake gives way if older than
 * HALF_OPEN_EVICT_MS, else it is refused too (all counted half_open).
 * Without the cap a flood of CONNECTs that never complete holds every
 * slot; with it, three quarters of the slots are only reachable by
 * completing a handshake, and a newcomer is kept out only by a flood from
 * more than half_open_cap addresses sending half_open_cap CONNECTs per
 * HALF_OPEN_EVICT_MS. Returns true to refuse it. O(peer slots), like ENet's
 * own scan for a free slot. */
bool transport_enet_half_open_refuse(struct relay_enet *t)
{
    ENetHost *host = t->host;
    enet_uint32 now = enet_time_get() | 1;
    struct relay_enet_connect c;
    relay_enet_connect_scan(host, t->guards.opened, &c);
    if (c.resend)
        return false; /* ENet ignores it */
    size_t slot = c.slot;
    if (c.half_open >= t->guards.half_open_cap) {
        transport_enet_count(t, RELAY_DROP_HALF_OPEN);
        if ((c.half_open_same_ip && t->cfg.max_per_address) || !t->guards.opened[c.oldest] ||
            now - t->guards.opened[c.oldest] < HALF_OPEN_EVICT_MS)
            return true;
        enet_peer_reset(&host->peers[c.oldest]);
        t->guards.opened[c.oldest] = 0;
        if (c.oldest < slot)
            slot = c.oldest;
    }
    if (slot < host->peerCount)
        t->guards.opened[slot] = now;
    return false;
}

/* Forgets a handshake older than HALF_OPEN_MS (counted as half_open): the
 * slot is free again for a client that completes its handshake. The core
 * never knew these peers. */
void transport_enet_sweep_half_open(struct relay_enet *t, struct relay *r, uint32_t idx,
                                    enet_uint32 now)
{
    ENetPeer *p = &t->host->peers[idx];
    if (p->state != ENET_PEER_STATE_ACKNOWLEDGING_CONNECT) {
        t->guards.opened[idx] = 0;
    } else if (!t->guards.opened[idx]) {
        t->guards.opened[idx] = now;
    } else if (now - t->guards.opened[idx] >= HALF_OPEN_MS) {
        enet_peer_reset(p);
        t->guards.opened[idx] = 0;
        relay_count_drop(r, RELAY_DROP_HALF_OPEN);
    }
}

/* ---- commands held out of order --------------------------------------- */

/* ENet holds a command that arrives ahead of one missing on its channel
 * (~200 bytes each, whatever its size) and counts only its payload against
 * --max-waiting-data. Refuses the datagram (counted held_commands) if it
 * could take what ENet holds from peer id past --max-held-commands: an
 * upper bound kept in O(1) per datagram (reset whenever ENet holds nothing,
 * plus the datagram's data commands), recounted exactly, at most every
 * WALK_MS, only when it would refuse. */
bool transport_enet_held_refuse(struct relay_enet *t, unsigned id, size_t data_commands)
{
    struct peer_guard *g = &t->guards.peer[id];
    const ENetPeer *p = &t->host->peers[id];
    size_t max = t->cfg.max_held_commands;
    if (relay_enet_holds_none(p))
        g->held = 0;
    if (max && g->held + data_commands > max) {
        if (t->host->serviceTime - g->held_walked >= WALK_MS) {
            g->held = relay_enet_held(p, max);
            g->held_walked = t->host->serviceTime;
        }
        if (g->held + data_commands > max) {
            transport_enet_count(t, RELAY_DROP_HELD_COMMANDS);
            return true;
        }
    }
    g->held += data_commands;
    return false;
}

/* ---- slow readers: what is queued to a peer --------------------------- */

/* Counts what ENet holds queued to peer idx (up to twice the packet bound). */
static void backlog_walk(struct relay_enet *t, uint32_t idx)
{
    struct peer_guard *g = &t->guards.peer[idx];
    struct relay_enet_backlog b;
    size_t limit = t->cfg.max_queued_packets ? 2 * (size_t)t->cfg.max_queued_packets
                                             : SIZE_MAX / 2;
    relay_enet_backlog(&t->host->peers[idx], limit, &b);
    g->out_packets = b.packets;
    g->out_bytes = b.bytes;
    g->out_walked = t->host->serviceTime;
}

/* Would queueing len more bytes to peer idx take it over a bound? The
 * estimate only grows between walks, so it is recounted (at most every
 * WALK_MS) before it can refuse. */
bool transport_enet_backlog_full(struct relay_enet *t, uint32_t idx, size_t len)
{
    struct peer_guard *g = &t->guards.peer[idx];
    size_t p = t->cfg.max_queued_packets, b = t->cfg.max_queued_bytes;
    if ((!p || g->out_packets < p) && (!b || g->out_bytes + len <= b))
        return false;
    if (t->host->serviceTime - g->out_walked >= WALK_MS)
        backlog_walk(t, idx);
    return (p && g->out_packets >= p) || (b && g->out_bytes + len > b);
}

void transport_enet_backlog_add(struct relay_enet *t, uint32_t idx, size_t len)
{
    struct peer_guard *g = &t->guards.peer[idx];
    if (g->out_bytes == 0)
        g->held_since = t->host->serviceTime; /* held from now */
    g->out_packets++;
    g->out_bytes += len;
}

void transport_enet_backlog(void *ctx, uint32_t handle, struct relay_backlog *out)
{
    struct relay_enet *t = ctx;
    uint32_t idx = transport_enet_slot(t, handle);
    if (idx >= t->host->peerCount || t->host->peers[idx].state != ENET_PEER_STATE_CONNECTED)
        return;
    struct peer_guard *g = &t->guards.peer[idx];
    /* The estimate only grows between walks: recounted at most every
     * WALK_MS, and once a service near the bound, before it can count
     * against the peer. */
    enet_uint32 since = t->host->serviceTime - g->out_walked;
    if (g->out_bytes && (since >= WALK_MS || (since && g->out_bytes > t->cfg.max_queued_bytes / 4)))
        backlog_walk(t, idx);
    out->bytes = g->out_bytes;
    /* ENet keeps what it sent until it is acknowledged: the network took
     * some when the peer was last heard from, or it was empty. */
    enet_uint32 now = enet_time_get(), heard = now - t->heard[idx], held = now - g->held_since;
    uint64_t ago_us = (uint64_t)(heard < held ? heard : held) * 1000u;
    uint64_t now_us = clock_now_us();
    out->moved_us = now_us > ago_us ? now_us - ago_us : 0;
}
