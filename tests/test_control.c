/* test_control.c: every JSON control message: round trips, unknown fields
 * ignored, every missing / wrong-typed / out-of-range field rejected with its
 * code, PROTOCOL.md's encoding rules (escapes, number forms, the decoder's
 * leniencies) case by case */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "stats/rng.h"
#include "proto/wire.h"

static struct proto_control *msg;  /* large (roster): one on the heap */
static char buf[PROTO_CONTROL_MAX];
static char why[128];

static int setup(void **state)
{
    (void)state;
    msg = calloc(1, sizeof *msg);
    return msg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(msg);
    return 0;
}

static int decode(const char *json)
{
    return proto_control_decode(json, strlen(json), msg, why, sizeof why);
}

static void join_round_trip(void **state)
{
    (void)state;
    struct proto_control in = { .type = PROTO_CTL_JOIN, .mode = PROTO_MODE_RELIABLE,
                                .reflect = true, .batch = true, .batch_kept = true };
    strcpy(in.room, "lobby");
    strcpy(in.name, "alice-1");
    int n = proto_control_encode(buf, sizeof buf, &in);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->type, PROTO_CTL_JOIN);
    assert_string_equal(msg->room, "lobby");
    assert_string_equal(msg->name, "alice-1");
    assert_int_equal(msg->mode, PROTO_MODE_RELIABLE);
    assert_true(msg->reflect);
    assert_true(msg->batch);
    assert_true(msg->batch_kept);
    assert_int_equal(msg->version, PROTO_VERSION);
    in.batch = false; /* said only when asked: an older relay's join stays as it was */
    in.batch_kept = false;
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_null(strstr(buf, "batch"));
    /* a version-1 client says nothing: version 1 */
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\"}"), PROTO_OK);
    assert_int_equal(msg->version, 1);
}

/* Rooms with interest: the radius a join asks for and a welcome states,
 * and the notices of who comes into sight and goes out of it. */
static void interest_round_trip(void **state)
{
    (void)state;
    struct proto_control in = { .type = PROTO_CTL_JOIN, .aoi = 12.5f };
    strcpy(in.room, "world");
    strcpy(in.name, "a");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->aoi == 12.5f);
    in.aoi = 0; /* none: left out */
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_null(strstr(buf, "aoi"));
    in.aoi = PROTO_AOI_MIN / 2;
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
    const char *bad[] = {
        "{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"aoi\":-1}",
        "{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"aoi\":0.001}",
        "{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"aoi\":1e9}",
        "{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":[],\"aoi\":-2}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (decode(bad[i]) != PROTO_E_VALUE)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"aoi\":\"x\"}"),
                     PROTO_E_FIELD_TYPE);

    struct proto_control ap = { .type = PROTO_CTL_APPEARED, .id = 7 };
    ap.member = (struct proto_member){ .id = 7, .mode = PROTO_MODE_SEQUENCED, .has_state = true,
                                       .state = { .seq = 3, .send_us = 9, .x = 1, .y = 2 } };
    strcpy(ap.member.name, "bob");
    assert_true(proto_control_encode(buf, sizeof buf, &ap) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->type, PROTO_CTL_APPEARED);
    assert_int_equal(msg->id, 7);
    assert_string_equal(msg->member.name, "bob");
    assert_int_equal(msg->member.mode, PROTO_MODE_SEQUENCED);
    assert_true(msg->member.has_state);
    assert_int_equal(msg->member.state.sender, 7);
    assert_true(msg->member.state.y == 2);
    assert_int_equal(decode("{\"type\":\"appeared\",\"name\":\"b\"}"), PROTO_E_MISSING);

    assert_int_equal(decode("{\"type\":\"vanished\",\"id\":7}"), PROTO_OK);
    assert_int_equal(msg->type, PROTO_CTL_VANISHED);
    assert_int_equal(msg->id, 7);
    assert_int_equal(decode("{\"type\":\"vanished\"}"), PROTO_E_MISSING);
}

