/* test_e2e_bench_ip.c: ricochet-bench --netsim-ip, every mode through
 * netsim's IP mode between two network namespaces the bench makes (the
 * relay in one, the clients in the other). The tcp mode, served by
 * ricochet-relay's TCP edge, through 10% loss: every state delivered,
 * nothing the audit cannot explain, every delivery a drop held back
 * attributed to its dropped segment with the segment's retransmission in
 * netsim's log, and every delivery that came late (200 ms over the path
 * after it left) among them; the ws mode, served by the relay's WebSocket
 * edge, the same through the same network (netsim reads its frames after
 * the HTTP upgrade); ENet's reliable mode through the same network, each
 * held delivery attributed on its own channel; HTTP polling's two lanes,
 * their states read in the bodies of two connections a client, audited
 * as tcp's. With --paired-loss and
 * --plot, tcp and unsequenced lose the same states: each one unsequenced
 * lost came late over TCP, and both strips are drawn. Without the
 * privilege for namespaces the bench says so in one line, measures the
 * modes the UDP proxy carries and leaves the streams out, without a crash. */

/* tests/run: alone (its held-back deliveries and p99s are timings a
 * neighbour's load moves) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include <cjson/cJSON.h>

#include "tests/support/harness.h"

static const cJSON *at(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, "."))
        o = cJSON_GetObjectItemCaseSensitive(o, tok);
    if (!o)
        fail_msg("field %s missing", path);
    return o;
}

static double num(const cJSON *o, const char *path)
{
    const cJSON *v = at(o, path);
    if (!cJSON_IsNumber(v))
        fail_msg("field %s is not a number", path);
    return v->valuedouble;
}

static const cJSON *mode_result(const cJSON *root, const char *mode)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, at(root, "results"))
        if (!strcmp(cJSON_GetStringValue(at(r, "mode")), mode))
            return r;
    return NULL;
}

/* Runs prog (in dir) with args, expecting exit status want; its stdout
 * parsed as JSON (caller deletes) and its stderr in *err (caller frees). */
static cJSON *run(const char *dir, const char *prog, const char *const *args, int want,
                  char **err)
{
    struct spawn_proc p;
    char why[256];
    assert_int_equal(spawn_start(&p, dir, prog, args, why, sizeof why), 0);
    int code = spawn_stop(&p, 0, 240000);
    char *out = spawn_read_stdout(&p);
    *err = spawn_read_stderr(&p);
    if (code != want) { /* said, and nothing left to leak past the failure */
        print_error("%s exited %d; stderr:\n%s\n", prog, code, *err ? *err : "");
        free(out);
        free(*err);
        *err = NULL;
        spawn_free(&p);
        fail_msg("%s exited %d, not %d", prog, code, want);
    }
    cJSON *root = out ? cJSON_Parse(out) : NULL;
    if (!root)
        print_error("stdout is not JSON:\n%s\n", out ? out : "");
    assert_non_null(root);
    free(out);
    spawn_free(&p);
    return root;
}

/* A lossless mode's audit: clean, each held delivery attributed to a drop
 * whose retransmission is in the log, every late delivery held. */
static void check_held(const cJSON *r)
{
    assert_true(cJSON_IsTrue(at(r, "audit.done")));
    assert_true(cJSON_IsTrue(at(r, "audit.clean")));
    assert_true(num(r, "delivered") == num(r, "expected"));
    assert_true(num(r, "audit.missed") == 0);
    assert_true(num(r, "audit.unexplained") == 0);
    assert_true(num(r, "audit.held.deliveries") > 0); /* 10% loss holds some back */
    assert_true(num(r, "audit.held.by_uplink") > 0 && num(r, "audit.held.by_downlink") > 0);
    assert_true(num(r, "audit.held.unresolved") == 0);
    assert_true(num(r, "audit.held.unattributed") == 0);
    assert_true(num(r, "audit.held.late_unheld") == 0);
    assert_true(cJSON_IsTrue(at(r, "netsim.ip_mode")));
    assert_true(num(r, "max_gap_ms") > 0);
}

/* The bench with --modes modes, 4 clients at 20 Hz through IP mode at 10%
 * loss and 40 ms (skipped without the privilege for namespaces): its JSON,
 * its stderr into *err. */
static cJSON *through_ip_mode(const char *modes, char **err)
{
    const char *args[] = {"--netsim-ip", "--modes", modes, "--clients", "4",
                          "--rate", "20", "--path-loss", "10", "--path-delay", "40",
                          "--duration", "3", "--warmup", "0.5", "--grace", "5", "--seed", "3",
                          "--quiet", "-J", NULL};
    cJSON *root = run(harness_bin_dir(), "ricochet-bench", args, 0, err);
    if (strstr(*err, "no IP mode here")) {
        print_message("%s", *err);
        free(*err);
        cJSON_Delete(root);
        skip();
    }
    return root;
}

