/* client_room_internal.h: client_room.c's part of a session, and its calls:
 * my room as the relay last said it is (its settings and owner, from the
 * welcome and every `room` message after).
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_ROOM_INTERNAL_H
#define RICOCHET_CLIENT_ROOM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"

struct ricochet;

/* My room's settings and owner (PROTOCOL.md, "Rooms with properties"). */
struct client_room_view {
    char owner[PROTO_PLAYER_LEN + 1]; /* its owner's player id ("": none, or not said) */
    bool closed, unlisted;            /* open and listed, as the wire's negations */
    uint32_t size;                    /* the most members it takes (0: not said) */
    struct proto_props props;
};

/* ---- my room as it is (client_room.c) ---- */

/* The room as m (a welcome, or a room message from the relay) says it. */
void client_room_take(struct ricochet *c, const struct proto_control *m);

/* Is player (a player id) my room's owner, as last said? */
bool client_room_owned_by(const struct ricochet *c, const char *player);

/* A left notice named owner (a player id, "": none) the room's owner now. */
void client_room_owner_left(struct ricochet *c, const char *owner);

#endif
