/* test_e2e_room_view.c: my room as the relay says it, through the library
 * (ricochet.h, "my room as it is") against a real relay over ENet:
 * the welcome says the room's owner, props, open, listed and size
 * (ricochet_room_mine for its owner, not for another member); the owner's
 * change is RICOCHET_EV_ROOM to the others, with the room as it is now; a
 * member that is not the owner clearing another's kept event is refused
 * RICOCHET_EV_ERROR not_owner (its session goes on), the owner clearing it
 * is not; an owner that leaves hands the room on, and its heir is told
 * (RICOCHET_EV_ROOM, ricochet_room_mine); and a room kept in the relay's
 * --room-file outlives a SIGKILL: a member that joined without props,
 * back first, finds the room as kept (props, size, owner), its owner back
 * owns it, and a newcomer gets its kept event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define SEATS 3

static struct ricochet *seat(uint16_t port, const char *room, const char *name,
                             const char *props, uint32_t size, uint32_t rejoin_ms)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    if (props) {
        char k[17], v[65];
        assert_int_equal(sscanf(props, "%16[^=]=%64s", k, v), 2);
        assert_int_equal(ricochet_config_set_room_prop(cfg, k, v), RICOCHET_OK);
    }
    assert_int_equal(ricochet_config_set_room_size(cfg, size), RICOCHET_OK);
    if (rejoin_ms)
        assert_int_equal(ricochet_config_set_rejoin(cfg, rejoin_ms), RICOCHET_OK);
    return players_connect(cfg);
}

/* The room's value of key as r sees it ("" if none). */
static const char *prop(struct ricochet *r, const char *key)
{
    static struct ricochet_prop props[RICOCHET_PROPS_MAX];
    size_t n = ricochet_room_props(r, props, RICOCHET_PROPS_MAX);
    for (size_t i = 0; i < n && i < RICOCHET_PROPS_MAX; i++)
        if (strcmp(props[i].key, key) == 0)
            return props[i].value;
    return "";
}

static void start(struct spawn_proc *relay, uint16_t *port, const char *const *more)
{
    const char *args[8] = {"--log-level", "warn"};
    size_t n = 2;
    for (; more && *more && n < 7; more++)
        args[n++] = *more;
    args[n] = NULL;
    int p = harness_start_relay(relay, args);
    assert_true(p > 0);
    *port = (uint16_t)p;
}

static void stop(struct spawn_proc *relay, struct ricochet **cs)
{
    for (size_t i = 0; i < SEATS; i++)
        ricochet_close(cs[i]);
    free(harness_relay_finish(relay));
    spawn_free(relay);
}

static void owner_changes_others_see_it(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port;
    struct ricochet *cs[SEATS] = {0};
    struct ricochet_event ev;
    start(&relay, &port, NULL);
    cs[0] = seat(port, "cave", "ann", "map=dust", 3, 0);
    players_wait_event(cs, SEATS, 0, RICOCHET_EV_WELCOME, &ev);
    assert_string_equal(ricochet_room_owner(cs[0]), ricochet_player(cs[0], 0));
    assert_true(ricochet_room_mine(cs[0]));
    assert_string_equal(prop(cs[0], "map"), "dust");
    assert_true(ricochet_room_open(cs[0]) && ricochet_room_listed(cs[0]));
    assert_int_equal(ricochet_room_size(cs[0]), 3);
    cs[1] = seat(port, "cave", "bob", NULL, 0, 0);
    players_wait_event(cs, SEATS, 1, RICOCHET_EV_WELCOME, &ev);
    assert_string_equal(ricochet_room_owner(cs[1]), ricochet_player(cs[0], 0));
    assert_false(ricochet_room_mine(cs[1]));
    assert_string_equal(prop(cs[1], "map"), "dust"); /* the room's, not bob's join's */
    assert_int_equal(ricochet_room_size(cs[1]), 3);

    assert_int_equal(ricochet_set_room_listed(cs[0], false), RICOCHET_OK);
    players_wait_event(cs, SEATS, 1, RICOCHET_EV_ROOM, &ev);
    assert_false(ricochet_room_listed(cs[1]));
    assert_string_equal(prop(cs[1], "map"), "dust");

    /* bob keeps coin0; cid, neither its keeper nor the owner, may not clear it */
    assert_int_equal(ricochet_send_kept(cs[1], "coin0", "b", 1, 0), RICOCHET_OK);
    players_wait_event(cs, SEATS, 0, RICOCHET_EV_EVENT, &ev);
    cs[2] = seat(port, "cave", "cid", NULL, 0, 0);
    players_wait_event(cs, SEATS, 2, RICOCHET_EV_WELCOME, &ev);
    assert_int_equal(ricochet_send_kept(cs[2], "coin0", NULL, 0, 0), RICOCHET_OK);
    players_wait_event(cs, SEATS, 2, RICOCHET_EV_ERROR, &ev);
    assert_string_equal(ev.code, "not_owner");
    assert_non_null(strstr(ev.text, "coin0"));
    assert_true(ricochet_joined(cs[2]));
    /* the owner may */
    assert_int_equal(ricochet_send_kept(cs[0], "coin0", NULL, 0, 0), RICOCHET_OK);
    players_wait_event(cs, SEATS, 1, RICOCHET_EV_EVENT, &ev);
    assert_string_equal(ricochet_event_key(cs[1]), "coin0");
    size_t len = 1;
    ricochet_event_bytes(cs[1], &len);
    assert_int_equal(len, 0);

    /* ann leaves: bob, longest in, owns it, and is told */
    char ann[17];
    snprintf(ann, sizeof ann, "%s", ricochet_player(cs[0], 0));
    ricochet_close(cs[0]);
    cs[0] = NULL;
    for (int i = 0; i < 5 && !ricochet_room_mine(cs[1]); i++)
        players_wait_event(cs, SEATS, 1, RICOCHET_EV_ROOM, &ev);
    assert_true(ricochet_room_mine(cs[1]));
    assert_string_equal(ricochet_room_owner(cs[1]), ricochet_player(cs[1], 0));
    assert_string_not_equal(ricochet_room_owner(cs[1]), ann);
    stop(&relay, cs);
}

