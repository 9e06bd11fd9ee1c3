/* rooms_answer.c: a fleet's directory answers a rooms ask (proto/FLEET.md):
 * a watch's push (lobby.c) or a rooms request's page (listing.c), each
 * merged with this relay's own rooms (listing.c). It routes the answer so
 * that the listing and the lobby each call only the other way: the lobby
 * pages through the listing, the listing knows no lobby. */
#include "core.h"
#include "listing_internal.h"
#include "lobby_internal.h"
#include "peers_internal.h"

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
