/* relay_fleet_rooms.c: see relay_fleet_rooms.h. The rooms kept are those
 * placed here with a record in the last minute: few, found by a walk. */
#include "relay_fleet_rooms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/room_record.h"
#include "relay/core/fleet.h"
#include "sys/log.h"
#include "relay/core/relay.h"

_Static_assert(FLEET_KEEP_BYTES >= PROTO_ROOM_RECORD_MAX,
               "the directory keeps the largest record a room has");

struct placed_room {
    char room[PROTO_ROOM_MAX + 1];
    char *members;                   /* n player ids back to back */
    uint32_t n;
    uint64_t until_us;               /* CLOCK_BOOTTIME */
};

int fleet_placed_init(struct fleet_placed *p, size_t cap)
{
    *p = (struct fleet_placed){.at = calloc(cap ? cap : 1, sizeof *p->at), .cap = cap};
    return p->at ? 0 : -1;
}

static size_t find(const struct fleet_placed *p, const char *room)
{
    size_t i = 0;
    while (i < p->n && strcmp(p->at[i].room, room) != 0)
        i++;
    return i;
}

void fleet_placed_drop(struct fleet_placed *p, const char *room)
{
    size_t i = find(p, room);
    if (i == p->n)
        return;
    free(p->at[i].members);
    p->at[i] = p->at[--p->n];
}

void fleet_placed_free(struct fleet_placed *p)
{
    while (p->at && p->n)
        fleet_placed_drop(p, p->at[0].room);
    free(p->at);
    *p = (struct fleet_placed){0};
}

bool fleet_placed_restore(struct fleet_placed *p, struct relay *r, struct fleet_msg *m,
                          uint64_t now_us, uint64_t boot_us)
{
    char why[200];
    const char *room = m->claim.room;
    struct proto_room_record *rec = malloc(sizeof *rec);
    if (!rec || proto_room_record_decode(m->record, strlen(m->record), rec, why,
                                         sizeof why) != PROTO_OK ||
        relay_room_restore(r, room, rec, now_us, why, sizeof why) != 0) {
        log_warn("fleet: room '%s': its record is not applied (%s): it is made anew", room,
                 rec ? why : "out of memory");
        free(rec);
        return false;
    }
    free(rec);
    fleet_placed_drop(p, room);
    if (p->n == p->cap && p->n) /* the oldest goes */
        fleet_placed_drop(p, p->at[0].room);
    if (p->n == p->cap)
        return true;
    struct placed_room *pr = &p->at[p->n++];
    snprintf(pr->room, sizeof pr->room, "%s", room);
    pr->members = m->members;
    pr->n = m->members ? m->n_members : 0;
    pr->until_us = boot_us + FLEET_PLACED_HOLD_US;
    m->members = NULL;
    return true;
}

/* Is the player id at id among the n back to back at ids? */
static bool listed(const char *ids, uint32_t n, const char *id)
{
    for (uint32_t i = 0; i < n; i++)
        if (memcmp(ids + (size_t)i * PROTO_PLAYER_LEN, id, PROTO_PLAYER_LEN) == 0)
            return true;
    return false;
}

bool fleet_placed_was_member(const struct fleet_placed *p, const char *room,
                             const char *player)
{
    size_t i = find(p, room);
    return i < p->n && listed(p->at[i].members, p->at[i].n, player);
}

void fleet_placed_due(struct fleet_placed *p, uint64_t boot_us)
{
    for (size_t i = p->n; i-- > 0;)
        if (boot_us >= p->at[i].until_us)
            fleet_placed_drop(p, p->at[i].room);
}

bool fleet_placed_keep(const struct fleet_placed *p, const char *room, const char *members,
                       uint32_t n, const char *record, struct fleet_msg *m)
{
    size_t i = find(p, room);
    const struct placed_room *had = i < p->n ? &p->at[i] : NULL;
    uint32_t most = n + (had ? had->n : 0), k = 0;
    most = most < FLEET_KEEP_MEMBERS ? most : FLEET_KEEP_MEMBERS;
    *m = (struct fleet_msg){.type = FLEET_KEEP};
    snprintf(m->claim.room, sizeof m->claim.room, "%s", room);
    if ((most && !(m->members = malloc((size_t)most * PROTO_PLAYER_LEN))) ||
        (record && !(m->record = strdup(record)))) {
        fleet_msg_free(m);
        return false;
    }
    for (uint32_t j = 0; j < n && k < most; j++)
        memcpy(m->members + (size_t)k++ * PROTO_PLAYER_LEN,
               members + (size_t)j * PROTO_PLAYER_LEN, PROTO_PLAYER_LEN);
    for (uint32_t j = 0; had && j < had->n && k < most; j++) {
        const char *id = had->members + (size_t)j * PROTO_PLAYER_LEN;
        if (!listed(m->members, k, id))
            memcpy(m->members + (size_t)k++ * PROTO_PLAYER_LEN, id, PROTO_PLAYER_LEN);
    }
    m->n_members = k;
    return true;
}
