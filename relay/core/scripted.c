/* scripted.c: the core's side of room scripts (relay/script/script_hooks.h):
 * the calls its files make where a script has a say (a join, a leave, an
 * event, a state, a room's end), each a pointer test when no engine is
 * installed; and what a script may do to its room, as the room itself. */
#include "core.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../sys/log.h"

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

static uint32_t slot_of(const struct relay *r, const struct relay_room *room)
{
    return (uint32_t)(room - r->rooms.at);
}

static void member_of(const struct relay *r, uint32_t peer, struct relay_script_member *m)
{
    const struct relay_peer *p = &r->peers[peer];
    memset(m, 0, sizeof *m);
    m->id = p->id;
    memcpy(m->name, p->name, sizeof m->name);
    memcpy(m->player, p->player, sizeof m->player);
    m->has_state = p->has_state;
    m->state = p->last;
}

int core_script_join(struct relay *r, uint32_t peer, struct relay_room *room, const char *who,
                     uint32_t was, uint64_t now_us)
{
    if (!r->script.ops.join || was != UINT32_MAX) /* one taking its place back: no join */
        return 0;
    struct relay_script_member m = {0};
    /* the id become_member draws next */
    m.id = r->next_id && r->next_id != RELAY_SCRIPT_SENDER ? r->next_id : 1;
    if (m.id <= r->rooms.ids_kept && r->rooms.ids_kept < UINT32_MAX)
        m.id = r->rooms.ids_kept + 1;
    snprintf(m.name, sizeof m.name, "%s", who);
    memcpy(m.player, r->peers[peer].player, sizeof m.player);
    char why[PROTO_TEXT_MAX + 1] = "";
    bool ok = r->script.ops.join(r->script.ops.ctx, slot_of(r, room), room->name,
                                 &room->settings.props, &m, now_us, why, sizeof why);
    if (ok)
        return 0;
    r->stats.script.refused++;
    if (room->n == 0 && !room->hold_until_us) /* made for this join: it ends with it */
        core_room_free(r, room);
    return core_reject(r, peer, RELAY_DROP_SCRIPT_REFUSED, now_us, "%s",
                       why[0] ? why : "the room's script refused the join");
}

void core_script_leave(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!r->script.ops.leave || !p->joined)
        return;
    struct relay_script_member m;
    member_of(r, peer, &m);
    r->script.leaving = peer;
    r->script.ops.leave(r->script.ops.ctx, p->room, &m, r->now_us);
    r->script.leaving = UINT32_MAX;
}

/* Is e's key one the room keeps itself (its script's, RELAY_SCRIPT_KEEPER)? */
static bool room_keeps(const struct relay_room *room, const struct proto_event *e)
{
    char keeper[PROTO_PLAYER_LEN + 1];
    return (e->flags & PROTO_EVENT_KEEP) && core_kept_keeper(room, e, keeper) &&
           strcmp(keeper, RELAY_SCRIPT_KEEPER) == 0;
}

int core_script_event(struct relay *r, uint32_t peer, uint8_t **bytes, size_t *len,
                      struct proto_event *e, uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    if (room_keeps(&r->rooms.at[p->room], e)) /* with a script or not: a restored room's */
        return core_reject(r, peer, RELAY_DROP_NOT_OWNER, now_us,
                           "the kept key '%.*s' is the room's own: no member replaces or "
                           "clears it", (int)e->key_len, (const char *)e->key);
    if (!r->script.ops.event)
        return 0;
    struct relay_script_member m;
    member_of(r, peer, &m);
    uint8_t *out = r->script.event;
    size_t head = (size_t)(e->body - *bytes); /* the header and the key stay */
    size_t n = PROTO_EVENT_BODY_MAX - e->key_len;
    uint8_t body[PROTO_EVENT_BODY_MAX];
    enum relay_script_verdict v = r->script.ops.event(r->script.ops.ctx, p->room, &m, e, body,
                                                      &n, now_us);
    if (v == RELAY_SCRIPT_DROP) {
        r->stats.script.dropped++;
        return 1;
    }
    if (v != RELAY_SCRIPT_CHANGED || n > PROTO_EVENT_BODY_MAX - e->key_len)
        return 0;
    memmove(out, *bytes, head);
    memcpy(out + head, body, n);
    *bytes = out;
    *len = head + n;
    proto_event_decode(out, *len, e); /* valid: its head and key as they came */
    r->stats.script.changed++;
    return 0;
}

int core_script_state(struct relay *r, uint32_t peer, uint8_t *bytes, size_t len,
                      struct proto_state *s, uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!r->script.ops.state)
        return 0;
    struct relay_script_member m;
    member_of(r, peer, &m);
    struct proto_state c = *s;
    enum relay_script_verdict v = r->script.ops.state(r->script.ops.ctx, p->room, &m, &c,
                                                      now_us);
    if (v == RELAY_SCRIPT_DROP) {
        r->stats.script.dropped++;
        return 1;
    }
    if (v != RELAY_SCRIPT_CHANGED)
        return 0;
    c.sender = s->sender; /* a script corrects where, never who nor when */
    c.seq = s->seq;
    c.send_us = s->send_us;
    uint8_t head[PROTO_STATE_SIZE];
    if (len < PROTO_STATE_SIZE || proto_state_encode(head, sizeof head, &c) < 0)
        return 0; /* out of range (the engine checks): as it came */
    memcpy(bytes, head, sizeof head); /* its payload after the state stays */
    *s = c;
    r->stats.script.changed++;
    return 0;
}

void core_script_room_end(struct relay *r, struct relay_room *room)
{
    if (r->script.ops.room_end)
        r->script.ops.room_end(r->script.ops.ctx, slot_of(r, room));
}

/* The live room at slot room, or NULL. */
static struct relay_room *live(const struct relay *r, uint32_t room)
{
    return room < r->cfg.max_rooms && r->rooms.at[room].used ? &r->rooms.at[room] : NULL;
}

uint32_t relay_script_slots(const struct relay *r)
{
    return r->cfg.max_rooms;
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
    rm->settings.props = *props;
    core_room_tell(r, rm); /* every member told, its record changed */
}

void relay_script_open(struct relay *r, uint32_t room, bool open)
{
    struct relay_room *rm = live(r, room);
    if (!rm || rm->settings.closed == !open)
        return;
    rm->settings.closed = !open;
    core_room_tell(r, rm);
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

bool relay_script_settle(struct relay *r, uint64_t now_us)
{
    if (!r->script.n_kicks)
        return false;
    core_clock(r, now_us);
    /* Taken first: a kick's leave hook may ask for more (carried out next time). */
    uint32_t n = r->script.n_kicks;
    struct relay_script_kick kicks[RELAY_SCRIPT_KICKS];
    memcpy(kicks, r->script.kicks, n * sizeof kicks[0]);
    r->script.n_kicks = 0;
    for (uint32_t i = 0; i < n; i++) {
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
            member_of(r, rm->members[i], &out[n++]);
    return n;
}
