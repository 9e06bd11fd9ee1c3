/* client_members.c: the client library's member table (see
 * client_members_internal.h): the members of my room as this session sees them,
 * those who left lately (so that a late state does not list them again),
 * the players away since a hop (told REJOINED when back), and, without a
 * connection, the expiry of a member gone silent. */
#define BY_CLIENT_MEMBERS_C /* this file writes the parts BY_CLIENT_MEMBERS_C marks */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"

#define MEMBERS_MAX PROTO_ROSTER_MAX /* others in my room: a relay room holds at most this many */

struct client_member *client_member_find(const struct ricochet *c, uint32_t id)
{
    for (size_t i = 0; i < c->roster.n_members; i++)
        if (c->roster.member_ids[i] == id)
            return &c->roster.members[i];
    return NULL;
}

struct departed *client_departed_find(struct ricochet *c, uint32_t id)
{
    for (size_t i = 0; id != 0 && i < DEPARTED_MAX; i++)
        if (c->roster.departed[i].id == id)
            return &c->roster.departed[i];
    return NULL;
}

/* Remembers id as departed (m: its last table entry, may be NULL) in a
 * ring of the last DEPARTED_MAX notes, one entry per id. */
static void departed_note(struct ricochet *c, uint32_t id, const struct client_member *m,
                          enum client_departure how)
{
    struct departed *d = client_departed_find(c, id);
    if (d)
        d->id = 0; /* one entry per id: the newest */
    d = &c->roster.departed[c->roster.departed_next];
    c->roster.departed_next = (c->roster.departed_next + 1) % DEPARTED_MAX;
    memset(d, 0, sizeof *d);
    d->id = id;
    d->expired = how == CLIENT_EXPIRED;
    d->vanished = how == CLIENT_VANISHED;
    if (m) {
        snprintf(d->name, sizeof d->name, "%s", m->name);
        d->mode = m->mode;
    }
}

struct client_member *client_member_add(struct ricochet *c, uint32_t id, const char *name,
                                        enum proto_mode mode, uint64_t now)
{
    struct client_member *m = client_member_find(c, id);
    if (!m) {
        if (c->roster.n_members == MEMBERS_MAX)
            return NULL;
        if (c->roster.n_members == c->roster.cap_members) {
            size_t cap = c->roster.cap_members ? c->roster.cap_members * 2 : 16;
            struct client_member *bigger =
                realloc(c->roster.members, cap * sizeof *bigger);
            if (!bigger)
                return NULL;
            c->roster.members = bigger;
            uint32_t *ids = realloc(c->roster.member_ids, cap * sizeof *ids);
            if (!ids)
                return NULL;
            c->roster.member_ids = ids;
            c->roster.cap_members = cap;
        }
        c->roster.member_ids[c->roster.n_members] = id;
        m = &c->roster.members[c->roster.n_members++];
        memset(m, 0, sizeof *m);
        m->id = id;
        m->added_us = now;
        recv_stats_reset(&m->stats);
        /* It can expire a timeout from now: sooner than the earliest kept,
         * which is "never" when the table was empty. */
        uint64_t due = now + (uint64_t)c->timeout_ms * 1000u;
        if (due < c->expire_after_us)
            c->expire_after_us = due;
    }
    if (name && *name)
        snprintf(m->name, sizeof m->name, "%s", name);
    m->mode = mode;
    return m;
}

void client_member_remove(struct ricochet *c, uint32_t id, enum client_departure how)
{
    struct client_member *m = client_member_find(c, id);
    departed_note(c, id, m, how);
    if (m) {
        *m = c->roster.members[c->roster.n_members - 1];
        c->roster.member_ids[m - c->roster.members] = m->id;
        c->roster.n_members--;
    }
}

void client_members_clear(struct ricochet *c)
{
    c->roster.n_members = 0;
    c->roster.remove_pending = false;
    memset(c->roster.departed, 0, sizeof c->roster.departed);
    c->roster.departed_next = 0;
}

void client_member_leaving(struct ricochet *c, uint32_t id, enum client_departure how)
{
    c->roster.remove_pending = true;
    c->roster.remove_how = how;
    c->roster.remove_id = id;
}

void client_members_settle(struct ricochet *c)
{
    if (c->roster.remove_pending)
        client_member_remove(c, c->roster.remove_id, c->roster.remove_how);
    c->roster.remove_pending = false;
}

void client_members_free(struct ricochet *c)
{
    free(c->roster.members);
    free(c->roster.member_ids);
    free(c->roster.away);
}

/* ---- players away across a hop (PROTOCOL.md, Players who come back) ---- */

