/* scripted_ops.c: the core's leaf of room scripts (relay/core/script_port.h):
 * the engine's table installed, the counters it counts into, a member as a
 * script sees it, a room's end told. It calls no other file of the core,
 * so that every file may call it (rooms.c at a room's end). */
#include "core.h"
#include "scripted_internal.h"

#include <string.h>

void relay_set_script(struct relay *r, const struct relay_script_ops *ops)
{
    r->script.on = ops != NULL;
    r->script.ops = ops ? *ops : (struct relay_script_ops){0};
    r->script.leaving = UINT32_MAX;
}

struct relay_script_counts *relay_script_counts(struct relay *r)
{
    return &r->stats.script;
}

uint32_t relay_script_slots(const struct relay *r)
{
    return r->cfg.max_rooms;
}

void core_script_member(const struct relay *r, uint32_t peer, struct relay_script_member *m)
{
    const struct relay_peer *p = &r->peers[peer];
    memset(m, 0, sizeof *m);
    m->id = p->id;
    memcpy(m->name, p->name, sizeof m->name);
    memcpy(m->player, p->player, sizeof m->player);
    m->has_state = p->has_state;
    m->state = p->last;
}

void core_script_room_end(struct relay *r, struct relay_room *room)
{
    if (r->script.ops.room_end)
        r->script.ops.room_end(r->script.ops.ctx, (uint32_t)(room - r->rooms.at));
}
