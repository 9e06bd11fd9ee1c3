/* room_store.c: rooms kept (see rooms_internal.h and PROTOCOL.md, "Rooms
 * kept"): a room's record taken (its settings, owner, radius and stay
 * events), a room made again from one and held empty for its members, and
 * the holds let go. What writes the records where (--room-file, a fleet's
 * directory) is the caller's. */
#define BY_ROOM_STORE_C /* this file writes the parts BY_ROOM_STORE_C marks */
#include "core.h"
#include "kept_internal.h"
#include "rooms_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/log.h"

int core_room_record_take(const struct relay *r, const struct relay_room *room,
                          struct proto_room_record *rec)
{
    (void)r;
    const struct core_room_settings *s = &room->settings;
    proto_room_record_init(rec);
    rec->props = s->props;
    rec->size = s->size;
    rec->listed = !s->unlisted;
    rec->open = !s->closed;
    rec->aoi = room->grid ? room->grid->radius : 0;
    memcpy(rec->owner, s->owner, sizeof rec->owner);
    return core_kept_record(room, rec);
}

static struct relay_room *refuse(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct relay_room *refuse(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

struct relay_room *core_room_restore(struct relay *r, const char *name,
                                     const struct proto_room_record *rec, uint64_t now_us,
                                     char *why, size_t why_cap)
{
    if (strlen(name) > r->cfg.room_max || !proto_room_valid(name))
        return refuse(why, why_cap, "room '%.32s': not a room name of 1..%u bytes of "
                      "A-Z a-z 0-9 _ . -", name, (unsigned)r->cfg.room_max);
    if (core_room_find(r, name))
        return refuse(why, why_cap, "room '%s' is here already", name);
    /* The bound of a room of its kind (core_room_cap, core_room_ask_check). */
    uint32_t most = r->cfg.max_room_size;
    if (rec->aoi == 0 && most > PROTO_ROSTER_MAX)
        most = PROTO_ROSTER_MAX;
    if (rec->size > most)
        return refuse(why, why_cap, "room '%s': its size is past the %u members this relay's "
                      "rooms of its kind take (--max-room-size)", name, (unsigned)most);
    struct relay_room *room = core_room_create(r, name, rec->aoi);
    if (!room)
        return refuse(why, why_cap, "room '%s': no room for it (--max-rooms %u, or out of "
                      "memory)", name, (unsigned)r->cfg.max_rooms);
    core_room_settings_restore(room, rec);
    if (core_kept_restore(room, rec) != 0) {
        core_room_free(r, room);
        return refuse(why, why_cap, "room '%s': its kept events do not fit (%u bytes)", name,
                      (unsigned)rec->kept_bytes);
    }
    for (uint32_t i = 0; i < rec->n_kept; i++) { /* their senders' ids: no new member's */
        size_t len;
        const uint8_t *bytes = proto_room_record_event(rec, i, &len);
        uint32_t sender = proto_state_sender(bytes, len);
        if (sender > r->rooms.ids_kept && sender != RELAY_SCRIPT_SENDER) /* the room's: none */
            r->rooms.ids_kept = sender;
    }
    room->hold_until_us = now_us + (uint64_t)r->cfg.room_hold_s * 1000000u;
    room->restored = true;
    core_room_changed(r, room);
    log_info("relay: room '%s' made again from its record: %" PRIu32 " kept events, held %"
             PRIu32 " s for its members", name, rec->n_kept, r->cfg.room_hold_s);
    return room;
}

/* A held room's owner did not come back: the member in it longest owns it. */
static void owner_gone(struct relay *r, struct relay_room *room)
{
    const struct core_room_settings *s = &room->settings;
    for (uint32_t i = 0; i < room->n; i++)
        if (strcmp(r->peers[room->members[i]].player, s->owner) == 0)
            return;
    core_room_hand_over(r, room, core_room_eldest(r, room, UINT32_MAX),
                        "its owner did not come back");
    core_room_tell(r, room);
}

void core_rooms_hold_due(struct relay *r, uint64_t now_us)
{
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
        struct relay_room *room = &r->rooms.at[i];
        if (!room->used || !room->hold_until_us || now_us < room->hold_until_us)
            continue;
        room->hold_until_us = 0;
        if (room->n) {
            owner_gone(r, room);
            continue;
        }
        log_info("relay: room '%s': nobody came back within %" PRIu32 " s: it ends",
                 room->name, r->cfg.room_hold_s);
        char name[PROTO_ROOM_MAX + 1];
        snprintf(name, sizeof name, "%s", room->name);
        core_room_free(r, room);
        if (r->fleet.room_closed) /* a fleet's claim of it goes too */
            r->fleet.room_closed(r->fleet.ctx, name, false);
    }
}

/* ---- relay.h's ---- */

uint64_t relay_rooms_changed(const struct relay *r)
{
    return r->rooms.changes;
}

const char *relay_room_at(const struct relay *r, uint32_t i, uint64_t *changed)
{
    if (i >= r->rooms.n)
        return NULL;
    const struct relay_room *room = &r->rooms.at[r->rooms.by_name[i]];
    if (changed)
        *changed = room->changed;
    return room->name;
}

int relay_room_record(const struct relay *r, const char *name, struct proto_room_record *rec)
{
    const struct relay_room *room = core_room_find(r, name);
    return room ? core_room_record_take(r, room, rec) : -1;
}

int relay_room_restore(struct relay *r, const char *name, const struct proto_room_record *rec,
                       uint64_t now_us, char *why, size_t why_cap)
{
    core_clock(r, now_us);
    return core_room_restore(r, name, rec, now_us, why, why_cap) ? 0 : -1;
}
