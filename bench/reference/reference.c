/* reference.c: the reference relay's table and fan-out (see reference.h).
 * Members live in an array, found by endpoint through an open-addressing
 * hash (linear probing, deletion by backward shift); a room is a name and
 * the array of its members. Every datagram to send is a slot: a control
 * reply, a state alone, or a batch that a member's states of this flush
 * are appended to. */
#include "reference.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/wire.h"

#define NONE UINT32_MAX
#define BATCH_ENTRY_MAX (PROTO_BATCH_MAX - PROTO_BATCH_HEADER - PROTO_BATCH_ENTRY_HEAD)

struct member {
    union netaddr addr;
    uint32_t id;     /* relay-assigned, from 1 */
    uint32_t room;   /* index in rooms */
    uint32_t at;     /* index in its room's members */
    uint32_t open;   /* the slot of its batch being filled, or NONE */
    bool batch;      /* asked for batches */
};

struct room {
    char name[PROTO_ROOM_MAX + 1]; /* "": a free entry */
    uint32_t *members;             /* member indices */
    size_t n, cap;
};

struct slot {
    union netaddr to;
    uint32_t member; /* the member whose batch this is, or NONE */
    uint16_t len;    /* bytes written */
    uint16_t count;  /* states in the batch; 0: not a batch */
    uint8_t buf[PROTO_BATCH_MAX];
};

struct reference {
    struct member *m;
    size_t cap;                /* members at most, and rooms */
    uint32_t *free;            /* unused member indices, a stack */
    size_t n_free;
    uint32_t *hash;            /* member index + 1, 0: empty */
    size_t mask;               /* hash slots - 1 */
    struct room *rooms;
    size_t n_rooms;
    struct slot *slots;        /* this flush's datagrams */
    struct reference_out *out; /* slots_cap entries, reference_pending's */
    size_t n_slots, slots_cap;
    uint32_t next_id;
    struct reference_counts c;
    struct proto_control ctl;  /* the control message being read or written */
};

struct reference *reference_new(size_t max_members)
{
    struct reference *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t hash = 16;
    while (hash < 2 * max_members)
        hash *= 2;
    r->cap = max_members;
    r->mask = hash - 1;
    r->next_id = 1;
    r->m = calloc(max_members, sizeof *r->m);
    r->free = malloc(max_members * sizeof *r->free);
    r->hash = calloc(hash, sizeof *r->hash);
    r->rooms = calloc(max_members, sizeof *r->rooms);
    if (!r->m || !r->free || !r->hash || !r->rooms) {
        reference_free(r);
        return NULL;
    }
    for (size_t i = 0; i < max_members; i++)
        r->free[r->n_free++] = (uint32_t)(max_members - 1 - i); /* index 0 first */
    return r;
}

void reference_free(struct reference *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_rooms; i++)
        free(r->rooms[i].members);
    free(r->m);
    free(r->free);
    free(r->hash);
    free(r->rooms);
    free(r->slots);
    free(r->out);
    free(r);
}

/* ---- members by endpoint ---------------------------------------------- */

static size_t endpoint_hash(const struct reference *r, const union netaddr *a)
{
    uint8_t key[NETADDR_KEY_MAX];
    size_t n = netaddr_key(a, key);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ key[i]) * 16777619u;
    return h & r->mask;
}

/* The hash cell holding a's member, or the empty cell where it would go. */
static uint32_t *cell_of(struct reference *r, const union netaddr *a)
{
    size_t i = endpoint_hash(r, a);
    while (r->hash[i] && !netaddr_equal(&r->m[r->hash[i] - 1].addr, a))
        i = (i + 1) & r->mask;
    return &r->hash[i];
}

/* Empties cell i, moving later cells of its probe run back so that every
 * member stays reachable from its home cell. */
