/* client_receive.c: what a session receives (see client_internal.h).
 * Every transport hands every message to client_receive_message, and so
 * does client_receive (client_test.h) for tests and fuzzing: the receive
 * path is one function, testable without a socket. Sealed messages are
 * opened first; a batch is handed out one entry at a time (a state, or a
 * kept event replayed to a join that said batch_kept), each as if it had
 * come alone. What arrives is checked before it is acted on: on a
 * channel of the other transport, in clear in a sealed session,
 * malformed, or out of place, it is counted (client_bad_message) and
 * dropped.
 *
 * States: the sender listed (one may overtake its joined notice),
 * sequenced's per-sender order, one-way latency across two clocks.
 * Control messages: the welcome and its roster, a relay's errors, the
 * room's notices (joined, left, chat, appeared, vanished), moves, cookies,
 * salts and clocks; each is decoded into the caller's stack, not into the
 * client: its roster alone is 28 KB, and a swarm holds thousands of
 * clients. An event carries what it needs of a message by value. */
#define BY_CLIENT_RECEIVE_C /* this file writes the parts BY_CLIENT_RECEIVE_C marks */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "sys/log.h"

#define JOIN_LATER_US 1000000 /* a keyed join refused rate_limited goes again after this */

void client_bad_message(struct ricochet *c, const char *what, int err)
{
    c->bad_messages++;
    log_debug("client %s: dropped %s: %s", c->name, what, proto_strerror(err));
}

void client_listing_free(struct ricochet *c)
{
    free(c->listing.page);
    free(c->listing.props);
}

/* ---- states ---- */

/* The listed member who sent a state, or NULL (dropped; counted unless it
 * went out of sight). A state may overtake the joined notice (different
 * channels, or a lost notice without a connection): the sender is listed
 * with no name until the notice comes. A late state from a member who left
 * is dropped; one from a member I expired myself lists it again (it was
 * only quiet). */
static struct client_member *state_sender(struct ricochet *c, uint32_t sender,
                                          enum proto_mode arrived_as, uint64_t now)
{
    struct client_member *m = client_member_find(c, sender);
    if (m)
        return m;
    struct departed *d = client_departed_find(c, sender);
    if (d && d->vanished)
        return NULL; /* sent before it went out of sight: no longer mine to show */
    if (d && !d->expired) {
        client_bad_message(c, "state from a member who left", PROTO_E_VALUE);
        return NULL;
    }
    m = client_member_add(c, sender, d ? d->name : "", d ? d->mode : arrived_as, now);
    if (!m) {
        client_bad_message(c, "state from a member too many", PROTO_E_VALUE);
        return NULL;
    }
    if (d)
        d->id = 0;
    return m;
}

/* The bytes that come with the event being made: valid until the next
 * poll (ricochet_event_bytes). */
static void event_bytes(struct ricochet *c, const uint8_t *bytes, size_t len)
{
    c->ev_len = len <= sizeof c->ev_bytes ? len : 0;
    if (c->ev_len)
        memcpy(c->ev_bytes, bytes, c->ev_len);
}

