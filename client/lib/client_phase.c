/* client_phase.c: a session's phases (client_phase_internal.h's enum
 * client_phase) and what moves it between them: the join deadline, what an
 * event left pending (a member's removal, a rejoin's empty table, the end
 * after a relay's refusal), the end and its one DISCONNECTED event; and,
 * in a fleet of relays (proto/FLEET.md), the hops that are not the end: a
 * relay's moved sends the session to the relay that holds its room (at
 * most CLIENT_HOPS_MAX hops per join), and a session that lost its relay
 * joins again through the address it started from, within its rejoin
 * window. The end and the rejoin are one decision (a lost relay is either),
 * so they share this file. A hop happens at the next poll (client_hop),
 * never inside the transport that received the news.
 *
 * The transports call in here (the end, the service loop); this file
 * reaches them only through c->ops, and calls below it only what is sent
 * (client_send.c), the member table and the ticket. */
#define BY_CLIENT_PHASE_C /* this file writes the parts BY_CLIENT_PHASE_C marks */
#include "client.h"
#include "client_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"

/* A request the relay answers with a cookie goes again after 0.3 s, then
 * every 0.6 s: the fourth at 1.5 s, within the relay's join timeout (2 s
 * by default) and the last it answers (4 a connection); waits doubled
 * each time put the fourth past the timeout. */
#define COOKIE_WAIT_US 300000u
#define COOKIE_AGAIN_US 600000u

/* ---- the end ---- */

void client_go_dead(struct ricochet *c, const char *code, const char *text)
{
    if (c->phase == PHASE_DEAD || c->move.hop_pending)
        return; /* dead already, or leaving this relay for another (it closes) */
    if (client_rejoin(c, code))
        return;
    /* A relay's error code: it refused the join, or ended the session. */
    enum proto_error_code relay_code = proto_error_from_name(code);
    if (relay_code != PROTO_ERROR_NONE)
        proto_error_describe(c->ends.dead_why, sizeof c->ends.dead_why, relay_code, text,
                             c->phase == PHASE_JOINED);
    else
        snprintf(c->ends.dead_why, sizeof c->ends.dead_why, "%s (%s)", text, code);
    c->phase = PHASE_DEAD;
    snprintf(c->ends.dead_code, sizeof c->ends.dead_code, "%s", code);
    snprintf(c->ends.dead_text, sizeof c->ends.dead_text, "%s", text);
    c->ops->hang_up(c);
}

void client_connection_lost(struct ricochet *c, const char *code, const char *text)
{
    if (c->ends.farewell_code[0])
        client_go_dead(c, c->ends.farewell_code, c->ends.farewell_text);
    else
        client_go_dead(c, code, text);
}

void client_end_refused(struct ricochet *c, const char *code, const char *text)
{
    c->ends.fail_after_event = true;
    snprintf(c->ends.fail_code, sizeof c->ends.fail_code, "%s", code);
    snprintf(c->ends.fail_text, sizeof c->ends.fail_text, "%s", text);
}

void client_end_farewell(struct ricochet *c, const char *code, const char *text)
{
    snprintf(c->ends.farewell_code, sizeof c->ends.farewell_code, "%s", code);
    snprintf(c->ends.farewell_text, sizeof c->ends.farewell_text, "%s", text);
}

void client_end_in_clear(struct ricochet *c, const char *code, const char *text)
{
    snprintf(c->ends.clear_code, sizeof c->ends.clear_code, "%s", code);
    snprintf(c->ends.clear_text, sizeof c->ends.clear_text, "%.170s (in clear, unauthenticated)",
             text);
}

void client_end_clear_forget(struct ricochet *c)
{
    c->ends.clear_code[0] = c->ends.clear_text[0] = '\0';
}

