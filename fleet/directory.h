/* directory.h: one relay's conversation with the fleet's directory in
 * Redis (fleet/schema.h): register and heartbeat, place rooms, renew,
 * release and hand over claims; over TCP or TLS, as an ACL user, to one
 * server or to the primary Redis Sentinel names (fleet/redis_url.h).
 *
 * Synchronous calls (fleet/redisconn.h), each bounded by the timeout: for
 * the directory thread only, never the relay's loop. A call that fails on
 * I/O (refused, timed out, connection lost, or a server that is no longer
 * the primary) drops the connection and returns -1; directory_connect
 * makes a new one (through the sentinels again). Not thread-safe: one
 * thread owns a struct directory. */
#ifndef RICOCHET_FLEET_DIRECTORY_H
#define RICOCHET_FLEET_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_url.h"
#include "schema.h"

struct directory_config {
    struct fleet_redis_url url;               /* its password: the URL's, or the file's */
    char tls_ca[256];                         /* rediss: PEM CAs ("" = the system's) */
    char tls_cert[256];                       /* rediss: client certificate ("" = none) */
    char tls_key[256];                        /* ... and its key */
    char prefix[FLEET_NAME_MAX + 1];          /* --fleet-name: every key starts with it */
    char addr[FLEET_ADDR_MAX];                /* --advertise host:port */
    char transport[FLEET_TRANSPORT_MAX];      /* its edges (struct fleet_claim's) */
    char instance[FLEET_INSTANCE_LEN + 1];    /* this run (random hex) */
    uint32_t capacity;                        /* clients this relay takes, >= 1 */
    uint32_t ttl_ms;                          /* registration and claims expire after */
    uint32_t stale_ms;                        /* a relay whose heartbeats stopped this long
                                                 is stale (0: 3 heartbeats of TTL/10) */
    uint32_t timeout_ms;                      /* connect and each command */
    uint32_t restore_ms;                      /* after the directory was away, a room
                                                 nobody holds waits this long, on a
                                                 report, for its last holder to restore
                                                 its record */
};

/* What a heartbeat publishes about this relay. */
struct directory_load {
    uint32_t rooms;
    uint32_t clients;
    bool draining;       /* placements skip it */
    bool full;           /* its rooms' records fill its budget: placements skip it */
    uint32_t unheard_ms; /* all its clients dropped at once: its players may not
                            reach it, so placements take it only when no other can,
                            for this long from now (P:shun:ADDR); 0: no */
};

/* What a heartbeat found for one claim this relay held. */
enum directory_renewal {
    DIRECTORY_RENEWED,   /* still ours, expiry pushed back */
    DIRECTORY_RECLAIMED, /* it had lapsed with nobody holding it: ours again, new epoch */
    DIRECTORY_LOST       /* another live relay holds it now */
};

struct directory;

/* Copies cfg; no I/O. Returns NULL if out of memory. */
struct directory *directory_create(const struct directory_config *cfg);
void directory_destroy(struct directory *d); /* NULL is fine */

/* Connects (dropping any earlier connection), selects the database, loads
 * the scripts. Returns 0, or -1 with a one-line message in err. */
int directory_connect(struct directory *d, char *err, size_t err_cap);

bool directory_connected(const struct directory *d);

/* With sentinels: a descriptor readable when they may have failed over
 * (-1: none, or not subscribed now). */
int directory_event_fd(const struct directory *d);

/* Reads what the sentinels said: true if they switched the primary (the
 * connection is dropped: the next directory_connect asks them again). */
bool directory_on_event(struct directory *d, char *err, size_t err_cap);

/* With sentinels it first checks that a majority of them still name the
 * server connected to, that the server says it is the primary, and that
 * their subscription still answers (fails, dropping the connection, if
 * not: no lease is confirmed through a server they no longer name).
 * Registers this relay (or renews its registration) with load, and renews
 * the n claims in held[]: res[i] says what became of held[i], and held[i]
 * is updated to the claim as it now stands (new epoch if reclaimed, the
 * other holder if lost). Returns 0, or -1 with a message in err (then
 * nothing is known about the claims). */
