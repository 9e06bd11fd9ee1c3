/* scripted_port.c: what a room's script may do to its room, as the room
 * itself (relay/core/script_port.h, the relay_script_* calls): send,
 * keep and clear its own kept events, props, open, kick once the call is
 * over, tell its members it failed (and close or end the room when it
 * fails for good), list its members; and what it reads
 * back (its props, its kept events, where it was made from). Only the
 * engine (relay/script) calls these. */
#include "core.h"
#include "control_out_internal.h"
#include "kept_internal.h"
#include "peers_internal.h"
#include "rooms_internal.h"
#include "scripted_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The live room at slot room, or NULL. */
static struct relay_room *live(const struct relay *r, uint32_t room)
{
    return room < r->cfg.max_rooms && r->rooms.at[room].used ? &r->rooms.at[room] : NULL;
}

bool relay_script_room_live(const struct relay *r, uint32_t room, const char *name)
{
    const struct relay_room *rm = live(r, room);
    return rm && strcmp(rm->name, name) == 0;
}

/* The member of room whose id is id, or UINT32_MAX. */
static uint32_t member_by_id(const struct relay *r, const struct relay_room *room, uint32_t id)
{
    for (uint32_t i = 0; id && i < room->n; i++)
        if (r->peers[room->members[i]].id == id)
            return room->members[i];
    return UINT32_MAX;
}

/* Sends len bytes of an event to member id to of room (0: every member but
 * a leaver). Returns the copies sent, or -1 (no such member). */
static int send_event(struct relay *r, const struct relay_room *room, uint32_t to,
                      const uint8_t *bytes, size_t len)
{
    uint32_t one = to ? member_by_id(r, room, to) : UINT32_MAX;
    if (to && one == UINT32_MAX)
        return -1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < room->n; i++) {
        uint32_t peer = room->members[i];
        if ((to && peer != one) || peer == r->script.leaving)
            continue;
        n += core_send_bytes(r, UINT32_MAX, peer, bytes, len);
    }
    r->stats.events_out += n;
    r->stats.script.sent += n;
    return (int)n;
}

int relay_script_send(struct relay *r, uint32_t room, uint32_t to, const void *body,
                      size_t len)
{
    const struct relay_room *rm = live(r, room);
    uint8_t buf[PROTO_EVENT_MAX];
    int n = rm ? proto_event_encode(buf, sizeof buf, to, body, len) : -1;
    if (n < 0)
        return -1;
    proto_state_stamp_sender(buf, RELAY_SCRIPT_SENDER);
    return send_event(r, rm, to, buf, (size_t)n);
}

int relay_script_keep(struct relay *r, uint32_t room, const char *key, const void *body,
                      size_t len)
{
    struct relay_room *rm = live(r, room);
    uint8_t buf[PROTO_EVENT_MAX];
    int n = rm ? proto_event_encode_kept(buf, sizeof buf, key, true, body, len) : -1;
    struct proto_event e;
    if (n < 0 || proto_event_decode(buf, (size_t)n, &e) != PROTO_OK)
        return -1;
    proto_state_stamp_sender(buf, RELAY_SCRIPT_SENDER);
    int k = core_kept_put(rm, RELAY_SCRIPT_SENDER, RELAY_SCRIPT_KEEPER, &e, buf, (size_t)n);
    if (k < 0)
        return k == -1 ? -2 : -3;
    core_room_changed(r, rm); /* its record holds it */
    send_event(r, rm, 0, buf, (size_t)n);
    return 0;
}

void relay_script_props(struct relay *r, uint32_t room, const struct proto_props *props)
{
    struct relay_room *rm = live(r, room);
    if (!rm)
        return;
    core_room_set_props(rm, props);
    core_room_tell(r, rm); /* every member told, its record changed */
}

void relay_script_tell(struct relay *r, uint32_t room, const char *text)
{
    const struct relay_room *rm = live(r, room);
    uint8_t buf[PROTO_EVENT_MAX];
    char body[PROTO_EVENT_BODY_MAX + 1];
    int len = snprintf(body, sizeof body, "%s%s", RELAY_SCRIPT_TOLD, text);
    int n = rm && len > 0 ? proto_event_encode(buf, sizeof buf, PROTO_EVENT_ROOM, body,
                                               (size_t)len < PROTO_EVENT_BODY_MAX
                                                   ? (size_t)len : PROTO_EVENT_BODY_MAX)
                          : -1;
    if (n < 0)
        return;
    proto_state_stamp_sender(buf, RELAY_SCRIPT_SENDER);
    uint32_t sent = 0;
    for (uint32_t i = 0; i < rm->n; i++)
        if (rm->members[i] != r->script.leaving)
            sent += core_send_bytes(r, UINT32_MAX, rm->members[i], buf, (size_t)n);
    r->stats.events_out += sent;
}

void relay_script_open(struct relay *r, uint32_t room, bool open)
{
    struct relay_room *rm = live(r, room);
    if (!rm || rm->settings.closed == !open)
        return;
    core_room_set_open(rm, open);
    core_room_tell(r, rm);
}

