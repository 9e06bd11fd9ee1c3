/* fanout.c: a stamped state to the members of its sender's room (see
 * core.h), at once (states.c) or at the end of its tick (tick.c). */
#include "core.h"

void core_fan_out(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                  const uint8_t *bytes, size_t len)
{
    const struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms[p->room];
    size_t n = 0;
    for (uint32_t i = 0; i < room->n; i++)
        if (room->members[i] != peer || p->reflect)
            r->recipients[n++] = room->members[i];
    if (n == 0)
        return;
    r->stats.states_out += n;
    r->stats.bytes_out += (uint64_t)n * len;
    r->tp.send_state(r->tp.ctx, r->recipients, n, channel,
                     flags & PROTO_FLAGS_MASK, bytes, len);
}
