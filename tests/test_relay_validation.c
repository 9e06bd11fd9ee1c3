/* test_relay_validation.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): validation: bad control messages, bad states and sizes, states
 * no welcome could echo, wrong channels, strikes, the error budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "sys/log.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/control_drops.h"
#include "tests/support/fake_relay.h"

/* ---- validation ------------------------------------------------------- */

static void bad_control_messages(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0; /* this test is about codes, not kicks */
    struct relay *r = relay_with_peers(&cfg, 1);
    static const struct {
        const char *json;
        enum relay_drop why;
        const char *code;
    } cases[] = {
        { "{\"type\":", RELAY_DROP_BAD_JSON, "bad_json" },
        { "{nonsense}", RELAY_DROP_BAD_JSON, "bad_json" },
        { "[1,2,3]", RELAY_DROP_BAD_JSON, "bad_json" },
        { "{\"type\":\"dance\"}", RELAY_DROP_UNKNOWN_TYPE, "unknown_type" },
        { "{\"type\":\"welcome\",\"id\":1,\"room\":\"x\",\"roster\":[]}",
          RELAY_DROP_UNKNOWN_TYPE, "unknown_type" },
        { "{\"type\":\"join\",\"version\":2,\"name\":\"a\"}", RELAY_DROP_MISSING_FIELD, "missing_field" },
        { "{\"room\":\"a\"}", RELAY_DROP_MISSING_FIELD, "missing_field" },
        { "{\"type\":\"join\",\"version\":2,\"room\":5,\"name\":\"a\"}", RELAY_DROP_BAD_FIELD, "bad_field" },
        { "{\"type\":\"chat\",\"text\":\"hi\"}", RELAY_DROP_NOT_JOINED, "not_joined" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        now_us += 1000000; /* a fresh error budget each time */
        int rc = send_text(r, 0, cases[i].json);
        if (rc != DROP(cases[i].why))
            fail_msg("'%s': got %d, want %s", cases[i].json, rc,
                     relay_drop_name(cases[i].why));
        assert_string_equal(last_error(0), cases[i].code);
    }
    assert_int_equal(drops(r, RELAY_DROP_BAD_JSON), 3);
    assert_int_equal(drops(r, RELAY_DROP_UNKNOWN_TYPE), 2);
    assert_int_equal(drops(r, RELAY_DROP_MISSING_FIELD), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_FIELD), 1);
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 1);
    assert_true(relay_peer_connected(r, 0)); /* bad input is not fatal */
    /* Unknown fields are ignored. */
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\","
                                     "\"colour\":\"red\"}"), 0);
    relay_destroy(r);
}

/* Every way the decoder refuses a client's message, with its own reasons:
 * the counts test_control_reworded.c finds with them reworded. */
static void decoder_refusals_counted(void **state)
{
    (void)state;
    control_drop_cases_run();
    control_drop_ticket_run();
}

static void bad_states_and_sizes(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.max_packet_size = 1500;
    struct relay *r = lobby_of_two(&cfg, 2);
    uint8_t buf[2048];
    size_t len = make_state(buf, 0, 1, 1, 0);

    buf[0] = 2; /* bad version */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    assert_string_equal(last_error(0), "bad_state");
    buf[0] = 1;
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, 20, now_us),
                     DROP(RELAY_DROP_BAD_STATE)); /* short */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, 0, now_us),
                     DROP(RELAY_DROP_BAD_STATE)); /* empty */
    /* Longer than PROTO_STATE_MAX but within max_packet_size. */
    memset(buf + PROTO_STATE_SIZE, 0, sizeof buf - PROTO_STATE_SIZE);
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       PROTO_STATE_MAX + 1, now_us),
                     DROP(RELAY_DROP_TOO_BIG));
    assert_string_equal(last_error(0), "too_big");
    /* Longer than max_packet_size: too big before anything else. */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, 0, buf, 1501, now_us),
                     DROP(RELAY_DROP_TOO_BIG));
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_STATE), 3);
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->state_errors[0], 2);
    assert_int_equal(st->state_errors[1], 1);
    assert_int_equal(fk.n_states, 0); /* nothing bad was forwarded */
    /* Exactly PROTO_STATE_MAX is fine. */
    len = make_state(buf, 0, 2, 1, PROTO_STATE_MAX);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    relay_destroy(r);
}

