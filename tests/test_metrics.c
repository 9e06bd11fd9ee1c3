/* test_metrics.c: ricochet-relay's operator endpoint (relay/metrics.h) on a
 * board the test publishes to, over loopback HTTP. Every ricochet_ family
 * has HELP and TYPE, a sample per mode and per drop reason, histograms in
 * seconds, build info with the ENet version; /stats.json carries the
 * snapshot (room names as data, per-second rates); /healthz follows the
 * heartbeat, /readyz readiness and liveness, both 503 before the first
 * turn; the page is one HTML file that fetches nothing from elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relay/metrics.h"
#include "sys/procstat.h"
#include "sys/clock.h"
#include "sys/httpd.h"
#include "sys/version.h"
#include "tests/support/http.h"

static void fill(struct relay_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->clients = 12;
    s->rooms = 3;
    s->uptime_s = 42.5;
    s->ready.listening = true;
    s->stats.states_in_mode[PROTO_MODE_RELIABLE] = 7;
    s->stats.drops[RELAY_DROP_RATE_LIMITED] = 5;
    s->stats.joins = 9;
    timehist_record(&s->loop.iteration, 30);
    s->nbusiest = 1;
    snprintf(s->busiest[0].name, sizeof s->busiest[0].name, "<b>\"x\"</b>");
    s->busiest[0].members = 4;
    s->loop.seconds = 3;
    s->loop.second_in[1] = 100;
    s->loop.second_in[2] = 250;
    s->stats.n_edges = 2;
    snprintf(s->stats.edges[0].name, sizeof s->stats.edges[0].name, "enet");
    snprintf(s->stats.edges[1].name, sizeof s->stats.edges[1].name, "udp");
    s->stats.edges[1].members = 3;
    s->stats.edges[1].states_in = 70;
}

/* The family of a sample line: its name, less _bucket, _sum or _count when
 * that leaves a histogram's name. */
static void family_of(const char *text, const char *line, char *family, size_t cap)
{
    static const char *const parts[] = { "_bucket", "_sum", "_count" };
    snprintf(family, cap, "%.*s", (int)strcspn(line, "{ "), line);
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(family), k = strlen(parts[i]);
        char want[160];
        if (n <= k || strcmp(family + n - k, parts[i]) != 0)
            continue;
        snprintf(want, sizeof want, "# TYPE %.*s histogram\n", (int)(n - k), family);
        if (strstr(text, want))
            family[n - k] = '\0';
    }
}

static void every_family_and_sample(void **state)
{
    (void)state;
    struct relay_snapshot s;
    fill(&s);
    struct promtext t = { 0 };
    relay_metrics_write(&t, &s);
    size_t len;
    char *text = promtext_take(&t, &len);
    assert_non_null(text);
    /* Every sample line's family has HELP and TYPE before it. */
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (line[0] == '#')
            continue;
        char family[128], want[160];
        family_of(text, line, family, sizeof family);
        snprintf(want, sizeof want, "# HELP %s ", family);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof want, "# TYPE %s ", family);
        assert_non_null(strstr(text, want));
    }
    for (int m = 0; m < PROTO_MODE_COUNT; m++) {
        char want[128];
        snprintf(want, sizeof want, "ricochet_states_sent_total{mode=\"%s\"} ",
                 proto_mode_name((enum proto_mode)m));
        assert_non_null(strstr(text, want));
    }
    for (int d = 0; d < RELAY_DROP_COUNT; d++) {
        char want[128];
        snprintf(want, sizeof want, "ricochet_drops_total{reason=\"%s\"} ",
                 relay_drop_name((enum relay_drop)d));
        assert_non_null(strstr(text, want));
    }
    assert_non_null(strstr(text, "ricochet_states_received_total{mode=\"reliable\"} 7\n"));
    assert_non_null(strstr(text, "ricochet_drops_total{reason=\"rate_limited\"} 5\n"));
    assert_non_null(strstr(text, "ricochet_clients 12\n"));
    assert_non_null(strstr(text, "ricochet_joins_total 9\n"));
    assert_non_null(strstr(text, "ricochet_ready 1\n"));
    assert_non_null(strstr(text, "ricochet_loop_iteration_seconds_bucket{le=\"0.00005\"} 1\n"));
    assert_non_null(strstr(text, "ricochet_loop_iteration_seconds_sum 0.00003\n"));
    assert_non_null(strstr(text, "ricochet_fanout_seconds_bucket{le=\"+Inf\"} 0\n"));
    assert_non_null(strstr(text, "ricochet_tick_lag_seconds_count 0\n"));
    char want[160];
    snprintf(want, sizeof want, "enet_version=\"%s\"", version_enet());
    assert_non_null(strstr(text, want));
    free(text);
}