/* A fleet's moved, and the epoch a join carries after one. */
static void moved_round_trip(void **state)
{
    (void)state;
    struct proto_control in = {.type = PROTO_CTL_MOVED, .port = 7001,
                               .transport = PROTO_MODE_UDP, .epoch = 999999999999999ull};
    strcpy(in.room, "lobby");
    strcpy(in.host, "fd00::7");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_non_null(strstr(buf, "\"transport\":\"udp\""));
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->type, PROTO_CTL_MOVED);
    assert_string_equal(msg->room, "lobby");
    assert_string_equal(msg->host, "fd00::7");
    assert_int_equal(msg->port, 7001);
    assert_int_equal(msg->transport, PROTO_MODE_UDP);
    assert_int_equal(msg->epoch, 999999999999999ull);
    assert_false(msg->forwarded); /* a join's moved does not say */
    in.forwarded = true; /* a room's move: the last state passed on */
    in.seq = 4294967295u;
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->forwarded);
    assert_int_equal(msg->seq, 4294967295u);
    in.forwarded = false;
    assert_int_equal(decode("{\"type\":\"moved\",\"room\":\"r\",\"host\":\"relay-2.lan\","
                            "\"port\":7777,\"transport\":\"enet\",\"epoch\":3}"),
                     PROTO_OK);
    assert_int_equal(msg->transport, PROTO_MODE_UNSEQUENCED);
    const char *bad[] = {
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":0,\"transport\":\"enet\",\"epoch\":3}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":65536,\"transport\":\"enet\",\"epoch\":3}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":1,\"transport\":\"tcp\",\"epoch\":3}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":1,\"transport\":\"enet\",\"epoch\":0}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"[::1]\",\"port\":1,\"transport\":\"enet\",\"epoch\":1}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"a b\",\"port\":1,\"transport\":\"enet\",\"epoch\":1}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":1,\"transport\":\"enet\",\"epoch\":1,\"seq\":-1}",
        "{\"type\":\"moved\",\"room\":\"r\",\"host\":\"h\",\"port\":1,\"transport\":\"enet\",\"epoch\":1,\"seq\":4294967296}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (decode(bad[i]) != PROTO_E_VALUE)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(decode("{\"type\":\"moved\",\"room\":\"r\",\"port\":1,"
                            "\"transport\":\"enet\",\"epoch\":1}"),
                     PROTO_E_MISSING);
    in.epoch = 0; /* a moved always names its claim */
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);

    struct proto_control join = {.type = PROTO_CTL_JOIN, .epoch = 42};
    strcpy(join.room, "lobby");
    strcpy(join.name, "a");
    assert_true(proto_control_encode(buf, sizeof buf, &join) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->epoch, 42);
    assert_false(msg->lost);
    join.epoch = 0; /* none: not sent */
    assert_true(proto_control_encode(buf, sizeof buf, &join) > 0);
    assert_null(strstr(buf, "epoch"));
    assert_null(strstr(buf, "lost"));
    join.lost = true; /* a rejoin after the relay that held the room was lost */
    assert_true(proto_control_encode(buf, sizeof buf, &join) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->lost);
    assert_string_equal(msg->lost_relay, "");
    strcpy(join.lost_relay, "[2001:db8::7]:7777"); /* ... and which relay that was */
    assert_true(proto_control_encode(buf, sizeof buf, &join) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->lost_relay, "[2001:db8::7]:7777");
    join.lost = false; /* named only with lost */
    assert_true(proto_control_encode(buf, sizeof buf, &join) > 0);
    assert_null(strstr(buf, "lost_relay"));
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"lost\":1}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"lost\":true,"
                            "\"lost_relay\":\"a b:1\"}"),
                     PROTO_E_VALUE);
}

/* A lobby that stays: a rooms request's watch (absent, true, false) both
 * ways, a listing to a watcher saying it, a watch not a bool refused. */
static void rooms_watch_round_trip(void **state)
{
    (void)state;
    proto_control_init(msg, PROTO_CTL_ROOMS);
    strcpy(msg->prefix, "duel-");
    msg->watch = PROTO_WATCH_ON;
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"rooms\",\"prefix\":\"duel-\",\"watch\":true}");
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->watch, PROTO_WATCH_ON);
    assert_int_equal(decode("{\"type\":\"rooms\",\"watch\":false}"), PROTO_OK);
    assert_int_equal(msg->watch, PROTO_WATCH_OFF);
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"rooms\",\"watch\":false}");
    assert_int_equal(decode("{\"type\":\"rooms\"}"), PROTO_OK);
    assert_int_equal(msg->watch, PROTO_WATCH_NONE);
    const char *pushed = "{\"type\":\"rooms\",\"prefix\":\"d\",\"rooms\":[{\"room\":\"d1\","
                         "\"members\":1,\"capacity\":2}],\"more\":false,\"watch\":true}";
    assert_int_equal(decode(pushed), PROTO_OK);
    assert_true(msg->listing);
    assert_int_equal(msg->watch, PROTO_WATCH_ON);
    assert_int_equal(proto_control_encode(buf, sizeof buf, msg), (int)strlen(pushed));
    assert_string_equal(buf, pushed);
    assert_int_equal(decode("{\"type\":\"rooms\",\"watch\":1}"), PROTO_E_FIELD_TYPE);
}

/* init zeroes every field but the roster (left as it was: clearing its
 * 28 KB per ping was a tenth of a 4000-client generator's CPU) and sets
 * the type; the result encodes like a zeroed struct with that type. */
/* Rooms to list: a request (prefix, after), a listing (rooms, more,
 * partial), and a join of any room; what a decoder refuses of each. */
