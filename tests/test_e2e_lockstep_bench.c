/* test_e2e_lockstep_bench.c: ricochet-bench --lockstep, a short run: two
 * lockstep rooms of 8 for a one-second window, unsequenced and reliable.
 * Each mode reports its inputs, every one confirmed, stood in for or
 * missing, a latency no shorter than the input delay (a frame comes once
 * its tick closed) and the relay's CPU per player; what it cannot run
 * with, and bench/lockstep.sh's bad counts, are refused. A benchmark's
 * figures are never asserted: only that it runs and adds up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"

#define DELAY_MS (4 * 1000.0 / 30) /* the library's input delay, 4 ticks at 30 Hz */

static void what_it_refuses(void **state)
{
    (void)state;
    const char *bin = harness_bin_dir();
    harness_sh("! %s/ricochet-bench --lockstep --clients 16 --rate 30 2> /dev/null", bin);
    harness_sh("! %s/ricochet-bench --lockstep --clients 16 --room-size 33 2> /dev/null", bin);
    harness_sh("! %s/ricochet-bench --lockstep --clients 16 --room-size 8 --rate 61 "
               "2> /dev/null", bin);
    harness_sh("! %s/ricochet-bench --lockstep --clients 16 --room-size 8 --rate 30 --loss 5 "
               "2> /dev/null", bin);
    harness_sh("! bench/lockstep.sh %s /tmp/ricochet-lockstep-none x 2> /dev/null", bin);
    harness_sh("! bench/lockstep.sh %s /tmp/ricochet-lockstep-none 1 1 2> /dev/null", bin);
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        fail_msg("no number %s", name);
    return v->valuedouble;
}

static void each_mode_reports(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-lockstep-bench-XXXXXX";
    assert_non_null(mkdtemp(dir));
    harness_sh("%s/ricochet-bench --lockstep --clients 16 --room-size 8 --rate 30 "
               "--modes unsequenced,reliable --duration 1 --warmup 1 --json-file %s/out.json "
               "> %s/log.txt 2>&1 || { cat %s/log.txt; false; }", harness_bin_dir(), dir, dir,
               dir);
    char path[128];
    snprintf(path, sizeof path, "%s/out.json", dir);
    char *text = harness_read_text(path);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "lockstep");
    assert_int_equal(cJSON_GetArraySize(runs), 2);
    const cJSON *r;
    cJSON_ArrayForEach(r, runs) {
        const char *mode = cJSON_GetObjectItemCaseSensitive(r, "mode")->valuestring;
        print_message("%s: %.0f inputs, %.0f confirmed, p50 %.1f ms, p99 %.1f ms, relay "
                      "%.0f us a player a second\n", mode, num(r, "inputs"),
                      num(r, "confirmed"), num(r, "p50_ms"), num(r, "p99_ms"),
                      num(r, "relay_us_per_player_s"));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")));
        assert_int_equal(num(r, "players"), 16);
        assert_true(num(r, "inputs") > 0);
        assert_true(num(r, "confirmed") > 0);
        assert_true(num(r, "confirmed") + num(r, "stood_in") + num(r, "missing") ==
                    num(r, "inputs"));
        assert_true(num(r, "frames") >= num(r, "confirmed"));
        assert_true(num(r, "p50_ms") >= DELAY_MS - 10); /* the offset's error, at most */
        assert_true(num(r, "p99_ms") >= num(r, "p50_ms"));
        assert_true(num(r, "relay_us_per_player_s") > 0);
    }
    cJSON_Delete(root);
    free(text);
    harness_sh("rm -rf %s", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_it_refuses),
        cmocka_unit_test(each_mode_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
