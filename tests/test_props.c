/* test_props.c: a room's properties (proto/props.c) and the control fields
 * that carry them: bounds refused in words (keys, values, bytes, a key
 * twice, non-string values), match, and round trips of a join's room
 * settings, a room message and a listing with props (escapes included);
 * the room as it is in a welcome and pushed as a room message (owner,
 * props, open, listed, size); the bytes props add to a listing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/control.h"

static struct proto_control the_msg; /* large (roster): not on the stack */
static struct proto_control *const msg = &the_msg;
static char buf[PROTO_CONTROL_MAX];
static char why[PROTO_TEXT_MAX + 1];

/* json decoded into msg, its reason into why. */
#define decode(json) proto_control_decode((json), strlen(json), msg, why, sizeof why)

static void bounds_in_words(void **state)
{
    (void)state;
    struct proto_props p = {0};
    char key[32], value[80];
    for (int i = 1; i <= PROTO_PROPS_KEYS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(proto_props_add(&p, "props", key, "v", why, sizeof why), 0);
    }
    assert_int_equal(proto_props_add(&p, "props", "k9", "v", why, sizeof why), -1);
    assert_string_equal(why, "props: at most 8 keys (k9 is the ninth)");
    /* The words name the field the caller gives, never rewritten after. */
    assert_int_equal(proto_props_add(&p, "match", "k9", "v", why, sizeof why), -1);
    assert_string_equal(why, "match: at most 8 keys (k9 is the ninth)");
    memset(&p, 0, sizeof p);
    assert_int_equal(proto_props_add(&p, "props", "", "v", why, sizeof why), -1);
    assert_int_equal(proto_props_add(&p, "props", "0123456789abcdefg", "v", why, sizeof why), -1);
    assert_non_null(strstr(why, "1..16 bytes"));
    memset(value, 'x', 65);
    value[65] = '\0';
    assert_int_equal(proto_props_add(&p, "props", "map", value, why, sizeof why), -1);
    assert_non_null(strstr(why, "0..64 bytes"));
    assert_int_equal(proto_props_add(&p, "props", "map", "a\x1b", why, sizeof why), -1);
    value[64] = '\0'; /* 4 keys of 16 bytes with 64-byte values: 320 > 256 */
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "key-%011d", i);
        assert_int_equal(proto_props_add(&p, "props", key, value, why, sizeof why), 0);
    }
    assert_int_equal(proto_props_add(&p, "props", "key-99999999999", value, why, sizeof why), -1);
    assert_non_null(strstr(why, "256 bytes together"));
    assert_int_equal(proto_props_add(&p, "props", "key-00000000000", "v", why, sizeof why), -1);
    assert_non_null(strstr(why, "given twice"));
}

static void decoded_with_words(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\","
                            "\"props\":{\"k1\":\"\",\"k2\":\"\",\"k3\":\"\",\"k4\":\"\","
                            "\"k5\":\"\",\"k6\":\"\",\"k7\":\"\",\"k8\":\"\",\"k9\":\"\"}}"),
                     PROTO_E_VALUE);
    assert_string_equal(msg->fault.field, "props");
    assert_string_equal(why, "props: at most 8 keys (k9 is the ninth)");
    assert_int_equal(decode("{\"type\":\"rooms\",\"match\":{\"skill\":3}}"), PROTO_E_FIELD_TYPE);
    assert_string_equal(why, "match: every value is a string");
    assert_int_equal(decode("{\"type\":\"rooms\",\"match\":{\"a b\":\"x\"}}"), PROTO_E_VALUE);
    assert_string_equal(msg->fault.field, "match");
    assert_non_null(strstr(why, "match: key 'a b'"));
    assert_int_equal(decode("{\"type\":\"room\",\"props\":[]}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\","
                            "\"size\":0}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\","
                            "\"open\":1}"), PROTO_E_FIELD_TYPE);
}

