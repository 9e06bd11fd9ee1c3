/* test_relay_rooms.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): rooms and membership: ids and welcomes, leave and timeout
 * notices, full rooms, max rooms, a full server, bad names, repeated joins; rooms
 * listed (by prefix, in pages, within a datagram, off, within the byte budget) and a
 * join of any room with space; in a fleet both asked of its directory, whose page
 * comes back with this relay's rooms merged in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "relay/core/fleet.h"
#include "sys/log.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

/* ---- rooms and membership --------------------------------------------- */

static void join_assigns_ids_and_welcomes(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    assert_int_equal(join(r, 0, "lobby", "alice", false), 0);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->id, 1);
    assert_string_equal(w->room, "lobby");
    assert_int_equal(w->roster_len, 0);

    assert_int_equal(join(r, 1, "lobby", "bob", false), 0);
    w = last_ctl(1, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->id, 2);
    assert_int_equal(w->roster_len, 1); /* the others, not me */
    assert_int_equal(w->roster[0].id, 1);
    assert_string_equal(w->roster[0].name, "alice");
    assert_false(w->roster[0].has_state);

    const struct proto_control *j = last_ctl(0, PROTO_CTL_JOINED);
    assert_non_null(j);
    assert_int_equal(j->id, 2);
    assert_string_equal(j->name, "bob");
    assert_int_equal(count_ctl(1, PROTO_CTL_JOINED), 0); /* not about myself */

    assert_int_equal(relay_clients(r), 2);
    assert_int_equal(relay_members(r), 2);
    assert_int_equal(relay_rooms(r), 1);
    assert_int_equal(relay_room_size(r, "lobby"), 2);
    assert_int_equal(relay_peer_id(r, 1), 2);
    assert_int_equal(relay_stats(r)->joins, 2);
    relay_destroy(r);
}

static void leave_notices_and_empty_room_reclaimed(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    join(r, 2, "lobby", "c", false);

    /* Explicit leave (plain UDP style): quit, the peer stays connected. */
    assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
    assert_string_equal(expect_left(0, 3, PROTO_LEFT_QUIT)->name, "c");
    assert_true(relay_peer_connected(r, 2));
    assert_false(relay_peer_joined(r, 2));

    /* Disconnect: quit notice. */
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    expect_left(0, 2, PROTO_LEFT_QUIT);
    assert_int_equal(relay_room_size(r, "lobby"), 1);

    /* Last member leaves: the room is freed. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_room_size(r, "lobby"), 0);
    assert_int_equal(relay_members(r), 0);
    assert_int_equal(relay_clients(r), 1);
    assert_int_equal(relay_stats(r)->leaves, 3);

    /* Ids are never reused; the room comes back on the next join. */
    connect_peer(r, 0);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(relay_peer_id(r, 0), 4);
    assert_int_equal(relay_rooms(r), 1);

    /* A second gone for the same peer is ignored. */
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    assert_int_equal(relay_stats(r)->timeouts, 0);
    relay_destroy(r);
}

static void timeout_notice(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    expect_left(0, 2, PROTO_LEFT_TIMEOUT);
    assert_int_equal(relay_stats(r)->timeouts, 1);
    assert_int_equal(relay_stats(r)->leaves, 0);
    relay_destroy(r);
}

static void room_full(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_room_size = 2;
    struct relay *r = relay_with_peers(&cfg, 3);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    assert_int_equal(join(r, 2, "lobby", "c", false), DROP(RELAY_DROP_ROOM_FULL));
    assert_string_equal(last_error(2), "room_full");
    assert_false(relay_peer_joined(r, 2));
    assert_int_equal(drops(r, RELAY_DROP_ROOM_FULL), 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1); /* only b's */
    /* Another room is fine. */
    assert_int_equal(join(r, 2, "other", "c", false), 0);
    relay_destroy(r);
}

static void max_rooms(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_rooms = 1;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(join(r, 0, "a", "x", false), 0);
    assert_int_equal(join(r, 1, "b", "y", false), DROP(RELAY_DROP_TOO_MANY_ROOMS));
    assert_string_equal(last_error(1), "too_many_rooms");
    assert_int_equal(relay_rooms(r), 1);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(join(r, 1, "b", "y", false), 0); /* room a was reclaimed */
    relay_destroy(r);
}

