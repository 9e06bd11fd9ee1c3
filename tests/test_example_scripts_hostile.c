/* test_example_scripts_hostile.c: the example room scripts
 * (examples/scripts, docs/scripts.md) fed hostile input from members, in
 * the relay core through a fake transport and a fake clock. Tag's speed
 * limit holds against a member whose clock runs ahead (a state stamped
 * 1000 s after its last, 40 ms later by the relay's clock, is corrected
 * to what 40 ms allow, with the 250 ms a clock may lead and a state's
 * slack, told as a fix, and so on after), and an honest member moving within
 * the limit is never corrected; states at the edges of what the wire takes
 * (+-1e6, a clock at 0 and at its largest, backwards), churn of joins and
 * leaves, and a member's own claims of gates and clears of the score make
 * neither script fail (no script error, none switched off). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"
#include "tests/support/fake_relay.h"
#include "tests/support/room_scripts.h"

#define DIR "examples/scripts"
#define STEP_US 40000u /* the relay's clock between two states */

/* peer's state at (x, y) stamped by its own clock at t_us. */
static int state_at(struct relay *r, uint32_t peer, uint32_t seq, float x, float y,
                    uint64_t t_us)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.seq = seq, .send_us = t_us, .x = x, .y = y};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                             sizeof buf, now_us);
}

/* The x of the last state sent to peer. */
static float last_x(uint32_t peer)
{
    for (size_t i = fk.n_states; i-- > 0;)
        if (fk.states[i].peer == peer) {
            struct proto_state s;
            assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                             PROTO_OK);
            return s.x;
        }
    fail_msg("no state to %u", (unsigned)peer);
    return 0;
}

/* Events to peer whose body starts "fix ". */
static size_t fixes_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        struct proto_event e;
        const uint8_t *b = (const uint8_t *)fk.ctl[i].json;
        if (fk.ctl[i].peer == peer && proto_is_event(b, fk.ctl[i].len) &&
            proto_event_decode(b, fk.ctl[i].len, &e) == PROTO_OK && e.len >= 4 &&
            memcmp(e.body, "fix ", 4) == 0)
            n++;
    }
    return n;
}

static void no_script_failed(struct relay *r)
{
    const struct relay_script_counts *c = &relay_stats(r)->script;
    if (c->errors || c->off)
        fail_msg("script errors %llu, rooms switched off %llu", (unsigned long long)c->errors,
                 (unsigned long long)c->off);
}

static void a_clock_ahead_buys_no_speed(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 3);
    struct script_engine *e = scripts_engine(r, DIR, "tag", 0, 0);
    assert_int_equal(join(r, 0, "yard", "cheat", false), 0);
    assert_int_equal(join(r, 1, "yard", "honest", false), 0);
    assert_int_equal(join(r, 2, "yard", "looker", false), 0);
    uint64_t t = 5000000;
    /* honest: 1 unit a step of 40 ms (25 a second), its clock the relay's */
    for (uint32_t seq = 1; seq <= 50; seq++) {
        now_us += STEP_US;
        assert_int_equal(state_at(r, 1, seq, 10.0f + (float)seq, 50, t + seq * STEP_US), 0);
    }
    assert_int_equal(fixes_to(2), 0);
    assert_true(last_x(2) == 60.0f);
    /* the cheat: its clock runs 1000 s ahead between two states 40 ms apart */
    now_us += STEP_US;
    assert_int_equal(state_at(r, 0, 1, 10, 10, t), 0);
    now_us += STEP_US;
    assert_int_equal(state_at(r, 0, 2, 900, 10, t + 1000000000u), 0);
    float x = last_x(2);
    print_message("a state 890 units on, its clock 1000 s ahead, 40 ms later: seen at x %.2f, "
                  "%zu fixes\n", x, fixes_to(2));
    assert_int_equal(fixes_to(2), 1);
    assert_true(x < 30.0f); /* 40 u/s for 40 ms, the slack, what a clock may lead by */
    /* and goes on no faster: its clock still ahead, 25 states in 1 s by the
     * relay's, each corrected to 40 u/s and the 2 units of slack a state */
    for (uint32_t seq = 3; seq < 28; seq++) {
        now_us += STEP_US;
        assert_int_equal(state_at(r, 0, seq, 900, 10, t + 2000000000u + seq), 0);
    }
    print_message("1 s on by the relay's clock: seen at x %.2f, %zu fixes\n", last_x(2),
                  fixes_to(2));
    assert_true(last_x(2) <= x + 40.0f + 25 * 2.0f + 0.5f);
    assert_int_equal(fixes_to(2), 26);
    no_script_failed(r);
    script_engine_close(e);
    relay_destroy(r);
}

static void hostile_input_fails_neither_script(void **state)
{
    (void)state;
    static const float xs[] = {1e6f, -1e6f, 0, 50, -1e6f, 1e6f, 35, 85};
    static const uint64_t ts[] = {0, PROTO_TIME_MAX, 1, PROTO_TIME_MAX, 0, 7, 7, 3};
    const char *scripts[] = {"tag", "gates"};
    for (size_t k = 0; k < 2; k++) {
        struct relay_config cfg = unlimited_config();
        struct relay *r = relay_with_peers(&cfg, 8);
        struct script_engine *e = scripts_engine(r, DIR, scripts[k], 0, 0);
        uint32_t seq = 1;
        for (int round = 0; round < 20; round++) {
            for (uint32_t p = 0; p < 8; p++) {
                char name[16];
                snprintf(name, sizeof name, "m%u", (unsigned)p);
                if (round % 4 == 0 && (int)p % 2 == round / 4 % 2) { /* churn: half leave, rejoin */
                    send_text(r, p, "{\"type\":\"leave\"}");
                    join(r, p, "yard", name, false);
                }
                now_us += 1000;
                state_at(r, p, seq, xs[(p + (uint32_t)round) % 8], xs[(p * 3 + 1) % 8],
                         ts[(p + (uint32_t)round) % 8]);
                seq++;
                send_text(r, p, "{\"type\":\"event\",\"to\":0,\"keep\":\"g1\",\"body\":\"x\"}");
                send_text(r, p, "{\"type\":\"clear\",\"key\":\"score\"}");
            }
            now_us += 1000000;
            relay_sweep(r, now_us);
        }
        print_message("%s: %llu calls, %llu errors\n", scripts[k],
                      (unsigned long long)relay_stats(r)->script.calls,
                      (unsigned long long)relay_stats(r)->script.errors);
        assert_true(relay_stats(r)->script.calls > 50);
        no_script_failed(r);
        script_engine_close(e);
        relay_destroy(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_clock_ahead_buys_no_speed, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(hostile_input_fails_neither_script, fake_relay_setup,
                                        fake_relay_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
