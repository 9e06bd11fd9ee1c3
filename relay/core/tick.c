/* tick.c: tick batching (see relay.h, relay_tick): accepted states
 * held until the end of their room's tick, then fanned out in arrival
 * order. */
#include "core.h"

#include <string.h>

#define TICK_PHASE_US 5000        /* rooms' ticks are staggered on this grid */

/* Sends the held states due by due_by, in arrival order, and keeps the
 * others (in order, packed at the front). A sender that left (or whose
 * handle now holds another session) since is skipped; a state stale at
 * now_us (0: none is) is dropped. */
static size_t fan_out_due(struct relay *r, uint64_t due_by, uint64_t now_us)
{
    size_t sent = 0;
    uint32_t kept = 0;
    size_t kept_bytes = 0;
    r->tick_due_us = UINT64_MAX;
    for (uint32_t i = 0; i < r->nheld; i++) {
        struct relay_held *h = &r->held[i];
        if (h->due_us > due_by) {
            /* Later states only move down: memmove is safe. */
            memmove(r->held_bytes + kept_bytes, r->held_bytes + h->off, h->len);
            h->off = (uint32_t)kept_bytes;
            kept_bytes += h->len;
            if (h->due_us < r->tick_due_us)
                r->tick_due_us = h->due_us;
            r->held[kept++] = *h;
            continue;
        }
        const struct relay_peer *p = &r->peers[h->peer];
        if (!p->joined || p->id != h->id)
            continue;
        if (now_us && core_shed_stale(r, h->flags, h->arrived_us, now_us))
            continue;
        core_fan_out(r, h->peer, h->channel, h->flags, r->held_bytes + h->off, h->len);
        sent++;
    }
    if (kept < r->nheld)
        r->stats.ticks++;
    r->nheld = kept;
    r->held_used = kept_bytes;
    return sent;
}

size_t core_fan_out_held(struct relay *r, uint64_t now_us)
{
    return fan_out_due(r, UINT64_MAX, now_us);
}

uint64_t core_arrived_by(const struct relay *r, uint64_t now_us)
{
    return r->arrived_by_us && r->arrived_by_us < now_us ? r->arrived_by_us : now_us;
}

bool core_shed_stale(struct relay *r, uint32_t flags, uint64_t arrived_us, uint64_t now_us)
{
    if (!r->cfg.stale_us || (flags & PROTO_FLAG_RELIABLE) || now_us <= arrived_us ||
        now_us - arrived_us <= r->cfg.stale_us)
        return false;
    r->stats.drops[RELAY_DROP_STALE]++;
    return true;
}

void core_fan_out_leaver(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    for (uint32_t i = 0; i < r->nheld; i++) {
        struct relay_held *h = &r->held[i];
        if (h->peer != peer || h->id != p->id)
            continue;
        core_fan_out(r, peer, h->channel, h->flags, r->held_bytes + h->off, h->len);
        h->id = 0; /* sent: no relay id is 0, so its tick skips it */
    }
}

/* When a state that room slot `room` receives at now_us is due. Ticks are
 * a fixed grid of tick_us, so the wait is at most tick_us. With many rooms
 * and a long tick, the rooms' grids are staggered: K = tick_us / 5 ms
 * phases (rounded up), room slot i ends its ticks (i mod K) x tick_us / K
 * after phase 0's. Each room still gets its whole tick in one fan-out, but
 * the relay sends a K-th of the rooms every 5 ms rather than all of them at
 * once: the fan-out of 2000 rooms' tick takes tens of ms, and the last
 * recipients would wait that long on top of the tick. */
static uint64_t tick_due(const struct relay *r, uint32_t room, uint64_t now_us)
{
    uint64_t tick = r->cfg.tick_us;
    uint64_t phases = (tick + TICK_PHASE_US - 1) / TICK_PHASE_US;
    uint64_t offset = room % phases * (tick / phases);
    return now_us - (now_us + tick - offset) % tick + tick;
}

int core_hold(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
              const uint8_t *bytes, size_t len, uint64_t now_us)
{
    if (r->nheld == TICK_QUEUE || TICK_ARENA - r->held_used < len)
        core_fan_out_held(r, now_us);
    uint64_t arrived = r->arrived_after_us && r->arrived_after_us < now_us ? r->arrived_after_us
                                                                             : now_us;
    uint64_t due = tick_due(r, r->peers[peer].room, arrived);
    if (r->nheld == 0 || due < r->tick_due_us)
        r->tick_due_us = due;
    struct relay_held *h = &r->held[r->nheld++];
    *h = (struct relay_held){ .peer = peer, .id = r->peers[peer].id, .channel = channel,
                              .flags = (uint8_t)flags, .len = (uint16_t)len,
                              .off = (uint32_t)r->held_used, .due_us = due,
                              .arrived_us = core_arrived_by(r, now_us) };
    memcpy(r->held_bytes + r->held_used, bytes, len);
    r->held_used += len;
    return 0;
}

size_t relay_tick(struct relay *r, uint64_t now_us)
{
    if (r->nheld == 0 || now_us < r->tick_due_us)
        return 0;
    timehist_record(&r->stats.tick_lag, now_us - r->tick_due_us);
    return fan_out_due(r, now_us, now_us);
}

void relay_fanout_took(struct relay *r, uint64_t us)
{
    timehist_record(&r->stats.fanout, us);
}

void relay_arrived(struct relay *r, uint64_t after_us, uint64_t by_us)
{
    r->arrived_after_us = after_us;
    r->arrived_by_us = by_us;
}

uint64_t relay_tick_due(const struct relay *r)
{
    return r->nheld ? r->tick_due_us : UINT64_MAX;
}
