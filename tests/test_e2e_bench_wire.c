/* test_e2e_bench_wire.c: the generator's ENet clients on wire hubs (one socket
 * for many clients, each speaking ENet's wire itself: client_wire.c)
 * against the real relay on 127.0.0.1, through ricochet-bench: every
 * state of every ENet mode delivered, none lost, no client disconnected;
 * the same with --enet-hosts (clients on shared ENet hosts, as before)
 * and with --send-grain (sends due within a grain leaving together). The
 * relay runs with --stale-ms 0: on a loaded host it may fall behind, and
 * by default it then sheds unreliable states as stale (counted,
 * PROTOCOL.md); every state is counted here, so none may be shed. The
 * generator's CPU beside the relay's is a benchmark's figure, not a test's
 * (docs/benchmarks.md, "The generator against the relay"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/support/bench_json.h"

static void every_state_delivered(const cJSON *results, const char *mode, double clients)
{
    const cJSON *r = bj_mode(results, mode);
    assert_true(bj_flag(r, "ok", NULL));
    double sent = bj_num(r, "sent"), expected = bj_num(r, "expected");
    assert_true(sent >= clients); /* every client sent */
    assert_true(expected > 0);
    assert_true(bj_num(r, "delivered") == expected);
    assert_true(bj_num(r, "lost_pct") == 0);
    assert_true(bj_num(r, "disconnects") == 0);
    assert_true(bj_num(r, "send_errors") == 0);
}

static void wire_hubs_deliver_every_state(void **state)
{
    (void)state;
    /* 3 rooms of 8 on 2 hubs of 16: peers of one socket in one room and apart */
    const char *args[] = {"--clients", "24", "--room-size", "8", "--per-host", "16",
                          "--rate", "20", "--duration", "2", "--warmup", "0.5",
                          "--grace", "1", "--modes", "unsequenced,sequenced,reliable",
                          "--relay-args", "--stale-ms 0", "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    assert_int_equal(cJSON_GetArraySize(results), 3);
    every_state_delivered(results, "unsequenced", 24);
    every_state_delivered(results, "sequenced", 24);
    every_state_delivered(results, "reliable", 24);
}

static void enet_hosts_deliver_every_state(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "16", "--room-size", "8", "--per-host", "8",
                          "--rate", "20", "--duration", "1", "--warmup", "0.5",
                          "--grace", "1", "--modes", "unsequenced,reliable", "--enet-hosts",
                          "--relay-args", "--stale-ms 0", "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    every_state_delivered(results, "unsequenced", 16);
    every_state_delivered(results, "reliable", 16);
}

static void send_grain_keeps_every_state(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "16", "--room-size", "8", "--rate", "50",
                          "--duration", "1", "--warmup", "0.5", "--grace", "1",
                          "--send-grain", "2", "--modes", "unsequenced,reliable",
                          "--relay-args", "--stale-ms 0", "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    every_state_delivered(results, "unsequenced", 16);
    every_state_delivered(results, "reliable", 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wire_hubs_deliver_every_state),
        cmocka_unit_test(enet_hosts_deliver_every_state),
        cmocka_unit_test(send_grain_keeps_every_state),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
