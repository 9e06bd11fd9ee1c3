/* test_relay_lobby.c: the relay core through a fake transport and a fake
 * clock (support/fake_relay.h): a lobby that stays (relay/core/lobby.c).
 * A rooms request with watch is answered as any, saying watch, and keeps
 * its connection past the join timeout while pings come, closed
 * not_joined ("lobby idle") once silent past lobby_idle_ms; a room made,
 * filled, changed or gone under its prefix and match is a fresh first
 * page within a second, a room elsewhere none; a burst of changes at most
 * one page every 500 ms, the last the rooms as they are; a push never past
 * the byte budget (skipped, then the page as it is once the budget has
 * room) nor onto an edge still holding 16 KiB for it; watch false and
 * a join end the watch (the join timeout counts again); max_lobbies and
 * max_lobbies_per_address refused server_full and closed; in a fleet a
 * watch's first page and its pushes the directory's (its other relays'
 * rooms), asked at most every 500 ms, one ask at a time; no watch where a
 * source can be forged (plain UDP) nor from a member. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "relay/core/fleet.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

#define WATCH "{\"type\":\"rooms\",\"prefix\":\"g\",\"watch\":true}"
#define PING "{\"type\":\"ping\",\"t\":1}"

/* Sweeps every 100 ms for ms, peer pinging every ping_ms (0: never). */
static void run_for(struct relay *r, uint64_t ms, uint32_t peer, uint64_t ping_ms)
{
    for (uint64_t t = 0; t < ms; t += 100) {
        now_us += 100000;
        if (ping_ms && t % ping_ms == 0 && !disconnected(peer))
            assert_int_equal(send_text(r, peer, PING), 0);
        relay_sweep(r, now_us);
    }
}

/* peer connects now and makes room (as "p"). */
static void make_room(struct relay *r, uint32_t peer, const char *room)
{
    connect_peer(r, peer);
    assert_int_equal(join(r, peer, room, "p", false), 0);
    assert_non_null(last_ctl(peer, PROTO_CTL_WELCOME));
}

/* The last listing to peer names room? */
static bool last_lists(uint32_t peer, const char *room)
{
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_ROOMS);
    for (size_t i = 0; m && i < m->rooms_len; i++)
        if (!strcmp(m->rooms[i].room, room))
            return true;
    return false;
}

static void a_watching_lobby_stays_and_is_told(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_ROOMS);
    assert_non_null(m);
    assert_int_equal(m->watch, PROTO_WATCH_ON);
    assert_int_equal(m->rooms_len, 0);
    run_for(r, 5000, 0, 1000); /* past the 2 s join timeout */
    assert_false(disconnected(0));
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 1); /* nothing changed */
    /* a room elsewhere is no change to it; one under its prefix is */
    make_room(r, 1, "x");
    run_for(r, 1000, 0, 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 1);
    make_room(r, 2, "g1");
    run_for(r, 1000, 0, 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 2);
    assert_true(last_lists(0, "g1"));
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->watch, PROTO_WATCH_ON);
    /* a room gone is a change too */
    assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
    run_for(r, 1000, 0, 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 3);
    assert_false(last_lists(0, "g1"));
    /* silent 29 s since its last ping: still watching, as PROTOCOL.md
     * allows; past the idle bound (30 s): closed */
    run_for(r, 25000, 0, 0);
    assert_false(disconnected(0));
    run_for(r, 2000, 0, 0);
    assert_true(disconnected(0));
    assert_string_equal(disconnect_why(0), "not_joined");
    assert_non_null(strstr(last_ctl(0, PROTO_CTL_ERROR)->text, "lobby idle"));
    assert_int_equal(drops(r, RELAY_DROP_JOIN_TIMEOUT), 2); /* and peer 2 after its leave */
    relay_destroy(r);
}

/* Watchers of one page each told of its change, one of another page
 * (another prefix, or a match) only of its own. */
