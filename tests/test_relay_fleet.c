/* test_relay_fleet.c: the relay core's fleet hooks through a fake transport
 * and a fake clock (support/fake_relay.h): a join for a new room parked
 * with nothing kept, settled here, moved or refused; a parked peer that
 * leaves; joins the directory could not place, costing their source
 * nothing; a room moved whole; a room past its lease, its states checked
 * where they come in and where a tick fans them out; a closed room; each
 * member that leaves, dropped or not; a rooms request and a join of any
 * room asked of the directory (the list hook) and settled; a room made
 * again from the record the directory kept (its owner's, whoever joins
 * first; its members taken back though it is closed), and the rooms whose
 * members or record changed given out to be kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/player.h"
#include "proto/room_record.h"
#include "proto/wire.h"
#include "relay/core/fleet.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

/* What the hooks were asked and answer. */
static struct {
    enum relay_place answer;
    enum proto_error_code code;
    uint32_t asked, gone_peer, gone;
    uint64_t seen_epoch;
    char closed[64];
    uint32_t n_closed;
    uint32_t leased, lost;
    char lost_relay[80];
    char player[PROTO_PLAYER_LEN + 1]; /* the last join's reporter */
    uint64_t lease_until;
    uint32_t left, dropped, members; /* member_left: calls, of them dropped, the last's */
} hk;

static enum relay_place place(void *ctx, uint32_t peer, const char *room, uint64_t seen_epoch,
                              const char *lost, const char *player, struct relay_moved_to *to,
                              enum proto_error_code *code)
{
    (void)ctx;
    (void)peer;
    (void)room;
    snprintf(hk.player, sizeof hk.player, "%s", player);
    hk.lost += lost != NULL;
    snprintf(hk.lost_relay, sizeof hk.lost_relay, "%s", lost ? lost : "");
    hk.asked++;
    hk.seen_epoch = seen_epoch;
    strcpy(to->host, "10.0.0.2");
    to->port = 7002;
    to->transport = PROTO_MODE_UNSEQUENCED;
    to->epoch = 9;
    *code = hk.code;
    return hk.answer;
}

static uint64_t lease(void *ctx, const char *room, uint64_t now)
{
    (void)ctx;
    (void)room;
    hk.leased++;
    hk.lease_until = now + 9000000;
    return hk.lease_until;
}

static void room_closed(void *ctx, const char *room, bool dropped)
{
    (void)dropped;
    (void)ctx;
    strcpy(hk.closed, room);
    hk.n_closed++;
}

static void member_left(void *ctx, bool dropped, uint32_t members)
{
    (void)ctx;
    hk.left++;
    hk.dropped += dropped;
    hk.members = members;
}

static void peer_gone(void *ctx, uint32_t peer)
{
    (void)ctx;
    hk.gone_peer = peer;
    hk.gone++;
}

/* The player the was_member hook names. */
static char member_player[PROTO_PLAYER_LEN + 1];

static bool was_member(void *ctx, const char *room, const char *player)
{
    (void)ctx;
    (void)room;
    return strcmp(player, member_player) == 0;
}

static struct relay *fleet_relay(uint32_t peers, enum relay_place answer)
{
    memset(&hk, 0, sizeof hk);
    hk.answer = answer;
    struct relay *r = relay_with_peers(NULL, peers);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.place = place, .lease = lease,
                                                    .room_closed = room_closed,
                                                    .member_left = member_left,
                                                    .peer_gone = peer_gone,
                                                    .was_member = was_member});
    return r;
}

#define OWNER_KEY "0000000000000000000000000000000a"
#define MEMBER_KEY "0000000000000000000000000000000b"
#define STRANGER_KEY "0000000000000000000000000000000c"

