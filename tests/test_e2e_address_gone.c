/* test_e2e_address_gone.c: a relay whose bound address leaves its interface for
 * a few seconds and comes back, in a network namespace of the test's own (the
 * address on its loopback; skips without the rights or without `ip`): three
 * ENet, three plain-UDP and three QUIC bots in the namespace play through it;
 * while the address is gone the kernel refuses every send (ENet 1.3.17 then
 * fails its whole service call, or its flush): the relay stays up and counts it
 * (`edges.enet.socket_errors`, read while the address is gone), times out no
 * one, and every bot keeps receiving once the address is back; the ENet bots'
 * own refused sends do not end their sessions */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "tests/support/harness.h"

#define ADDRESS "10.77.0.1"

/* Where iproute2's ip is, or NULL. */
static const char *ip_dir(void)
{
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[32];
        snprintf(path, sizeof path, "%s/ip", dirs[i]);
        if (access(path, X_OK) == 0)
            return dirs[i];
    }
    return NULL;
}

/* ip addr VERB ADDRESS/32 dev lo, in the relay's namespace of lab. */
static void address(const struct netlab *lab, const char *verb)
{
    struct spawn_proc ip;
    char err[256];
    const char *args[] = {"addr", verb, ADDRESS "/32", "dev", "lo", NULL};
    if (spawn_start_in(&ip, lab->ns[NETLAB_RELAY], ip_dir(), "ip", args, err, sizeof err) != 0)
        fail_msg("ip addr %s: %s", verb, err);
    assert_int_equal(spawn_stop(&ip, 0, 10000), 0);
    spawn_free(&ip);
}

/* The bots of one transport: every bot heard from every other, and each
 * stream of states kept coming after the gap (more received than the
 * gap's share could leave). */
static void bots_played(struct spawn_proc *bot, const char *transport, int count)
{
    assert_int_equal(spawn_stop(bot, 0, 30000), 0);
    char *out = spawn_read_stdout(bot);
    assert_non_null(out);
    cJSON *root = cJSON_Parse(out);
    if (!root)
        fail_msg("%s bots: no JSON report: %s", transport, out);
    const cJSON *bots = cJSON_GetObjectItem(root, "bots"), *b, *f;
    assert_int_equal(cJSON_GetArraySize(bots), count);
    cJSON_ArrayForEach(b, bots) {
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(b, "connected")));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "from")), count - 1);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(b, "from")) {
            double got = cJSON_GetObjectItem(f, "received")->valuedouble;
            double expected = cJSON_GetObjectItem(f, "expected")->valuedouble;
            print_message("%s: %.0f of %.0f states received\n", transport, got, expected);
            /* 8 s at 20 Hz, at most about 4 s of it with the address gone */
            assert_true(got >= expected - 90 && got > 60);
        }
    }
    cJSON_Delete(root);
    free(out);
    spawn_free(bot);
}

static void relay_outlives_its_address(void **state)
{
    (void)state;
    struct netlab lab;
    char err[256];
    if (!ip_dir()) {
        print_message("no ip (iproute2) here\n");
        skip();
    }
    if (netlab_open(&lab, err, sizeof err) != 0) {
        print_message("no network namespaces here: %s\n", err);
        skip();
    }
    address(&lab, "add");
    struct spawn_proc relay, enet_bots, udp_bots, quic_bots;
    const char *rargs[] = {"--listen", "enet://" ADDRESS ":0", "--listen", "udp://" ADDRESS ":0",
                           "--listen", "quic://" ADDRESS ":0", "--stats-json", NULL};
    assert_int_equal(spawn_start_in(&relay, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-relay", rargs, err, sizeof err), 0);
    uint16_t enet_port = harness_edge_port(&relay, "enet");
    uint16_t udp_port = harness_edge_port(&relay, "udp");
    uint16_t quic_port = harness_edge_port(&relay, "quic");
    char ep[8], up[8], qp[8];
    snprintf(ep, sizeof ep, "%u", enet_port);
    snprintf(up, sizeof up, "%u", udp_port);
    snprintf(qp, sizeof qp, "%u", quic_port);
    const char *eargs[] = {"--host", ADDRESS, "--port", ep, "--room", "e", "--count", "3",
                           "--rate", "20", "--duration", "8", "--json", NULL};
    const char *uargs[] = {"--mode", "udp", "--host", ADDRESS, "--port", up, "--room", "u",
                           "--count", "3", "--rate", "20", "--duration", "8", "--json", NULL};
    const char *qargs[] = {"--transport", "quic", "--pin", "", "--host", ADDRESS, "--port", qp,
                           "--room", "q", "--count", "3", "--rate", "20", "--duration", "8",
                           "--json", NULL};
    assert_int_equal(spawn_start_in(&quic_bots, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-bot", qargs, err, sizeof err), 0);
    assert_int_equal(spawn_start_in(&enet_bots, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-bot", eargs, err, sizeof err), 0);
    assert_int_equal(spawn_start_in(&udp_bots, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-bot", uargs, err, sizeof err), 0);
    usleep(2000000);
    address(&lab, "del");
    /* With the bots cut off too, the relay sends again when it pings them,
     * half its 5 s timeout after it last heard from them: until then it may
     * have nothing to send. Back before that timeout. */
    long long refused = 0;
    for (int ms = 0; ms < 4000 && refused <= 0; ms += 100) {
        usleep(100000);
        if (!spawn_running(&relay))
            break;
        refused = harness_relay_stat(&relay, "edges.enet.socket_errors");
    }
    assert_true(spawn_running(&relay));
    print_message("the ENet edge's sends refused while the address was gone: %lld\n", refused);
    assert_true(refused > 0);
    address(&lab, "add");
    bots_played(&enet_bots, "enet", 3);
    bots_played(&udp_bots, "udp", 3);
    bots_played(&quic_bots, "quic", 3);
    char *out = harness_relay_finish(&relay); /* still there, exits 0 */
    assert_int_equal(harness_stats_field(out, true, "timeouts"), 0);
    spawn_free(&relay);
    free(out);
    netlab_close(&lab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relay_outlives_its_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
