/* test_bench_report.c: the bench's parsing of netsim's counters, sweep
 * parameters, and its table / JSON / CSV; a stream's held deliveries, TCP's
 * recovery each way and the longest gap in each, summed over `--repeat`; the
 * floor (`--floor`) in every mode and world record, and beside a reference lane
 * the reference's cost and each record's multiple of it (paired where the
 * rounds were), none of these where the run had no floor or no reference */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "bench/bench.h"
#include "bench/bench_world.h"
#include "sys/version.h"
#include "tests/support/json_strict.h"

/* The shape ricochet-netsim prints at exit (lab/netsim/netsim_main.c). */
static const char netsim_out[] =
    "{\"type\":\"stats\",\"program\":\"netsim\",\"seed\":7,\"uptime_s\":1.0,\"flows\":1,"
    "\"up\":{\"received\":1000,\"forwarded\":900,\"dropped\":100,\"loss_pct\":10.0,"
    "\"drops\":{\"loss\":90,\"burst\":10,\"queue\":0,\"overflow\":0},\"duplicated\":3,"
    "\"reordered\":2,\"delay_us\":{\"p50\":10}},"
    "\"down\":{\"received\":2000,\"forwarded\":1900,\"dropped\":100,\"loss_pct\":5.0,"
    "\"drops\":{\"loss\":100,\"burst\":0,\"queue\":0,\"overflow\":0},\"duplicated\":0,"
    "\"reordered\":0},\"final\":false}\n"
    "{\"type\":\"stats\",\"program\":\"netsim\",\"seed\":7,\"uptime_s\":2.0,\"flows\":1,"
    "\"up\":{\"received\":2000,\"forwarded\":1800,\"dropped\":200,"
    "\"drops\":{\"loss\":200,\"burst\":0,\"queue\":0,\"overflow\":0},\"duplicated\":0,"
    "\"reordered\":0},"
    "\"down\":{\"received\":4000,\"forwarded\":3800,\"dropped\":200,"
    "\"drops\":{\"loss\":200,\"burst\":0,\"queue\":0,\"overflow\":0},\"duplicated\":0,"
    "\"reordered\":0},\"final\":true}\n";

static void parse_netsim(void **state)
{
    (void)state;
    struct bench_netsim_truth t;
    assert_int_equal(bench_parse_netsim(netsim_out, &t), 0);
    assert_true(t.valid);
    assert_int_equal(t.seed, 7);
    /* the last line wins, and "dropped" is not counted twice with "drops" */
    assert_int_equal(t.received[0], 2000);
    assert_int_equal(t.dropped[0], 200);
    assert_int_equal(t.dropped[1], 200);
    assert_true(fabs(t.drop_pct[0] - 10.0) < 1e-9);
    assert_true(fabs(t.drop_pct[1] - 5.0) < 1e-9);
    /* 1 - 0.9 * 0.95 */
    assert_true(fabs(t.e2e_loss_pct - 14.5) < 1e-9);

    assert_int_equal(bench_parse_netsim("", &t), -1);
    assert_false(t.valid);
    assert_int_equal(bench_parse_netsim("netsim: seed 7\n{\"up\":{}}\n{broken\n", &t), -1);
}