static void each_watcher_its_own_page(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 4);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    assert_int_equal(send_text(r, 1, WATCH), 0);
    assert_int_equal(send_text(r, 2, "{\"type\":\"rooms\",\"prefix\":\"h\",\"watch\":true}"), 0);
    assert_int_equal(send_text(r, 3, "{\"type\":\"rooms\",\"prefix\":\"g\",\"watch\":true,"
                                     "\"match\":{\"map\":\"dune\"}}"), 0);
    make_room(r, 4, "g1");
    run_for(r, 1000, 0, 0);
    for (uint32_t p = 0; p < 4; p++)
        assert_int_equal(count_ctl(p, PROTO_CTL_ROOMS), p < 2 ? 2 : 1);
    assert_true(last_lists(0, "g1") && last_lists(1, "g1"));
    make_room(r, 5, "h1");
    run_for(r, 1000, 0, 0);
    for (uint32_t p = 0; p < 4; p++)
        assert_int_equal(count_ctl(p, PROTO_CTL_ROOMS), p == 3 ? 1 : 2);
    assert_true(last_lists(2, "h1"));
    connect_peer(r, 6);
    assert_int_equal(send_text(r, 6, "{\"type\":\"join\",\"version\":3,\"room\":\"g2\","
                                     "\"name\":\"p\",\"props\":{\"map\":\"dune\"}}"), 0);
    run_for(r, 1000, 0, 0);
    assert_int_equal(count_ctl(3, PROTO_CTL_ROOMS), 2);
    assert_true(last_lists(3, "g2") && !last_lists(3, "g1"));
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 3);
    relay_destroy(r);
}

/* A burst of rooms made: at most a page every 500 ms, the last one all of
 * them. */
static void pushes_are_coalesced(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    fake_clear();
    for (uint32_t i = 1; i <= 40; i++) {
        char room[16];
        snprintf(room, sizeof room, "g%02u", i);
        make_room(r, i, room);
        now_us += 50000; /* a room every 50 ms, for 2 s */
        if (i % 2 == 0)
            relay_sweep(r, now_us);
    }
    size_t during = count_ctl(0, PROTO_CTL_ROOMS);
    assert_true(during >= 3 && during <= 5); /* 2 s: one page every 500 ms at most */
    run_for(r, 1000, 0, 0);
    assert_true(last_lists(0, "g01") && last_lists(0, "g40"));
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->rooms_len, 40);
    relay_destroy(r);
}

/* Pushes spend the byte budget and never pass it: a page skipped, the
 * next as the rooms are once it has room. */
static void pushes_wait_for_the_byte_budget(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.byte_limit = 100; /* bytes a second */
    cfg.byte_burst = 200;
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    fake_clear();
    size_t bytes = 0;
    for (uint32_t i = 1; i <= 20; i++) {
        char room[16];
        snprintf(room, sizeof room, "g%02u", i);
        make_room(r, i, room);
        run_for(r, 500, 0, 0);
    }
    for (size_t k = 0; k < fk.n_ctl; k++)
        if (fk.ctl[k].peer == 0 && strstr(fk.ctl[k].json, "\"type\":\"rooms\""))
            bytes += fk.ctl[k].len;
    /* 10 s at 100 bytes a second, 200 at once, and the page that passed it */
    assert_true(bytes <= 200 + 100 * 10 + 1000);
    assert_true(count_ctl(0, PROTO_CTL_ROOMS) < 20);
    assert_int_equal(drops(r, RELAY_DROP_RATE_LIMITED), 0); /* a skip is no refusal */
    run_for(r, 30000, 0, 5000); /* the budget refills: the rooms as they are */
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->rooms_len, 20);
    relay_destroy(r);
}

/* An edge still holding 16 KiB for a watcher gets no more until it takes
 * them. */
