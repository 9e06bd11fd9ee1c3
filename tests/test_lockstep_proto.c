/* test_lockstep_proto.c: a lockstep room's messages byte for byte
 * (proto/lockstep.c, proto/lockstep_json.c; PROTOCOL.md, "Lockstep rooms"):
 * inputs and frames encoded and read back, PROTOCOL.md's example frame, every
 * malformed one refused (cut short, a count past its bound, an input past
 * input_max, an unknown flag, bytes after the last); a frame's slots read;
 * the settings' bounds in words; the join's lockstep and spectator, a
 * welcome's lockstep, a joined's slot, check, late and desync through JSON
 * and back, and their bad values refused by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/lockstep.h"
#include "proto/wire.h"

static void inputs_round_trip_and_refusals(void **state)
{
    (void)state;
    const uint8_t a[] = {1, 2}, b[] = {0};
    const uint8_t *data[] = {a, b, NULL};
    size_t lens[] = {2, 1, 0};
    uint8_t buf[64];
    int n = proto_inputs_encode(buf, sizeof buf, 7, 812, data, lens, 3);
    assert_int_equal(n, 12 + 3 + 2 + 1);
    struct proto_inputs in;
    assert_int_equal(proto_inputs_decode(buf, (size_t)n, 4, &in), PROTO_OK);
    assert_int_equal(in.ack, 7);
    assert_int_equal(in.first, 812);
    assert_int_equal(in.count, 3);
    size_t at = PROTO_LOCKSTEP_HEAD, k;
    const uint8_t *d;
    assert_true(proto_inputs_next(&in, &at, &d, &k));
    assert_int_equal(k, 2);
    assert_memory_equal(d, a, 2);
    assert_true(proto_inputs_next(&in, &at, &d, &k));
    assert_true(proto_inputs_next(&in, &at, &d, &k));
    assert_int_equal(k, 0); /* an input of nothing */
    assert_false(proto_inputs_next(&in, &at, &d, &k));
    assert_true(proto_is_inputs(buf, (size_t)n));
    assert_false(proto_is_frames(buf, (size_t)n));
    /* an input longer than the room's */
    assert_int_equal(proto_inputs_decode(buf, (size_t)n, 1, &in), PROTO_E_VALUE);
    /* cut short, a byte after, too many, not ours */
    assert_int_equal(proto_inputs_decode(buf, (size_t)n - 1, 4, &in), PROTO_E_SHORT);
    assert_int_equal(proto_inputs_decode(buf, 11, 4, &in), PROTO_E_SHORT);
    buf[n] = 0;
    assert_int_equal(proto_inputs_decode(buf, (size_t)n + 1, 4, &in), PROTO_E_VALUE);
    buf[2] = PROTO_INPUTS_MAX + 1;
    assert_int_equal(proto_inputs_decode(buf, (size_t)n, 4, &in), PROTO_E_VALUE);
    buf[0] = 2;
    assert_int_equal(proto_inputs_decode(buf, (size_t)n, 4, &in), PROTO_E_VERSION);
    buf[0] = 1;
    buf[1] = 5;
    assert_int_equal(proto_inputs_decode(buf, (size_t)n, 4, &in), PROTO_E_TYPE);
    assert_int_equal(proto_inputs_encode(buf, 12, 0, 0, data, lens, 1), PROTO_E_SPACE);
}