/* A state whose send_us the roster cannot echo (>= 10^15)
 * is a bad_state, so it never blocks the welcome of a later joiner; the
 * largest echoable one is forwarded and echoed. */
static void unechoable_state_is_dropped(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    struct relay *r = lobby_of_two(&cfg, 3);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    const uint64_t big = 1000000000000000ull; /* 10^15 */
    for (int i = 0; i < 8; i++)
        buf[12 + i] = (uint8_t)(big >> (56 - 8 * i));
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    assert_string_equal(last_error(0), "bad_state");
    assert_int_equal(fk.n_states, 0);
    /* One below: accepted, forwarded, and echoed in the next welcome. */
    for (int i = 0; i < 8; i++)
        buf[12 + i] = (uint8_t)((big - 1) >> (56 - 8 * i));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->roster_len, 2); /* the others */
    bool seen = false;
    for (size_t i = 0; i < w->roster_len; i++)
        if (w->roster[i].has_state) {
            assert_true(w->roster[i].state.send_us == big - 1);
            seen = true;
        }
    assert_true(seen);
    relay_destroy(r);
}

static void wrong_channels(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    struct relay *r = lobby_of_two(&cfg, 2);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, 0, /* sequenced of v1 */
                                       buf, len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, 7, 0, buf, len, now_us),
                     DROP(RELAY_DROP_WRONG_CHANNEL));
    char chat[] = "{\"type\":\"chat\",\"text\":\"x\"}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, 0, (uint8_t *)chat,
                                       strlen(chat), now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(drops(r, RELAY_DROP_WRONG_CHANNEL), 5);
    assert_int_equal(fk.n_states, 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_CHAT), 0);
    relay_destroy(r);
}

