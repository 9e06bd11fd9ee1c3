/* join.c: joins (see join_internal.h): the checks, the room, the id, the
 * welcome and the notice to the others; in a sealed session the proof
 * first (PROTOCOL.md, Sealed sessions: the join's ticket opens, the
 * session's keys are drawn and announced, and only a join sealed under them
 * admits); a fleet's parked joins settled. */
#define BY_JOIN_C /* this file writes the parts BY_JOIN_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "fleet_hooks_internal.h"
#include "interest_internal.h"
#include "join_cost_internal.h"
#include "join_internal.h"
#include "limits_internal.h"
#include "listing_internal.h"
#include "lobby_internal.h"
#include "lockstep_internal.h"
#include "peers_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"
#include "scripted_internal.h"
#include "tickets_internal.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"
#include "source_key.h"

#define WELCOME_REPEAT_US 250000ull /* udp: at most one welcome per this long */
#define WELCOME_MAX 8 /* udp: and at most this many per membership */

static int join_room(struct relay *r, uint32_t peer, const struct proto_control *m,
                     struct ticket_claims *who, uint64_t now_us);

static enum relay_drop ticket_drop(enum proto_error_code code)
{
    switch (code) {
    case PROTO_ERROR_TICKET_EXPIRED: return RELAY_DROP_TICKET_EXPIRED;
    case PROTO_ERROR_TICKET_WRONG_RELAY: return RELAY_DROP_TICKET_WRONG_RELAY;
    case PROTO_ERROR_TICKET_TAMPERED: return RELAY_DROP_TICKET_TAMPERED;
    case PROTO_ERROR_TICKET_REPLAYED: return RELAY_DROP_TICKET_REPLAYED;
    case PROTO_ERROR_TICKET_REQUIRED: return RELAY_DROP_TICKET_REQUIRED;
    default: return RELAY_DROP_TICKET_MALFORMED;
    }
}

int core_refuse_ticket(struct relay *r, uint32_t peer, enum proto_error_code code,
                       uint64_t now_us, const char *text)
{
    enum relay_drop why = ticket_drop(code);
    r->stats.drops[why]++;
    log_debug("relay: %s: %s: %s", r->peers[peer].addr, relay_drop_name(why), text);
    core_send_error(r, peer, true, code, now_us, "%s", text);
    core_peer_close(r, peer, code);
    return -1 - (int)why;
}

/* The welcome: my id, the room, the others with their last states. Over a
 * transport with a message_max (plain UDP) every datagram stays within it:
 * the roster lists the first members that fit, and each member left out
 * follows in a joined notice (a client adds a member from a joined notice as from the roster;
 * only the last state is missing, and the next state brings it). */
