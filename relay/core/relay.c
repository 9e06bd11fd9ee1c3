/* relay.c: the relay's pure core (see relay.h): the relay object, its
 * entry point for datagrams and its counters. Everything is driven by
 * three inputs (a peer appears, a datagram arrives, a peer is gone) plus
 * the time the transport read for us; core.h says which file holds what,
 * and state_flow.c is a state's whole way through. */
#include "core.h"

#include <sodium.h>

#include <stdlib.h>

struct relay *relay_create(const struct relay_config *cfg,
                           const struct relay_transport *transport)
{
    struct relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->tp = *transport;
    r->next_id = 1;
    r->kick_peer = UINT32_MAX;
    r->peers = calloc(r->cfg.peer_cap, sizeof *r->peers);
    r->rooms = calloc(r->cfg.max_rooms, sizeof *r->rooms);
    r->recipients = calloc(r->cfg.max_room_size + 1, sizeof *r->recipients);
    if (r->cfg.tick_us) {
        r->held = calloc(TICK_QUEUE, sizeof *r->held);
        r->held_bytes = malloc(TICK_ARENA);
        if (!r->held || !r->held_bytes) {
            relay_destroy(r);
            return NULL;
        }
    }
    if (!r->peers || !r->rooms || !r->recipients || core_tickets_alloc(r) != 0) {
        relay_destroy(r);
        return NULL;
    }
    return r;
}

void relay_destroy(struct relay *r)
{
    if (!r)
        return;
    if (r->rooms)
        for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
            free(r->rooms[i].members);
            core_interest_close(&r->rooms[i]);
        }
    free(r->rooms);
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        if (r->peers[i].parked) { /* a fleet's join still waiting */
            sodium_memzero(r->peers[i].parked, sizeof *r->peers[i].parked);
            free(r->peers[i].parked);
        }
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        if (r->peers[i].unproven) { /* a sealed join's proof still due */
            sodium_memzero(r->peers[i].unproven, sizeof *r->peers[i].unproven);
            free(r->peers[i].unproven);
        }
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        core_interest_forget(r, i);
    free(r->peers);
    free(r->recipients);
    free(r->held);
    free(r->held_bytes);
    core_tickets_free(r);
    free(r);
}

/* Admitted (state_flow.c), a datagram is a control message (JSON on the
 * control channel, or on a bare datagram) or a state's (anything else: a
 * state's path refuses what no mode sends). */
static int on_datagram(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                       uint8_t *bytes, size_t len, uint64_t now_us)
{
    int rc = core_admit(r, peer, flags, &bytes, &len, now_us);
    if (rc < 0)
        return rc;
    if (channel == PROTO_CHANNEL_CONTROL ? bytes[0] != PROTO_STATE_VERSION
                                         : channel == PROTO_CHANNEL_DATAGRAM && bytes[0] == '{')
        return core_on_control(r, peer, bytes, len, channel == PROTO_CHANNEL_DATAGRAM, now_us);
    return core_on_state(r, peer, channel, flags, bytes, len, now_us);
}

int relay_on_datagram(struct relay *r, uint32_t peer, uint8_t channel,
                      uint32_t flags, uint8_t *bytes, size_t len,
                      uint64_t now_us)
{
    /* Before a ticket admits it, a peer gets no answer longer than what it
     * sent (PROTOCOL.md, Tickets): nothing to amplify. */
    const struct relay_peer *p = core_peer_get(r, peer);
    r->reply_cap = r->cfg.n_ticket_keys && p && !p->joined ? (len ? len : 1) : 0;
    int rc = on_datagram(r, peer, channel, flags, bytes, len, now_us);
    core_kick_due(r, now_us); /* within reply_cap, as a kick always was */
    r->reply_cap = 0;
    return rc;
}

void relay_set_unix_time(struct relay *r, uint64_t unix_s) { r->unix_s = unix_s; }
const struct relay_stats *relay_stats(const struct relay *r) { return &r->stats; }
uint32_t relay_clients(const struct relay *r) { return r->clients; }