static void params_parsed_and_checked(void **state)
{
    (void)state;
    struct bench_params p = {.clients = 4, .rate_hz = 60, .payload = 40};
    char err[160];
    assert_int_equal(bench_param_parse("path-loss"), BENCH_P_LOSS);
    assert_int_equal(bench_param_parse("loss"), BENCH_P_LOSS); /* the former name */
    assert_int_equal(bench_param_parse("path-delay"), BENCH_P_DELAY);
    assert_int_equal(bench_param_parse("delay"), BENCH_P_DELAY);
    assert_int_equal(bench_param_parse("clients"), BENCH_P_CLIENTS);
    assert_int_equal(bench_param_parse("nope"), BENCH_P_NONE);
    assert_int_equal(bench_param_parse("path-clients"), BENCH_P_NONE);
    assert_string_equal(bench_param_name(BENCH_P_JITTER), "path-jitter");
    assert_int_equal(bench_param_set(&p, BENCH_P_LOSS, 5, err, sizeof err), 0);
    assert_true(bench_param_get(&p, BENCH_P_LOSS) == 5);
    assert_int_equal(bench_param_set(&p, BENCH_P_LOSS, 100, err, sizeof err), -1);
    assert_non_null(strstr(err, "loss"));
    assert_int_equal(bench_param_set(&p, BENCH_P_CLIENTS, 1, err, sizeof err), -1);
    assert_int_equal(bench_param_set(&p, BENCH_P_CLIENTS, 2.5, err, sizeof err), -1);
    assert_int_equal(bench_param_set(&p, BENCH_P_CLIENTS, 16, err, sizeof err), 0);
    assert_int_equal(p.clients, 16);
    assert_int_equal(bench_param_set(&p, BENCH_P_PAYLOAD, 39, err, sizeof err), -1);
    assert_int_equal(bench_param_set(&p, BENCH_P_RATE, NAN, err, sizeof err), -1);
}

static void fake(struct bench_result *r, enum proto_mode mode, double loss)
{
    memset(r, 0, sizeof *r);
    r->params = (struct bench_params){.clients = 4, .rate_hz = 60, .payload = 40,
                                      .loss_pct = loss, .delay_ms = 20, .jitter_ms = 10};
    r->mode = mode;
    r->ok = true;
    r->sent = 1000;
    r->expected = 3000;
    r->delivered = mode == PROTO_MODE_RELIABLE ? 3000 : 2850;
    r->lost_pct = 100.0 * (double)(r->expected - r->delivered) / (double)r->expected;
    r->latency = calloc(1, sizeof *r->latency);
    for (int i = 0; i < 100; i++)
        histogram_record(r->latency, 20000 + (uint64_t)i * 100);
    r->p50_us = histogram_percentile(r->latency, 50);
    r->p99_us = histogram_percentile(r->latency, 99);
    r->with_netsim = true;
    r->truth.valid = true;
    r->truth.e2e_loss_pct = 5.1;
    r->loss_diff_pct = r->lost_pct - 5.1;
    r->wire_bps = 250000; /* as iperf3 reports: bits a second on the wire */
}