static int keyed_join(struct relay *r, uint32_t peer, const char *room, const char *name,
                      const char *key, bool lost)
{
    char json[256];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":2,\"room\":\"%s\","
             "\"name\":\"%s\",\"key\":\"%s\"%s}", room, name, key,
             lost ? ",\"lost\":true,\"lost_relay\":\"10.0.0.3:7003\"" : "");
    return send_text(r, peer, json);
}

/* Did peer get a kept event (replayed) with key? Events go as controls do. */
static bool got_kept(uint32_t peer, const char *key)
{
    for (size_t i = 0; i < fk.n_ctl; i++) {
        struct proto_event e;
        const uint8_t *b = (const uint8_t *)fk.ctl[i].json;
        if (fk.ctl[i].peer == peer && proto_is_event(b, fk.ctl[i].len) &&
            proto_event_decode(b, fk.ctl[i].len, &e) == PROTO_OK &&
            (e.flags & PROTO_EVENT_KEPT) && e.key_len == strlen(key) &&
            memcmp(e.key, key, e.key_len) == 0)
            return true;
    }
    return false;
}

/* Was peer welcomed (read before any event went to it)? */
static bool welcomed(uint32_t peer)
{
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == peer && !proto_is_event((const uint8_t *)fk.ctl[i].json,
                                                      fk.ctl[i].len) &&
            ctl_at(i)->type == PROTO_CTL_WELCOME)
            return true;
    return false;
}

struct changed {
    char room[PROTO_ROOM_MAX + 1];
    uint32_t n;
    char members[4][PROTO_PLAYER_LEN + 1];
    char record[PROTO_ROOM_RECORD_MAX + 1]; /* "": none */
    int calls;
};

static void changed(void *ctx, const char *room, const char *members, uint32_t n,
                    const char *rec)
{
    struct changed *c = ctx;
    snprintf(c->room, sizeof c->room, "%s", room);
    c->n = n;
    for (uint32_t i = 0; i < n && i < 4; i++)
        snprintf(c->members[i], sizeof c->members[i], "%.*s", PROTO_PLAYER_LEN,
                 members + (size_t)i * PROTO_PLAYER_LEN);
    snprintf(c->record, sizeof c->record, "%s", rec ? rec : "");
    c->calls++;
}

/* A room made again from the record the directory kept (a fleet's, as
 * relay_fleet.c does on a placement) is found by its joins as it was: its
 * owner is the record's (a stranger is refused it, closed; its owner and a
 * member it had, the was_member hook's, are let in), its stay event is
 * replayed; what changes is given out to be kept (members, and the record
 * when it changed). A lost report carries its player. */
