/* client_control.c: the control messages a session receives (see
 * client.h): the welcome and its roster, a relay's errors, the room's
 * notices (joined, left, chat, appeared, vanished), cookies, salts and
 * clocks. A message is checked before it is acted on (malformed, in clear
 * in a sealed session, a notice out of place: counted and dropped), and
 * decoded into the caller's stack, not into the client: its roster alone
 * is 28 KB, and a swarm holds thousands of clients. An event carries what
 * it needs of it by value. */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <string.h>

#include "../proto/errors.h"
#include "../sys/log.h"

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
    c->id = m->id;
    c->phase = PHASE_JOINED;
    c->was_joined = true;
    c->lost_us = 0;
    c->hops = 0;
    c->join_epoch = 0;
    c->room_aoi = m->aoi;
    client_members_clear(c);
    for (size_t i = 0; i < m->roster_len; i++) {
        const struct proto_member *pm = &m->roster[i];
        if (pm->id == c->id || pm->id == 0)
            continue;
        struct client_member *cm = client_member_add(c, pm->id, pm->name, pm->mode, now);
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
    if (c->holding) {
        c->hold_until_us = now + HOLD_WAIT_US;
        for (size_t i = 0; i < c->n_members; i++)
            client_hold_seen(c, c->members[i].name);
        client_hold_check(c, now);
    }
    ev->type = RICOCHET_EV_WELCOME;
    ev->id = c->id;
    ev->mode = client_public_mode(c->mode);
    log_debug("client %s: joined room %s as %u (%zu others)", c->name,
              m->room, (unsigned)c->id, c->n_members);
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
         * while (re)joining this answers a ping or state sent before. */
        if (c->phase != PHASE_JOINED)
            return 0;
        c->phase = PHASE_JOINING;
        c->rejoin_pending = true;
        c->join_started_us = now;
        c->next_join_us = now; /* the transport sends the join */
        log_info("client %s: the relay no longer has me as %u: joining again", c->name,
                 (unsigned)c->id);
        return 1;
    }
    /* An error before the welcome is the answer to our join (the session
     * ends with the relay's code and message). Without a connection the
     * relay cannot close one: an error that ends the session (kicked,
     * shutting_down) is the end. */
    if (c->phase != PHASE_JOINED || (!c->caps.connection && ends)) {
        c->fail_after_event = true;
        snprintf(c->fail_code, sizeof c->fail_code, "%s", m->code);
        snprintf(c->fail_text, sizeof c->fail_text, "%s", m->text);
    }
    /* With a connection its close follows: say why it came. */
    if (ends) {
        snprintf(c->farewell_code, sizeof c->farewell_code, "%s", m->code);
        snprintf(c->farewell_text, sizeof c->farewell_text, "%s", m->text);
    }
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

/* What a relay may send in clear in a sealed session: the salt of the
 * next, its transport's answers to an endpoint it does not know (plain
 * UDP's not_joined after an expiry, a cookie). */
static bool clear_allowed(enum proto_ctl_type type)
{
    return type == PROTO_CTL_SEALED || type == PROTO_CTL_ERROR || type == PROTO_CTL_COOKIE;
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
    if (clear && client_ticket_sealed(c) && !clear_allowed(m->type)) {
        client_bad_message(c, "a message in clear in a sealed session", PROTO_E_VALUE);
        return false;
    }
    if (!notice_in_place(c, m)) {
        client_bad_message(c, "notice before welcome or without id", PROTO_E_VALUE);
        return false;
    }
    return true;
}

static int on_joined(struct ricochet *c, const struct proto_control *m, uint64_t now,
                     struct ricochet_event *ev)
{
    if (m->id != c->id && !client_member_add(c, m->id, m->name, m->mode, now)) {
        client_bad_message(c, "joined: one member too many", PROTO_E_VALUE);
        return 0;
    }
    client_hold_seen(c, m->name);
    client_hold_check(c, now);
    ev->type = RICOCHET_EV_JOINED;
    return 1;
}

static int on_left(struct ricochet *c, const struct proto_control *m,
                   struct ricochet_event *ev)
{
    if (!client_member_find(c, m->id)) {
        struct departed *d = client_departed_find(c, m->id);
        if (d && d->expired) {
            /* I expired it already and said so: one LEFT per member. */
            d->expired = false;
            return 0;
        }
    }
    /* Kept until the next poll so the caller can read its stats. */
    c->remove_pending = true;
    c->remove_how = CLIENT_LEFT;
    c->remove_id = m->id;
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
    c->remove_pending = true;
    c->remove_how = CLIENT_VANISHED;
    c->remove_id = m->id;
    ev->type = RICOCHET_EV_VANISHED;
    return 1;
}

/* No connection: the relay wants proof that we receive at our address. */
static void on_cookie(struct ricochet *c, const struct proto_control *m, uint64_t now)
{
    if (!c->caps.connection && c->phase != PHASE_JOINED) {
        memcpy(c->cookie, m->cookie, sizeof c->cookie);
        c->next_join_us = now; /* the transport joins again at once */
    }
}

/* A member's clock, as the relay estimated it. */
static void on_clock(struct ricochet *c, const struct proto_control *m, uint64_t now)
{
    struct client_member *cm = m->id ? client_member_find(c, m->id) : NULL;
    if (cm)
        cm->clock = (struct clock_sync){.valid = true, .offset_us = m->clock_offset_us,
                                        .bound_us = m->clock_bound_us, .at_us = now};
}

int client_handle_control(struct ricochet *c, const char *buf, size_t len, bool clear,
                          uint64_t now, struct ricochet_event *ev)
{
    struct proto_control ctl; /* on the stack: see the top of this file */
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
        return on_error(c, m, now, ev);
    case PROTO_CTL_MOVED:
        client_on_moved(c, m);
        return 0;
    case PROTO_CTL_SEALED:
        client_ticket_salt(c, m->salt);
        return 0;
    case PROTO_CTL_COOKIE:
        on_cookie(c, m, now);
        return 0;
    case PROTO_CTL_PONG:
        client_clock_pong(c, m->t, m->relay_t, now);
        return 0;
    case PROTO_CTL_CLOCK:
        on_clock(c, m, now);
        return 0;
    default:
        client_bad_message(c, "unexpected control message", PROTO_E_UNKNOWN_TYPE);
        return 0;
    }
}
