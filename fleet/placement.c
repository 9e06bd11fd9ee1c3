/* placement.c: see placement.h. Not where placement is decided: that is
 * the directory's place script (fleet/scripts/place.lua); this caches its
 * answers. Rooms live in a chained hash table keyed by SipHash under a
 * per-run key (room names come from the network); parked joins in a fixed
 * array of park_max slots, scanned when a result for their room arrives
 * (rare next to states). */
#include "placement.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define BUCKETS 4096 /* a power of two */

enum room_state { ROOM_HERE, ROOM_ELSEWHERE, ROOM_ASKING };

struct room {
    struct room *next;
    enum room_state state;
    struct fleet_claim claim;  /* HERE: ours; ELSEWHERE: the holder's */
    uint64_t confirmed_us;     /* HERE: the claim held at this time */
    uint64_t until_us;         /* ELSEWHERE: trusted until */
    bool asked_suspect;        /* ASKING: the question says a client lost the holder */
    bool want_suspect;         /* ASKING: ... and a join parked since says so */
    char lost_relay[FLEET_ADDR_MAX]; /* ASKING: the relay those joins named lost ("" none) */
    char name[PROTO_ROOM_MAX + 1];
};

struct parked {
    bool used;
    uint32_t peer;
    uint64_t deadline_us;
    char room[PROTO_ROOM_MAX + 1];
};

struct placement {
    struct placement_config cfg;
    struct room *buckets[BUCKETS];
    struct parked *parked;     /* park_max slots */
    uint32_t n_parked;
    uint32_t n_here;
    bool unreachable;
    bool draining;
};

struct placement *placement_create(const struct placement_config *cfg)
{
    struct placement *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *cfg;
    if (p->cfg.park_max == 0)
        p->cfg.park_max = 1;
    p->parked = calloc(p->cfg.park_max, sizeof *p->parked);
    if (!p->parked) {
        free(p);
        return NULL;
    }
    return p;
}

void placement_destroy(struct placement *p)
{
    if (!p)
        return;
    for (size_t b = 0; b < BUCKETS; b++)
        for (struct room *r = p->buckets[b], *next; r; r = next) {
            next = r->next;
            free(r);
        }
    free(p->parked);
    free(p);
}

static struct room **slot(struct placement *p, const char *name)
{
    uint8_t out[crypto_shorthash_BYTES]; /* SipHash-2-4 */
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)name, strlen(name), p->cfg.hash_key);
    memcpy(&h, out, sizeof h);
    struct room **at = &p->buckets[h & (BUCKETS - 1)];
    while (*at && strcmp((*at)->name, name) != 0)
        at = &(*at)->next;
    return at;
}

static struct room *find(const struct placement *p, const char *name)
{
    return *slot((struct placement *)p, name);
}

/* The room's entry, created (state ASKING) if missing; NULL if out of memory. */
static struct room *get(struct placement *p, const char *name)
{
    struct room **at = slot(p, name);
    if (!*at) {
        struct room *r = calloc(1, sizeof *r);
        if (!r)
            return NULL;
        strcpy(r->name, name);
        r->state = ROOM_ASKING;
        *at = r;
    }
    return *at;
}

static void set_state(struct placement *p, struct room *r, enum room_state s)
{
    if (r->state == ROOM_HERE && s != ROOM_HERE)
        p->n_here--;
    else if (r->state != ROOM_HERE && s == ROOM_HERE)
        p->n_here++;
    r->state = s;
}

static void drop(struct placement *p, const char *name)
{
    struct room **at = slot(p, name);
    if (!*at)
        return;
    struct room *r = *at;
    set_state(p, r, ROOM_ASKING);
    *at = r->next;
    free(r);
}

static bool ours(const struct placement *p, const struct fleet_claim *c)
{
    return strcmp(c->instance, p->cfg.instance) == 0;
}

static enum placement_verdict park(struct placement *p, struct room *r, uint32_t peer,
                                   uint64_t now_us)
{
    for (uint32_t i = 0; i < p->cfg.park_max; i++) {
        struct parked *k = &p->parked[i];
        if (k->used && k->peer == peer)
            return PLACEMENT_PARKED; /* already waiting */
    }
    for (uint32_t i = 0; i < p->cfg.park_max; i++) {
        struct parked *k = &p->parked[i];
        if (k->used)
            continue;
        *k = (struct parked){.used = true, .peer = peer,
                             .deadline_us = now_us + (uint64_t)p->cfg.park_ms * 1000};
        strcpy(k->room, r->name);
        p->n_parked++;
        return PLACEMENT_PARKED;
    }
    return PLACEMENT_BUSY;
}

