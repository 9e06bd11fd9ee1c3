/* test_agones.c: the Agones SDK client against a stand-in sidecar that records
 * each call (`tests/support/agones_sdk.c`): methods, paths and bodies, the
 * GameServer's address, label syntax, a missing and a silent sidecar */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleet/agones.h"
#include "sys/clock.h"
#include "tests/support/agones_sdk.h"

static char err[256];

static void calls_reach_the_sidecar_as_documented(void **state)
{
    (void)state;
    struct stand_in_sdk *sdk = sdk_start(0);
    struct agones_sdk s = {.port = sdk_port(sdk), .timeout_ms = 2000};
    assert_int_equal(agones_ready(&s, err, sizeof err), 200);
    assert_int_equal(agones_health(&s, err, sizeof err), 200);
    assert_int_equal(agones_label(&s, "rooms", "12", err, sizeof err), 200);
    assert_int_equal(agones_shutdown(&s, err, sizeof err), 200);
    struct sdk_call c[8];
    assert_int_equal(sdk_calls(sdk, c, 8), 4);
    const char *expect[4][3] = {{"POST", "/ready", "{}"},
                                {"POST", "/health", "{}"},
                                {"PUT", "/metadata/label", "{\"key\":\"rooms\",\"value\":\"12\"}"},
                                {"POST", "/shutdown", "{}"}};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(c[i].method, expect[i][0]);
        assert_string_equal(c[i].path, expect[i][1]);
        assert_string_equal(c[i].body, expect[i][2]);
    }
    sdk_answer(sdk, 503);
    assert_int_equal(agones_health(&s, err, sizeof err), 503);
    sdk_stop(sdk);
}

static void the_gameserver_says_where_players_reach_it(void **state)
{
    (void)state;
    struct stand_in_sdk *sdk = sdk_start(0);
    struct agones_sdk s = {.port = sdk_port(sdk), .timeout_ms = 2000};
    char host[64];
    uint16_t port = 0;
    assert_int_equal(agones_gameserver_address(&s, host, sizeof host, &port, err, sizeof err),
                     -1); /* not scheduled yet */
    assert_non_null(strstr(err, "no status.address"));
    sdk_gameserver(sdk, "{\"object_meta\":{\"name\":\"r-1\"},\"status\":{\"state\":"
                        "\"Scheduled\",\"address\":\"203.0.113.9\",\"ports\":[{\"name\":"
                        "\"metrics\",\"port\":9100},{\"name\":\"default\",\"port\":7412}]}}");
    assert_int_equal(agones_gameserver_address(&s, host, sizeof host, &port, err, sizeof err), 0);
    assert_string_equal(host, "203.0.113.9");
    assert_int_equal(port, 7412);
    struct sdk_call c[4];
    assert_int_equal(sdk_calls(sdk, c, 4), 2);
    assert_string_equal(c[1].method, "GET");
    assert_string_equal(c[1].path, "/gameserver");
    sdk_stop(sdk);
}

static void labels_must_be_kubernetes_labels(void **state)
{
    (void)state;
    struct agones_sdk s = {.port = 1, .timeout_ms = 100};
    const char *bad[][2] = {{"", "1"}, {"a b", "1"}, {"rooms", "-1"}, {"-x", "1"},
                            {"rooms", "\"quoted\""},
                            {"k", "0123456789012345678901234567890123456789012345678901234567890123"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(agones_label(&s, bad[i][0], bad[i][1], err, sizeof err), -1);
        assert_non_null(strstr(err, "not a Kubernetes label"));
    }
}

/* A port nobody listens on: refused at once (the sidecar not started yet). */
static void a_missing_sidecar_is_a_quick_failure(void **state)
{
    (void)state;
    struct stand_in_sdk *sdk = sdk_start(0);
    uint16_t port = sdk_port(sdk);
    sdk_stop(sdk);
    struct agones_sdk s = {.port = port, .timeout_ms = 5000};
    uint64_t t0 = clock_now_ms();
    assert_int_equal(agones_ready(&s, err, sizeof err), -1);
    assert_true(clock_now_ms() - t0 < 4000);
    assert_non_null(strstr(err, "refused"));
}

/* A listener that never answers: the call ends at its timeout. */
static void a_silent_sidecar_times_out(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    struct agones_sdk s = {.port = ntohs(a.sin_port), .timeout_ms = 300};
    uint64_t t0 = clock_now_ms();
    assert_int_equal(agones_health(&s, err, sizeof err), -1);
    assert_true(clock_now_ms() - t0 < 3000);
    assert_non_null(strstr(err, "no HTTP answer"));
    close(fd);
}

static void the_port_comes_from_the_environment(void **state)
{
    (void)state;
    uint16_t port = 0;
    unsetenv("AGONES_SDK_HTTP_PORT");
    assert_int_equal(agones_port_from_env(&port, err, sizeof err), 0);
    setenv("AGONES_SDK_HTTP_PORT", "9358", 1);
    assert_int_equal(agones_port_from_env(&port, err, sizeof err), 1);
    assert_int_equal(port, 9358);
    setenv("AGONES_SDK_HTTP_PORT", "93x", 1);
    assert_int_equal(agones_port_from_env(&port, err, sizeof err), -1);
    assert_non_null(strstr(err, "AGONES_SDK_HTTP_PORT='93x'"));
    unsetenv("AGONES_SDK_HTTP_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calls_reach_the_sidecar_as_documented),
        cmocka_unit_test(the_gameserver_says_where_players_reach_it),
        cmocka_unit_test(labels_must_be_kubernetes_labels),
        cmocka_unit_test(a_missing_sidecar_is_a_quick_failure),
        cmocka_unit_test(a_silent_sidecar_times_out),
        cmocka_unit_test(the_port_comes_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
