/* room_settings.c: rooms with properties (see rooms_internal.h and
 * PROTOCOL.md, "Rooms with properties"): what a room's owner sets (its
 * props, size, whether it is listed and takes joiners) from its join and
 * later from its room messages, the checks joins and listings make of
 * them, and the room as it is told to its members. */
#define BY_ROOM_SETTINGS_C /* this file writes the parts BY_ROOM_SETTINGS_C marks */
#include "core.h"
#include "admit_internal.h"
#include "control_out_internal.h"
#include "limits_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sys/log.h"

void core_room_ask_keep(struct core_room_ask *a, const struct proto_control *m)
{
    /* A join of any room that gives no props makes its room findable by its match. */
    *a = (struct core_room_ask){.props = m->props.n || !m->any ? m->props : m->match,
                                .size = m->size, .unlisted = m->unlisted,
                                .closed = m->closed, .exists = m->exists};
}

void core_room_ask_give(struct proto_control *m, const struct core_room_ask *a)
{
    m->props = a->props;
    m->size = a->size;
    m->unlisted = a->unlisted;
    m->closed = a->closed;
    m->exists = a->exists;
}

int core_room_ask_check(struct relay *r, uint32_t peer, const struct proto_control *m,
                        uint64_t now_us)
{
    /* The bound of the kind of room the join would make (core_room_cap). */
    uint32_t most = r->cfg.max_room_size;
    if (m->aoi == 0 && most > PROTO_ROSTER_MAX)
        most = PROTO_ROSTER_MAX;
    if (m->size > most)
        return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                           "size: 1..%" PRIu32 " members on this relay (--max-room-size%s)",
                           most, m->aoi == 0 && most == PROTO_ROSTER_MAX
                                     ? ", and a welcome's roster" : "");
    return 0;
}

int core_room_admits(struct relay *r, uint32_t peer, const struct relay_room *room,
                     uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!room->settings.closed || strcmp(room->settings.owner, p->player) == 0)
        return 0;
    if (r->fleet.was_member && r->fleet.was_member(r->fleet.ctx, room->name, p->player))
        return 0; /* a member of the room before it moved here */
    /* Not named, as room_full: the joiner knows which it asked for. */
    return core_reject(r, peer, RELAY_DROP_ROOM_CLOSED, now_us,
                       "the room is closed to joiners: wait for its owner to open it, "
                       "or join another");
}

void core_room_settle(struct relay *r, uint32_t peer, struct relay_room *room,
                      const struct proto_control *m)
{
    struct core_room_settings *s = &room->settings;
    struct core_room_ask a;
    core_room_ask_keep(&a, m);
    s->props = a.props;
    s->size = a.size;
    s->unlisted = a.unlisted;
    s->closed = a.closed;
    memcpy(s->owner, r->peers[peer].player, sizeof s->owner);
}

void core_room_settings_restore(struct relay_room *room, const struct proto_room_record *rec)
{
    struct core_room_settings *s = &room->settings;
    s->props = rec->props;
    s->size = rec->size;
    s->unlisted = !rec->listed;
    s->closed = !rec->open;
    memcpy(s->owner, rec->owner, sizeof s->owner);
}

void core_room_set_props(struct relay_room *room, const struct proto_props *props)
{
    room->settings.props = *props;
}

void core_room_set_open(struct relay_room *room, bool open)
{
    room->settings.closed = !open;
}

uint32_t core_room_eldest(const struct relay *r, const struct relay_room *room, uint32_t except)
{
    uint32_t eldest = UINT32_MAX;
    /* Ids are drawn in join order (one taking its place back keeps its own). */
    for (uint32_t i = 0; i < room->n; i++) {
        uint32_t m = room->members[i];
        if (m != except && (eldest == UINT32_MAX || r->peers[m].id < r->peers[eldest].id))
            eldest = m;
    }
    return eldest;
}

void core_room_state(const struct relay *r, const struct relay_room *room,
                     struct proto_control *m)
{
    const struct core_room_settings *s = &room->settings;
    memcpy(m->owner, s->owner, sizeof m->owner);
    m->props = s->props;
    m->closed = s->closed;
    m->unlisted = s->unlisted;
    m->size = core_room_cap(r, room);
}

void core_room_tell(struct relay *r, struct relay_room *room)
{
    core_room_changed(r, room);
    if (room->n == 0)
        return;
    proto_control_init(&r->out, PROTO_CTL_ROOM);
    snprintf(r->out.room, sizeof r->out.room, "%s", room->name);
    core_room_state(r, room, &r->out);
    core_send_out_room(r, room, UINT32_MAX, UINT32_MAX);
}

void core_room_hand_over(struct relay *r, struct relay_room *room, uint32_t heir,
                         const char *why)
{
    const struct relay_peer *h = &r->peers[heir];
    memcpy(room->settings.owner, h->player, sizeof room->settings.owner);
    log_info("relay: room '%s': %s, %s (id %" PRIu32 ") owns it", room->name, why, h->name,
             h->id);
}

uint32_t core_room_owner_leaves(struct relay *r, struct relay_room *room, uint32_t leaver)
{
    if (strcmp(room->settings.owner, r->peers[leaver].player) != 0)
        return UINT32_MAX;
    uint32_t heir = core_room_eldest(r, room, leaver);
    if (heir != UINT32_MAX)
        core_room_hand_over(r, room, heir, "its owner left");
    return heir;
}

bool core_room_listed(const struct relay_room *room, const struct proto_props *match)
{
    return !room->settings.unlisted && (!match || proto_props_match(&room->settings.props, match));
}

int core_on_room(struct relay *r, uint32_t peer, const struct proto_control *m, size_t len,
                 uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "room before join: a room's owner changes it from within");
    struct relay_room *room = &r->rooms.at[p->room];
    struct core_room_settings *s = &room->settings;
    if (strcmp(s->owner, p->player) != 0)
        return core_reject(r, peer, RELAY_DROP_NOT_ROOM_OWNER, now_us,
                           "only the room's owner changes it (its player %.12s...)",
                           s->owner[0] ? s->owner : "gone");
    int rc = core_budget_admit(r, peer, now_us);
    if (rc < 0)
        return rc;
    core_budget_spend(r, peer, (uint64_t)len);
    if (m->room_set & PROTO_ROOM_SET_OPEN)
        s->closed = m->closed;
    if (m->room_set & PROTO_ROOM_SET_LISTED)
        s->unlisted = m->unlisted;
    if (m->room_set & PROTO_ROOM_SET_PROPS)
        s->props = m->props;
    log_debug("relay: room '%s' %s, %s, %u props", room->name, s->closed ? "closed" : "open",
              s->unlisted ? "unlisted" : "listed", (unsigned)s->props.n);
    core_room_tell(r, room);
    return 0;
}