void client_wrong_transport(struct ricochet *c, const char *edge, const char *advice)
{
    char addr[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "%s is the relay's %s edge: %s",
             netaddr_format(&c->relay, addr, sizeof addr), edge, advice);
    if (client_ticket_must_seal(c) && !client_ticket_sealed(c)) {
        /* Bytes in clear that anyone could send: the reason given if no
         * welcome comes in time, not the end (PROTOCOL.md, Sealed sessions). */
        client_end_in_clear(c, RICOCHET_END_WRONG_TRANSPORT, text);
        return;
    }
    client_go_dead(c, RICOCHET_END_WRONG_TRANSPORT, text);
}

/* A fleet session whose relay has said nothing at all for rejoin_after_ms
 * lost it: the rejoin starts now rather than at the timeout. Judged with
 * nothing left to read (what waits in the socket is news from the relay).
 * Returns false if the session left the relay. */
bool client_silence_check(struct ricochet *c, uint64_t now)
{
    bool watching = c->phase == PHASE_LOBBY && c->listing.watch; /* a lobby that stays */
    if ((c->phase != PHASE_JOINED && !watching) || !c->rejoin_ms || !c->ops->silent_us ||
        c->ops->silent_us(c, now) <= (uint64_t)c->rejoin_after_ms * 1000u)
        return true;
    client_go_dead(c, RICOCHET_END_TIMEOUT, "the relay went silent");
    return false;
}

/* How often the relay must say something to a session: pings go out after
 * half the timeout of quiet, and in a fleet after a third of rejoin_after
 * (so that a live relay never looks lost). */
uint32_t client_ping_quiet_ms(const struct ricochet *c, uint32_t idle_ms)
{
    uint32_t third = c->rejoin_after_ms / 3;
    return c->rejoin_ms && third < idle_ms ? third : idle_ms;
}

/* ---- a poll's own work ---- */

void client_settle(struct ricochet *c)
{
    client_members_settle(c);
    if (c->rejoin_pending) {
        c->rejoin_pending = false;
        client_members_clear(c);
    }
    if (c->ends.fail_after_event) {
        /* The relay's own code and message, whether it refused the join
         * (server_full, room_full, kicked at connect, ...) or ended it. */
        c->ends.fail_after_event = false;
        client_go_dead(c, c->ends.fail_code, c->ends.fail_text);
    }
}

int client_final_event(struct ricochet *c, struct ricochet_event *ev)
{
    if (c->final_returned)
        return -1;
    c->final_returned = true;
    ev->type = RICOCHET_EV_DISCONNECTED;
    ev->id = c->id;
    ev->recv_us = clock_now_us();
    snprintf(ev->code, sizeof ev->code, "%s", c->ends.dead_code);
    snprintf(ev->text, sizeof ev->text, "%s", c->ends.dead_text);
    return 1;
}

/* The relay's edge a session reaches, as --listen names its scheme. */
static const char *edge_scheme(const struct ricochet *c)
{
    switch (c->transport) {
    case RICOCHET_TRANSPORT_WEBRTC: return "ws"; /* its offer goes to a ws edge */
    case RICOCHET_TRANSPORT_QUIC:
    case RICOCHET_TRANSPORT_WEBTRANSPORT: return "quic";
    case RICOCHET_TRANSPORT_POLL: return "poll";
    default: break;
    }
    return c->mode == PROTO_MODE_UDP ? "udp"
           : c->mode == PROTO_MODE_TCP ? "tcp"
           : c->mode == PROTO_MODE_WS  ? "ws"
                                       : "enet";
}

void client_no_relay_text(const struct ricochet *c, const char *what, char *out, size_t cap)
{
    char addr[NETADDR_STR_MAX + 8];
    const char *edge = edge_scheme(c);
    netaddr_host_port(c->host, c->port, addr, sizeof addr);
    snprintf(out, cap, "%s at %s (expected: a relay's %s edge); start ricochet-relay --listen "
             "%s://%s there, or give its %s edge's address", what, addr, edge, edge, addr, edge);
}