static void send_welcome(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct core_join_mark mark = core_join_mark(r); /* what it sends: its source's */
    struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms.at[p->room];
    p->welcomes.last_us = now_us;
    p->welcomes.n++;
    proto_control_init(&r->out, PROTO_CTL_WELCOME);
    r->out.id = p->id;
    snprintf(r->out.room, sizeof r->out.room, "%s", room->name);
    memcpy(r->out.key, p->key, sizeof r->out.key);
    memcpy(r->out.player, p->player, sizeof r->out.player);
    r->out.aoi = room->grid ? room->grid->radius : 0;
    core_room_state(r, room, &r->out);
    core_lockstep_welcome(r, peer, &r->out);
    size_t n = 0;
    /* With interest, the others come as they come into sight (appeared). */
    for (uint32_t i = 0; !room->grid && i < room->n && n < PROTO_ROSTER_MAX; i++) {
        const struct relay_peer *m = &r->peers[room->members[i]];
        if (room->members[i] == peer)
            continue;
        struct proto_member *e = &r->out.roster[n++];
        memset(e, 0, sizeof *e);
        e->id = m->id;
        snprintf(e->name, sizeof e->name, "%s", m->name);
        memcpy(e->player, m->player, sizeof e->player);
        e->mode = m->mode;
        e->has_state = m->has_state;
        e->state = m->last;
        e->has_clock = m->has_clock;
        e->clock_offset_us = m->clock_offset_us;
        e->clock_bound_us = m->clock_bound_us;
    }
    r->out.roster_len = n;
    int len = core_encode_out(r);
    size_t fit = n; /* roster members in the welcome */
    size_t max = core_edge(r, peer)->message_max;
    if (max && p->ticket.sealed)
        max -= SEAL_OVERHEAD; /* the datagram holds the sealed welcome */
    if (max && (len == PROTO_E_SPACE || (size_t)len > max)) {
        /* Grow from an empty roster: a few short encodes, not many long. */
        for (fit = 0; fit < n; fit++) {
            r->out.roster_len = fit + 1;
            len = core_encode_out(r);
            if (len < 0 || (size_t)len > max)
                break;
        }
        r->out.roster_len = fit;
        len = core_encode_out(r);
    } else if (len == PROTO_E_SPACE) {
        /* A transport that fragments: a full room of long names may not fit
         * with states: send the roster without them (they follow within
         * one send interval). */
        for (size_t i = 0; i < n; i++)
            r->out.roster[i].has_state = r->out.roster[i].has_clock = false;
        len = core_encode_out(r);
    }
    if (len < 0) {
        log_error("relay: cannot encode welcome: %s", proto_strerror(len));
        return;
    }
    core_send_json(r, UINT32_MAX, peer, (size_t)len);
    for (size_t i = fit; i < n; i++) {
        struct proto_member e = r->out.roster[i]; /* the header is reused below */
        proto_control_init(&r->out, PROTO_CTL_JOINED);
        r->out.id = e.id;
        snprintf(r->out.name, sizeof r->out.name, "%s", e.name);
        memcpy(r->out.player, e.player, sizeof r->out.player);
        r->out.mode = e.mode;
        core_send_out(r, peer);
    }
    core_join_charge(r, peer, mark, now_us);
}

/* The names of the modes in modes (a relay_transport.modes), ", " between,
 * into out (cut at cap). */
static void mode_names(uint32_t modes, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (unsigned m = 0; m < PROTO_MODE_COUNT && at < cap; m++)
        if (modes & (1u << m)) {
            int n = snprintf(out + at, cap - at, "%s%s", at ? ", " : "",
                             proto_mode_name((enum proto_mode)m));
            at += n > 0 ? (size_t)n : 0;
        }
}

/* Is modes (a relay_transport.modes) a single mode? Then *mode gets it. */
static bool only_mode(uint32_t modes, enum proto_mode *mode)
{
    if (modes == 0 || (modes & (modes - 1)) != 0)
        return false;
    *mode = (enum proto_mode)__builtin_ctz(modes);
    return true;
}

/* A join from a member: the same room is a repeated join (our welcome may
 * have been lost: plain UDP retries joins every 250 ms), answered with the
 * same welcome and id; where a source can be forged not more often than
 * that, so that a stream of joins cannot aim many welcomes at someone else.
 * Another room is refused. */
static int on_join_again(struct relay *r, uint32_t peer, const struct proto_control *m,
                         uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    const struct relay_room *cur = &r->rooms.at[p->room];
    /* With a ticket, the same ticket is the same room; in a sealed session
     * a join that opened is the session's own. */
    /* A join of any room under a prefix: my room is under it. */
    bool same = m->any ? strncmp(cur->name, m->room, strlen(m->room)) == 0
                       : strcmp(cur->name, m->room) == 0;
    if (!p->ticket.sealed && (p->ticket.held ? !core_ticket_same(r, peer, m) : !same))
        return core_reject(r, peer, RELAY_DROP_ALREADY_JOINED, now_us,
                           "already in room '%s' as %" PRIu32 ": leave first",
                           cur->name, p->id);
    if (core_edge(r, peer)->forgeable &&
        (now_us < p->welcomes.last_us + WELCOME_REPEAT_US || p->welcomes.n >= WELCOME_MAX)) {
        log_debug("relay: %s: repeated join within %llu ms: ignored", p->addr,
                  WELCOME_REPEAT_US / 1000);
        return 0;
    }
    send_welcome(r, peer, now_us);
    return 0;
}