static char *capture(void (*fn)(FILE *, const struct bench_result *, size_t),
                     const struct bench_result *r, size_t n)
{
    /* A tmpfile read back, not open_memstream: gcc 12 -O2 takes the
     * stream's hold on &buf for a pointer into this frame and warns
     * -Wdangling-pointer at every use of the returned text. */
    FILE *f = tmpfile();
    assert_non_null(f);
    fn(f, r, n);
    long len = ftell(f);
    assert_true(len >= 0);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

static void csv(FILE *f, const struct bench_result *r, size_t n)
{
    assert_int_equal(bench_report_csv(f, r, n), 0);
}

static void json(FILE *f, const struct bench_result *r, size_t n)
{
    struct bench_run_info info = {"ricochet-bench --loss 5", "2026-11-23 04:10 UTC"};
    assert_int_equal(bench_report_json(f, r, n, &info), 0);
}

static void reports_of_made_up_results(void **state)
{
    (void)state;
    struct bench_result r[3];
    fake(&r[0], PROTO_MODE_UNSEQUENCED, 5);
    fake(&r[1], PROTO_MODE_RELIABLE, 5);
    fake(&r[2], PROTO_MODE_UDP, 5);
    r[2].ok = false;
    r[2].expected = 0;
    snprintf(r[2].error, sizeof r[2].error, "relay exited before listening");
    r[0].late_p99_us = 12000; /* the generator sent late: a note, since p99 is ~30 ms */
    r[1].late_p99_us = 1500;

    char *text = capture(csv, r, 3);
    /* header + 3 records, every record with as many fields as the header */
    int lines = 0;
    size_t header_commas = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        size_t commas = 0;
        for (char *q = line; q < nl; q++)
            commas += *q == ',';
        if (lines == 0)
            header_commas = commas;
        else
            assert_int_equal(commas, header_commas);
        lines++;
        line = nl + 1;
    }
    assert_int_equal(lines, 4);
    assert_non_null(strstr(text, "\nunsequenced,1,4,60,40,5,20,10,1000,3000,2850,5.0000,"));
    assert_non_null(strstr(text, ",moved,rejoin_ms,wire_bps,"));
    assert_non_null(strstr(text, ",250000,")); /* wire_bps */
    free(text);

    text = capture(json, r, 3);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    json_strict_no_duplicate_keys(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "version")->valuestring,
                        version_ricochet());
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "date")->valuestring,
                        "2026-11-23 04:10 UTC");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_int_equal(cJSON_GetArraySize(res), 3);
    const cJSON *rel = cJSON_GetArrayItem(res, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(rel, "mode")->valuestring, "reliable");
    assert_true(cJSON_GetObjectItemCaseSensitive(rel, "delivery_pct")->valuedouble == 100.0);
    assert_true(cJSON_GetObjectItemCaseSensitive(rel, "wire_bps")->valuedouble == 250000);
    /* reliable mode retransmits netsim's drops: no difference to report */
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(rel, "netsim");
    assert_non_null(ns);
    assert_null(cJSON_GetObjectItemCaseSensitive(ns, "measured_minus_netsim_pct"));
    ns = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "netsim");
    assert_true(fabs(cJSON_GetObjectItemCaseSensitive(ns, "measured_minus_netsim_pct")
                         ->valuedouble - (5.0 - 5.1)) < 1e-9);
    const cJSON *late = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0),
                                                         "send_late_ms");
    assert_true(cJSON_GetObjectItemCaseSensitive(late, "p99")->valuedouble == 12.0);
    const cJSON *bad = cJSON_GetArrayItem(res, 2);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(bad, "ok")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(bad, "error")->valuestring,
                        "relay exited before listening");
    cJSON_Delete(root);
    free(text);

    text = capture(bench_report_table, r, 3);
    /* one scenario header, the modes side by side, the failure spelled out */
    assert_non_null(strstr(text, "== 4 clients, 60 Hz, 40 B, loss 5%"));
    assert_null(strstr(strstr(text, "==") + 2, "=="));
    assert_non_null(strstr(text, "\nunsequenced "));
    assert_non_null(strstr(text, "\nreliable "));
    assert_non_null(strstr(text, "udp         FAILED: relay exited before listening"));
    assert_non_null(strstr(text, " B/msg  kbit/s\n"));
    assert_non_null(strstr(text, "  250.0\n")); /* 250,000 bits a second */
    /* how late the generator sent, and a note where that shaped the figures */
    assert_non_null(strstr(text, "sends left p99 12.00 ms after their intended time\n"
                                 "  note: the generator itself sent late (p99 12.0 ms)"));
    assert_non_null(strstr(text, "sends left p99 1.50 ms after their intended time\n"));
    assert_null(strstr(text, "(p99 1.5 ms)"));
    free(text);
    for (int i = 0; i < 3; i++)
        bench_result_free(&r[i]);
}

/* The audit in each report: the table's lines, the JSON's counts and the
 * listed states with their flows, the CSV's columns. */
