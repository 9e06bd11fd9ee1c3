/* test_e2e_tick.c: ricochet-relay --tick-ms over 127.0.0.1, both
 * transports: every state reaches every other member once and in order
 * through the real loop (the core's tests check the latency bound with a
 * fake clock), and the relay counts fewer fan-outs than states. Over plain
 * UDP the library asks for batches: fewer datagrams arrive than states.
 * The relay runs with --stale-ms 0: a loaded host can keep it from running
 * for longer than two ticks, and by default it then sheds the states that
 * waited as stale (PROTOCOL.md promises no more for unreliable modes);
 * every state is counted here, so none may be shed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000
#define ROUNDS 40

/* Sends ROUNDS states from every member, 5 ms apart (several per 20 ms
 * tick), then waits until each member has every other's last one. */
static void tick_session(enum proto_mode mode, const char *transport)
{
    const char *args[] = {"--transport", transport, "--tick-ms", "20", "--stale-ms", "0", NULL};
    const struct harness_member members[3] = {{"ann", mode, false},
                                              {"ben", mode, false},
                                              {"cat", mode, false}};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, args, "tick", members, 3, NULL, WAIT_MS);
    uint32_t id[3];
    for (size_t i = 0; i < 3; i++)
        id[i] = ricochet_id(r->c[i]);
    for (int k = 1; k <= ROUNDS; k++) {
        for (size_t i = 0; i < 3; i++) {
            struct proto_state st = {.send_us = clock_now_us(), .x = (float)k, .y = 1};
            assert_int_equal(client_send_state(r->c[i], &st, 0), 0);
        }
        harness_poll_for(r->c, r->n, 5, harness_rec_event, r);
    }
    uint64_t deadline = clock_now_us() + 2000000;
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++)
                done += i != j && r->states[i][id[j]] == ROUNDS;
        if (done == 6 || clock_now_us() > deadline)
            break;
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(r->self_states[i], 0);
        for (size_t j = 0; j < 3; j++) {
            if (i == j)
                continue;
            /* loopback loses nothing: all of them, once each, the last last */
            assert_int_equal(r->states[i][id[j]], ROUNDS);
            assert_int_equal(r->last[i][id[j]].seq, ROUNDS);
            const struct client_member *m = client_member(r->c[i], id[j]);
            assert_non_null(m);
            assert_int_equal(m->stats.duplicates, 0);
            assert_int_equal(m->stats.reordered, 0);
        }
        if (mode == PROTO_MODE_UDP) {
            /* a tick's states from both others share a datagram: at most
             * half as many datagrams as states, plus the control messages */
            struct client_netinfo ni;
            client_netinfo(r->c[i], &ni);
            assert_true(ni.datagrams_received < 2 * ROUNDS);
        }
    }
    char *out = NULL;
    harness_session_end(&s, WAIT_MS, &out);
    long long in = harness_stats_field(out, true, "states_in");
    long long ticks = harness_stats_field(out, true, "ticks");
    assert_int_equal(in, 3 * ROUNDS);
    assert_int_equal(harness_stats_field(out, true, "states_out"), 6 * ROUNDS);
    /* batched: a tick gathers several states (40 rounds in ~200 ms, ~10 ticks) */
    assert_true(ticks > 0 && ticks * 2 <= in);
    free(out);
}

static void tick_enet(void **state)
{
    (void)state;
    tick_session(PROTO_MODE_SEQUENCED, "enet");
}

static void tick_udp(void **state)
{
    (void)state;
    tick_session(PROTO_MODE_UDP, "udp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tick_enet),
        cmocka_unit_test(tick_udp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
