/* keeps.c: see keeps.h. The rooms are a relay's (at most --max-rooms, and
 * those it let go), found by a walk: each is touched when it changes, a
 * tick at most. Each is counted at what it costs Redis, which is more
 * than what it costs here. */
#include "keeps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/player.h"
#include "sys/log.h"

/* What the directory is to keep of a room, as this relay has it. */
struct keep {
    char room[PROTO_ROOM_MAX + 1];
    char *record;                  /* the latest (NULL: none known yet) */
    uint64_t version;              /* its version */
    char *members;                 /* n player ids back to back */
    uint32_t n;
    bool record_due, members_due;  /* to be written */
    bool restore;                  /* ... also where the claim is gone (a new connection) */
    bool let_go;                   /* let go while the directory did not answer: */
    struct fleet_claim claim;      /* ... under this claim, written back, then forgotten */
    bool said;                     /* a record refused for the budget was said */
};

struct keeps {
    struct keep *at;
    size_t n, cap;
    size_t bytes, budget;
    char (*id)[PROTO_PLAYER_LEN + 1]; /* FLEET_KEEP_MEMBERS: a write's ids as text */
};

struct keeps *keeps_create(size_t budget)
{
    struct keeps *k = calloc(1, sizeof *k);
    if (k && !(k->id = malloc(sizeof *k->id * FLEET_KEEP_MEMBERS))) {
        free(k);
        return NULL;
    }
    if (k)
        k->budget = budget;
    return k;
}

/* What e costs Redis (and, less, this relay): schema.h's FLEET_COST_*. */
static size_t size_of(const struct keep *e)
{
    return FLEET_COST_ROOM + FLEET_COST_RECORD(e->record ? strlen(e->record) : 0) +
           (size_t)e->n * FLEET_COST_MEMBER;
}

static void drop_at(struct keeps *k, size_t i)
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
        drop_at(k, k->n - 1);
    free(k->at);
    free(k->id);
    free(k);
}

static size_t index_of(const struct keeps *k, const char *room)
{
    size_t i = 0;
    while (i < k->n && strcmp(k->at[i].room, room) != 0)
        i++;
    return i;
}

/* room's copy, made empty if there is none; NULL out of memory. A room
 * let go and held again is held. */
static struct keep *get(struct keeps *k, const char *room)
{
    size_t i = index_of(k, room);
    if (i < k->n) {
        k->at[i].let_go = false;
        return &k->at[i];
    }
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
    k->bytes += size_of(&k->at[k->n]);
    return &k->at[k->n++];
}

bool keeps_put(struct keeps *k, const char *room, char *members, uint32_t n, char *record)
{
    struct keep *e = get(k, room);
    if (!e) {
        log_error("fleet: out of memory: room %s is not kept", room);
        free(members);
        free(record);
        return false;
    }
    size_t had = e->record ? strlen(e->record) : 0, now = record ? strlen(record) : had;
    bool taken = true;
    if (record && now > had &&
        k->bytes - FLEET_COST_RECORD(had) + FLEET_COST_RECORD(now) > k->budget) {
        if (!e->said)
            log_warn("fleet: room %s: its record (%zu bytes) is not kept: this relay's rooms' "
                     "records would pass their budget of %zu bytes (--directory-records-mb); "
                     "the one before stands", room, now, k->budget);
        e->said = true;
        free(record);
        record = NULL;
        taken = false;
    }
    k->bytes -= size_of(e);
    if (record) {
        free(e->record);
        e->record = record;
        e->version++;
        e->record_due = true;
        e->said = false;
    }
    free(e->members);
    e->members = members;
    e->n = members ? n : 0;
    e->members_due = true;
    k->bytes += size_of(e);
    return taken;
}

void keeps_seed(struct keeps *k, const char *room, uint64_t version)
{
    struct keep *e = get(k, room);
    if (e && e->version < version)
        e->version = version;
}

void keeps_drop(struct keeps *k, const char *room)
{
    size_t i = index_of(k, room);
    if (i < k->n)
        drop_at(k, i);
}

void keeps_let_go(struct keeps *k, const struct fleet_claim *claim)
{
    size_t i = index_of(k, claim->room);
    if (i == k->n)
        return;
    struct keep *e = &k->at[i];
    if (!e->record) {
        drop_at(k, i);
        return;
    }
    e->let_go = e->record_due = e->members_due = e->restore = true;
    e->claim = *claim;
}

void keeps_rewrite(struct keeps *k)
{
    for (size_t i = 0; i < k->n; i++)
        k->at[i].record_due = k->at[i].members_due = k->at[i].restore = true;
}

size_t keeps_waiting(const struct keeps *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        n += k->at[i].record_due || k->at[i].members_due;
    return n;
}

size_t keeps_bytes(const struct keeps *k)
{
    return k->bytes;
}

bool keeps_full(const struct keeps *k)
{
    return k->bytes >= k->budget;
}

/* Writes e under claim c; what the directory did. */
static enum directory_kept write_one(struct keeps *k, struct keep *e,
                                     const struct fleet_claim *c, struct directory *d,
                                     char *err, size_t err_cap)
{
    const char *ids[FLEET_KEEP_MEMBERS];
    size_t n = e->n < FLEET_KEEP_MEMBERS ? e->n : FLEET_KEEP_MEMBERS;
    for (size_t j = 0; j < n; j++) {
        memcpy(k->id[j], e->members + j * PROTO_PLAYER_LEN, PROTO_PLAYER_LEN);
        k->id[j][PROTO_PLAYER_LEN] = '\0';
        ids[j] = k->id[j];
    }
    return directory_keep(d, c, e->record_due ? e->record : NULL, e->version, e->restore, ids,
                          n, err, err_cap);
}

enum keeps_written keeps_write(struct keeps *k, struct directory *d,
                               const struct fleet_claim *(*held)(void *ctx, const char *room),
                               void *ctx, char *err, size_t err_cap)
{
    for (size_t i = k->n; i-- > 0;) {
        struct keep *e = &k->at[i];
        if (!e->record_due && !e->members_due)
            continue;
        const struct fleet_claim *c = e->let_go ? &e->claim : held(ctx, e->room);
        if (!c) { /* released meanwhile */
            drop_at(k, i);
            continue;
        }
        enum directory_kept rc = write_one(k, e, c, d, err, err_cap);
        if (rc == DIRECTORY_KEPT_FULL)
            return KEEPS_REDIS_FULL;
        if (rc == DIRECTORY_KEPT_FAILED && !directory_connected(d))
            return KEEPS_UNREACHABLE; /* written when it answers again */
        if (rc == DIRECTORY_KEPT_FAILED)
            log_warn("fleet: room %s: %s", e->room, err);
        if (e->let_go) {
            if (rc == DIRECTORY_KEPT)
                log_info("fleet: room '%s': its record (version %llu) restored in the "
                         "directory, which had lost it", e->room,
                         (unsigned long long)e->version);
            drop_at(k, i); /* restored, or another relay's now */
            continue;
        }
        e->record_due = e->members_due = e->restore = false;
    }
    return KEEPS_WRITTEN;
}