static void rooms_round_trip(void **state)
{
    (void)state;
    proto_control_init(msg, PROTO_CTL_ROOMS);
    strcpy(msg->prefix, "duel-");
    strcpy(msg->after, "duel-1");
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"rooms\",\"prefix\":\"duel-\",\"after\":\"duel-1\"}");
    assert_int_equal(decode(buf), PROTO_OK);
    assert_false(msg->listing);
    assert_string_equal(msg->prefix, "duel-");
    assert_string_equal(msg->after, "duel-1");
    assert_int_equal(decode("{\"type\":\"rooms\"}"), PROTO_OK);
    assert_string_equal(msg->prefix, "");
    assert_string_equal(msg->after, "");

    proto_control_init(msg, PROTO_CTL_ROOMS);
    msg->listing = true;
    msg->more = true;
    msg->rooms_len = PROTO_ROOMS_PAGE;
    for (size_t i = 0; i < PROTO_ROOMS_PAGE; i++) {
        memset(msg->rooms[i].room, 'r', PROTO_ROOM_MAX); /* the longest entries fit */
        snprintf(msg->rooms[i].room + PROTO_ROOM_MAX - 2, 3, "%02zu", i);
        msg->rooms[i].members = 4000; /* RELAY_CLIENTS_MAX: a page is under 5 KB */
        msg->rooms[i].capacity = 4000;
    }
    msg->rooms[63].capacity = 4294967295u;
    int n = proto_control_encode(buf, sizeof buf, msg);
    assert_true(n > 0 && n < 5000);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->listing && msg->more);
    assert_int_equal(msg->rooms_len, PROTO_ROOMS_PAGE);
    assert_int_equal(msg->rooms[63].capacity, 4294967295u);
    assert_string_equal(msg->rooms[63].room + PROTO_ROOM_MAX - 2, "63");
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":[],\"more\":false}"), PROTO_OK);
    assert_true(msg->listing);
    assert_int_equal(msg->rooms_len, 0);
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, "{\"type\":\"rooms\",\"rooms\":[],\"more\":false}");
    /* written as cJSON writes it; too small a buffer is no space, a bad name
     * no message */
    const char *two = "{\"type\":\"rooms\",\"prefix\":\"d\",\"rooms\":[{\"room\":\"d1\","
                      "\"members\":0,\"capacity\":4294967295},{\"room\":\"d2\",\"members\":1,"
                      "\"capacity\":2}],\"more\":true}";
    assert_int_equal(decode(two), PROTO_OK);
    assert_int_equal(proto_control_encode(buf, sizeof buf, msg), (int)strlen(two));
    assert_string_equal(buf, two);
    assert_int_equal(proto_control_encode(buf, strlen(two), msg), PROTO_E_SPACE);
    strcpy(msg->rooms[1].room, "d 2");
    assert_int_equal(proto_control_encode(buf, sizeof buf, msg), PROTO_E_VALUE);
    /* a fleet's relay whose directory did not answer: partial, left out when false */
    const char *partial = "{\"type\":\"rooms\",\"rooms\":[],\"partial\":true,\"more\":false}";
    assert_int_equal(decode(partial), PROTO_OK);
    assert_true(msg->partial);
    assert_true(proto_control_encode(buf, sizeof buf, msg) > 0);
    assert_string_equal(buf, partial);
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":[],\"partial\":1}"),
                     PROTO_E_FIELD_TYPE);

    assert_int_equal(decode("{\"type\":\"rooms\",\"prefix\":\"a b\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"rooms\",\"after\":7}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":{}}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":[{\"room\":\"a\",\"members\":1}]}"),
                     PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":[{\"room\":\"\",\"members\":1,"
                            "\"capacity\":2}]}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"rooms\",\"rooms\":[1]}"), PROTO_E_FIELD_TYPE);

    struct proto_control in = { .type = PROTO_CTL_JOIN, .any = true };
    strcpy(in.room, "duel-");
    strcpy(in.name, "ana");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_non_null(strstr(buf, "\"any\":true"));
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->any);
    in.any = false; /* said only when asked */
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_null(strstr(buf, "any"));
}

static void init_clears_all_but_the_roster(void **state)
{
    (void)state;
    memset(msg, 0xa5, sizeof *msg);
    proto_control_init(msg, PROTO_CTL_PING);
    assert_int_equal(msg->type, PROTO_CTL_PING);
    const unsigned char *b = (const unsigned char *)msg;
    size_t nonzero = 0;
    for (size_t i = sizeof msg->type; i < offsetof(struct proto_control, roster); i++)
        nonzero += b[i] != 0;
    assert_int_equal(nonzero, 0);
    assert_int_equal(b[offsetof(struct proto_control, roster)], 0xa5);
    static struct proto_control zeroed;
    zeroed.type = PROTO_CTL_PING;
    char other[PROTO_CONTROL_MAX + 1];
    int n = proto_control_encode(buf, sizeof buf, msg);
    assert_true(n > 0);
    assert_int_equal(proto_control_encode(other, sizeof other, &zeroed), n);
    assert_string_equal(buf, other);
}

