/* test_e2e_room_props.c: rooms with properties through the library against
 * the relay over ENet: props and a size, listed and matched; a closed room
 * refusing joiners until its owner opens it, another member refused; an
 * owner who leaves handing the room on, which its LEFT tells; a room
 * reopened by its owner's rejoin after a restart; bounds refused in words */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>

#include "client/lib/ricochet.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define SEATS 8

struct table {
    struct spawn_proc relay;
    uint16_t port;
    struct ricochet *cs[SEATS];
    struct ricochet_event ev;
};

static void table_open(struct table *t)
{
    const char *args[] = { "--log-level", "warn", "--max-room-size", "8", NULL };
    memset(t, 0, sizeof *t);
    int port = harness_start_relay(&t->relay, args);
    assert_true(port > 0);
    t->port = (uint16_t)port;
}

static void table_close(struct table *t)
{
    for (size_t i = 0; i < SEATS; i++)
        ricochet_close(t->cs[i]);
    free(harness_relay_finish(&t->relay));
    spawn_free(&t->relay);
}

/* A config for seat's player joining room (any: under it) with props
 * "k=v,k=v" (NULL: none). */
static struct ricochet_config *seat_config(struct table *t, size_t seat, const char *room,
                                           bool any, const char *props)
{
    char name[16], pairs[128];
    snprintf(name, sizeof name, "p%zu", seat);
    struct ricochet_config *cfg = players_config(t->port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_any_room(cfg, any), RICOCHET_OK);
    snprintf(pairs, sizeof pairs, "%s", props ? props : "");
    for (char *kv = strtok(pairs, ","); kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        *eq = '\0';
        assert_int_equal(any ? ricochet_config_set_room_match(cfg, kv, eq + 1)
                             : ricochet_config_set_room_prop(cfg, kv, eq + 1), RICOCHET_OK);
    }
    return cfg;
}

/* Connects seat from cfg and waits for its event of type. */
static void seat_wait(struct table *t, size_t seat, struct ricochet_config *cfg,
                      enum ricochet_event_type type)
{
    t->cs[seat] = players_connect(cfg);
    players_wait_event(t->cs, SEATS, seat, type, &t->ev);
}

/* seat's listing under prefix matching "k=v" (NULL: any), waited for. */
static size_t seat_list(struct table *t, size_t seat, const char *prefix, const char *match,
                        struct ricochet_room *rooms)
{
    struct ricochet_prop want = {0};
    if (match)
        sscanf(match, "%16[^=]=%64s", want.key, want.value);
    assert_int_equal(ricochet_list_rooms_matching(t->cs[seat], prefix, NULL, &want,
                                                  match ? 1 : 0), RICOCHET_OK);
    players_wait_event(t->cs, SEATS, seat, RICOCHET_EV_ROOMS, &t->ev);
    bool more = true;
    size_t n = ricochet_rooms(t->cs[seat], rooms, RICOCHET_ROOMS_PAGE, &more);
    assert_false(more);
    return n;
}

static void made_listed_filtered_and_matched(void **state)
{
    (void)state;
    struct table t;
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    struct ricochet_prop props[RICOCHET_PROPS_MAX];
    bool open = false;
    table_open(&t);
    struct ricochet_config *cfg = seat_config(&t, 0, "arena-1", false, "map=dust,mode=ctf");
    assert_int_equal(ricochet_config_set_room_size(cfg, 2), RICOCHET_OK);
    seat_wait(&t, 0, cfg, RICOCHET_EV_WELCOME);
    seat_wait(&t, 1, seat_config(&t, 1, "arena-2", false, "map=mill"), RICOCHET_EV_WELCOME);
    cfg = seat_config(&t, 2, "arena-hidden", false, "map=dust");
    assert_int_equal(ricochet_config_set_room_listed(cfg, false), RICOCHET_OK);
    seat_wait(&t, 2, cfg, RICOCHET_EV_WELCOME);

    /* every listed room, with its props and its own size; the hidden one left out */
    assert_int_equal(seat_list(&t, 0, "arena-", NULL, rooms), 2);
    assert_string_equal(rooms[0].room, "arena-1");
    assert_int_equal(rooms[0].capacity, 2);
    assert_int_equal(rooms[1].capacity, 8);
    assert_int_equal(ricochet_listed_props(t.cs[0], 0, props, RICOCHET_PROPS_MAX, &open), 2);
    assert_true(open);
    assert_string_equal(props[0].key, "map");
    assert_string_equal(props[0].value, "dust");
    assert_string_equal(props[1].key, "mode");
    assert_string_equal(props[1].value, "ctf");
    /* filtered: map=dust lists arena-1 only */
    assert_int_equal(seat_list(&t, 0, "", "map=dust", rooms), 1);
    assert_string_equal(rooms[0].room, "arena-1");

    /* a join of any room by match: map=mill is arena-2; map=dust arena-1, now full */
    seat_wait(&t, 3, seat_config(&t, 3, "arena-", true, "map=mill"), RICOCHET_EV_WELCOME);
    assert_string_equal(ricochet_room_name(t.cs[3]), "arena-2");
    seat_wait(&t, 4, seat_config(&t, 4, "arena-", true, "map=dust"), RICOCHET_EV_WELCOME);
    assert_string_equal(ricochet_room_name(t.cs[4]), "arena-1");
    /* none with space: a new room, made with the match as its props */
    seat_wait(&t, 5, seat_config(&t, 5, "arena-", true, "map=dust"), RICOCHET_EV_WELCOME);
    assert_string_equal(ricochet_room_name(t.cs[5]), "arena-3");
    assert_int_equal(seat_list(&t, 5, "", "map=dust", rooms), 2);
    assert_string_equal(rooms[1].room, "arena-3");
    assert_int_equal(ricochet_listed_props(t.cs[5], 1, props, RICOCHET_PROPS_MAX, NULL), 1);
    assert_string_equal(props[0].value, "dust");

    /* arena-1 is full at its own size, 2 */
    seat_wait(&t, 6, seat_config(&t, 6, "arena-1", false, NULL), RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "room_full");
    table_close(&t);
}

