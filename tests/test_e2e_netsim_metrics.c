/* test_e2e_netsim_metrics.c: ricochet-netsim --metrics end to end. Bots
 * play through netsim (20% loss, 20 ms delay) to a relay; afterwards its
 * /metrics accounts for every datagram per direction (received = forwarded
 * + dropped - duplicated, nothing held), drops are by reason, every copy's
 * delay is in the 25 ms bucket, docs/netsim.md names every series, and
 * promtool check metrics has nothing to say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/servers.h"

static double per_dir(const char *text, const char *name, const char *dir, const char *more)
{
    char series[256];
    snprintf(series, sizeof series, "%s{direction=\"%s\"%s}", name, dir, more);
    return http_sample(text, series);
}

/* A scrape with no datagram held in either direction (within 4 s). The
 * relay may still be sending after the bots left: to a bot whose
 * disconnect the 20% loss took, it retransmits until that peer times out,
 * and a scrape can land within such a copy's 20 ms delay. */
static struct http_response settled_metrics(const char *at)
{
    for (int i = 0;; i++) {
        clock_sleep_ms(i == 0 ? 300 : 100); /* the last copies' delay, then a snapshot */
        struct http_response r = http_get(at, "/metrics");
        if (i == 40 || (r.status == 200 &&
                        per_dir(r.body, "ricochet_netsim_pending_datagrams", "up", "") == 0 &&
                        per_dir(r.body, "ricochet_netsim_pending_datagrams", "down", "") == 0))
            return r;
        http_response_free(&r);
    }
}

/* docs/netsim.md names every ricochet_netsim_ family (its table shortens
 * "ricochet_netsim_x_total" to "_x_total" after the first of a row). */
static void every_family_is_documented(const char *text)
{
    static char doc[1 << 16];
    FILE *f = fopen("docs/netsim.md", "r");
    doc[f ? fread(doc, 1, sizeof doc - 1, f) : 0] = '\0';
    if (f)
        fclose(f);
    const char *prefix = "# TYPE ricochet_netsim";
    for (const char *at = strstr(text, prefix); at; at = strstr(at + 1, prefix)) {
        char suffix[128];
        assert_int_equal(sscanf(at + strlen(prefix), "%127s", suffix), 1);
        char quoted[132];
        snprintf(quoted, sizeof quoted, "_%s`", suffix + 1);
        if (!strstr(doc, quoted))
            fail_msg("docs/netsim.md does not name ricochet_netsim%s", suffix);
    }
}

static void every_datagram_is_accounted_for(void **state)
{
    (void)state;
    struct spawn_proc relay, netsim, bot;
    int relay_port = harness_start_relay(&relay, NULL);
    assert_true(relay_port > 0);
    char relay_at[32], at[64], port_s[16];
    snprintf(relay_at, sizeof relay_at, "127.0.0.1:%d", relay_port);
    const char *nargs[] = { "--relay", relay_at, "--listen", "127.0.0.1:0", "--loss", "20",
                            "--delay", "20", "--seed", "7", "--metrics", "0", NULL };
    int port = harness_start_netsim(&netsim, nargs);
    http_wait_endpoint(&netsim, at, sizeof at);
    snprintf(port_s, sizeof port_s, "%d", port);
    /* 4 s: the joins' round trips through 20% loss come out of the bots'
     * time, and a busy machine's bots sent under 100 states in 2 */
    const char *bargs[] = { "--port", port_s, "--count", "3", "--duration", "4",
                            "--log-level", "error", NULL };
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", bargs), 0);
    spawn_stop(&bot, 0, 30000); /* the bots' own report is not the point */
    spawn_free(&bot);
    struct http_response r = settled_metrics(at);
    assert_int_equal(r.status, 200);
    static const char *const dirs[] = { "up", "down" };
    for (size_t i = 0; i < 2; i++) {
        const char *d = dirs[i];
        double in = per_dir(r.body, "ricochet_netsim_received_total", d, "");
        double out = per_dir(r.body, "ricochet_netsim_forwarded_total", d, "");
        double dup = per_dir(r.body, "ricochet_netsim_duplicated_total", d, "");
        double held = per_dir(r.body, "ricochet_netsim_pending_datagrams", d, "");
        double dropped = 0;
        static const char *const reasons[] = { "loss", "burst", "queue", "overflow" };
        for (size_t k = 0; k < 4; k++) {
            char more[64];
            snprintf(more, sizeof more, ",reason=\"%s\"", reasons[k]);
            dropped += per_dir(r.body, "ricochet_netsim_drops_total", d, more);
        }
        double loss = per_dir(r.body, "ricochet_netsim_drops_total", d, ",reason=\"loss\"");
        double in25 = per_dir(r.body, "ricochet_netsim_delay_seconds_bucket", d,
                              ",le=\"0.025\"");
        double copies = per_dir(r.body, "ricochet_netsim_delay_seconds_count", d, "");
        print_message("%s: %g in, %g forwarded, %g dropped (loss %g), %g held\n", d, in, out,
                      dropped, loss, held);
        /* enough to count on: under ThreadSanitizer the bots sent ~100 in 4 s */
        assert_true(in > 50);
        assert_true(loss > 0.05 * in && loss < 0.4 * in); /* 20% of them, give or take */
        assert_int_equal(held, 0);
        assert_int_equal(in, out + dropped - dup);
        assert_int_equal(copies, out);
        assert_int_equal(in25, out); /* 20 ms, no jitter: every one under 25 ms */
    }
    assert_true(http_sample(r.body, "ricochet_netsim_flows_created_total") >= 3);
    every_family_is_documented(r.body);
    char dir[] = "/tmp/ricochet-netsim-metrics-XXXXXX", path[96], cmd[256];
    servers_tmpdir(dir);
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(r.body, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1 | wc -c | grep -qx 0", path);
    assert_int_equal(system(cmd), 0);
    servers_remove_tree(dir);
    http_response_free(&r);
    spawn_stop(&netsim, SIGTERM, 5000);
    spawn_free(&netsim);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_datagram_is_accounted_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
