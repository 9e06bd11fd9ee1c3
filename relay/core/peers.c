/* peers.c: peers (see peers_internal.h): a transport slot connects, goes, is
 * kicked or evicted, or is told the relay shuts down. The one writer of a
 * peer's connection, membership (join.c decides it: core_member_add),
 * clock offset and parked join, and the one owner of its teardown: what
 * leaves its room (its held states first, then its left notice), its
 * ticket and its parked join, and the close, the slow readers' that
 * backlog.c decided among them. */
#define BY_PEERS_C /* this file writes the parts BY_PEERS_C marks */
#include "core.h"
#include "backlog_internal.h"
#include "control_out_internal.h"
#include "interest_internal.h"
#include "kept_internal.h"
#include "limits_internal.h"
#include "lockstep_internal.h"
#include "peers_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"
#include "scripted_internal.h"
#include "state_flow_internal.h"
#include "tickets_internal.h"
#include "source_key.h"

#include <inttypes.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"

/* peer is going away: a join it had parked is forgotten, the fleet told. */
static void forget_parked(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->parked)
        return;
    sodium_memzero(p->parked, sizeof *p->parked); /* a ticket's session keys */
    free(p->parked);
    p->parked = NULL;
    if (r->fleet.peer_gone)
        r->fleet.peer_gone(r->fleet.ctx, peer);
}

/* peer counts against max_clients no more. */
static void uncount(struct relay *r, struct relay_peer *p)
{
    if (p->counted)
        r->census.counted--;
    p->counted = false;
}

bool core_count(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->counted)
        return true;
    if (r->census.counted >= r->cfg.max_clients)
        return false;
    p->counted = true;
    r->census.counted++;
    return true;
}

int core_refuse_full(struct relay *r, uint32_t peer, uint64_t now_us)
{
    r->stats.drops[RELAY_DROP_SERVER_FULL]++;
    /* debug, not info: over plain UDP every stranger's datagram lands here
     * when full, and a flood must not become a log flood. */
    log_debug("relay: refusing %s: server full (%" PRIu32 " clients)", r->peers[peer].addr,
              r->census.counted);
    core_send_error(r, peer, true, PROTO_ERROR_SERVER_FULL, now_us, "%s: %" PRIu32 " clients",
                    proto_error_info(PROTO_ERROR_SERVER_FULL)->text, r->cfg.max_clients);
    if (r->peers[peer].connected)
        core_peer_close(r, peer, PROTO_ERROR_SERVER_FULL);
    else
        core_edge(r, peer)->disconnect(core_edge(r, peer)->ctx, peer, PROTO_ERROR_SERVER_FULL);
    return -1 - (int)RELAY_DROP_SERVER_FULL;
}

void core_peer_close(struct relay *r, uint32_t peer, enum proto_error_code why)
{
    struct relay_peer *p = &r->peers[peer];
    forget_parked(r, peer);
    core_ticket_release(r, peer); /* a session's keys, a proof still due */
    core_interest_forget(r, peer); /* its room went with it (a move, a shutdown) */
    uncount(r, p);
    p->connected = false;
    r->census.clients--;
    core_edge_stats(r, peer)->clients--;
    core_edge(r, peer)->disconnect(core_edge(r, peer)->ctx, peer, why);
}

/* Error kicked to the peer, left {reason: kicked} to its room, disconnect;
 * its IP address is refused for kick_ban_ms. */
static void kick(struct relay *r, uint32_t peer, uint64_t now_us, const char *why)
{
    struct relay_peer *p = &r->peers[peer];
    log_warn("relay: kicking %s (id %" PRIu32 "): %s", p->addr, p->id, why);
    core_ban_add(r, p->source, now_us);
    core_send_error(r, peer, true, PROTO_ERROR_KICKED, now_us, "kicked: %s", why);
    core_member_remove(r, peer, PROTO_LEFT_KICKED);
    r->stats.kicks++;
    core_peer_close(r, peer, PROTO_ERROR_KICKED);
}

void core_kick_due(struct relay *r, uint64_t now_us)
{
    uint32_t peer;
    const char *why = core_kick_take(r, &peer);
    if (why && core_peer_get(r, peer))
        kick(r, peer, now_us, why);
}