static int handle_state(struct ricochet *c, const uint8_t *buf, size_t len,
                        enum proto_mode arrived_as, uint64_t now,
                        struct ricochet_event *ev)
{
    struct proto_state s;
    int r = proto_state_decode(buf, len, &s);
    if (r != PROTO_OK) {
        client_bad_message(c, "state", r);
        return 0;
    }
    /* Its payload, whole, whatever becomes of it (delivered or too old). */
    event_bytes(c, buf + PROTO_STATE_SIZE, len - PROTO_STATE_SIZE);
    int64_t lat = (int64_t)(now - s.send_us); /* my own reflected state: my clock */
    uint64_t bound = 0;
    bool lat_known = true;
    if (s.sender == 0) {
        client_bad_message(c, "state without sender", PROTO_E_VALUE);
        return 0;
    }
    if (c->phase != PHASE_JOINED)
        return 0; /* it overtook my welcome (its way and the control's are apart): no fault */
    if (s.sender == c->id) {
        recv_stats_record(&c->reflect_stats, s.seq, s.send_us, now, c->rtt);
    } else {
        struct client_member *m = state_sender(c, s.sender, arrived_as, now);
        if (!m)
            return 0;
        /* Sequenced keeps each sender's order here, not in ENet: the relay
         * forwards it unsequenced, so one sender's late state never costs
         * another sender's (PROTOCOL.md, delivery modes). */
        if (proto_mode_info(arrived_as)->filter == PROTO_FILTER_DROP_OLD && m->has_state &&
            !proto_seq_after(s.seq, m->last.seq)) {
            m->stats.too_old++;
            c->too_old++;
            ev->type = RICOCHET_EV_TOO_OLD; /* reported, not delivered: benchmarks count it */
            ev->id = s.sender;
            client_public_state(&s, &ev->state);
            ev->mode = client_public_mode(arrived_as);
            ev->recv_us = now;
            return 1;
        }
        /* One-way latency corrected by both clocks' offsets to the relay
         * (the same as now - send_us on one host); recv_stats takes the
         * send time on my clock. Until both offsets are known the clocks
         * may be hours apart: the state is delivered and counted, its
         * latency recorded nowhere. */
        lat_known = clock_sync_latency(&c->sync.clock, &m->clock, s.send_us, now, &lat, &bound);
        m->lat_bound_us = bound;
        int fresh = c->no_member_stats ? 1
                    : lat_known ? recv_stats_record(&m->stats, s.seq, now - (uint64_t)lat, now,
                                                    c->latency)
                                : recv_stats_record_untimed(&m->stats, s.seq);
        if (!m->has_state || (fresh && proto_seq_after(s.seq, m->last.seq))) {
            m->last = s;
            m->has_state = true;
        }
        m->last_recv_us = now;
    }
    ev->type = RICOCHET_EV_STATE;
    ev->id = s.sender;
    client_public_state(&s, &ev->state);
    ev->latency_us = lat;
    ev->latency_known = lat_known;
    ev->latency_bound_us = bound;
    ev->mode = client_public_mode(arrived_as);
    ev->recv_us = now;
    return 1;
}

/* ---- events: the game's own messages ---- */

/* An event from the relay (stamped with its sender), to the room or to me:
 * an EVENT with its body. From no member of my room that I know, it is
 * still delivered (a room with interest: one out of sight); only one
 * without a sender, or before the welcome, is dropped. */
static int handle_event(struct ricochet *c, const uint8_t *buf, size_t len, uint64_t now,
                        struct ricochet_event *ev)
{
    struct proto_event e;
    int r = proto_event_decode(buf, len, &e);
    if (r != PROTO_OK) {
        client_bad_message(c, "event", r);
        return 0;
    }
    if (c->phase != PHASE_JOINED || e.sender == 0 ||
        (e.to != PROTO_EVENT_ROOM && e.to != c->id)) {
        client_bad_message(c, "event before the welcome, without sender or not for me",
                           PROTO_E_VALUE);
        return 0;
    }
    const struct client_member *m = client_member_find(c, e.sender);
    ev->type = RICOCHET_EV_EVENT;
    ev->id = e.sender;
    ev->recv_us = now;
    if (m) {
        ev->mode = client_public_mode(m->mode);
        snprintf(ev->name, sizeof ev->name, "%s", m->name);
    }
    snprintf(ev->code, sizeof ev->code, "%s",
             e.flags & PROTO_EVENT_KEPT ? "kept" : e.to == PROTO_EVENT_ROOM ? "room" : "direct");
    event_bytes(c, e.body, e.len);
    if (e.key_len) /* a kept event's, live or replayed */
        memcpy(c->ev_key, e.key, e.key_len);
    c->ev_key[e.key_len] = '\0';
    return 1;
}

/* ---- control messages ---- */

/* A member of my room came into sight (a room with interest): listed, with
 * its newest state and clock; its statistics start afresh, so the states
 * it sent out of sight are not counted lost. */
static int on_appeared(struct ricochet *c, const struct proto_member *pm, uint64_t now,
                       struct ricochet_event *ev)
{
    if (pm->id == c->id)
        return 0;
    struct departed *d = client_departed_find(c, pm->id);
    if (d)
        d->id = 0; /* its states count again */
    struct client_member *cm = client_member_add(c, pm->id, pm->name, pm->mode, now);
    if (!cm) {
        client_bad_message(c, "appeared: one member too many", PROTO_E_VALUE);
        return 0;
    }
    memcpy(cm->player, pm->player, sizeof cm->player);
    if (pm->has_clock)
        cm->clock = (struct clock_sync){.valid = true, .offset_us = pm->clock_offset_us,
                                        .bound_us = pm->clock_bound_us, .at_us = now};
    if (pm->has_state && (!cm->has_state || proto_seq_after(pm->state.seq, cm->last.seq))) {
        cm->has_state = true; /* the newest known, not a delivery: not counted */
        cm->last = pm->state;
        client_public_state(&pm->state, &ev->state);
    }
    ev->type = RICOCHET_EV_APPEARED;
    ev->mode = client_public_mode(pm->mode);
    snprintf(ev->name, sizeof ev->name, "%s", pm->name);
    return 1;
}