/* pong carries the relay's clock; clock carries a signed offset and its bound. */
static void clock_messages_round_trip(void **state)
{
    (void)state;
    struct proto_control in = { .type = PROTO_CTL_PONG, .t = 12345, .relay_t = 999999999999 };
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->t, 12345);
    assert_int_equal(msg->relay_t, 999999999999);
    const int64_t offsets[] = { -10800000000ll, 0, 42 };
    for (size_t i = 0; i < 3; i++) {
        in = (struct proto_control){ .type = PROTO_CTL_CLOCK, .id = (uint32_t)i,
                                     .clock_offset_us = offsets[i], .clock_bound_us = 150 };
        assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
        assert_int_equal(decode(buf), PROTO_OK);
        assert_int_equal(msg->type, PROTO_CTL_CLOCK);
        assert_int_equal(msg->id, i);
        assert_true(msg->clock_offset_us == offsets[i]);
        assert_int_equal(msg->clock_bound_us, 150);
    }
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":1.5,\"bound_us\":1}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":1}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":-1e16,\"bound_us\":1}"),
                     PROTO_E_VALUE);
    /* bound_us: an integer 0 to 999999999999999, as every time (PROTOCOL.md) */
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":0,"
                            "\"bound_us\":999999999999999}"), PROTO_OK);
    assert_int_equal(msg->clock_bound_us, 999999999999999ull);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":0,\"bound_us\":0}"), PROTO_OK);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":0,\"bound_us\":1e15}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":0,"
                            "\"bound_us\":9007199254740992}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"clock\",\"offset_us\":0,\"bound_us\":-1}"),
                     PROTO_E_VALUE);
    /* the same bound in the relay's clock (with id) and in a roster's */
    assert_int_equal(decode("{\"type\":\"clock\",\"id\":2,\"offset_us\":0,"
                            "\"bound_us\":999999999999999}"), PROTO_OK);
    assert_int_equal(decode("{\"type\":\"clock\",\"id\":2,\"offset_us\":0,"
                            "\"bound_us\":1000000000000000}"), PROTO_E_VALUE);
    const char *roster = "{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":[{\"id\":2,"
                         "\"name\":\"b\",\"mode\":\"udp\",\"state\":null,\"clock\":{\"offset_us\":0,"
                         "\"bound_us\":%s}}]}";
    char json[256];
    snprintf(json, sizeof json, roster, "999999999999999");
    assert_int_equal(decode(json), PROTO_OK);
    assert_int_equal(msg->roster[0].clock_bound_us, 999999999999999ull);
    snprintf(json, sizeof json, roster, "1000000000000000");
    assert_int_equal(decode(json), PROTO_E_VALUE);
}

/* A ticketed join's nonce and the `sealed` message's salt and tag: 32
 * lowercase hex digits each, round trip; the tag is required. */
static void nonce_salt_and_tag(void **state)
{
    (void)state;
    const char *hex = "00112233445566778899aabbccddeeff";
    struct proto_control in = {.type = PROTO_CTL_JOIN, .mode = PROTO_MODE_UDP};
    snprintf(in.ticket, sizeof in.ticket, "AQAB");
    snprintf(in.nonce, sizeof in.nonce, "%s", hex);
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->nonce, hex);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"ticket\":\"AQAB\","
                            "\"nonce\":\"00112233445566778899AABBCCDDEEFF\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"ticket\":\"AQAB\","
                            "\"nonce\":\"0011\"}"), PROTO_E_VALUE);
    in = (struct proto_control){.type = PROTO_CTL_SEALED};
    snprintf(in.salt, sizeof in.salt, "%s", hex);
    assert_true(proto_control_encode(buf, sizeof buf, &in) < 0); /* no tag */
    snprintf(in.tag, sizeof in.tag, "%s", hex);
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->salt, hex);
    assert_string_equal(msg->tag, hex);
    assert_int_equal(decode("{\"type\":\"sealed\",\"salt\":\"00112233445566778899aabbccddeeff\"}"),
                     PROTO_E_MISSING);
}

/* A join with a ticket may leave out its room and name (the ticket's
 * count), whatever its version: a version-2 join with a ticket decodes, and
 * the relay answers it bad_version ("upgrade the client"), not
 * missing_field. Without a ticket (or with an empty one) both are needed,
 * and given ones must be valid. The fuzz target's reading of a join
 * (tests/fuzz/target_control.c) holds to the same. */