/* Tells peer's edge how its states go down now (way NULL: no member). */
static void tell_edge(struct relay *r, uint32_t peer, const struct relay_member_way *way)
{
    const struct relay_transport *tp = core_edge(r, peer);
    if (tp->member)
        tp->member(tp->ctx, peer, way);
}

/* Takes a member out of its room; with a reason, tells the others why and
 * frees the room when it empties; without (NULL: its player took a new
 * connection, join.c), neither: its place is filled at once. */
static void member_out(struct relay *r, uint32_t peer, const enum proto_left_reason *reason)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return;
    core_fan_out_leaver(r, peer); /* every state in goes out, before the left notice */
    struct relay_room *room = &r->rooms.at[p->room];
    uint32_t heir = reason ? core_room_owner_leaves(r, room, peer) : UINT32_MAX;
    if (reason && room->n > 1) {
        proto_control_init(&r->out, PROTO_CTL_LEFT);
        r->out.id = p->id;
        snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
        snprintf(r->out.player, sizeof r->out.player, "%s", p->player);
        snprintf(r->out.owner, sizeof r->out.owner, "%s",
                 heir != UINT32_MAX ? r->peers[heir].player : "");
        r->out.reason = *reason;
        core_send_out_near_and(r, peer, UINT32_MAX, heir); /* the heir, in sight or not */
    }
    if (reason) { /* taking one's own place back is no leave: its events and slot stay */
        core_kept_leave(room, p->id);
        core_lockstep_left(r, peer);
    }
    core_interest_leave(r, peer);
    core_room_member_drop(room, peer);
    log_info("relay: %s left room '%s' as %" PRIu32 " (%s): %s", p->addr,
             room->name, p->id, p->name, reason ? proto_left_reason_name(*reason) : "replaced");
    if (heir != UINT32_MAX)
        core_room_tell(r, room); /* its new owner, to every member */
    switch (reason ? *reason : PROTO_LEFT_KICKED) {
    case PROTO_LEFT_QUIT: r->stats.leaves++; break;
    case PROTO_LEFT_TIMEOUT: r->stats.timeouts++; break;
    case PROTO_LEFT_KICKED: break; /* counted by kick() or relay_peer_evict() */
    }
    if (reason && room->n == 0 && !room->hold_until_us) { /* a held room waits on */
        char name[PROTO_ROOM_MAX + 1];
        snprintf(name, sizeof name, "%s", room->name);
        core_room_free(r, room);
        if (r->fleet.room_closed)
            r->fleet.room_closed(r->fleet.ctx, name, *reason != PROTO_LEFT_QUIT);
    }
    p->joined = false;
    p->id = 0;
    tell_edge(r, peer, NULL);
    core_last_forget(r, peer);
    p->has_clock = false;
    r->census.members--;
    core_edge_stats(r, peer)->members--;
    if (core_edge(r, peer)->count_at_join)
        uncount(r, p);
    core_ticket_release(r, peer);
    if (reason && r->fleet.member_left)
        r->fleet.member_left(r->fleet.ctx, *reason != PROTO_LEFT_QUIT, r->census.members);
}

void core_member_remove(struct relay *r, uint32_t peer, enum proto_left_reason reason)
{
    core_script_leave(r, peer);
    member_out(r, peer, &reason);
}

void core_member_replaced(struct relay *r, uint32_t peer, uint64_t now_us)
{
    member_out(r, peer, NULL);
    /* Said, so that the session it ends does not join again and take the
     * place back: two live sessions of one player would swap it for ever. */
    core_send_error(r, peer, true, PROTO_ERROR_REPLACED, now_us, "%s",
                    proto_error_info(PROTO_ERROR_REPLACED)->text);
    core_peer_close(r, peer, PROTO_ERROR_REPLACED);
}

void core_member_add(struct relay *r, uint32_t peer, uint32_t id, uint32_t room,
                     const char *name, enum proto_mode mode, const struct proto_control *m)
{
    struct relay_peer *p = &r->peers[peer];
    p->joined = true;
    p->id = id;
    p->room = room;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->mode = mode;
    p->reflect = m->reflect;
    tell_edge(r, peer, &(struct relay_member_way){.batches = m->batch, .mode = mode});
    core_last_forget(r, peer);
    p->has_clock = false;
    r->census.members++;
    core_edge_stats(r, peer)->members++;
}

