/* test_e2e_service.c: ricochet-relay as a service. Under a service
 * manager ($NOTIFY_SOCKET) it says READY=1 once it listens and its
 * metrics endpoint serves, STOPPING=1 on SIGTERM; with --log-json every
 * stderr line is one JSON object; the systemd unit that make install
 * writes passes systemd-analyze verify, and its hardening scores an
 * exposure of 2.0 or less in systemd-analyze security. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/servers.h"

#define WAIT_MS 5000

/* The next datagram on fd within ms, into buf; "" if none came. */
static const char *next_notice(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    buf[0] = '\0';
    if (poll(&p, 1, ms) == 1) {
        ssize_t n = recv(fd, buf, cap - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
    }
    return buf;
}

static void ready_and_stopping_reach_the_service_manager(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-notify-XXXXXX", path[64], buf[256], at[64];
    servers_tmpdir(dir);
    snprintf(path, sizeof path, "%s/notify", dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);

    setenv("NOTIFY_SOCKET", path, 1);
    struct spawn_proc relay;
    const char *args[] = { "--metrics", "0", NULL };
    assert_true(harness_start_relay(&relay, args) > 0);
    unsetenv("NOTIFY_SOCKET");
    assert_string_equal(next_notice(fd, buf, sizeof buf, WAIT_MS), "READY=1");
    /* Ready means serving: the endpoint answers at once. */
    http_wait_endpoint(&relay, at, sizeof at);
    struct http_response r = http_get(at, "/readyz");
    assert_int_equal(r.status, 200);
    http_response_free(&r);

    assert_int_equal(spawn_signal(&relay, SIGTERM), 0);
    assert_string_equal(next_notice(fd, buf, sizeof buf, WAIT_MS), "STOPPING=1");
    assert_int_equal(spawn_stop(&relay, 0, WAIT_MS), 0);
    spawn_free(&relay);
    close(fd);
    servers_remove_tree(dir);
}

static void log_json_writes_objects(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-json", "--log-level", "debug", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    /* A client that joins and leaves: its join line names it. (Escaping
     * every byte is test_log's.) */
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *bot[] = { "--port", port_s, "--name", "json-bot", "--duration", "0.3",
                          "--log-level", "error", NULL };
    struct spawn_proc b;
    assert_int_equal(harness_spawn(&b, "ricochet-bot", bot), 0);
    assert_int_equal(spawn_stop(&b, 0, 10000), 0);
    spawn_free(&b);
    assert_int_equal(spawn_stop(&relay, SIGTERM, WAIT_MS), 0);
    char *err = spawn_read_stderr(&relay);
    size_t lines = 0;
    bool listening = false, named = false;
    for (char *line = err, *end; (end = strchr(line, '\n')); line = end + 1) {
        *end = '\0';
        cJSON *o = cJSON_Parse(line);
        if (!o)
            fail_msg("not a JSON object: %s", line);
        const cJSON *msg = cJSON_GetObjectItem(o, "msg");
        assert_true(cJSON_IsString(msg));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "time")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "level")));
        assert_string_equal(cJSON_GetObjectItem(o, "program")->valuestring, "ricochet-relay");
        listening |= strncmp(msg->valuestring, "listening on 127.0.0.1:", 23) == 0;
        named |= strstr(msg->valuestring, "(json-bot-1, ") != NULL;
        cJSON_Delete(o);
        lines++;
    }
    print_message("%zu JSON lines\n", lines);
    assert_true(lines >= 3);
    assert_true(listening);
    assert_true(named);
    free(err);
    spawn_free(&relay);
}

/* Runs cmd; returns its exit status and its output (static). */
static int run(const char *cmd, const char **out)
{
    static char text[8192];
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    *out = text;
    return pclose(f);
}

static void the_unit_verifies(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-unit-XXXXXX", bin[PATH_MAX], cmd[PATH_MAX + 512];
    servers_tmpdir(dir);
    assert_non_null(realpath(harness_bin_dir(), bin));
    snprintf(cmd, sizeof cmd,
             "sed 's|@BINDIR@|%s|g' relay/ricochet-relay.service.in > %s/ricochet-relay.service",
             bin, dir);
    assert_int_equal(system(cmd), 0);
    const char *out;
    /* verify also reads the units the machine has installed and says what
     * it thinks of them (irtt's, from the packages the tests need): only
     * what it says of ours counts */
    snprintf(cmd, sizeof cmd,
             "cd %s && out=$(systemd-analyze verify --man=no ricochet-relay.service 2>&1); "
             "rc=$?; printf '%%s\\n' \"$out\" | "
             "grep -v -e '^/lib/systemd/' -e '^/usr/lib/systemd/' -e '^/etc/systemd/' -e '^$'; "
             "exit $rc",
             dir);
    int rc = run(cmd, &out);
    if (rc != 0 || out[0])
        fail_msg("systemd-analyze verify: %d: %s", rc, out);
    snprintf(cmd, sizeof cmd,
             "cd %s && systemd-analyze security --offline=yes --threshold=20 "
             "ricochet-relay.service 2>&1 | tail -1",
             dir);
    rc = run(cmd, &out);
    print_message("%s", out);
    assert_non_null(strstr(out, "Overall exposure level for ricochet-relay.service: "));
    double level = strtod(strstr(out, ": ") + 2, NULL);
    assert_true(level <= 2.0);
    servers_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ready_and_stopping_reach_the_service_manager),
        cmocka_unit_test(log_json_writes_objects),
        cmocka_unit_test(the_unit_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