/* A join from a peer whose sealed session awaits its proof. In clear: the
 * join again (plain UDP repeats it until the `sealed` message comes),
 * answered with that message again, as a repeated welcome would be (a
 * join of another nonce is not this session's: dropped). Sealed (it
 * opened, so its sender holds the ticket's keys): the proof, and the join
 * goes on with the claims its ticket gave. */
static int on_join_unproven(struct relay *r, uint32_t peer, const struct proto_control *m,
                            uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (!r->sealing.in_clear) {
        struct ticket_claims who = *p->ticket.unproven;
        int rc = join_room(r, peer, m, &who, now_us);
        sodium_memzero(&who, sizeof who);
        return rc;
    }
    if (core_edge(r, peer)->forgeable &&
        (now_us < p->welcomes.last_us + WELCOME_REPEAT_US || p->welcomes.n >= WELCOME_MAX))
        return 0;
    if (!core_ticket_resend(r, peer, m->nonce)) {
        r->stats.drops[RELAY_DROP_UNSEALED]++;
        return -1 - (int)RELAY_DROP_UNSEALED;
    }
    p->welcomes.last_us = now_us;
    p->welcomes.n++;
    return 0;
}

/* A ticketed join whose ticket passed its checks, on a relay that seals:
 * the session's keys drawn and announced (`sealed`), the proof awaited.
 * Returns 0 or the relay_on_datagram code. */
static int join_sealed(struct relay *r, uint32_t peer, const struct proto_control *m,
                       const struct ticket_claims *claims, uint64_t now_us)
{
    if (!m->nonce[0])
        return core_reject(r, peer, RELAY_DROP_MISSING_FIELD, now_us,
                           "field \"nonce\" is missing (a relay that seals needs it)");
    if (core_ticket_seal(r, peer, claims, m->nonce, true, now_us) != 0)
        return core_reject(r, peer, RELAY_DROP_SEND_FAILED, now_us, "out of memory");
    r->peers[peer].welcomes.last_us = now_us; /* its repeats are limited as welcomes are */
    r->peers[peer].welcomes.n = 1;
    core_peer_outside(r, peer, now_us); /* the proof has a join timeout of its own */
    return 0;
}

/* The room and the name a join asks for: the ticket's, on a relay that
 * takes tickets (admitted here, refused and closed, or on a relay that
 * seals, but for a secure edge's member, its proof awaited: then
 * p->ticket.unproven), else the join's own.
 * Returns 0 or the relay_on_datagram code. */
static int join_identity(struct relay *r, uint32_t peer, const struct proto_control *m,
                         struct ticket_claims *claims, uint64_t now_us)
{
    if (r->cfg.n_ticket_keys) {
        char why[PROTO_TEXT_MAX + 1];
        bool opened;
        /* An edge that encrypts every byte itself is not sealed again. */
        bool seal = r->cfg.encrypt && !core_edge(r, peer)->secure;
        enum proto_error_code code =
            core_ticket_check(r, peer, m, claims, &opened, why, sizeof why);
        if (code == PROTO_ERROR_NONE)
            return seal ? join_sealed(r, peer, m, claims, now_us) : 0;
        /* A refusal once the ticket opened is sealed: a client that
         * expects sealing can believe it (and no one else can read it). */
        if (opened && seal && m->nonce[0])
            core_ticket_seal(r, peer, claims, m->nonce, false, now_us);
        return core_refuse_ticket(r, peer, code, now_us, why);
    }
    if (!m->room[0] || !m->name[0])
        return core_reject(r, peer, RELAY_DROP_MISSING_FIELD, now_us,
                           "field \"%s\" is missing (this relay takes no tickets)",
                           m->room[0] ? "name" : "room");
    snprintf(claims->room, sizeof claims->room, "%s", m->room);
    snprintf(claims->name, sizeof claims->name, "%s", m->name);
    return 0;
}

