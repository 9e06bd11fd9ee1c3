/* test_e2e_run.c: tests/run runs the tests it is given by name, by pattern
 * or as a subset ("unit", "quick") and says so of a name that picks none;
 * TEST_FILTER picks cases in every test binary; docs/testing.md's opening
 * commands run as written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/harness.h"

/* A folder laid out as a checkout's top (tests/ the real one) whose
 * build/asan/tests/ holds, for some of the tests, a script that prints its
 * name and TEST_FILTER: what tests/run picks, seen without running it. */
static char top[] = "/tmp/ricochet-run-XXXXXX";
static const char *const fakes[] = {
    "test_control",   "test_errors",         "test_fuzz_smoke", "test_wire",
    "test_e2e_bench", "test_e2e_docs",       "test_e2e_fleet",  "test_e2e_fleet_keep",
    "test_e2e_layout", "test_e2e_writers",
};
#define UNIT_FAKES 4 /* quick: all but test_fuzz_smoke */

static int fake_build(void **state)
{
    (void)state;
    char cwd[512], path[1024];
    assert_non_null(mkdtemp(top));
    assert_non_null(getcwd(cwd, sizeof cwd));
    harness_sh("ln -s '%s/tests' '%s/tests' && mkdir -p '%s/build/asan/tests'", cwd, top, top);
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        snprintf(path, sizeof path, "%s/build/asan/tests/%s", top, fakes[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\necho \"ran $(basename \"$0\") filter=$TEST_FILTER\"\n");
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
    }
    return 0;
}

static int remove_build(void **state)
{
    (void)state;
    harness_sh("rm -rf '%s'", top);
    return 0;
}

/* Runs `tests/run ARGS` in the fake top; its output (the caller frees)
 * and exit status in *rc. */
static char *run(int *rc, const char *args)
{
    char out[600], cmd[2048];
    snprintf(out, sizeof out, "%s/out", top);
    snprintf(cmd, sizeof cmd, "cd '%s' && tests/run %s >out 2>&1", top, args);
    *rc = WEXITSTATUS(system(cmd));
    char *text = harness_read_text(out);
    assert_non_null(text);
    return text;
}

/* How many binaries the output says ran. */
static int ran(const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "\nran ")); p++)
        n++;
    return n;
}

static void one_by_name_and_a_pattern(void **state)
{
    (void)state;
    int rc;
    char *t = run(&rc, "test_errors control");
    assert_int_equal(rc, 0);
    assert_int_equal(ran(t), 2);
    assert_non_null(strstr(t, "ran test_errors filter=\n"));
    assert_non_null(strstr(t, "ran test_control filter=\n"));
    assert_non_null(strstr(t, "3 passed, 0 failed")); /* the two and the tree's check */
    free(t);
    t = run(&rc, "'e2e_fleet_*'");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(t, "ran test_e2e_fleet_keep "));
    assert_null(strstr(t, "ran test_e2e_fleet ")); /* the pattern wants the "_" */
    assert_null(strstr(t, "ran test_control "));
    free(t);
}

static void the_subsets(void **state)
{
    (void)state;
    int rc;
    char *t = run(&rc, "unit");
    assert_int_equal(rc, 0);
    assert_int_equal(ran(t), UNIT_FAKES);
    assert_null(strstr(t, "ran test_e2e_"));
    free(t);
    t = run(&rc, "quick");
    assert_int_equal(rc, 0);
    assert_int_equal(ran(t), UNIT_FAKES - 1 + 3);
    assert_null(strstr(t, "ran test_fuzz_smoke "));
    assert_non_null(strstr(t, "ran test_e2e_layout "));
    assert_non_null(strstr(t, "ran test_e2e_writers "));
    assert_non_null(strstr(t, "ran test_e2e_docs "));
    free(t);
}

static void a_name_that_picks_none_is_refused(void **state)
{
    (void)state;
    int rc;
    char *t = run(&rc, "test_errors test_no_such_thing");
    assert_int_equal(rc, 2);
    assert_int_equal(ran(t), 0);
    assert_non_null(strstr(t, "no test binary test_no_such_thing"));
    free(t);
}

/* The filter reaches the binaries; each binary takes it (harness.c), shown
 * in two of them and found linked into every one. */
static void the_case_filter_in_every_binary(void **state)
{
    (void)state;
    char cmd[2048], out[600], *t;
    snprintf(out, sizeof out, "%s/out", top);
    snprintf(cmd, sizeof cmd, "cd '%s' && TEST_FILTER='*round*' tests/run errors >out 2>&1", top);
    assert_int_equal(system(cmd), 0);
    t = harness_read_text(out);
    assert_non_null(strstr(t, "ran test_errors filter=*round*\n"));
    free(t);

    const char *bin = harness_bin_dir(); /* BUILD/bin: the tests are BUILD/tests */
    snprintf(cmd, sizeof cmd,
             "TEST_FILTER=names_round_trip %s/../tests/test_errors >%s 2>&1 && "
             "TEST_FILTER='rooms_*' %s/../tests/test_control >>%s 2>&1",
             bin, out, bin, out);
    assert_int_equal(system(cmd), 0);
    t = harness_read_text(out);
    assert_non_null(strstr(t, "[ RUN      ] names_round_trip"));
    assert_non_null(strstr(t, "[  PASSED  ] 1 test(s)."));
    assert_null(strstr(t, "[ RUN      ] describe")); /* test_errors' others */
    assert_non_null(strstr(t, "[ RUN      ] rooms_watch_round_trip"));
    assert_null(strstr(t, "[ RUN      ] join_round_trip")); /* test_control's first */
    free(t);

    /* the filter's code is in each binary there is a source for */
    snprintf(cmd, sizeof cmd,
             "cd %s/../tests && for s in $OLDPWD/tests/test_*.c; do t=$(basename $s .c); "
             "[ -x $t ] || continue; nm $t | grep -q harness_case_filter || echo $t; done "
             ">%s 2>&1",
             bin, out);
    assert_int_equal(system(cmd), 0);
    t = harness_read_text(out);
    if (*t)
        fail_msg("without the case filter:\n%s", t);
    free(t);
}

/* docs/testing.md's first block, its tests/run lines as written. */
static void the_docs_commands_run(void **state)
{
    (void)state;
    char block[600], cmd[2048];
    snprintf(block, sizeof block, "%s/block.sh", top);
    harness_sh_block("docs/testing.md", "# Tests", 0, block);
    char *text = harness_read_text(block);
    assert_non_null(text);
    int lines = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!strstr(l, "tests/run"))
            continue;
        snprintf(cmd, sizeof cmd, "cd '%s' && { %s\n} >out 2>&1", top, l); /* its # too */
        if (system(cmd) != 0)
            fail_msg("docs/testing.md's command fails: %s", l);
        lines++;
    }
    free(text);
    assert_true(lines >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_by_name_and_a_pattern),
        cmocka_unit_test(the_subsets),
        cmocka_unit_test(a_name_that_picks_none_is_refused),
        cmocka_unit_test(the_case_filter_in_every_binary),
        cmocka_unit_test(the_docs_commands_run),
    };
    return cmocka_run_group_tests(tests, fake_build, remove_build);
}
