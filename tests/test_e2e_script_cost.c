/* test_e2e_script_cost.c: bench/script_cost.sh, a short run of it: one
 * round of 16 clients and a one-second window. Every variant has its
 * record (no script, events.lua, speed.lua, pass.lua, the reference
 * relay), each with a cost and, beside the unscripted relay's of its
 * round, x_none; every state delivered; the scripts in bench/scripts/ pass
 * the relay's check; the summary names every variant, and is made again
 * from the runs with ROUNDS 0. A benchmark's figures are never asserted:
 * only that it runs. A round count it refuses, and ROUNDS 0 with no runs.
 * Needs jq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/support/bench_json.h"
#include "tests/support/harness.h"

static void a_bad_count(void **state)
{
    (void)state;
    harness_sh("! bench/script_cost.sh %s /tmp/ricochet-script-cost-none x 2> /dev/null",
               harness_bin_dir());
    harness_sh("! bench/script_cost.sh %s /tmp/ricochet-script-cost-none 0 2> /dev/null",
               harness_bin_dir()); /* a summary again, of no runs */
    harness_sh("%s/ricochet-relay --script-dir bench/scripts --check > /dev/null",
               harness_bin_dir());
}

static void every_variant_runs(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-script-cost-XXXXXX";
    assert_non_null(mkdtemp(dir));
    harness_sh("CLIENTS=16 DURATION=1 bench/script_cost.sh %s %s/out 1 2> %s/log.txt || "
               "{ cat %s/log.txt; false; }", harness_bin_dir(), dir, dir, dir);
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    const cJSON *runs = bj_script_runs(path);
    static const char *const variants[] = {"none", "events", "speed", "pass", "reference"};
    assert_int_equal(cJSON_GetArraySize(runs), 5);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const cJSON *r, *found = NULL;
        cJSON_ArrayForEach(r, runs) {
            if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "variant")), variants[i]))
                found = r;
        }
        if (!found)
            fail_msg("no run of %s", variants[i]);
        const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(found, "results"), 0);
        assert_non_null(res);
        assert_true(bj_num(res, "relay_us_per_delivery") > 0);
        assert_true(bj_num(res, "x_none") > 0);
        assert_true(bj_num(res, "delivery_pct") == 100);
    }
    bj_free(NULL);
    snprintf(path, sizeof path, "%s/out/summary.txt", dir);
    char *text = harness_read_text(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "| ricochet-relay, no script | "));
    assert_non_null(strstr(text, "(speed.lua)"));
    assert_non_null(strstr(text, "(pass.lua)"));
    assert_non_null(strstr(text, "(events.lua)"));
    assert_non_null(strstr(text, "the reference relay"));
    free(text);
    harness_sh("rm %s/out/summary.txt && bench/script_cost.sh %s %s/out 0 2> /dev/null && "
               "grep -q '^| the reference relay' %s/out/summary.txt", dir, harness_bin_dir(),
               dir, dir);
    harness_sh("rm -rf %s", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bad_count),
        cmocka_unit_test(every_variant_runs),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
