/* listing.c: rooms to list (see listing_internal.h and PROTOCOL.md, "Rooms to list"):
 * the rooms request answered with a page of the rooms under a prefix, and
 * a join of any room given the fullest room under its prefix with space,
 * or a new one. Both walk the live rooms in name order (rooms.c keeps
 * r->rooms.by_name): a page costs a binary search and its entries, never
 * a sort; a join of any room walks every room under its prefix once. A
 * room's owner may leave it out (unlisted), and a filter (match) skips
 * rooms whose props differ: then a page walks until it fills. In a fleet
 * the directory keeps every relay's rooms (proto/FLEET.md): a request is
 * asked of it, its page merged with this relay's rooms as they are now. */
#define BY_LISTING_C /* this file writes the parts BY_LISTING_C marks */
#include "core.h"
#include "admit_internal.h"
#include "control_out_internal.h"
#include "limits_internal.h"
#include "listing_internal.h"
#include "peers_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The walk over the rooms under a prefix, from a starting name on. */
struct walk {
    const struct relay *r;
    const char *prefix;
    size_t plen;
    uint32_t i;        /* the next of r->rooms.by_name */
    const struct proto_props *match; /* NULL: no filter */
};

/* From the first name under prefix, or past after if that is further;
 * only rooms listed that match (NULL or empty: any). */
static void walk_start(struct walk *w, const struct relay *r, const char *prefix,
                       const char *after, const struct proto_props *match)
{
    bool past = after && after[0] && strcmp(after, prefix) >= 0;
    const char *from = past ? after : prefix;
    *w = (struct walk){.r = r, .prefix = prefix, .plen = strlen(prefix),
                       .i = core_room_rank(r, from, past),
                       .match = match && match->n ? match : NULL};
}

/* The next room of the walk, listed or not, into *e and its props into
 * *props (*at: the room); false past the last under the prefix. */
static bool walk_step(struct walk *w, struct proto_room_entry *e,
                      const struct relay_room **at, const struct proto_props **props)
{
    const struct relay *r = w->r;
    const struct relay_room *here = w->i < r->rooms.n ? &r->rooms.at[r->rooms.by_name[w->i]] : NULL;
    if (!here || strncmp(here->name, w->prefix, w->plen) != 0)
        return false; /* in name order: none after it is under the prefix either */
    *at = here;
    *props = &here->settings.props;
    _Static_assert(sizeof e->room == sizeof here->name, "a room's name, whole");
    memcpy(e->room, here->name, sizeof e->room); /* not snprintf: a join of any room
                                                    walks every room under its prefix */
    e->members = here->n;
    e->capacity = core_room_cap(r, here);
    e->closed = here->settings.closed;
    e->unlisted = here->settings.unlisted;
    w->i++;
    return true;
}

/* The next room of the walk into *e (and its props into *props, if not
 * NULL); false past the last under the prefix. */
static bool walk_next(struct walk *w, struct proto_room_entry *e,
                      const struct proto_props **props)
{
    const struct relay_room *here;
    const struct proto_props *p;
    do {
        if (!walk_step(w, e, &here, &p))
            return false;
    } while (!core_room_listed(here, w->match));
    if (props)
        *props = p;
    return true;
}

size_t relay_list_rooms(const struct relay *r, const char *prefix, const char *after,
                        struct proto_room_entry *out, struct proto_props *props, size_t cap,
                        bool *more)
{
    struct walk w;
    struct proto_room_entry next;
    size_t n = 0;
    const struct relay_room *here;
    const struct proto_props *p;
    walk_start(&w, r, prefix ? prefix : "", after, NULL);
    for (; n < cap && walk_step(&w, &out[n], &here, &p); n++)
        if (props)
            props[n] = *p;
    if (more)
        *more = n == cap && walk_step(&w, &next, &here, &p);
    return n;
}

void core_list_page(struct relay *r, const char *prefix, const char *after,
                    const struct proto_props *match)
{
    struct walk w;
    struct proto_room_entry next;
    const struct proto_props *props;
    size_t n = 0;
    proto_control_init(&r->out, PROTO_CTL_ROOMS);
    r->out.listing = true;
    snprintf(r->out.prefix, sizeof r->out.prefix, "%s", prefix);
    walk_start(&w, r, prefix, after, match);
    while (n < PROTO_ROOMS_PAGE && walk_next(&w, &r->out.rooms[n], &props))
        r->out.rooms_props[n++] = *props;
    r->out.rooms_len = n;
    r->out.more = n == PROTO_ROOMS_PAGE && walk_next(&w, &next, NULL);
}

bool relay_room_list_on(const struct relay *r)
{
    return r->cfg.room_list != RELAY_ROOM_LIST_OFF;
}

int core_encode_page(struct relay *r, uint32_t peer)
{
    int len = core_encode_out(r);
    size_t max = core_edge(r, peer)->message_max;
    if (max && r->peers[peer].ticket.sealed)
        max -= SEAL_OVERHEAD;
    while (max && r->out.rooms_len > 0 &&
           (len == PROTO_E_SPACE || (len > 0 && (size_t)len > max))) {
        size_t n = r->out.rooms_len, fit = len > 0 ? n * max / (size_t)len : n / 2;
        r->out.rooms_len = fit < n ? fit : n - 1;
        r->out.more = true;
        len = core_encode_out(r);
    }
    return len;
}

