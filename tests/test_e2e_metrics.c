/* test_e2e_metrics.c: ricochet-relay --metrics end to end, with the real
 * consumers of its output. Bots play a session; /metrics then counts
 * exactly what the relay's own stats record counts, per mode; promtool
 * check metrics (Debian's prometheus package) finds nothing to say about
 * the output; a real Prometheus server on a loopback port scrapes the
 * relay and answers a counter through its HTTP query API, as it does every
 * expression of the Grafana dashboard; /readyz follows a fleet relay's
 * directory (a real redis-server) down and up, and is not ready before its
 * first answer; garbage on the HTTP port changes nothing; a request naming
 * another Host (DNS rebinding) gets 421 on every path, its own address and
 * localhost are served; a bad or busy --metrics endpoint is a one-line
 * error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sys/netaddr.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/redis.h"
#include "tests/support/servers.h"

#define WAIT_MS 5000

/* Starts a relay with --metrics on a free loopback port; its HTTP
 * endpoint into at. Returns the relay's UDP port. */
static int relay_with_metrics(struct spawn_proc *relay, char *at, size_t cap)
{
    const char *args[] = { "--metrics", "0", "--stats-interval", "0", NULL };
    int port = harness_start_relay(relay, args);
    assert_true(port > 0);
    http_wait_endpoint(relay, at, cap);
    return port;
}