static void a_room_made_from_its_record_keeps_its_owner(void **state)
{
    (void)state;
    struct proto_room_record *rec = calloc(1, sizeof *rec);
    char owner[PROTO_PLAYER_LEN + 1], stranger[PROTO_PLAYER_LEN + 1], why[128];
    uint8_t ev[64];
    assert_non_null(rec);
    proto_player_of(OWNER_KEY, owner);
    proto_player_of(MEMBER_KEY, member_player);
    proto_player_of(STRANGER_KEY, stranger);
    proto_room_record_init(rec);
    assert_int_equal(proto_props_add(&rec->props, "props", "map", "dune", NULL, 0), 0);
    rec->size = 3;
    rec->open = false;
    memcpy(rec->owner, owner, sizeof rec->owner);
    int len = proto_event_encode_kept(ev, sizeof ev, "flag", true, "red", 3);
    assert_true(len > 0);
    proto_state_stamp_sender(ev, 1); /* as the relay stamped it: a record names who sent it */
    assert_int_equal(proto_room_record_add_kept(rec, owner, ev, (size_t)len, why, sizeof why),
                     0);

    struct relay *r = fleet_relay(4, RELAY_PLACE_HERE);
    assert_int_equal(relay_room_restore(r, "g", rec, now_us, why, sizeof why), 0);
    assert_int_equal(keyed_join(r, 0, "g", "mallory", STRANGER_KEY, true),
                     DROP(RELAY_DROP_ROOM_CLOSED));
    assert_int_equal(hk.asked, 0); /* the room is here: no placement */
    assert_int_equal(keyed_join(r, 1, "g", "alice", OWNER_KEY, false), 0);
    assert_true(welcomed(1));
    assert_true(got_kept(1, "flag"));
    assert_int_equal(keyed_join(r, 2, "g", "bob", MEMBER_KEY, false), 0); /* was in it */
    assert_true(welcomed(2));
    assert_int_equal(relay_room_size(r, "g"), 2);

    struct changed c = {0};
    relay_each_changed_room(r, changed, &c);
    assert_int_equal(c.calls, 1);
    assert_string_equal(c.room, "g");
    assert_int_equal(c.n, 2);
    assert_string_equal(c.members[0], owner);
    assert_string_equal(c.members[1], member_player);
    relay_each_changed_room(r, changed, &c);
    assert_int_equal(c.calls, 1); /* nothing changed since */
    assert_int_equal(send_text(r, 2, "{\"type\":\"room\",\"open\":true}"),
                     DROP(RELAY_DROP_NOT_ROOM_OWNER));
    assert_int_equal(send_text(r, 1, "{\"type\":\"room\",\"open\":true}"), 0);
    relay_each_changed_room(r, changed, &c);
    assert_int_equal(c.calls, 2);
    assert_int_equal(proto_room_record_decode(c.record, strlen(c.record), rec, why, sizeof why),
                     PROTO_OK);
    assert_true(rec->open);
    assert_string_equal(rec->owner, owner);
    assert_int_equal(rec->size, 3);
    assert_int_equal(rec->n_kept, 1);

    /* A report of a room not here goes to the fleet with its player. */
    assert_int_equal(keyed_join(r, 3, "h", "mallory", STRANGER_KEY, true), 0);
    assert_string_equal(hk.player, stranger);
    relay_destroy(r);
    free(rec);
}

static void a_parked_join_keeps_nothing_until_settled(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(3, RELAY_PLACE_WAIT);
    assert_int_equal(join(r, 0, "lobby", "alice", false), 0);
    assert_int_equal(hk.asked, 1);
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_members(r), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_WELCOME), 0);
    assert_int_equal(join(r, 0, "lobby", "alice", false), 0); /* a retry: still parked */
    assert_int_equal(hk.asked, 1);
    assert_int_equal(relay_stats(r)->parked, 1);
    /* The directory says here: the join goes on as it came. */
    hk.answer = RELAY_PLACE_HERE;
    relay_join_settle(r, 0, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_string_equal(w->room, "lobby");
    assert_int_equal(relay_room_size(r, "lobby"), 1);
    /* The room exists now: the next join does not ask. */
    assert_int_equal(join(r, 1, "lobby", "bob", false), 0);
    assert_int_equal(hk.asked, 2); /* the settlement's own join asked once more */
    assert_int_equal(relay_room_size(r, "lobby"), 2);
    /* not parked */
    relay_join_settle(r, 1, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us);
    assert_int_equal(relay_room_size(r, "lobby"), 2);
    relay_destroy(r);
}

