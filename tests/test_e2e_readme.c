/* test_e2e_readme.c: README.md shows every program's --help exactly as the
 * program prints it, so the documented options cannot drift from the
 * option tables (on failure, paste the program's current --help output
 * into the README's block for it), and lists every key of the terminal
 * client's own help. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/tui/keys.h"
#include "support/harness.h"

static char *slurp(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    return buf;
}

static char *readme;

static int setup(void **state)
{
    (void)state;
    const char *path = getenv("RICOCHET_README");
    FILE *f = fopen(path ? path : "README.md", "r");
    if (!f)
        return -1;
    readme = slurp(f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(readme);
    return 0;
}

static void help_is_in_readme(const char *prog)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/%s --help", harness_bin_dir(), prog);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *help = slurp(p);
    assert_int_equal(pclose(p), 0);
    assert_true(strlen(help) > 100);

    /* The README holds it as a fenced block: "```\n" help "```". */
    size_t need = strlen(help) + 8;
    char *block = malloc(need);
    assert_non_null(block);
    snprintf(block, need, "```\n%s```", help);
    bool found = strstr(readme, block) != NULL;
    free(block);
    free(help);
    if (!found)
        fail_msg("README.md's copy of `%s --help` is stale or missing: paste the program's "
                 "current output into it", prog);
}

static void relay_help(void **state) { (void)state; help_is_in_readme("ricochet-relay"); }
static void bot_help(void **state) { (void)state; help_is_in_readme("ricochet-bot"); }
static void client_help(void **state) { (void)state; help_is_in_readme("ricochet-client"); }
static void netsim_help(void **state) { (void)state; help_is_in_readme("ricochet-netsim"); }
static void bench_help(void **state) { (void)state; help_is_in_readme("ricochet-bench"); }

/* The README's key table has a row for every key the client's own help
 * lists (keys.c), spelled the same: "| Ctrl-L | ...". */
static void keys_in_readme(void **state)
{
    (void)state;
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    assert_true(n > 5);
    for (size_t i = 0; i < n; i++) {
        char cell[64];
        snprintf(cell, sizeof cell, "\n| %s | ", rows[i].keys);
        if (!strstr(readme, cell))
            fail_msg("README.md's key table has no row '| %s |' (%s)", rows[i].keys,
                     rows[i].what);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relay_help),  cmocka_unit_test(bot_help),
        cmocka_unit_test(client_help), cmocka_unit_test(netsim_help),
        cmocka_unit_test(bench_help),  cmocka_unit_test(keys_in_readme),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
