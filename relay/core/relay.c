/* relay.c: the relay's pure core (see relay.h): the relay object,
 * its entry point for datagrams and its counters. Everything is driven by
 * three inputs (a peer appears, a datagram arrives, a peer is gone) plus
 * the time the transport read for us; core.h says which file holds what. */
#include "core.h"

#include <sodium.h>

#include <inttypes.h>
#include <stdio.h>
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
        core_interest_forget(r, i);
    free(r->peers);
    free(r->recipients);
    free(r->held);
    free(r->held_bytes);
    core_tickets_free(r);
    free(r);
}

/* A datagram's rate: within the limit, or dropped (the peer warned at
 * most once a second, kicked after kick_after_ms of abuse). Returns 0 to
 * go on or the relay_on_datagram code. */
static int rate_admit(struct relay *r, uint32_t peer, uint64_t now_us)
{
    uint64_t streak = 0;
    switch (core_rate_check(r, peer, now_us, &streak)) {
    case CORE_RATE_OK:
        return 0;
    case CORE_RATE_KICK: {
        char why[96];
        snprintf(why, sizeof why, "over the rate limit of %" PRIu32 "/s for %.1f s",
                 r->cfg.rate_limit, (double)streak / 1e6);
        core_kick_later(r, peer, why);
        break;
    }
    case CORE_RATE_WARN:
        core_send_error(r, peer, false, PROTO_ERROR_RATE_LIMITED, now_us,
                        "over %" PRIu32 " messages/s (burst %" PRIu32 "): dropped%s",
                        r->cfg.rate_limit, r->cfg.rate_burst,
                        r->cfg.kick_after_ms ? "; keep it up and you are kicked" : "");
        break;
    case CORE_RATE_DROP:
        break;
    }
    return -1 - RELAY_DROP_RATE_LIMITED;
}

/* What every datagram goes through first: a known peer, counted, within
 * its rate. Returns 0 to go on or the relay_on_datagram code. */
static int datagram_admit(struct relay *r, uint32_t peer, size_t len, uint64_t now_us)
{
    if (!core_peer_get(r, peer)) {
        r->stats.drops[RELAY_DROP_CLOSED]++;
        return -1 - RELAY_DROP_CLOSED;
    }
    r->stats.bytes_in += len;
    return rate_admit(r, peer, now_us);
}

static int on_datagram(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                       uint8_t *bytes, size_t len, uint64_t now_us)
{
    int rc = datagram_admit(r, peer, len, now_us);
    if (rc < 0)
        return rc;
    if (flags & RELAY_IN_TRUNCATED)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "datagram of more than %zu bytes, max %zu", len,
                           r->cfg.max_packet_size);
    if (len > r->cfg.max_packet_size)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "datagram of %zu bytes, max %zu", len, r->cfg.max_packet_size);
    if (bytes && len > 0 && (rc = core_unseal(r, peer, &bytes, &len)) < 0)
        return rc;
    if (len == 0 || !bytes) {
        r->stats.state_errors[RELAY_STATE_ERR_SHORT]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "empty datagram");
    }
    bool json = bytes[0] == '{';
    switch (channel) {
    case PROTO_CHANNEL_CONTROL:
        if (bytes[0] == PROTO_STATE_VERSION)
            return core_reject_as(r, peer, RELAY_DROP_WRONG_CHANNEL, PROTO_ERROR_BAD_JSON,
                                  now_us, "state on channel 0: states go on channel %u or %u",
                                  PROTO_CHANNEL_STATE, PROTO_CHANNEL_RELIABLE);
        return core_on_control(r, peer, bytes, len, false, now_us);
    case PROTO_CHANNEL_DATAGRAM:
        if (json)
            return core_on_control(r, peer, bytes, len, true, now_us);
        return core_on_state(r, peer, PROTO_MODE_UDP, bytes, len, now_us);
    default: {
        /* A state channel: the table says which mode (channel, flags) is. */
        enum proto_mode mode;
        if (json || proto_mode_from_up(channel, flags, &mode) != 0 ||
            !proto_mode_info(mode)->enet)
            return core_reject(r, peer, RELAY_DROP_WRONG_CHANNEL, now_us,
                               "no state mode sends on channel %u with flags %u (see PROTOCOL.md)",
                               (unsigned)channel, (unsigned)(flags & PROTO_FLAGS_MASK));
        return core_on_state(r, peer, mode, bytes, len, now_us);
    }
    }
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