/* How long a join may wait: timeout_ms, its connection (ENet's handshake,
 * a stream's) connect_timeout_ms if that is shorter, so that a connect
 * left unanswered can be tried again within what the caller waits.
 * Rejoining, a relay that does not even answer the connection within
 * rejoin_after is lost as a silent one is (its players may be cut from it
 * while it still holds the room): the rejoin starts over through the first
 * address rather than wait the timeout. */
static uint64_t join_limit_us(const struct ricochet *c)
{
    uint64_t limit = (uint64_t)c->timeout_ms * 1000u;
    uint64_t connect = (uint64_t)c->connect_timeout_ms * 1000u;
    uint64_t silent = (uint64_t)c->rejoin_after_ms * 1000u;
    if (c->phase == PHASE_CONNECTING && connect && connect < limit)
        limit = connect;
    if (c->phase == PHASE_CONNECTING && c->rejoin_ms && c->move.lost_us && silent < limit)
        return silent;
    return limit;
}

/* The join deadline passed: nothing came at all (no connection, or plain
 * UDP's silence), said with where and what to start; or no welcome. */
static void client_go_dead_unheard(struct ricochet *c)
{
    bool unheard = c->phase == PHASE_CONNECTING ||
                   (!c->caps.connection && !c->udp_hub && c->wire.dgrams_received == 0);
    char why[PROTO_TEXT_MAX + NETADDR_STR_MAX * 2 + 128], what[64], addr[NETADDR_STR_MAX + 8];
    uint64_t limit_ms = join_limit_us(c) / 1000u;
    snprintf(what, sizeof what, "no answer in %" PRIu64 " ms", limit_ms);
    if (unheard)
        client_no_relay_text(c, what, why, sizeof why);
    else
        snprintf(why, sizeof why, "no welcome from the relay at %s in %" PRIu64 " ms",
                 netaddr_host_port(c->host, c->port, addr, sizeof addr), limit_ms);
    client_go_dead(c, RICOCHET_END_TIMEOUT, why);
}

bool client_timers(struct ricochet *c, uint64_t now)
{
    /* the lobby waits on its player; the relay's --join-timeout-ms bounds it */
    if (c->phase != PHASE_JOINED && c->phase != PHASE_LOBBY && now > c->join_started_us &&
        now - c->join_started_us > join_limit_us(c)) {
        if (c->ends.clear_code[0]) /* a refusal in clear, all that came: say it */
            client_go_dead(c, c->ends.clear_code, c->ends.clear_text);
        else
            client_go_dead_unheard(c);
        return false;
    }
    if (c->join_later_us && now >= c->join_later_us) {
        c->join_later_us = 0;
        if (c->phase == PHASE_JOINING && c->caps.connection)
            client_send_join(c); /* without a connection the transport's pace sends it */
    }
    client_hold_check(c, now);
    client_clock_step(c, now);
    client_lobby_step(c, now, client_ping_quiet_ms(c, UINT32_MAX));
    return true;
}

uint64_t client_timers_due_us(const struct ricochet *c, uint64_t now)
{
    /* anywhere but joined and settled, a poll may have work at once */
    if (c->phase != PHASE_JOINED || !c->ops->timers_due_us || c->move.hop_pending ||
        c->hold.holding || c->roster.n_away || c->roster.remove_pending ||
        c->sync.clock_changed || c->rejoin_ms || c->rejoin_pending || c->ends.fail_after_event)
        return now;
    uint64_t due = c->ops->timers_due_us(c, now), idle = client_idle_ping_us(c);
    due = c->sync.next_ping_us < due ? c->sync.next_ping_us : due;
    due = idle < due ? idle : due;
    return due > now ? due : now;
}

/* Once the deadline has passed, a step that handled a message steps again
 * (its datagram may have brought more: ENet hands a datagram's packets over
 * one per service, and a pong handled before a state is no event), at most
 * this many times: a caller that waits on the socket after a 0 must find
 * nothing left behind in the library, or it waits for the next datagram. */
#define STEPS_AFTER_DEADLINE 256