void core_member_clock(struct relay *r, uint32_t peer, int64_t offset_us, uint64_t bound_us)
{
    struct relay_peer *p = &r->peers[peer];
    p->has_clock = true; /* later joiners get it in their welcome's roster */
    p->clock_offset_us = offset_us;
    p->clock_bound_us = bound_us;
}

void core_peer_outside(struct relay *r, uint32_t peer, uint64_t now_us)
{
    r->peers[peer].outside_us = now_us;
}

bool core_park(struct relay *r, uint32_t peer, const struct relay_parked_join *join)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->parked && !(p->parked = malloc(sizeof *p->parked)))
        return false;
    *p->parked = *join;
    return true;
}

struct relay_parked_join *core_parked_take(struct relay *r, uint32_t peer)
{
    struct relay_parked_join *pj = r->peers[peer].parked;
    r->peers[peer].parked = NULL;
    return pj;
}

void core_parked_free(struct relay *r)
{
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        if (r->peers[i].parked) { /* a fleet's join still waiting */
            sodium_memzero(r->peers[i].parked, sizeof *r->peers[i].parked);
            free(r->peers[i].parked);
            r->peers[i].parked = NULL;
        }
}

void core_member_quiet(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    p->joined = false;
    p->id = 0;
    tell_edge(r, peer, NULL);
    r->census.members--;
    core_edge_stats(r, peer)->members--;
    if (core_edge(r, peer)->count_at_join)
        uncount(r, p);
    core_ticket_release(r, peer);
}

int relay_peer_connect(struct relay *r, uint32_t peer, const union netaddr *addr,
                       uint64_t now_us)
{
    if (peer >= r->cfg.peer_cap)
        return -1;
    struct relay_peer *p = &r->peers[peer];
    if (p->connected) {
        /* A transport reusing a live slot is a bug there; recover. */
        log_warn("relay: peer %" PRIu32 " connected twice", peer);
        relay_peer_gone(r, peer, PROTO_LEFT_QUIT, now_us);
    }
    /* The pass its offer's session claimed stays its (relay_ticket_claim):
     * the ticket, tickets.c's, is the slot's last part. */
    memset(p, 0, offsetof(struct relay_peer, ticket));
    if (addr) {
        p->at = *addr;
        netaddr_format(addr, p->addr, sizeof p->addr);
        p->source = source_key_member(addr);
    } else {
        snprintf(p->addr, sizeof p->addr, "?");
    }
    core_backlog_reset(r, peer);
    if (r->census.closing) {
        /* A handshake that finished during the shutdown drain. */
        core_ticket_release(r, peer);
        core_send_error(r, peer, true, PROTO_ERROR_SHUTTING_DOWN, now_us, "relay shutting down");
        core_edge(r, peer)->disconnect(core_edge(r, peer)->ctx, peer, PROTO_ERROR_SHUTTING_DOWN);
        return -1;
    }
    uint64_t banned_us = core_ban_left_us(r, p->source, now_us);
    if (banned_us) {
        /* debug: a kicked flooder over plain UDP lands here per datagram. */
        core_ticket_release(r, peer);
        r->stats.drops[RELAY_DROP_BANNED]++;
        log_debug("relay: refusing %s: kicked less than %" PRIu32 " ms ago", p->addr,
                  r->cfg.kick_ban_ms);
        core_send_error(r, peer, true, PROTO_ERROR_KICKED, now_us,
                        "kicked from this address recently: try again in %" PRIu64 " s",
                        (banned_us + 999999) / 1000000);
        core_edge(r, peer)->disconnect(core_edge(r, peer)->ctx, peer, PROTO_ERROR_KICKED);
        return -1;
    }
    /* An edge that counts its peers at their join bounds the others itself. */
    if (!core_edge(r, peer)->count_at_join && !core_count(r, peer)) {
        core_ticket_release(r, peer);
        core_refuse_full(r, peer, now_us);
        return -1;
    }
    p->connected = true;
    core_limits_start(r, peer, now_us);
    core_errors_start(r, peer, now_us);
    core_strikes_start(r, peer, now_us);
    p->outside_us = now_us;
    r->census.clients++;
    core_edge_stats(r, peer)->clients++;
    log_debug("relay: %s connected (peer %" PRIu32 ")", p->addr, peer);
    return 0;
}

