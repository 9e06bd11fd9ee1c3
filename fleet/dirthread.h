/* dirthread.h: the directory thread, beside the relay's loop
 * (docs/design.md): it does all of the relay's Redis directory work
 * (fleet/directory.h) and its Agones SDK calls (fleet/agones.h), and meets
 * the loop only through two rings (sys/ring.h) of struct fleet_msg.
 *
 * The loop posts requests and polls results; neither ever blocks it (a
 * full ring refuses the message and counts it). The thread may block on
 * Redis or the sidecar, each call bounded by its timeout. It never calls
 * exit() and never touches a relay structure. */
#ifndef RICOCHET_FLEET_DIRTHREAD_H
#define RICOCHET_FLEET_DIRTHREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/player.h"
#include "agones.h"
#include "directory.h"
#include "schema.h"

enum fleet_msg_type {
    /* loop -> thread */
    FLEET_PLACE,     /* claim.room: where it lives; claim it if nobody holds it
                        (suspect: claim.addr names the relay reported lost, "" none,
                        and player the reporter's player id, "" none) */
    FLEET_RELEASE,   /* claim: a room this relay held is over, or let go */
    FLEET_LOAD,      /* rooms, clients: for heartbeats and Agones labels */
    FLEET_UNHEARD,   /* clients: that many all dropped at once; placement takes this
                        relay last for a while (its players may not reach it) */
    FLEET_LISTING,   /* listing: this relay's rooms (all of them, in name order): their
                        entries written from the next heartbeat on, what changed */
    FLEET_LIST,      /* query: a page of the fleet's rooms, or a pick of any room */
    FLEET_KEEP,      /* claim.room, record, members: what the directory keeps of a
                        room this relay holds (coalesced: the latest per room goes) */
    FLEET_DRAIN,     /* take no new rooms; hand each held room to another relay */
    FLEET_STOP,      /* release what is left, deregister, Agones shutdown, end */
    /* thread -> loop */
    FLEET_PLACED,    /* claim: the room's holder (this relay or another); at_us: asked at;
                        record: the room's record when the claim is this relay's;
                        refused: the report was no member's (a plain join) */
    FLEET_UNPLACED,  /* claim.room: cannot be placed now; unreachable, limit: why */
    FLEET_LOST,      /* claim: another relay now holds a room this relay served */
    FLEET_RECLAIMED, /* claim: a served room's claim under a new epoch */
    FLEET_CONFIRMED, /* at_us: every claim held then is this relay's until at_us + TTL */
    FLEET_HANDED,    /* claim: where a drained room went (epoch 0: nowhere) */
    FLEET_REACHABLE, /* unreachable: the directory stopped (true) or resumed answering */
    FLEET_LISTED,    /* query: FLEET_LIST's, answered (or not: query->answered) */
    FLEET_DRAINED    /* every held room handed over (or given up) */
};

/* A rooms request or a join of any room, asked of the directory: the loop
 * allocates it, the thread answers in it, the loop frees it. */
struct fleet_query {
    uint32_t peer, ask;               /* the loop's: whose request it is */
    bool any;                         /* a join of any room: pick one */
    char prefix[PROTO_ROOM_MAX + 1];
    char after[PROTO_ROOM_MAX + 1];
    struct proto_props match;         /* n == 0: any */
    bool answered;                    /* the thread's: the directory answered, in got */
    struct directory_listing got;
};

