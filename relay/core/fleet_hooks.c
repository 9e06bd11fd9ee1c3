/* fleet_hooks.c: a fleet's say on joins (see core.h and fleet.h): a join for a
 * room this relay does not have is created here, parked until the
 * directory answers, answered moved, or refused; the directory's answer to
 * a rooms ask is routed to the lobby or the listing; rooms move to another
 * relay whole, or are held while their claim is unconfirmed; the rooms
 * whose members or record changed are given out for the directory to keep.
 * The core keeps no room and no member for a parked or moved join. */
#define BY_FLEET_HOOKS_C /* this file writes the parts BY_FLEET_HOOKS_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "fleet_hooks_internal.h"
#include "join_cost_internal.h"
#include "listing_internal.h"
#include "lobby_internal.h"
#include "peers_internal.h"
#include "rooms_internal.h"
#include "state_flow_internal.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/room_record.h"
#include "sys/log.h"

void relay_set_fleet(struct relay *r, const struct relay_fleet_hooks *hooks)
{
    r->fleet = *hooks;
}

void core_fleet_room_created(struct relay *r, struct relay_room *room, uint64_t now_us)
{
    room->lease_until_us = r->fleet.lease ? r->fleet.lease(r->fleet.ctx, room->name, now_us)
                                          : UINT64_MAX;
}

void core_fleet_moved(struct relay *r, uint32_t peer, const char *room,
                       const struct relay_moved_to *to)
{
    proto_control_init(&r->out, PROTO_CTL_MOVED);
    snprintf(r->out.room, sizeof r->out.room, "%s", room);
    snprintf(r->out.host, sizeof r->out.host, "%s", to->host);
    r->out.port = to->port;
    r->out.transport = to->transport;
    r->out.epoch = to->epoch;
    log_debug("relay: %s: room '%s' is at %s:%u (epoch %" PRIu64 "): moved",
              r->peers[peer].addr, room, to->host, (unsigned)to->port, to->epoch);
    core_send_out(r, peer);
    r->stats.moved++;
    core_peer_close(r, peer, PROTO_ERROR_MOVED);
}

int core_fleet_refuse(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *why, uint64_t now_us)
{
    const struct proto_error_info *info = proto_error_info(code);
    r->stats.drops[RELAY_DROP_UNPLACED]++;
    if (code == PROTO_ERROR_DIRECTORY_UNAVAILABLE)
        core_join_unspend(r, peer, now_us); /* nothing placed, nothing sent: no cost */
    core_send_error(r, peer, true, code, now_us, "%s",
                    why ? why : info ? info->text : "refused");
    core_peer_close(r, peer, code);
    return -1 - (int)RELAY_DROP_UNPLACED;
}

/* Parks peer's join m (who: its identity and room) with any_ask (0: a
 * placement's). False out of memory (nothing parked). */
static bool park_join(struct relay *r, uint32_t peer, const struct proto_control *m,
                      const struct ticket_claims *who, uint32_t any_ask)
{
    struct relay_parked_join pj = {.who = *who, .mode = m->mode, .reflect = m->reflect,
                                   .batch = m->batch, .lost = m->lost, .aoi = m->aoi,
                                   .epoch = m->epoch, .any_ask = any_ask};
    memcpy(pj.key, m->key, sizeof pj.key);
    core_room_ask_keep(&pj.ask, m);
    bool parked = core_park(r, peer, &pj);
    sodium_memzero(&pj, sizeof pj); /* a ticket's session keys */
    if (parked)
        r->stats.parked++;
    return parked;
}

int core_fleet_any(struct relay *r, uint32_t peer, const struct proto_control *m,
                   const struct ticket_claims *who, uint64_t now_us)
{
    int rc = core_any_check(r, peer, who->room, now_us);
    if (rc < 0)
        return rc;
    uint32_t ask = core_next_ask(r);
    if (!r->fleet.list(r->fleet.ctx, peer, ask, true, who->room, "", &m->match) ||
        !park_join(r, peer, m, who, ask))
        return core_fleet_refuse(r, peer, PROTO_ERROR_DIRECTORY_UNAVAILABLE, NULL, now_us);
    return 0;
}

