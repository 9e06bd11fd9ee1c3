/* schema.h: the fleet's directory in Redis, as data: key names, the claim
 * value, and the Lua scripts that change the keys atomically
 * (fleet/scripts/, built in).
 * proto/FLEET.md describes the keys and their invariants.
 *
 * Pure: no I/O (fleet/directory.c runs the scripts). */
#ifndef RICOCHET_FLEET_SCHEMA_H
#define RICOCHET_FLEET_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/props.h"

#define FLEET_NAME_MAX 32      /* bytes in a fleet name (the key prefix), NUL excluded */
#define FLEET_ADDR_MAX 64      /* a relay's advertised "host:port", NUL included */
#define FLEET_TRANSPORT_MAX 96 /* a relay's edges: "enet" or "enet,udp:7778", NUL included */
#define FLEET_INSTANCE_LEN 16  /* hex digits naming one run of a relay */
#define FLEET_SCHEME_MAX 7     /* letters of an edge's scheme in TRANSPORT ("webrtc") */
#define FLEET_VALUE_MAX 224    /* a claim's value, NUL included */
#define FLEET_KEY_MAX 160      /* any key, NUL included */
#define FLEET_LIST_LINE 72     /* bytes of one room's line without its props:
                                  "ROOM MEMBERS CAPACITY[ closed,unlisted]\n" */
