/* control_in.c: control messages from clients (see control_in_internal.h): decoded, then
 * join (join.c), leave, chat, clock, ping, rooms (listing.c); and events, the game's own
 * messages, which take the control way. */
#include "core.h"
#include "admit_internal.h"
#include "control_in_internal.h"
#include "control_out_internal.h"
#include "interest_internal.h"
#include "join_internal.h"
#include "kept_internal.h"
#include "limits_internal.h"
#include "lobby_internal.h"
#include "lockstep_internal.h"
#include "peers_internal.h"
#include "refusals_internal.h"
#include "rooms_internal.h"
#include "scripted_internal.h"

#include <stdio.h>
#include <string.h>

static int on_chat(struct relay *r, uint32_t peer, const struct proto_control *m,
                   size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "chat before join: send join first");
    if (!proto_text_valid(m->text))
        return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                           "text: 1..%d bytes, no control characters", PROTO_TEXT_MAX);
    int rc = core_budget_admit(r, peer, now_us);
    if (rc < 0)
        return rc;
    const struct relay_room *room = &r->rooms.at[p->room];
    proto_control_init(&r->out, PROTO_CTL_CHAT);
    r->out.id = p->id;
    snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
    snprintf(r->out.text, sizeof r->out.text, "%s", m->text);
    core_send_out_room(r, room, UINT32_MAX, peer);
    core_budget_spend(r, peer, (uint64_t)len * room->n);
    return 0;
}

/* A member's clock offset to the relay goes to the others in its room, so
 * they can correct the one-way latency of its states (PROTOCOL.md). */
static int on_clock(struct relay *r, uint32_t peer, const struct proto_control *m,
                    size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "clock before join: send join first");
    int rc = core_budget_admit(r, peer, now_us);
    if (rc < 0)
        return rc;
    core_member_clock(r, peer, m->clock_offset_us, m->clock_bound_us);
    proto_control_init(&r->out, PROTO_CTL_CLOCK);
    r->out.id = p->id;
    r->out.clock_offset_us = m->clock_offset_us;
    r->out.clock_bound_us = m->clock_bound_us;
    core_send_out_near(r, peer, peer);
    core_budget_spend(r, peer, (uint64_t)len * r->rooms.at[p->room].n);
    return 0;
}

/* The member of peer's room whose relay id is id, or UINT32_MAX. */
static uint32_t room_member_by_id(const struct relay *r, const struct relay_room *room,
                                  uint32_t id)
{
    for (uint32_t i = 0; i < room->n; i++)
        if (r->peers[room->members[i]].id == id)
            return room->members[i];
    return UINT32_MAX;
}

/* Keeps a kept event for its room (kept.c), or refuses it whole: a key
 * another player keeps is its keeper's and the room owner's to replace or
 * clear (a stay key whose keeper left: the owner's; the keeper back with
 * its key: its own again). */
static int keep(struct relay *r, uint32_t peer, struct relay_room *room,
                const struct proto_event *e, const uint8_t *bytes, size_t len, uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    char keeper[PROTO_PLAYER_LEN + 1];
    if (core_kept_keeper(room, e, keeper) && strcmp(keeper, p->player) != 0 &&
        strcmp(room->settings.owner, p->player) != 0)
        return core_reject(r, peer, RELAY_DROP_NOT_OWNER, now_us,
                           "the kept key '%.*s' is another player's: only it or the room's "
                           "owner replaces or clears it", (int)e->key_len,
                           (const char *)e->key);
    int k = core_kept_put(room, p->id, p->player, e, bytes, len);
    if (k == -1)
        return core_reject(r, peer, RELAY_DROP_KEPT_FULL, now_us,
                           "the room keeps %d bytes of events, %zu with this one: event "
                           "refused (clear a key first)", CORE_KEPT_BYTES,
                           core_kept_counted(room) + len);
    if (k < 0)
        return core_reject(r, peer, RELAY_DROP_SEND_FAILED, now_us, "out of memory");
    core_room_changed(r, room);
    return 0;
}

int core_on_event(struct relay *r, uint32_t peer, uint8_t *bytes, size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    struct proto_event e;
    int err = proto_event_decode(bytes, len, &e);
    if (err == PROTO_E_LONG)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "event of %zu bytes, max %d (a body of %d)", len, PROTO_EVENT_MAX,
                           PROTO_EVENT_BODY_MAX);
    if (err == PROTO_E_VALUE) {
        r->stats.state_errors[RELAY_STATE_ERR_VALUE]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us,
                           "event: a kept event's key is 1..%d bytes of 0x21..0x7e, and "
                           "stay needs keep", PROTO_EVENT_KEY_MAX);
    }
    if (err < 0) {
        r->stats.state_errors[RELAY_STATE_ERR_SHORT]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "event: %s",
                           proto_strerror(err));
    }
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "event before join: send join first");
    struct relay_room *room = &r->rooms.at[p->room];
    if (now_us >= room->lease_until_us) { /* a fleet's room another relay may hold now */
        r->stats.drops[RELAY_DROP_UNCONFIRMED]++;
        return -1 - (int)RELAY_DROP_UNCONFIRMED;
    }
    uint32_t to = e.to == PROTO_EVENT_ROOM ? UINT32_MAX : room_member_by_id(r, room, e.to);
    if (e.to != PROTO_EVENT_ROOM && to == UINT32_MAX)
        return core_reject(r, peer, RELAY_DROP_NO_MEMBER, now_us,
                           "no member %u in your room: event dropped", (unsigned)e.to);
    if ((e.flags & PROTO_EVENT_KEEP) && e.to != PROTO_EVENT_ROOM)
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us,
                           "event: a kept event goes to the room (to 0), not to %u",
                           (unsigned)e.to);
    int rc = core_budget_admit(r, peer, now_us);
    if (rc < 0)
        return rc;
    proto_state_stamp_sender(bytes, p->id); /* the relay is the authority on identity */
    bytes[2] &= (uint8_t)~PROTO_EVENT_KEPT; /* and the only one to mark a replay */
    if ((rc = core_script_event(r, peer, &bytes, &len, &e, now_us)) != 0)
        return rc < 0 ? rc : 0; /* the room's own key, or its script dropped it */
    if ((e.flags & PROTO_EVENT_KEEP) && (rc = keep(r, peer, room, &e, bytes, len, now_us)) < 0)
        return rc;
    r->stats.events_in++;
    uint32_t n = 0;
    if (to != UINT32_MAX)
        n += core_send_bytes(r, peer, to, bytes, len);
    for (uint32_t i = 0; to == UINT32_MAX && i < room->n; i++)
        if (room->members[i] != peer)
            n += core_send_bytes(r, peer, room->members[i], bytes, len);
    r->stats.events_out += n;
    core_budget_spend(r, peer, (uint64_t)len * n);
    return 0;
}