int core_list_send(struct relay *r, uint32_t peer, uint64_t now_us)
{
    int n = core_encode_page(r, peer);
    if (n < 0)
        return core_reject(r, peer, RELAY_DROP_SEND_FAILED, now_us, "cannot list rooms: %s",
                           proto_strerror(n));
    core_send_json(r, UINT32_MAX, peer, (size_t)n);
    core_budget_spend(r, peer, (uint64_t)n); /* its one recipient: the asker */
    r->stats.listings++;
    return 0;
}

/* ---- a fleet whose directory keeps the rooms (proto/FLEET.md) ---- */

uint32_t core_next_ask(struct relay *r)
{
    if (++r->listing.next_ask == 0)
        r->listing.next_ask = 1;
    return r->listing.next_ask;
}

/* m asked of the fleet's directory, which pages and filters where the
 * rooms are kept; false without one, or if it cannot be asked now. */
static bool ask_directory(struct relay *r, uint32_t peer, const struct proto_control *m)
{
    if (!r->fleet.list)
        return false;
    uint32_t ask = core_next_ask(r);
    if (!r->fleet.list(r->fleet.ctx, peer, ask, false, m->prefix, m->after, &m->match))
        return false;
    r->peers[peer].listing_ask = ask; /* no other until it is answered */
    return true;
}

/* The directory's page a with this relay's own rooms merged in as they are
 * now (their entries are a heartbeat old, or not written yet): those up to
 * the page's last name (all of them when no more follow), a name in both
 * this relay's; into r->out, cut to a page (then more). */
static void merge_own(struct relay *r, const struct relay_rooms_answer *a)
{
    struct walk w;
    struct proto_room_entry mine;
    const struct proto_props *mp = NULL;
    const char *end = a->more && a->n ? a->rooms[a->n - 1].room : NULL;
    size_t i = 0, n = 0;
    bool cut = false;
    walk_start(&w, r, a->prefix, a->after, a->match);
    bool have = walk_next(&w, &mine, &mp);
    for (;;) {
        bool own = have && (!end || strcmp(mine.room, end) <= 0), dir = i < a->n;
        if (!own && !dir)
            break;
        if (n == PROTO_ROOMS_PAGE) {
            cut = true;
            break;
        }
        int c = !dir ? 1 : !own ? -1 : strcmp(a->rooms[i].room, mine.room);
        if (c < 0) {
            r->out.rooms[n] = a->rooms[i];
            r->out.rooms_props[n++] = a->props[i++];
            continue;
        }
        r->out.rooms[n] = mine;
        r->out.rooms_props[n++] = *mp;
        i += c == 0;
        have = walk_next(&w, &mine, &mp);
    }
    r->out.rooms_len = n;
    r->out.more = a->more || cut;
}

void core_list_answer(struct relay *r, const struct relay_rooms_answer *a)
{
    proto_control_init(&r->out, PROTO_CTL_ROOMS);
    r->out.listing = true;
    snprintf(r->out.prefix, sizeof r->out.prefix, "%s", a->prefix);
    if (a->answered) {
        merge_own(r, a);
    } else { /* this relay's rooms, said to be only those */
        core_list_page(r, a->prefix, a->after, a->match);
        r->out.partial = true;
    }
}

bool core_list_asked(struct relay *r, uint32_t peer, uint32_t ask)
{
    struct relay_peer *p = core_peer_get(r, peer);
    if (!ask || !p || p->listing_ask != ask)
        return false;
    p->listing_ask = 0;
    return true;
}

bool core_any_pick(const struct relay *r, char *room, const struct proto_props *match,
                   const struct relay_any_answer *a)
{
    struct walk w;
    struct proto_room_entry e, best = {.room = ""};
    walk_start(&w, r, room, NULL, match); /* this relay's: as they are now */
    while (!(best.room[0] && best.members + 1 == best.capacity) && walk_next(&w, &e, NULL))
        if (!e.closed && e.members < e.capacity && (!best.room[0] || e.members > best.members))
            best = e;
    const struct proto_room_entry *there = a->pick;
    if (there && there->room[0] && !core_room_find(r, there->room) &&
        (!best.room[0] || there->members > best.members ||
         (there->members == best.members && strcmp(there->room, best.room) < 0)))
        best = *there;
    if (best.room[0])
        memcpy(room, best.room, sizeof best.room);
    else if (a->free && a->free[0])
        snprintf(room, PROTO_ROOM_MAX + 1, "%s", a->free);
    return best.room[0] || (a->free && a->free[0]);
}

