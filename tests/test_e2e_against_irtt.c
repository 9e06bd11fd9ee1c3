/* test_e2e_against_irtt.c: bench/against_irtt.sh, a short run of it: one
 * round of one second, loss 0 and 5% through netsim with 20 ms of delay
 * end to end. Every record is there (sockperf on loopback, irtt through
 * netsim, the bench's reference and udp lanes on both paths); irtt and
 * the bench see the path's delay alike (their p50s within the delay of
 * each other, 20 ms, and above the delay less its jitter), no loss without netsim's,
 * and the summary's two tables. Its --help, and a round count it refuses.
 * Needs irtt and sockperf (.ci/deps test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/bench_json.h"
#include "tests/support/harness.h"

#define DELAY_MS 20
#define JITTER_MS 5

/* The record of tool on path at loss in runs; fails the test if none. */
static const cJSON *record(const cJSON *runs, const char *tool, const char *path, int loss)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, runs) {
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "tool")), tool) &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), path) &&
            cJSON_GetObjectItem(r, "loss")->valueint == loss)
            return r;
    }
    fail_msg("no record of %s on %s at loss %d%%", tool, path, loss);
    return NULL;
}

static void help_and_a_bad_count(void **state)
{
    (void)state;
    harness_sh("bench/against_irtt.sh --help | grep -q 'irtt'");
    harness_sh("! bench/against_irtt.sh %s /tmp 0 1 2> /dev/null", harness_bin_dir());
}

static void irtt_and_the_bench_agree(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-against-irtt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    harness_sh("LOSSES='0 5' DELAY=%d JITTER=%d bench/against_irtt.sh %s %s/out 1 1 "
               "2> %s/log.txt || { cat %s/log.txt; false; }",
               DELAY_MS, JITTER_MS, harness_bin_dir(), dir, dir, dir);
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    const cJSON *runs = bj_script_runs(path);
    assert_int_equal(cJSON_GetArraySize(runs), 9);
    const cJSON *each; /* every record carries its round's floor, both ways */
    cJSON_ArrayForEach(each, runs) {
        double dps = bj_num(each, "floor_dgrams_per_s");
        assert_true(dps > 0);
        assert_true(fabs(bj_num(each, "floor_us_per_dgram") * dps - 1e6) < 1);
    }
    const cJSON *sp = record(runs, "sockperf", "loopback", 0);
    assert_true(bj_num(sp, "p50_ms") > 0 && bj_num(sp, "p50_ms") <= bj_num(sp, "p99_ms"));
    static const char *const lanes[] = {"bench-reference", "bench-udp"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *b = record(runs, lanes[i], "loopback", 0);
        assert_true(bj_num(b, "p50_ms") > 0 && bj_num(b, "p50_ms") < DELAY_MS - JITTER_MS);
        assert_true(bj_num(b, "lost_pct") < 1);
    }
    for (int loss = 0; loss <= 5; loss += 5) {
        const cJSON *ir = record(runs, "irtt", "netsim", loss);
        assert_true(bj_num(ir, "p50_ms") > DELAY_MS - JITTER_MS);
        assert_true(bj_num(ir, "lost_pct") >= 0 && bj_num(ir, "lost_pct") <= 30);
        if (loss == 0)
            assert_true(bj_num(ir, "lost_pct") == 0);
        for (size_t i = 0; i < 2; i++) {
            const cJSON *b = record(runs, lanes[i], "netsim", loss);
            /* alike: within the path's delay (a busy machine's scheduling
             * delays one tool's wake-ups more than the other's) */
            if (fabs(bj_num(b, "p50_ms") - bj_num(ir, "p50_ms")) >= DELAY_MS)
                fail_msg("%s p50 %.2f ms, irtt's %.2f ms at %d%%", lanes[i], bj_num(b, "p50_ms"),
                         bj_num(ir, "p50_ms"), loss);
            assert_true(bj_num(b, "lost_pct") >= 0 && bj_num(b, "lost_pct") <= 30);
            if (loss == 0)
                assert_true(bj_num(b, "lost_pct") < 1);
        }
    }
    bj_free(NULL);
    snprintf(path, sizeof path, "%s/out/summary.txt", dir);
    char *text = harness_read_text(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "| netsim, loss 5% | irtt, round trip |"));
    assert_non_null(strstr(text, "bench minus tool"));
    assert_non_null(strstr(text, "(floor: "));
    assert_null(strstr(text, "(floor: null")); /* the records' floor, named as they name it */
    free(text);
    harness_sh("rm -rf %s", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_and_a_bad_count),
        cmocka_unit_test(irtt_and_the_bench_agree),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
