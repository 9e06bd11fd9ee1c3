/* room_record.h: a room the relay keeps (PROTOCOL.md, "Rooms kept"): what
 * its owner set (props, size, listed, open), its owner, and its `stay`
 * kept events, each with its keeper, in arrival order: what survives a
 * relay's restart (--room-file) or a room's move to another relay of a
 * fleet (the directory's record beside the claim).
 *
 * Pure: no I/O. JSON through cJSON, bounded both ways: a record never
 * holds more than PROTO_ROOM_KEPT_BYTES of events (the relay's own bound
 * on a room's kept events), so its JSON never passes PROTO_ROOM_RECORD_MAX,
 * and a decode refuses, with a reason, anything a valid record would not
 * be. */
#ifndef RICOCHET_ROOM_RECORD_H
#define RICOCHET_ROOM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "player.h"
#include "props.h"
#include "wire.h"

#define PROTO_ROOM_RECORD_VERSION 1
/* A room's kept events, each counted whole as it goes out (header, key,
 * body): the relay's CORE_KEPT_BYTES. */
#define PROTO_ROOM_KEPT_BYTES 16384
/* The most events that fit: each at least a header, a 1-byte key and a
 * 1-byte body (an empty body clears, it is never kept). */
#define PROTO_ROOM_KEPT_MAX (PROTO_ROOM_KEPT_BYTES / (PROTO_EVENT_HEAD + 2))
/* An entry of "kept"'s bytes: its event's length (2 bytes), its keeper's
 * player id (8 bytes), then the event. */
#define PROTO_ROOM_KEPT_ENTRY_HEAD 10
/* The JSON of the largest record: the kept events base64'd with their
 * heads (at most 16384 + 10 * 1170 bytes: 37448 characters), the props
 * escaped, the other fields; rounded up. A longer text is refused unread. */
#define PROTO_ROOM_RECORD_MAX 40960

/* The room's own (PROTOCOL.md, "From the room"): the sender id of what it
 * sends and keeps (its script's), which no member is ever given, and the
 * keeper of the keys it keeps, a player id no key hashes to in practice.
 * A record's kept event names the one exactly when it names the other;
 * no event names sender 0 (no one's). */
#define PROTO_ROOM_SENDER UINT32_MAX
#define PROTO_ROOM_KEEPER "0000000000000000"

/* One kept event of a record: bytes[at .. at + len) of the record's
 * bytes, as it goes out (sender stamped as it came), keeper the player
 * that kept it. */
struct proto_room_kept {
    char keeper[PROTO_PLAYER_LEN + 1];
    uint16_t at, len;
};

struct proto_room_record {
    struct proto_props props;
    uint32_t size;   /* members at most (0: the relay's bound), 0..PROTO_ROOM_SIZE_MAX */
    bool listed;
    bool open;
    float aoi;       /* its radius of interest (0: none, everyone sees everyone) */
    char owner[PROTO_PLAYER_LEN + 1]; /* its owner's player id ("": none) */
    uint32_t n_kept;
    uint32_t kept_bytes; /* the events' bytes: at most PROTO_ROOM_KEPT_BYTES */
    struct proto_room_kept kept[PROTO_ROOM_KEPT_MAX];
    uint8_t bytes[PROTO_ROOM_KEPT_BYTES];
};

/* An empty record: no props, no size, listed, open, no interest, no owner,
 * no events. */
void proto_room_record_init(struct proto_room_record *rec);

/* Appends a kept event (len bytes as it goes out: a valid event with keep
 * and stay, its sender stamped) kept by the player keeper. Returns 0, or
 * -1 with why (a bad event or keeper, a reserved sender: 0, or the room's
 * own for a player's keeper or a player's for the room's, a key already
 * in the record, past the bytes' bound). */
int proto_room_record_add_kept(struct proto_room_record *rec, const char *keeper,
                               const uint8_t *event, size_t len, char *why, size_t why_cap);

/* The i-th kept event's bytes (*len set). */
static inline const uint8_t *proto_room_record_event(const struct proto_room_record *rec,
                                                     uint32_t i, size_t *len)
{
    *len = rec->kept[i].len;
    return rec->bytes + rec->kept[i].at;
}

struct cJSON;

/* rec as a new JSON object (the caller deletes it), or NULL out of memory:
 * {"v":1,"props":{...},"size":N,"listed":B,"open":B,"aoi":R,"owner":"...",
 *  "kept":"<base64 of the entries>"}. */
struct cJSON *proto_room_record_json(const struct proto_room_record *rec);

/* rec as JSON text into buf (NUL-terminated, cap bytes: PROTO_ROOM_RECORD_MAX
 * + 1 always does). Returns its length, or -1 (cap too small, out of
 * memory). */
int proto_room_record_encode(char *buf, size_t cap, const struct proto_room_record *rec);

/* A record from the JSON object o into rec. Strict: every field present,
 * of its type, within its bounds, no other field, each kept event valid
 * (keep and stay, its key once). Returns PROTO_OK, or PROTO_E_JSON,
 * PROTO_E_MISSING, PROTO_E_FIELD_TYPE, PROTO_E_VALUE, PROTO_E_VERSION with
 * why (words for people); rec is then undefined. */
int proto_room_record_read(const struct cJSON *o, struct proto_room_record *rec, char *why,
                           size_t why_cap);

/* The same from len bytes of JSON text (not NUL-terminated), at most
 * PROTO_ROOM_RECORD_MAX (longer: PROTO_E_LONG). */
int proto_room_record_decode(const char *text, size_t len, struct proto_room_record *rec,
                             char *why, size_t why_cap);

#endif
