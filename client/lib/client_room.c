/* client_room.c: my room as the relay says it is: its settings and owner
 * from the welcome, replaced by each `room` message the relay pushes to its
 * members after a change (the owner's, an owner's handoff, a restore). The
 * view is whole each time: a message says every field it has, and one a
 * relay leaves out keeps its default (open, listed, no props, no owner).
 * client_receive.c hands it the messages and decides what they mean for
 * the session (c->room_mine, the event). */
#include "client_internal.h"

#include <string.h>

void client_room_take(struct ricochet *c, const struct proto_control *m)
{
    struct client_room_view *v = &c->room_view;
    memcpy(v->owner, m->owner, sizeof v->owner);
    v->closed = m->closed;
    v->unlisted = m->unlisted;
    v->size = m->size;
    v->props = m->props;
}

bool client_room_owned_by(const struct ricochet *c, const char *player)
{
    return c->room_view.owner[0] && strcmp(c->room_view.owner, player) == 0;
}

void client_room_owner_left(struct ricochet *c, const char *owner)
{
    if (owner[0])
        memcpy(c->room_view.owner, owner, sizeof c->room_view.owner);
}
