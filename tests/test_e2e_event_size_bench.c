/* test_e2e_event_size_bench.c: bench/event_size.sh, a short run of it: one
 * round of one room of 8 and a one-second window, bodies of 64 and 4096
 * bytes. Each size has its line, with a cost and the bytes per delivered
 * event at least its body; the summary names both; a round count it
 * refuses. A benchmark's figures are never asserted: only that it runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"

static void a_bad_count(void **state)
{
    (void)state;
    harness_sh("! bench/event_size.sh %s /tmp/ricochet-event-size-none x 2> /dev/null",
               harness_bin_dir());
    harness_sh("! bench/event_size.sh %s /tmp/ricochet-event-size-none 0 2> /dev/null",
               harness_bin_dir());
}

static void each_size_runs(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-event-size-XXXXXX";
    assert_non_null(mkdtemp(dir));
    harness_sh("ROOMS=1 DURATION=3 bench/event_size.sh %s %s/out 1 '64 4096' > %s/log.txt "
               "2>&1 || { cat %s/log.txt; false; }", harness_bin_dir(), dir, dir, dir);
    char path[128];
    snprintf(path, sizeof path, "%s/out/runs.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned size, seen = 0;
    double cpu, bytes, member;
    while (fscanf(f, "round 1 size %u floor %*u load %*f cpu_us %lf bytes %lf "
                     "member_bytes_s %lf\n", &size, &cpu, &bytes, &member) == 4) {
        print_message("size %u: %.2f us, %.0f bytes an event, %.0f a member a second\n", size,
                      cpu, bytes, member);
        assert_true(size == 64 || size == 4096);
        assert_true(cpu >= 0 && member > 0);
        assert_true(bytes >= size + 12); /* the event's head and body, at least */
        seen |= size == 64 ? 1 : 2;
    }
    fclose(f);
    assert_int_equal(seen, 3);
    snprintf(path, sizeof path, "%s/out/summary.txt", dir);
    char *text = harness_read_text(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "\n64  "));
    assert_non_null(strstr(text, "\n4096  "));
    free(text);
    harness_sh("rm -rf %s", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bad_count),
        cmocka_unit_test(each_size_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