static void moved_and_refused_joins_are_closed(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(3, RELAY_PLACE_MOVED);
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"arena\","
                                     "\"name\":\"a\",\"epoch\":5}"),
                     0);
    assert_int_equal(hk.seen_epoch, 5);
    assert_int_equal(hk.lost, 0);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_MOVED);
    assert_non_null(m);
    assert_string_equal(m->room, "arena");
    assert_string_equal(m->host, "10.0.0.2");
    assert_int_equal(m->port, 7002);
    assert_int_equal(m->epoch, 9);
    assert_true(disconnected(0));
    assert_string_equal(disconnect_why(0), "moved");
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_stats(r)->moved, 1);

    hk.answer = RELAY_PLACE_REFUSED;
    hk.code = PROTO_ERROR_DIRECTORY_UNAVAILABLE;
    assert_int_equal(join(r, 1, "arena", "b", false), DROP(RELAY_DROP_UNPLACED));
    assert_string_equal(last_error(1), "directory_unavailable");
    assert_string_equal(disconnect_why(1), "directory_unavailable");
    /* A parked join the directory refuses later. */
    hk.answer = RELAY_PLACE_WAIT;
    join(r, 2, "arena", "c", false);
    relay_join_settle(r, 2, RELAY_PLACE_REFUSED, NULL, PROTO_ERROR_SERVER_FULL, NULL, now_us);
    assert_string_equal(last_error(2), "server_full");
    assert_true(disconnected(2));
    assert_int_equal(drops(r, RELAY_DROP_UNPLACED), 2);
    assert_int_equal(relay_clients(r), 0);
    /* A rejoin's report that it lost the room's relay reaches the fleet. */
    connect_peer(r, 0);
    send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"arena\",\"name\":\"a\","
                    "\"lost\":true}");
    assert_int_equal(hk.lost, 1);
    assert_string_equal(hk.lost_relay, ""); /* an older client names none */
    connect_peer(r, 1); /* ... a newer one names the relay it lost */
    send_text(r, 1, "{\"type\":\"join\",\"version\":2,\"room\":\"arena\",\"name\":\"b\","
                    "\"lost\":true,\"lost_relay\":\"10.0.0.3:7003\"}");
    assert_int_equal(hk.lost, 2);
    assert_string_equal(hk.lost_relay, "10.0.0.3:7003");
    relay_destroy(r);
}

/* Players behind one address rejoining all through a directory's
 * outage: a join the fleet refuses directory_unavailable costs their
 * source no join and tries no key (past both bursts here), so once the
 * directory answers they get in, neither rate_limited nor key_guesses. */
static void joins_the_directory_could_not_place_cost_nothing(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(1, RELAY_PLACE_REFUSED);
    hk.code = PROTO_ERROR_DIRECTORY_UNAVAILABLE;
    for (int i = 0; i < 512; i++) { /* twice a source's burst of joins (its keys': 128) */
        fake_clear();
        connect_peer(r, 0);
        assert_int_equal(keyed_join(r, 0, "arena", "a", OWNER_KEY, true),
                         DROP(RELAY_DROP_UNPLACED));
    }
    hk.answer = RELAY_PLACE_HERE;
    connect_peer(r, 0);
    assert_int_equal(keyed_join(r, 0, "arena", "a", OWNER_KEY, true), 0);
    assert_true(welcomed(0));
    assert_int_equal(drops(r, RELAY_DROP_RATE_LIMITED) + drops(r, RELAY_DROP_KEY_GUESSES), 0);
    relay_destroy(r);
}