int client_service(struct ricochet *c, uint64_t deadline, struct ricochet_event *ev)
{
    unsigned late = 0;
    while (c->phase != PHASE_DEAD && !c->move.hop_pending) {
        uint64_t now = clock_now_us();
        if (!client_timers(c, now))
            break;
        int wait_ms = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
        uint64_t ping = c->sync.next_ping_us < client_idle_ping_us(c) ? c->sync.next_ping_us
                                                                  : client_idle_ping_us(c);
        if (c->phase == PHASE_JOINED && ping > now && (ping - now) / 1000 < (uint64_t)wait_ms)
            wait_ms = (int)((ping - now) / 1000) + 1; /* wake for the ping */
        uint64_t inputs = c->inputs;
        if (c->ops->step(c, wait_ms, ev) > 0)
            return 1;
        if (c->phase != PHASE_DEAD && clock_now_us() >= deadline &&
            (c->inputs == inputs || ++late > STEPS_AFTER_DEADLINE)) {
            c->ops->flush(c);
            return 0;
        }
    }
    return 0;
}

/* ---- a fleet: moved and rejoin ---- */

/* Codes of a relay lost (not of a refusal): a fleet's session rejoins. So
 * does one sent on too far while rejoining: the directory is still
 * deciding where the room goes, and asked again it will have. */
static bool relay_lost(const char *code)
{
    static const char *const lost[] = {RICOCHET_END_TIMEOUT, RICOCHET_END_DISCONNECTED,
                                       RICOCHET_END_REFUSED, "shutting_down",
                                       "directory_unavailable", "moved",
                                       RICOCHET_END_MOVED_TOO_FAR};
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++)
        if (strcmp(code, lost[i]) == 0)
            return true;
    return false;
}

/* The address of the entry the next rejoin goes through. */
static const char *entry_text(const struct ricochet *c, char *out, size_t cap)
{
    const struct client_entry *e = &c->move.entries[c->move.entry];
    return netaddr_host_port(e->host, e->port, out, cap);
}

/* The relay this session is losing, named in the rejoin's join (the fleet
 * keeps it out of the room): the one it was on, unless that is the entry
 * it came through and a relay is named already (a refusal there, while
 * rejoining). */
static void name_lost_relay(struct ricochet *c, const char *here)
{
    char entry[NETADDR_STR_MAX];
    if (strcmp(here, entry_text(c, entry, sizeof entry)) != 0 || !c->move.lost_relay[0])
        snprintf(c->move.lost_relay, sizeof c->move.lost_relay, "%s", here);
}

/* A fleet's session that lost its relay joins again through the address it
 * started from, within its rejoin window; true if it will. If that address
 * is the relay lost, or an attempt through it failed, the next of the
 * fleet's relays it was given goes instead, in turn; the attempts' pause
 * doubles. So does a first join the fleet could not place yet
 * (directory_unavailable, or a bare moved: try again), saying it lost
 * nothing, and a first join sent on to a relay that never answered, saying
 * it lost that one. A lobby that stays rejoins to watch again. */