/* A new member's joined notice to the others of its room (with interest:
 * those who see it, no one yet); rejoined: it took its player's place
 * back, id and all. */
static void announce(struct relay *r, uint32_t peer, bool rejoined)
{
    const struct relay_peer *p = &r->peers[peer];
    proto_control_init(&r->out, PROTO_CTL_JOINED);
    r->out.id = p->id;
    r->out.rejoined = rejoined;
    snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
    memcpy(r->out.player, p->player, sizeof r->out.player);
    r->out.mode = p->mode;
    core_lockstep_notice(r, peer, &r->out);
    core_send_out_near(r, peer, UINT32_MAX);
}

/* The live member, other than peer, whose player's key is key; UINT32_MAX
 * if none. A key is a secret: compared in constant time. */
static uint32_t key_holder(const struct relay *r, uint32_t peer, const char *key)
{
    for (uint32_t i = 0; key[0] && i < r->cfg.peer_cap; i++) {
        const struct relay_peer *q = &r->peers[i];
        if (i != peer && q->joined && q->key[0] &&
            sodium_memcmp(q->key, key, PROTO_KEY_LEN) == 0)
            return i;
    }
    return UINT32_MAX;
}

/* A join's key that no member holds (holder UINT32_MAX) is taken as the
 * player's: a way to try keys, so bounded per source (join_cost_internal.h).
 * Returns 0, or the refusal's code. */
static int key_tried(struct relay *r, uint32_t peer, const struct proto_control *m,
                     uint32_t holder, uint64_t now_us)
{
    if (!m->key[0] || holder != UINT32_MAX ||
        core_join_may_key(r, peer, now_us))
        return 0;
    core_peer_outside(r, peer, now_us); /* told to join again: its join deadline from now */
    return core_reject(r, peer, RELAY_DROP_KEY_GUESSES, now_us,
                       "too many joins with keys this relay does not hold from your address "
                       "(%d a second): join again in a second", JOIN_COST_KEYS_PER_S);
}

/* The player a join is (PROTOCOL.md, Players who come back): the key it
 * brings (a relay that never knew it takes it), else a fresh one. A key a
 * live member holds is that member's: a join of it into the member's room
 * from the member's source takes its place (returned: that peer, whose id
 * it gets back); from another source, or into another room, it is no
 * proof of anything (a key seen on the path): the joiner is a new player.
 * holder: the live member holding the join's key (key_holder), or UINT32_MAX. */
static uint32_t join_player(struct relay *r, uint32_t peer, const struct proto_control *m,
                            const char *room, uint32_t holder)
{
    struct relay_peer *p = &r->peers[peer];
    const struct relay_peer *q = holder == UINT32_MAX ? NULL : &r->peers[holder];
    bool takes = q && strcmp(r->rooms.at[q->room].name, room) == 0 &&
                 source_same(&q->at, &p->at);
    if (m->key[0] && (!q || takes)) {
        memcpy(p->key, m->key, sizeof p->key);
    } else {
        if (q) /* debug: a stranger's joins must not be able to fill the log */
            log_debug("relay: %s: the key of member %" PRIu32 " (%s) from another %s: a new "
                      "player", p->addr, q->id, q->addr,
                      source_same(&q->at, &p->at) ? "room" : "source");
        proto_key_draw(p->key);
    }
    proto_player_of(p->key, p->player);
    return takes ? holder : UINT32_MAX;
}

/* peer made a member of room, as who, in mode: its id (id, or drawn if
 * 0), its place, the ticket it holds (the checks are the caller's). */