static void unhash(struct reference *r, size_t i)
{
    size_t j = i;
    for (;;) {
        r->hash[i] = 0;
        for (;;) {
            j = (j + 1) & r->mask;
            if (!r->hash[j])
                return;
            size_t home = endpoint_hash(r, &r->m[r->hash[j] - 1].addr);
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        r->hash[i] = r->hash[j];
        i = j;
    }
}

/* ---- datagrams out ---------------------------------------------------- */

/* A new slot to `to`, empty. Returns NULL when out of memory. */
static struct slot *slot_new(struct reference *r, const union netaddr *to, uint32_t member)
{
    if (r->n_slots == r->slots_cap) {
        size_t cap = r->slots_cap ? 2 * r->slots_cap : 256;
        struct slot *s = realloc(r->slots, cap * sizeof *s);
        if (!s)
            return NULL;
        r->slots = s;
        struct reference_out *o = realloc(r->out, cap * sizeof *o);
        if (!o)
            return NULL;
        r->out = o;
        r->slots_cap = cap;
    }
    struct slot *s = &r->slots[r->n_slots++];
    s->to = *to;
    s->member = member;
    s->len = s->count = 0;
    return s;
}

/* Queues len bytes of state to member k: appended to its open batch, in a
 * new one, or alone. Returns 0, or -1 when out of memory. */
static int deliver(struct reference *r, uint32_t k, const uint8_t *state, size_t len)
{
    struct member *m = &r->m[k];
    struct slot *s = m->open != NONE ? &r->slots[m->open] : NULL;
    if (!m->batch || len > BATCH_ENTRY_MAX) {
        if (!(s = slot_new(r, &m->addr, NONE)))
            return -1;
        memcpy(s->buf, state, len);
        s->len = (uint16_t)len;
        r->c.deliveries++;
        return 0;
    }
    if (!s || s->len + PROTO_BATCH_ENTRY_HEAD + len > PROTO_BATCH_MAX) {
        if (!(s = slot_new(r, &m->addr, k)))
            return -1;
        proto_batch_begin(s->buf);
        s->len = PROTO_BATCH_HEADER;
        m->open = (uint32_t)(s - r->slots);
    }
    proto_batch_entry_head(s->buf + s->len, len);
    memcpy(s->buf + s->len + PROTO_BATCH_ENTRY_HEAD, state, len);
    s->len = (uint16_t)(s->len + PROTO_BATCH_ENTRY_HEAD + len);
    s->count++;
    r->c.deliveries++;
    return 0;
}

/* Queues r->ctl, encoded, to `to`. */
static void reply(struct reference *r, const union netaddr *to)
{
    struct slot *s = slot_new(r, to, NONE);
    if (!s)
        return;
    int n = proto_control_encode((char *)s->buf, sizeof s->buf, &r->ctl);
    if (n > 0)
        s->len = (uint16_t)n;
    else
        r->n_slots--; /* cannot happen: a welcome or pong fits */
}

const struct reference_out *reference_pending(struct reference *r, size_t *n)
{
    for (size_t i = 0; i < r->n_slots; i++) {
        const struct slot *s = &r->slots[i];
        /* a batch of one state goes as that state alone, as ricochet sends it */
        size_t skip = s->count == 1 ? PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD : 0;
        r->out[i] = (struct reference_out){&s->to, s->buf + skip, s->len - skip};
        if (s->member != NONE)
            r->m[s->member].open = NONE; /* its next state starts a new batch */
    }
    *n = r->n_slots;
    r->c.datagrams += r->n_slots;
    return r->n_slots ? r->out : NULL;
}

void reference_sent(struct reference *r)
{
    r->n_slots = 0;
}

/* ---- rooms and members ------------------------------------------------ */

/* The room named name, made if new. Returns its index, or NONE when every
 * entry is taken. */
static uint32_t room_of(struct reference *r, const char *name)
{
    size_t unused = NONE;
    for (size_t i = 0; i < r->n_rooms; i++) {
        if (!strcmp(r->rooms[i].name, name))
            return (uint32_t)i;
        if (!r->rooms[i].name[0] && unused == NONE)
            unused = i;
    }
    if (unused == NONE) {
        if (r->n_rooms == r->cap)
            return NONE;
        unused = r->n_rooms++;
    }
    snprintf(r->rooms[unused].name, sizeof r->rooms[unused].name, "%s", name);
    return (uint32_t)unused;
}

/* Member k into room i. Returns 0, or -1 when out of memory. */
static int room_add(struct reference *r, uint32_t i, uint32_t k)
{
    struct room *room = &r->rooms[i];
    if (room->n == room->cap) {
        size_t cap = room->cap ? 2 * room->cap : 8;
        uint32_t *m = realloc(room->members, cap * sizeof *m);
        if (!m)
            return -1;
        room->members = m;
        room->cap = cap;
    }
    r->m[k].room = i;
    r->m[k].at = (uint32_t)room->n;
    room->members[room->n++] = k;
    return 0;
}

/* A join: a new member (or one joining again) gets its welcome. */
static enum reference_did join(struct reference *r, const union netaddr *from, uint32_t *cell)
{
    if (!*cell) {
        uint32_t room = r->ctl.room[0] ? room_of(r, r->ctl.room) : NONE;
        if (room == NONE || !r->n_free)
            return REFERENCE_DROPPED;
        uint32_t k = r->free[--r->n_free];
        r->m[k] = (struct member){.addr = *from, .id = r->next_id++, .open = NONE,
                                  .batch = r->ctl.batch};
        if (r->next_id == 0)
            r->next_id = 1;
        if (room_add(r, room, k) != 0) {
            r->n_free++;
            return REFERENCE_DROPPED;
        }
        *cell = k + 1;
        r->c.members++;
    }
    const struct member *m = &r->m[*cell - 1];
    proto_control_init(&r->ctl, PROTO_CTL_WELCOME);
    r->ctl.id = m->id;
    snprintf(r->ctl.room, sizeof r->ctl.room, "%s", r->rooms[m->room].name);
    reply(r, from);
    return REFERENCE_CONTROL;
}

/* A leave: the member is forgotten. */
static void leave(struct reference *r, uint32_t *cell)
{
    uint32_t k = *cell - 1;
    struct member *m = &r->m[k];
    struct room *room = &r->rooms[m->room];
    uint32_t last = room->members[--room->n];
    room->members[m->at] = last;
    r->m[last].at = m->at;
    if (!room->n)
        room->name[0] = '\0';
    unhash(r, (size_t)(cell - r->hash));
    r->free[r->n_free++] = k;
    r->c.members--;
}

static enum reference_did control(struct reference *r, const union netaddr *from,
                                  const uint8_t *buf, size_t len, uint64_t now_us)
{
    if (proto_control_decode((const char *)buf, len, &r->ctl, NULL, 0) != PROTO_OK)
        return REFERENCE_DROPPED;
    uint32_t *cell = cell_of(r, from);
    switch (r->ctl.type) {
    case PROTO_CTL_JOIN:
        return join(r, from, cell);
    case PROTO_CTL_LEAVE:
        if (!*cell)
            return REFERENCE_DROPPED;
        leave(r, cell);
        return REFERENCE_CONTROL;
    case PROTO_CTL_PING: {
        if (!*cell)
            return REFERENCE_DROPPED;
        uint64_t t = r->ctl.t;
        proto_control_init(&r->ctl, PROTO_CTL_PONG);
        r->ctl.t = t;
        r->ctl.relay_t = now_us;
        reply(r, from);
        return REFERENCE_CONTROL;
    }
    default:
        return REFERENCE_DROPPED; /* chat, clock, ...: a yardstick has no use for them */
    }
}

enum reference_did reference_datagram(struct reference *r, const union netaddr *from,
                                      uint8_t *buf, size_t len, uint64_t now_us)
{
    enum reference_did did = REFERENCE_DROPPED;
    if (len >= 1 && buf[0] == '{') {
        did = control(r, from, buf, len, now_us);
    } else if (len >= PROTO_STATE_SIZE && len <= PROTO_STATE_MAX &&
               buf[0] == PROTO_STATE_VERSION && buf[1] == 1) {
        uint32_t k = *cell_of(r, from);
        if (k--) {
            const struct member *m = &r->m[k];
            const struct room *room = &r->rooms[m->room];
            proto_state_stamp_sender(buf, m->id);
            r->c.states++;
            for (size_t i = 0; i < room->n; i++)
                if (room->members[i] != k && deliver(r, room->members[i], buf, len) != 0)
                    r->c.dropped++; /* out of memory: that delivery is lost */
            did = REFERENCE_STATE;
        }
    }
    if (did == REFERENCE_DROPPED)
        r->c.dropped++;
    return did;
}

struct reference_counts reference_counts(const struct reference *r)
{
    return r->c;
}
