/* test_e2e_bench_webrtc.c: ricochet-bench's modes over WebRTC (relay,
 * netsim and bench spawned from $RICOCHET_BIN), through netsim at 5% loss
 * with 20 ms of delay and 10 of jitter. netsim sits in front of the
 * relay's webrtc edge, whose answers name it, and reads the states inside
 * DTLS with the key log the bench's clients write. The unordered channel
 * (webrtc) loses about what netsim dropped, every lost state explained by
 * netsim's drop log state by state, and keeps the path's p99; the reliable
 * one (webrtc-reliable, on control) loses nothing, every drop followed by
 * SCTP's retransmission, each state held back by a drop attributed to it,
 * and pays in the tail. With --encrypt the relay seals nothing of theirs
 * and they play as in clear. */
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

#include "support/harness.h"

#define PATH_DELAY_MS 20
#define PATH_JITTER_MS 10

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    if (!cJSON_IsNumber(cur))
        fail_msg("field %s missing", path);
    return cur->valuedouble;
}

static bool flag(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return cJSON_IsTrue(b ? cJSON_GetObjectItemCaseSensitive(x, b) : x);
}

static const cJSON *find_mode(const cJSON *results, const char *mode)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "mode");
        if (cJSON_IsString(m) && !strcmp(m->valuestring, mode))
            return r;
    }
    fail_msg("no result for mode %s", mode);
    return NULL;
}

/* The last bench's JSON: freed by the next run or the group's teardown. */
static cJSON *bench_root;

static int bench_output_free(void **state)
{
    (void)state;
    cJSON_Delete(bench_root);
    bench_root = NULL;
    return 0;
}

/* Runs the bench with args (ending --json-file - --quiet); it must exit 0. */
static const cJSON *run_bench(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    int code = spawn_stop(&p, 0, 120000);
    char *out = spawn_read_stdout(&p), *err = spawn_read_stderr(&p);
    spawn_free(&p);
    bench_output_free(NULL);
    bench_root = code == 0 && out ? cJSON_Parse(out) : NULL;
    if (!bench_root)
        print_error("ricochet-bench exited %d; stderr:\n%s\n", code, err ? err : "");
    free(out);
    free(err);
    assert_non_null(bench_root);
    return cJSON_GetObjectItemCaseSensitive(bench_root, "results");
}

/* webrtc at 5%: the loss is the network's, every missed state one netsim
 * dropped on the sender's uplink or the receiver's downlink, and nothing
 * waits: p99 within the path's delay and jitter. */
static void check_unordered(const cJSON *r)
{
    assert_true(flag(r, "ok", NULL));
    double expected = num(r, "expected"), delivered = num(r, "delivered");
    double lost = num(r, "lost_pct"), truth = num(r, "netsim.e2e_loss_pct");
    double missed = expected - delivered, dropped = num(r, "audit.netsim_dropped");
    print_message("webrtc: %.2f%% lost (%.0f of %.0f), netsim's log: %.0f dropped on the way; "
                  "netsim dropped %.2f%% of its datagrams; p99 %.1f ms\n",
                  lost, missed, expected, dropped, truth, num(r, "latency_ms.p99"));
    assert_true(expected >= 1500);
    assert_true(lost >= 1.5 && lost <= 11.0);
    assert_true(fabs(lost - truth) < 4.0);
    assert_true(flag(r, "audit", "done"));
    assert_true(num(r, "audit.log_states") > expected / 2); /* netsim read inside DTLS */
    assert_true(num(r, "audit.unexplained") == 0);
    assert_true(num(r, "audit.explained") == missed);
    assert_true(dropped == num(r, "audit.explained_by.netsim_up") +
                               num(r, "audit.explained_by.netsim_down"));
    assert_true(num(r, "audit.explained_by.netsim_up") > 0);
    assert_true(num(r, "audit.explained_by.netsim_down") > 0);
    assert_true(missed == dropped + num(r, "audit.explained_by.late") +
                              num(r, "audit.explained_by.socket_overflow") +
                              num(r, "audit.explained_by.relay_stale"));
    assert_true(num(r, "latency_ms.p50") >= PATH_DELAY_MS - PATH_JITTER_MS);
    assert_true(num(r, "latency_ms.p99") < PATH_DELAY_MS + PATH_JITTER_MS + 15);
}

/* webrtc-reliable at 5%: everything, every drop retransmitted, what the
 * drops held back attributed to them, and a tail past the unordered one. */
static void check_reliable(const cJSON *r, const cJSON *unordered)
{
    assert_true(flag(r, "ok", NULL));
    print_message("webrtc-reliable: %.0f of %.0f delivered, %.0f drops retransmitted, "
                  "%.0f deliveries held back; p99 %.1f ms\n", num(r, "delivered"),
                  num(r, "expected"), num(r, "audit.retransmitted"),
                  num(r, "audit.held.deliveries"), num(r, "latency_ms.p99"));
    assert_true(num(r, "delivered") == num(r, "expected"));
    assert_true(num(r, "lost_pct") == 0.0);
    assert_true(num(r, "duplicates") == 0.0);
    assert_true(flag(r, "audit", "clean"));
    assert_true(num(r, "audit.state_drops") > 0);
    assert_true(num(r, "audit.unretransmitted") == 0);
    assert_true(num(r, "audit.state_drops") ==
                num(r, "audit.retransmitted") + num(r, "audit.redundant"));
    assert_true(num(r, "audit.held.deliveries") > 0);
    assert_true(num(r, "audit.held.unattributed") == 0);
    assert_true(num(r, "audit.held.unresolved") == 0);
    assert_true(num(r, "latency_ms.p99") > num(unordered, "latency_ms.p99"));
}

static void loss_on_each_channel(void **state)
{
    (void)state;
    /* 4 clients x 60 Hz x 3 s = 720 states, 2160 deliveries a mode */
    const char *args[] = {"--clients", "4", "--rate", "60", "--duration", "3", "--warmup", "1",
                          "--grace", "2", "--path-loss", "5", "--path-delay", "20",
                          "--path-jitter", "10", "--seed", "3",
                          "--modes", "webrtc,webrtc-reliable", "--json-file", "-", "--quiet",
                          NULL};
    const cJSON *results = run_bench(args);
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const cJSON *u = find_mode(results, "webrtc");
    check_unordered(u);
    check_reliable(find_mode(results, "webrtc-reliable"), u);
}

/* --encrypt: the bench's relay takes sealed tickets and seals; its WebRTC
 * clients join with theirs, the relay seals nothing of theirs (DTLS does),
 * and netsim still reads them with the key log. */
static void sealing_relay_seals_none(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "3", "--rate", "30", "--duration", "1", "--warmup",
                          "0.5", "--grace", "1", "--netsim", "--encrypt", "--seed", "4",
                          "--modes", "webrtc-sequenced", "--json-file", "-", "--quiet", NULL};
    const cJSON *r = find_mode(run_bench(args), "webrtc-sequenced");
    assert_true(flag(r, "ok", NULL));
    assert_true(num(r, "lost_pct") == 0.0);
    assert_true(flag(r, "audit", "done"));
    assert_true(num(r, "audit.log_states") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_on_each_channel),
        cmocka_unit_test(sealing_relay_seals_none),
    };
    return cmocka_run_group_tests(tests, NULL, bench_output_free);
}