static void become_member(struct relay *r, uint32_t peer, struct relay_room *room,
                          const struct proto_control *m, const struct ticket_claims *who,
                          enum proto_mode mode, uint32_t id)
{
    struct relay_peer *p = &r->peers[peer];
    core_count(r, peer); /* room for it: checked above */
    p->welcomes.n = 0;
    if (r->next_id == 0 || r->next_id == RELAY_SCRIPT_SENDER)
        r->next_id = 1; /* the first, and 2^32 joins later; 0 stays "unassigned" */
    /* a restored room's events name those below; never past them onto the room's own */
    if (r->next_id <= r->rooms.ids_kept && r->rooms.ids_kept < RELAY_SCRIPT_SENDER - 1)
        r->next_id = r->rooms.ids_kept + 1;
    if (id == 0)
        id = r->next_id++;
    core_lobby_end(r, peer); /* a lobby that joins watches no more */
    core_member_add(r, peer, id, (uint32_t)(room - r->rooms.at), who->name, mode, m);
    core_room_member_add(room, peer);
    r->stats.joins++;
    if (r->cfg.n_ticket_keys)
        core_ticket_bind(r, peer, who); /* held while it lasts, bound to its address */
    log_info("relay: %s joined room '%s' as %" PRIu32 " (%s, %s%s%s)", p->addr,
             room->name, p->id, p->name, proto_mode_name(mode),
             p->reflect ? ", reflect" : "", p->ticket.sealed ? ", sealed" : "");
}

/* The join's mode as the peer's edge carries it (an edge of one mode:
 * every member's is its own): 0, or a refusal's code. */
static int join_mode(struct relay *r, uint32_t peer, enum proto_mode *mode, uint64_t now_us)
{
    const struct relay_transport *edge = core_edge(r, peer);
    if (only_mode(edge->modes, mode) ||
        (proto_mode_info(*mode) && (edge->modes & (1u << *mode))))
        return 0;
    char carried[96];
    mode_names(edge->modes, carried, sizeof carried);
    return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                       "mode %s is not carried by the relay's %s edge: it carries %s",
                       proto_mode_name(*mode), edge->name ? edge->name : "?", carried);
}

/* The join's checks past its identity, then the membership: the room (of
 * a join of any room, picked: who->room), the id, the ticket held, the
 * welcome, the notice to the others. */
/* The room who names, new (the fleet, if any, placed it here): made here,
 * settled by the join that made it; NULL with *rc set if the join asks for a
 * room that exists, or no room is free. */
static struct relay_room *room_made(struct relay *r, uint32_t peer,
                                   const struct proto_control *m, struct ticket_claims *who,
                                   uint64_t now_us, int *rc)
{
    if (m->has_lockstep && m->aoi > 0) {
        *rc = core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                          "lockstep and aoi: a lockstep room has no interest");
        return NULL;
    }
    if (m->exists) {
        *rc = core_reject(r, peer, RELAY_DROP_NO_SUCH_ROOM, now_us,
                          "no such room here: check its name, or join without exists "
                          "to make it");
        return NULL;
    }
    struct relay_room *room = core_room_create(r, who->room, m->aoi);
    if (!room) {
        *rc = core_reject(r, peer, RELAY_DROP_TOO_MANY_ROOMS, now_us,
                          "too many rooms (%" PRIu32 "): join an existing one",
                          r->cfg.max_rooms);
        return NULL;
    }
    if (m->has_lockstep && core_lockstep_make(r, room, &m->lockstep.settings, now_us) != 0) {
        core_room_free(r, room);
        *rc = core_reject(r, peer, RELAY_DROP_SEND_FAILED, now_us, "out of memory");
        return NULL;
    }
    core_room_settle(r, peer, room, m);
    core_fleet_room_created(r, room, now_us);
    return room;
}