/* The welcome: my id, and a roster that replaces the member table. */
static int on_welcome(struct ricochet *c, const struct proto_control *m, uint64_t now,
                      struct ricochet_event *ev)
{
    if (c->phase == PHASE_JOINED)
        return 0; /* an answer to a repeated join (no connection) */
    if (m->id == 0) {
        client_bad_message(c, "welcome with id 0", PROTO_E_VALUE);
        return 0;
    }
    client_welcomed(c, m->id);
    if (m->key[0]) { /* a relay from before keys gives none: "" */
        memcpy(c->key, m->key, sizeof c->key);
        memcpy(c->player, m->player, sizeof c->player);
    }
    c->room_aoi = m->aoi;
    client_room_take(c, m);
    /* the welcome names my room's owner (a relay that names none: a LEFT
     * naming a new owner may say it later) */
    c->room_mine = client_room_owned_by(c, c->player);
    if (c->any) { /* the relay picked my room: rejoins and moves go to it */
        snprintf(c->room, sizeof c->room, "%s", m->room);
        c->any = false;
    }
    client_members_clear(c);
    for (size_t i = 0; i < m->roster_len; i++) {
        const struct proto_member *pm = &m->roster[i];
        if (pm->id == c->id || pm->id == 0)
            continue;
        struct client_member *cm = client_member_add(c, pm->id, pm->name, pm->mode, now);
        if (cm)
            memcpy(cm->player, pm->player, sizeof cm->player);
        if (cm && pm->has_clock)
            cm->clock = (struct clock_sync){.valid = true, .offset_us = pm->clock_offset_us,
                                            .bound_us = pm->clock_bound_us, .at_us = now};
        if (cm && pm->has_state) {
            /* The last known state, not a delivery: not counted. */
            cm->has_state = true;
            cm->last = pm->state;
            cm->last.sender = pm->id;
        }
    }
    client_away_welcomed(c, now); /* after room_aoi */
    client_hold_welcomed(c, now);
    client_lockstep_welcomed(c, m, now);
    ev->type = RICOCHET_EV_WELCOME;
    ev->id = c->id;
    ev->mode = client_public_mode(c->mode);
    log_debug("client %s: joined room %s as %u (%zu others)", c->name,
              m->room, (unsigned)c->id, c->roster.n_members);
    return 1;
}

/* An error from the relay: the answer to my join, the end of the session,
 * or (no connection) word that the relay no longer has me. */
static int on_error(struct ricochet *c, const struct proto_control *m, uint64_t now,
                    struct ricochet_event *ev)
{
    ev->type = RICOCHET_EV_ERROR;
    ev->id = 0;
    enum proto_error_code code = proto_error_from_name(m->code);
    const struct proto_error_info *info = proto_error_info(code);
    bool ends = info && info->ends_session;
    if (!c->caps.connection && code == PROTO_ERROR_NOT_JOINED) {
        /* The relay no longer has me: it expired me (I was silent past
         * its timeout) or it restarted. A join is never answered so:
         * while (re)joining this answers a ping or state sent before.
         * (Never in a sealed session: it would come in clear.) */
        if (c->phase != PHASE_JOINED)
            return 0;
        client_join_again(c, now);
        log_info("client %s: the relay no longer has me as %u: joining again", c->name,
                 (unsigned)c->id);
        return 1;
    }
    /* My player's key refused for the relay's bound on keys it does not
     * hold from my address (a crowd behind one address rejoining a relay
     * that restarted): the key is good, the address busy; join again in a
     * second, within the join's deadline. */
    if (code == PROTO_ERROR_RATE_LIMITED && c->phase == PHASE_JOINING && c->key[0]) {
        client_join_later(c, now + JOIN_LATER_US);
        log_info("client %s: the relay takes no more players' keys from this address now: "
                 "joining again in a second", c->name);
        return 1;
    }
    /* An error before the welcome is the answer to our join (the session
     * ends with the relay's code and message). Without a connection the
     * relay cannot close one: an error that ends the session (kicked,
     * shutting_down) is the end. */
    bool answers_join = c->phase != PHASE_JOINED && c->phase != PHASE_LOBBY;
    if (answers_join || (!c->caps.connection && ends)) {
        client_end_refused(c, m->code, m->text);
    }
    /* With a connection its close follows: say why it came (a lobby that
     * did not join in time is closed so too). */
    if (ends || (c->phase == PHASE_LOBBY && code == PROTO_ERROR_NOT_JOINED))
        client_end_farewell(c, m->code, m->text);
    log_debug("client %s: relay error %s: %s", c->name, m->code, m->text);
    return 1;
}