int core_on_rooms(struct relay *r, uint32_t peer, const struct proto_control *m, size_t len,
                  uint64_t now_us)
{
    (void)len;
    const struct relay_peer *p = &r->peers[peer];
    bool forgeable = core_edge(r, peer)->forgeable;
    if (m->listing) {
        r->stats.listings_refused++;
        return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                           "field \"rooms\": a listing is sent by the relay, not to it");
    }
    if (!p->joined && (forgeable || r->cfg.n_ticket_keys)) {
        /* An address anyone can forge gets nothing longer than it sent
         * (a ping's answer); a relay of tickets lists to their holders. */
        r->stats.listings_refused++;
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us, "%s",
                           forgeable ? "rooms before join: over plain UDP a member lists rooms"
                                     : "this relay admits by ticket: list rooms from a room");
    }
    if (r->cfg.room_list == RELAY_ROOM_LIST_OFF) {
        r->stats.listings_refused++;
        return core_reject(r, peer, RELAY_DROP_LISTING_OFF, now_us,
                           "this relay lists no rooms (--room-list off)");
    }
    if (p->listing_ask) { /* the directory's walk is its cost, not the answer's bytes */
        r->stats.listings_refused++;
        return core_reject(r, peer, RELAY_DROP_RATE_LIMITED, now_us,
                           "rooms: the fleet's directory has not answered the last request "
                           "yet: ask again once it has");
    }
    int rc = core_budget_admit(r, peer, now_us);
    if (rc < 0) {
        r->stats.listings_refused++;
        return rc;
    }
    if (ask_directory(r, peer, m))
        return 0; /* answered when the directory is (relay_rooms_settle) */
    core_list_page(r, m->prefix, m->after, &m->match);
    if (m->watch == PROTO_WATCH_ON && !p->joined)
        r->out.watch = PROTO_WATCH_ON; /* lobby.c watches for it */
    r->out.partial = r->fleet.list != NULL; /* its directory could not be asked */
    return core_list_send(r, peer, now_us);
}

/* prefix + the smallest number from 1 (no leading zero, at most
 * PROTO_ANY_DIGITS digits) that no room under the prefix is named, into
 * room. False if every one is taken. */
static bool any_new_name(const struct relay *r, char *room)
{
    static const uint32_t top = 9999; /* PROTO_ANY_DIGITS digits */
    uint64_t taken[(9999 + 64) / 64] = {0};
    char prefix[PROTO_ROOM_MAX + 1];
    size_t plen = strlen(room);
    struct walk w;
    struct proto_room_entry e;
    const struct relay_room *here; /* every name counts, listed or not */
    const struct proto_props *props;
    _Static_assert(PROTO_ANY_DIGITS == 4, "top is the largest number of that many digits");
    snprintf(prefix, sizeof prefix, "%s", room);
    walk_start(&w, r, prefix, NULL, NULL);
    while (walk_step(&w, &e, &here, &props)) {
        const char *d = e.room + plen;
        size_t nd = strspn(d, "0123456789");
        if (nd >= 1 && nd <= PROTO_ANY_DIGITS && d[nd] == '\0' && d[0] != '0') {
            uint32_t k = 0;
            for (size_t i = 0; i < nd; i++)
                k = k * 10 + (uint32_t)(d[i] - '0');
            taken[k / 64] |= 1ull << (k % 64);
        }
    }
    for (uint32_t k = 1; k <= top; k++)
        if (!(taken[k / 64] & (1ull << (k % 64)))) {
            snprintf(room + plen, PROTO_ROOM_MAX + 1 - plen, "%" PRIu32, k);
            return true;
        }
    return false;
}

int core_any_check(struct relay *r, uint32_t peer, const char *room, uint64_t now_us)
{
    if (r->cfg.room_list == RELAY_ROOM_LIST_OFF)
        return core_reject(r, peer, RELAY_DROP_LISTING_OFF, now_us,
                           "this relay takes no joins of any room (--room-list off): "
                           "join a room by its name");
    uint32_t most = r->cfg.room_max > PROTO_ANY_DIGITS ? r->cfg.room_max - PROTO_ANY_DIGITS : 0;
    if (strlen(room) > most)
        return core_reject(r, peer, RELAY_DROP_BAD_ROOM, now_us,
                           "room: with any, a prefix of at most %" PRIu32 " bytes (the relay's "
                           "room names are %" PRIu32 ", %d kept for the number it may add)",
                           most, r->cfg.room_max, PROTO_ANY_DIGITS);
    return 0;
}

int core_any_room(struct relay *r, uint32_t peer, char *room, const struct proto_props *match,
                  uint64_t now_us)
{
    int rc = core_any_check(r, peer, room, now_us);
    if (rc < 0)
        return rc;
    /* The fullest with space; ties: the first by name (the walk's order),
     * so the first with one place left ends the walk. */
    struct walk w;
    struct proto_room_entry e, best = {.room = ""};
    walk_start(&w, r, room, NULL, match);
    while (!(best.room[0] && best.members + 1 == best.capacity) && walk_next(&w, &e, NULL))
        if (!e.closed && e.members < e.capacity && (!best.room[0] || e.members > best.members))
            best = e;
    if (best.room[0]) {
        memcpy(room, best.room, sizeof best.room);
        return 0;
    }
    if (any_new_name(r, room))
        return 0;
    return core_reject(r, peer, RELAY_DROP_TOO_MANY_ROOMS, now_us,
                       "every room under '%s' is full and every number taken", room);
}