bool client_rejoin(struct ricochet *c, const char *code)
{
    uint64_t now = clock_now_us();
    bool lobby = c->listing.lobby && c->listing.watch;
    bool first = !c->move.was_joined && !c->move.lost_us && !lobby;
    bool sent_on = first && c->move.hops > 0 && strcmp(code, RICOCHET_END_TIMEOUT) == 0;
    /* A first join is tried again only where the room is to be found: the
     * directory was away, or "moved" came bare (its MOVED, naming the holder,
     * is held back until an address shows itself: the entry names it then). */
    bool placed_later = strcmp(code, proto_error_name(PROTO_ERROR_DIRECTORY_UNAVAILABLE)) == 0 ||
                        strcmp(code, proto_error_name(PROTO_ERROR_MOVED)) == 0;
    if (!c->rejoin_ms || !relay_lost(code) || (first && !sent_on && !placed_later) ||
        (c->move.lost_us && now - c->move.lost_us > (uint64_t)c->rejoin_ms * 1000u))
        return false;
    bool fresh = !c->move.lost_us;
    c->move.hop_quiet = !fresh; /* an attempt again: the same move */
    if (fresh) {
        c->move.lost_us = now;
        c->move.attempts = 0;
    }
    if (!first && !lobby) { /* a first join has no states of a room to carry over */
        client_hold_start(c);
        client_hold_unforwarded(c, false, 0); /* what the lost relay passed on is unknown */
    }
    char here[NETADDR_STR_MAX], entry[NETADDR_STR_MAX];
    netaddr_host_port(c->host, c->port, here, sizeof here);
    c->move.report_lost = (!first || sent_on) && !lobby; /* the join says so: the fleet
                                                           checks the room's holder */
    if (c->move.report_lost)
        name_lost_relay(c, here);
    if (!fresh || strcmp(here, entry_text(c, entry, sizeof entry)) == 0)
        c->move.entry = (c->move.entry + 1) % c->move.n_entries;
    const struct client_entry *e = &c->move.entries[c->move.entry];
    if (fresh)
        log_info("client %s: %s %s (%s): %s again through %s:%u", c->name,
                 first ? "room not placed yet by" : "lost relay", here, code,
                 lobby ? "watching" : "joining", e->host, (unsigned)e->port);
    if (lobby) { /* the watch asked again once connected (client_join_now) */
        c->listing.asked = true;
        c->listing.watch_ask = PROTO_WATCH_ON;
        c->listing.watching = false;
        c->listing.after[0] = '\0';
    }
    c->ops->hang_up(c);
    c->move.hop_pending = true;
    /* A refusal comes fast: do not spin, and pause longer each time. A
     * relay gone silent is no refusal: its players rejoin at once. */
    bool silent = fresh && strcmp(code, RICOCHET_END_TIMEOUT) == 0;
    uint64_t pause = (uint64_t)REJOIN_PAUSE_US << (c->move.attempts < 3 ? c->move.attempts : 3);
    c->move.attempts++;
    c->move.hop_at_us = silent ? now : now + (pause < REJOIN_PAUSE_MAX_US ? pause
                                                                          : REJOIN_PAUSE_MAX_US);
    snprintf(c->move.hop_host, sizeof c->move.hop_host, "%s", e->host);
    c->move.hop_port = e->port;
    c->move.hop_epoch = 0;
    c->move.hops = 0;
    snprintf(c->move.hop_code, sizeof c->move.hop_code, "rejoin");
    return true;
}

/* A fleet's relay sends me to the one that holds my room: at most
 * CLIENT_HOPS_MAX times per join, never back to a relay of this join. The
 * hop itself happens at the next poll (this runs inside the transport). */
