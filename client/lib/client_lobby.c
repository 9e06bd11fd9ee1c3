/* client_lobby.c: a lobby that stays, the session's side of PROTOCOL.md's
 * section of that name: ricochet_watch_rooms asks the relay to watch the
 * rooms under a prefix for this lobby, and while it does the session
 * pings to keep the watch (docs/library.md, "Rooms to list: a lobby").
 * The lobby then has no join timeout while it is heard from, and each
 * change of its first page comes as RICOCHET_EV_ROOMS, as an answer does.
 * A ping goes whenever the session sent nothing for a third of its
 * timeout (what keeps any connection alive), and at least every
 * LOBBY_PING_US (a third of the relay's 30 s --lobby-idle-ms), or with a
 * rejoin window a third of its rejoin_after: a relay gone silent is lost,
 * and the lobby watches again through another (client_rejoin). A join ends
 * the watch (the relay's side too). */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>

#include "proto/control.h"
#include "proto/props.h"

#define LOBBY_PING_US 10000000ull

int ricochet_watch_rooms(struct ricochet *c, const char *prefix,
                         const struct ricochet_prop *match, size_t n, bool watch)
{
    struct proto_props want = {0};
    prefix = prefix ? prefix : "";
    if (!c || !proto_prefix_valid(prefix) || (n && !match))
        return RICOCHET_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (proto_props_add(&want, "match", match[i].key, match[i].value, NULL, 0) != 0)
            return RICOCHET_E_INVALID;
    /* a lobby still connecting asks once the connection is up */
    bool connecting = c->listing.lobby && c->phase == PHASE_CONNECTING;
    if (c->phase != PHASE_LOBBY && !connecting)
        return c->phase == PHASE_DEAD ? RICOCHET_E_SEND : RICOCHET_E_UNSUPPORTED;
    snprintf(c->listing.prefix, sizeof c->listing.prefix, "%s", prefix);
    c->listing.after[0] = '\0';
    c->listing.match = want;
    c->listing.watch = watch;
    c->listing.watch_ask = watch ? PROTO_WATCH_ON : PROTO_WATCH_OFF;
    if (!watch)
        c->listing.watching = false;
    c->listing.asked = true;
    if (connecting)
        return RICOCHET_OK;
    return client_send_listing(c) == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}

bool ricochet_watching(const struct ricochet *c)
{
    return c && c->phase == PHASE_LOBBY && c->listing.lobby && c->listing.watch &&
           c->listing.watching;
}

void client_lobby_step(struct ricochet *c, uint64_t now, uint32_t fleet_quiet_ms)
{
    if (c->phase != PHASE_LOBBY || !c->listing.watch)
        return;
    uint64_t quiet = (uint64_t)fleet_quiet_ms * 1000u < LOBBY_PING_US ? fleet_quiet_ms * 1000ull
                                                                      : LOBBY_PING_US;
    if (now >= client_idle_ping_us(c) || now >= c->last_ping_us + quiet)
        client_send_ping(c, now);
}
