/* relay.c: the relay's pure core (see relay.h): the relay object, its
 * entry point for datagrams and its counters. Everything is driven by
 * three inputs (a peer appears, a datagram arrives, a peer is gone) plus
 * the time the transport read for us; core.h says which file holds what,
 * and state_flow.c is a state's whole way through. */
#define BY_RELAY_C /* this file writes the parts BY_RELAY_C marks */
#include "core.h"
#include "admit_internal.h"
#include "backlog_internal.h"
#include "control_in_internal.h"
#include "control_out_internal.h"
#include "interest_internal.h"
#include "join_cost_internal.h"
#include "lobby_internal.h"
#include "lockstep_internal.h"
#include "peers_internal.h"
#include "rooms_internal.h"
#include "state_flow_internal.h"
#include "tickets_internal.h"


#include <stdio.h>
#include <stdlib.h>

/* The edges, each with its range of handles in the array's order, and
 * each handle's edge. Returns 0, or -1 (out of memory). */
static int edges_set(struct relay *r, const struct relay_transport *edges, size_t n)
{
    uint32_t total = 0;
    r->edges.n = r->stats.n_edges = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        struct core_edge *e = &r->edges.at[i];
        e->tp = edges[i];
        if (!e->tp.peers)
            e->tp.peers = r->cfg.peer_cap;
        e->base = total;
        total += e->tp.peers;
        snprintf(r->stats.edges[i].name, sizeof r->stats.edges[i].name, "%s",
                 e->tp.name ? e->tp.name : "");
        struct relay_edge_stats *es = &r->stats.edges[i];
        es->own_names = e->tp.counters;
        while (es->own_names && es->own_names[es->n_own] && es->n_own < RELAY_EDGE_COUNTERS)
            es->n_own++;
    }
    r->cfg.peer_cap = total;
    r->edges.of = malloc(total ? total : 1);
    if (!r->edges.of)
        return -1;
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < r->edges.at[i].tp.peers; k++)
            r->edges.of[r->edges.at[i].base + k] = (uint8_t)i;
    return 0;
}

struct relay *relay_create(const struct relay_config *cfg, const struct relay_transport *edges,
                           size_t n)
{
    if (n < 1 || n > RELAY_EDGES_MAX)
        return NULL;
    struct relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    if (edges_set(r, edges, n) != 0) {
        relay_destroy(r);
        return NULL;
    }
    r->peers = calloc(r->cfg.peer_cap, sizeof *r->peers);
    r->recipients = calloc(r->cfg.max_room_size + 1, sizeof *r->recipients);
    if (core_flow_alloc(r) != 0) {
        relay_destroy(r);
        return NULL;
    }
    if (!r->peers || !r->recipients || core_spots_alloc(r) != 0 ||
        core_rooms_alloc(r) != 0 || core_backlog_alloc(r) != 0 || core_tickets_alloc(r) != 0 ||
        core_lobby_alloc(r) != 0 || core_lockstep_alloc(r) != 0) {
        relay_destroy(r);
        return NULL;
    }
    return r;
}

void relay_destroy(struct relay *r)
{
    if (!r)
        return;
    core_rooms_free(r);
    core_parked_free(r);
    core_join_cost_free(r);
    core_out_holds_free(r);
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        core_interest_forget(r, i);
    core_tickets_free(r); /* and each sealed join's claims still due */
    free(r->peers);
    core_spots_free(r);
    free(r->edges.of);
    free(r->recipients);
    core_backlog_free(r);
    core_flow_free(r);
    core_lobby_free(r);
    core_lockstep_free(r);
    free(r);
}

/* Admitted (state_flow.c), a datagram is a control message (JSON on the
 * control channel, or on a pseudo channel: a bare datagram, a stream's
 * frame, a WebSocket message), an event (binary type 3 on the control
 * channel or a pseudo channel), a lockstep room's inputs (binary type 4
 * on a state way) or a state's (anything else: a state's path refuses
 * what no mode sends). */
static int on_datagram(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                       uint8_t *bytes, size_t len, uint64_t now_us)
{
    int rc = core_admit(r, peer, flags, &bytes, &len, now_us);
    if (rc < 0)
        return rc;
    bool bare = proto_channel_bare(channel);
    if ((channel == PROTO_CHANNEL_CONTROL || bare) && proto_is_event(bytes, len))
        return core_on_event(r, peer, bytes, len, now_us);
    if (channel == PROTO_CHANNEL_CONTROL ? bytes[0] != PROTO_STATE_VERSION
                                         : bare && bytes[0] == '{')
        return core_on_control(r, peer, bytes, len, bare, now_us);
    if (channel != PROTO_CHANNEL_CONTROL && proto_is_inputs(bytes, len))
        return core_lockstep_inputs(r, peer, channel, flags, bytes, len, now_us);
    return core_on_state(r, peer, channel, flags, bytes, len, now_us);
}

int relay_on_datagram(struct relay *r, uint32_t peer, uint8_t channel,
                      uint32_t flags, uint8_t *bytes, size_t len,
                      uint64_t now_us)
{
    /* Before a ticket admits it, a peer of an edge whose sources can be
     * forged (plain UDP) gets no answer longer than what it sent
     * (PROTOCOL.md, Tickets): nothing to amplify. Where a handshake bound
     * the source (ENet, a stream, WebRTC), every answer goes whole. */
    const struct relay_peer *p = core_peer_get(r, peer);
    r->reply_cap = r->cfg.n_ticket_keys && p && !p->joined && core_edge(r, peer)->forgeable
                       ? (len ? len : 1) : 0;
    core_clock(r, now_us);
    int rc = on_datagram(r, peer, channel, flags, bytes, len, now_us);
    core_settle(r, now_us); /* within reply_cap, as a kick always was */
    r->reply_cap = 0;
    return rc;
}

void relay_sweep(struct relay *r, uint64_t now_us)
{
    core_clock(r, now_us);
    core_sweep_joins(r, now_us);
    core_lobby_sweep(r, now_us);
    core_backlog_sweep(r, now_us);
    core_rooms_hold_due(r, now_us);
    core_settle(r, now_us);
}

size_t relay_tick(struct relay *r, uint64_t now_us)
{
    core_clock(r, now_us);
    size_t sent = core_tick(r, now_us);
    core_lockstep_tick(r, now_us); /* lockstep rooms' deadlines */
    core_join_turn(r, now_us); /* replays of kept events go on */
    core_settle(r, now_us); /* what the fan-out decided: throttles told, closes */
    return sent;
}

uint32_t relay_edge_base(const struct relay *r, size_t i)
{
    return i < r->edges.n ? r->edges.at[i].base : r->cfg.peer_cap;
}

size_t relay_peer_edge(const struct relay *r, uint32_t peer)
{
    return peer < r->cfg.peer_cap ? r->edges.of[peer] : 0;
}

const char *relay_edge_name(const struct relay *r, size_t i)
{
    return i < r->edges.n ? r->stats.edges[i].name : "";
}

const struct relay_stats *relay_stats(const struct relay *r) { return &r->stats; }
uint32_t relay_clients(const struct relay *r) { return r->census.clients; }