static void strikes_lead_to_kick(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 5;
    struct relay *r = lobby_of_two(&cfg, 2);
    /* Slow garbage is forgiven (strikes decay at 1/s). */
    for (int i = 0; i < 20; i++) {
        now_us += 1500000;
        send_text(r, 0, "garbage");
    }
    assert_true(relay_peer_joined(r, 0));
    /* Fast garbage is not. */
    int i;
    for (i = 0; i < 20 && relay_peer_connected(r, 0); i++) {
        now_us += 10000;
        send_text(r, 0, "garbage");
    }
    assert_false(relay_peer_connected(r, 0));
    assert_in_range(i, 5, 7);
    assert_true(disconnected(0));
    assert_string_equal(last_error(0), "kicked");
    assert_string_equal(disconnect_why(0), "kicked");
    expect_left(1, 1, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    relay_destroy(r);
}

static void error_budget_limits_replies(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers(&cfg, 1);
    for (int i = 0; i < 1000; i++)
        send_text(r, 0, "{");
    assert_int_equal(drops(r, RELAY_DROP_BAD_JSON), 1000);
    size_t errors = count_ctl(0, PROTO_CTL_ERROR);
    assert_in_range(errors, 1, 10);
    assert_int_equal(relay_stats(r)->errors_suppressed, 1000 - errors);
    relay_destroy(r);
}

/* Checks that rc is the drop `why`, counted once, and that peer was told
 * `code` ("" = nothing). */
static void expect_refused(struct relay *r, uint32_t peer, int rc, enum relay_drop why,
                           const char *code, const char *what)
{
    if (rc != DROP(why))
        fail_msg("%s: refused as %s, expected %s", what,
                 rc < 0 ? relay_drop_name((enum relay_drop)(-1 - rc)) : "nothing",
                 relay_drop_name(why));
    assert_int_equal(drops(r, why), 1);
    assert_string_equal(last_error(peer), code);
}

/* A datagram with two faults is refused for the one checked first, in the
 * order PROTOCOL.md ("Validation order") gives: admission (peer, rate),
 * size, channel, decoding (a control message's fields in the decoder's
 * order), then membership and the join's own checks (version, name, room,
 * mode, room_full / too_many_rooms). */
static void validation_order_pinned(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 1;
    cfg.rate_burst = 1;
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"ping\"}"), 0); /* the one token */
    expect_refused(r, 0, send_text(r, 0, "{oops"), RELAY_DROP_RATE_LIMITED, "rate_limited",
                   "over the rate and not JSON");
    assert_int_equal(drops(r, RELAY_DROP_BAD_JSON), 0); /* and no strike */
    relay_destroy(r);

    cfg = small_config();
    cfg.max_packet_size = 100;
    r = relay_with_peers(&cfg, 1);
    char big[201];
    memset(big, 'x', 200);
    big[200] = '\0';
    expect_refused(r, 0, send_text(r, 0, big), RELAY_DROP_TOO_BIG, "too_big",
                   "over --max-packet-size and not JSON");
    relay_destroy(r);

    /* A state: decoded before membership is looked at. */
    r = relay_with_peers(NULL, 1);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    buf[0] = 2;
    expect_refused(r, 0,
                   relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                     len, now_us),
                   RELAY_DROP_BAD_STATE, "bad_state", "state of version 2 before join");
    relay_destroy(r);
    r = relay_with_peers(NULL, 1);
    len = make_state(buf, 0, 1, 1, 1300);
    expect_refused(r, 0,
                   relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                     len, now_us),
                   RELAY_DROP_TOO_BIG, "too_big", "state of 1300 bytes before join");
    relay_destroy(r);
    r = relay_with_peers(NULL, 1);
    len = make_state(buf, 0, 1, 1, 0);
    expect_refused(r, 0,
                   relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf, len,
                                     now_us),
                   RELAY_DROP_WRONG_CHANNEL, "bad_json", "state on channel 0 before join");
    relay_destroy(r);

    /* Control: the decoder's field checks come before membership and the
     * join's version. */
    r = relay_with_peers(NULL, 1);
    expect_refused(r, 0, send_text(r, 0, "{\"type\":\"chat\",\"text\":\"a\\u001bb\"}"),
                   RELAY_DROP_BAD_FIELD, "bad_field", "chat with a control before join");
    relay_destroy(r);
    r = relay_with_peers(NULL, 1);
    expect_refused(r, 0, send_text(r, 0, "{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u001bb\"}"),
                   RELAY_DROP_BAD_NAME, "bad_name", "version-1 join with a bad name");
    relay_destroy(r);
    r = relay_with_peers(NULL, 1);
    expect_refused(r, 0,
                   send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"r r\","
                                   "\"name\":\"a\\u001bb\"}"),
                   RELAY_DROP_BAD_ROOM, "bad_room", "join with a bad room and a bad name");
    relay_destroy(r);

    /* The join's own checks: version, then the relay's name limit, then
     * the room's capacity. */
    cfg = small_config();
    cfg.max_room_size = 1;
    cfg.name_max = 4;
    r = relay_with_peers(&cfg, 3);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    expect_refused(r, 1, send_text(r, 1, "{\"type\":\"join\",\"room\":\"lobby\",\"name\":\"b\"}"),
                   RELAY_DROP_BAD_VERSION, "bad_version", "version-1 join to a full room");
    expect_refused(r, 2, join(r, 2, "lobby", "longname", false), RELAY_DROP_BAD_NAME,
                   "bad_name", "name over --name-max to a full room");
    expect_refused(r, 0, send_text(r, 0, "{\"type\":\"join\",\"room\":\"other\",\"name\":\"a\"}"),
                   RELAY_DROP_ALREADY_JOINED, "already_joined",
                   "a member's version-1 join to another room");
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_control_messages),
        cmocka_unit_test(decoder_refusals_counted),
        cmocka_unit_test(bad_states_and_sizes),
        cmocka_unit_test(unechoable_state_is_dropped),
        cmocka_unit_test(wrong_channels),
        cmocka_unit_test(strikes_lead_to_kick),
        cmocka_unit_test(error_budget_limits_replies),
        cmocka_unit_test(validation_order_pinned),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