static int join_room(struct relay *r, uint32_t peer, const struct proto_control *m,
                     struct ticket_claims *who, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    int rc;
    if (r->cfg.n_ticket_keys && core_ticket_in_use(r, who, peer))
        return core_refuse_ticket(r, peer, PROTO_ERROR_TICKET_REPLAYED, now_us,
                                  "in use by a live session");
    /* A peer of an edge that counts at the join (a stream) counts once a member. */
    if (!p->counted && r->census.counted >= r->cfg.max_clients)
        return core_refuse_full(r, peer, now_us);
    char why[PROTO_TEXT_MAX + 1];
    if (!proto_name_check(who->name, r->cfg.name_max, why, sizeof why))
        return core_reject(r, peer, RELAY_DROP_BAD_NAME, now_us, "%s", why);
    if (strlen(who->room) > r->cfg.room_max || !proto_room_valid(who->room))
        return core_reject(r, peer, RELAY_DROP_BAD_ROOM, now_us,
                           "room: 1..%" PRIu32 " bytes of A-Z a-z 0-9 _ . -",
                           r->cfg.room_max);
    if ((rc = core_room_ask_check(r, peer, m, now_us)) < 0)
        return rc;
    /* With a ticket its room counts, any or not. A fleet's directory
     * picks among the fleet's rooms: the join waits for it. */
    if (m->any && !r->cfg.n_ticket_keys && r->fleet.list)
        return core_fleet_any(r, peer, m, who, now_us);
    if (m->any && !r->cfg.n_ticket_keys &&
        (rc = core_any_room(r, peer, who->room, &m->match, now_us)) < 0)
        return rc;
    enum proto_mode mode = m->mode;
    if ((rc = join_mode(r, peer, &mode, now_us)) < 0)
        return rc;

    /* A room this relay does not have: the fleet has its say first, so a
     * join parked, moved or refused tries no key here. */
    struct relay_room *room = core_room_find(r, who->room);
    if (!room && !core_fleet_admit(r, peer, m, who, now_us, &rc))
        return rc;
    uint32_t holder = key_holder(r, peer, m->key);
    if ((rc = key_tried(r, peer, m, holder, now_us)) < 0)
        return rc;
    uint32_t was = join_player(r, peer, m, who->room, holder); /* a member whose place it takes */
    if (room && was == UINT32_MAX && (rc = core_room_admits(r, peer, room, now_us)) < 0)
        return rc;
    if (room && room->n >= core_room_cap(r, room) && was == UINT32_MAX)
        /* The room is not named: a sealed session's room never crosses the
         * wire in clear, and the client knows which it asked for. */
        return core_reject(r, peer, RELAY_DROP_ROOM_FULL, now_us,
                           "the room is full (%" PRIu32 " members)", core_room_cap(r, room));
    if (room && (rc = core_lockstep_admit(r, peer, room, m->spectator, was, now_us)) < 0)
        return rc;
    if (!room && !(room = room_made(r, peer, m, who, now_us, &rc)))
        return rc;
    if ((rc = core_script_join(r, peer, room, who->name, was, now_us)) < 0)
        return rc; /* the room's script refused it */
    uint32_t id = 0;
    /* a lockstep room's member whose place it takes: its slot goes on */
    struct core_peer_lockstep had = was != UINT32_MAX ? r->peers[was].lockstep
                                                      : (struct core_peer_lockstep){0};
    if (was != UINT32_MAX) {
        id = r->peers[was].id;
        log_info("relay: %s takes the place of %s as %" PRIu32 " (its player joined again)",
                 p->addr, r->peers[was].addr, id);
        core_member_replaced(r, was, now_us);
    }
    if (room->grid && core_interest_join(r, peer) != 0) {
        if (room->n == 0)
            core_room_free(r, room);
        return core_reject(r, peer, RELAY_DROP_SEND_FAILED, now_us, "out of memory");
    }

    become_member(r, peer, room, m, who, mode, id);
    core_lockstep_joined(r, peer, m->spectator, &had);
    if (m->epoch || m->lost)
        core_limits_flush(r, peer, now_us);
    send_welcome(r, peer, now_us);
    core_join_replay(r, peer, room, m, now_us); /* before anything else of the room */
    if (room->n > 1)
        announce(r, peer, id != 0);
    return 0;
}