/* The drop a refused control message counts, by how the decoder refused it
 * and where (never by the words of its reason): the first row that matches,
 * a NULL field matching any. */
static const struct {
    int err;
    const char *field;
    enum relay_drop drop;
} control_drops[] = {
    { PROTO_E_JSON, NULL, RELAY_DROP_BAD_JSON },
    { PROTO_E_MISSING, NULL, RELAY_DROP_MISSING_FIELD },
    { PROTO_E_UNKNOWN_TYPE, NULL, RELAY_DROP_UNKNOWN_TYPE },
    /* the decoder checks the name rules itself: their refusals get their own codes */
    { PROTO_E_VALUE, "name", RELAY_DROP_BAD_NAME },
    { PROTO_E_VALUE, "room", RELAY_DROP_BAD_ROOM },
};

static enum relay_drop control_drop(const struct proto_fault *f)
{
    for (size_t i = 0; i < sizeof control_drops / sizeof control_drops[0]; i++)
        if (control_drops[i].err == f->err &&
            (!control_drops[i].field || !strcmp(control_drops[i].field, f->field)))
            return control_drops[i].drop;
    return RELAY_DROP_BAD_FIELD; /* FIELD_TYPE, VALUE, LONG */
}

int core_on_control(struct relay *r, uint32_t peer, const uint8_t *bytes,
                    size_t len, bool datagram, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    char why[PROTO_TEXT_MAX + 1] = "";
    struct proto_control *m = &r->in;
    int err = proto_control_decode((const char *)bytes, len, m, why, sizeof why);
    if (p->ticket.sealed && r->sealing.in_clear &&
        (err < 0 || m->type != PROTO_CTL_JOIN || !p->ticket.unproven)) {
        /* Nothing but a join before its proof may come in clear in a
         * sealed session, and what anyone could have sent earns the peer
         * no strike. */
        r->stats.drops[RELAY_DROP_UNSEALED]++;
        return -1 - (int)RELAY_DROP_UNSEALED;
    }
    if (err == PROTO_E_VALUE && !strcmp(m->fault.field, "ticket") && r->cfg.n_ticket_keys &&
        !p->joined)
        return core_refuse_ticket(r, peer, PROTO_ERROR_TICKET_MALFORMED, now_us,
                                  "longer than any ticket");
    if (err < 0)
        return core_reject(r, peer, control_drop(&m->fault), now_us, "%s",
                           why[0] ? why : proto_strerror(err));
    switch (m->type) {
    case PROTO_CTL_JOIN:
        r->stats.control_in++;
        return core_on_join(r, peer, m, now_us);
    case PROTO_CTL_CHAT:
        r->stats.control_in++;
        return on_chat(r, peer, m, len, now_us);
    case PROTO_CTL_LEAVE:
        r->stats.control_in++;
        if (p->joined) /* from now, outside any room: join_timeout_ms */
            core_peer_outside(r, peer, now_us);
        core_member_remove(r, peer, PROTO_LEFT_QUIT);
        return 0;
    case PROTO_CTL_CLOCK:
        r->stats.control_in++;
        return on_clock(r, peer, m, len, now_us);
    case PROTO_CTL_ROOMS:
        r->stats.control_in++;
        return core_lobby_on_rooms(r, peer, m, len, now_us);
    case PROTO_CTL_ROOM:
        r->stats.control_in++;
        return core_on_room(r, peer, m, len, now_us);
    case PROTO_CTL_CHECK:
        r->stats.control_in++;
        return core_lockstep_check(r, peer, m, now_us);
    case PROTO_CTL_PING:
        r->stats.control_in++;
        core_lobby_heard(r, peer, now_us); /* a watching lobby's keepalive */
        if ((datagram || r->reply_cap) && !p->joined && !p->lobby)
            /* A plain-UDP client we expired: tell it instead of ponging, so
             * it knows to join again. Before a ticket admits a peer whose
             * source can be forged, a pong would be longer than its ping.
             * (A lobby watches only where no source can be forged.) */
            return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                               "not joined (expired?): send join");
        proto_control_init(&r->out, PROTO_CTL_PONG);
        r->out.t = m->t;
        r->out.relay_t = now_us; /* clients estimate their clock offset from it */
        core_send_out(r, peer);
        return 0;
    default:
        return core_reject(r, peer, RELAY_DROP_UNKNOWN_TYPE, now_us,
                           "'%s' is sent by the relay, not to it",
                           proto_ctl_type_name(m->type));
    }
}