#define FLEET_LIST_PROPS 640   /* bytes of one room's props in its entry, " {...}"
                                  (each value's '"' and '\\' escaped) */
#define FLEET_ENTRY_MAX (FLEET_LIST_LINE + FLEET_LIST_PROPS) /* a room's entry, NUL included */
#define FLEET_LIST_WALK 2000   /* names of P:roomidx one LIST call looks at */
#define FLEET_LIST_WALK_MOST 100000 /* ... one request (a page, a pick) across its calls */
#define FLEET_PUT_PER_BEAT 2048 /* entries a heartbeat writes or removes, at most: the
                                  rest at the next */
#define FLEET_SWEEP_PER_BEAT 256 /* names of P:roomidx a heartbeat checks for entries
                                  whose holder is gone, from where the last stopped */
#define FLEET_KEEP_BYTES (40 * 1024) /* a room's record as the directory keeps it
                                  (P:keep:ROOM): a longer one is not written */
/* What a room costs Redis, as a relay counts it against its budget of
 * records (--directory-records-mb; proto/FLEET.md, Memory; test_directory
 * measures it): its record and a third more (the allocator's size classes:
 * 52.8 KB for the largest), FLEET_COST_MEMBER bytes a member's id (72 in a
 * set of 1024), FLEET_COST_ROOM for the rest (its claim, entry, index name
 * and version: 750 bytes). */
#define FLEET_COST_MEMBER 80
#define FLEET_COST_ROOM 1024
#define FLEET_COST_RECORD(len) ((len) + (len) / 3)
#define FLEET_KEEP_MEMBERS 1024 /* player ids a holder publishes of one room
                                  (P:members:ROOM): its members past these cannot
                                  move it by a report */

/* A room's claim: which relay process holds it, under which fencing epoch. */
struct fleet_claim {
    char room[PROTO_ROOM_MAX + 1];
    uint64_t epoch;                          /* from INCR PREFIX:epoch; 0 = none */
    char addr[FLEET_ADDR_MAX];               /* the holder's --advertise host:port */
    char transport[FLEET_TRANSPORT_MAX];     /* its edges: the first's scheme (at addr),
                                                then ",SCHEME:PORT" per other (at addr's
                                                host) */
    char instance[FLEET_INSTANCE_LEN + 1];   /* the holder's run */
};

/* The claim's value as stored: "EPOCH ADDR TRANSPORT INSTANCE". Returns
 * its length, or -1 if it does not fit in cap. */
int fleet_claim_format(const struct fleet_claim *c, char *buf, size_t cap);

/* Parses a stored value for room into c. Returns 0, or -1 if value is not
 * a well-formed claim (c is then zeroed): TRANSPORT is the holder's edges,
 * SCHEME[,SCHEME:PORT]... (schemes of 1..FLEET_SCHEME_MAX lowercase
 * letters). */
int fleet_claim_parse(const char *room, const char *value, struct fleet_claim *c);

/* The key PREFIX:KIND or PREFIX:KIND:NAME (name may be NULL). Returns its
 * length, or -1 if it does not fit. */
int fleet_key(char *buf, size_t cap, const char *prefix, const char *kind, const char *name);

/* Fleet names, like rooms: 1..FLEET_NAME_MAX bytes of [A-Za-z0-9_.-]. */
bool fleet_name_valid(const char *name);

/* An advertised address as it goes into a claim: "host:port" or
 * "[v6]:port", port 1..65535, no spaces, shorter than FLEET_ADDR_MAX (it is
 * not resolved: clients resolve it). Returns 0, or -1 with a one-line
 * message in err. */
int fleet_addr_check(const char *addr, char *err, size_t err_cap);

/* A room's entry in the directory's P:rooms as its holder writes it
 * (proto/FLEET.md), without its name (the field's) nor "ADDR INSTANCE "
 * (the script's): "MEMBERS CAPACITY[ FLAGS][ {PROPS}]", a closed or
 * unlisted room's flags after a space ("closed", "unlisted",
 * "closed,unlisted"), then a listed room's props (props may be NULL) as a
 * JSON object. At most FLEET_ENTRY_MAX bytes with the NUL. Returns the
 * length, or -1 if it does not fit in cap. */
int fleet_room_entry_format(const struct proto_room_entry *e, const struct proto_props *props,
                            char *buf, size_t cap);

/* Appends the rooms of a listing, a line "ROOM ENTRY\n" each (what the LIST
 * script returns), to out, and their props to props, from index *n up to
 * cap - 1, *n counting them, each open, listed and without props unless
 * its line says otherwise; a line that is not a room (or names a flag not
 * known, or props not well formed) is skipped (the text comes from Redis). */
void fleet_listing_parse(const char *text, struct proto_room_entry *out,
                         struct proto_props *props, size_t cap, size_t *n);

/* The scripts (EVALSHA with no KEYS; the prefix is always ARGV[1]): each
 * fleet/scripts/NAME.lua, which says what it takes and returns; its
 * arguments' names and order are fleet/script_args.h's list. */
enum fleet_script {
    FLEET_SCRIPT_PLACE,     /* find or claim a room */
    FLEET_SCRIPT_HEARTBEAT, /* register this relay, renew its claims */
    FLEET_SCRIPT_RELEASE,   /* drop a claim this relay holds */
    FLEET_SCRIPT_HANDOVER,  /* move a claim to another live relay */
    FLEET_SCRIPT_ROOMS_PUT, /* write or remove this relay's rooms' entries */
    FLEET_SCRIPT_LIST,      /* a page of the fleet's rooms, a pick of any, a free name */
    FLEET_SCRIPT_KEEP,      /* publish a held room's members and record */
    FLEET_SCRIPT_COUNT
};

/* The Lua source of script s as Redis loads it: its arguments' preamble
 * (`local ARG`), the shared functions it calls, then its file. */
const char *fleet_script_source(enum fleet_script s);

/* Script s's name ("place": fleet/scripts/place.lua). */
const char *fleet_script_name(enum fleet_script s);

/* The names of script s's arguments in ARGV's order, *n of them
 * (fleet/script_args.h's list). */
const char *const *fleet_script_args(enum fleet_script s, size_t *n);

/* The names of script s's reply's fields in their order, *n of them
 * (fleet/script_args.h's list), or NULL (*n 0) if its reply is not one of
 * named fields. */
const char *const *fleet_script_replies(enum fleet_script s, size_t *n);

#endif