static void tcp_through_ip_mode_audited(void **unused)
{
    (void)unused;
    char *err = NULL;
    cJSON *root = through_ip_mode("tcp,ws,reliable", &err);
    const cJSON *tcp = mode_result(root, "tcp"), *ws = mode_result(root, "ws");
    const cJSON *rel = mode_result(root, "reliable");
    assert_non_null(tcp);
    assert_non_null(ws);
    assert_non_null(rel);
    print_message("tcp: p99 %.1f ms, %g deliveries held back; ws: p99 %.1f ms, %g; "
                  "reliable: p99 %.1f ms, %g\n",
                  num(tcp, "latency_ms.p99"), num(tcp, "audit.held.deliveries"),
                  num(ws, "latency_ms.p99"), num(ws, "audit.held.deliveries"),
                  num(rel, "latency_ms.p99"), num(rel, "audit.held.deliveries"));
    assert_null(cJSON_GetObjectItemCaseSensitive(tcp, "relay")); /* not the teaching relay */
    check_held(tcp);
    assert_true(num(tcp, "audit.segment_drops") > 0);
    check_held(ws);
    assert_true(num(ws, "audit.segment_drops") > 0);
    assert_true(num(ws, "tcp_recovery.down.retransmitted") > 0 ||
                num(ws, "tcp_recovery.up.retransmitted") > 0);
    check_held(rel);
    /* every drop sent again; a copy ENet sent again after the first arrived (its
     * acknowledgement lost) and that was dropped is redundant, as in test_e2e_bench */
    assert_true(num(rel, "audit.unretransmitted") == 0);
    assert_true(num(rel, "audit.retransmitted") + num(rel, "audit.redundant") ==
                num(rel, "audit.state_drops"));
    free(err);
    cJSON_Delete(root);
}

/* HTTP polling's lanes through the same network: two connections a
 * client (the POSTs' up, the GETs' down), netsim reading the states in
 * the bodies of both; every state delivered, nothing unexplained, every
 * delivery held back attributed to its dropped segment. (A dropped GET
 * holds back the answer after it, which carries no state of its own: such
 * a delivery may be noted slow, never unexplained.) */
static void poll_through_ip_mode_audited(void **unused)
{
    (void)unused;
    char *err = NULL;
    cJSON *root = through_ip_mode("poll-long,poll-short", &err);
    static const char *const lanes[] = {"poll-long", "poll-short"};
    for (int k = 0; k < 2; k++) {
        const cJSON *r = mode_result(root, lanes[k]);
        assert_non_null(r);
        print_message("%s: p50 %.1f ms, p99 %.1f ms, %g deliveries held back, %g noted slow\n",
                      lanes[k], num(r, "latency_ms.p50"), num(r, "latency_ms.p99"),
                      num(r, "audit.held.deliveries"), num(r, "audit.held.late_unheld"));
        assert_true(num(r, "sent") > 0);
        assert_true(num(r, "delivered") == num(r, "expected"));
        assert_true(cJSON_IsTrue(at(r, "audit.done")));
        assert_true(cJSON_IsTrue(at(r, "audit.clean")));
        assert_true(num(r, "audit.unexplained") == 0);
        assert_true(num(r, "audit.log_states") > 0); /* netsim read the bodies */
        assert_true(num(r, "audit.segment_drops") > 0);
        assert_true(num(r, "audit.held.deliveries") > 0);
        assert_true(num(r, "audit.held.unresolved") == 0);
        assert_true(num(r, "audit.held.unattributed") == 0);
        assert_true(cJSON_IsTrue(at(r, "netsim.ip_mode")));
    }
    free(err);
    cJSON_Delete(root);
}

/* A strip's marks from timeline_run_MODE.dat: latency (ms, -1: lost) by
 * seq of sender 0, seqs below cap. Returns how many. */
