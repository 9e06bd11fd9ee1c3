/* props.h: a room's properties (PROTOCOL.md, "Rooms with properties"): a
 * small bounded set of string keys and values a room's owner sets, and
 * the `match` that a listing or a join of any room filters on.
 *
 * Pure: no I/O. Read from and written to JSON objects; bounded so that a
 * page of listed rooms stays within one control message. */
#ifndef RICOCHET_PROPS_H
#define RICOCHET_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_PROPS_KEYS 8        /* keys in a room's properties, at most */
#define PROTO_PROP_KEY_MAX 16     /* bytes in a key: 1.. of A-Z a-z 0-9 _ . - */
#define PROTO_PROP_VALUE_MAX 64   /* bytes in a value: 0.. of UTF-8, no control characters */
#define PROTO_PROPS_BYTES 256     /* bytes of every key and value together */

/* Keys and values packed "key\0value\0..." in the order given. */
struct proto_props {
    uint8_t n;      /* pairs */
    uint16_t len;   /* bytes used in kv */
    char kv[PROTO_PROPS_BYTES + 2 * PROTO_PROPS_KEYS];
};

struct cJSON;

/* Adds key = value to p, given in the field called field ("props",
 * "match"). Returns 0, or -1 with why (why_cap bytes, may be NULL) saying
 * for people which bound it breaks ("props: at most 8 keys"). */
int proto_props_add(struct proto_props *p, const char *field, const char *key,
                    const char *value, char *why, size_t why_cap);

/* Reads a JSON object of string values into p (cleared first). Returns
 * PROTO_OK, PROTO_E_FIELD_TYPE (not an object, a value not a string) or
 * PROTO_E_VALUE (a bound broken), with why as proto_props_add's. name is
 * the field's ("props", "match"), for the words. */
int proto_props_read(const struct cJSON *o, const char *name, struct proto_props *p,
                     char *why, size_t why_cap);

/* p as a JSON object added to o as name. Returns PROTO_OK or PROTO_E_SPACE. */
int proto_props_add_json(struct cJSON *o, const char *name, const struct proto_props *p);

/* p as a JSON object, written into buf (NUL-terminated, cap bytes). Returns
 * its length, or -1 if it does not fit. */
int proto_props_print(char *buf, size_t cap, const struct proto_props *p);

struct proto_control;
struct proto_room_entry;

/* The room fields of m's type from the JSON object o (PROTOCOL.md): a
 * join's props, match, size, listed, open and exists; a room message's
 * open, listed and props (m->room_set says which came), or from the relay
 * (naming its room) the room as it is, as a welcome's: owner, size, open,
 * listed, props; a rooms request's match. Returns PROTO_OK or a proto_err, with *field (the failing field's
 * wire name) and why (words for people) set. */
int proto_room_fields_read(const struct cJSON *o, struct proto_control *m, const char **field,
                           char *why, size_t why_cap);

/* A listing entry's props (into *props, cleared first) and open (into
 * re->closed), as proto_room_fields_read. */
int proto_room_entry_read(const struct cJSON *o, struct proto_room_entry *re,
                          struct proto_props *props, const char **field, char *why,
                          size_t why_cap);

/* The pair after at (NULL: the first): its key, *value set; NULL past the last. */
const char *proto_props_next(const struct proto_props *p, const char *at, const char **value);

/* key's value in p, or NULL. */
const char *proto_props_get(const struct proto_props *p, const char *key);

/* Does have hold every key of want with an equal value? (An empty want: yes.) */
bool proto_props_match(const struct proto_props *have, const struct proto_props *want);

#endif
