/* test_player.c: a player's key and player id (proto/player.c) and the
 * control fields that carry them (PROTOCOL.md, "Players who come back"):
 * keys drawn fresh, 32 lowercase hex digits; the player id a fixed hash of
 * the key (BLAKE2b-128's first 8 bytes, pinned), never the key; the join's
 * key, the welcome's key and player, each roster entry's, joined's and
 * left's player and joined's rejoined round trip; a key or player id of
 * another length, case or alphabet is refused (PROTO_E_VALUE, bad_field),
 * never sent; messages without them decode as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/player.h"

static struct proto_control *msg; /* large (roster): one on the heap */
static char buf[PROTO_CONTROL_MAX];

static int setup(void **state)
{
    (void)state;
    msg = calloc(1, sizeof *msg);
    return msg && sodium_init() >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(msg);
    return 0;
}

static int decode(const char *json)
{
    return proto_control_decode(json, strlen(json), msg, NULL, 0);
}

#define KEY "00112233445566778899aabbccddeeff"

static void keys_are_drawn_and_hashed(void **state)
{
    (void)state;
    char a[PROTO_KEY_LEN + 1], b[PROTO_KEY_LEN + 1], player[PROTO_PLAYER_LEN + 1];
    proto_key_draw(a);
    proto_key_draw(b);
    assert_true(proto_key_valid(a) && proto_key_valid(b));
    assert_string_not_equal(a, b);
    proto_player_of(KEY, player);
    assert_true(proto_player_valid(player));
    /* printf %s 00112233445566778899aabbccddeeff | b2sum -l 128: its first 16 digits */
    assert_string_equal(player, "cf9921f4f6261929");
    assert_null(strstr(KEY, player)); /* not a piece of the key */
    assert_false(proto_key_valid("00112233445566778899AABBCCDDEEFF"));
    assert_false(proto_key_valid("0011"));
    assert_false(proto_key_valid(KEY "00"));
    assert_false(proto_player_valid(KEY));
    assert_false(proto_player_valid("0123456789abcdeg"));
    assert_true(proto_player_valid("0123456789abcdef"));
}

static void fields_round_trip(void **state)
{
    (void)state;
    struct proto_control in;
    proto_control_init(&in, PROTO_CTL_JOIN);
    snprintf(in.room, sizeof in.room, "r");
    snprintf(in.name, sizeof in.name, "n");
    snprintf(in.key, sizeof in.key, KEY);
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->key, KEY);

    proto_control_init(&in, PROTO_CTL_WELCOME);
    in.id = 7;
    snprintf(in.room, sizeof in.room, "r");
    snprintf(in.key, sizeof in.key, KEY);
    proto_player_of(KEY, in.player);
    in.roster_len = 1;
    memset(&in.roster[0], 0, sizeof in.roster[0]);
    in.roster[0].id = 8;
    snprintf(in.roster[0].name, sizeof in.roster[0].name, "m");
    snprintf(in.roster[0].player, sizeof in.roster[0].player, "0123456789abcdef");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->key, KEY);
    assert_string_equal(msg->player, in.player);
    assert_string_equal(msg->roster[0].player, "0123456789abcdef");

    for (int type = PROTO_CTL_JOINED; type <= PROTO_CTL_LEFT; type++) {
        proto_control_init(&in, (enum proto_ctl_type)type);
        in.id = 8;
        snprintf(in.name, sizeof in.name, "m");
        snprintf(in.player, sizeof in.player, "0123456789abcdef");
        in.rejoined = type == PROTO_CTL_JOINED;
        assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
        assert_int_equal(decode(buf), PROTO_OK);
        assert_string_equal(msg->player, "0123456789abcdef");
        assert_int_equal(msg->rejoined, type == PROTO_CTL_JOINED);
    }
}

static void bad_ones_refused_absent_ones_fine(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"n\","
                            "\"key\":\"00112233445566778899AABBCCDDEEFF\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"n\","
                            "\"key\":12}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":1,\"name\":\"m\",\"player\":\"01\"}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":1,\"name\":\"m\",\"rejoined\":1}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"left\",\"id\":1,\"name\":\"m\",\"reason\":\"quit\","
                            "\"player\":\"0123456789ABCDEF\"}"), PROTO_E_VALUE);
    /* A relay from before keys: none of them, and all is as it was. */
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":"
                            "[{\"id\":2,\"name\":\"m\",\"state\":null}]}"), PROTO_OK);
    assert_string_equal(msg->key, "");
    assert_string_equal(msg->roster[0].player, "");
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":1,\"name\":\"m\"}"), PROTO_OK);
    assert_false(msg->rejoined);
    /* Never sent invalid. */
    struct proto_control in;
    proto_control_init(&in, PROTO_CTL_JOIN);
    snprintf(in.room, sizeof in.room, "r");
    snprintf(in.name, sizeof in.name, "n");
    snprintf(in.key, sizeof in.key, "not-a-key");
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_are_drawn_and_hashed),
        cmocka_unit_test(fields_round_trip),
        cmocka_unit_test(bad_ones_refused_absent_ones_fine),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