static void audit_reports(void **state)
{
    (void)state;
    struct bench_result r[2];
    fake(&r[0], PROTO_MODE_UNSEQUENCED, 5);
    fake(&r[1], PROTO_MODE_RELIABLE, 5);
    struct audit_result *a = &r[0].audit;
    *a = (struct audit_result){.done = true, .missed = 150, .up = 80, .down = 67,
                              .enet_window = 1, .unexplained = 2, .listed = 2};
    a->items[0] = (struct audit_item){.sender = 2, .seq = 77, .receiver = 3,
                                            .where = AUDIT_WHERE_UP_FWD,
                                            .sender_flow.peer = 1};
    char err[128];
    assert_int_equal(netaddr_parse_endpoint("127.0.0.1:4000", &a->items[0].sender_flow.ep, err,
                                            sizeof err), 0);
    assert_int_equal(netaddr_parse_endpoint("[::1]:4001", &a->items[0].receiver_flow.ep, err,
                                            sizeof err), 0);
    a->items[1] = a->items[0];
    a->items[1].seq = 78;
    r[1].audit = (struct audit_result){.done = true, .state_drops = 9, .retransmitted = 8,
                                      .redundant = 1};
    char *text = capture(bench_report_table, r, 2);
    assert_non_null(strstr(text, "  audit: 150 missed, 148 explained (netsim up 80, down 67, "));
    assert_non_null(strstr(text, "ENet window 1, "));
    assert_non_null(strstr(text, "  AUDIT FAILED: 2 lost states unexplained"));
    assert_non_null(strstr(text, "netsim dropped 9 window states: 8 retransmitted, 1 redundant"));
    assert_null(strstr(strstr(text, "\nreliable "), "AUDIT FAILED"));
    free(text);

    r[0].with_netsim = r[1].with_netsim = true;
    text = capture(json, r, 2);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    json_strict_no_duplicate_keys(root);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "results");
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "audit");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "clean")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "explained")->valueint, 148);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "unexplained")->valueint, 2);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "unexplained_states");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    const cJSON *it = cJSON_GetArrayItem(list, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(it, "seq")->valueint, 78);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(it, "where")->valuestring, "up_fwd");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(it, "sender_flow")->valuestring,
                        "127.0.0.1:4000#1");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(it, "receiver_flow")->valuestring,
                        "[::1]:4001#0");
    j = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 1), "audit");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "clean")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "retransmitted")->valueint, 8);
    cJSON_Delete(root);
    free(text);

    text = capture(csv, r, 2);
    assert_non_null(strstr(text, ",audit_missed,audit_explained,audit_unexplained,"));
    assert_non_null(strstr(text, ",150,148,2,0,0\n"));
    free(text);
    for (int i = 0; i < 2; i++)
        bench_result_free(&r[i]);
}

/* --repeat: three runs (one of them failed before measuring) become one
 * result whose figures are the medians of the measured runs, with min-max,
 * whose counts are the totals and whose latency pools every run. */
static void merge_runs(void **state)
{
    (void)state;
    struct bench_result runs[4], m;
    const uint64_t p99[3] = {30000, 10000, 20000};
    const double lost[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++) {
        fake(&runs[i], PROTO_MODE_SEQUENCED, 5);
        runs[i].p99_us = p99[i];
        runs[i].lost_pct = lost[i];
        runs[i].truth.received[0] = 100;
        runs[i].truth.dropped[0] = 5;
    }
    fake(&runs[3], PROTO_MODE_SEQUENCED, 5);
    runs[3].ok = false;
    runs[3].expected = runs[3].delivered = runs[3].sent = 0;
    runs[3].p99_us = 999000; /* measured nothing: must not count */
    snprintf(runs[3].error, sizeof runs[3].error, "relay exited");
    assert_int_equal(bench_merge_runs(runs, 4, &m), 0);
    assert_int_equal(m.spread.runs, 3);
    assert_int_equal(m.spread.repeats, 4);
    assert_int_equal(m.p99_us, 20000);
    assert_true(m.spread.min[BENCH_F_P99] == 10.0 && m.spread.max[BENCH_F_P99] == 30.0);
    assert_true(m.lost_pct == 2.0);
    assert_true(m.spread.min[BENCH_F_LOST] == 1.0 && m.spread.max[BENCH_F_LOST] == 3.0);
    assert_true(bench_figure(&m, BENCH_F_P99) == 20.0);
    assert_int_equal(m.sent, 3000);
    assert_int_equal(m.expected, 9000);
    assert_int_equal(m.latency->total, 400);
    assert_true(fabs(m.truth.drop_pct[0] - 5.0) < 1e-9);
    assert_false(m.ok);
    assert_string_equal(m.error, "relay exited");

    /* every report carries the spread; the CSV stays rectangular */
    char *text = capture(json, &m, 1);
    cJSON *root = json_strict_parse("bench --json --repeat", text);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "results"), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(r0, "runs")->valueint, 3);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r0, "spread"), "p99_ms");
    assert_true(cJSON_GetObjectItemCaseSensitive(p, "max")->valuedouble == 30.0);
    cJSON_Delete(root);
    free(text);
    text = capture(bench_report_table, &m, 1);
    assert_non_null(strstr(text, "median of 3 runs, min-max: lost% 1.00-3.00 "));
    assert_non_null(strstr(text, " p99 10.00-30.00 "));
    assert_null(strstr(text, "(null)"));       /* every figure has its name */
    assert_null(strstr(text, " redis_calls")); /* a fleet's figures only for a fleet */
    free(text);
    m.relays = 2;
    text = capture(bench_report_table, &m, 1);
    assert_non_null(strstr(text, " redis_calls/s "));
    assert_non_null(strstr(text, " new_wait "));
    assert_null(strstr(text, "(null)"));
    free(text);
    bench_result_free(&m);

    /* one run: the spread is the value itself */
    fake(&runs[0], PROTO_MODE_UDP, 5);
    assert_int_equal(bench_merge_runs(runs, 1, &m), 0);
    assert_int_equal(m.spread.runs, 1);
    assert_true(m.spread.min[BENCH_F_P99] == bench_figure(&m, BENCH_F_P99));
    bench_result_free(&m);
}