/* The relay a join named lost into r (a name too long for any relay's
 * address names none). */
static void name_lost(struct room *r, const char *lost)
{
    if (strlen(lost) < sizeof r->lost_relay)
        strcpy(r->lost_relay, lost);
    else
        r->lost_relay[0] = '\0';
}

enum placement_verdict placement_join(struct placement *p, const char *room, uint32_t peer,
                                      uint64_t seen_epoch, const char *lost, uint64_t now_us,
                                      struct fleet_claim *claim, bool *ask, bool *suspect)
{
    *ask = *suspect = false;
    struct room *r = find(p, room);
    if (r && r->state == ROOM_HERE)
        return PLACEMENT_HERE;
    if (r && r->state == ROOM_ELSEWHERE && !lost && now_us < r->until_us &&
        r->claim.epoch >= seen_epoch) {
        *claim = r->claim;
        return PLACEMENT_MOVED;
    }
    if (p->draining)
        return PLACEMENT_DRAINING;
    if (p->unreachable)
        return PLACEMENT_UNAVAILABLE;
    if (!r || r->state == ROOM_ELSEWHERE) { /* unknown, stale or older than the client's */
        if (p->n_parked >= p->cfg.park_max)
            return PLACEMENT_BUSY;
        if (!(r = get(p, room)))
            return PLACEMENT_BUSY;
        r->state = ROOM_ASKING;
        r->asked_suspect = *suspect = lost != NULL;
        r->want_suspect = false;
        name_lost(r, lost ? lost : "");
        *ask = true;
        memset(claim, 0, sizeof *claim);
        strcpy(claim->room, r->name);
        strcpy(claim->addr, r->lost_relay);
    } else if (lost && !r->asked_suspect && !r->want_suspect) {
        r->want_suspect = true; /* asked before this join came: asked again */
        name_lost(r, lost);
    }
    return park(p, r, peer, now_us);
}

void placement_forget(struct placement *p, uint32_t peer)
{
    for (uint32_t i = 0; i < p->cfg.park_max; i++)
        if (p->parked[i].used && p->parked[i].peer == peer) {
            p->parked[i].used = false;
            p->n_parked--;
        }
}

/* Settles the joins parked for room with verdict (and claim). */
static size_t settle(struct placement *p, const char *room, enum placement_verdict verdict,
                     const struct fleet_claim *claim, struct placement_outcome *out,
                     size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->cfg.park_max && n < cap; i++) {
        struct parked *k = &p->parked[i];
        if (!k->used || (room && strcmp(k->room, room) != 0))
            continue;
        out[n] = (struct placement_outcome){.peer = k->peer, .verdict = verdict};
        if (claim)
            out[n].claim = *claim;
        n++;
        k->used = false;
        p->n_parked--;
    }
    return n;
}

static size_t placed(struct placement *p, const struct fleet_msg *m, uint64_t now_us,
                     struct placement_outcome *out, size_t cap, struct placement_effect *e)
{
    struct room *r = get(p, m->claim.room);
    if (!r)
        return 0; /* out of memory: the parked joins expire */
    if (!ours(p, &m->claim) && r->state == ROOM_ASKING && r->want_suspect && !m->suspect) {
        /* Joins wait that lost this holder: the directory checks it. */
        r->asked_suspect = true;
        r->want_suspect = false;
        e->ask = true;
        strcpy(e->claim.room, r->name);
        strcpy(e->claim.addr, r->lost_relay);
        return 0;
    }
    r->claim = m->claim;
    if (ours(p, &m->claim)) {
        set_state(p, r, ROOM_HERE);
        r->confirmed_us = m->at_us;
        size_t n = settle(p, r->name, PLACEMENT_HERE, NULL, out, cap);
        if (n == 0) { /* everyone left meanwhile: give the claim back */
            e->release = true;
            e->claim = r->claim;
            drop(p, r->name);
        }
        return n;
    }
    set_state(p, r, ROOM_ELSEWHERE);
    r->until_us = now_us + (uint64_t)p->cfg.cache_ms * 1000;
    return settle(p, r->name, PLACEMENT_MOVED, &r->claim, out, cap);
}