/* One message either way; which fields count depends on type. */
struct fleet_msg {
    enum fleet_msg_type type;
    struct fleet_claim claim;
    uint64_t at_us;      /* CLOCK_BOOTTIME, µs: leases run from it */
    uint32_t rooms;      /* FLEET_LOAD */
    uint32_t clients;    /* FLEET_LOAD */
    struct proto_room_entry *listing; /* FLEET_LISTING: n_listing rooms
                            (NULL if none), fleet_listing_alloc'd, the receiver's to free */
    struct proto_props *props; /* ... their props, beside them in listing's block */
    uint32_t n_listing;
    struct fleet_query *query; /* FLEET_LIST, FLEET_LISTED: the receiver's to free */
    char *record;        /* FLEET_PLACED, FLEET_KEEP: a room's record (room_record's
                            JSON; NULL: none, or for FLEET_KEEP as sent before),
                            the receiver's to free */
    char *members;       /* FLEET_KEEP, FLEET_PLACED with a record: n_members player
                            ids (the room's members, as its holder published them),
                            PROTO_PLAYER_LEN hex digits each back to back (NULL:
                            none), the receiver's */
    uint32_t n_members;
    char player[PROTO_PLAYER_LEN + 1]; /* FLEET_PLACE: who reported the holder lost */
    bool refused;        /* FLEET_PLACED: a report naming a holder that beats came from
                            no member of the room: taken as a plain join */
    bool unreachable;    /* FLEET_UNPLACED, FLEET_REACHABLE */
    bool keep_out;       /* FLEET_RELEASE: its last member was dropped (timed out, ...):
                            placement keeps this relay out of the room for a while */
    bool ended;          /* FLEET_RELEASE: its last member left by itself: the room is
                            over, its record (P:keep:ROOM) goes too */
    bool let_go;         /* FLEET_RELEASE: let go while the directory did not answer:
                            its record is restored when it answers again */
    enum directory_limit limit; /* FLEET_UNPLACED: which limit kept it from every relay */
    bool suspect;        /* FLEET_PLACE: a client of the room lost its holder (the
                            directory takes it over once the holder is stale);
                            FLEET_PLACED: the answer to such a question */
};

/* Frees what m owns (listing, query, record, members). */
void fleet_msg_free(struct fleet_msg *m);

/* n rooms (n > 0) and their props beside them, in one block: free(rooms)
 * frees both. NULL out of memory. */
struct proto_room_entry *fleet_listing_alloc(size_t n, struct proto_props **props);

struct dirthread_config {
    bool use_directory;          /* --directory given */
    struct directory_config dir; /* its stale_ms set: how long a suspect is awaited */
    uint32_t heartbeat_ms;       /* registration and claims renewed this often */
    uint32_t retry_ms;           /* reconnect, and retry /ready, this often */
    bool use_agones;             /* AGONES_SDK_HTTP_PORT set */
    struct agones_sdk agones;
    uint32_t health_ms;          /* POST /health this often (Agones wants <= its period) */
    size_t records_budget;       /* bytes of rooms' records and member ids kept (keeps.h) */
    size_t ring_slots;           /* each direction */
};

struct dirthread;

/* Creates the rings and starts the thread. Returns NULL with a one-line
 * message in err. */
struct dirthread *dirthread_start(const struct dirthread_config *cfg, char *err,
                                  size_t err_cap);

/* Loop: posts a request. Returns false if the ring was full (counted;
 * the message's listing, query, record and members are then still the
 * caller's). */
bool dirthread_post(struct dirthread *t, const struct fleet_msg *m);

/* Loop: the next result, if any. Call dirthread_ack first when draining
 * after a wake-up through dirthread_fd. */
bool dirthread_poll(struct dirthread *t, struct fleet_msg *m);

/* Loop: readable when results wait (an eventfd, for poll(2)). */
int dirthread_fd(const struct dirthread *t);
void dirthread_ack(struct dirthread *t);

/* Messages refused by a full ring: loop -> thread, thread -> loop. */
uint64_t dirthread_refused_requests(const struct dirthread *t);
uint64_t dirthread_refused_results(const struct dirthread *t);

/* Loop, at exit: posts FLEET_STOP (retrying while the ring is full), waits
 * for the thread to finish and frees everything (listings left in the
 * rings too). NULL is fine. */
void dirthread_stop(struct dirthread *t);

#endif