/* What an event says of a control message: who, and its words. */
static void event_words(struct ricochet_event *ev, const struct proto_control *m)
{
    ev->id = m->id;
    ev->mode = client_public_mode(m->mode);
    snprintf(ev->name, sizeof ev->name, "%s", m->name);
    snprintf(ev->code, sizeof ev->code, "%s",
             m->type == PROTO_CTL_LEFT ? proto_left_reason_name(m->reason) : m->code);
    snprintf(ev->text, sizeof ev->text, "%s", m->text);
}

/* A session sealed, or one that must be (its ticket says so) and is not
 * yet: what may come in clear (PROTOCOL.md, Sealed sessions): the `sealed`
 * message (its tag proves it), a cookie (all it can do is make me send my
 * join again), and before the keys an error, noted but acted on by nothing
 * (clear_error). The rest, welcome, moved, notices, states, and errors
 * once sealed, anyone on the path could have sent. */
static bool clear_allowed(const struct ricochet *c, enum proto_ctl_type type)
{
    if (!client_ticket_sealed(c) && !client_ticket_must_seal(c))
        return true; /* a session in clear */
    return type == PROTO_CTL_SEALED || type == PROTO_CTL_COOKIE ||
           (type == PROTO_CTL_ERROR && !client_ticket_sealed(c));
}

/* An error in clear to a session that must be sealed and is not yet: the
 * relay's refusal (a ticket it could not open, a full relay, a ban) or a
 * forgery. Kept as the reason the session gives if it ends without a
 * welcome, and as why a connection that closes closed; nothing more. */
static int clear_error(struct ricochet *c, const struct proto_control *m)
{
    client_end_in_clear(c, m->code, m->text);
    const struct proto_error_info *info = proto_error_info(proto_error_from_name(m->code));
    if (info && info->ends_session)
        client_end_farewell(c, c->ends.clear_code, c->ends.clear_text);
    log_debug("client %s: relay error in clear, noted: %s: %s", c->name, m->code, m->text);
    return 0;
}

/* A room notice is about a member (the decoder lets a chat without id
 * through: that is the client -> relay form), and comes only once I am in
 * the room: before the welcome, its roster is the truth. */
static bool notice_in_place(const struct ricochet *c, const struct proto_control *m)
{
    bool notice = m->type == PROTO_CTL_JOINED || m->type == PROTO_CTL_LEFT ||
                  m->type == PROTO_CTL_CHAT || m->type == PROTO_CTL_APPEARED ||
                  m->type == PROTO_CTL_VANISHED;
    return !notice || (c->phase == PHASE_JOINED && m->id != 0);
}

/* Decodes a control message into *m; false (counted, logged) if it is
 * malformed, in clear where the session is sealed, or a notice out of
 * place. */
static bool decode_control(struct ricochet *c, const char *buf, size_t len, bool clear,
                           struct proto_control *m)
{
    char why[128];
    if (proto_control_decode(buf, len, m, why, sizeof why) != PROTO_OK) {
        c->bad_messages++;
        log_debug("client %s: dropped control message: %s", c->name, why);
        return false;
    }
    if (clear && !clear_allowed(c, m->type)) {
        client_bad_message(c, "a message in clear in a sealed session", PROTO_E_VALUE);
        return false;
    }
    if (!notice_in_place(c, m)) {
        client_bad_message(c, "notice before welcome or without id", PROTO_E_VALUE);
        return false;
    }
    return true;
}

/* A member joined; or came back (REJOINED): the relay gave it its id
 * back, or its player was in my room before my last hop. */
