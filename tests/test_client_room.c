/* test_client_room.c: libricochet's player key across sessions and its
 * view of my room (ricochet.h: ricochet_config_set_key;
 * "my room as it is"). A saved key goes out in the first join, a bad one
 * is refused by its setter; the welcome's room settings and owner are read
 * back, a `room` message from the relay is an event (RICOCHET_EV_ROOM, not
 * bad input) that replaces them, one for another room is dropped, and the
 * error not_owner is an error event that ends nothing. Sessions are
 * detached (client_test.h): the test plays the relay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/client.h"
#include "client/lib/client_test.h"
#include "client/lib/ricochet.h"
#include "proto/mode.h"

#define T0 1000000000ull
#define KEY "0123456789abcdef0123456789abcdef"
#define ME "1111111111111111"
#define OTHER "2222222222222222"

/* A detached session named "me" in room "cave", with key if not NULL. */
static struct ricochet *session(const char *key)
{
    struct ricochet_config *cfg = ricochet_config_new();
    char err[200];
    assert_int_equal(ricochet_config_set_relay(cfg, "relay.example", 7000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "cave"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, "me"), RICOCHET_OK);
    if (key)
        assert_int_equal(ricochet_config_set_key(cfg, key), RICOCHET_OK);
    struct ricochet *r = client_connect_detached(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    assert_non_null(r);
    return r;
}

/* The relay says json on the control channel: client_receive's answer. */
static int relay_says(struct ricochet *r, const char *json, struct ricochet_event *ev)
{
    return client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, (const uint8_t *)json,
                          strlen(json), T0, ev);
}

static void key_setter_checks(void **state)
{
    (void)state;
    struct ricochet_config *cfg = ricochet_config_new();
    assert_int_equal(ricochet_config_set_key(cfg, "0123"), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "32 lowercase hex digits"));
    assert_int_equal(ricochet_config_set_key(cfg, "0123456789ABCDEF0123456789ABCDEF"),
                     RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_key(cfg, KEY), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_key(cfg, NULL), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_key(cfg, ""), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_key(NULL, KEY), RICOCHET_E_INVALID);
    ricochet_config_free(cfg);
}

static void saved_key_goes_in_the_first_join(void **state)
{
    (void)state;
    uint8_t join[4096];
    struct ricochet *r = session(KEY);
    size_t n = client_last_control(r, join, sizeof join - 1);
    assert_true(n > 0);
    join[n] = '\0';
    assert_non_null(strstr((const char *)join, "\"key\":\"" KEY "\""));
    assert_string_equal(ricochet_key(r), KEY); /* until the welcome says otherwise */
    ricochet_close(r);
    /* without one, the join says none */
    r = session(NULL);
    n = client_last_control(r, join, sizeof join - 1);
    join[n] = '\0';
    assert_null(strstr((const char *)join, "\"key\""));
    assert_string_equal(ricochet_key(r), "");
    ricochet_close(r);
}

