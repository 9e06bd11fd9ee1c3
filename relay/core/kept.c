/* kept.c: a room's kept events (see kept_internal.h): one buffer a room,
 * made at its first kept event, its events back to back in arrival order,
 * each behind its sender's id, its keeper's player id and its length; a
 * replacement or a leave
 * moves the bytes after it down. Bounded by what the events count, so a
 * replay, a put and a leave each walk at most CORE_KEPT_BYTES. */
#define BY_KEPT_C /* this file writes the parts BY_KEPT_C marks */
#include "core.h"
#include "kept_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"

/* sender (4 bytes), keeper (PROTO_PLAYER_LEN), length (2), then the event's bytes */
#define KEEPER_AT 4
#define LEN_AT (KEEPER_AT + PROTO_PLAYER_LEN)
#define ENTRY_HEAD (LEN_AT + 2)
#define KEY_AT (ENTRY_HEAD + PROTO_EVENT_HEAD)

struct core_kept {
    size_t counted; /* the events' bytes: what CORE_KEPT_BYTES bounds */
    size_t used;    /* bytes of at in use */
    size_t cap;     /* bytes of at */
    uint8_t *at;    /* the entries */
};

static size_t entry_len(const uint8_t *entry)
{
    return be16_get(entry + LEN_AT);
}

/* The offset of the entry kept under key, or SIZE_MAX. */
static size_t find(const struct core_kept *k, const uint8_t *key, size_t key_len)
{
    for (size_t off = 0; off < k->used; off += ENTRY_HEAD + entry_len(k->at + off)) {
        const uint8_t *entry = k->at + off;
        if (entry[ENTRY_HEAD + 3] == key_len && memcmp(entry + KEY_AT, key, key_len) == 0)
            return off;
    }
    return SIZE_MAX;
}

static void remove_at(struct core_kept *k, size_t off)
{
    size_t len = entry_len(k->at + off), size = ENTRY_HEAD + len;
    memmove(k->at + off, k->at + off + size, k->used - off - size);
    k->used -= size;
    k->counted -= len;
}

/* Room for one more entry of len bytes; false: out of memory. */
static bool reserve(struct core_kept *k, size_t len)
{
    size_t need = k->used + ENTRY_HEAD + len;
    if (need <= k->cap)
        return true;
    size_t cap = k->cap ? k->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    if (cap > CORE_KEPT_BYTES) /* past the bound only the entries' heads: 1 KiB steps */
        cap = need > CORE_KEPT_BYTES ? (need + 1023) / 1024 * 1024 : CORE_KEPT_BYTES;
    uint8_t *at = realloc(k->at, cap);
    if (!at)
        return false;
    k->at = at;
    k->cap = cap;
    return true;
}

int core_kept_put(struct relay_room *room, uint32_t owner, const char *keeper,
                  const struct proto_event *e, const uint8_t *bytes, size_t len)
{
    struct core_kept *k = room->kept;
    size_t old = k ? find(k, e->key, e->key_len) : SIZE_MAX;
    size_t old_len = old == SIZE_MAX ? 0 : entry_len(k->at + old);
    if (e->len == 0) { /* a clear */
        if (old != SIZE_MAX)
            remove_at(k, old);
        return 0;
    }
    if ((k ? k->counted : 0) - old_len + len > CORE_KEPT_BYTES)
        return -1;
    if (!k && !(k = room->kept = calloc(1, sizeof *k)))
        return -2;
    if (!reserve(k, len))
        return -2;
    if (old != SIZE_MAX)
        remove_at(k, old); /* the newest of a key goes last */
    uint8_t *entry = k->at + k->used;
    be32_put(entry, owner);
    memcpy(entry + KEEPER_AT, keeper, PROTO_PLAYER_LEN);
    be16_put(entry + LEN_AT, (uint16_t)len);
    memcpy(entry + ENTRY_HEAD, bytes, len);
    entry[ENTRY_HEAD + 2] |= PROTO_EVENT_KEPT; /* what a joiner gets */
    k->used += ENTRY_HEAD + len;
    k->counted += len;
    return 0;
}

bool core_kept_keeper(const struct relay_room *room, const struct proto_event *e,
                      char keeper[PROTO_PLAYER_LEN + 1])
{
    const struct core_kept *k = room->kept;
    size_t at = k ? find(k, e->key, e->key_len) : SIZE_MAX;
    if (at == SIZE_MAX)
        return false;
    memcpy(keeper, k->at + at + KEEPER_AT, PROTO_PLAYER_LEN);
    keeper[PROTO_PLAYER_LEN] = '\0';
    return true;
}

int core_kept_record(const struct relay_room *room, struct proto_room_record *rec)
{
    const struct core_kept *k = room->kept;
    for (size_t off = 0; k && off < k->used; off += ENTRY_HEAD + entry_len(k->at + off)) {
        const uint8_t *entry = k->at + off;
        char keeper[PROTO_PLAYER_LEN + 1];
        if (!(entry[ENTRY_HEAD + 2] & PROTO_EVENT_STAY))
            continue; /* its sender's while it is a member: no restart keeps it */
        memcpy(keeper, entry + KEEPER_AT, PROTO_PLAYER_LEN);
        keeper[PROTO_PLAYER_LEN] = '\0';
        if (proto_room_record_add_kept(rec, keeper, entry + ENTRY_HEAD, entry_len(entry), NULL,
                                       0) != 0)
            return -1;
    }
    return 0;
}

int core_kept_restore(struct relay_room *room, const struct proto_room_record *rec)
{
    for (uint32_t i = 0; i < rec->n_kept; i++) {
        size_t len;
        const uint8_t *bytes = proto_room_record_event(rec, i, &len);
        struct proto_event e;
        if (proto_event_decode(bytes, len, &e) != PROTO_OK)
            return -1;
        /* Sender 0: no member's, so no leave drops it; its keeper is its player. */
        int rc = core_kept_put(room, 0, rec->kept[i].keeper, &e, bytes, len);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void core_kept_leave(struct relay_room *room, uint32_t owner)
{
    struct core_kept *k = room->kept;
    for (size_t off = 0; k && off < k->used;) {
        const uint8_t *entry = k->at + off;
        if (be32_get(entry) == owner && !(entry[ENTRY_HEAD + 2] & PROTO_EVENT_STAY))
            remove_at(k, off);
        else
            off += ENTRY_HEAD + entry_len(entry);
    }
}

bool core_kept_next(const struct relay_room *room, size_t *at, const uint8_t **bytes,
                    size_t *len, char keeper[PROTO_PLAYER_LEN + 1])
{
    const struct core_kept *k = room->kept;
    if (!k || *at >= k->used)
        return false;
    if (keeper) {
        memcpy(keeper, k->at + *at + KEEPER_AT, PROTO_PLAYER_LEN);
        keeper[PROTO_PLAYER_LEN] = '\0';
    }
    *bytes = k->at + *at + ENTRY_HEAD;
    *len = entry_len(k->at + *at);
    *at += ENTRY_HEAD + *len;
    return true;
}

size_t core_kept_counted(const struct relay_room *room)
{
    return room->kept ? room->kept->counted : 0;
}

size_t core_kept_memory(const struct relay_room *room)
{
    return room->kept ? sizeof *room->kept + room->kept->cap : 0;
}

void core_kept_close(struct relay_room *room)
{
    if (room->kept)
        free(room->kept->at);
    free(room->kept);
    room->kept = NULL;
}
