/* client_members_internal.h: client_members.c's part of a session, and its calls: the
 * members of my room and those departed.
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_MEMBERS_INTERNAL_H
#define RICOCHET_CLIENT_MEMBERS_INTERNAL_H

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

/* Members of my room, not me: client_members.c's. */
struct client_roster {
    struct client_member *members;
    size_t n_members, cap_members;
    uint32_t *member_ids;     /* members[i].id, apart: a state's sender is looked for
                                 among a few dozen members, a cache line of ids each 16 */
    bool remove_pending;      /* a member left or vanished: remove on the next poll */
    enum client_departure remove_how; /* ... and how */
    uint32_t remove_id;
    struct departed departed[DEPARTED_MAX];
    size_t departed_next;
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

/* No connection: a member silent for timeout_ms becomes a LEFT event
 * (reason timeout). Returns 1 with *ev for the first such member, or 0. */
int client_member_expire(struct ricochet *c, uint64_t now, struct ricochet_event *ev);

#endif
