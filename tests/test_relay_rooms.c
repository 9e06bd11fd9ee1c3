/* test_relay_rooms.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): rooms and membership: ids and welcomes, leave and timeout
 * notices, full rooms, max rooms, a full server, bad names, repeated joins. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../proto/control.h"
#include "../sys/log.h"
#include "../stats/rng.h"
#include "../proto/wire.h"
#include "../relay/core/relay.h"
#include "support/fake_relay.h"

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
    assert_int_equal(relay_peer_connect(r, 2, "127.0.0.1:9", now_us), -1);
    assert_string_equal(last_error(2), "server_full");
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "server_full"); /* ENet disconnect data */
    assert_false(relay_peer_connected(r, 2));
    assert_int_equal(drops(r, RELAY_DROP_SERVER_FULL), 1);
    /* Datagrams from the refused peer are dropped as closed. */
    assert_int_equal(send_state(r, 2, 0, 1), DROP(RELAY_DROP_CLOSED));
    /* Out-of-range handles are refused without a word. */
    assert_int_equal(relay_peer_connect(r, 8, "x", now_us), -1);
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
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"lob\",\"name\":\"a b\"}"),
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
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