static int on_joined(struct ricochet *c, const struct proto_control *m, uint64_t now,
                     struct ricochet_event *ev)
{
    struct client_member *cm = NULL;
    if (m->id != c->id && !(cm = client_member_add(c, m->id, m->name, m->mode, now))) {
        client_bad_message(c, "joined: one member too many", PROTO_E_VALUE);
        return 0;
    }
    if (cm)
        memcpy(cm->player, m->player, sizeof cm->player);
    client_lockstep_joined(c, m);
    client_hold_seen(c, m->name);
    client_hold_check(c, now);
    uint32_t was = client_away_back(c, m->player);
    if (!was && m->rejoined)
        was = m->id; /* its own place back: its id kept */
    ev->type = was ? RICOCHET_EV_REJOINED : RICOCHET_EV_JOINED;
    c->ev_was = was;
    return 1;
}

static int on_left(struct ricochet *c, const struct proto_control *m,
                   struct ricochet_event *ev)
{
    /* Kept even when the LEFT is not told again below: the heir must hear it. */
    memcpy(c->left_owner, m->owner, sizeof c->left_owner);
    if (m->owner[0])
        c->room_mine = strcmp(m->owner, c->player) == 0;
    client_room_owner_left(c, m->owner);
    if (!client_member_find(c, m->id)) {
        struct departed *d = client_departed_find(c, m->id);
        if (d && d->expired) {
            /* I expired it already and said so: one LEFT per member. */
            d->expired = false;
            return 0;
        }
    }
    /* Kept until the next poll so the caller can read its stats. */
    client_member_leaving(c, m->id, CLIENT_LEFT);
    ev->type = RICOCHET_EV_LEFT;
    return 1;
}

/* A member went out of sight (a room with interest): listed until the next
 * poll, like one that left, so the caller can read its statistics. */
static int on_vanished(struct ricochet *c, const struct proto_control *m,
                       struct ricochet_event *ev)
{
    const struct client_member *cm = client_member_find(c, m->id);
    if (!cm)
        return 0; /* not listed: nothing to take out of sight */
    snprintf(ev->name, sizeof ev->name, "%s", cm->name);
    client_member_leaving(c, m->id, CLIENT_VANISHED);
    ev->type = RICOCHET_EV_VANISHED;
    return 1;
}

/* A page of the relay's rooms (my rooms request's answer): kept for
 * ricochet_rooms until the next. */
static int on_rooms(struct ricochet *c, const struct proto_control *m,
                    struct ricochet_event *ev)
{
    if (!m->listing) {
        client_bad_message(c, "a rooms request from the relay", PROTO_E_VALUE);
        return 0;
    }
    if (!c->listing.page && !(c->listing.page = calloc(PROTO_ROOMS_PAGE, sizeof *c->listing.page)))
        return 0;
    if (!c->listing.props &&
        !(c->listing.props = calloc(PROTO_ROOMS_PAGE, sizeof *c->listing.props)))
        return 0;
    memcpy(c->listing.page, m->rooms, m->rooms_len * sizeof *c->listing.page);
    memcpy(c->listing.props, m->rooms_props, m->rooms_len * sizeof *c->listing.props);
    c->listing.len = m->rooms_len;
    c->listing.more = m->more;
    c->listing.watching = m->watch == PROTO_WATCH_ON; /* a lobby that stays */
    snprintf(ev->text, sizeof ev->text, "%s", m->prefix);
    ev->type = RICOCHET_EV_ROOMS;
    return 1;
}

/* The relay wants proof that we receive at our address (plain UDP, ENet):
 * the join goes again at once, echoing the cookie; a lobby, which has no
 * join yet, echoes the cookie alone and asks again for the listing the
 * relay held back. */
static void on_cookie(struct ricochet *c, const struct proto_control *m, uint64_t now)
{
    if (c->phase == PHASE_JOINED)
        return;
    client_cookie_take(c, m->cookie);
    if (c->listing.lobby) {
        client_send_cookie(c);
        if (client_send_listing(c) != 0)
            log_warn("client %s: could not ask for the rooms", c->name);
        return;
    }
    if (c->caps.connection)
        client_send_join(c); /* ENet: its join went once; the relay waits for this */
    else
        client_join_due(c, now); /* the transport's pace of joins, made now */
}

/* My room changed (client_room.c keeps it): after my welcome, which says
 * it as it is; another room's is bad. */
