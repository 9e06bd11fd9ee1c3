/* test_quic_ticks.c: the relay's quic edge with a tick (in process on
 * 127.0.0.1, two libricochet QUIC members): acknowledgements ride with
 * states both ways, about a packet a tick each way rather than two; a
 * tick with nothing for a member wakes no connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "tests/support/quic_edge.h"

/* Two unsequenced members of a relay with a tick of tick_ms, past the
 * handshake's last acknowledgements and the clock's first pings (ten a
 * second, then one a second). */
static void two_ticked_members(struct harness_rec *r, int tick_ms)
{
    env_open_ticked(&E, 4, (uint64_t)tick_ms * 1000);
    memset(r, 0, sizeof *r);
    r->n = 2;
    r->c[0] = member(&E, "a", PROTO_MODE_UNSEQUENCED);
    r->c[1] = member(&E, "b", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, r);
    for (int ms = 0; ms < 3000 && (r->c[0]->sync.clock_samples < 10 || r->c[1]->sync.clock_samples < 10);
         ms += 100)
        pump_for(&E, r, 100);
}

/* Both of two_ticked_members' members send their k-th state. */
static void both_send(struct harness_rec *r, int k)
{
    for (size_t i = 0; i < 2; i++) {
        struct ricochet_state st = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r->c[i], &st), RICOCHET_OK);
    }
}

/* Closes what two_ticked_members opened. */
static void two_ticked_members_close(struct harness_rec *r)
{
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r->c[i]);
    pump_for(&E, NULL, 100);
    env_close(&E);
}

/* With a tick, acknowledgements ride with states both ways. The relay's
 * acknowledgement of what a member sent waits for its room's next fan-out
 * and rides in that packet; a member's of the fan-out waits for its next
 * state and rides in that one. A member that sends a state every tick gets
 * about a packet a tick and sends about one, not two each way (ngtcp2
 * alone acknowledges within an eighth of the round trip). */
static void acknowledgements_ride_with_states(void **state)
{
    (void)state;
    enum { TICK_MS = 50, TICKS = 20 };
    static struct harness_rec r;
    two_ticked_members(&r, TICK_MS);
    uint64_t got0[2], sent0[2];
    for (size_t i = 0; i < 2; i++) {
        got0[i] = r.c[i]->wire.dgrams_received;
        sent0[i] = r.c[i]->wire.dgrams_sent;
    }
    for (int k = 0; k < TICKS; k++) {
        both_send(&r, k);
        pump_for(&E, &r, TICK_MS);
    }
    for (size_t i = 0; i < 2; i++) {
        uint64_t got = r.c[i]->wire.dgrams_received - got0[i];
        uint64_t sent = r.c[i]->wire.dgrams_sent - sent0[i];
        print_message("member %zu: %" PRIu64 " packets from the relay, %" PRIu64
                      " to it over %d ticks\n", i, got, sent, TICKS);
        assert_in_range(r.states[i][ricochet_id(r.c[1 - i])], TICKS - 2, TICKS);
        /* about a packet a tick (21 to 30 here), and some for the ticks
         * the states fell in apart; acknowledged at once, two a tick (56) */
        assert_true(got <= TICKS * 7 / 4);
        /* a packet a state (23 or 24 here with a clock ping or two); each
         * fan-out acknowledged at once, two (42 to 44) */
        assert_true(sent <= TICKS * 3 / 2);
    }
    two_ticked_members_close(&r);
}

/* A tick with nothing for a member wakes no connection: after a fan-out
 * that left nothing to write, the pacing timer ngtcp2 set for the next
 * packet (microseconds away) used to wake each member one millisecond
 * after its room's next tick, to write nothing: in rooms of 8 at 10 Hz,
 * ten wakes a member a second, four in five of them for nothing. */
static void an_empty_tick_wakes_no_one(void **state)
{
    (void)state;
    enum { TICK_MS = 50, ROUNDS = 10 };
    static struct harness_rec r;
    two_ticked_members(&r, TICK_MS);
    uint64_t wakes0 = own(&E, QUIC_COUNT_TIMER_WAKES);
    for (int k = 0; k < ROUNDS; k++) { /* a state every other tick */
        both_send(&r, k);
        pump_for(&E, &r, 2 * TICK_MS);
    }
    uint64_t wakes = own(&E, QUIC_COUNT_TIMER_WAKES) - wakes0;
    print_message("%" PRIu64 " timer wakes over %d ticks, %d of them empty\n", wakes,
                  2 * ROUNDS, ROUNDS);
    assert_in_range(r.states[0][ricochet_id(r.c[1])], ROUNDS - 1, ROUNDS);
    /* 3 to 9 here (acknowledgements of pings; 14 once, beside other
     * tests on two cores); a wake after each empty tick for each member
     * before, 18 to 22 */
    assert_true(wakes <= ROUNDS * 3 / 2);
    two_ticked_members_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acknowledgements_ride_with_states),
        cmocka_unit_test(an_empty_tick_wakes_no_one),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