static void frames_as_protocol_md_shows_them(void **state)
{
    (void)state;
    /* tick 812, slot 0 present 01, slot 1 repeated 04, held from 0 */
    static const uint8_t spec[] = {0x01, 0x05, 0x01, 0x02, 0x00, 0x00, 0x03, 0x2c, 0, 0, 0, 0,
                                   0x01, 0x01, 0x01, 0x02, 0x01, 0x04};
    uint8_t frame[16], buf[64];
    size_t flen = 0, used = PROTO_LOCKSTEP_HEAD;
    assert_int_equal(proto_frame_put(frame, sizeof frame, &flen, PROTO_SLOT_PRESENT,
                                     (const uint8_t[]){1}, 1), PROTO_OK);
    assert_int_equal(proto_frame_put(frame, sizeof frame, &flen, PROTO_SLOT_REPEATED,
                                     (const uint8_t[]){4}, 1), PROTO_OK);
    proto_frames_begin(buf, 2, 812, 0);
    assert_int_equal(proto_frames_add(buf, sizeof buf, &used, frame, flen), PROTO_OK);
    assert_int_equal(used, sizeof spec);
    assert_memory_equal(buf, spec, sizeof spec);
    struct proto_frames fr;
    assert_int_equal(proto_frames_decode(spec, sizeof spec, &fr), PROTO_OK);
    assert_int_equal(fr.first, 812);
    assert_int_equal(fr.count, 1);
    assert_int_equal(fr.slots, 2);
    size_t at = PROTO_LOCKSTEP_HEAD, n;
    const uint8_t *f, *d;
    assert_true(proto_frames_next(&fr, &at, &f, &n));
    assert_int_equal(n, 6);
    enum proto_slot_flag flag;
    size_t k;
    assert_int_equal(proto_frame_slot(f, n, 2, 1, &flag, &d, &k), 0);
    assert_int_equal(flag, PROTO_SLOT_REPEATED);
    assert_int_equal(d[0], 4);
    assert_int_equal(proto_frame_slot(f, n, 2, 2, &flag, &d, &k), -1);
    assert_string_equal(proto_slot_flag_name(flag), "repeated");
    /* left and empty carry no bytes */
    flen = 0;
    proto_frame_put(frame, sizeof frame, &flen, PROTO_SLOT_LEFT, NULL, 0);
    proto_frame_put(frame, sizeof frame, &flen, PROTO_SLOT_EMPTY, NULL, 0);
    assert_int_equal(flen, 2);
    assert_int_equal(proto_frame_measure(frame, flen, 2), 2);
    /* refused: an unknown flag, cut short, bytes after, no frame, no slot */
    uint8_t bad[sizeof spec + 1];
    memcpy(bad, spec, sizeof spec);
    bad[12] = 4;
    assert_int_equal(proto_frames_decode(bad, sizeof spec, &fr), PROTO_E_VALUE);
    assert_int_equal(proto_frames_decode(spec, sizeof spec - 1, &fr), PROTO_E_VALUE);
    memcpy(bad, spec, sizeof spec);
    bad[sizeof spec] = 0;
    assert_int_equal(proto_frames_decode(bad, sizeof bad, &fr), PROTO_E_VALUE);
    bad[2] = 0;
    assert_int_equal(proto_frames_decode(bad, sizeof spec, &fr), PROTO_E_VALUE);
    bad[2] = 1;
    bad[3] = 0;
    assert_int_equal(proto_frames_decode(bad, sizeof spec, &fr), PROTO_E_VALUE);
    assert_int_equal(proto_frames_decode(spec, 11, &fr), PROTO_E_SHORT);
    /* a frames message holds 255 frames at most */
    uint8_t big[PROTO_LOCKSTEP_HEAD + 600];
    used = PROTO_LOCKSTEP_HEAD;
    proto_frames_begin(big, 2, 0, 0);
    for (int i = 0; i < PROTO_FRAMES_COUNT_MAX; i++)
        assert_int_equal(proto_frames_add(big, sizeof big, &used, frame, 2), PROTO_OK);
    assert_int_equal(proto_frames_add(big, sizeof big, &used, frame, 2), PROTO_E_SPACE);
    assert_int_equal(proto_frames_decode(big, used, &fr), PROTO_OK);
    assert_int_equal(fr.count, PROTO_FRAMES_COUNT_MAX);
}

static void settings_and_their_bounds(void **state)
{
    (void)state;
    struct proto_lockstep_settings s;
    proto_lockstep_defaults(&s);
    char why[128];
    assert_int_equal(proto_lockstep_valid(&s, why, sizeof why), 0);
    assert_int_equal(proto_lockstep_period_us(30), 33333);
    s.slots = 32;
    s.input_max = 30; /* 32 x 32 = 1024: the bound */
    assert_int_equal(proto_lockstep_valid(&s, why, sizeof why), 0);
    s.input_max = 31;
    assert_int_equal(proto_lockstep_valid(&s, why, sizeof why), -1);
    assert_non_null(strstr(why, "1024"));
    proto_lockstep_defaults(&s);
    s.hz = 61;
    assert_int_equal(proto_lockstep_valid(&s, why, sizeof why), -1);
    assert_string_equal(why, "lockstep: hz is 61, not within 10..60");
    uint64_t sum = 0;
    char hex[PROTO_SUM_LEN + 1];
    proto_sum_format(0x9f86d081884c7d65ull, hex);
    assert_string_equal(hex, "9f86d081884c7d65");
    assert_int_equal(proto_sum_parse(hex, &sum), 0);
    assert_true(sum == 0x9f86d081884c7d65ull);
    assert_int_equal(proto_sum_parse("9F86D081884C7D65", &sum), -1);
    assert_int_equal(proto_sum_parse("9f86d081884c7d6", &sum), -1);
}

static struct proto_control m, back;

static void round_trip(void)
{
    char json[4096];
    int n = proto_control_encode(json, sizeof json, &m);
    if (n < 0)
        fail_msg("encode: %d", n);
    char why[256];
    if (proto_control_decode(json, (size_t)n, &back, why, sizeof why) != PROTO_OK)
        fail_msg("%s: %s", json, why);
}

