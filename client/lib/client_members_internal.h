/* client_members_internal.h: client_members.c's part of a session, and its calls: the
 * members of my room and those departed.
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_MEMBERS_INTERNAL_H
#define RICOCHET_CLIENT_MEMBERS_INTERNAL_H

/* BY_CLIENT_MEMBERS_C marks what client_members.c alone writes: const in every other
 * file in the writers check (sys/writer.h; client_members.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_CLIENT_MEMBERS_C
#define BY_CLIENT_MEMBERS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

struct ricochet;

#define DEPARTED_MAX 64            /* ids remembered after they left */

/* A member that left my room, remembered so that a late state does not list
 * it again. expired: I expired it myself (no connection, no state for
 * timeout_ms) and the relay may still have it, so a state from it lists it
 * again under its name. */
/* How a member leaves my table: the relay said it left, I expired it myself
 * (no connection), or it went out of sight (a room with interest). */
enum client_departure { CLIENT_LEFT, CLIENT_EXPIRED, CLIENT_VANISHED };

struct departed {
    uint32_t id;               /* 0: free slot */
    bool expired;
    bool vanished;             /* out of sight (a room with interest), not gone */
    enum proto_mode mode;
    char name[PROTO_NAME_MAX + 1];
};

/* A member of my room before a hop (a move, a rejoin), by its player:
 * told REJOINED once it is back, LEFT if it is not back in time. */
struct client_away {
    char player[PROTO_PLAYER_LEN + 1];
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    uint32_t id;              /* its id before the hop; once back, its id now */
    uint32_t was;             /* its id before the hop */
    bool back;                /* listed again (a welcome's roster): REJOINED to tell */
};

/* Members of my room, not me: client_members.c's. */
struct client_roster {
    BY_CLIENT_MEMBERS_C struct client_member *members;
    size_t n_members, cap_members;
    BY_CLIENT_MEMBERS_C uint32_t *member_ids; /* members[i].id, apart: a state's sender is looked
                                                 for among a few dozen members, a cache line of ids
                                                 each 16 */
    bool remove_pending;      /* a member left or vanished: remove on the next poll */
    enum client_departure remove_how; /* ... and how */
    uint32_t remove_id;
    struct departed departed[DEPARTED_MAX];
    size_t departed_next;
    BY_CLIENT_MEMBERS_C struct client_away *away; /* the members before the last hop, not yet
                                                     back */
    size_t n_away;
    uint64_t away_until_us;   /* those not back by then left (0: not joined again yet) */
};

/* ---- the member table (client_members.c) ---- */

/* The member with this id, or NULL. */
struct client_member *client_member_find(const struct ricochet *c, uint32_t id);

/* The note of a member who left lately, or NULL. */
struct departed *client_departed_find(struct ricochet *c, uint32_t id);

/* Adds (or returns) the member with this id, listed since now if new;
 * name ("" or NULL: keep the one known) and mode as given. NULL if the
 * table is full (only a misbehaving relay announces more) or out of
 * memory. */
struct client_member *client_member_add(struct ricochet *c, uint32_t id, const char *name,
                                        enum proto_mode mode, uint64_t now);

/* Removes member id and notes it as departed, and how. */
void client_member_remove(struct ricochet *c, uint32_t id, enum client_departure how);

/* Forgets every member and departed note (a welcome's roster replaces them). */
void client_members_clear(struct ricochet *c);

/* Member id left (how): listed until the next poll, so that the caller can
 * still read its statistics, then removed by client_members_settle. */
void client_member_leaving(struct ricochet *c, uint32_t id, enum client_departure how);

/* Removes the member client_member_leaving named, if any. */
void client_members_settle(struct ricochet *c);

/* Frees the table (the session's end). */
void client_members_free(struct ricochet *c);

/* A hop (a move, a rejoin) starts: the members listed now are noted away,
 * by their players (kept as they were if none is listed: a hop of a hop). */
void client_away_note(struct ricochet *c);

/* The welcome after a hop: members of the roster whose players were away
 * are back (REJOINED to tell); the rest have until now + timeout_ms. In a
 * room with interest (its radius set first) no one is away: the others
 * appear as they come within sight. */
void client_away_welcomed(struct ricochet *c, uint64_t now);

/* A joined notice's player: its id before the hop (and no longer away) if
 * it was away, else 0. */
uint32_t client_away_back(struct ricochet *c, const char *player);

/* A member back from away (REJOINED, its id before in c->ev_was), or one
 * not back in time (LEFT, reason timeout, its id before the hop): 1 with
 * *ev, or 0. */
int client_away_event(struct ricochet *c, uint64_t now, struct ricochet_event *ev);

/* No connection: a member silent for timeout_ms becomes a LEFT event
 * (reason timeout). Returns 1 with *ev for the first such member, or 0. */
int client_member_expire(struct ricochet *c, uint64_t now, struct ricochet_event *ev);

#endif