static void must_exist(void **state)
{
    (void)state;
    struct table t;
    table_open(&t);
    seat_wait(&t, 0, seat_config(&t, 0, "arena", false, NULL), RICOCHET_EV_WELCOME);
    struct ricochet_config *cfg = seat_config(&t, 1, "arean", false, NULL);
    assert_int_equal(ricochet_config_set_room_exists(cfg, true), RICOCHET_OK);
    seat_wait(&t, 1, cfg, RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "no_such_room");
    assert_non_null(strstr(ricochet_end_reason(t.cs[1]), "check its name"));
    cfg = seat_config(&t, 2, "arena", false, NULL);
    assert_int_equal(ricochet_config_set_room_exists(cfg, true), RICOCHET_OK);
    seat_wait(&t, 2, cfg, RICOCHET_EV_WELCOME);
    assert_int_equal(harness_relay_stat(&t.relay, "rooms"), 1); /* no "arean" made */
    table_close(&t);
}

/* seat's room open or closed, seen in its own listing (so that the change
 * reached the relay before what the test does next). */
static void set_open(struct table *t, size_t seat, bool open)
{
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool now = !open;
    assert_int_equal(ricochet_set_room_open(t->cs[seat], open), RICOCHET_OK);
    assert_true(seat_list(t, seat, "game", NULL, rooms) >= 1);
    assert_string_equal(rooms[0].room, "game");
    ricochet_listed_props(t->cs[seat], 0, NULL, 0, &now);
    assert_int_equal(now, open);
}

static void closed_until_its_owner_opens_it(void **state)
{
    (void)state;
    struct table t;
    table_open(&t);
    struct ricochet_config *cfg = seat_config(&t, 0, "game", false, NULL);
    assert_int_equal(ricochet_config_set_room_open(cfg, false), RICOCHET_OK);
    seat_wait(&t, 0, cfg, RICOCHET_EV_WELCOME);
    seat_wait(&t, 1, seat_config(&t, 1, "game", false, NULL), RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "room_closed");
    assert_non_null(strstr(ricochet_end_reason(t.cs[1]), "its owner"));
    /* a join of any room passes a closed room by */
    seat_wait(&t, 2, seat_config(&t, 2, "game", true, NULL), RICOCHET_EV_WELCOME);
    assert_string_equal(ricochet_room_name(t.cs[2]), "game1");

    set_open(&t, 0, true);
    seat_wait(&t, 3, seat_config(&t, 3, "game", false, NULL), RICOCHET_EV_WELCOME);
    /* another member cannot close it */
    assert_int_equal(ricochet_set_room_open(t.cs[3], false), RICOCHET_OK);
    players_wait_event(t.cs, SEATS, 3, RICOCHET_EV_ERROR, &t.ev);
    assert_string_equal(t.ev.code, "not_creator");
    assert_true(ricochet_joined(t.cs[3]));
    seat_wait(&t, 4, seat_config(&t, 4, "game", false, NULL), RICOCHET_EV_WELCOME);
    /* its owner can */
    set_open(&t, 0, false);
    seat_wait(&t, 5, seat_config(&t, 5, "game", false, NULL), RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "room_closed");
    long long closed = harness_relay_stat(&t.relay, "drops.room_closed");
    long long not_owner = harness_relay_stat(&t.relay, "drops.not_room_owner");
    table_close(&t);
    assert_int_equal(closed, 2);
    assert_int_equal(not_owner, 1);
}