static void json_fields_there_and_back(void **state)
{
    (void)state;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "rts");
    snprintf(m.name, sizeof m.name, "ana");
    m.has_lockstep = true;
    proto_lockstep_defaults(&m.lockstep.settings);
    m.lockstep.settings.hz = 20;
    m.lockstep.settings.stand_in_last = false;
    m.spectator = true;
    round_trip();
    assert_true(back.has_lockstep);
    assert_true(back.spectator);
    assert_int_equal(back.lockstep.settings.hz, 20);
    assert_false(back.lockstep.settings.stand_in_last);

    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 3;
    snprintf(m.room, sizeof m.room, "rts");
    m.has_lockstep = true;
    proto_lockstep_defaults(&m.lockstep.settings);
    m.lockstep.settings.slots = 2;
    m.lockstep.start_us = 5021400000;
    m.lockstep.tick = 812;
    m.lockstep.has_slot = true;
    m.lockstep.slot = 1;
    m.lockstep.kept = 1;
    m.lockstep.n_players = 2;
    snprintf(m.lockstep.players[0], sizeof m.lockstep.players[0], "4f1c2a9e0b7d3e58");
    m.lockstep.players[1][0] = '\0';
    m.roster_len = 0;
    round_trip();
    assert_true(back.has_lockstep);
    assert_int_equal(back.lockstep.start_us, 5021400000);
    assert_int_equal(back.lockstep.tick, 812);
    assert_int_equal(back.lockstep.slot, 1);
    assert_int_equal(back.lockstep.n_players, 2);
    assert_string_equal(back.lockstep.players[0], "4f1c2a9e0b7d3e58");
    assert_string_equal(back.lockstep.players[1], "");
    assert_int_equal(back.lockstep.kept, 1);
    /* a welcome of a room of states has none */
    m.has_lockstep = false;
    round_trip();
    assert_false(back.has_lockstep);

    proto_control_init(&m, PROTO_CTL_JOINED);
    m.id = 4;
    snprintf(m.name, sizeof m.name, "ben");
    m.has_slot = true;
    m.slot = 3;
    round_trip();
    assert_true(back.has_slot);
    assert_int_equal(back.slot, 3);

    proto_control_init(&m, PROTO_CTL_CHECK);
    m.tick = 840;
    m.sum = 0x9f86d081884c7d65ull;
    round_trip();
    assert_int_equal(back.tick, 840);
    assert_true(back.sum == 0x9f86d081884c7d65ull);

    proto_control_init(&m, PROTO_CTL_LATE);
    m.tick = 9;
    m.by_us = 12345;
    m.count = 2;
    round_trip();
    assert_int_equal(back.type, PROTO_CTL_LATE);
    assert_int_equal(back.by_us, 12345);
    assert_int_equal(back.count, 2);

    proto_control_init(&m, PROTO_CTL_DESYNC);
    m.tick = 840;
    m.desync_len = 1;
    m.desync[0].id = 7;
    snprintf(m.desync[0].player, sizeof m.desync[0].player, "9a0b1c2d3e4f5a6b");
    round_trip();
    assert_int_equal(back.desync_len, 1);
    assert_int_equal(back.desync[0].id, 7);
    assert_string_equal(back.desync[0].player, "9a0b1c2d3e4f5a6b");
}

static void json_refusals_name_their_field(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
        int err;
    } bad[] = {
        {"{\"type\":\"check\",\"tick\":4}", "sum", PROTO_E_MISSING},
        {"{\"type\":\"check\",\"tick\":4,\"sum\":\"XYZ\"}", "sum", PROTO_E_VALUE},
        {"{\"type\":\"check\",\"tick\":-1,\"sum\":\"0000000000000000\"}", "tick", PROTO_E_VALUE},
        {"{\"type\":\"check\",\"sum\":\"0000000000000000\"}", "tick", PROTO_E_MISSING},
        {"{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"a\",\"spectator\":1}",
         "spectator", PROTO_E_FIELD_TYPE},
        {"{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"a\",\"lockstep\":[]}",
         "lockstep", PROTO_E_FIELD_TYPE},
        {"{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"a\","
         "\"lockstep\":{\"delay\":1.5}}", "delay", PROTO_E_VALUE},
        {"{\"type\":\"desync\",\"tick\":1,\"ids\":[0]}", "ids", PROTO_E_VALUE},
        {"{\"type\":\"desync\",\"tick\":1}", "ids", PROTO_E_MISSING},
        {"{\"type\":\"late\",\"tick\":1}", "by_us", PROTO_E_MISSING},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256];
        int rc = proto_control_decode(bad[i].json, strlen(bad[i].json), &back, why, sizeof why);
        if (rc != bad[i].err || strcmp(back.fault.field, bad[i].field) != 0)
            fail_msg("%s: %d (%s), field %s", bad[i].json, rc, why, back.fault.field);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inputs_round_trip_and_refusals),
        cmocka_unit_test(frames_as_protocol_md_shows_them),
        cmocka_unit_test(settings_and_their_bounds),
        cmocka_unit_test(json_fields_there_and_back),
        cmocka_unit_test(json_refusals_name_their_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