static int on_room(struct ricochet *c, const struct proto_control *m, struct ricochet_event *ev)
{
    if (c->phase != PHASE_JOINED)
        return 0;
    if (m->room[0] && strcmp(m->room, c->room) != 0) {
        client_bad_message(c, "room message for another room", PROTO_E_VALUE);
        return 0;
    }
    client_room_take(c, m);
    c->room_mine = client_room_owned_by(c, c->player);
    ev->type = RICOCHET_EV_ROOM;
    ev->id = c->id;
    return 1;
}

/* A member's clock, as the relay estimated it. */
static void on_clock(struct ricochet *c, const struct proto_control *m, uint64_t now)
{
    struct client_member *cm = m->id ? client_member_find(c, m->id) : NULL;
    if (cm)
        cm->clock = (struct clock_sync){.valid = true, .offset_us = m->clock_offset_us,
                                        .bound_us = m->clock_bound_us, .at_us = now};
}

/* A control message of len bytes (clear: it came unsealed) received at
 * now. Returns 1 with *ev filled, or 0 (nothing to report, or dropped and
 * counted). */
static int handle_control(struct ricochet *c, const char *buf, size_t len, bool clear,
                          uint64_t now, struct ricochet_event *ev)
{
    struct proto_control ctl; /* on the stack: its roster alone is 28 KB (see the top) */
    struct proto_control *m = &ctl;
    if (!decode_control(c, buf, len, clear, m))
        return 0;
    ev->recv_us = now;
    event_words(ev, m);
    switch (m->type) {
    case PROTO_CTL_WELCOME:
        return on_welcome(c, m, now, ev);
    case PROTO_CTL_JOINED:
        return on_joined(c, m, now, ev);
    case PROTO_CTL_LEFT:
        return on_left(c, m, ev);
    case PROTO_CTL_CHAT:
        ev->type = RICOCHET_EV_CHAT;
        return 1;
    case PROTO_CTL_APPEARED:
        return on_appeared(c, &m->member, now, ev);
    case PROTO_CTL_VANISHED:
        return on_vanished(c, m, ev);
    case PROTO_CTL_ERROR:
        if (clear && client_ticket_must_seal(c))
            return clear_error(c, m);
        return on_error(c, m, now, ev);
    case PROTO_CTL_MOVED:
        if (!client_on_moved(c, m))
            client_bad_message(c, "moved for another room", PROTO_E_VALUE);
        return 0;
    case PROTO_CTL_SEALED: {
        bool fresh;
        const char *wrong = client_ticket_salt(c, m->salt, m->tag, &fresh);
        if (wrong)
            client_bad_message(c, wrong, PROTO_E_VALUE);
        else if (fresh && c->phase != PHASE_JOINED)
            client_send_join(c); /* sealed: the proof the relay waits for */
        return 0;
    }
    case PROTO_CTL_COOKIE:
        on_cookie(c, m, now);
        return 0;
    case PROTO_CTL_PONG: {
        uint32_t tick = client_lockstep_tick_at(c, now);
        client_clock_pong(c, m->t, m->relay_t, now);
        client_lockstep_clock_moved(c, tick, now);
        return 0;
    }
    case PROTO_CTL_CLOCK:
        on_clock(c, m, now);
        return 0;
    case PROTO_CTL_ROOMS:
        return on_rooms(c, m, ev);
    case PROTO_CTL_ROOM:
        return on_room(c, m, ev);
    case PROTO_CTL_LATE:
    case PROTO_CTL_DESYNC:
        return client_lockstep_told(c, m, now, ev);
    default:
        client_bad_message(c, "unexpected control message", PROTO_E_UNKNOWN_TYPE);
        return 0;
    }
}

/* ---- the one way in ---- */