static void server_full(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_clients = 2;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(connect_at(r, 2, "127.0.0.1:9"), -1);
    assert_string_equal(last_error(2), "server_full");
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "server_full"); /* ENet disconnect data */
    assert_false(relay_peer_connected(r, 2));
    assert_int_equal(drops(r, RELAY_DROP_SERVER_FULL), 1);
    /* Datagrams from the refused peer are dropped as closed. */
    assert_int_equal(send_state(r, 2, 0, 1), DROP(RELAY_DROP_CLOSED));
    /* Out-of-range handles are refused without a word. */
    assert_int_equal(relay_peer_connect(r, 8, NULL, now_us), -1);
    assert_int_equal(relay_on_datagram(r, 1000, 0, 0, (uint8_t *)"{}", 2, now_us),
                     DROP(RELAY_DROP_CLOSED));
    /* A slot frees up: the next one gets in. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    connect_peer(r, 2);
    relay_destroy(r);
}

static void bad_names_and_rooms(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.name_max = 5;
    cfg.room_max = 4;
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(join(r, 0, "lobby", "al", false), DROP(RELAY_DROP_BAD_ROOM));
    assert_string_equal(last_error(0), "bad_room");
    assert_int_equal(join(r, 0, "lob", "alice6", false), DROP(RELAY_DROP_BAD_NAME));
    assert_string_equal(last_error(0), "bad_name");
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"lob\",\"name\":\"a\\u001bb\"}"),
                     DROP(RELAY_DROP_BAD_NAME));
    assert_string_equal(last_error(0), "bad_name");
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"l/b\",\"name\":\"ab\"}"),
                     DROP(RELAY_DROP_BAD_ROOM));
    assert_int_equal(join(r, 0, "lob", "alice", false), 0);
    assert_int_equal(drops(r, RELAY_DROP_BAD_NAME), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_ROOM), 2);
    relay_destroy(r);
}

static void repeated_join_same_welcome_other_room_refused(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 1, "lobby", "b", false);
    join(r, 0, "lobby", "a", false);
    size_t joined_before = count_ctl(1, PROTO_CTL_JOINED);
    /* ENet proved the address: no 250 ms limit as over plain UDP. */
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_WELCOME), 2);
    assert_int_equal(last_ctl(0, PROTO_CTL_WELCOME)->id, 2);
    assert_int_equal(count_ctl(1, PROTO_CTL_JOINED), joined_before); /* no new notice */
    assert_int_equal(relay_stats(r)->joins, 2);

    assert_int_equal(join(r, 0, "elsewhere", "a", false), DROP(RELAY_DROP_ALREADY_JOINED));
    assert_string_equal(last_error(0), "already_joined");
    assert_int_equal(relay_peer_id(r, 0), 2);
    relay_destroy(r);
}

/* ---- rooms to list, and a join of any room with space ------------------ */

/* peer's rooms request (json), answered: its listing, decoded into dec. */
static const struct proto_control *listing(struct relay *r, uint32_t peer, const char *json)
{
    size_t before = count_ctl(peer, PROTO_CTL_ROOMS);
    assert_int_equal(send_text(r, peer, json), 0);
    assert_int_equal(count_ctl(peer, PROTO_CTL_ROOMS), before + 1);
    const struct proto_control *l = last_ctl(peer, PROTO_CTL_ROOMS);
    assert_true(l->listing);
    return l;
}