static void a_parked_peer_that_leaves_is_forgotten(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(3, RELAY_PLACE_WAIT);
    join(r, 2, "lobby", "c", false);
    relay_peer_gone(r, 2, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(hk.gone, 1);
    assert_int_equal(hk.gone_peer, 2);
    relay_join_settle(r, 2, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us); /* gone */
    assert_int_equal(relay_rooms(r), 0);
    relay_peer_gone(r, 2, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(hk.gone, 1);
    relay_destroy(r);
}

static void a_room_moves_whole_and_a_closed_room_is_told(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(4, RELAY_PLACE_HERE);
    join(r, 0, "lobby", "a", false);
    join(r, 1, "lobby", "b", false);
    join(r, 2, "other", "c", false);
    fake_clear();
    struct relay_moved_to to = {.host = "10.0.0.3", .port = 7003,
                                .transport = PROTO_MODE_UDP, .epoch = 12};
    assert_int_equal(relay_room_move(r, "lobby", &to, now_us), 2);
    for (uint32_t p = 0; p < 2; p++) {
        const struct proto_control *m = last_ctl(p, PROTO_CTL_MOVED);
        assert_non_null(m);
        assert_int_equal(m->port, 7003);
        assert_int_equal(m->transport, PROTO_MODE_UDP);
        assert_string_equal(disconnect_why(p), "moved");
        assert_int_equal(count_ctl(p, PROTO_CTL_LEFT), 0);
    }
    assert_int_equal(relay_rooms(r), 1);
    assert_int_equal(relay_members(r), 1);
    assert_int_equal(hk.n_closed, 0); /* moved, not closed */
    /* Nowhere to go: shutting_down. */
    assert_int_equal(relay_room_move(r, "other", NULL, now_us), 1);
    assert_string_equal(last_error(2), "shutting_down");
    assert_int_equal(relay_room_move(r, "nope", &to, now_us), 0);
    /* A room that empties the ordinary way is reported closed. */
    join(r, 3, "solo", "d", false);
    relay_peer_gone(r, 3, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(hk.n_closed, 1);
    assert_string_equal(hk.closed, "solo");
    relay_destroy(r);
}

/* Each member that leaves is told as it goes, dropped or not, with the
 * members left; one moved with its room or taking its own place back is
 * no leave. */
static void each_member_left_is_told(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(4, RELAY_PLACE_HERE);
    join(r, 0, "lobby", "a", false);
    join(r, 1, "lobby", "b", false);
    join(r, 2, "lobby", "c", false);
    join(r, 3, "other", "d", false);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(hk.left, 1);
    assert_int_equal(hk.dropped, 0);
    assert_int_equal(hk.members, 3);
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    relay_peer_evict(r, 2, PROTO_ERROR_SLOW_READER, "reads nothing", now_us);
    assert_int_equal(hk.left, 3);
    assert_int_equal(hk.dropped, 2);
    assert_int_equal(hk.members, 1);
    assert_int_equal(relay_room_move(r, "other", NULL, now_us), 1);
    assert_int_equal(hk.left, 3); /* moved, not left */
    relay_destroy(r);
}

static void a_room_past_its_lease_drops_its_states(void **state)
{
    (void)state;
    struct relay *r = fleet_relay(3, RELAY_PLACE_HERE);
    join(r, 0, "lobby", "a", false);
    join(r, 1, "lobby", "b", false);
    assert_int_equal(hk.leased, 1); /* asked when the room was created */
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(states_to(1), 1);
    now_us = hk.lease_until; /* the lease the hook gave ran out */
    assert_int_equal(send_state(r, 0, 0, 2), DROP(RELAY_DROP_UNCONFIRMED));
    assert_int_equal(states_to(1), 1);
    relay_room_lease(r, "lobby", now_us + 1000);
    assert_int_equal(send_state(r, 0, 0, 3), 0);
    assert_int_equal(states_to(1), 2);
    relay_room_lease(r, "lobby", 0);
    assert_int_equal(send_state(r, 0, 0, 4), DROP(RELAY_DROP_UNCONFIRMED));
    assert_int_equal(drops(r, RELAY_DROP_UNCONFIRMED), 2);
    relay_destroy(r);
}

/* A state held for its tick leaves only if the lease still holds when the
 * tick ends: the lease is checked where states are fanned out. */
static void a_held_state_is_checked_when_its_tick_ends(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.tick_us = 20000;
    memset(&hk, 0, sizeof hk);
    hk.answer = RELAY_PLACE_HERE;
    struct relay *r = relay_with_peers(&cfg, 3);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.place = place, .lease = lease});
    join(r, 0, "lobby", "a", false);
    join(r, 1, "lobby", "b", false);
    relay_room_lease(r, "lobby", now_us + 5000);
    assert_int_equal(send_state(r, 0, 0, 1), 0); /* within the lease: held for the tick */
    assert_int_equal(states_to(1), 0);
    now_us += 30000; /* the tick ends after the lease */
    relay_tick(r, now_us);
    assert_int_equal(states_to(1), 0);
    assert_int_equal(drops(r, RELAY_DROP_UNCONFIRMED), 1);
    relay_room_lease(r, "lobby", now_us + 100000);
    assert_int_equal(send_state(r, 0, 0, 2), 0);
    now_us += 30000;
    relay_tick(r, now_us);
    assert_int_equal(states_to(1), 1);
    relay_destroy(r);
}

/* What the list hook was asked. */
static struct {
    uint32_t calls, peer, ask;
    bool any, refuse;
    char prefix[PROTO_ROOM_MAX + 1], after[PROTO_ROOM_MAX + 1];
    struct proto_props match;
} lh;

static bool list(void *ctx, uint32_t peer, uint32_t ask, bool any, const char *prefix,
                 const char *after, const struct proto_props *match)
{
    (void)ctx;
    lh.calls++;
    lh.peer = peer;
    lh.ask = ask;
    lh.any = any;
    snprintf(lh.prefix, sizeof lh.prefix, "%s", prefix);
    snprintf(lh.after, sizeof lh.after, "%s", after);
    lh.match = *match;
    return !lh.refuse;
}

/* A fleet's relay whose directory keeps the rooms (the list hook). */
static struct relay *listing_relay(uint32_t peers)
{
    memset(&hk, 0, sizeof hk);
    memset(&lh, 0, sizeof lh);
    hk.answer = RELAY_PLACE_HERE;
    struct relay *r = relay_with_peers(NULL, peers);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.place = place, .lease = lease,
                                                    .room_closed = room_closed,
                                                    .member_left = member_left,
                                                    .peer_gone = peer_gone, .list = list});
    return r;
}