static void matched(void **state)
{
    (void)state;
    struct proto_props have = {0}, want = {0};
    proto_props_add(&have, "props", "map", "dust", NULL, 0);
    proto_props_add(&have, "props", "mode", "ctf", NULL, 0);
    assert_true(proto_props_match(&have, &want)); /* an empty match: any room */
    proto_props_add(&want, "props", "mode", "ctf", NULL, 0);
    assert_true(proto_props_match(&have, &want));
    proto_props_add(&want, "props", "map", "mill", NULL, 0);
    assert_false(proto_props_match(&have, &want));
    assert_false(proto_props_match(&want, &have)); /* mill is not dust */
    assert_string_equal(proto_props_get(&have, "map"), "dust");
    assert_null(proto_props_get(&have, "skill"));
}

static void round_trips(void **state)
{
    (void)state;
    proto_control_init(msg, PROTO_CTL_JOIN);
    msg->version = PROTO_VERSION;
    strcpy(msg->room, "arena");
    strcpy(msg->name, "alice");
    proto_props_add(&msg->props, "props", "map", "say \"hi\" \\o/", NULL, 0);
    msg->size = 4;
    msg->closed = true;
    msg->unlisted = true;
    msg->exists = true;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(proto_props_get(&msg->props, "map"), "say \"hi\" \\o/");
    assert_int_equal(msg->size, 4);
    assert_true(msg->closed && msg->unlisted && msg->exists);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\"}"),
                     PROTO_OK);
    assert_false(msg->closed || msg->unlisted || msg->exists); /* the defaults */

    proto_control_init(msg, PROTO_CTL_ROOM);
    msg->room_set = PROTO_ROOM_SET_OPEN;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"room\",\"open\":true}");
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->room_set, PROTO_ROOM_SET_OPEN);
    assert_false(msg->closed);

    /* a listing: props written directly, escapes and all, read back */
    proto_control_init(msg, PROTO_CTL_ROOMS);
    msg->listing = true;
    msg->rooms_len = 2;
    strcpy(msg->rooms[0].room, "a");
    msg->rooms[0].capacity = 4;
    msg->rooms[0].closed = true;
    memset(&msg->rooms_props[0], 0, sizeof msg->rooms_props[0]);
    proto_props_add(&msg->rooms_props[0], "props", "map", "\"dust\"\\", NULL, 0);
    proto_props_add(&msg->rooms_props[0], "props", "mode", "", NULL, 0);
    strcpy(msg->rooms[1].room, "b");
    memset(&msg->rooms_props[1], 0, sizeof msg->rooms_props[1]);
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"rooms\",\"rooms\":[{\"room\":\"a\",\"members\":0,"
                             "\"capacity\":4,\"open\":false,\"props\":{\"map\":"
                             "\"\\\"dust\\\"\\\\\",\"mode\":\"\"}},{\"room\":\"b\","
                             "\"members\":0,\"capacity\":0}],\"more\":false}");
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->rooms[0].closed);
    assert_false(msg->rooms[1].closed);
    assert_string_equal(proto_props_get(&msg->rooms_props[0], "map"), "\"dust\"\\");
    assert_int_equal(msg->rooms_props[1].n, 0);
}

/* The room as it is, in a welcome and pushed to its members as a room
 * message: owner, props (always, {} when none), open, listed, size; read
 * back whole. A room message without a room is a client's request; a
 * welcome from a relay before these fields reads as no owner, no props. */
