/* fleet.h: the core's side of a fleet of relays (ricochet-relay
 * --directory; proto/FLEET.md): the hooks through which the fleet has its
 * say on joins, and the calls that settle parked joins and the directory's
 * listings, move, let go and lease rooms, and give out what the directory
 * keeps of them. The glue (relay/relay_fleet.c, relay_fleet_rooms.c) is its
 * one user outside the core. */
#ifndef RICOCHET_CORE_FLEET_H
#define RICOCHET_CORE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/errors.h"
#include "proto/mode.h"

struct relay;

/* Where a join for a room this relay does not have may go. */
enum relay_place {
    RELAY_PLACE_HERE,    /* create the room here */
    RELAY_PLACE_WAIT,    /* park the join: no member, no room, until relay_join_settle */
    RELAY_PLACE_MOVED,   /* answer moved (another relay holds it); nothing is kept */
    RELAY_PLACE_REFUSED  /* refuse the join with a code */
};

/* Where a moved sends a client. */
struct relay_moved_to {
    char host[PROTO_HOST_MAX + 1];
    uint16_t port;
    enum proto_mode transport; /* PROTO_MODE_UDP: plain UDP; else ENet */
    uint64_t epoch;
};

/* The fleet's say on joins; every callback may be NULL. They are called
 * from inside relay calls and must not call back into the core. */
struct relay_fleet_hooks {
    /* A valid join for a room this relay does not have: seen_epoch, the
     * epoch of the moved that sent the client (0: none); lost, non-NULL
     * when the client lost the relay that held the room (its join says
     * so): the HOST:PORT of that relay, "" if the join names none;
     * player: the joiner's player id (of its join's key), "" when it
     * brought no key (a report without one moves no room). MOVED fills
     * *to; REFUSED fills *code (sent with its table text). */
    enum relay_place (*place)(void *ctx, uint32_t peer, const char *room,
                              uint64_t seen_epoch, const char *lost, const char *player,
                              struct relay_moved_to *to, enum proto_error_code *code);
    /* Was player a member of room where it was before it moved here (as
     * the directory said with its record)? It takes its place back in
     * it, closed or not. */
    bool (*was_member)(void *ctx, const char *room, const char *player);
    /* A room was created here (the place hook said HERE): until when its
     * states may flow (relay_room_lease), on now_us's clock. */
    uint64_t (*lease)(void *ctx, const char *room, uint64_t now_us);
    /* A room emptied and was freed (not after relay_room_move); dropped:
     * its last member did not leave by itself (timed out, closed as a slow
     * reader: its players may not reach this relay any more). */
    void (*room_closed)(void *ctx, const char *room, bool dropped);
    /* A member left its room (not one moved with it, nor one taking its own
     * place back); dropped as above; members: how many this relay has now. */
    void (*member_left)(void *ctx, bool dropped, uint32_t members);
    /* A peer whose join was parked went away. */
    void (*peer_gone)(void *ctx, uint32_t peer);
    /* The fleet's directory keeps the rooms: a rooms request (any false:
     * prefix, after, match) or a join of any room (any: prefix, match)
     * from peer is asked of it, answered by relay_rooms_settle or
     * relay_any_settle with the same ask. False: it cannot be asked now
     * (the request is answered from this relay's rooms, the join refused). */
    bool (*list)(void *ctx, uint32_t peer, uint32_t ask, bool any, const char *prefix,
                 const char *after, const struct proto_props *match);
    void *ctx;
};

/* Installs the hooks (copied); without them every new room is created here. */
void relay_set_fleet(struct relay *r, const struct relay_fleet_hooks *hooks);

/* Settles peer's parked join: HERE joins it now (the place hook is asked
 * again), MOVED answers moved to *to and closes the session (code moved),
 * REFUSED answers code (with why, or the error table's words if NULL) and
 * closes. Ignored for a peer without a parked join. */
void relay_join_settle(struct relay *r, uint32_t peer, enum relay_place verdict,
                       const struct relay_moved_to *to, enum proto_error_code code,
                       const char *why, uint64_t now_us);

/* What the fleet's directory answered to a rooms request. */
struct relay_rooms_answer {
    const char *prefix, *after;           /* the request's */
    const struct proto_props *match;
    bool answered;                        /* false: it did not (in time) */
    const struct proto_room_entry *rooms; /* a page, in name order */
    const struct proto_props *props;      /* ... their props beside them */
    size_t n;
    bool more;
};

/* Answers peer's rooms request `ask` (the list hook's): a's page (a->n at
 * most PROTO_ROOMS_PAGE) with this relay's own rooms in its range merged in
 * as they are now, or, when the directory did not answer, a page of this
 * relay's own rooms marked partial. Ignored if peer asked nothing since,
 * or went away. */
void relay_rooms_settle(struct relay *r, uint32_t peer, uint32_t ask,
                        const struct relay_rooms_answer *a, uint64_t now_us);

/* What the fleet's directory answered to a join of any room. */
struct relay_any_answer {
    bool answered;                       /* false: it did not (in time) */
    const struct proto_room_entry *pick; /* the fullest open room with space it has
                                            (NULL: none) */
    const char *free;                    /* else: the prefix and a number no room
                                            has ("": every one taken) */
};

/* Settles peer's parked join of any room `ask` (the list hook's): it
 * joins the room core_any_pick chooses (placed as any join), or is
 * refused: directory_unavailable when the directory did not answer,
 * too_many_rooms when every name is taken. Ignored for a peer without
 * that parked join. */
void relay_any_settle(struct relay *r, uint32_t peer, uint32_t ask,
                      const struct relay_any_answer *a, const struct proto_props *match,
                      uint64_t now_us);

/* Sends every member of room moved to to[its edge] (one destination per
 * edge, relay_create's order: an edge of the member's kind on the other
 * relay; to NULL: error shutting_down) and closes them; the room is freed.
 * Returns how many members it had. */
uint32_t relay_room_move(struct relay *r, const char *room, const struct relay_moved_to *to,
                         uint64_t now_us);

/* Sends every member of room error directory_unavailable (retryable: a
 * fleet's client joins again through another relay) and closes them; the
 * room is freed. For a room whose lease ran out while the directory does
 * not answer: another relay may hold it, and nobody here can say which.
 * Returns how many members it had. */
uint32_t relay_room_let_go(struct relay *r, const char *room, uint64_t now_us);

/* room's states flow until until_us (on the transport's clock, as every
 * now_us), its claim's lease; from then on they are dropped (counted
 * unconfirmed), checked where each state comes in and again where it is
 * fanned out: another relay may hold the room. UINT64_MAX: no lease. */
void relay_room_lease(struct relay *r, const char *room, uint64_t until_us);

/* Calls each(ctx, name) for every live room (each must not change rooms). */
void relay_each_room(const struct relay *r, void (*each)(void *ctx, const char *room),
                     void *ctx);

/* A fleet: calls each(ctx, room, members, n, record) for every room whose
 * members or record changed since the last call, and forgets the change:
 * members the player ids of its first n members (PROTO_PLAYER_LEN hex
 * digits each, back to back, no NUL); record its record as JSON
 * (proto/room_record.h), NULL when only its members changed. Both are the
 * core's until each returns. */
void relay_each_changed_room(struct relay *r,
                             void (*each)(void *ctx, const char *room, const char *members,
                                          uint32_t n, const char *record),
                             void *ctx);

/* A fleet: a join's report of its room's holder lost was a stranger's
 * (counted: reports_refused). */
void relay_count_report_refused(struct relay *r);

#endif