static void rooms_listed_in_name_order_by_prefix_and_page(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.max_room_size = 3;
    struct relay *r = relay_with_peers(&cfg, 6);
    assert_int_equal(join(r, 0, "match-b", "a", false), 0);
    assert_int_equal(join(r, 1, "match-a", "b", false), 0);
    assert_int_equal(join(r, 2, "match-a", "c", false), 0);
    assert_int_equal(join(r, 3, "lobby", "d", false), 0);
    assert_int_equal(join(r, 4, "match-c", "e", false), 0);
    /* peer 5 is connected, not a member: over an edge that proved its
     * address it may list (a lobby lists before it joins) */
    const struct proto_control *l = listing(r, 5, "{\"type\":\"rooms\"}");
    assert_int_equal(l->rooms_len, 4);
    assert_false(l->more);
    assert_string_equal(l->rooms[0].room, "lobby");
    assert_string_equal(l->rooms[1].room, "match-a");
    assert_int_equal(l->rooms[1].members, 2);
    assert_int_equal(l->rooms[1].capacity, 3);
    assert_string_equal(l->rooms[3].room, "match-c");

    l = listing(r, 5, "{\"type\":\"rooms\",\"prefix\":\"match-\"}");
    assert_string_equal(l->prefix, "match-");
    assert_int_equal(l->rooms_len, 3);
    assert_string_equal(l->rooms[0].room, "match-a");
    /* after: the next page starts past the last name seen */
    l = listing(r, 5, "{\"type\":\"rooms\",\"prefix\":\"match-\",\"after\":\"match-a\"}");
    assert_int_equal(l->rooms_len, 2);
    assert_string_equal(l->rooms[0].room, "match-b");
    l = listing(r, 5, "{\"type\":\"rooms\",\"prefix\":\"zzz\"}");
    assert_int_equal(l->rooms_len, 0);
    assert_false(l->more);
    /* a room emptied is gone from the list; the order holds */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    l = listing(r, 5, "{\"type\":\"rooms\",\"prefix\":\"match-\"}");
    assert_int_equal(l->rooms_len, 2);
    assert_string_equal(l->rooms[1].room, "match-c");
    assert_int_equal(relay_stats(r)->listings, 5);
    assert_int_equal(relay_stats(r)->listings_refused, 0);
    /* bad input: a prefix that is no name's, a listing sent to the relay */
    assert_int_equal(send_text(r, 5, "{\"type\":\"rooms\",\"prefix\":\"a b\"}"),
                     DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(send_text(r, 5, "{\"type\":\"rooms\",\"rooms\":[],\"more\":false}"),
                     DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(relay_stats(r)->listings_refused, 1);
    relay_destroy(r);
}

static void a_long_listing_comes_in_pages(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.peer_cap = 80;
    cfg.max_clients = 80;
    struct relay *r = relay_with_peers(&cfg, PROTO_ROOMS_PAGE + 6);
    char room[PROTO_ROOM_MAX + 1], json[128];
    for (uint32_t i = 0; i < PROTO_ROOMS_PAGE + 6; i++) {
        snprintf(room, sizeof room, "r%03u", (unsigned)i);
        assert_int_equal(join(r, i, room, "p", false), 0);
    }
    const struct proto_control *l = listing(r, 0, "{\"type\":\"rooms\"}");
    assert_int_equal(l->rooms_len, PROTO_ROOMS_PAGE);
    assert_true(l->more);
    snprintf(json, sizeof json, "{\"type\":\"rooms\",\"after\":\"%s\"}",
             l->rooms[PROTO_ROOMS_PAGE - 1].room);
    l = listing(r, 0, json);
    assert_int_equal(l->rooms_len, 6);
    assert_false(l->more);
    assert_string_equal(l->rooms[0].room, "r064");
    relay_destroy(r);
}

/* Over plain UDP (a source anyone can forge) only a member lists, and
 * its page fits one datagram: cut short, with more. */
static void over_plain_udp_members_list_within_a_datagram(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 30);
    char room[PROTO_ROOM_MAX + 1];
    assert_int_equal(send_text(r, 29, "{\"type\":\"rooms\"}"), DROP(RELAY_DROP_NOT_JOINED));
    assert_string_equal(last_error(29), "not_joined");
    assert_int_equal(relay_stats(r)->listings_refused, 1);
    for (uint32_t i = 0; i < 29; i++) {
        snprintf(room, sizeof room, "%031u", (unsigned)i); /* 31 bytes: long entries */
        assert_int_equal(join(r, i, room, "p", false), 0);
    }
    const struct proto_control *l = listing(r, 0, "{\"type\":\"rooms\"}");
    assert_true(l->more);
    assert_true(l->rooms_len >= 10 && l->rooms_len < 29);
    for (size_t i = 0; i < fk.n_ctl; i++)
        assert_true(fk.ctl[i].len <= RELAY_DATAGRAM_MAX);
    relay_destroy(r);
}

static void listing_off_refuses_lists_and_any(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.room_list = RELAY_ROOM_LIST_OFF;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(send_text(r, 0, "{\"type\":\"rooms\"}"), DROP(RELAY_DROP_LISTING_OFF));
    assert_string_equal(last_error(0), "listing_off");
    assert_int_equal(send_text(r, 1, "{\"type\":\"join\",\"version\":3,\"room\":\"lob\","
                                     "\"name\":\"b\",\"any\":true}"),
                     DROP(RELAY_DROP_LISTING_OFF));
    assert_string_equal(last_error(1), "listing_off");
    assert_false(relay_peer_joined(r, 1));
    assert_int_equal(drops(r, RELAY_DROP_LISTING_OFF), 2);
    assert_int_equal(relay_stats(r)->listings_refused, 1);
    assert_int_equal(relay_stats(r)->listings, 0);
    relay_destroy(r);
}

/* A listing's bytes come out of the asker's byte budget: asking again and
 * again is refused as rate_limited, as a flood of chat would be. */
static void listings_spend_the_byte_budget(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.byte_limit = 1000;
    cfg.byte_burst = 2000;
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    int answered = 0, rc = 0;
    while (answered < 100 && (rc = send_text(r, 0, "{\"type\":\"rooms\"}")) == 0)
        answered++;
    assert_int_equal(rc, DROP(RELAY_DROP_RATE_LIMITED));
    assert_true(answered > 10 && answered < 100); /* ~50 bytes each, 2000 at once */
    assert_int_equal(relay_stats(r)->listings, (uint64_t)answered);
    assert_int_equal(relay_stats(r)->listings_refused, 1);
    now_us += 3000000; /* the budget refills */
    assert_int_equal(send_text(r, 0, "{\"type\":\"rooms\"}"), 0);
    relay_destroy(r);
}

/* join_any: peer joins any room under prefix as name. */
static int join_any(struct relay *r, uint32_t peer, const char *prefix, const char *name)
{
    char json[160];
    snprintf(json, sizeof json,
             "{\"type\":\"join\",\"version\":3,\"room\":\"%s\",\"name\":\"%s\",\"any\":true}",
             prefix, name);
    return send_text(r, peer, json);
}

static void any_room_takes_the_fullest_with_space_or_a_new_one(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.max_room_size = 2;
    struct relay *r = relay_with_peers(&cfg, 8);
    /* none under the prefix: a new room, the prefix and 1 */
    assert_int_equal(join_any(r, 0, "duel-", "a"), 0);
    assert_string_equal(last_ctl(0, PROTO_CTL_WELCOME)->room, "duel-1");
    /* the room with space: filled */
    assert_int_equal(join_any(r, 1, "duel-", "b"), 0);
    assert_string_equal(last_ctl(1, PROTO_CTL_WELCOME)->room, "duel-1");
    /* full: the next number */
    assert_int_equal(join_any(r, 2, "duel-", "c"), 0);
    assert_string_equal(last_ctl(2, PROTO_CTL_WELCOME)->room, "duel-2");
    /* a room by its name under the prefix counts too; of two with space,
     * the fuller; of rooms alike, the first by name */
    assert_int_equal(join(r, 3, "duel-x", "d", false), 0);
    assert_int_equal(join(r, 4, "duel-0", "e", false), 0);
    assert_int_equal(join_any(r, 5, "duel-", "f"), 0);
    assert_string_equal(last_ctl(5, PROTO_CTL_WELCOME)->room, "duel-0");
    /* a repeat of the same join from a member of a room under the prefix
     * is its welcome again, another prefix is another room */
    assert_int_equal(join_any(r, 5, "duel-", "f"), 0);
    assert_int_equal(count_ctl(5, PROTO_CTL_WELCOME), 2);
    assert_int_equal(join_any(r, 5, "solo-", "f"), DROP(RELAY_DROP_ALREADY_JOINED));
    /* duel-2 left empty, then duel-1 emptied: the smallest free number */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(join_any(r, 6, "duel-", "g"), 0);
    assert_string_equal(last_ctl(6, PROTO_CTL_WELCOME)->room, "duel-2");
    assert_int_equal(join_any(r, 7, "duel-", "h"), 0);
    assert_string_equal(last_ctl(7, PROTO_CTL_WELCOME)->room, "duel-x");
    relay_destroy(r);
}

/* The last ask of a fleet's directory (the list hook's). */
static struct {
    uint32_t peer, ask, n;
    bool any;
    char prefix[PROTO_ROOM_MAX + 1];
} asked;

static bool list_hook(void *ctx, uint32_t peer, uint32_t ask, bool any, const char *prefix,
                      const char *after, const struct proto_props *match)
{
    (void)ctx, (void)after, (void)match;
    asked.peer = peer;
    asked.ask = ask;
    asked.any = any;
    asked.n++;
    snprintf(asked.prefix, sizeof asked.prefix, "%s", prefix);
    return true;
}

/* In a fleet a rooms request is asked of the directory, whose page comes
 * back (relay_rooms_settle) with this relay's rooms merged in as they are
 * now, in one name order, this relay's counting where a name is in both;
 * unanswered, this relay's alone, partial. A join of any room is asked of
 * it too, and takes its pick (relay_any_settle). */
static void a_fleets_directory_page_merged_with_ours(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.max_room_size = 4;
    struct relay *r = relay_with_peers(&cfg, 3);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.list = list_hook});
    static const struct proto_room_entry there[] = {
        {"duel-0", 3, 4}, {"duel-2", 4, 4}, {"duel-3", 1, 4},
    };
    static const struct proto_props props[3];
    memset(&asked, 0, sizeof asked);
    assert_int_equal(join(r, 0, "duel-2", "a", false), 0); /* here too: ours counts */
    assert_int_equal(join(r, 1, "duel-1", "b", false), 0);
    assert_int_equal(send_text(r, 2, "{\"type\":\"rooms\",\"prefix\":\"duel-\"}"), 0);
    assert_int_equal(count_ctl(2, PROTO_CTL_ROOMS), 0); /* until the directory answers */
    assert_int_equal(asked.n, 1);
    assert_int_equal(asked.peer, 2);
    assert_false(asked.any);
    assert_string_equal(asked.prefix, "duel-");
    relay_rooms_settle(r, 2, asked.ask,
                       &(struct relay_rooms_answer){.prefix = "duel-", .after = "",
                                                    .answered = true, .rooms = there,
                                                    .props = props, .n = 3},
                       now_us);
    const struct proto_control *l = last_ctl(2, PROTO_CTL_ROOMS);
    assert_non_null(l);
    assert_int_equal(l->rooms_len, 4);
    assert_false(l->partial);
    const char *names[] = {"duel-0", "duel-1", "duel-2", "duel-3"};
    const uint32_t members[] = {3, 1, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(l->rooms[i].room, names[i]);
        assert_int_equal(l->rooms[i].members, members[i]);
    }
    /* unanswered: this relay's own, said to be only those */
    assert_int_equal(send_text(r, 2, "{\"type\":\"rooms\",\"prefix\":\"duel-\"}"), 0);
    relay_rooms_settle(r, 2, asked.ask,
                       &(struct relay_rooms_answer){.prefix = "duel-", .after = ""}, now_us);
    l = last_ctl(2, PROTO_CTL_ROOMS);
    assert_int_equal(count_ctl(2, PROTO_CTL_ROOMS), 2);
    assert_int_equal(l->rooms_len, 2);
    assert_true(l->partial);
    /* the fullest with space under the prefix: the directory's pick */
    assert_int_equal(join_any(r, 2, "duel-", "c"), 0);
    assert_true(asked.any);
    relay_any_settle(r, 2, asked.ask, &(struct relay_any_answer){.answered = true,
                                                                .pick = &there[0]},
                     NULL, now_us);
    assert_string_equal(last_ctl(2, PROTO_CTL_WELCOME)->room, "duel-0");
    relay_destroy(r);
}

