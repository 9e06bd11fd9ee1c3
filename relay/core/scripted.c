/* scripted.c: where the core's files call a room's script (see
 * relay/core/script_port.h): a join, a leave, an event, a state, each a
 * pointer test when no engine is installed; and the room's own kept keys,
 * which no member replaces or clears. */
#include "core.h"
#include "kept_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"
#include "scripted_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void core_script_member(const struct relay *r, uint32_t peer, struct relay_script_member *m)
{
    const struct relay_peer *p = &r->peers[peer];
    memset(m, 0, sizeof *m);
    m->id = p->id;
    memcpy(m->name, p->name, sizeof m->name);
    memcpy(m->player, p->player, sizeof m->player);
    m->has_state = p->has_state;
    m->state = p->last;
}

static uint32_t slot_of(const struct relay *r, const struct relay_room *room)
{
    return (uint32_t)(room - r->rooms.at);
}

int core_script_join(struct relay *r, uint32_t peer, struct relay_room *room, const char *who,
                     uint32_t was, uint64_t now_us)
{
    if (!r->script.ops.join || was != UINT32_MAX) /* one taking its place back: no join */
        return 0;
    struct relay_script_member m = {0};
    /* the id become_member draws next */
    m.id = r->next_id && r->next_id != RELAY_SCRIPT_SENDER ? r->next_id : 1;
    if (m.id <= r->rooms.ids_kept && r->rooms.ids_kept < RELAY_SCRIPT_SENDER - 1)
        m.id = r->rooms.ids_kept + 1;
    snprintf(m.name, sizeof m.name, "%s", who);
    memcpy(m.player, r->peers[peer].player, sizeof m.player);
    char why[PROTO_TEXT_MAX + 1] = "";
    enum relay_script_verdict v = r->script.ops.join(r->script.ops.ctx, slot_of(r, room),
                                                     room->name, &room->settings.props, &m,
                                                     now_us, why, sizeof why);
    if (v != RELAY_SCRIPT_DROP && v != RELAY_SCRIPT_BUSY)
        return 0;
    if (v == RELAY_SCRIPT_DROP)
        r->stats.script.refused++;
    if (room->n == 0 && !room->hold_until_us) /* made for this join: it ends with it */
        core_room_free(r, room);
    if (v == RELAY_SCRIPT_BUSY)
        return core_reject_as(r, peer, RELAY_DROP_SCRIPT_BUSY, PROTO_ERROR_SCRIPT_REFUSED,
                              now_us, "the room's script is busy: join again in a second");
    return core_reject(r, peer, RELAY_DROP_SCRIPT_REFUSED, now_us, "%s",
                       why[0] ? why : "the room's script refused the join");
}

void core_script_leave(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!r->script.ops.leave || !p->joined)
        return;
    struct relay_script_member m;
    core_script_member(r, peer, &m);
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

int core_script_dropped(struct relay *r, enum relay_script_verdict v)
{
    if (v == RELAY_SCRIPT_BUSY) { /* not judged: never passed unjudged */
        relay_count_drop(r, RELAY_DROP_SCRIPT_BUSY);
        return 1;
    }
    if (v == RELAY_SCRIPT_DROP) {
        r->stats.script.dropped++;
        return 1;
    }
    return 0;
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
    core_script_member(r, peer, &m);
    uint8_t *out = r->script.event;
    size_t head = (size_t)(e->body - *bytes); /* the header and the key stay */
    size_t n = PROTO_EVENT_BODY_MAX - e->key_len;
    uint8_t body[PROTO_EVENT_BODY_MAX];
    enum relay_script_verdict v = r->script.ops.event(r->script.ops.ctx, p->room, &m, e, body,
                                                      &n, now_us);
    if (core_script_dropped(r, v))
        return 1;
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
    core_script_member(r, peer, &m);
    struct proto_state c = *s;
    enum relay_script_verdict v = r->script.ops.state(r->script.ops.ctx, p->room, &m, &c,
                                                      now_us);
    if (core_script_dropped(r, v))
        return 1;
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