static void welcome_says_the_room(void **state)
{
    (void)state;
    struct ricochet_event ev;
    struct ricochet *r = session(KEY);
    assert_int_equal(relay_says(r, "{\"type\":\"welcome\",\"id\":3,\"room\":\"cave\",\"key\":\"" KEY
                                   "\",\"player\":\"" ME "\",\"owner\":\"" ME
                                   "\",\"props\":{\"map\":\"dust\"},\"open\":false,"
                                   "\"listed\":true,\"size\":4,\"roster\":[]}",
                                &ev),
                     1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_string_equal(ricochet_player(r, 0), ME);
    assert_string_equal(ricochet_room_owner(r), ME);
    assert_true(ricochet_room_mine(r));
    assert_false(ricochet_room_open(r));
    assert_true(ricochet_room_listed(r));
    assert_int_equal(ricochet_room_size(r), 4);
    struct ricochet_prop props[RICOCHET_PROPS_MAX];
    assert_int_equal(ricochet_room_props(r, props, RICOCHET_PROPS_MAX), 1);
    assert_string_equal(props[0].key, "map");
    assert_string_equal(props[0].value, "dust");
    assert_int_equal(client_bad_messages(r), 0);
    ricochet_close(r);
}

static void room_message_is_an_event(void **state)
{
    (void)state;
    struct ricochet_event ev;
    struct ricochet *r = session(NULL);
    /* before the welcome: nothing to tell, and no fault */
    assert_int_equal(relay_says(r, "{\"type\":\"room\",\"room\":\"cave\",\"owner\":\"" OTHER
                                   "\",\"props\":{},\"open\":true,\"listed\":true,\"size\":3}",
                                &ev),
                     0);
    assert_int_equal(relay_says(r, "{\"type\":\"welcome\",\"id\":3,\"room\":\"cave\",\"key\":\"" KEY
                                   "\",\"player\":\"" ME "\",\"owner\":\"" OTHER
                                   "\",\"props\":{},\"open\":true,\"listed\":true,\"size\":3,"
                                   "\"roster\":[]}",
                                &ev),
                     1);
    assert_false(ricochet_room_mine(r));
    assert_string_equal(ricochet_room_owner(r), OTHER);
    assert_int_equal(ricochet_room_props(r, NULL, 0), 0);
    /* the owner hands the room to me, closed, with props */
    assert_int_equal(relay_says(r, "{\"type\":\"room\",\"room\":\"cave\",\"owner\":\"" ME
                                   "\",\"props\":{\"mode\":\"ctf\",\"map\":\"dust\"},"
                                   "\"open\":false,\"listed\":false,\"size\":3}",
                                &ev),
                     1);
    assert_int_equal(ev.type, RICOCHET_EV_ROOM);
    assert_int_equal(ev.id, 3);
    assert_true(ricochet_room_mine(r));
    assert_string_equal(ricochet_room_owner(r), ME);
    assert_false(ricochet_room_open(r));
    assert_false(ricochet_room_listed(r));
    struct ricochet_prop props[1];
    assert_int_equal(ricochet_room_props(r, props, 1), 2); /* two, one copied */
    assert_string_equal(props[0].key, "mode");
    assert_int_equal(client_bad_messages(r), 0);
    /* another room's: dropped, counted, the view unchanged */
    assert_int_equal(relay_says(r, "{\"type\":\"room\",\"room\":\"hall\",\"owner\":\"" OTHER
                                   "\",\"open\":true}",
                                &ev),
                     0);
    assert_int_equal(client_bad_messages(r), 1);
    assert_string_equal(ricochet_room_owner(r), ME);
    /* a room with no owner: "" */
    assert_int_equal(relay_says(r, "{\"type\":\"room\",\"room\":\"cave\",\"owner\":\"\","
                                   "\"props\":{},\"open\":true,\"listed\":true,\"size\":3}",
                                &ev),
                     1);
    assert_string_equal(ricochet_room_owner(r), "");
    assert_false(ricochet_room_mine(r));
    assert_true(ricochet_room_open(r));
    ricochet_close(r);
}

/* A relay from before owners: the welcome says no room; the defaults. */
static void older_relay_says_no_room(void **state)
{
    (void)state;
    struct ricochet_event ev;
    struct ricochet *r = session(NULL);
    assert_int_equal(relay_says(r, "{\"type\":\"welcome\",\"id\":3,\"room\":\"cave\",\"key\":\"" KEY
                                   "\",\"player\":\"" ME "\",\"roster\":[]}",
                                &ev),
                     1);
    assert_string_equal(ricochet_room_owner(r), "");
    assert_true(ricochet_room_open(r) && ricochet_room_listed(r));
    assert_int_equal(ricochet_room_size(r), 0);
    assert_false(ricochet_room_mine(r));
    /* a creator's LEFT still names the owner */
    assert_int_equal(relay_says(r, "{\"type\":\"left\",\"id\":2,\"name\":\"ann\",\"player\":\"" OTHER
                                   "\",\"reason\":\"quit\",\"creator\":\"" ME "\"}",
                                &ev),
                     1);
    assert_true(ricochet_room_mine(r));
    assert_string_equal(ricochet_room_owner(r), ME);
    ricochet_close(r);
}

static void not_owner_is_an_error_event(void **state)
{
    (void)state;
    struct ricochet_event ev;
    struct ricochet *r = session(NULL);
    assert_int_equal(relay_says(r, "{\"type\":\"welcome\",\"id\":3,\"room\":\"cave\",\"key\":\"" KEY
                                   "\",\"player\":\"" ME "\",\"roster\":[]}",
                                &ev),
                     1);
    assert_int_equal(relay_says(r, "{\"type\":\"error\",\"code\":\"not_owner\",\"message\":"
                                   "\"the kept key 'coin0' is another player's\"}",
                                &ev),
                     1);
    assert_int_equal(ev.type, RICOCHET_EV_ERROR);
    assert_string_equal(ev.code, "not_owner");
    assert_non_null(strstr(ev.text, "coin0"));
    assert_true(ricochet_joined(r));
    assert_int_equal(ricochet_poll(r, 0, &ev), 0); /* no DISCONNECTED follows */
    ricochet_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_setter_checks),
        cmocka_unit_test(saved_key_goes_in_the_first_join),
        cmocka_unit_test(welcome_says_the_room),
        cmocka_unit_test(room_message_is_an_event),
        cmocka_unit_test(older_relay_says_no_room),
        cmocka_unit_test(not_owner_is_an_error_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
