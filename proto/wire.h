/* wire.h: the binary state message and the names shared by every program.
 *
 * Pure: encodes into caller buffers and decodes (buf, len); no I/O, no
 * allocation, no clock. The byte layout is specified in proto/PROTOCOL.md. */
#ifndef RICOCHET_WIRE_H
#define RICOCHET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mode.h"

/* Protocol version, sent in join; PROTOCOL.md lists the changes from 1.
 * A relay refuses a join of another version (error bad_version). */
#define PROTO_VERSION 3
/* Format of the binary state (its byte 0): unchanged in protocol 2. */
#define PROTO_STATE_VERSION 1
#define PROTO_STATE_SIZE 40   /* bytes of the fixed state message */
#define PROTO_STATE_MAX 1200  /* largest state datagram, payload included */
/* A state's payload: the game's own bytes after its 40, forwarded unchanged
 * by the relay, which reads only the 40 (PROTOCOL.md, "State message").
 * In a sealed session a state is SEAL_OVERHEAD bytes longer on the wire
 * and no datagram is longer than PROTO_STATE_MAX, so its payload is at most
 * PROTO_PAYLOAD_MAX - SEAL_OVERHEAD (seal.h: SEAL_STATE_MAX). */
#define PROTO_PAYLOAD_MAX (PROTO_STATE_MAX - PROTO_STATE_SIZE)
#define PROTO_DEFAULT_PORT 7777

enum proto_msg_type { PROTO_MSG_STATE = 1, PROTO_MSG_BATCH = 2, PROTO_MSG_EVENT = 3 };

/* An event (PROTOCOL.md, "Event message"): the game's own message, sent
 * reliably on the control way to the whole room or to one member, stamped
 * by the relay with its sender's id. The header (version 1, type 3, two
 * reserved bytes, sender, to), then a body of 0..PROTO_EVENT_BODY_MAX
 * bytes the relay does not read. */
#define PROTO_EVENT_HEAD 12
#define PROTO_EVENT_BODY_MAX 4096
#define PROTO_EVENT_MAX (PROTO_EVENT_HEAD + PROTO_EVENT_BODY_MAX)
#define PROTO_EVENT_ROOM 0u /* "to" of an event for every other member of the room */
/* An event's flags (byte 2; PROTOCOL.md, "Kept events"), and its key's
 * bound: a kept event's body starts with its key (byte 3: its length). */
#define PROTO_EVENT_KEEP 0x01u /* keep it for the room, the newest per key */
#define PROTO_EVENT_STAY 0x02u /* ... and after its sender leaves */
#define PROTO_EVENT_KEPT 0x04u /* a replayed copy (the relay's mark only) */
#define PROTO_EVENT_KEY_MAX 32

/* A batch (plain UDP, relay to a client whose join asked for it): the
 * header (version 1, type 2, two reserved bytes), then entries of a 2-byte
 * big-endian length and that many bytes of one state message (sealed or
 * not), PROTO_BATCH_MAX bytes in all at most (PROTOCOL.md, "Batches"). */
#define PROTO_BATCH_HEADER 4
#define PROTO_BATCH_ENTRY_HEAD 2
#define PROTO_BATCH_MAX 1200

/* Return codes of every proto_* function that can fail (negative). */
enum proto_err {
    PROTO_OK = 0,
    PROTO_E_SHORT = -1,        /* fewer bytes than the message needs */
    PROTO_E_VERSION = -2,      /* version byte is not PROTO_STATE_VERSION */
    PROTO_E_TYPE = -3,         /* unknown message type */
    PROTO_E_VALUE = -4,        /* a field is out of range (NaN, too long, bad chars) */
    PROTO_E_SPACE = -5,        /* caller's buffer too small */
    PROTO_E_LONG = -6,         /* datagram longer than PROTO_STATE_MAX */
    PROTO_E_JSON = -7,         /* control message is not a JSON object */
    PROTO_E_MISSING = -8,      /* a required field is missing */
    PROTO_E_FIELD_TYPE = -9,   /* a field has the wrong JSON type */
    PROTO_E_UNKNOWN_TYPE = -10 /* control "type" is not one we know */
};

/* One entity's state. Positions are in arena units: the arena is
 * PROTO_ARENA_W x PROTO_ARENA_H with (0,0) at the top left. */
#define PROTO_ARENA_W 100.0f
#define PROTO_ARENA_H 100.0f
/* Every float of a state must lie within +-PROTO_VALUE_MAX: room to move off
 * the arena, but no value a receiver could overflow converting to screen
 * cells or extrapolating for a few seconds. */
#define PROTO_VALUE_MAX 1e6f
/* send_us must not exceed this (31.7 years of a monotonic clock): every
 * accepted state is echoed in JSON rosters, whose integers keep 15 digits. */
#define PROTO_TIME_MAX 999999999999999ull
struct proto_state {
    uint32_t sender;  /* relay-assigned id; clients send 0, relay overwrites */
    uint32_t seq;     /* sender's sequence number, +1 per state, wraps */
    uint64_t send_us; /* sender's CLOCK_MONOTONIC at the intended send, µs */
    float x, y;       /* position, arena units */
    float vx, vy;     /* velocity, arena units per second */
    float heading;    /* radians, 0 = +x, clockwise on screen (y grows down) */
};