static void stats_json_carries_the_snapshot(void **state)
{
    (void)state;
    struct relay_snapshot s;
    fill(&s);
    char *text = relay_metrics_json(&s, "enet");
    cJSON *o = cJSON_Parse(text);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "clients")->valueint, 12);
    assert_string_equal(cJSON_GetObjectItem(o, "transport")->valuestring, "enet");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "states_in"), "reliable")
                         ->valueint, 7);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "drops"), "rate_limited")
                         ->valueint, 5);
    cJSON *room = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "busiest"), 0);
    assert_string_equal(cJSON_GetObjectItem(room, "room")->valuestring, "<b>\"x\"</b>");
    cJSON *in = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "per_second"), "in");
    assert_int_equal(cJSON_GetArraySize(in), 2); /* 3 totals: 2 rates */
    assert_int_equal(cJSON_GetArrayItem(in, 0)->valueint, 100);
    assert_int_equal(cJSON_GetArrayItem(in, 1)->valueint, 150);
    cJSON *edges = cJSON_GetObjectItem(o, "edges");
    assert_int_equal(cJSON_GetArraySize(edges), 2);
    cJSON *udp = cJSON_GetArrayItem(edges, 1);
    assert_string_equal(cJSON_GetObjectItem(udp, "edge")->valuestring, "udp");
    assert_int_equal(cJSON_GetObjectItem(udp, "members")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(udp, "states_in")->valueint, 70);
    cJSON_Delete(o);
    free(text);
}

struct served {
    struct relay_board *board;
    struct relay_metrics *m;
    const char *at;
};

static struct served serve(void)
{
    union netaddr a;
    char err[128];
    struct served sv = { .board = relay_board_create() };
    assert_non_null(sv.board);
    assert_int_equal(httpd_parse_listen("0", &a, err, sizeof err), 0);
    sv.m = relay_metrics_start(&a, sv.board, "enet", err, sizeof err);
    assert_non_null(sv.m);
    sv.at = relay_metrics_address(sv.m);
    return sv;
}

static void publish(struct served *sv, const struct relay_readiness *ready)
{
    struct relay_snapshot *s = relay_board_back(sv->board);
    fill(s);
    s->ready = *ready;
    relay_board_publish(sv->board);
}

/* GET path: its status, and its body starts with want (if not NULL). */
static void expect(const struct served *sv, const char *path, int status, const char *want)
{
    struct http_response r = http_get(sv->at, path);
    if (r.status != status || (want && strncmp(r.body, want, strlen(want)) != 0))
        fail_msg("GET %s: %d %s (expected %d %s)", path, r.status, r.body, status,
                 want ? want : "");
    http_response_free(&r);
}

static void probes_follow_the_heartbeat_and_readiness(void **state)
{
    (void)state;
    struct served sv = serve();
    expect(&sv, "/healthz", 503, "starting");
    expect(&sv, "/readyz", 503, "starting");
    expect(&sv, "/metrics", 503, "starting");
    expect(&sv, "/stats.json", 503, "starting");

    publish(&sv, &(struct relay_readiness){ .listening = true });
    relay_board_beat(sv.board, clock_now_us());
    expect(&sv, "/healthz", 200, "ok");
    expect(&sv, "/readyz", 200, "ready");
    expect(&sv, "/metrics", 200, "# HELP ricochet_clients");
    expect(&sv, "/stats.json", 200, "{");

    publish(&sv, &(struct relay_readiness){ .listening = true, .draining = true });
    expect(&sv, "/readyz", 503, "not ready: draining");
    publish(&sv, &(struct relay_readiness){ .listening = true, .directory_configured = true });
    expect(&sv, "/readyz", 503, "not ready: directory unreachable");
    publish(&sv, &(struct relay_readiness){ .listening = true, .directory_configured = true,
                                            .directory_reachable = true });
    expect(&sv, "/readyz", 200, "ready");

    /* A loop that has not turned for over a second is neither alive nor
     * ready, whatever its last snapshot said. */
    relay_board_beat(sv.board, clock_now_us() - RELAY_ALIVE_US - 200000);
    expect(&sv, "/healthz", 503, "stalled: the loop last turned 1");
    expect(&sv, "/readyz", 503, "stalled");
    expect(&sv, "/metrics", 200, NULL); /* still served: the last snapshot */

    relay_metrics_stop(sv.m);
    relay_board_destroy(sv.board);
}