enum relay_script_from relay_script_room_from(const struct relay *r, uint32_t room)
{
    const struct relay_room *rm = live(r, room);
    if (!rm || !rm->restored)
        return RELAY_SCRIPT_MADE;
    return r->fleet.place ? RELAY_SCRIPT_FROM_MOVE : RELAY_SCRIPT_FROM_FILE;
}

const struct proto_props *relay_script_room_props(const struct relay *r, uint32_t room)
{
    const struct relay_room *rm = live(r, room);
    return rm ? &rm->settings.props : NULL;
}

bool relay_script_kept_next(const struct relay *r, uint32_t room, size_t *at,
                            const uint8_t **bytes, size_t *len,
                            char keeper[PROTO_PLAYER_LEN + 1])
{
    const struct relay_room *rm = live(r, room);
    return rm && core_kept_next(rm, at, bytes, len, keeper);
}

bool relay_script_kick(struct relay *r, uint32_t room, uint32_t id, const char *why)
{
    const struct relay_room *rm = live(r, room);
    if (!rm || member_by_id(r, rm, id) == UINT32_MAX || r->script.n_kicks >= RELAY_SCRIPT_KICKS)
        return false;
    for (uint32_t i = 0; i < r->script.n_kicks; i++)
        if (r->script.kicks[i].room == room && r->script.kicks[i].id == id)
            return true; /* asked already */
    uint32_t k = r->script.n_kicks++;
    r->script.kicks[k].room = room;
    r->script.kicks[k].id = id;
    snprintf(r->script.kicks[k].why, sizeof r->script.kicks[k].why, "%s",
             why && why[0] ? why : "the room's script kicked you");
    return true;
}

void relay_script_failed(struct relay *r, uint32_t room, bool end, const char *text)
{
    relay_script_open(r, room, false);
    if (!end) {
        relay_script_tell(r, room, text);
        return;
    }
    if (!live(r, room) || r->script.n_kicks >= RELAY_SCRIPT_KICKS + RELAY_SCRIPT_ENDS)
        return; /* past the ends a turn holds: closed, nothing of it passes */
    uint32_t k = r->script.n_kicks++;
    r->script.kicks[k].room = room;
    r->script.kicks[k].id = RELAY_SCRIPT_SENDER; /* no member's: the whole room */
    snprintf(r->script.kicks[k].why, sizeof r->script.kicks[k].why, "%s", text);
}

/* Closes every member of room kicked with why (from the last: each leaves
 * the room's list as it goes). */
static void end_room(struct relay *r, uint32_t room, const char *why, uint64_t now_us)
{
    const struct relay_room *rm = live(r, room);
    for (uint32_t j = rm ? rm->n : 0; j-- > 0;) {
        rm = live(r, room);
        if (!rm || j >= rm->n)
            continue;
        uint32_t peer = rm->members[j];
        if (!r->peers[peer].backlog.closing)
            core_evict(r, peer, PROTO_ERROR_KICKED, why, now_us);
    }
}

bool relay_script_settle(struct relay *r, uint64_t now_us)
{
    if (!r->script.n_kicks)
        return false;
    core_clock(r, now_us);
    /* Taken first: a kick's leave hook may ask for more (carried out next time). */
    uint32_t n = r->script.n_kicks;
    struct relay_script_kick kicks[RELAY_SCRIPT_KICKS + RELAY_SCRIPT_ENDS];
    memcpy(kicks, r->script.kicks, n * sizeof kicks[0]);
    r->script.n_kicks = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (kicks[i].id == RELAY_SCRIPT_SENDER) {
            end_room(r, kicks[i].room, kicks[i].why, now_us);
            continue;
        }
        const struct relay_room *rm = live(r, kicks[i].room);
        uint32_t peer = rm ? member_by_id(r, rm, kicks[i].id) : UINT32_MAX;
        if (peer != UINT32_MAX && !r->peers[peer].backlog.closing)
            core_evict(r, peer, PROTO_ERROR_KICKED, kicks[i].why, now_us);
    }
    core_settle(r, now_us);
    return true;
}

size_t relay_script_members(const struct relay *r, uint32_t room,
                            struct relay_script_member *out, size_t cap)
{
    const struct relay_room *rm = live(r, room);
    size_t n = 0;
    for (uint32_t i = 0; rm && i < rm->n && n < cap; i++)
        if (rm->members[i] != r->script.leaving)
            core_script_member(r, rm->members[i], &out[n++]);
    return n;
}

void relay_set_script(struct relay *r, const struct relay_script_ops *ops)
{
    r->script.on = ops != NULL;
    r->script.ops = ops ? *ops : (struct relay_script_ops){0};
    r->script.leaving = UINT32_MAX;
}

struct relay_script_counts *relay_script_counts(struct relay *r)
{
    return &r->stats.script;
}

uint32_t relay_script_slots(const struct relay *r)
{
    return r->cfg.max_rooms;
}