/* The owner leaves: the member in the room longest owns it now, no other
 * member. */
static void an_owner_who_leaves_hands_the_room_on(void **state)
{
    (void)state;
    struct table t;
    table_open(&t);
    for (size_t seat = 0; seat < 3; seat++)
        seat_wait(&t, seat, seat_config(&t, seat, "game", false, NULL), RICOCHET_EV_WELCOME);
    ricochet_close(t.cs[0]); /* its owner quits */
    t.cs[0] = NULL;
    players_wait_event(t.cs, SEATS, 1, RICOCHET_EV_LEFT, &t.ev);
    assert_string_equal(ricochet_left_creator(t.cs[1]), ricochet_player(t.cs[1], 0));
    assert_true(ricochet_room_mine(t.cs[1])); /* told it holds the room now */
    assert_int_equal(ricochet_set_room_open(t.cs[2], false), RICOCHET_OK);
    players_wait_event(t.cs, SEATS, 2, RICOCHET_EV_ERROR, &t.ev);
    assert_string_equal(t.ev.code, "not_creator");
    assert_false(ricochet_room_mine(t.cs[2]));
    set_open(&t, 1, false); /* the first joiner after it can */
    seat_wait(&t, 3, seat_config(&t, 3, "game", false, NULL), RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "room_closed");
    set_open(&t, 1, true);
    seat_wait(&t, 4, seat_config(&t, 4, "game", false, NULL), RICOCHET_EV_WELCOME);
    table_close(&t);
}

/* The owner opens its closed room; the relay restarts; the owner's
 * rejoin makes the room afresh as it is now (open), not as its first join
 * asked: a joiner after is welcomed. */
static void opened_stays_open_across_a_restart(void **state)
{
    (void)state;
    struct table t;
    char url[48];
    const char *args[] = {"--log-level", "warn", "--listen", "enet://127.0.0.1:0", NULL};
    memset(&t, 0, sizeof t);
    assert_true(harness_start_relay(&t.relay, args) > 0);
    t.port = harness_edge_port(&t.relay, "enet");
    struct ricochet_config *cfg = seat_config(&t, 0, "game", false, "map=ring");
    assert_int_equal(ricochet_config_set_room_open(cfg, false), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, 30000), RICOCHET_OK);
    seat_wait(&t, 0, cfg, RICOCHET_EV_WELCOME);
    set_open(&t, 0, true);

    assert_int_equal(spawn_stop(&t.relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&t.relay);
    snprintf(url, sizeof url, "enet://127.0.0.1:%u", (unsigned)t.port);
    args[3] = url;
    assert_true(harness_start_relay(&t.relay, args) > 0);
    players_wait_event(t.cs, SEATS, 0, RICOCHET_EV_MOVED, &t.ev);
    players_wait_event(t.cs, SEATS, 0, RICOCHET_EV_WELCOME, &t.ev);
    seat_wait(&t, 1, seat_config(&t, 1, "game", false, NULL), RICOCHET_EV_WELCOME);
    table_close(&t);
}

static void past_the_bounds_in_words(void **state)
{
    (void)state;
    struct table t;
    table_open(&t);
    /* the library refuses props past their bounds, in words */
    struct ricochet_config *cfg = seat_config(&t, 0, "big", false, NULL);
    char key[16];
    for (int i = 1; i <= RICOCHET_PROPS_MAX; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(ricochet_config_set_room_prop(cfg, key, "v"), RICOCHET_OK);
    }
    assert_int_equal(ricochet_config_set_room_prop(cfg, "k9", "v"), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "at most 8 keys"));
    assert_int_equal(ricochet_config_set_room_prop(cfg, "a b", "v"), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "key 'a b'"));
    /* the relay refuses a size past its rooms', naming its bound */
    assert_int_equal(ricochet_config_set_room_size(cfg, 9), RICOCHET_OK);
    seat_wait(&t, 0, cfg, RICOCHET_EV_DISCONNECTED);
    assert_string_equal(t.ev.code, "bad_field");
    assert_non_null(strstr(ricochet_end_reason(t.cs[0]), "size: 1..8 members"));
    table_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(made_listed_filtered_and_matched),
        cmocka_unit_test(must_exist),
        cmocka_unit_test(closed_until_its_owner_opens_it),
        cmocka_unit_test(an_owner_who_leaves_hands_the_room_on),
        cmocka_unit_test(opened_stays_open_across_a_restart),
        cmocka_unit_test(past_the_bounds_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