static void pushes_wait_for_a_slow_reader(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.slow_reader_ms = 0;
    struct relay *r = relay_with_peers_on(&cfg, &fake_holding_tp, 1);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    size_t before = count_ctl(0, PROTO_CTL_ROOMS);
    for (uint32_t i = 1; i < 50; i++) {
        char room[40];
        snprintf(room, sizeof room, "g-long-room-name-to-fill-pa-%02u", i);
        make_room(r, i, room);
        run_for(r, 500, 0, 100);
    }
    size_t stuck = count_ctl(0, PROTO_CTL_ROOMS) - before;
    assert_true(stuck < 49); /* held back once two pages wait */
    fake_take(0, UINT64_MAX);
    run_for(r, 1000, 0, 100);
    assert_true(count_ctl(0, PROTO_CTL_ROOMS) - before > stuck);
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->rooms_len, 49);
    relay_destroy(r);
}

static void watch_false_and_a_join_end_it(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    assert_int_equal(send_text(r, 0, WATCH), 0);
    assert_int_equal(send_text(r, 1, WATCH), 0);
    run_for(r, 3000, 0, 500);
    assert_false(disconnected(0));
    assert_false(disconnected(1));
    /* watch false: answered, then closed at the join timeout */
    assert_int_equal(send_text(r, 0, "{\"type\":\"rooms\",\"watch\":false}"), 0);
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->watch, PROTO_WATCH_NONE);
    run_for(r, 1900, 1, 500);
    assert_false(disconnected(0));
    run_for(r, 200, 1, 500);
    assert_true(disconnected(0));
    assert_string_equal(disconnect_why(0), "not_joined");
    /* a join ends it: no page for a room made, and a watch from a member
     * is answered without one */
    assert_int_equal(join(r, 1, "x", "a", false), 0);
    size_t n = count_ctl(1, PROTO_CTL_ROOMS);
    make_room(r, 2, "g1");
    run_for(r, 1000, 1, 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_ROOMS), n);
    assert_int_equal(send_text(r, 1, WATCH), 0);
    assert_int_equal(last_ctl(1, PROTO_CTL_ROOMS)->watch, PROTO_WATCH_NONE);
    assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
    run_for(r, 1000, 1, 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_ROOMS), n + 1);
    relay_destroy(r);
}

static void bounds_refuse_server_full(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.max_lobbies = 3;
    cfg.max_lobbies_per_address = 2;
    struct relay *r = make_relay(&cfg);
    connect_peer_from(r, 0, "10.0.0.1");
    connect_peer_from(r, 1, "10.0.0.1");
    connect_peer_from(r, 2, "10.0.0.1");
    connect_peer_from(r, 3, "10.0.0.2");
    connect_peer_from(r, 4, "10.0.0.3");
    assert_int_equal(send_text(r, 0, WATCH), 0);
    assert_int_equal(send_text(r, 1, WATCH), 0);
    assert_int_equal(send_text(r, 2, WATCH), DROP(RELAY_DROP_PER_ADDRESS));
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "server_full");
    assert_non_null(strstr(last_ctl(2, PROTO_CTL_ERROR)->text, "--max-lobbies-per-address"));
    assert_int_equal(send_text(r, 3, WATCH), 0);
    assert_int_equal(send_text(r, 4, WATCH), DROP(RELAY_DROP_SERVER_FULL));
    assert_non_null(strstr(last_ctl(4, PROTO_CTL_ERROR)->text, "--max-lobbies)"));
    /* a watcher gone frees its place */
    relay_peer_gone(r, 3, PROTO_LEFT_QUIT, now_us);
    connect_peer_from(r, 4, "10.0.0.3");
    assert_int_equal(send_text(r, 4, WATCH), 0);
    assert_int_equal(relay_stats(r)->listings_refused, 2);
    relay_destroy(r);
}

/* The last ask of a fleet's directory (the list hook's). */
static struct {
    uint32_t peer, ask, n;
} asked;

