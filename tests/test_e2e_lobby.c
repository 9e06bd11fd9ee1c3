/* test_e2e_lobby.c: a lobby before a room, through the library against the
 * real relay on 127.0.0.1 (PROTOCOL.md, "Rooms to list"; docs/library.md,
 * "A lobby"): a session made with ricochet_config_set_lobby connects, lists
 * the rooms others made, then joins one with ricochet_join in the same
 * session, over every connection edge a relay lists on (enet, tcp, ws);
 * a listing asked while connecting goes once connected; plain UDP, where a
 * source can be forged, has no lobby and ricochet_connect says so. Every
 * wait is bounded. */
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

/* A session joining room (room NULL: a lobby's, joining nothing). */
static struct ricochet *session(uint16_t port, enum ricochet_mode mode, const char *room,
                                const char *name)
{
    struct ricochet_config *cfg = players_config(port, mode, name);
    if (room)
        assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    else
        assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    return players_connect(cfg);
}

/* Two players make rooms; a lobby lists them before joining, then joins
 * one of them in the same session and is a member the others see. */
static void lobby_over(enum ricochet_mode mode, uint16_t port)
{
    struct ricochet *cs[3] = {0};
    struct ricochet_event ev;
    cs[0] = session(port, mode, "arena-1", "maker1");
    players_wait_event(cs, 1, 0, RICOCHET_EV_WELCOME, &ev);
    cs[1] = session(port, mode, "arena-2", "maker2");
    players_wait_event(cs, 2, 1, RICOCHET_EV_WELCOME, &ev);

    cs[2] = session(port, mode, NULL, "looker");
    assert_false(ricochet_joined(cs[2]));
    /* asked at once, while connecting: it goes once the connection is up */
    assert_int_equal(ricochet_list_rooms(cs[2], "arena-", NULL), RICOCHET_OK);
    players_wait_event(cs, 3, 2, RICOCHET_EV_ROOMS, &ev);
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool more = true;
    assert_int_equal(ricochet_rooms(cs[2], rooms, RICOCHET_ROOMS_PAGE, &more), 2);
    assert_false(more);
    assert_string_equal(rooms[0].room, "arena-1");
    assert_int_equal(rooms[0].members, 1);
    assert_string_equal(rooms[1].room, "arena-2");
    assert_false(ricochet_joined(cs[2]));
    /* connected now: a listing goes at once */
    assert_int_equal(ricochet_list_rooms(cs[2], NULL, NULL), RICOCHET_OK);
    players_wait_event(cs, 3, 2, RICOCHET_EV_ROOMS, &ev);
    assert_int_equal(ricochet_rooms(cs[2], rooms, RICOCHET_ROOMS_PAGE, &more), 2);

    /* the click: the second room, in the same session */
    assert_int_equal(ricochet_join(cs[2], "bad room", false), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_join(cs[2], rooms[1].room, false), RICOCHET_OK);
    assert_int_equal(ricochet_join(cs[2], rooms[1].room, false), RICOCHET_E_UNSUPPORTED);
    players_wait_event(cs, 3, 2, RICOCHET_EV_WELCOME, &ev);
    assert_string_equal(ricochet_room_name(cs[2]), "arena-2");
    struct ricochet_member members[4];
    assert_int_equal(ricochet_members(cs[2], members, 4), 1);
    /* and the room's maker has it as a member */
    uint64_t deadline = clock_now_ms() + 5000;
    while (ricochet_members(cs[1], members, 4) != 1 && clock_now_ms() < deadline)
        for (size_t i = 0; i < 3; i++)
            while (ricochet_poll(cs[i], i == 1 ? 10 : 0, &ev) == 1)
                ;
    assert_int_equal(ricochet_members(cs[1], members, 4), 1);
    assert_string_equal(members[0].name, "looker");
    for (size_t i = 0; i < 3; i++)
        ricochet_close(cs[i]);
}

static void lobby_lists_then_joins_on_every_connection_edge(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *schemes[] = { "enet", "tcp", "ws", NULL };
    const char *more[] = { "--log-level", "warn", NULL };
    uint16_t ports[3];
    harness_start_edges(&relay, schemes, more, ports);
    lobby_over(RICOCHET_MODE_RELIABLE, ports[0]);
    lobby_over(RICOCHET_MODE_TCP, ports[1]);
    lobby_over(RICOCHET_MODE_WS, ports[2]);
    long long listings = harness_relay_stat(&relay, "listings");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(listings, 6);
}

/* A lobby that never joins is closed by the relay after its
 * --join-timeout-ms, and the end says so. */
static void lobby_that_never_joins_is_told(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", "--join-timeout-ms", "300", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *c = session((uint16_t)port, RICOCHET_MODE_RELIABLE, NULL, "idle");
    struct ricochet_event ev;
    players_wait_event(&c, 1, 0, RICOCHET_EV_DISCONNECTED, &ev);
    assert_string_equal(ev.code, "not_joined");
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* No lobby where the relay lists only to members: refused at connect, in
 * words that say where a lobby works; a session that is no lobby cannot
 * ricochet_join. */
static void no_lobby_over_plain_udp_or_with_a_ticket(void **state)
{
    (void)state;
    char err[256] = "";
    struct ricochet_config *cfg = players_config(7, RICOCHET_MODE_UDP, "u");
    assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "plain UDP lists only to members"));
    assert_non_null(strstr(err, "enet, tcp, ws"));
    ricochet_config_free(cfg);
    assert_int_equal(ricochet_config_set_lobby(NULL, true), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_join(NULL, "a", false), RICOCHET_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lobby_lists_then_joins_on_every_connection_edge),
        cmocka_unit_test(lobby_that_never_joins_is_told),
        cmocka_unit_test(no_lobby_over_plain_udp_or_with_a_ticket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