int core_on_join(struct relay *r, uint32_t peer, const struct proto_control *m,
                 uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->joined)
        return on_join_again(r, peer, m, now_us);
    if (p->parked)
        return 0; /* a repeated join (plain UDP retries) while the directory answers */
    if (p->ticket.unproven)
        return on_join_unproven(r, peer, m, now_us);
    /* Version 3 changed only tickets and sealed sessions: a version-2 join
     * without a ticket reads and gets what it did. */
    if (m->version != PROTO_VERSION && (m->version != 2 || m->ticket[0]))
        return core_reject(r, peer, RELAY_DROP_BAD_VERSION, now_us,
                           "client speaks protocol version %" PRIu32
                           ", this relay %d%s: upgrade the client", m->version, PROTO_VERSION,
                           m->version == 2 ? " (tickets changed)" : "");
    if (!core_join_may(r, peer, now_us)) /* a source's joins, across its sessions */
        return core_reject(r, peer, RELAY_DROP_RATE_LIMITED, now_us,
                           "too many joins from your address (%d a second): join again in "
                           "a second", JOIN_COST_JOINS_PER_S);
    struct ticket_claims who;
    int rc = join_identity(r, peer, m, &who, now_us);
    if (rc < 0 || p->ticket.unproven) {
        sodium_memzero(&who, sizeof who);
        return rc;
    }
    rc = join_room(r, peer, m, &who, now_us);
    sodium_memzero(&who, sizeof who);
    return rc;
}

/* A parked join as join_room reads it (into r->in: no datagram is at hand). */
static struct proto_control *parked_control(struct relay *r, const struct relay_parked_join *pj)
{
    struct proto_control *m = &r->in;
    proto_control_init(m, PROTO_CTL_JOIN);
    m->mode = pj->mode;
    m->reflect = pj->reflect;
    m->batch = pj->batch;
    m->aoi = pj->aoi;
    m->epoch = pj->epoch;
    m->lost = pj->lost;
    memcpy(m->key, pj->key, sizeof m->key);
    core_room_ask_give(m, &pj->ask);
    return m;
}

void relay_any_settle(struct relay *r, uint32_t peer, uint32_t ask,
                      const struct relay_any_answer *a, const struct proto_props *match,
                      uint64_t now_us)
{
    struct relay_peer *p = core_peer_get(r, peer);
    if (!ask || !p || !p->parked || p->parked->any_ask != ask)
        return;
    struct relay_parked_join *pj = core_parked_take(r, peer);
    struct proto_control *m = parked_control(r, pj);
    char prefix[PROTO_ROOM_MAX + 1];
    memcpy(prefix, pj->who.room, sizeof prefix);
    if (!a->answered)
        core_fleet_refuse(r, peer, PROTO_ERROR_DIRECTORY_UNAVAILABLE, NULL, now_us);
    else if (!core_any_pick(r, pj->who.room, match, a))
        core_reject(r, peer, RELAY_DROP_TOO_MANY_ROOMS, now_us,
                    "every room under '%s' is full and every number taken", prefix);
    else
        join_room(r, peer, m, &pj->who, now_us); /* the room picked, placed as any */
    sodium_memzero(pj, sizeof *pj);
    free(pj);
    core_settle(r, now_us);
}

void relay_join_settle(struct relay *r, uint32_t peer, enum relay_place verdict,
                       const struct relay_moved_to *to, enum proto_error_code code,
                       const char *why, uint64_t now_us)
{
    struct relay_peer *p = core_peer_get(r, peer);
    if (!p || !p->parked || p->parked->any_ask)
        return;
    struct relay_parked_join *pj = core_parked_take(r, peer);
    struct proto_control *m = parked_control(r, pj);
    switch (verdict) {
    case RELAY_PLACE_HERE:
        join_room(r, peer, m, &pj->who, now_us);
        break;
    case RELAY_PLACE_MOVED:
        core_fleet_moved(r, peer, pj->who.room, to);
        break;
    case RELAY_PLACE_REFUSED:
        core_fleet_refuse(r, peer, code, why, now_us);
        break;
    case RELAY_PLACE_WAIT: /* not a settlement: the directory did not answer */
        core_fleet_refuse(r, peer, PROTO_ERROR_DIRECTORY_UNAVAILABLE, NULL, now_us);
        break;
    }
    sodium_memzero(pj, sizeof *pj);
    free(pj);
    core_settle(r, now_us); /* a join refused with a strike too many */
}