static void a_kept_room_outlives_a_kill(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-roomview-XXXXXX", file[64];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/rooms.json", dir);
    const char *more[] = {"--room-file", file, NULL};
    struct spawn_proc relay;
    uint16_t port;
    struct ricochet *cs[SEATS] = {0};
    struct ricochet_event ev;
    start(&relay, &port, more);
    cs[0] = seat(port, "keep", "ann", "map=dust", 4, 20000);
    players_wait_event(cs, SEATS, 0, RICOCHET_EV_WELCOME, &ev);
    cs[1] = seat(port, "keep", "bob", NULL, 0, 20000);
    players_wait_event(cs, SEATS, 1, RICOCHET_EV_WELCOME, &ev);
    char owner[17];
    snprintf(owner, sizeof owner, "%s", ricochet_player(cs[0], 0));
    assert_int_equal(ricochet_send_kept(cs[0], "flag", "red", 3, RICOCHET_KEEP_STAY), RICOCHET_OK);
    players_wait_event(cs, SEATS, 1, RICOCHET_EV_EVENT, &ev);
    usleep(300000); /* past the relay's 100 ms of writing */

    assert_int_equal(spawn_stop(&relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&relay);
    char url[40];
    snprintf(url, sizeof url, "enet://127.0.0.1:%u", (unsigned)port);
    const char *args[] = {"--log-level", "warn", "--listen", url, "--room-file", file, NULL};
    assert_true(harness_start_relay(&relay, args) > 0);

    /* bob, who joined without props, back first (ann not polled yet) */
    players_wait_event(&cs[1], 1, 0, RICOCHET_EV_WELCOME, &ev);
    assert_string_equal(prop(cs[1], "map"), "dust");
    assert_int_equal(ricochet_room_size(cs[1]), 4);
    assert_string_equal(ricochet_room_owner(cs[1]), owner);
    assert_false(ricochet_room_mine(cs[1]));
    players_wait_event(cs, SEATS, 0, RICOCHET_EV_WELCOME, &ev);
    assert_string_equal(ricochet_player(cs[0], 0), owner);
    assert_true(ricochet_room_mine(cs[0]));
    cs[2] = seat(port, "keep", "cid", NULL, 0, 0);
    players_wait_event(cs, SEATS, 2, RICOCHET_EV_EVENT, &ev);
    assert_string_equal(ev.code, "kept");
    assert_string_equal(ricochet_event_key(cs[2]), "flag");
    size_t len = 0;
    const uint8_t *body = ricochet_event_bytes(cs[2], &len);
    assert_int_equal(len, 3);
    assert_memory_equal(body, "red", 3);
    stop(&relay, cs);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(owner_changes_others_see_it),
        cmocka_unit_test(a_kept_room_outlives_a_kill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