/* A sealed member from which nothing opened for cfg.timeout_ms: whatever
 * else came from its address (anyone's), it is gone. Returns whether it
 * was expired. */
static bool expire_sealed(struct relay *r, uint32_t peer, uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    uint64_t limit = (uint64_t)r->cfg.timeout_ms * 1000;
    if (!p->connected || !p->joined || !p->ticket.sealed || !limit ||
        now_us < r->sealing.seals[peer].heard_us + limit)
        return false;
    log_debug("relay: %s (id %" PRIu32 "): nothing opened for %" PRIu32 " ms: expired",
              p->addr, p->id, r->cfg.timeout_ms);
    core_member_remove(r, peer, PROTO_LEFT_TIMEOUT);
    core_peer_close(r, peer, PROTO_ERROR_NONE);
    return true;
}

void core_sweep_joins(struct relay *r, uint64_t now_us)
{
    uint64_t limit = (uint64_t)r->cfg.join_timeout_ms * 1000;
    for (uint32_t i = 0; i < r->cfg.peer_cap; i++) {
        const struct relay_peer *p = &r->peers[i];
        if (r->cfg.encrypt && expire_sealed(r, i, now_us))
            continue;
        /* A parked join did come: the fleet's own deadline answers it; a
         * lobby that watches, lobby.c's. */
        if (!p->connected || p->joined || p->parked || p->lobby ||
            now_us < p->outside_us + limit)
            continue;
        r->stats.drops[RELAY_DROP_JOIN_TIMEOUT]++;
        log_debug("relay: closing %s: not a member for %" PRIu32 " ms", p->addr,
                  r->cfg.join_timeout_ms);
        core_send_error(r, i, true, PROTO_ERROR_NOT_JOINED, now_us,
                        "no join within %" PRIu32 " ms: closing", r->cfg.join_timeout_ms);
        core_peer_close(r, i, PROTO_ERROR_NOT_JOINED);
    }
}

void relay_peer_gone(struct relay *r, uint32_t peer,
                     enum proto_left_reason reason, uint64_t now_us)
{
    core_clock(r, now_us);
    struct relay_peer *p = core_peer_get(r, peer);
    if (!p)
        return;
    core_member_remove(r, peer, reason);
    forget_parked(r, peer);
    core_ticket_release(r, peer);
    uncount(r, p);
    log_debug("relay: %s gone (%s)", p->addr, proto_left_reason_name(reason));
    p->connected = false;
    r->census.clients--;
    core_edge_stats(r, peer)->clients--;
    /* A close its left notice decided (one too many for a slow reader)
     * waits for the next entry point that settles: the edge is in the
     * middle of its own work. */
}

void relay_shutdown(struct relay *r, uint64_t now_us)
{
    core_clock(r, now_us);
    core_fan_out_held(r, 0);
    r->census.closing = true;
    for (uint32_t i = 0; i < r->cfg.peer_cap; i++) {
        struct relay_peer *p = &r->peers[i];
        if (!p->connected)
            continue;
        core_send_error(r, i, true, PROTO_ERROR_SHUTTING_DOWN, now_us, "relay shutting down");
        if (p->joined) {
            /* Everyone is leaving at once: no left notices, just tidy up. */
            struct relay_room *room = &r->rooms.at[p->room];
            core_room_members_clear(room);
            if (room->used)
                core_room_free(r, room);
            core_member_quiet(r, i);
        }
        core_peer_close(r, i, PROTO_ERROR_SHUTTING_DOWN);
    }
}

void core_evict(struct relay *r, uint32_t peer, enum proto_error_code code, const char *text,
                uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    log_warn("relay: closing %s (id %" PRIu32 "): %s: %s", p->addr, p->id,
             proto_error_name(code), text);
    core_send_error(r, peer, true, code, now_us, "%s", text);
    core_member_remove(r, peer, PROTO_LEFT_KICKED);
    r->stats.kicks++;
    core_peer_close(r, peer, code);
}