/* Runs n bots in room for seconds (mixed modes, 30 states a second). */
static void bots(struct spawn_proc *p, int port, const char *room, int n, const char *seconds)
{
    char port_s[16], count[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(count, sizeof count, "%d", n);
    const char *args[] = { "--port", port_s, "--room", room, "--count", count, "--mode",
                           "mixed", "--duration", seconds, "--log-level", "error", NULL };
    assert_int_equal(harness_spawn(p, "ricochet-bot", args), 0);
}

/* Waits until series reaches want on the relay's /metrics; returns the text. */
static char *metrics_when(const char *at, const char *series, double want)
{
    uint64_t deadline = clock_now_ms() + 10000;
    for (;;) {
        struct http_response r = http_get(at, "/metrics");
        assert_int_equal(r.status, 200);
        if (http_sample(r.body, series) >= want) {
            free(r.headers);
            return r.body;
        }
        http_response_free(&r);
        if (clock_now_ms() >= deadline)
            fail_msg("%s never reached %g", series, want);
        clock_sleep_ms(100);
    }
}

/* promtool check metrics on text: exit 0 and nothing printed. */
static void promtool_accepts(const char *text)
{
    char dir[] = "/tmp/ricochet-promtool-XXXXXX", path[64], out[64], cmd[256];
    servers_tmpdir(dir);
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s > %s 2>&1", path, out);
    int rc = system(cmd);
    char said[2048] = "";
    f = fopen(out, "r");
    size_t n = f ? fread(said, 1, sizeof said - 1, f) : 0;
    said[n] = '\0';
    if (f)
        fclose(f);
    servers_remove_tree(dir);
    if (rc != 0 || n != 0)
        fail_msg("promtool check metrics: exit %d: %s", rc, said);
}

static void metrics_count_a_session(void **state)
{
    (void)state;
    struct spawn_proc relay, b;
    char at[64];
    int port = relay_with_metrics(&relay, at, sizeof at);
    bots(&b, port, "lobby", 3, "1.5");
    assert_int_equal(spawn_stop(&b, 0, 20000), 0);
    spawn_free(&b);
    char *text = metrics_when(at, "ricochet_leaves_total", 3);
    print_message("%zu bytes of /metrics\n", strlen(text));
    assert_int_equal(http_sample(text, "ricochet_joins_total"), 3);
    assert_int_equal(http_sample(text, "ricochet_clients"), 0);
    assert_int_equal(http_sample(text, "ricochet_rooms"), 0);
    /* The same numbers as the relay's own stats record. */
    double in = 0, out = 0;
    static const char *const modes[] = { "unsequenced", "sequenced", "reliable" };
    for (size_t i = 0; i < 3; i++) {
        char series[96];
        snprintf(series, sizeof series, "ricochet_states_received_total{mode=\"%s\"}",
                 modes[i]);
        assert_true(http_sample(text, series) > 0); /* mixed: every ENet mode */
        in += http_sample(text, series);
        snprintf(series, sizeof series, "ricochet_states_sent_total{mode=\"%s\"}", modes[i]);
        out += http_sample(text, series);
    }
    assert_int_equal(in, harness_relay_stat(&relay, "states_in"));
    assert_int_equal(out, harness_relay_stat(&relay, "states_out"));
    assert_int_equal(http_sample(text, "ricochet_received_bytes_total"),
                     harness_relay_stat(&relay, "bytes_in"));
    assert_true(http_sample(text, "ricochet_loop_iteration_seconds_count") > 0);
    assert_true(http_sample(text, "ricochet_tick_lag_seconds_count") > 0); /* enet: 2 ms ticks */
    assert_true(http_sample(text, "ricochet_fanout_seconds_count") > 0);
    assert_true(http_sample(text, "process_resident_memory_bytes") > 1e6);
    assert_true(http_sample(text, "process_open_fds") >= 4);
    assert_non_null(strstr(text, "ricochet_build_info{version=\""));
    assert_non_null(strstr(text, "enet_version=\"1.3.17\""));
    promtool_accepts(text);
    free(text);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* Waits until GET path answers status with a body starting with want. */
static void wait_answer(const char *at, const char *path, int status, const char *want)
{
    uint64_t deadline = clock_now_ms() + 20000;
    for (;;) {
        struct http_response r = http_get(at, path);
        bool there = r.status == status && strncmp(r.body, want, strlen(want)) == 0;
        if (!there && clock_now_ms() >= deadline)
            fail_msg("GET %s: %d %s (waited for %d %s)", path, r.status, r.body, status, want);
        http_response_free(&r);
        if (there)
            return;
        clock_sleep_ms(100);
    }
}

/* Bytes that are no HTTP request, and a header line far over the
 * server's request memory: each connection is answered or closed, and the
 * relay serves on. */
static void garbage_on_the_http_port(void **state)
{
    (void)state;
    struct spawn_proc relay;
    char at[64];
    relay_with_metrics(&relay, at, sizeof at);
    static char big[70000];
    memset(big, 'a', sizeof big - 1);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    const char *junk[] = { "\x16\x03\x01\x02\x10\x01\x7f\x01\xfc\x03\x03 not tls\r\n\r\n",
                           "GET\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n", big };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        union netaddr a;
        char err[64], reply[256];
        assert_int_equal(netaddr_parse_endpoint(at, &a, err, sizeof err), 0);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(fd, &a.sa, netaddr_len(&a)), 0);
        struct timeval tv = { .tv_sec = 5 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        send(fd, junk[i], strlen(junk[i]), MSG_NOSIGNAL);
        ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
        reply[n > 0 ? n : 0] = '\0';
        print_message("junk %zu: %.40s\n", i, reply);
        assert_true(n >= 0); /* an answer or a close, within 5 s */
        close(fd);
    }
    /* still alive: the loop, slowed by a busy machine, may turn late for a while */
    wait_answer(at, "/healthz", 200, "ok");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* A page whose name was rebound to 127.0.0.1 (DNS rebinding) asks under
 * that name: every path answers 421, nothing of the relay's; under the
 * address it is bound to and localhost, with the port or without, all is
 * served. */
static void a_foreign_host_is_misdirected(void **state)
{
    (void)state;
    struct spawn_proc relay;
    char at[64], host[96];
    relay_with_metrics(&relay, at, sizeof at);
    const char *port = strrchr(at, ':') + 1;
    wait_answer(at, "/readyz", 200, "ready");
    static const char *const paths[] = { "/metrics", "/stats.json", "/healthz", "/readyz", "/" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct http_response r;
        snprintf(host, sizeof host, "rebind.attacker.example:%s", port);
        const char *hosts[] = { "rebind.attacker.example", host };
        for (size_t k = 0; k < 2; k++) {
            assert_int_equal(http_send_host(at, hosts[k], "GET", paths[i], NULL, WAIT_MS, &r), 0);
            bool refused = r.status == 421 && !strstr(r.body, "ricochet");
            http_response_free(&r);
            if (!refused)
                fail_msg("GET %s as %s: served", paths[i], hosts[k]);
        }
        snprintf(host, sizeof host, "localhost:%s", port);
        const char *own[] = { at, host, "localhost", "127.0.0.1" };
        for (size_t k = 0; k < 4; k++) {
            assert_int_equal(http_send_host(at, own[k], "GET", paths[i], NULL, WAIT_MS, &r), 0);
            int status = r.status;
            http_response_free(&r);
            if (status != 200)
                fail_msg("GET %s as %s: %d", paths[i], own[k], status);
        }
    }
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* Starts a relay in the fleet of redis with --metrics; its endpoint in at. */
static void start_fleet_relay(struct spawn_proc *relay, const struct redisproc *redis, char *at,
                              size_t at_cap)
{
    uint16_t port;
    close(harness_udp_socket(&port));
    char port_s[8], advertise[32];
    snprintf(port_s, sizeof port_s, "%u", port);
    snprintf(advertise, sizeof advertise, "127.0.0.1:%u", port);
    const char *args[] = { "--port", port_s, "--directory", redis->url, "--advertise", advertise,
                           "--directory-ttl", "2", "--metrics", "0", "--stats-interval", "0",
                           NULL };
    assert_int_equal(harness_start_relay(relay, args), port);
    http_wait_endpoint(relay, at, at_cap);
}

static void readyz_follows_the_directory(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    char at[64];
    struct spawn_proc relay;
    start_fleet_relay(&relay, &redis, at, sizeof at);
    wait_answer(at, "/readyz", 200, "ready");
    test_redis_stop(&redis);
    wait_answer(at, "/readyz", 503, "not ready: directory unreachable");
    wait_answer(at, "/healthz", 200, "ok"); /* alive all the same */
    test_redis_restart(&redis);
    wait_answer(at, "/readyz", 200, "ready");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    test_redis_stop(&redis);
}

/* A relay is not ready before the directory first answers (it is not
 * registered, so no client could be sent to it): with Redis stopped
 * (SIGSTOP) from the start, its first heartbeat goes unanswered. */
static void readyz_waits_for_the_first_answer(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    assert_int_equal(kill(redis.proc.pid, SIGSTOP), 0);
    char at[64];
    struct spawn_proc relay;
    start_fleet_relay(&relay, &redis, at, sizeof at);
    for (int i = 0; i < 5; i++) { /* 1 s, the first heartbeat's whole wait among it */
        struct http_response r = http_get(at, "/readyz");
        assert_int_equal(r.status, 503);
        assert_string_equal(r.body, "not ready: directory unreachable\n");
        http_response_free(&r);
        clock_sleep_ms(200);
    }
    assert_int_equal(kill(redis.proc.pid, SIGCONT), 0);
    wait_answer(at, "/readyz", 200, "ready");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    test_redis_stop(&redis);
}

static void bad_endpoints_are_one_line_errors(void **state)
{
    (void)state;
    struct spawn_proc p;
    const char *bad[] = { "--metrics", "not a port", "--port", "0", NULL };
    assert_int_equal(harness_spawn(&p, "ricochet-relay", bad), 0);
    assert_int_equal(spawn_stop(&p, 0, WAIT_MS), 2);
    char *err = spawn_read_stderr(&p);
    assert_non_null(strstr(err, "ricochet-relay: error: --metrics: "));
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
    free(err);
    spawn_free(&p);

    /* The port another relay's endpoint holds. */
    struct spawn_proc first;
    char at[64];
    relay_with_metrics(&first, at, sizeof at);
    const char *busy[] = { "--metrics", at, "--port", "0", "--log-level", "error", NULL };
    assert_int_equal(harness_spawn(&p, "ricochet-relay", busy), 0);
    assert_int_equal(spawn_stop(&p, 0, WAIT_MS), 1);
    err = spawn_read_stderr(&p);
    print_message("%s", err);
    assert_non_null(strstr(err, "ricochet-relay: error: --metrics: http on "));
    assert_non_null(strstr(err, "in use"));
    free(err);
    spawn_free(&p);
    free(harness_relay_finish(&first));
    spawn_free(&first);
}

/* Every "expr" of the dashboard (docs/grafana-relay.json), with Grafana's
 * $__rate_interval as 1m. Returns how many went into exprs (each
 * malloc'd). */
static size_t dashboard_exprs(char **exprs, size_t cap);

static void prometheus_scrapes_the_relay(void **state)
{
    (void)state;
    struct spawn_proc relay, b, prom;
    char at[64], api[64], dir[] = "/tmp/ricochet-prometheus-XXXXXX";
    int port = relay_with_metrics(&relay, at, sizeof at);
    bots(&b, port, "arena", 2, "30");
    servers_tmpdir(dir);
    servers_start_prometheus(&prom, dir, at, api, sizeof api);
    double joins = 0, up = 0, states = 0;
    uint64_t deadline = clock_now_ms() + 30000;
    while (clock_now_ms() < deadline && (joins < 2 || states <= 0)) {
        clock_sleep_ms(500);
        servers_prom_query(api, "ricochet_joins_total", &joins);
        servers_prom_query(api, "sum(ricochet_states_received_total)", &states);
    }
    assert_int_equal(servers_prom_query(api, "up{job=\"ricochet\"}", &up), 1);
    print_message("prometheus at %s: up %g, ricochet_joins_total %g, states %g\n", api, up,
                  joins, states);
    assert_int_equal(up, 1);
    assert_int_equal(joins, 2);
    assert_true(states > 0);
    /* The dashboard's every expression is valid PromQL over series the
     * relay serves: each answers, and with at least one series. */
    char *exprs[64];
    size_t n = dashboard_exprs(exprs, 64);
    assert_true(n >= 8);
    clock_sleep_ms(2500); /* two more scrapes: rate() needs two samples in its window */
    for (size_t i = 0; i < n; i++) {
        double v;
        int series = servers_prom_query(api, exprs[i], &v);
        print_message("dashboard: %d series: %s\n", series, exprs[i]);
        assert_true(series > 0);
        free(exprs[i]);
    }
    spawn_stop(&prom, SIGTERM, WAIT_MS);
    spawn_free(&prom);
    servers_remove_tree(dir);
    spawn_stop(&b, SIGINT, WAIT_MS);
    spawn_free(&b);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static size_t dashboard_exprs(char **exprs, size_t cap)
{
    FILE *f = fopen("docs/grafana-relay.json", "r");
    assert_non_null(f);
    static char text[1 << 17];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    size_t n = 0;
    const cJSON *panel;
    cJSON_ArrayForEach(panel, cJSON_GetObjectItem(root, "panels")) {
        const cJSON *target;
        cJSON_ArrayForEach(target, cJSON_GetObjectItem(panel, "targets")) {
            const cJSON *e = cJSON_GetObjectItem(target, "expr");
            if (!cJSON_IsString(e) || n == cap)
                continue;
            char *x = malloc(strlen(e->valuestring) + 1), *v;
            assert_non_null(x);
            strcpy(x, e->valuestring);
            while ((v = strstr(x, "$__rate_interval")))
                memmove(v + 2, v + 16, strlen(v + 16) + 1), memcpy(v, "1m", 2);
            exprs[n++] = x;
        }
    }
    cJSON_Delete(root);
    return n;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_count_a_session),
        cmocka_unit_test(readyz_follows_the_directory),
        cmocka_unit_test(readyz_waits_for_the_first_answer),
        cmocka_unit_test(garbage_on_the_http_port),
        cmocka_unit_test(a_foreign_host_is_misdirected),
        cmocka_unit_test(bad_endpoints_are_one_line_errors),
        cmocka_unit_test(prometheus_scrapes_the_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