/* A stream's run: its held deliveries in the table and the JSON, its TCP
 * recovery each way, the longest gap; --repeat sums the held counts, so a
 * run with a held delivery no drop explains fails the merged audit. */
static void stream_reports(void **state)
{
    (void)state;
    struct bench_result runs[2], m;
    for (int i = 0; i < 2; i++) {
        fake(&runs[i], PROTO_MODE_TCP, 2);
        runs[i].with_netsim = runs[i].ip_mode = true;
        runs[i].max_gap_us = 150000 + 50000 * (uint64_t)i;
        runs[i].audit = (struct audit_result){.done = true, .held = 40, .held_up = 10,
                                             .held_down = 31, .segment_drops = 12};
        runs[i].tcp.valid = true;
        runs[i].tcp.n[1][BENCH_TCP_RETRANS] = 9;
        runs[i].tcp.n[1][BENCH_TCP_FAST] = 7;
        runs[i].tcp.n[1][BENCH_TCP_TIMEOUTS] = 2;
        snprintf(runs[i].relay, sizeof runs[i].relay, "examples/sockets/tcp_relay");
    }
    runs[1].audit.unattributed = 1;
    char *text = capture(bench_report_table, runs, 1);
    assert_non_null(strstr(text, "  audit: 40 deliveries held back by a drop (uplink 10, "
                                 "downlink 31)"));
    assert_non_null(strstr(text, "  tcp relay -> clients: 9 segments sent again: 7 fast "
                                 "retransmits, 0 tail loss probes, 2 timeouts (RTO)\n"));
    assert_non_null(strstr(text, "  relay: examples/sockets/tcp_relay"));
    assert_null(strstr(text, "AUDIT FAILED"));
    free(text);
    text = capture(json, runs, 1);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    json_strict_no_duplicate_keys(root);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "results"), 0);
    const cJSON *held = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "audit"), "held");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(held, "by_downlink")->valueint, 31);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(r, "max_gap_ms")->valueint, 150);
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "tcp_recovery"), "down");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(down, "timeouts")->valueint, 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "netsim"), "ip_mode")));
    cJSON_Delete(root);
    free(text);

    assert_int_equal(bench_merge_runs(runs, 2, &m), 0);
    assert_int_equal(m.audit.held, 80);
    assert_int_equal(m.audit.unattributed, 1);
    assert_int_equal(m.tcp.n[1][BENCH_TCP_RETRANS], 18);
    assert_true(m.spread.min[BENCH_F_GAP] == 150 && m.spread.max[BENCH_F_GAP] == 200);
    assert_false(audit_clean(&m.audit));
    bench_result_free(&m);
}

