/* test_e2e_quic_ip_mode.c: ricochet-netsim's IP mode between two
 * namespaces carrying QUIC as UDP: three `streams` bots through 5% loss
 * each way get every state, none reordered, and netsim did drop packets
 * both ways (skipped without the privilege for namespaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "lab/harness/netlab.h"
#include "tests/support/harness.h"

static const cJSON *json_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    return v;
}

/* netsim in IP mode between a lab's two namespaces, the relay's quic edge
 * in one, three bots of the mode streams in the other, 5% of the packets
 * lost each way: QUIC's packets are UDP to netsim, and its streams resend
 * what it drops, so every bot gets every other's states, in order (a lost
 * one would show as lost below the newest, a late one as reordered). */
static void quic_through_netsim_ip_mode(void **state)
{
    (void)state;
    struct netlab lab;
    char err[256];
    if (netlab_open(&lab, err, sizeof err) != 0) {
        print_message("no network namespaces here: %s\n", err);
        skip();
    }
    struct spawn_proc netsim, relay, bot;
    const char *nargs[] = {"--client-netns", lab.path[NETLAB_CLIENT], "--relay-netns",
                           lab.path[NETLAB_RELAY], "--loss", "5", "--delay", "5", "--seed", "11",
                           "--duration", "60", NULL};
    assert_int_equal(harness_spawn(&netsim, "ricochet-netsim", nargs), 0);
    char line[512];
    if (spawn_wait_line(&netsim, "wire up:", 10000, line, sizeof line, err, sizeof err) != 0)
        fail_msg("%s", err);
    const char *rargs[] = {"--listen", "quic://198.19.0.1:0", NULL};
    assert_int_equal(spawn_start_in(&relay, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-relay", rargs, err, sizeof err), 0);
    int port = spawn_wait_listening(&relay, 10000, err, sizeof err);
    if (port <= 0)
        fail_msg("%s", err);
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%d", port);
    const char *bargs[] = {"--transport", "quic", "--host", "198.19.0.1", "--port", port_text,
                           "--mode", "streams", "--count", "3", "--rate", "30", "--duration",
                           "3", "--seed", "5", "--json", NULL};
    assert_int_equal(spawn_start_in(&bot, lab.ns[NETLAB_CLIENT], harness_bin_dir(),
                                    "ricochet-bot", bargs, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&bot, 0, 30000), 0);
    char *out = spawn_read_stdout(&bot);
    spawn_free(&bot);
    assert_non_null(out);
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *bots = json_at(root, "bots"), *b;
    assert_int_equal(cJSON_GetArraySize(bots), 3);
    cJSON_ArrayForEach(b, bots) {
        assert_true(cJSON_IsTrue(json_at(b, "connected")));
        assert_int_equal(cJSON_GetArraySize(json_at(b, "from")), 2);
        const cJSON *f;
        cJSON_ArrayForEach(f, json_at(b, "from")) {
            assert_string_equal(json_at(f, "mode")->valuestring, "streams");
            assert_true(json_at(f, "received")->valuedouble >= 60);
            assert_true(json_at(f, "lost")->valuedouble == 0);
            assert_true(json_at(f, "reordered")->valuedouble == 0);
        }
    }
    cJSON_Delete(root);
    free(out);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 10000), 0);
    char *report = spawn_read_stdout(&netsim);
    spawn_free(&netsim);
    netlab_close(&lab);
    /* the loss was real: netsim dropped QUIC's packets both ways */
    assert_non_null(report);
    cJSON *st = cJSON_Parse(report);
    assert_non_null(st);
    assert_true(json_at(json_at(st, "up"), "dropped")->valuedouble > 0);
    assert_true(json_at(json_at(st, "down"), "dropped")->valuedouble > 0);
    cJSON_Delete(st);
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quic_through_netsim_ip_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