int directory_heartbeat(struct directory *d, const struct directory_load *load,
                        struct fleet_claim *held, size_t n, enum directory_renewal *res,
                        char *err, size_t err_cap);

/* Writes the n entries of this relay's rooms: entries[i] is room[i]'s as
 * fleet_room_entry_format writes it, "" for a room gone from this relay
 * (its entry removed if it is still this relay's). An entry is written
 * only while this relay's claim of the room stands. Returns 0, or -1 with
 * a message (then any of them may have been written). */
int directory_rooms_put(struct directory *d, const char *const *rooms,
                        const char *const *entries, size_t n, char *err, size_t err_cap);

/* What to list: the rooms under prefix after after (each "" for none),
 * whose props hold match (NULL or empty: any). */
struct directory_query {
    const char *prefix;
    const char *after;
    const struct proto_props *match;
    bool any; /* a join of any room: pick, rather than list */
};

/* What the directory answered. */
struct directory_listing {
    struct proto_room_entry rooms[PROTO_ROOMS_PAGE]; /* a page, in name order */
    struct proto_props props[PROTO_ROOMS_PAGE];      /* ... their props beside them */
    size_t n;
    bool more;                  /* rooms follow (ask again after the last) */
    struct proto_room_entry pick; /* any: the fullest open room with space
                                  ("" none), its props in props[0] */
    char free[PROTO_ROOM_MAX + 1]; /* any, none picked: the prefix and the smallest
                                  number no room of the fleet is named ("": none) */
    uint32_t walked;            /* names looked at, */
    uint32_t calls;             /* ... in this many script calls */
};

/* The fleet's rooms, from the directory's entries (P:rooms, P:roomidx),
 * the filter applied there: one LIST call per FLEET_LIST_WALK names, until
 * the page fills (and one more room that matches is known to follow, or
 * not), or the pick is made, or FLEET_LIST_WALK_MOST names were looked at
 * and the page has a room (then `more`, the page as it stands: asked again
 * after its last room, the walk gets on; a pick: the best met so far).
 * Returns 0, or -1 with a message. */
int directory_list(struct directory *d, const struct directory_query *q,
                   struct directory_listing *out, char *err, size_t err_cap);

/* Removes the entries whose holder is gone (or no longer claims the room)
 * among the FLEET_SWEEP_PER_BEAT names of P:roomidx after cursor ("": from
 * the first), listed or not; cursor becomes where to go on ("" at the
 * end: from the first again). Returns 0, or -1 with a message. */
int directory_sweep(struct directory *d, char cursor[PROTO_ROOM_MAX + 1], char *err,
                    size_t err_cap);

/* Removes this relay's registration (placements stop choosing it; its
 * claims then count as abandoned). Returns 0, or -1 with a message. */
int directory_deregister(struct directory *d, char *err, size_t err_cap);

/* What directory_place found. */
enum directory_outcome {
    DIRECTORY_FAILED,  /* no answer understood: err says why (on I/O the connection
                          is dropped) */
    DIRECTORY_NONE,    /* no live relay can take the room (placement.limit: why) */
    DIRECTORY_CLAIMED, /* the room's holder is placement.claim (this relay or another) */
    DIRECTORY_WAIT     /* the suspected holder is not stale yet, or nobody holds the
                          room and its last holder may be about to restore its
                          record: ask again after placement.wait_ms */
};

/* Which limit kept a room from being placed. */
enum directory_limit {
    DIRECTORY_LIMIT_NONE,      /* none: no relay registered (or none live) */
    DIRECTORY_LIMIT_CLIENTS,   /* relays at their capacity (--max-clients) */
    DIRECTORY_LIMIT_RECORDS,   /* relays whose rooms' records fill their budget */
    DIRECTORY_LIMIT_MAXMEMORY  /* Redis past its maxmemory: no new claim */
};

/* The rest of directory_place's answer, each field as the place script's
 * reply names it (fleet/script_args.h's FLEET_PLACE_REPLIES). */
