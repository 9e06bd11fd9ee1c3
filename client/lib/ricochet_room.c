/* ricochet_room.c: the public API's view of my room (ricochet.h, "my
 * room as it is"): client_room.c's view copied out as plain values. */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>

const char *ricochet_room_owner(const struct ricochet *c)
{
    return c ? c->room_view.owner : "";
}

bool ricochet_room_open(const struct ricochet *c)
{
    return !c || !c->room_view.closed;
}

bool ricochet_room_listed(const struct ricochet *c)
{
    return !c || !c->room_view.unlisted;
}

uint32_t ricochet_room_size(const struct ricochet *c)
{
    return c ? c->room_view.size : 0;
}

size_t ricochet_room_props(const struct ricochet *c, struct ricochet_prop *out, size_t cap)
{
    if (!c)
        return 0;
    const char *value;
    size_t n = 0;
    for (const char *k = proto_props_next(&c->room_view.props, NULL, &value); k;
         k = proto_props_next(&c->room_view.props, k, &value), n++)
        if (out && n < cap) {
            snprintf(out[n].key, sizeof out[n].key, "%s", k);
            snprintf(out[n].value, sizeof out[n].value, "%s", value);
        }
    return n;
}