static void the_page_is_self_contained(void **state)
{
    (void)state;
    struct served sv = serve();
    struct http_response r = http_get(sv.at, "/");
    char type[64];
    assert_int_equal(r.status, 200);
    assert_string_equal(http_header(&r, "Content-Type", type, sizeof type),
                        "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "<canvas"));
    assert_non_null(strstr(r.body, "fetch(\"stats.json\""));
    assert_non_null(strstr(r.body, "</html>\n"));
    /* No CDN, no external file: nothing it loads names another origin. */
    assert_null(strstr(r.body, "://"));
    assert_null(strstr(r.body, " src="));
    assert_null(strstr(r.body, "<link"));
    assert_null(strstr(r.body, "@import"));
    http_response_free(&r);
    relay_metrics_stop(sv.m);
    relay_board_destroy(sv.board);
}

/* The label names of family's first sample in text ("" if none; le, a
 * histogram's bucket bound, is not one). */
static void labels_of(const char *text, const char *family, char *out, size_t cap)
{
    char want[160];
    out[0] = '\0';
    snprintf(want, sizeof want, "\n%s{", family);
    const char *at = strstr(text, want);
    if (!at)
        return;
    at += strlen(want);
    size_t n = 0;
    while (*at != '}' && n + 40 < cap) {
        size_t name = strcspn(at, "=");
        if (strncmp(at, "le", name) != 0)
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? ", " : "", (int)name, at);
        at = strchr(at + name + 2, '"') + 1; /* past the value (no quotes in ours) */
        at += *at == ',';
    }
}

/* The table of every series /metrics serves, in Markdown, from what it
 * serves: one row per family (name, type, labels, help). */
static char *metrics_table(void)
{
    struct relay_snapshot s;
    fill(&s);
    struct promtext t = { 0 };
    relay_metrics_write(&t, &s);
    procstat_write(&t, &(struct procstat){ 0 });
    size_t len;
    char *text = promtext_take(&t, &len);
    struct promtext md = { 0 };
    promtext_printf(&md, "| series | type | labels | meaning |\n|---|---|---|---|\n");
    for (const char *line = text; (line = strstr(line, "# HELP ")); line++) {
        char family[128], type[32], labels[256];
        const char *help = line + 7 + strcspn(line + 7, " ") + 1;
        snprintf(family, sizeof family, "%.*s", (int)strcspn(line + 7, " "), line + 7);
        const char *t_at = strstr(line, "# TYPE ") + 7 + strlen(family) + 1;
        snprintf(type, sizeof type, "%.*s", (int)strcspn(t_at, "\n"), t_at);
        labels_of(text, family, labels, sizeof labels);
        promtext_printf(&md, "| `%s` | %s | %s | %.*s |\n", family, type, labels,
                        (int)strcspn(help, "\n"), help);
    }
    free(text);
    return promtext_take(&md, &len);
}

/* docs/operations.md shows that table as it is: on failure, paste the
 * table printed here into it. */
static void the_docs_list_every_series(void **state)
{
    (void)state;
    char *table = metrics_table();
    FILE *f = fopen("docs/operations.md", "r");
    static char doc[1 << 17];
    doc[f ? fread(doc, 1, sizeof doc - 1, f) : 0] = '\0';
    if (f)
        fclose(f);
    if (!strstr(doc, table)) {
        fprintf(stderr, "docs/operations.md lacks the table of series; it is:\n%s", table);
        fail();
    }
    free(table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_family_and_sample),
        cmocka_unit_test(stats_json_carries_the_snapshot),
        cmocka_unit_test(probes_follow_the_heartbeat_and_readiness),
        cmocka_unit_test(the_page_is_self_contained),
        cmocka_unit_test(the_docs_list_every_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
