/* client_room.c: my room as the relay says it is: its settings and owner
 * from the welcome, replaced by each `room` message the relay pushes to its
 * members after a change (the owner's, an owner's handoff, a restore). The
 * view is whole each time: a message says every field it has, and one a
 * relay leaves out keeps its default (open, listed, no props). */
#include "client_internal.h"

#include <string.h>

/* m's view of the room into c (every field, defaults for the absent). */
static void take(struct ricochet *c, const struct proto_control *m)
{
    struct client_room_view *v = &c->room_view;
    memcpy(v->owner, m->owner, sizeof v->owner);
    v->closed = m->closed;
    v->unlisted = m->unlisted;
    v->size = m->size;
    v->props = m->props;
}

void client_room_welcomed(struct ricochet *c, const struct proto_control *m)
{
    take(c, m);
    /* a relay that names no owner: a LEFT naming a creator may say it later */
    c->room_mine = c->room_view.owner[0] && strcmp(c->room_view.owner, c->player) == 0;
}

int client_room_pushed(struct ricochet *c, const struct proto_control *m,
                       struct ricochet_event *ev)
{
    if (c->phase != PHASE_JOINED)
        return 0; /* my welcome says the room as it is */
    if (m->room[0] && strcmp(m->room, c->room) != 0) {
        client_bad_message(c, "room message for another room", PROTO_E_VALUE);
        return 0;
    }
    take(c, m);
    c->room_mine = c->room_view.owner[0] && strcmp(c->room_view.owner, c->player) == 0;
    ev->type = RICOCHET_EV_ROOM;
    ev->id = c->id;
    return 1;
}

void client_room_owner_left(struct ricochet *c, const char *creator)
{
    if (creator[0])
        memcpy(c->room_view.owner, creator, sizeof c->room_view.owner);
}