static void ticketed_join_names_nothing(void **state)
{
    (void)state;
    const char *v2 = "{\"type\":\"join\",\"version\":2,\"room\":\"lobby\",\"ticket\":\"a\"}";
    assert_int_equal(decode(v2), PROTO_OK);
    assert_int_equal(msg->version, 2);
    assert_string_equal(msg->ticket, "a");
    assert_string_equal(msg->room, "lobby");
    assert_string_equal(msg->name, "");
    /* sent again, it says its room, its ticket and no name */
    int n = proto_control_encode(buf, sizeof buf, msg);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"ticket\":\"a\""));
    assert_null(strstr(buf, "\"name\""));
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"ticket\":\"a\"}"), PROTO_OK);
    assert_string_equal(msg->room, "");
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"lobby\"}"),
                     PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":3,\"room\":\"lobby\","
                            "\"ticket\":\"\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"ticket\":\"a\","
                            "\"name\":\"\"}"), PROTO_E_VALUE);
}

static void join_defaults_and_unknown_fields(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"n\",\"colour\":3,"
                            "\"extra\":{\"nested\":[1,2]}}"), PROTO_OK);
    assert_int_equal(msg->mode, PROTO_MODE_UNSEQUENCED);
    assert_false(msg->reflect);
    assert_false(msg->batch); /* an older client asks for no batches */
    assert_false(msg->batch_kept); /* nor kept events in them */
}

static void welcome_round_trip_with_roster(void **state)
{
    (void)state;
    struct proto_control *in = calloc(1, sizeof *in);
    in->type = PROTO_CTL_WELCOME;
    in->id = 7;
    strcpy(in->room, "arena");
    in->roster_len = 2;
    in->roster[0] = (struct proto_member){ .id = 3, .mode = PROTO_MODE_SEQUENCED };
    strcpy(in->roster[0].name, "bob");
    in->roster[1] = (struct proto_member){
        .id = 5, .mode = PROTO_MODE_UDP, .has_state = true,
        .state = { .sender = 5, .seq = 4000000000u, .send_us = 123456789012ull,
                   .x = 1.5f, .y = 2.25f, .vx = -0.5f, .vy = 0, .heading = 1 },
    };
    strcpy(in->roster[1].name, "carol");

    assert_true(proto_control_encode(buf, sizeof buf, in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->type, PROTO_CTL_WELCOME);
    assert_int_equal(msg->id, 7);
    assert_string_equal(msg->room, "arena");
    assert_int_equal(msg->roster_len, 2);
    assert_false(msg->roster[0].has_state);
    assert_string_equal(msg->roster[0].name, "bob");
    assert_int_equal(msg->roster[0].mode, PROTO_MODE_SEQUENCED);
    assert_true(msg->roster[1].has_state);
    assert_int_equal(msg->roster[1].state.sender, 5);
    assert_int_equal(msg->roster[1].state.seq, 4000000000u);
    assert_true(msg->roster[1].state.send_us == 123456789012ull);
    assert_true(msg->roster[1].state.y == 2.25f);
    free(in);
}

static void notices_round_trip(void **state)
{
    (void)state;
    struct proto_control in = { .type = PROTO_CTL_LEFT, .id = 9, .reason = PROTO_LEFT_TIMEOUT };
    strcpy(in.name, "dave");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_non_null(strstr(buf, "\"reason\":\"timeout\""));
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(msg->reason, PROTO_LEFT_TIMEOUT);
    assert_int_equal(msg->id, 9);
    assert_string_equal(msg->owner, "");
    memset(in.owner, 'a', PROTO_PLAYER_LEN); /* an owner's left names who has its room */
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->owner, in.owner);

    in = (struct proto_control){ .type = PROTO_CTL_ERROR };
    strcpy(in.code, "room_full");
    strcpy(in.text, "room 'lobby' is full (8 members)");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->code, "room_full");
    assert_string_equal(msg->text, "room 'lobby' is full (8 members)");

    in = (struct proto_control){ .type = PROTO_CTL_CHAT, .id = 2 };
    strcpy(in.name, "eve");
    strcpy(in.text, "hello, \"world\" \xc3\xa9");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_string_equal(msg->text, "hello, \"world\" \xc3\xa9");
    assert_string_equal(msg->name, "eve");

    in = (struct proto_control){ .type = PROTO_CTL_PONG, .t = 999999999999999ull };
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_true(msg->t == 999999999999999ull);
    in.t = 1000000000000000ull; /* would lose precision in cJSON */
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
}

static void not_json(void **state)
{
    (void)state;
    assert_int_equal(decode(""), PROTO_E_JSON);
    assert_int_equal(decode("{"), PROTO_E_JSON);
    assert_int_equal(decode("[1,2]"), PROTO_E_JSON);
    assert_int_equal(decode("\"join\""), PROTO_E_JSON);
    assert_int_equal(proto_control_decode("{\"type\":\"leave\"}", 5, msg, why, sizeof why),
                     PROTO_E_JSON); /* length is honoured: no NUL needed */
}

static void type_errors(void **state)
{
    (void)state;
    assert_int_equal(decode("{}"), PROTO_E_MISSING);
    assert_string_equal(why, "field \"type\" is missing");
    assert_int_equal(decode("{\"type\":3}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"teleport\"}"), PROTO_E_UNKNOWN_TYPE);
    assert_non_null(strstr(why, "teleport"));
}