static int read_strip(const char *dir, const char *mode, double *latency, int cap)
{
    char path[256], line[256];
    snprintf(path, sizeof path, "%s/timeline_run_%s.dat", dir, mode);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int block = 0, n = 0;
    for (int i = 0; i < cap; i++)
        latency[i] = NAN;
    while (fgets(line, sizeof line, f)) {
        double t, ms;
        unsigned sender, seq;
        if (line[0] == '\n') {
            block += line[0] == '\n';
            continue;
        }
        if (line[0] == '#' || sscanf(line, "%lf %lf %u %u", &t, &ms, &sender, &seq) != 4 || t < 0)
            continue;
        assert_int_equal(sender, 0);
        assert_true(seq < (unsigned)cap);
        latency[seq] = block > 1 ? -1 : ms; /* the second block: the lost */
        n++;
    }
    fclose(f);
    return n;
}

/* Paired loss across modes, drawn as strips: each state unsequenced lost,
 * the TCP stream lost too and sent again, so it came late; both strips
 * drawn (gnuplot's styles come from the lane table, tcp's among them). */
static void paired_strips_show_the_same_losses(void **unused)
{
    (void)unused;
    char dir[] = "/tmp/ricochet-strips-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *args[] = {"--netsim-ip", "--modes", "tcp,unsequenced", "--clients", "2",
                          "--rate", "20", "--path-loss", "10", "--path-delay", "40",
                          "--paired-loss", "--duration", "4", "--warmup", "0.5", "--grace", "3",
                          "--seed", "9", "--plot", dir, "--quiet", "-J", NULL};
    char *err = NULL;
    cJSON *root = run(harness_bin_dir(), "ricochet-bench", args, 0, &err);
    if (strstr(err, "no IP mode here")) {
        free(err);
        cJSON_Delete(root);
        skip();
    }
    enum { CAP = 4096 };
    static double tcp[CAP], unseq[CAP];
    assert_true(read_strip(dir, "tcp", tcp, CAP) > 50);
    assert_true(read_strip(dir, "unsequenced", unseq, CAP) > 50);
    int lost = 0, late = 0;
    for (int seq = 0; seq < CAP; seq++) {
        if (isnan(unseq[seq]) || unseq[seq] >= 0 || isnan(tcp[seq]))
            continue;
        lost++;
        late += tcp[seq] > 40 + 30; /* the path, and at least a retransmission's wait */
        if (tcp[seq] <= 70)
            print_error("seq %d: lost in unsequenced, in tcp %.1f ms\n", seq, tcp[seq]);
    }
    print_message("unsequenced lost %d states; tcp got every one of them late: %d\n", lost, late);
    assert_true(lost > 0);
    assert_int_equal(late, lost);
    for (int i = 0; i < 2; i++) {
        char png[256];
        snprintf(png, sizeof png, "%s/timeline_run_%s.png", dir, i ? "tcp" : "unsequenced");
        FILE *f = fopen(png, "r");
        assert_non_null(f);
        fclose(f);
    }
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(err);
    cJSON_Delete(root);
}

/* In a user namespace of its own with no mapping, the bench may make no
 * namespace: one line says so, the udp run goes through the UDP proxy, and
 * the streams (tcp, ws) are left out. */
static void without_privilege_one_line(void **unused)
{
    (void)unused;
    char bench[512];
    snprintf(bench, sizeof bench, "%s/ricochet-bench", harness_bin_dir());
    const char *args[] = {"--user", bench, "--netsim-ip", "--modes", "udp,tcp,ws", "--clients",
                          "2", "--rate", "20", "--path-loss", "5", "--duration", "1",
                          "--warmup", "0.2", "--grace", "1", "--quiet", "-J", NULL};
    char *err = NULL;
    cJSON *root = run("/usr/bin", "unshare", args, 0, &err);
    const char *line = strstr(err, "ricochet-bench: no IP mode here");
    assert_non_null(line);
    const char *eol = strchr(line, '\n');
    assert_non_null(eol);
    char one[512];
    snprintf(one, sizeof one, "%.*s", (int)(eol - line), line);
    print_message("%s\n", one);
    assert_non_null(strstr(one, "CAP_SYS_ADMIN"));
    assert_non_null(strstr(one, "UDP proxy instead, without tcp, ws"));
    assert_null(strstr(eol, "no IP mode")); /* once */
    assert_int_equal(cJSON_GetArraySize(at(root, "results")), 1);
    const cJSON *udp = mode_result(root, "udp");
    assert_non_null(udp);
    assert_true(cJSON_IsTrue(at(udp, "ok")));
    assert_false(cJSON_IsTrue(at(udp, "netsim.ip_mode")));
    assert_null(mode_result(root, "tcp"));
    assert_null(mode_result(root, "ws"));
    free(err);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_through_ip_mode_audited),
        cmocka_unit_test(poll_through_ip_mode_audited),
        cmocka_unit_test(paired_strips_show_the_same_losses),
        cmocka_unit_test(without_privilege_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