struct directory_placement {
    struct fleet_claim claim;      /* CLAIMED: the room's holder */
    uint32_t wait_ms;              /* WAIT: at most the directory's stale_ms */
    char kept_out[FLEET_ADDR_MAX]; /* the relay placement kept out of the room ("": none) */
    bool refused;                  /* a report naming a holder that beats came from no
                                      member of the room: taken as a plain join */
    char *record;                  /* CLAIMED by this relay: the room's record (P:keep:ROOM;
                                      NULL: none kept) */
    uint64_t version;              /* ... its version (P:keepv:ROOM; 0: none kept) */
    char *members;                 /* ... with it, the player ids of its members as its
                                      last holder published them, space-separated (NULL:
                                      none) */
    enum directory_limit limit;    /* NONE: which limit kept the room from a relay */
};

/* Frees what p owns (record, members). */
void directory_placement_free(struct directory_placement *p);

/* Where room lives: its live holder's claim, or a new claim on the
 * least-loaded live relay that is not stale (this one on a tie). lost,
 * non-NULL: a client of the room lost its holder, which is taken over once
 * its heartbeats have stopped for stale_ms while the directory answered,
 * or at once if lost names it (its address), the client is one of the
 * room's members as its holder published them (reporter: its player id;
 * NULL or "": none, no evidence) and no relay is kept out of the room yet:
 * it is then kept out for directory_keep_out_ms. A report naming a holder
 * that beats from any other (a stranger) moves nothing: it is answered as
 * a plain join, and out->refused says so. Fills *out (free it with
 * directory_placement_free, whatever the outcome). */
enum directory_outcome directory_place(struct directory *d, const char *room, const char *lost,
                                       const char *reporter, struct directory_placement *out,
                                       char *err, size_t err_cap);

/* What directory_keep did. */
enum directory_kept {
    DIRECTORY_KEPT_FAILED,   /* no answer: err says why */
    DIRECTORY_KEPT_NOT_OURS, /* nothing written: the claim is another relay's (a restore:
                                or a newer record is kept) */
    DIRECTORY_KEPT,          /* written */
    DIRECTORY_KEPT_NEWER,    /* the members written; a record as new or newer is kept */
    DIRECTORY_KEPT_FULL      /* nothing written: Redis is past its maxmemory */
};

/* Publishes what the directory keeps of a room (*c: the claim this relay
 * holds, or last held): its members' player ids (members[0..n), the first
 * FLEET_KEEP_MEMBERS; they replace those published before) and its record
 * at version (NULL: as written before; one past FLEET_KEEP_BYTES is not
 * written, err says so), only while the claim is still exactly *c; with
 * restore, also where the claim is gone or its holder dead (Redis lost it,
 * or this relay let the room go), then the record and members both or
 * neither. A record never replaces one of the same or a newer version. */
enum directory_kept directory_keep(struct directory *d, const struct fleet_claim *c,
                                   const char *record, uint64_t version, bool restore,
                                   const char *const *members, size_t n, char *err,
                                   size_t err_cap);

/* How long placement keeps a relay out of a room (P:out:ROOM): its
 * players reported it lost, or their room's last member was dropped there. */
uint32_t directory_keep_out_ms(const struct directory *d);

/* Deletes the claim if it is still exactly *c, and the members published;
 * out_ms > 0: placement keeps this relay out of the room that long (its
 * players may not reach it); ended: the room is over (its last member
 * left), its record goes too (otherwise it waits for a new holder).
 * Returns 1 if deleted, 0 if it was not ours any more, -1 with a message. */
int directory_release(struct directory *d, const struct fleet_claim *c, uint32_t out_ms,
                      bool ended, char *err, size_t err_cap);

/* Moves the claim *c (held by this relay) to the least-loaded other live
 * relay, under a new epoch. Returns 1 with *out the new claim, 2 with *out
 * the live holder's claim if it was not ours any more, 0 if no other relay
 * can take it (the claim is deleted), -1 with a message in err. */
int directory_handover(struct directory *d, const struct fleet_claim *c,
                       struct fleet_claim *out, char *err, size_t err_cap);

#endif