static void missing_and_wrong_typed_fields(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"name\":\"n\"}"), PROTO_E_MISSING);
    assert_string_equal(why, "field \"room\" is missing");
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":null,\"name\":\"n\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":5,\"name\":\"n\"}"), PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"n\",\"reflect\":1}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"n\",\"mode\":true}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":\"1\",\"room\":\"r\",\"roster\":[]}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":{}}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":[3]}"),
                     PROTO_E_FIELD_TYPE);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":"
                            "[{\"id\":2,\"name\":\"b\",\"state\":{\"seq\":1}}]}"),
                     PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"left\",\"id\":1,\"name\":\"n\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"error\",\"message\":\"m\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"error\",\"code\":\"c\",\"message\":\"\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"chat\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"chat\",\"id\":2,\"text\":\"hi\"}"), PROTO_E_MISSING);
    assert_int_equal(decode("{\"type\":\"ping\",\"t\":\"now\"}"), PROTO_E_FIELD_TYPE);
}

static void out_of_range_values(void **state)
{
    (void)state;
    char longname[PROTO_NAME_MAX + 10];
    memset(longname, 'a', sizeof longname);
    longname[PROTO_NAME_MAX + 1] = '\0';
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"%s\"}", longname);
    assert_int_equal(decode(buf), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"a b\",\"name\":\"n\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"\",\"name\":\"n\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"n\",\"mode\":\"sctp\"}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":-1,\"name\":\"n\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":4294967296,\"name\":\"n\"}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"joined\",\"id\":1.5,\"name\":\"n\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"left\",\"id\":1,\"name\":\"n\",\"reason\":\"bored\"}"),
                     PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"chat\",\"text\":\"bell\\u0007\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"chat\",\"text\":\"\"}"), PROTO_E_VALUE);
    assert_int_equal(decode("{\"type\":\"welcome\",\"id\":1,\"room\":\"r\",\"roster\":"
                            "[{\"id\":2,\"name\":\"b\",\"state\":{\"seq\":1,\"t\":0,\"x\":1e300,"
                            "\"y\":0,\"vx\":0,\"vy\":0,\"heading\":0}}]}"),
                     PROTO_E_VALUE);
}

static void error_message_is_cut_not_rejected(void **state)
{
    (void)state;
    char longtext[PROTO_TEXT_MAX * 2];
    memset(longtext, 'x', sizeof longtext);
    longtext[sizeof longtext - 1] = '\0';
    snprintf(buf, sizeof buf, "{\"type\":\"error\",\"code\":\"c\",\"message\":\"%s\\n\"}",
             longtext);
    assert_int_equal(decode(buf), PROTO_OK);
    assert_int_equal(strlen(msg->text), PROTO_TEXT_MAX);
}

static void encode_refuses_invalid_messages(void **state)
{
    (void)state;
    struct proto_control in = { .type = PROTO_CTL_JOIN };
    strcpy(in.room, "lobby");
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE); /* no name */
    strcpy(in.name, "bad\tname");
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
    strcpy(in.name, "ok");
    assert_int_equal(proto_control_encode(buf, 10, &in), PROTO_E_SPACE);
    in.type = (enum proto_ctl_type)99;
    assert_int_equal(proto_control_encode(buf, sizeof buf, &in), PROTO_E_VALUE);
}

static void validators(void **state)
{
    (void)state;
    assert_true(proto_name_valid("Player_1.x-y"));
    assert_false(proto_name_valid(""));
    assert_true(proto_name_valid("caf\xc3\xa9 a/b")); /* any script: test_player_name */
    assert_false(proto_name_valid("a\x1b"));
    assert_true(proto_text_valid("hi there \xc3\xa9"));
    assert_false(proto_text_valid("tab\there"));
    assert_string_equal(proto_ctl_type_name(PROTO_CTL_PONG), "pong");
    assert_string_equal(proto_left_reason_name(PROTO_LEFT_KICKED), "kicked");
}