/* A rooms request is asked of the directory and answered when it is: its
 * page with this relay's own rooms merged in (members now); another from
 * the same peer before that is refused rate_limited; an answer to another
 * ask, or a second one, is ignored; unanswered, the relay's own rooms,
 * partial. */
static void a_rooms_request_waits_for_the_directory(void **state)
{
    (void)state;
    struct relay *r = listing_relay(3);
    assert_int_equal(join(r, 0, "mine", "alice", false), 0); /* placed here */
    size_t before = count_ctl(1, PROTO_CTL_ROOMS);
    send_text(r, 1, "{\"type\":\"rooms\",\"prefix\":\"\",\"after\":\"a\"}");
    assert_int_equal(lh.calls, 1);
    assert_false(lh.any);
    assert_string_equal(lh.after, "a");
    assert_int_equal(count_ctl(1, PROTO_CTL_ROOMS), before);
    send_text(r, 1, "{\"type\":\"rooms\"}");
    assert_int_equal(lh.calls, 1);
    assert_string_equal(last_error(1), "rate_limited");

    struct proto_room_entry page[2] = {{.room = "b-there", .members = 2, .capacity = 4},
                                       {.room = "z-there", .members = 1, .capacity = 4}};
    struct proto_props props[2] = {0};
    struct relay_rooms_answer a = {.prefix = "", .after = "a", .match = &lh.match,
                                   .answered = true, .rooms = page, .props = props, .n = 2};
    relay_rooms_settle(r, 1, lh.ask + 1, &a, now_us); /* another ask's */
    assert_int_equal(count_ctl(1, PROTO_CTL_ROOMS), before);
    relay_rooms_settle(r, 1, lh.ask, &a, now_us);
    const struct proto_control *l = last_ctl(1, PROTO_CTL_ROOMS);
    assert_non_null(l);
    assert_int_equal(l->rooms_len, 3);
    assert_string_equal(l->rooms[0].room, "b-there");
    assert_string_equal(l->rooms[1].room, "mine");
    assert_int_equal(l->rooms[1].members, 1);
    assert_string_equal(l->rooms[2].room, "z-there");
    assert_false(l->more);
    assert_false(l->partial);
    relay_rooms_settle(r, 1, lh.ask, &a, now_us); /* answered already */
    assert_int_equal(count_ctl(1, PROTO_CTL_ROOMS), before + 1);

    send_text(r, 1, "{\"type\":\"rooms\"}");
    assert_int_equal(lh.calls, 2);
    relay_rooms_settle(r, 1, lh.ask, &(struct relay_rooms_answer){.prefix = "", .after = ""},
                       now_us);
    l = last_ctl(1, PROTO_CTL_ROOMS);
    assert_int_equal(l->rooms_len, 1);
    assert_string_equal(l->rooms[0].room, "mine");
    assert_true(l->partial);

    lh.refuse = true; /* cannot be asked: its own rooms at once */
    send_text(r, 2, "{\"type\":\"rooms\"}");
    assert_true(last_ctl(2, PROTO_CTL_ROOMS)->partial);
    relay_destroy(r);
}