void relay_peer_evict(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *text, uint64_t now_us)
{
    struct relay_peer *p = core_peer_get(r, peer);
    if (!p || p->backlog.closing) /* the core closes it already (a call from inside its send) */
        return;
    core_clock(r, now_us);
    core_evict(r, peer, code, text, now_us);
    core_settle(r, now_us);
}

bool relay_peer_connected(const struct relay *r, uint32_t peer)
{
    return peer < r->cfg.peer_cap && r->peers[peer].connected;
}

bool relay_peer_joined(const struct relay *r, uint32_t peer)
{
    return relay_peer_connected(r, peer) && r->peers[peer].joined;
}

bool relay_peer_parked(const struct relay *r, uint32_t peer)
{
    return relay_peer_connected(r, peer) && r->peers[peer].parked;
}

uint32_t relay_peer_id(const struct relay *r, uint32_t peer)
{
    return relay_peer_joined(r, peer) ? r->peers[peer].id : 0;
}

uint32_t relay_edge_members(const struct relay *r, uint32_t handle)
{
    return handle < r->cfg.peer_cap ? r->stats.edges[r->edges.of[handle]].members : 0;
}

bool relay_peer_proving(const struct relay *r, uint32_t peer)
{
    return relay_peer_connected(r, peer) && r->peers[peer].ticket.unproven;
}

void relay_peer_too_big(struct relay *r, uint32_t peer, uint64_t len, uint64_t max,
                        bool fatal, uint64_t now_us)
{
    struct relay_peer *p = core_peer_get(r, peer);
    if (!p)
        return;
    if (!fatal && p->ticket.sealed) {
        /* Unopened, anyone's: counted, no strike, no answer. */
        r->stats.drops[RELAY_DROP_TOO_BIG]++;
        return;
    }
    if (!fatal) {
        core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                    "message of %" PRIu64 " bytes, max %" PRIu64 ": dropped", len, max);
        core_settle(r, now_us); /* a strike too many */
        return;
    }
    /* A reliable channel delivers in order: nothing after this message can
     * ever arrive, so the connection is of no more use. */
    r->stats.drops[RELAY_DROP_TOO_BIG]++;
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text,
             "reliable message of %" PRIu64 " bytes, max %" PRIu64
             ": its channel cannot go on; closing", len, max);
    relay_peer_evict(r, peer, PROTO_ERROR_TOO_BIG, text, now_us);
}

/* ---- what backlog.c decided: throttled senders told, closes carried out */

/* Tells each sender throttled since the last time, within its error
 * budget. */
static void tell_throttled(struct relay *r, uint64_t now_us)
{
    uint32_t id;
    for (uint32_t from; (from = core_tell_next(r, &id)) != UINT32_MAX;) {
        const struct relay_peer *f = &r->peers[from];
        if (!f->connected || f->backlog.closing)
            continue;
        if (id == UINT32_MAX)
            core_send_error(r, from, false, PROTO_ERROR_THROTTLED, now_us,
                            "a member reads too slowly: your messages to it are dropped until "
                            "it catches up");
        else
            core_send_error(r, from, false, PROTO_ERROR_THROTTLED, now_us,
                            "member %" PRIu32 " reads too slowly: your messages to it are "
                            "dropped until it catches up", id);
    }
}

void core_closes_due(struct relay *r, uint64_t now_us)
{
    if (r->census.settling)
        return;
    r->census.settling = true;
    /* A close sends notices (and a leaver's held states), which may decide
     * more: until none is left. */
    while (r->backlog.n_tell || r->backlog.n_closes) {
        tell_throttled(r, now_us);
        for (uint32_t peer; (peer = core_close_next(r)) != UINT32_MAX;) {
            if (!r->peers[peer].connected || !r->peers[peer].backlog.closing)
                continue;
            char text[PROTO_TEXT_MAX + 1];
            core_close_text(r, peer, text, sizeof text);
            r->stats.drops[RELAY_DROP_SLOW_READER]++;
            core_evict(r, peer, PROTO_ERROR_SLOW_READER, text, now_us);
        }
    }
    r->census.settling = false;
}

void core_settle(struct relay *r, uint64_t now_us)
{
    core_kick_due(r, now_us);
    core_closes_due(r, now_us);
}
