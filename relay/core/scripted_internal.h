/* scripted_internal.h: the core's calls into a room's script, one line
 * each where it calls them (join.c, control_in.c, state_flow.c, peers.c). */
#ifndef RICOCHET_CORE_SCRIPTED_INTERNAL_H
#define RICOCHET_CORE_SCRIPTED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "script_port.h"

struct relay;
struct relay_room;

/* ---- the core's calls (relay/core/scripted.c), one line each where it
 * calls them ---- */

/* peer (its player known, who: its name) asks to join room (made for it,
 * or live; was: the member whose place it takes back, UINT32_MAX: none):
 * 0, or refused (error script_refused with the script's reason; a room
 * left empty freed) and the relay_on_datagram code. */
int core_script_join(struct relay *r, uint32_t peer, struct relay_room *room, const char *who,
                     uint32_t was, uint64_t now_us);

/* peer leaves its room (still a member): its script's on_leave. */
void core_script_leave(struct relay *r, uint32_t peer);

/* An event from peer (admitted, stamped; e decoded from *bytes): 0 to go
 * on (*bytes, *len and e replaced if the script changed its body), 1
 * dropped by the script; a kept event for a key the room keeps itself
 * refused (not_owner): the relay_on_datagram code. */
int core_script_event(struct relay *r, uint32_t peer, uint8_t **bytes, size_t *len,
                      struct proto_event *e, uint64_t now_us);

/* A state from peer (admitted, stamped; s decoded from bytes): 0 to go on
 * (bytes and s corrected if the script did), 1 dropped by the script. */
int core_script_state(struct relay *r, uint32_t peer, uint8_t *bytes, size_t len,
                      struct proto_state *s, uint64_t now_us);

/* What a verdict of the room's script drops: 1 for a drop or a busy
 * script (each counted: what is not judged is never passed unjudged), 0
 * for one that lets it go on. */
int core_script_dropped(struct relay *r, enum relay_script_verdict v);

/* peer (a member) as a script sees it, into *m. */
void core_script_member(const struct relay *r, uint32_t peer, struct relay_script_member *m);

#endif