/* A message as it arrived (clear) or opened, by channel. */
static int dispatch(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *buf,
                    size_t len, bool clear, uint64_t now, struct ricochet_event *ev)
{
    /* A transport without channels (a datagram, a stream) hands every
     * message over on its pseudo channel; the first byte tells them apart.
     * One with channels uses ENet's, and a pseudo channel only of a mode it
     * carries (QUIC's streams of senders' own). */
    bool pseudo = proto_channel_bare(channel);
    /* the mode table says which mode (channel, flags) is, and whether mine carry it */
    enum proto_mode mode;
    bool mine = proto_mode_from_down(channel, pseudo ? 0 : flags, &mode) == 0 &&
                (c->caps.modes & (1u << mode));
    if ((!pseudo && !c->caps.channels) || (pseudo && !mine)) {
        client_bad_message(c, "message on the other transport's channel", PROTO_E_VALUE);
        return 0;
    }
    bool json = len > 0 && buf[0] == '{';
    if (clear && (client_ticket_sealed(c) || client_ticket_must_seal(c)) && !json) {
        client_bad_message(c, "a state in clear in a sealed session", PROTO_E_VALUE);
        return 0;
    }
    /* Alive: in a sealed session (or one that must be) only what opened
     * says so; anyone can send from the relay's address. */
    if (!clear || (!client_ticket_sealed(c) && !client_ticket_must_seal(c)))
        client_heard(c, now);
    if ((channel == PROTO_CHANNEL_CONTROL || pseudo) && proto_is_event(buf, len))
        return handle_event(c, buf, len, now, ev);
    if (channel == PROTO_CHANNEL_CONTROL || (pseudo && json))
        return handle_control(c, (const char *)buf, len, clear, now, ev);
    if (!mine) {
        client_bad_message(c, "state on a channel or with flags no mode uses", PROTO_E_VALUE);
        return 0;
    }
    if (proto_is_frames(buf, len)) { /* a lockstep room's, on the state ways */
        int rc = client_lockstep_frames(c, buf, len, now, ev);
        if (rc < 0)
            client_bad_message(c, "frames", rc);
        return rc < 0 ? 0 : rc;
    }
    return handle_state(c, buf, len, mode, now, ev);
}

void client_heard(struct ricochet *c, uint64_t now)
{
    c->heard_us = now;
}

void client_input_counted(struct ricochet *c)
{
    c->inputs++;
}

void client_event_forget(struct ricochet *c)
{
    c->ev_len = 0;
    c->ev_key[0] = '\0';
    c->ev_was = 0;
}

int client_receive_message(struct ricochet *c, uint8_t channel, uint32_t flags,
                           const uint8_t *buf, size_t len, uint64_t now,
                           struct ricochet_event *ev)
{
    client_event_forget(c); /* what the last message brought is gone */
    client_input_counted(c);
    if (!c->ticket || !seal_is_sealed(buf, len))
        return dispatch(c, channel, flags, buf, len, true, now, ev);
    /* A sealed message: states and most notices fit the stack, a welcome
     * may not (up to PROTO_CONTROL_MAX). */
    uint8_t small[2048];
    uint8_t *plain = len <= sizeof small ? small : malloc(len);
    int n = plain ? client_ticket_open(c, buf, len, plain) : -1;
    int rc = 0;
    if (n < 0)
        client_bad_message(c, "a sealed message that does not open", PROTO_E_VALUE);
    else
        rc = dispatch(c, channel, flags, plain, (size_t)n, false, now, ev);
    if (plain != small)
        free(plain);
    return rc;
}

int client_batch_step(struct ricochet *c, struct client_batch *b, struct ricochet_event *ev)
{
    const uint8_t *entry;
    size_t n;
    while (proto_batch_next(b->buf, b->len, &b->at, &entry, &n)) {
        if (entry[0] == '{') { /* only states and replayed kept events travel in batches */
            client_bad_message(c, "control message in a batch", PROTO_E_TYPE);
            continue;
        }
        int rc = client_receive_message(c, b->channel, b->flags, entry, n, b->now, ev);
        if (rc != 0)
            return rc;
    }
    b->len = 0;
    return 0;
}

int client_batch_start(struct ricochet *c, struct client_batch *b, const uint8_t *buf,
                       size_t len, uint8_t channel, uint32_t flags, uint64_t now,
                       struct ricochet_event *ev)
{
    int rc = proto_batch_check(buf, len);
    if (rc < 0) {
        client_bad_message(c, "batch", rc);
        b->len = 0;
        return 0;
    }
    *b = (struct client_batch){.buf = buf, .len = len, .at = PROTO_BATCH_HEADER,
                               .channel = channel, .flags = flags, .now = now};
    return client_batch_step(c, b, ev);
}

int client_receive_arrived(struct ricochet *c, struct client_batch *b, const uint8_t *buf,
                           size_t len, uint8_t channel, uint32_t flags, uint64_t now,
                           struct ricochet_event *ev)
{
    if (channel != PROTO_CHANNEL_CONTROL && proto_is_batch(buf, len))
        return client_batch_start(c, b, buf, len, channel, flags, now, ev);
    return client_receive_message(c, channel, flags, buf, len, now, ev);
}
