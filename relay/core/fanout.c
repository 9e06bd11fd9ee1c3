/* fanout.c: a stamped state to the members of its sender's room (see
 * core.h), at once (states.c) or at the end of its tick (tick.c). */
#include "core.h"

/* Sealed sessions: the state sealed again for each of the n recipients
 * (r->recipients), each under its own key and counter. Returns how many
 * were sent. */
static size_t fan_out_sealed(struct relay *r, uint32_t from, size_t n, uint8_t channel,
                             uint32_t flags, const uint8_t *bytes, size_t len)
{
    enum seal_lane lane = flags & PROTO_FLAG_RELIABLE ? SEAL_LANE_RELIABLE : SEAL_LANE_STATE;
    uint8_t box[PROTO_STATE_MAX + SEAL_OVERHEAD];
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        size_t out;
        const uint8_t *b = core_seal_for(r, r->recipients[i], lane, bytes, len, box,
                                         sizeof box, &out);
        if (!b)
            continue;
        r->stats.states_out++;
        r->stats.bytes_out += out;
        r->tp.send_state(r->tp.ctx, from, &r->recipients[i], 1, channel,
                         flags & PROTO_FLAGS_MASK, b, out);
        sent++;
    }
    return sent;
}

void core_fan_out(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                  const uint8_t *bytes, size_t len)
{
    const struct relay_peer *p = &r->peers[peer];
    struct relay_room *room = &r->rooms[p->room];
    size_t n = 0;
    if (room->grid) {
        n = core_interest_seers(r, peer, r->recipients);
        if (p->reflect)
            r->recipients[n++] = peer;
    } else {
        for (uint32_t i = 0; i < room->n; i++)
            if (room->members[i] != peer || p->reflect)
                r->recipients[n++] = room->members[i];
    }
    if (n == 0)
        return;
    if (r->cfg.encrypt) {
        n = fan_out_sealed(r, peer, n, channel, flags, bytes, len);
    } else {
        r->stats.states_out += n;
        r->stats.bytes_out += (uint64_t)n * len;
        r->tp.send_state(r->tp.ctx, peer, r->recipients, n, channel, flags & PROTO_FLAGS_MASK,
                         bytes, len);
    }
    /* The mode the states came in: the one whose way down this is. */
    enum proto_mode mode;
    if (proto_mode_from_down(channel, flags, &mode) == 0)
        r->stats.states_out_mode[mode] += n;
    room->states_out += n;
}