bool client_on_moved(struct ricochet *c, const struct proto_control *m)
{
    char to[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    netaddr_host_port(m->host, m->port, to, sizeof to);
    /* A join of any room: the relay picked one under my prefix, held there. */
    bool picked = c->any && c->phase != PHASE_JOINED &&
                  strncmp(m->room, c->room, strlen(c->room)) == 0;
    if ((!picked && strcmp(m->room, c->room) != 0) || c->phase == PHASE_DEAD)
        return false;
    /* transport tells plain UDP's edge from ENet's (and the other datagram
     * carriers', QUIC's and WebRTC's); a stream client (tcp, ws) is sent to
     * the holder's edge of its own kind, which the field does not name. */
    uint32_t datagram = (1u << PROTO_MODE_UDP) | (1u << PROTO_MODE_UNSEQUENCED);
    if ((c->caps.modes & datagram) &&
        !(c->caps.modes & (1u << (m->transport == PROTO_MODE_UDP ? PROTO_MODE_UDP
                                                                   : PROTO_MODE_UNSEQUENCED)))) {
        bool udp = m->transport == PROTO_MODE_UDP;
        snprintf(text, sizeof text, "its room lives at %s, a%s edge: connect there with %s", to,
                 udp ? " plain-UDP" : "n ENet", udp ? "the udp mode" : "an ENet mode");
        client_wrong_transport(c, udp ? "ENet" : "plain-UDP", text);
        return true;
    }
    netaddr_host_port(c->host, c->port, c->move.visited[c->move.hops], sizeof c->move.visited[0]);
    bool back = false;
    for (unsigned i = 0; i <= c->move.hops; i++)
        back |= strcmp(c->move.visited[i], to) == 0;
    if (back || c->move.hops >= CLIENT_HOPS_MAX) {
        snprintf(text, sizeof text, "%s %s after %s", back ? "sent back to" : "sent on to",
                 to, c->move.visited[0]);
        client_go_dead(c, RICOCHET_END_MOVED_TOO_FAR, text);
        return true;
    }
    if (picked) {
        snprintf(c->room, sizeof c->room, "%s", m->room);
        c->any = false;
    }
    c->move.hops++;
    c->move.report_lost = false; /* sent on to the room's holder as it stands */
    client_hold_start(c);
    client_hold_unforwarded(c, m->forwarded, m->seq);
    c->ops->hang_up(c);
    c->move.hop_pending = true;
    c->move.hop_at_us = 0;
    snprintf(c->move.hop_host, sizeof c->move.hop_host, "%s", m->host);
    c->move.hop_port = m->port;
    c->move.hop_epoch = m->epoch;
    c->move.hop_quiet = false;
    snprintf(c->move.hop_code, sizeof c->move.hop_code, "moved");
    return true;
}

void client_move_start(struct ricochet *c, const char *more)
{
    struct client_entry *e = &c->move.entries[0];
    snprintf(e->host, sizeof e->host, "%s", c->host);
    e->port = c->port;
    c->move.n_entries = 1;
    for (const char *p = more; p && *p && c->move.n_entries < CLIENT_ENTRIES_MAX;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char one[sizeof e->host + 8], err[8];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), p);
        e = &c->move.entries[c->move.n_entries];
        if (netaddr_split_endpoint(one, e->host, sizeof e->host, &e->port, err, sizeof err) == 0)
            c->move.n_entries++; /* checked by ricochet_config_add_relay */
        p = end ? end + 1 : p + len;
    }
}

void client_join_now(struct ricochet *c)
{
    if (c->listing.asked && client_send_listing(c) != 0) /* asked for while connecting */
        log_warn("client %s: could not ask for the rooms", c->name);
    if (c->listing.lobby) { /* ricochet_join sends the join */
        c->phase = PHASE_LOBBY;
        c->move.lost_us = 0; /* a lobby that rejoined watches again */
        return;
    }
    c->phase = PHASE_JOINING;
    client_send_join(c);
}

/* A lobby's join: the phase moves from PHASE_LOBBY here. */
int ricochet_join(struct ricochet *c, const char *room, bool any)
{
    if (!c || !room || !proto_room_valid(room))
        return RICOCHET_E_INVALID;
    if (!c->listing.lobby)
        return RICOCHET_E_UNSUPPORTED; /* not a lobby, or its join sent already */
    if (c->phase == PHASE_DEAD)
        return RICOCHET_E_SEND;
    snprintf(c->room, sizeof c->room, "%s", room);
    c->any = any;
    c->listing.lobby = false;
    if (c->phase != PHASE_LOBBY)
        return RICOCHET_OK; /* still connecting: the join goes once it is up */
    c->join_started_us = clock_now_us();
    client_join_now(c);
    return RICOCHET_OK;
}

void client_join_again(struct ricochet *c, uint64_t now)
{
    client_ticket_restart(c); /* a new join: a new nonce */
    client_end_clear_forget(c); /* ... and what came in clear is the last join's */
    client_away_note(c); /* the table is cleared at the next poll */
    c->phase = PHASE_JOINING;
    c->rejoin_pending = true;
    c->join_started_us = now;
    c->next_join_us = now;
}