static bool list_hook(void *ctx, uint32_t peer, uint32_t ask, bool any, const char *prefix,
                      const char *after, const struct proto_props *match)
{
    (void)ctx, (void)any, (void)prefix, (void)after, (void)match;
    asked.peer = peer;
    asked.ask = ask;
    asked.n++;
    return true;
}

/* The directory answers the last ask with there (n rooms). */
static void directory_answers(struct relay *r, const struct proto_room_entry *there, size_t n)
{
    static const struct proto_props props[4];
    relay_rooms_settle(r, asked.peer, asked.ask,
                       &(struct relay_rooms_answer){.prefix = "g", .after = "", .answered = true,
                                                    .rooms = there, .props = props, .n = n},
                       now_us);
}

/* In a fleet a watch is asked of the directory: its first page is the
 * directory's (the other relays' rooms), saying watch; its pushes are
 * the directory's pages too, asked at most every 500 ms, one ask at a
 * time, sent when they differ from the last. */
static void a_fleets_watch_is_the_directorys_pages(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.list = list_hook});
    memset(&asked, 0, sizeof asked);
    static struct proto_room_entry there[1] = {{.room = "g-there", .members = 1,
                                                .capacity = 8}};
    assert_int_equal(send_text(r, 0, WATCH), 0);
    assert_int_equal(asked.n, 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 0); /* until the directory answers */
    directory_answers(r, there, 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 1);
    assert_true(last_lists(0, "g-there"));
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->watch, PROTO_WATCH_ON);
    /* a room made here asks the directory again, once until it answers */
    make_room(r, 1, "g-here");
    run_for(r, 2000, 0, 0);
    assert_int_equal(asked.n, 2);
    assert_int_equal(asked.peer, 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 1);
    directory_answers(r, there, 1); /* this relay's own merged in */
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 2);
    assert_true(last_lists(0, "g-there") && last_lists(0, "g-here"));
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->watch, PROTO_WATCH_ON);
    /* the same page again: nothing sent; another's room fuller: pushed */
    run_for(r, 600, 0, 0);
    assert_int_equal(asked.n, 3);
    directory_answers(r, there, 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 2);
    there[0].members = 2;
    run_for(r, 600, 0, 0);
    assert_int_equal(asked.n, 4);
    directory_answers(r, there, 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 3);
    assert_string_equal(last_ctl(0, PROTO_CTL_ROOMS)->rooms[1].room, "g-there");
    assert_int_equal(last_ctl(0, PROTO_CTL_ROOMS)->rooms[1].members, 2);
    /* unanswered: this relay's own, said to be only those */
    run_for(r, 600, 0, 0);
    assert_int_equal(asked.n, 5);
    relay_rooms_settle(r, asked.peer, asked.ask,
                       &(struct relay_rooms_answer){.prefix = "g", .after = ""}, now_us);
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOMS), 4);
    assert_true(last_ctl(0, PROTO_CTL_ROOMS)->partial);
    assert_false(last_lists(0, "g-there"));
    relay_destroy(r);
}

/* Plain UDP lists to members only: a non-member's watch is refused as
 * its listing is, and a member's ignored. */
static void no_watch_where_a_source_can_be_forged(void **state)
{
    (void)state;
    struct relay *r = make_two_edge(NULL, 4);
    connect_peer(r, 4);
    assert_int_equal(send_text(r, 4, WATCH), DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(count_ctl(4, PROTO_CTL_ROOMS), 0);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_watching_lobby_stays_and_is_told),
        cmocka_unit_test(each_watcher_its_own_page),
        cmocka_unit_test(pushes_are_coalesced),
        cmocka_unit_test(pushes_wait_for_the_byte_budget),
        cmocka_unit_test(pushes_wait_for_a_slow_reader),
        cmocka_unit_test(watch_false_and_a_join_end_it),
        cmocka_unit_test(bounds_refuse_server_full),
        cmocka_unit_test(a_fleets_watch_is_the_directorys_pages),
        cmocka_unit_test(no_watch_where_a_source_can_be_forged),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