bool core_fleet_admit(struct relay *r, uint32_t peer, const struct proto_control *m,
                      const struct ticket_claims *who, uint64_t now_us, int *rc)
{
    *rc = 0;
    if (!r->fleet.place)
        return true;
    struct relay_moved_to to;
    enum proto_error_code code = PROTO_ERROR_DIRECTORY_UNAVAILABLE;
    char player[PROTO_PLAYER_LEN + 1] = ""; /* who reports its relay lost: a key's */
    memset(&to, 0, sizeof to);
    if (proto_key_valid(m->key))
        proto_player_of(m->key, player);
    switch (r->fleet.place(r->fleet.ctx, peer, who->room, m->epoch,
                           m->lost ? m->lost_relay : NULL, player, &to, &code)) {
    case RELAY_PLACE_HERE:
        return true;
    case RELAY_PLACE_WAIT:
        if (!park_join(r, peer, m, who, 0))
            *rc = core_fleet_refuse(r, peer, PROTO_ERROR_DIRECTORY_UNAVAILABLE, NULL, now_us);
        return false;
    case RELAY_PLACE_MOVED:
        core_fleet_moved(r, peer, who->room, &to);
        return false;
    case RELAY_PLACE_REFUSED:
        *rc = core_fleet_refuse(r, peer, code, NULL, now_us);
        return false;
    }
    return true;
}

/* Every member of room leaves at once (no left notices, as at shutdown),
 * each told code and text first unless it was sent moved; the room is
 * freed. Returns how many members it had. */
static uint32_t room_empty(struct relay *r, struct relay_room *room, enum proto_error_code code,
                           const char *text, uint64_t now_us)
{
    uint32_t n = room->n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t peer = room->members[i];
        if (code != PROTO_ERROR_MOVED)
            core_send_error(r, peer, true, code, now_us, "%s", text);
        core_member_quiet(r, peer);
        r->stats.moved += code == PROTO_ERROR_MOVED;
        core_peer_close(r, peer, code);
    }
    core_room_members_clear(room);
    core_room_free(r, room);
    core_settle(r, now_us);
    return n;
}

/* A fleet's directory answers a rooms ask (proto/FLEET.md): a watch's push
 * (lobby.c) or a rooms request's page (listing.c), each merged with this
 * relay's own rooms; the lobby pages through the listing, the listing
 * knows no lobby. */
void relay_rooms_settle(struct relay *r, uint32_t peer, uint32_t ask,
                        const struct relay_rooms_answer *a, uint64_t now_us)
{
    if (!core_peer_get(r, peer))
        return;
    if (core_lobby_asked(r, peer, ask)) { /* a watch's page, pushed */
        core_list_answer(r, a);
        core_lobby_push_out(r, peer, now_us);
    } else if (core_list_asked(r, peer, ask)) { /* a request's */
        core_list_answer(r, a);
        core_lobby_answered(r, peer, a->after);
        core_list_send(r, peer, now_us);
    } else {
        return; /* another ask's, or answered already */
    }
    core_settle(r, now_us);
}