/* A number in a JSON object, or NAN when the key is not there. */
static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double yardstick_floor; /* the floor json_with_floor's run measured */

static void json_with_floor(FILE *f, const struct bench_result *r, size_t n)
{
    struct bench_run_info info = {"ricochet-bench --modes reference,udp,unsequenced",
                                  "2026-11-26 06:00 UTC", yardstick_floor};
    assert_int_equal(bench_report_json(f, r, n, &info), 0);
}

/* Every record carries the floor measured in its run and, beside the
 * reference lane at the same parameters, the reference's cost and its own
 * multiple of it (paired round by round where the run paired them); none
 * of these where the run measured no floor or ran no reference. */
static void floor_and_reference_in_every_record(void **state)
{
    (void)state;
    struct bench_result r[4];
    fake(&r[0], PROTO_MODE_UDP, 0);
    r[0].carrier = BENCH_CARRIER_REFERENCE;
    fake(&r[1], PROTO_MODE_UDP, 0);
    fake(&r[2], PROTO_MODE_UNSEQUENCED, 0);
    fake(&r[3], PROTO_MODE_UNSEQUENCED, 5); /* another point: no reference beside it */
    static const double us[4] = {0.5, 0.6, 1.5, 1.4};
    for (int i = 0; i < 4; i++) {
        r[i].relay_measured = true;
        r[i].relay_us_per_delivery = us[i];
    }
    r[1].relay_ratio = (struct bench_result_ratio){
        .vs = {PROTO_MODE_UDP, BENCH_CARRIER_REFERENCE}, .median = 1.25, .min = 1.1,
        .max = 1.4, .rounds = 3};

    yardstick_floor = 250000;
    char *text = capture(json_with_floor, r, 4);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    json_strict_no_duplicate_keys(root);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "results");
    for (int i = 0; i < 4; i++) {
        const cJSON *o = cJSON_GetArrayItem(res, i);
        assert_true(number(o, "floor_dgrams_per_s") == 250000);
        assert_true(fabs(number(o, "floor_us_per_dgram") - 4.0) < 1e-9);
    }
    const cJSON *ref = cJSON_GetArrayItem(res, 0), *udp = cJSON_GetArrayItem(res, 1);
    const cJSON *enet = cJSON_GetArrayItem(res, 2), *apart = cJSON_GetArrayItem(res, 3);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ref, "mode")->valuestring, "reference");
    assert_true(number(ref, "x_reference") == 1.0);
    assert_true(number(udp, "reference_us_per_delivery") == 0.5);
    assert_true(number(udp, "x_reference") == 1.25); /* paired, not 0.6 / 0.5 */
    assert_true(number(enet, "reference_us_per_delivery") == 0.5);
    assert_true(fabs(number(enet, "x_reference") - 3.0) < 1e-9); /* 1.5 / 0.5 */
    assert_true(isnan(number(apart, "reference_us_per_delivery")));
    assert_true(isnan(number(apart, "x_reference")));
    cJSON_Delete(root);
    free(text);

    /* no floor measured, no reference lane: none of the four fields */
    yardstick_floor = 0;
    text = capture(json_with_floor, &r[1], 3);
    root = cJSON_Parse(text);
    assert_non_null(root);
    res = cJSON_GetObjectItemCaseSensitive(root, "results");
    for (int i = 0; i < 3; i++) {
        const cJSON *o = cJSON_GetArrayItem(res, i);
        assert_non_null(cJSON_GetObjectItemCaseSensitive(o, "relay_us_per_delivery"));
        assert_null(cJSON_GetObjectItemCaseSensitive(o, "floor_dgrams_per_s"));
        assert_null(cJSON_GetObjectItemCaseSensitive(o, "floor_us_per_dgram"));
        assert_null(cJSON_GetObjectItemCaseSensitive(o, "reference_us_per_delivery"));
        assert_null(cJSON_GetObjectItemCaseSensitive(o, "x_reference"));
    }
    cJSON_Delete(root);
    free(text);
    for (int i = 0; i < 4; i++)
        bench_result_free(&r[i]);
}