/* The room this relay served is another's now (or nobody's: epoch 0). */
static void gone(struct placement *p, const struct fleet_msg *m, uint64_t now_us,
                 struct placement_effect *e)
{
    e->move_members = true;
    e->claim = m->claim;
    struct room *r = m->claim.epoch ? get(p, m->claim.room) : NULL;
    if (!r) {
        drop(p, m->claim.room);
        return;
    }
    set_state(p, r, ROOM_ELSEWHERE);
    r->claim = m->claim;
    r->until_us = now_us + (uint64_t)p->cfg.cache_ms * 1000;
}

static void confirmed(struct placement *p, uint64_t at_us)
{
    for (size_t b = 0; b < BUCKETS; b++)
        for (struct room *r = p->buckets[b]; r; r = r->next)
            if (r->state == ROOM_HERE && r->confirmed_us < at_us)
                r->confirmed_us = at_us;
}

size_t placement_apply(struct placement *p, const struct fleet_msg *m, uint64_t now_us,
                       struct placement_outcome *out, size_t cap, struct placement_effect *e)
{
    memset(e, 0, sizeof *e);
    struct room *r;
    switch (m->type) {
    case FLEET_PLACED:
        return placed(p, m, now_us, out, cap, e);
    case FLEET_UNPLACED:
        if ((r = find(p, m->claim.room)) && r->state == ROOM_ASKING)
            drop(p, m->claim.room);
        return settle(p, m->claim.room,
                      p->draining      ? PLACEMENT_DRAINING
                      : m->unreachable ? PLACEMENT_UNAVAILABLE
                                       : PLACEMENT_FULL,
                      NULL, out, cap);
    case FLEET_LOST:
    case FLEET_HANDED:
        gone(p, m, now_us, e);
        return 0;
    case FLEET_RECLAIMED:
        if ((r = find(p, m->claim.room)) && r->state == ROOM_HERE) {
            r->claim = m->claim;
            r->confirmed_us = m->at_us;
        }
        return 0;
    case FLEET_CONFIRMED:
        confirmed(p, m->at_us);
        return 0;
    case FLEET_REACHABLE:
        p->unreachable = m->unreachable;
        return 0;
    default:
        return 0;
    }
}

size_t placement_expire(struct placement *p, uint64_t now_us, struct placement_outcome *out,
                        size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->cfg.park_max && n < cap; i++) {
        struct parked *k = &p->parked[i];
        if (!k->used || now_us < k->deadline_us)
            continue;
        out[n++] = (struct placement_outcome){.peer = k->peer,
                                              .verdict = PLACEMENT_UNAVAILABLE};
        k->used = false;
        p->n_parked--;
    }
    for (size_t b = 0; b < BUCKETS; b++)
        for (struct room **at = &p->buckets[b]; *at;) {
            struct room *r = *at;
            if (r->state == ROOM_ELSEWHERE && now_us >= r->until_us) {
                *at = r->next;
                free(r);
            } else {
                at = &r->next;
            }
        }
    return n;
}

bool placement_room_closed(struct placement *p, const char *room, struct fleet_claim *claim)
{
    struct room *r = find(p, room);
    if (!r || r->state != ROOM_HERE)
        return false;
    *claim = r->claim;
    drop(p, room);
    return true;
}

uint64_t placement_lease_until(const struct placement *p, const char *room)
{
    const struct room *r = find(p, room);
    return !r || r->state != ROOM_HERE ? UINT64_MAX
                                       : r->confirmed_us + (uint64_t)p->cfg.lease_ms * 1000;
}

size_t placement_drain(struct placement *p, struct placement_outcome *out, size_t cap)
{
    p->draining = true;
    return settle(p, NULL, PLACEMENT_DRAINING, NULL, out, cap);
}

uint32_t placement_rooms_here(const struct placement *p)
{
    return p->n_here;
}

uint32_t placement_parked(const struct placement *p)
{
    return p->n_parked;
}

bool placement_unreachable(const struct placement *p)
{
    return p->unreachable;
}