uint32_t relay_room_move(struct relay *r, const char *name, const struct relay_moved_to *to,
                         uint64_t now_us)
{
    struct relay_room *room = core_room_find(r, name);
    if (!room)
        return 0;
    core_clock(r, now_us);
    core_fan_out_held(r, 0); /* what the room said before it moves still goes out */
    uint32_t n = room->n;
    for (uint32_t i = 0; to && i < n; i++) {
        /* Each member learns the last of its states passed on here: a
         * reliable one sends those after it again on the next relay; and
         * where its own edge's kind is there. */
        const struct relay_peer *p = &r->peers[room->members[i]];
        const struct relay_moved_to *at = &to[r->edges.of[room->members[i]]];
        proto_control_init(&r->out, PROTO_CTL_MOVED);
        snprintf(r->out.room, sizeof r->out.room, "%s", name);
        snprintf(r->out.host, sizeof r->out.host, "%s", at->host);
        r->out.port = at->port;
        r->out.transport = at->transport;
        r->out.epoch = at->epoch;
        r->out.forwarded = true;
        r->out.seq = p->has_state ? p->last.seq : 0; /* a client's first is 1 */
        core_send_out(r, room->members[i]);
    }
    log_info("relay: room '%s' (%" PRIu32 " members) %s%s:%u", name, n,
             to ? "moves to " : "closes: nowhere to move it", to ? to->host : "",
             to ? (unsigned)to->port : 0u);
    return room_empty(r, room, to ? PROTO_ERROR_MOVED : PROTO_ERROR_SHUTTING_DOWN,
                      "relay shutting down: its room could not move", now_us);
}

uint32_t relay_room_let_go(struct relay *r, const char *name, uint64_t now_us)
{
    struct relay_room *room = core_room_find(r, name);
    if (!room)
        return 0;
    core_clock(r, now_us);
    log_warn("relay: room '%s': claim unconfirmed, states held back; the directory unreachable: "
             "its %" PRIu32 " members are sent to join again through another relay", name,
             room->n);
    return room_empty(r, room, PROTO_ERROR_DIRECTORY_UNAVAILABLE,
                      "this relay cannot reach the fleet's directory: join again through "
                      "another relay", now_us);
}

void relay_room_lease(struct relay *r, const char *name, uint64_t until_us)
{
    struct relay_room *room = core_room_find(r, name);
    if (!room)
        return;
    bool was = r->now_us < room->lease_until_us, is = r->now_us < until_us;
    room->lease_until_us = until_us;
    if (was != is)
        log_warn("relay: room '%s': %s", name,
                 is ? "claim confirmed again: states flow"
                    : "claim not confirmed in time: its states are held back");
}

void relay_each_room(const struct relay *r, void (*each)(void *ctx, const char *room),
                     void *ctx)
{
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++)
        if (r->rooms.at[i].used)
            each(ctx, r->rooms.at[i].name);
}

void relay_count_report_refused(struct relay *r)
{
    r->stats.reports_refused++;
}

/* ---- what the directory keeps of a room (proto/FLEET.md, P:keep:ROOM) ---- */

void relay_each_changed_room(struct relay *r,
                             void (*each)(void *ctx, const char *room, const char *members,
                                          uint32_t n, const char *record),
                             void *ctx)
{
    struct proto_room_record *rec = NULL;
    char *json = NULL, *ids = NULL;
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
        struct relay_room *room = &r->rooms.at[i];
        bool changed = room->changed != room->kept_changed;
        if (!room->used || (!room->keep_members && !changed))
            continue;
        if (!ids && !(ids = malloc((size_t)r->cfg.max_room_size * PROTO_PLAYER_LEN)))
            break; /* at the next call */
        if (changed && !rec &&
            (!(rec = malloc(sizeof *rec)) || !(json = malloc(PROTO_ROOM_RECORD_MAX + 1))))
            break;
        for (uint32_t j = 0; j < room->n; j++)
            memcpy(ids + (size_t)j * PROTO_PLAYER_LEN, r->peers[room->members[j]].player,
                   PROTO_PLAYER_LEN);
        bool record = changed && core_room_record_take(r, room, rec) == 0 &&
                      proto_room_record_encode(json, PROTO_ROOM_RECORD_MAX + 1, rec) >= 0;
        if (changed && !record)
            log_warn("relay: room '%s': its record could not be taken: not kept", room->name);
        each(ctx, room->name, ids, room->n, record ? json : NULL);
        core_room_members_given(room);
        room->kept_changed = room->changed;
    }
    free(ids);
    free(rec);
    free(json);
}
