/* test_e2e_rooms.c: rooms to list through the library against the relay, over
 * ENet and plain UDP: joins of any room under a prefix fill the fullest with
 * space, then make the next (`duel-1`, `duel-1`, `duel-2`, `ricochet_room_name`
 * saying which); `ricochet_list_rooms` answered with names, members and
 * capacity in name order, by prefix and after a name; `--room-list off`
 * refusing both in words, the session going on after a refused listing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define PLAYERS 3

/* A session for 127.0.0.1:port over mode joining room, or any room under
 * it (any). */
static struct ricochet *player(uint16_t port, enum ricochet_mode mode, const char *room,
                               bool any, const char *name)
{
    struct ricochet_config *cfg = players_config(port, mode, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_any_room(cfg, any), RICOCHET_OK);
    return players_connect(cfg);
}

static void rooms_with_space(enum ricochet_mode mode)
{
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", "--max-room-size", "2", "--transport",
                           mode == RICOCHET_MODE_UDP ? "udp" : "enet", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *cs[PLAYERS + 1] = {0};
    struct ricochet_event ev;
    const char *want[PLAYERS] = { "duel-1", "duel-1", "duel-2" };
    /* one after the other: each join sees the rooms the last made */
    for (size_t i = 0; i < PLAYERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%zu", i);
        cs[i] = player((uint16_t)port, mode, "duel-", true, name);
        assert_string_equal(ricochet_room_name(cs[i]), "duel-");
        players_wait_event(cs, i + 1, i, RICOCHET_EV_WELCOME, &ev);
        assert_string_equal(ricochet_room_name(cs[i]), want[i]);
    }
    /* a room by its name, outside the prefix */
    cs[PLAYERS] = player((uint16_t)port, mode, "lobby", false, "q");
    players_wait_event(cs, PLAYERS + 1, PLAYERS, RICOCHET_EV_WELCOME, &ev);

    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool more = true;
    assert_int_equal(ricochet_rooms(cs[2], rooms, RICOCHET_ROOMS_PAGE, &more), 0);
    assert_false(more);
    assert_int_equal(ricochet_list_rooms(cs[2], "duel-", NULL), RICOCHET_OK);
    players_wait_event(cs, PLAYERS + 1, 2, RICOCHET_EV_ROOMS, &ev);
    assert_string_equal(ev.text, "duel-");
    assert_int_equal(ricochet_rooms(cs[2], rooms, RICOCHET_ROOMS_PAGE, &more), 2);
    assert_false(more);
    assert_string_equal(rooms[0].room, "duel-1");
    assert_int_equal(rooms[0].members, 2);
    assert_int_equal(rooms[0].capacity, 2);
    assert_string_equal(rooms[1].room, "duel-2");
    assert_int_equal(rooms[1].members, 1);
    /* every room; the next page after a name */
    assert_int_equal(ricochet_list_rooms(cs[2], NULL, NULL), RICOCHET_OK);
    players_wait_event(cs, PLAYERS + 1, 2, RICOCHET_EV_ROOMS, &ev);
    assert_int_equal(ricochet_rooms(cs[2], rooms, 1, &more), 3); /* one copied */
    assert_string_equal(rooms[0].room, "duel-1");
    assert_int_equal(ricochet_list_rooms(cs[2], "", "duel-2"), RICOCHET_OK);
    players_wait_event(cs, PLAYERS + 1, 2, RICOCHET_EV_ROOMS, &ev);
    assert_int_equal(ricochet_rooms(cs[2], rooms, RICOCHET_ROOMS_PAGE, &more), 1);
    assert_string_equal(rooms[0].room, "lobby");
    /* the library refuses a prefix that is no name's */
    assert_int_equal(ricochet_list_rooms(cs[2], "a b", NULL), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_list_rooms(NULL, NULL, NULL), RICOCHET_E_INVALID);

    long long listings = harness_relay_stat(&relay, "listings");
    for (size_t i = 0; i <= PLAYERS; i++)
        ricochet_close(cs[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    print_message("%s: joins of any room took duel-1, duel-1, duel-2; %lld listings\n",
                  mode == RICOCHET_MODE_UDP ? "udp" : "enet", listings);
    assert_int_equal(listings, 3);
}

static void any_room_and_listing_over_enet(void **state)
{
    (void)state;
    rooms_with_space(RICOCHET_MODE_RELIABLE);
}

static void any_room_and_listing_over_plain_udp(void **state)
{
    (void)state;
    rooms_with_space(RICOCHET_MODE_UDP);
}

/* --room-list off: a join of any room ends the session with listing_off, a
 * listing is answered with the error, the session going on. */
static void listing_off_says_so(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", "--room-list", "off", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *cs[2] = {0};
    struct ricochet_event ev;
    cs[0] = player((uint16_t)port, RICOCHET_MODE_RELIABLE, "duel-", true, "a");
    players_wait_event(cs, 1, 0, RICOCHET_EV_DISCONNECTED, &ev);
    assert_string_equal(ev.code, "listing_off");
    assert_non_null(strstr(ricochet_end_reason(cs[0]), "--room-list off"));
    ricochet_close(cs[0]);
    cs[0] = NULL;

    cs[1] = player((uint16_t)port, RICOCHET_MODE_RELIABLE, "lobby", false, "b");
    players_wait_event(cs, 2, 1, RICOCHET_EV_WELCOME, &ev);
    assert_int_equal(ricochet_list_rooms(cs[1], NULL, NULL), RICOCHET_OK);
    players_wait_event(cs, 2, 1, RICOCHET_EV_ERROR, &ev);
    assert_string_equal(ev.code, "listing_off");
    assert_true(ricochet_joined(cs[1]));
    long long refused = harness_relay_stat(&relay, "listings_refused");
    long long off = harness_relay_stat(&relay, "drops.listing_off");
    ricochet_close(cs[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(refused, 1);
    assert_int_equal(off, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(any_room_and_listing_over_enet),
        cmocka_unit_test(any_room_and_listing_over_plain_udp),
        cmocka_unit_test(listing_off_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