/* A join of any room is parked while the directory picks: the fuller of
 * its pick and this relay's own fullest room with space, else its free
 * name; unanswered, directory_unavailable. */
static void a_join_of_any_room_waits_for_the_directory(void **state)
{
    (void)state;
    struct relay *r = listing_relay(4);
    assert_int_equal(join(r, 0, "game1", "alice", false), 0); /* here: 1 member */
    const char *any = "{\"type\":\"join\",\"version\":3,\"room\":\"game\",\"name\":\"%s\","
                      "\"any\":true}";
    char text[160];
    snprintf(text, sizeof text, any, "bob");
    send_text(r, 1, text);
    assert_int_equal(lh.calls, 1);
    assert_true(lh.any);
    assert_string_equal(lh.prefix, "game");
    assert_true(relay_peer_parked(r, 1));
    /* not its */
    relay_join_settle(r, 1, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us);
    assert_true(relay_peer_parked(r, 1));
    /* The directory's pick has fewer members than this relay's game1. */
    struct proto_room_entry there = {.room = "game0", .members = 0, .capacity = 4};
    relay_any_settle(r, 1, lh.ask, &(struct relay_any_answer){.answered = true, .pick = &there,
                                                              .free = ""},
                     &lh.match, now_us);
    assert_string_equal(last_ctl(1, PROTO_CTL_WELCOME)->room, "game1");
    assert_int_equal(relay_room_size(r, "game1"), 2);

    snprintf(text, sizeof text, any, "carol");
    send_text(r, 2, text);
    there = (struct proto_room_entry){.room = "game7", .members = 3, .capacity = 4};
    relay_any_settle(r, 2, lh.ask, &(struct relay_any_answer){.answered = true, .pick = &there,
                                                              .free = ""},
                     &lh.match, now_us);
    assert_int_equal(hk.asked, 2); /* game1's placement, game7's: placed (here, this test) */
    assert_string_equal(last_ctl(2, PROTO_CTL_WELCOME)->room, "game7");

    snprintf(text, sizeof text, any, "dave");
    send_text(r, 3, text);
    relay_any_settle(r, 3, lh.ask, &(struct relay_any_answer){.free = ""}, &lh.match, now_us);
    assert_string_equal(last_error(3), "directory_unavailable");
    assert_true(disconnected(3));
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_parked_join_keeps_nothing_until_settled),
        cmocka_unit_test(moved_and_refused_joins_are_closed),
        cmocka_unit_test(a_parked_peer_that_leaves_is_forgotten),
        cmocka_unit_test(joins_the_directory_could_not_place_cost_nothing),
        cmocka_unit_test(a_room_moves_whole_and_a_closed_room_is_told),
        cmocka_unit_test(each_member_left_is_told),
        cmocka_unit_test(a_room_past_its_lease_drops_its_states),
        cmocka_unit_test(a_held_state_is_checked_when_its_tick_ends),
        cmocka_unit_test(a_rooms_request_waits_for_the_directory),
        cmocka_unit_test(a_join_of_any_room_waits_for_the_directory),
        cmocka_unit_test(a_room_made_from_its_record_keeps_its_owner),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