/* A float that is often an edge: a bound, zero, a NaN or infinity's bits. */
static float edge_float(struct rng *r)
{
    static const float edges[] = { 0.0f, -0.0f, 1e6f, -1e6f, 1.0000001e6f, 1e-45f, 100.0f };
    if (rng_below(r, 2))
        return edges[rng_below(r, sizeof edges / sizeof edges[0])];
    uint32_t bits = (uint32_t)rng_u64(r);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint64_t edge_time(struct rng *r)
{
    static const uint64_t edges[] = { 0, 1, 999999999999999ull, 1000000000000000ull,
                                      UINT64_MAX, 1ull << 53 };
    return rng_below(r, 2) ? edges[rng_below(r, sizeof edges / sizeof edges[0])]
                           : rng_u64(r) >> rng_below(r, 64);
}

/* Everything the relay accepts as a state must be echoed
 * in a welcome's roster; a state it could not encode blocked every later
 * join to its room. Seeded: random and edge values through the binary
 * decoder, then every accepted one through a welcome and back. */
static void accepted_states_round_trip_through_roster(void **state)
{
    (void)state;
    struct rng r;
    static struct proto_control roster_msg;
    struct proto_control *in = &roster_msg;
    uint8_t dgram[PROTO_STATE_SIZE];
    int accepted = 0;
    rng_seed(&r, 8);
    for (int i = 0; i < 20000; i++) {
        struct proto_state s = { .sender = 9, .seq = (uint32_t)rng_u64(&r),
                                 .send_us = edge_time(&r), .x = edge_float(&r),
                                 .y = edge_float(&r), .vx = edge_float(&r),
                                 .vy = edge_float(&r), .heading = edge_float(&r) };
        struct proto_state got;
        memset(dgram, 0, sizeof dgram);
        dgram[0] = PROTO_STATE_VERSION;
        dgram[1] = PROTO_MSG_STATE;
        for (int b = 0; b < 8; b++)
            dgram[12 + b] = (uint8_t)(s.send_us >> (56 - 8 * b));
        /* Bad floats are refused here; the raw bytes still go to the decoder. */
        (void)proto_state_encode(dgram, sizeof dgram, &s);
        if (proto_state_decode(dgram, sizeof dgram, &got) != PROTO_OK)
            continue;
        accepted++;
        *in = (struct proto_control){ .type = PROTO_CTL_WELCOME, .id = 1, .roster_len = 1 };
        strcpy(in->room, "r");
        in->roster[0] = (struct proto_member){ .id = 9, .mode = PROTO_MODE_UNSEQUENCED,
                                               .has_state = true, .state = got };
        strcpy(in->roster[0].name, "n");
        if (proto_control_encode(buf, sizeof buf, in) <= 0)
            fail_msg("accepted state not encodable in a roster: send_us %llu",
                     (unsigned long long)got.send_us);
        assert_int_equal(decode(buf), PROTO_OK);
        assert_true(msg->roster[0].has_state);
        assert_true(msg->roster[0].state.send_us == got.send_us);
        assert_int_equal(msg->roster[0].state.seq, got.seq);
        assert_true(msg->roster[0].state.x == got.x && msg->roster[0].state.y == got.y);
        assert_true(msg->roster[0].state.vx == got.vx && msg->roster[0].state.vy == got.vy);
        assert_true(msg->roster[0].state.heading == got.heading);
    }
    assert_true(accepted > 1000); /* the generator reaches the accepting side */
}

/* Text is strict UTF-8 without NUL or controls. Each of
 * these was accepted (and forwarded, or cut after validation) before. */
static void text_is_strict_utf8_without_nul(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"type\":\"chat\",\"text\":\"a\xff" "b\"}",          /* invalid byte */
        "{\"type\":\"chat\",\"text\":\"a\xc0\xaf\"}",          /* overlong '/' */
        "{\"type\":\"chat\",\"text\":\"a\xe0\x80\xaf\"}",     /* overlong, 3 bytes */
        "{\"type\":\"chat\",\"text\":\"a\xed\xa0\x80\"}",     /* surrogate U+D800 */
        "{\"type\":\"chat\",\"text\":\"a\xf4\x90\x80\x80\"}", /* past U+10FFFF */
        "{\"type\":\"chat\",\"text\":\"a\xc3\"}",              /* cut sequence */
        "{\"type\":\"chat\",\"text\":\"a\\u0000b\"}",          /* escaped NUL */
        "{\"type\":\"chat\",\"text\":\"a\\u009bb\"}",          /* C1 CSI, escaped */
        "{\"type\":\"chat\",\"text\":\"a\xc2\x9b" "b\"}",       /* C1 CSI, raw */
        "{\"type\":\"join\",\"room\":\"r\",\"name\":\"ok\\u0000\\u001bevil\","
        "\"mode\":\"unsequenced\",\"version\":2}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = decode(bad[i]);
        if (rc == PROTO_OK)
            fail_msg("accepted bad text #%zu: %s", i, bad[i]);
    }
    /* A raw NUL byte inside the datagram. */
    assert_int_not_equal(proto_control_decode("{\"type\":\"chat\",\"text\":\"a\0b\"}", 26,
                                              msg, why, sizeof why), PROTO_OK);
    /* What stays valid: multi-byte text, escapes, an escaped backslash before u0000. */
    assert_int_equal(decode("{\"type\":\"chat\",\"text\":\"caf\xc3\xa9 \xe2\x82\xac "
                            "\xf0\x9f\x8e\xae \\u00e9 \\\\u0000\"}"), PROTO_OK);
    assert_string_equal(msg->text, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xae \xc3\xa9 \\u0000");
    assert_false(proto_text_valid("a\xc2\x85" "b")); /* NEL, C1 */
    assert_true(proto_text_valid("a\xc2\xa0" "b"));  /* NBSP is text */
}

/* PROTOCOL.md "Encoding", line by line: what the decoder accepts and
 * refuses (and as what), the reference relay's leniencies included, so the
 * spec cannot drift from the code. */
static void encoding_section_pinned(void **state)
{
    (void)state;
    static struct proto_control m;
    const struct {
        const char *json;
        int rc;
        uint64_t t; /* ping: the t read */
    } cases[] = {
        {"{\"type\":\"ping\",\"t\":1000}", PROTO_OK, 1000},
        {"{\"type\":\"ping\",\"t\":1000.0}", PROTO_OK, 1000},
        {"{\"type\":\"ping\",\"t\":1e3}", PROTO_OK, 1000},
        {"{\"type\":\"ping\",\"t\":1E3}", PROTO_OK, 1000},
        {"{\"type\":\"ping\",\"t\":-0}", PROTO_OK, 0},
        {"{\"type\":\"ping\",\"t\":1.5}", PROTO_E_VALUE, 0},
        {"{\"type\":\"ping\",\"t\":1e400}", PROTO_E_VALUE, 0},
        {"{\"type\":\"ping\",\"t\":1000000000000000}", PROTO_E_VALUE, 0},
        {"{\"type\":\"ping\",\"t\":\"5\"}", PROTO_E_FIELD_TYPE, 0},
        {"{\"type\":\"ping\",\"t\":+1}", PROTO_E_JSON, 0},
        {"{\"type\":\"ping\",\"t\":.5}", PROTO_E_JSON, 0},
        {"{\"type\":\"ping\",\"t\":0x10}", PROTO_E_JSON, 0},
        {"{\"type\":\"ping\",\"t\":NaN}", PROTO_E_JSON, 0},
        {"{\"type\":\"ping\",\"t\":Infinity}", PROTO_E_JSON, 0},
        {"{\"type\":\"chat\",\"text\":\"\\ud83d\\ude00\"}", PROTO_OK, 0},
        {"{\"type\":\"chat\",\"text\":\"a\\/b\\\"c\\\\d\"}", PROTO_OK, 0},
        {"{\"type\":\"chat\",\"text\":\"\\ud800\"}", PROTO_E_JSON, 0},
        {"{\"type\":\"chat\",\"text\":\"a\\qb\"}", PROTO_E_JSON, 0},
        {"{\"type\":\"chat\",\"text\":\"a\\u001bb\"}", PROTO_E_VALUE, 0},
        {"{\"type\":\"chat\",\"text\":\"a\\tb\"}", PROTO_E_VALUE, 0},
        {"{\"type\":\"chat\",\"text\":\"a\\u0085b\"}", PROTO_E_VALUE, 0},
        {"{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\u202e\"}", PROTO_E_VALUE, 0},
        {"{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"reflect\":1}", PROTO_E_FIELD_TYPE, 0},
        /* the reference relay's leniencies */
        {"\xef\xbb\xbf {\"type\":\"ping\",\"t\":7} ", PROTO_OK, 7},
        {"{\"type\":\"ping\",\"t\":7} trailing", PROTO_OK, 7},
        {"{\"type\":\"ping\",\"t\":007}", PROTO_OK, 7},
        {"{\"type\":\"ping\",\"t\":7,\"t\":8}", PROTO_OK, 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = proto_control_decode(cases[i].json, strlen(cases[i].json), &m, NULL, 0);
        if (rc != cases[i].rc)
            fail_msg("%s: %d, PROTOCOL.md says %d", cases[i].json, rc, cases[i].rc);
        if (rc == PROTO_OK && m.type == PROTO_CTL_PING)
            assert_int_equal(m.t, cases[i].t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_round_trip),
        cmocka_unit_test(moved_round_trip),
        cmocka_unit_test(rooms_round_trip),
        cmocka_unit_test(rooms_watch_round_trip),
        cmocka_unit_test(init_clears_all_but_the_roster),
        cmocka_unit_test(nonce_salt_and_tag),
        cmocka_unit_test(join_defaults_and_unknown_fields),
        cmocka_unit_test(ticketed_join_names_nothing),
        cmocka_unit_test(clock_messages_round_trip),
        cmocka_unit_test(welcome_round_trip_with_roster),
        cmocka_unit_test(notices_round_trip),
        cmocka_unit_test(interest_round_trip),
        cmocka_unit_test(not_json),
        cmocka_unit_test(type_errors),
        cmocka_unit_test(missing_and_wrong_typed_fields),
        cmocka_unit_test(out_of_range_values),
        cmocka_unit_test(error_message_is_cut_not_rejected),
        cmocka_unit_test(encode_refuses_invalid_messages),
        cmocka_unit_test(validators),
        cmocka_unit_test(accepted_states_round_trip_through_roster),
        cmocka_unit_test(text_is_strict_utf8_without_nul),
        cmocka_unit_test(encoding_section_pinned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
