/* control_in_internal.h: control_in.c's calls: control messages from clients
 * (chat, clock, ping, leave) and events, the game's own messages on the control
 * way. Private to relay/core/: a core file includes it when it calls
 * control_in.c, and only then. */
#ifndef RICOCHET_CORE_CONTROL_IN_INTERNAL_H
#define RICOCHET_CORE_CONTROL_IN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* A control message of len bytes (JSON) from peer; datagram: it came over
 * a bare datagram socket or a stream, with no channels. Returns 0 or the relay_on_datagram code. */
int core_on_control(struct relay *r, uint32_t peer, const uint8_t *bytes, size_t len,
                    bool datagram, uint64_t now_us);

/* An event (PROTO_MSG_EVENT) of len bytes (admitted, on the control way)
 * from peer: decoded (a body too long: too_big), from a member (not_joined),
 * to the room or to a member of it (no_member), stamped with its sender's
 * id in place and sent on the control way: to that member, or to every
 * other member of the room (a room with interest too, as chat). Returns 0
 * or the relay_on_datagram code. */
int core_on_event(struct relay *r, uint32_t peer, uint8_t *bytes, size_t len, uint64_t now_us);

#endif