static void world_json_with_floor(FILE *f, const struct bench_result *r, size_t n)
{
    (void)r, (void)n;
    struct bench_world_result w = {.mode = PROTO_MODE_UDP, .ok = true, .clients = 8,
                                   .rate_hz = 20, .radius = 50, .field = 89};
    struct bench_run_info info = {"ricochet-bench --aoi 50", "2026-11-26 06:00 UTC",
                                  yardstick_floor};
    bench_world_json(f, &w, 1, &info);
}

/* A world's record carries the floor too, when the run measured one. */
static void floor_in_world_records(void **state)
{
    (void)state;
    for (int with = 0; with < 2; with++) {
        yardstick_floor = with ? 200000 : 0;
        char *text = capture(world_json_with_floor, NULL, 0);
        cJSON *root = cJSON_Parse(text);
        assert_non_null(root);
        const cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "worlds"), 0);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "mode")->valuestring, "udp");
        if (with) {
            assert_true(number(o, "floor_dgrams_per_s") == 200000);
            assert_true(fabs(number(o, "floor_us_per_dgram") - 5.0) < 1e-9);
        } else {
            assert_null(cJSON_GetObjectItemCaseSensitive(o, "floor_dgrams_per_s"));
            assert_null(cJSON_GetObjectItemCaseSensitive(o, "floor_us_per_dgram"));
        }
        cJSON_Delete(root);
        free(text);
    }
}

/* The command in the JSON runs again as written: an argument with a space
 * or a shell character keeps its quotes. */
static void command_line_quotes(void **state)
{
    (void)state;
    char *argv[] = {"build/bin/ricochet-bench", "--relay-args", "--tick-ms 50",
                    "--netsim-args", "it's", "--loss", "5", ""};
    char out[256];
    bench_command_line(8, argv, out, sizeof out);
    assert_string_equal(out, "build/bin/ricochet-bench --relay-args '--tick-ms 50' "
                             "--netsim-args 'it'\\''s' --loss 5 ''");
}

/* A paused relay's recovery from the timeline of sends: from when it went
 * on to the first 50 ms bucket from which every later one has 99% of its
 * states delivered and at most 1% late. */
static void recovery_from_the_timeline(void **state)
{
    (void)state;
    static struct bench_timeline tl;
    memset(&tl, 0, sizeof tl);
    for (size_t b = 0; b < 100; b++)
        tl.expected[b] = tl.delivered[b] = 100;
    /* stopped from 1.0 to 1.3 s: what was sent from then to 1.5 s came late */
    for (size_t b = 20; b < 30; b++)
        tl.late[b] = 50;
    tl.late[30] = 2; /* 2%: its p99 is still late */
    tl.late[31] = 1; /* 1%: on time */
    assert_true(fabs(bench_recovery_ms(&tl, 1300000) - 250) < 0.01);
    /* a bucket with 2% lost after that: on time only after it */
    tl.delivered[50] = 98;
    assert_true(fabs(bench_recovery_ms(&tl, 1300000) - 1250) < 0.01);
    /* late up to the window's end: not recovered */
    tl.late[99] = 10;
    assert_true(bench_recovery_ms(&tl, 1300000) < 0);
    /* never late after it went on: 0 */
    memset(&tl.late, 0, sizeof tl.late);
    tl.delivered[50] = 100;
    assert_true(bench_recovery_ms(&tl, 1320000) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_netsim),
        cmocka_unit_test(params_parsed_and_checked),
        cmocka_unit_test(reports_of_made_up_results),
        cmocka_unit_test(audit_reports),
        cmocka_unit_test(merge_runs),
        cmocka_unit_test(stream_reports),
        cmocka_unit_test(command_line_quotes),
        cmocka_unit_test(recovery_from_the_timeline),
        cmocka_unit_test(floor_and_reference_in_every_record),
        cmocka_unit_test(floor_in_world_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
