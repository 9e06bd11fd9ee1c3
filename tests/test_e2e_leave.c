/* test_e2e_leave.c: a member that sends its last states and disconnects
 * at once (ENet, enet_peer_disconnect_later) against the real relay on
 * 127.0.0.1: every one of those states reaches the room before the
 * member's left notice, with the relay's default tick, none, and a long
 * one. Two ways to lose them are closed: the tick's held states of a
 * leaver, and ENet 1.3.17 discarding a peer's undelivered packets when
 * its DISCONNECT is read in the same batch. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define TRIALS 10
#define LAST_STATES 3 /* sent just before the disconnect */

/* One trial: a member joins the room where `watcher` is, sends
 * LAST_STATES states and disconnects (later: after what is queued).
 * Returns how many of its states the watcher got before its left notice. */
static uint64_t states_before_left(struct raw_enet *watcher, uint16_t port, int trial)
{
    struct raw_enet leaver;
    static struct proto_control msg;
    char name[24];
    snprintf(name, sizeof name, "leaver%d", trial);
    assert_int_equal(raw_enet_open(&leaver, port), 0);
    assert_int_equal(raw_enet_join(&leaver, "bye", name, PROTO_MODE_UNSEQUENCED, 3000), 0);
    assert_int_equal(raw_enet_expect(watcher, PROTO_CTL_JOINED, NULL, 3000, &msg), 0);
    uint64_t before = watcher->states_received;
    uint8_t buf[PROTO_STATE_MAX];
    for (uint32_t seq = 1; seq <= LAST_STATES; seq++) {
        size_t len = raw_state_bytes(buf, sizeof buf, 0, seq, PROTO_STATE_SIZE);
        raw_enet_send(&leaver, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, buf, len);
    }
    enet_peer_disconnect_later(leaver.peer, 0);
    uint64_t deadline = clock_now_ms() + 3000;
    while (!leaver.disconnected && clock_now_ms() < deadline)
        raw_enet_service(&leaver, 10, 0, NULL, NULL, NULL);
    assert_true(leaver.disconnected);
    raw_enet_close(&leaver);
    assert_int_equal(raw_enet_expect(watcher, PROTO_CTL_LEFT, NULL, 3000, &msg), 0);
    assert_int_equal(msg.reason, PROTO_LEFT_QUIT);
    return watcher->states_received - before;
}

static void leavers_states_arrive(const char *tick_ms)
{
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", tick_ms ? "--tick-ms" : NULL, tick_ms, NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct raw_enet watcher;
    assert_int_equal(raw_enet_open(&watcher, (uint16_t)port), 0);
    assert_int_equal(raw_enet_join(&watcher, "bye", "watcher", PROTO_MODE_UNSEQUENCED, 3000), 0);
    int complete = 0;
    uint64_t got = 0;
    for (int i = 0; i < TRIALS; i++) {
        uint64_t n = states_before_left(&watcher, (uint16_t)port, i);
        got += n;
        complete += n == LAST_STATES;
    }
    long long in = harness_relay_stat(&relay, "states_in");
    long long out = harness_relay_stat(&relay, "states_out");
    raw_enet_close(&watcher);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    print_message("tick %s ms: %d of %d leavers' last %d states all arrived before their "
                  "left notice (%llu of %d states); relay states_in %lld, states_out %lld\n",
                  tick_ms ? tick_ms : "(default)", complete, TRIALS, LAST_STATES,
                  (unsigned long long)got, TRIALS * LAST_STATES, in, out);
    assert_int_equal(complete, TRIALS);
    assert_int_equal(in, TRIALS * LAST_STATES);
    assert_int_equal(out, TRIALS * LAST_STATES);
}

static void leavers_states_default_tick(void **state)
{
    (void)state;
    leavers_states_arrive(NULL);
}

static void leavers_states_no_tick(void **state)
{
    (void)state;
    leavers_states_arrive("0");
}

static void leavers_states_long_tick(void **state)
{
    (void)state;
    leavers_states_arrive("20");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leavers_states_default_tick),
        cmocka_unit_test(leavers_states_no_tick),
        cmocka_unit_test(leavers_states_long_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