void client_join_later(struct ricochet *c, uint64_t at_us)
{
    c->join_later_us = at_us;
}

void client_join_due(struct ricochet *c, uint64_t at_us)
{
    c->next_join_us = at_us;
}

void client_cookie_asked(struct ricochet *c, uint64_t now)
{
    c->cookie_wait_us = COOKIE_WAIT_US;
    c->next_join_us = now + c->cookie_wait_us;
}

void client_ask_cookie_again(struct ricochet *c, uint64_t now)
{
    if (c->cookie[0] || !c->cookie_wait_us || now < c->next_join_us ||
        (c->phase != PHASE_JOINING && c->phase != PHASE_LOBBY))
        return;
    if (c->phase == PHASE_LOBBY)
        (void)client_send_listing(c);
    else
        client_send_join(c);
    c->cookie_wait_us = COOKIE_AGAIN_US;
    c->next_join_us = now + c->cookie_wait_us;
}

void client_cookie_take(struct ricochet *c, const char cookie[PROTO_COOKIE_LEN + 1])
{
    memcpy(c->cookie, cookie, sizeof c->cookie);
}

void client_welcomed(struct ricochet *c, uint32_t id)
{
    c->id = id;
    c->phase = PHASE_JOINED;
    c->join_later_us = 0;
    c->move.was_joined = true;
    c->move.lost_us = 0;
    c->move.hops = 0;
    c->move.join_epoch = 0;
    c->move.report_lost = false;
    c->move.lost_relay[0] = '\0';
}

/* Goes to hop_host:hop_port: a fresh link, the join again (with the
 * moved's epoch), the room's members forgotten (a WELCOME lists them).
 * Fills *ev with the MOVED event and returns 1; 0 if the session died, or
 * for another attempt of the same rejoin (one MOVED a move). */
int client_hop(struct ricochet *c, struct ricochet_event *ev)
{
    char err[256];
    c->move.hop_pending = false;
    c->ops->close(c); /* the link is hung up already: nothing to wait for */
    snprintf(c->host, sizeof c->host, "%s", c->move.hop_host);
    c->port = c->move.hop_port;
    c->move.join_epoch = c->move.hop_epoch;
    c->phase = PHASE_CONNECTING;
    c->id = 0;
    client_members_settle(c); /* one that left is not away */
    client_away_note(c);
    client_members_clear(c); /* a pending removal too */
    c->rejoin_pending = c->ends.fail_after_event = false;
    c->ends.farewell_code[0] = c->cookie[0] = '\0';
    c->join_started_us = c->next_join_us = clock_now_us();
    client_clock_forget(c);
    client_ticket_restart(c); /* the next relay draws the next session's salt */
    client_end_clear_forget(c);
    struct client_config cfg = {.host = c->host, .port = c->port, .room = c->room,
                                .name = c->name, .mode = c->mode, .reflect = c->reflect,
                                .timeout_ms = c->timeout_ms, .hub = c->hub, .user = c->user,
                                .udp_hub = c->udp_hub};
    if (netaddr_resolve(c->host, c->port, &c->relay, err, sizeof err) != 0 ||
        c->ops->open(c, &cfg, err, sizeof err) != 0) {
        client_go_dead(c, RICOCHET_END_REFUSED, err);
        return 0;
    }
    if (c->move.hop_quiet) {
        log_debug("client %s: %s: trying %s:%u again", c->name, c->move.hop_code, c->host,
                  (unsigned)c->port);
        return 0;
    }
    memset(ev, 0, sizeof *ev);
    ev->type = RICOCHET_EV_MOVED;
    ev->recv_us = clock_now_us();
    snprintf(ev->code, sizeof ev->code, "%s", c->move.hop_code);
    netaddr_host_port(c->host, c->port, ev->text, sizeof ev->text);
    log_info("client %s: %s: %s %s at %s", c->name, c->move.hop_code,
             c->listing.lobby ? "watching from" : "joining", c->room, ev->text);
    return 1;
}
