/* rooms.c: rooms (see rooms_internal.h): found, created, freed, listed. Their
 * members come and go through peers.c and join.c. The live rooms are
 * also kept in name order (r->rooms.by_name), so that a room is found by a
 * binary search and a listing (listing.c) starts where it asks. */
#define BY_ROOMS_C /* this file writes the parts BY_ROOMS_C marks */
#include "core.h"
#include "interest_internal.h"
#include "kept_internal.h"
#include "lockstep_internal.h"
#include "rooms_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"

uint32_t core_room_rank(const struct relay *r, const char *name, bool after)
{
    uint32_t lo = 0, hi = r->rooms.n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->rooms.at[r->rooms.by_name[mid]].name, name);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct relay_room *core_room_find(const struct relay *r, const char *name)
{
    uint32_t at = core_room_rank(r, name, false);
    if (at < r->rooms.n && strcmp(r->rooms.at[r->rooms.by_name[at]].name, name) == 0)
        return &r->rooms.at[r->rooms.by_name[at]];
    return NULL;
}

struct relay_room *core_room_create(struct relay *r, const char *name, float aoi)
{
    if (r->rooms.n >= r->cfg.max_rooms)
        return NULL;
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
        struct relay_room *room = &r->rooms.at[i];
        if (room->used)
            continue;
        uint32_t *members = calloc(r->cfg.max_room_size, sizeof *members);
        if (!members)
            return NULL;
        /* The slot as a whole (its fields are each another file's to write
         * while it lives): no lease until a fleet gives one. */
        memcpy(room, &(struct relay_room){.used = true, .members = members,
                                          .lease_until_us = UINT64_MAX}, sizeof *room);
        if (aoi > 0 && core_interest_open(r, room, aoi) != 0) {
            free(members);
            memset(room, 0, sizeof *room);
            return NULL;
        }
        snprintf(room->name, sizeof room->name, "%s", name);
        uint32_t at = core_room_rank(r, room->name, false);
        uint32_t *by_name = r->rooms.by_name;
        memmove(&by_name[at + 1], &by_name[at], (r->rooms.n - at) * sizeof *by_name);
        by_name[at] = i;
        r->rooms.n++;
        core_room_changed(r, room);
        log_debug("relay: room '%s' created%s", name, aoi > 0 ? " with interest" : "");
        return room;
    }
    return NULL;
}

void core_room_free(struct relay *r, struct relay_room *room)
{
    log_debug("relay: room '%s' empty, freed", room->name);
    uint32_t at = core_room_rank(r, room->name, false);
    uint32_t *by_name = r->rooms.by_name;
    if (at < r->rooms.n && by_name[at] == (uint32_t)(room - r->rooms.at))
        memmove(&by_name[at], &by_name[at + 1], (r->rooms.n - at - 1) * sizeof *by_name);
    if (r->script.ops.room_end) /* its script ends with it */
        r->script.ops.room_end(r->script.ops.ctx, (uint32_t)(room - r->rooms.at));
    core_interest_close(room);
    core_lockstep_close(r, room);
    core_kept_close(room);
    free(room->members);
    memset(room, 0, sizeof *room);
    r->rooms.n--;
    core_room_changed(r, NULL);
}

void core_room_member_add(struct relay_room *room, uint32_t peer)
{
    room->members[room->n++] = peer;
    room->keep_members = true;
}

void core_room_member_drop(struct relay_room *room, uint32_t peer)
{
    for (uint32_t i = 0; i < room->n; i++)
        if (room->members[i] == peer) {
            room->members[i] = room->members[--room->n];
            break;
        }
    room->keep_members = true;
}

void core_room_members_clear(struct relay_room *room)
{
    room->n = 0;
}

void core_room_members_given(struct relay_room *room)
{
    room->keep_members = false;
}

void core_room_changed(struct relay *r, struct relay_room *room)
{
    r->rooms.changes++;
    if (room)
        room->changed = r->rooms.changes;
}

int core_rooms_alloc(struct relay *r)
{
    r->rooms.at = calloc(r->cfg.max_rooms, sizeof *r->rooms.at);
    r->rooms.by_name = calloc(r->cfg.max_rooms, sizeof *r->rooms.by_name);
    return r->rooms.at && r->rooms.by_name ? 0 : -1;
}

void core_rooms_free(struct relay *r)
{
    if (r->rooms.at)
        for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
            free(r->rooms.at[i].members);
            core_interest_close(&r->rooms.at[i]);
            core_lockstep_close(r, &r->rooms.at[i]);
            core_kept_close(&r->rooms.at[i]);
        }
    free(r->rooms.at);
    free(r->rooms.by_name);
}

uint32_t core_room_cap(const struct relay *r, const struct relay_room *room)
{
    uint32_t cap = r->cfg.max_room_size;
    if (!room->grid && cap > PROTO_ROSTER_MAX)
        cap = PROTO_ROSTER_MAX;
    return room->settings.size && room->settings.size < cap ? room->settings.size : cap;
}

size_t relay_busiest_rooms(const struct relay *r, struct relay_room_info *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->cfg.max_rooms && cap > 0; i++) {
        const struct relay_room *room = &r->rooms.at[i];
        if (!room->used)
            continue;
        /* Insertion into the top cap, the most members first, then the most
         * states in: cap is small (the page lists ten). */
        size_t at = n;
        while (at > 0 && (out[at - 1].members < room->n ||
                          (out[at - 1].members == room->n &&
                           out[at - 1].states_in < room->states_in)))
            at--;
        if (at == cap)
            continue;
        size_t move = (n < cap ? n : cap - 1) - at;
        memmove(&out[at + 1], &out[at], move * sizeof *out);
        snprintf(out[at].name, sizeof out[at].name, "%s", room->name);
        out[at].members = room->n;
        out[at].states_in = room->states_in;
        out[at].states_out = room->states_out;
        n += n < cap;
    }
    return n;
}

uint32_t relay_room_size(const struct relay *r, const char *room)
{
    const struct relay_room *rm = core_room_find(r, room);
    return rm ? rm->n : 0;
}

uint32_t relay_rooms(const struct relay *r) { return r->rooms.n; }
uint32_t relay_members(const struct relay *r) { return r->census.members; }