static void any_room_keeps_room_for_its_number(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.room_max = 8;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(join_any(r, 0, "abcde", "a"), DROP(RELAY_DROP_BAD_ROOM));
    assert_string_equal(last_error(0), "bad_room");
    assert_int_equal(join_any(r, 0, "abcd", "a"), 0);
    assert_string_equal(last_ctl(0, PROTO_CTL_WELCOME)->room, "abcd1");
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_assigns_ids_and_welcomes),
        cmocka_unit_test(leave_notices_and_empty_room_reclaimed),
        cmocka_unit_test(timeout_notice),
        cmocka_unit_test(room_full),
        cmocka_unit_test(max_rooms),
        cmocka_unit_test(server_full),
        cmocka_unit_test(bad_names_and_rooms),
        cmocka_unit_test(repeated_join_same_welcome_other_room_refused),
        cmocka_unit_test(rooms_listed_in_name_order_by_prefix_and_page),
        cmocka_unit_test(a_long_listing_comes_in_pages),
        cmocka_unit_test(over_plain_udp_members_list_within_a_datagram),
        cmocka_unit_test(listing_off_refuses_lists_and_any),
        cmocka_unit_test(listings_spend_the_byte_budget),
        cmocka_unit_test(any_room_takes_the_fullest_with_space_or_a_new_one),
        cmocka_unit_test(any_room_keeps_room_for_its_number),
        cmocka_unit_test(a_fleets_directory_page_merged_with_ours),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