void client_away_note(struct ricochet *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->roster.n_members; i++)
        n += c->roster.members[i].player[0] != '\0';
    if (n == 0)
        return; /* a hop before the welcome: those away are still away */
    struct client_away *away = realloc(c->roster.away, n * sizeof *away);
    if (!away)
        return; /* out of memory: they will come back as new */
    c->roster.away = away;
    c->roster.n_away = 0;
    c->roster.away_until_us = 0;
    for (size_t i = 0; i < c->roster.n_members; i++) {
        const struct client_member *m = &c->roster.members[i];
        if (!m->player[0])
            continue;
        struct client_away *a = &away[c->roster.n_away++];
        memset(a, 0, sizeof *a);
        memcpy(a->player, m->player, sizeof a->player);
        memcpy(a->name, m->name, sizeof a->name);
        a->mode = m->mode;
        a->id = a->was = m->id;
    }
}

static struct client_away *away_find(struct ricochet *c, const char *player)
{
    for (size_t i = 0; player[0] && i < c->roster.n_away; i++)
        if (strcmp(c->roster.away[i].player, player) == 0)
            return &c->roster.away[i];
    return NULL;
}

static void away_drop(struct ricochet *c, struct client_away *a)
{
    *a = c->roster.away[--c->roster.n_away];
}

void client_away_welcomed(struct ricochet *c, uint64_t now)
{
    if (c->room_aoi > 0)
        c->roster.n_away = 0; /* a room with interest: the others appear as they come in sight */
    for (size_t i = 0; i < c->roster.n_members; i++) {
        const struct client_member *m = &c->roster.members[i];
        struct client_away *a = away_find(c, m->player);
        if (a) {
            a->back = true;
            a->id = m->id;
        }
    }
    c->roster.away_until_us = now + (uint64_t)c->timeout_ms * 1000u;
}

uint32_t client_away_back(struct ricochet *c, const char *player)
{
    struct client_away *a = away_find(c, player);
    if (!a || a->back)
        return 0;
    uint32_t was = a->was;
    away_drop(c, a);
    return was;
}

int client_away_event(struct ricochet *c, uint64_t now, struct ricochet_event *ev)
{
    if (c->phase != PHASE_JOINED || c->roster.n_away == 0 || c->roster.remove_pending)
        return 0;
    struct client_away *a = NULL;
    for (size_t i = 0; i < c->roster.n_away && !a; i++)
        if (c->roster.away[i].back)
            a = &c->roster.away[i];
    if (!a && now < c->roster.away_until_us)
        return 0;
    if (!a)
        a = &c->roster.away[c->roster.n_away - 1];
    ev->type = a->back ? RICOCHET_EV_REJOINED : RICOCHET_EV_LEFT;
    ev->id = a->id;
    c->ev_was = a->back ? a->was : 0;
    ev->recv_us = now;
    ev->mode = client_public_mode(a->mode);
    snprintf(ev->name, sizeof ev->name, "%s", a->name);
    if (!a->back)
        snprintf(ev->code, sizeof ev->code, "%s", proto_left_reason_name(PROTO_LEFT_TIMEOUT));
    away_drop(c, a);
    return 1;
}

/* Without a connection the relay's left notice may be lost. A member I have
 * not had a state from for timeout_ms (counted from when I listed it if it
 * never sent one) is gone as far as I can tell: LEFT, reason timeout, as
 * the relay would say. */
int client_member_expire(struct ricochet *c, uint64_t now, struct ricochet_event *ev)
{
    if (c->caps.connection || c->phase != PHASE_JOINED || c->roster.remove_pending ||
        now < c->expire_after_us)
        return 0;
    uint64_t timeout_us = (uint64_t)c->timeout_ms * 1000u;
    uint64_t first = UINT64_MAX; /* the earliest a member can expire, if none does now */
    for (size_t i = 0; i < c->roster.n_members; i++) {
        const struct client_member *m = &c->roster.members[i];
        uint64_t heard = m->last_recv_us > m->added_us ? m->last_recv_us : m->added_us;
        if (now <= heard || now - heard <= timeout_us) {
            first = heard + timeout_us < first ? heard + timeout_us : first;
            continue;
        }
        c->expire_after_us = 0;
        /* Kept until the next poll, like a notice's member. */
        c->roster.remove_pending = true;
        c->roster.remove_how = CLIENT_EXPIRED;
        c->roster.remove_id = m->id;
        ev->type = RICOCHET_EV_LEFT;
        ev->id = m->id;
        ev->recv_us = now;
        ev->mode = client_public_mode(m->mode);
        snprintf(ev->name, sizeof ev->name, "%s", m->name);
        snprintf(ev->code, sizeof ev->code, "%s", proto_left_reason_name(PROTO_LEFT_TIMEOUT));
        log_debug("client %s: member %u silent for %u ms: expired", c->name,
                  (unsigned)m->id, (unsigned)c->timeout_ms);
        return 1;
    }
    /* Members only get heard from later, and one listed from now on expires
     * a timeout from now at the earliest: no walk before then. */
    c->expire_after_us = first;
    return 0;
}

const struct client_member *client_members(const struct ricochet *c, size_t *n)
{
    *n = c->roster.n_members;
    return c->roster.members;
}

const struct client_member *client_member(const struct ricochet *c, uint32_t id)
{
    return client_member_find(c, id);
}
