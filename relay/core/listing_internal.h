/* listing_internal.h: listing.c's calls: rooms listed (the rooms request), a
 * join's pick of any room with space. Private to relay/core/: a core file
 * includes it when it calls listing.c, and only then. */
#ifndef RICOCHET_CORE_LISTING_INTERNAL_H
#define RICOCHET_CORE_LISTING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* A rooms request (m) of len bytes from peer: answered with a listing (a
 * page of the rooms under m->prefix after m->after, within the edge's
 * message_max), or refused: a non-member where sources can be forged, or
 * on a relay that takes tickets (not_joined), a relay that lists none
 * (listing_off), a peer past its byte budget (rate_limited). The listing's
 * bytes are spent from the peer's byte budget. Returns 0 or the
 * relay_on_datagram code. */
int core_on_rooms(struct relay *r, uint32_t peer, const struct proto_control *m, size_t len,
                  uint64_t now_us);

/* A page of the rooms under prefix after after (NULL or "": from the
 * first) whose props hold match (NULL or empty: any), with their props,
 * into r->out, a listing made afresh (its prefix, rooms, rooms_props,
 * rooms_len and more). */
void core_list_page(struct relay *r, const char *prefix, const char *after,
                    const struct proto_props *match);

/* r->out, a listing, encoded within what peer's edge sends in one message
 * (sealed, if its session is): a page too long is cut to the rooms that
 * fit, and says `more`. Returns the length or a negative proto_err. */
int core_encode_page(struct relay *r, uint32_t peer);

/* A join with `any` (room: its prefix, PROTO_ROOM_MAX + 1 bytes) from
 * peer: room becomes the fullest listed, open room under the prefix whose
 * props hold match (NULL or empty: any) with space here (a fleet asks
 * its directory instead: core_any_pick), ties to the first by name; else
 * prefix + the smallest number no room under it has. Refused (counted, answered) on a
 * relay that lists no rooms (listing_off) and for a prefix too long to take
 * PROTO_ANY_DIGITS more (bad_room). Returns 0 or the relay_on_datagram
 * code. */
int core_any_room(struct relay *r, uint32_t peer, char *room, const struct proto_props *match,
                  uint64_t now_us);

/* The next ask of a fleet's directory, a rooms request's or a join of any
 * room's (never 0: none). */
uint32_t core_next_ask(struct relay *r);

/* core_any_room's refusals alone (listing_off, bad_room), before a fleet's
 * directory is asked. Returns 0 or the relay_on_datagram code. */
int core_any_check(struct relay *r, uint32_t peer, const char *room, uint64_t now_us);

/* A join of any room under room's prefix (whose props hold match), the
 * fleet's directory having answered a: room becomes the fuller of this
 * relay's fullest such room with space (its members now) and the
 * directory's pick (another relay's: its members as last written), ties
 * to the first by name; else the directory's free name. False if there is
 * none (every number taken). */
bool core_any_pick(const struct relay *r, char *room, const struct proto_props *match,
                   const struct relay_any_answer *a);

/* A fleet's directory answered ask (fleet_hooks.c routes it): */

/* ... true if it was peer's rooms request's, now answered (its ask cleared). */
bool core_list_asked(struct relay *r, uint32_t peer, uint32_t ask);

/* ... its page a, with this relay's own rooms merged in as they are now
 * (a's entries are a heartbeat old), into r->out; a directory that did not
 * answer: this relay's rooms alone, said to be partial. */
void core_list_answer(struct relay *r, const struct relay_rooms_answer *a);

/* r->out, a listing, sent to peer, its bytes spent from peer's budget.
 * Returns 0 or the relay_on_datagram code. */
int core_list_send(struct relay *r, uint32_t peer, uint64_t now_us);

#endif
