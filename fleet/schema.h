/* schema.h: the fleet's directory in Redis, as data: key names, the claim
 * value, and the Lua scripts that change the keys atomically.
 * proto/FLEET.md describes the keys and their invariants.
 *
 * Pure: no I/O (fleet/directory.c runs the scripts). */
#ifndef RICOCHET_FLEET_SCHEMA_H
#define RICOCHET_FLEET_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/control.h"
#include "../proto/props.h"

#define FLEET_NAME_MAX 32      /* bytes in a fleet name (the key prefix), NUL excluded */
#define FLEET_ADDR_MAX 64      /* a relay's advertised "host:port", NUL included */
#define FLEET_TRANSPORT_MAX 96 /* a relay's edges: "enet" or "enet,udp:7778", NUL included */
#define FLEET_INSTANCE_LEN 16  /* hex digits naming one run of a relay */
#define FLEET_SCHEME_MAX 7     /* letters of an edge's scheme in TRANSPORT ("webrtc") */
#define FLEET_VALUE_MAX 224    /* a claim's value, NUL included */
#define FLEET_KEY_MAX 160      /* any key, NUL included */
#define FLEET_LIST_ROOMS 1024  /* rooms a relay publishes at its heartbeat: its first by name */
#define FLEET_LIST_LINE 72     /* bytes of one published room without its props:
                                  "ROOM MEMBERS CAPACITY[ closed,unlisted]\n" */
#define FLEET_LIST_PROPS 640   /* bytes of one room's props as published, " {...}"
                                  (each value's '"' and '\\' escaped) */
#define FLEET_LIST_PROPS_BYTES (48 * 1024) /* bytes of props a relay publishes: its
                                  later rooms go without theirs (two relays' listings
                                  fit in what a heartbeat reads) */
#define FLEET_KEEP_BYTES (40 * 1024) /* a room's record as the directory keeps it
                                  (P:keep:ROOM): a longer one is not written */
#define FLEET_KEEP_PENDING_BYTES (4 * 1024 * 1024) /* records and members a relay
                                  holds to write (Redis slow or away): a record past
                                  them is not written, its members still are */
#define FLEET_KEEP_MEMBERS 1024 /* player ids a holder publishes of one room
                                  (P:members:ROOM): its members past these cannot
                                  move it by a report */
#define FLEET_ROOMS_MAX 4096   /* the other relays' rooms a relay keeps, at most */
#define FLEET_LIST_BYTES (256 * 1024) /* the other relays' listings a heartbeat reads, at most */

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

/* A relay's rooms as its heartbeat publishes them (proto/FLEET.md): a line
 * "ROOM MEMBERS CAPACITY[ FLAGS][ {PROPS}]\n" each, n of them: a closed or
 * unlisted room's flags after a space ("closed", "unlisted",
 * "closed,unlisted"), then a listed room's props (props[i], props may be
 * NULL) as a JSON object while the props published stay within
 * FLEET_LIST_PROPS_BYTES (an older reader skips a line with either). *cut
 * (may be NULL): the rooms with props published without them. At most
 * FLEET_LIST_LINE + FLEET_LIST_PROPS bytes a line. Returns the length, or
 * -1 if it does not fit in cap. */
int fleet_listing_format(const struct proto_room_entry *e, const struct proto_props *props,
                         size_t n, char *buf, size_t cap, size_t *cut);

/* Appends the rooms of a published listing to out, and their props to
 * props, from index *n up to cap - 1, *n counting them, each open, listed
 * and without props unless its line says otherwise; a line that is not a
 * room (or names a flag not known, or props not well formed) is skipped
 * (the text comes from Redis). */
void fleet_listing_parse(const char *text, struct proto_room_entry *out,
                         struct proto_props *props, size_t cap, size_t *n);

/* Sorts rooms[0..n) by name (strcmp), props[i] going with rooms[i],
 * keeping each name once (one of equals: a room that moved may be in two
 * relays' listings for a heartbeat). Returns how many are left, or -1 out
 * of memory (nothing moved). */
long fleet_listing_sort(struct proto_room_entry *rooms, struct proto_props *props, size_t n);

/* The scripts (EVALSHA with no KEYS; the prefix is always ARGV[1]). What
 * each takes and returns is written above it in schema.c. */
enum fleet_script {
    FLEET_SCRIPT_PLACE,     /* find or claim a room */
    FLEET_SCRIPT_HEARTBEAT, /* register this relay, renew its claims */
    FLEET_SCRIPT_RELEASE,   /* drop a claim this relay holds */
    FLEET_SCRIPT_HANDOVER,  /* move a claim to another live relay */
    FLEET_SCRIPT_KEEP,      /* publish a held room's members and record */
    FLEET_SCRIPT_COUNT
};

/* The Lua source of script s. */
const char *fleet_script_source(enum fleet_script s);

#endif