/* Writes the 40-byte state into buf. Returns PROTO_STATE_SIZE, or
 * PROTO_E_SPACE if cap is too small, or PROTO_E_VALUE for a float that is
 * not finite or beyond +-PROTO_VALUE_MAX, or send_us over PROTO_TIME_MAX. */
int proto_state_encode(uint8_t *buf, size_t cap, const struct proto_state *s);

/* Reads a state datagram of len bytes (padding after byte 40 is allowed and
 * ignored). Returns PROTO_OK or a negative enum proto_err; s is untouched on
 * error. */
int proto_state_decode(const uint8_t *buf, size_t len, struct proto_state *s);

/* Overwrites the sender id of an already validated state datagram (or
 * event: the same offset) in place: the relay's stamp. buf must hold at
 * least 8 bytes. */
void proto_state_stamp_sender(uint8_t *buf, uint32_t sender);

/* The sender id stamped in a state's bytes (0 when len is too short to
 * hold one), without decoding the rest. */
uint32_t proto_state_sender(const uint8_t *buf, size_t len);

/* An event as read: who sent it (0 from a client), to whom (0: the room),
 * and its body, pointing into the message decoded. */
struct proto_event {
    uint32_t sender;
    uint32_t to;
    uint8_t flags;        /* PROTO_EVENT_KEEP, _STAY, _KEPT (unknown bits kept) */
    const uint8_t *key;   /* with keep: key_len bytes (not NUL-terminated) */
    size_t key_len;       /* 0 without keep */
    const uint8_t *body;  /* the game's bytes, after the key */
    size_t len;
};

/* Writes an event to `to` (PROTO_EVENT_ROOM: the room) with len bytes of
 * body (sender 0) into buf. Returns its length, or PROTO_E_SPACE (cap too
 * small), PROTO_E_LONG (len over PROTO_EVENT_BODY_MAX), PROTO_E_VALUE
 * (body NULL with len > 0). */
int proto_event_encode(uint8_t *buf, size_t cap, uint32_t to, const void *body, size_t len);

/* Writes a kept event to the room (PROTOCOL.md, "Kept events"): flag keep
 * (and stay), the key (proto_event_key_valid) before len bytes of body (0:
 * clears the key). Returns its length, or PROTO_E_VALUE (a bad key, body
 * NULL with len > 0), PROTO_E_LONG (key and body over PROTO_EVENT_BODY_MAX),
 * PROTO_E_SPACE. */
int proto_event_encode_kept(uint8_t *buf, size_t cap, const char *key, bool stay,
                            const void *body, size_t len);

/* Is key a kept event's key: 1..PROTO_EVENT_KEY_MAX bytes of 0x21..0x7e? */
bool proto_event_key_valid(const char *key);

/* Reads an event of len bytes into *e (its key and body point into buf).
 * Returns PROTO_OK, or PROTO_E_SHORT, PROTO_E_VERSION, PROTO_E_TYPE,
 * PROTO_E_LONG (a body over PROTO_EVENT_BODY_MAX), PROTO_E_VALUE (a key
 * without keep or a bad one, stay without keep); e is untouched on error. */
int proto_event_decode(const uint8_t *buf, size_t len, struct proto_event *e);

/* Is the message an event (by its first two bytes)? */
int proto_is_event(const uint8_t *buf, size_t len);

/* Writes a batch's header into buf[0..PROTO_BATCH_HEADER). */
void proto_batch_begin(uint8_t buf[PROTO_BATCH_HEADER]);
/* Appends one entry (len bytes of state) to the batch of *used bytes in buf
 * (cap bytes, at most PROTO_BATCH_MAX count). Returns PROTO_OK, or
 * PROTO_E_SPACE if it does not fit (nothing written), PROTO_E_VALUE if len
 * is 0. */
int proto_batch_add(uint8_t *buf, size_t cap, size_t *used, const uint8_t *state, size_t len);
/* Writes an entry's length prefix for len bytes (1..PROTO_BATCH_MAX). */
void proto_batch_entry_head(uint8_t head[PROTO_BATCH_ENTRY_HEAD], size_t len);
/* Is the datagram a batch (by its first two bytes)? */
int proto_is_batch(const uint8_t *buf, size_t len);
/* Checks a batch's framing: entries of 1 byte or more that end exactly at
 * len, len at most PROTO_BATCH_MAX. Returns the number of entries (>= 1),
 * or PROTO_E_SHORT / PROTO_E_LONG / PROTO_E_VALUE. Entries are not decoded. */
int proto_batch_check(const uint8_t *buf, size_t len);
/* The entry at *at of a batch that passed proto_batch_check (*at starts at
 * PROTO_BATCH_HEADER): sets *entry, *entry_len, moves *at past it and
 * returns 1; returns 0 at the end. */
int proto_batch_next(const uint8_t *buf, size_t len, size_t *at, const uint8_t **entry,
                     size_t *entry_len);

/* Short lower-case description of a proto_err ("too short", ...). */
const char *proto_strerror(int err);

/* Wrap-safe sequence comparison: is a after b (within half the space)? */
static inline int proto_seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

#endif