static void room_as_it_is(void **state)
{
    (void)state;
    proto_control_init(msg, PROTO_CTL_ROOM);
    strcpy(msg->room, "cave");
    strcpy(msg->owner, "0123456789abcdef");
    proto_props_add(&msg->props, "props", "map", "arena", NULL, 0);
    msg->size = 3;
    msg->unlisted = true;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"room\",\"room\":\"cave\",\"owner\":"
                             "\"0123456789abcdef\",\"props\":{\"map\":\"arena\"},"
                             "\"open\":true,\"listed\":false,\"size\":3}");
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->room, "cave");
    assert_string_equal(msg->owner, "0123456789abcdef");
    assert_string_equal(proto_props_get(&msg->props, "map"), "arena");
    assert_int_equal(msg->size, 3);
    assert_true(msg->unlisted && !msg->closed);
    proto_control_init(msg, PROTO_CTL_ROOM); /* no owner, no props */
    strcpy(msg->room, "cave");
    msg->size = 64;
    msg->closed = true;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"room\",\"room\":\"cave\",\"owner\":\"\","
                             "\"props\":{},\"open\":false,\"listed\":true,\"size\":64}");
    strcpy(msg->owner, "ABC");
    assert_int_equal(proto_control_encode(buf, sizeof buf, msg), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"room\",\"room\":\"cave\",\"owner\":\"xyz\"}"),
                     PROTO_E_VALUE);

    proto_control_init(msg, PROTO_CTL_WELCOME);
    msg->id = 1;
    strcpy(msg->room, "cave");
    strcpy(msg->owner, "fedcba9876543210");
    proto_props_add(&msg->props, "props", "map", "arena", NULL, 0);
    msg->size = 3;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_non_null(strstr(buf, "\"owner\":\"fedcba9876543210\",\"props\":{\"map\":"
                                "\"arena\"},\"open\":true,\"listed\":true,\"size\":3"));
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->owner, "fedcba9876543210");
    assert_string_equal(proto_props_get(&msg->props, "map"), "arena");
    assert_int_equal(msg->size, 3);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":[]}"),
                     PROTO_OK);
    assert_true(msg->owner[0] == '\0' && msg->props.n == 0 && msg->size == 0);
}

/* What props add to a listing: 64 rooms with {"map":"dust","mode":"ctf"}
 * against none, and a page at every bound still within one message. */
static void listing_growth(void **state)
{
    (void)state;
    int len[2];
    for (int with = 0; with < 2; with++) {
        proto_control_init(msg, PROTO_CTL_ROOMS);
        msg->listing = true;
        msg->rooms_len = PROTO_ROOMS_PAGE;
        for (int i = 0; i < PROTO_ROOMS_PAGE; i++) {
            snprintf(msg->rooms[i].room, sizeof msg->rooms[i].room, "arena-%d", i + 1);
            msg->rooms[i].members = 3;
            msg->rooms[i].capacity = 8;
            memset(&msg->rooms_props[i], 0, sizeof msg->rooms_props[i]);
            if (with) {
                proto_props_add(&msg->rooms_props[i], "props", "map", "dust", NULL, 0);
                proto_props_add(&msg->rooms_props[i], "props", "mode", "ctf", NULL, 0);
            }
        }
        len[with] = proto_control_encode(buf, sizeof buf, msg);
    }
    print_message("a listing of 64 rooms: %d bytes, with props {map:dust,mode:ctf} %d: "
                  "%d bytes a room\n", len[0], len[1], (len[1] - len[0]) / PROTO_ROOMS_PAGE);
    assert_int_equal(len[1] - len[0], 36 * PROTO_ROOMS_PAGE); /* ,"props":{...} */
    for (size_t i = 0; i < PROTO_ROOMS_PAGE; i++) { /* 8 keys, 256 bytes, every one escaped */
        memset(msg->rooms[i].room, 'r', PROTO_ROOM_MAX);
        snprintf(msg->rooms[i].room + PROTO_ROOM_MAX - 2, 3, "%02zu", i % 100);
        msg->rooms[i].members = msg->rooms[i].capacity = 4000;
        msg->rooms[i].closed = true;
        memset(&msg->rooms_props[i], 0, sizeof msg->rooms_props[i]);
        for (int k = 0; k < PROTO_PROPS_KEYS; k++) {
            char key[16], value[29] = "";
            snprintf(key, sizeof key, "key%d", k);
            memset(value, '"', 28);
            assert_int_equal(proto_props_add(&msg->rooms_props[i], "props", key, value, NULL, 0), 0);
        }
    }
    int most = proto_control_encode(buf, sizeof buf, msg);
    print_message("a page at every bound: %d bytes\n", most);
    assert_true(most > 0 && most < PROTO_CONTROL_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bounds_in_words),
        cmocka_unit_test(decoded_with_words),
        cmocka_unit_test(matched),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(room_as_it_is),
        cmocka_unit_test(listing_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
