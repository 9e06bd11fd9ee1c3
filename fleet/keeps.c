/* keeps.c: see keeps.h. The rooms waiting are few (those that changed
 * since the last turn of the thread, or while Redis was away), found by a
 * walk. */
#include "keeps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/player.h"
#include "sys/log.h"

/* What the directory is to keep of a held room, not written yet. */
struct keep {
    char room[PROTO_ROOM_MAX + 1];
    char *record;                  /* NULL: as written before */
    char *members;                 /* n player ids back to back */
    uint32_t n;
};

struct keeps {
    struct keep *at;
    size_t n, cap;
    size_t bytes;                  /* theirs: FLEET_KEEP_PENDING_BYTES at most */
    bool full;                     /* a record was left out for them (said once) */
    char (*id)[PROTO_PLAYER_LEN + 1]; /* FLEET_KEEP_MEMBERS: a write's ids as text */
};

struct keeps *keeps_create(void)
{
    struct keeps *k = calloc(1, sizeof *k);
    if (k && !(k->id = malloc(sizeof *k->id * FLEET_KEEP_MEMBERS))) {
        free(k);
        k = NULL;
    }
    return k;
}

/* The bytes a keep holds. */
static size_t size_of(const struct keep *e)
{
    return (e->record ? strlen(e->record) : 0) + (size_t)e->n * PROTO_PLAYER_LEN;
}

static void drop(struct keeps *k, size_t i)
{
    k->bytes -= size_of(&k->at[i]);
    free(k->at[i].record);
    free(k->at[i].members);
    k->at[i] = k->at[--k->n];
}

void keeps_destroy(struct keeps *k)
{
    if (!k)
        return;
    while (k->n)
        drop(k, k->n - 1);
    free(k->at);
    free(k->id);
    free(k);
}

/* room's keep, made if there is none; NULL out of memory. */
static struct keep *find(struct keeps *k, const char *room)
{
    size_t i = 0;
    while (i < k->n && strcmp(k->at[i].room, room) != 0)
        i++;
    if (i < k->n)
        return &k->at[i];
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        struct keep *at = realloc(k->at, cap * sizeof *at);
        if (!at)
            return NULL;
        k->at = at;
        k->cap = cap;
    }
    k->at[k->n] = (struct keep){0};
    snprintf(k->at[k->n].room, sizeof k->at[k->n].room, "%s", room);
    return &k->at[k->n++];
}

void keeps_put(struct keeps *k, const char *room, char *members, uint32_t n, char *record)
{
    struct keep *e = find(k, room);
    if (!e) {
        log_error("fleet: out of memory: room %s is not kept", room);
        free(members);
        free(record);
        return;
    }
    size_t more = (record ? strlen(record) : 0) + (size_t)(members ? n : 0) * PROTO_PLAYER_LEN;
    k->bytes -= size_of(e);
    if (record && k->bytes + more > FLEET_KEEP_PENDING_BYTES) {
        if (!k->full)
            log_warn("fleet: room %s: its record is not written: %d KB of records wait "
                     "already (the directory slow or away)", room,
                     FLEET_KEEP_PENDING_BYTES / 1024);
        k->full = true;
        free(record); /* its members still go */
        record = NULL;
    } else if (record) {
        k->full = false;
    }
    if (record) {
        free(e->record);
        e->record = record;
    }
    free(e->members);
    e->members = members;
    e->n = members ? n : 0;
    k->bytes += size_of(e);
}

size_t keeps_waiting(const struct keeps *k)
{
    return k->n;
}

int keeps_write(struct keeps *k, struct directory *d,
                const struct fleet_claim *(*held)(void *ctx, const char *room), void *ctx,
                char *err, size_t err_cap)
{
    const char *ids[FLEET_KEEP_MEMBERS];
    for (size_t i = k->n; i-- > 0;) {
        struct keep *e = &k->at[i];
        const struct fleet_claim *c = held(ctx, e->room);
        size_t n = e->n < FLEET_KEEP_MEMBERS ? e->n : FLEET_KEEP_MEMBERS;
        for (size_t j = 0; c && j < n; j++) {
            memcpy(k->id[j], e->members + j * PROTO_PLAYER_LEN, PROTO_PLAYER_LEN);
            k->id[j][PROTO_PLAYER_LEN] = '\0';
            ids[j] = k->id[j];
        }
        int rc = c ? directory_keep(d, c, e->record, ids, n, err, err_cap) : 0;
        if (rc < 0 && !directory_connected(d))
            return -1; /* written when it answers again */
        if (rc < 0)
            log_warn("fleet: room %s: %s", e->room, err);
        drop(k, i);
    }
    return 0;
}
